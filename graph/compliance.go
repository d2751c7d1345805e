package graph

import (
	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/services/compliance"
)

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func frameworkModel(f *compliance.Framework) *model.ComplianceFramework {
	out := &model.ComplianceFramework{ID: f.ID, Name: f.Name, Version: f.Version, Requirements: make([]*model.ComplianceRequirement, 0, len(f.Requirements))}
	for _, r := range f.Requirements {
		out.Requirements = append(out.Requirements, &model.ComplianceRequirement{ID: r.ID, Parent: nonEmpty(r.Parent), Description: r.Description})
	}
	return out
}

func controlModel(v compliance.ControlView) *model.ComplianceControl {
	out := &model.ComplianceControl{ID: v.Control.ID, Title: v.Control.Title, Description: v.Control.Description,
		Requirements: []string{}, Tests: append([]string{}, v.Control.Tests...), Applicable: v.State.Applicable,
		Justification: v.State.Justification, OwnerID: nonEmpty(v.State.OwnerID), Status: v.Status, Exceptions: []*model.ComplianceException{}}
	for _, r := range v.Control.Requirements() {
		out.Requirements = append(out.Requirements, r.String())
	}
	for _, e := range v.Exceptions {
		out.Exceptions = append(out.Exceptions, exceptionModel(e))
	}
	return out
}

func exceptionModel(e compliance.Exception) *model.ComplianceException {
	return &model.ComplianceException{ID: e.ID, TenantID: e.TenantID, ControlID: e.ControlID, Reason: e.Reason,
		ExpiresAt: e.ExpiresAt, CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt}
}

func attestationModel(a compliance.Attestation) *model.ComplianceAttestation {
	return &model.ComplianceAttestation{ID: a.ID, TenantID: a.TenantID, ControlID: a.ControlID, Kind: a.Kind, Name: a.Name,
		Statement: a.Statement, AttestedAt: a.AttestedAt, UserID: a.UserID}
}

func scheduleModel(s compliance.ReportSchedule) *model.ComplianceReportSchedule {
	out := &model.ComplianceReportSchedule{TenantID: s.TenantID, Frameworks: s.Frameworks, ChannelIds: s.ChannelIDs, Set: s.Set}
	if out.Frameworks == nil {
		out.Frameworks = []string{}
	}
	if out.ChannelIds == nil {
		out.ChannelIds = []string{}
	}
	if s.Set {
		out.UpdatedAt, out.UpdatedBy = &s.UpdatedAt, &s.UpdatedBy
	}
	return out
}

func runModel(r compliance.Run) *model.ComplianceRun {
	s := r.Snapshot
	out := &model.ComplianceRun{ID: r.ID, TenantID: r.TenantID, TestID: s.TestID, ControlID: s.Control, Status: s.Status,
		Passed: s.Passed, Failed: s.Failed, From: s.Period.From, To: s.Period.To, RanAt: s.RanAt, Sha256: r.SHA256,
		Results: make([]*model.ComplianceResult, 0, len(s.Results))}
	for _, x := range s.Results {
		out.Results = append(out.Results, &model.ComplianceResult{Resource: x.Resource, Name: x.Name, Pass: x.Pass, Reason: x.Reason})
	}
	return out
}

func reportModel(r compliance.StoredReport) *model.ComplianceReport {
	return &model.ComplianceReport{ID: r.ID, TenantID: r.TenantID, Framework: r.Framework, Format: r.Format, From: r.Period.From,
		To: r.Period.To, Sha256: r.SHA256, KeyID: r.KeyID, Size: int(r.Size), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

func firstOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}
