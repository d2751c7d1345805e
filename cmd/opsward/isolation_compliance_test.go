package main

import (
	"context"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/tenants"
)

// seedCompliance gives each customer compliance objects for the
// cross-tenant suite: a Statement of Applicability entry, an exception,
// an access review, a run of every automated test and a signed report.
func seedCompliance(ctx context.Context, m *Main, customers ...string) error {
	now := time.Now().UTC()
	period := compliance.Period{From: now.AddDate(0, 0, -30), To: now.Add(-time.Minute)}
	for _, c := range customers {
		path, err := m.Tenants.Path(ctx, c)
		if err != nil {
			return err
		}
		as := tenants.NewContext(ctx, &tenants.Actor{Kind: tenants.ActorUser, ID: opsward.NewID(opsward.PrefixUser),
			TenantID: c, TenantPath: path, Roles: []opsward.Role{opsward.RoleAdmin}})
		if _, err := m.Compliance.SetApplicability(as, compliance.ApplicabilityInput{ControlID: "CTL-GOV-02", Applicable: false,
			Justification: "training is run by the group"}); err != nil {
			return err
		}
		if _, err := m.Compliance.AddException(as, compliance.ExceptionInput{ControlID: "CTL-IAM-02", Reason: "vendor key rotation in progress",
			ExpiresAt: now.AddDate(0, 1, 0)}); err != nil {
			return err
		}
		if _, err := m.Compliance.Attest(as, compliance.AttestationInput{Kind: compliance.KindAccessReview, Name: "Security Officer"}); err != nil {
			return err
		}
		if _, err := m.Compliance.AddEvidence(as, compliance.EvidenceInput{ControlID: "CTL-GOV-01", Name: "security-policy.txt",
			ContentType: "text/plain", Content: []byte("Security policy of " + c)}); err != nil {
			return err
		}
		if _, err := m.Compliance.SetReportSchedule(as, compliance.ScheduleInput{Frameworks: []string{"iso27001", "soc2"}}); err != nil {
			return err
		}
		if _, err := m.Compliance.RunTests(as, "", period); err != nil {
			return err
		}
		if _, err := m.Compliance.GenerateReport(as, compliance.ReportRequest{Framework: "soc2", Format: compliance.FormatJSON, Period: period}); err != nil {
			return err
		}
	}
	return nil
}
