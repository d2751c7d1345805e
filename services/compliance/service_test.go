package compliance_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
)

// fixedSource answers every tenant with the fixture's facts (the real
// source, over the services, is tested end to end in cmd/opsward).
type fixedSource struct{ err error }

func (s fixedSource) Facts(_ context.Context, tenantID string, _ compliance.Period) (*compliance.Facts, error) {
	if s.err != nil {
		return nil, s.err
	}
	f := fixtureFacts()
	f.TenantID = tenantID
	return f, nil
}

type env struct {
	p      *testenv.Platform
	svc    *compliance.Service
	a, b   *ent.Tenant
	asA    context.Context
	asB    context.Context
	asProv context.Context
}

func newEnv(t *testing.T, b testenv.Backend, src compliance.Source) *env {
	p := testenv.NewPlatform(t, b, testenv.PlatformOptions{EmbeddedRedis: true})
	svc, err := compliance.New(compliance.Config{Clock: func() time.Time { return now }},
		compliance.Deps{DB: p.App, Client: p.Client, Tenants: p.Tenants, Source: src, Sealer: p.Sealer, Usage: billing.NewUsageStore(p.App)})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{p: p, svc: svc, a: p.Customer(t, p.Provider, "acme"), b: p.Customer(t, p.Provider, "globex")}
	e.asA, e.asB = testenv.As(e.a, opsward.RoleAdmin), testenv.As(e.b, opsward.RoleAdmin)
	e.asProv = testenv.As(p.Provider, opsward.RoleAdmin)
	return e
}

func TestStatementOfApplicability(t *testing.T) {
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		e := newEnv(t, b, fixedSource{})
		_, err := e.svc.SetApplicability(e.asA, compliance.ApplicabilityInput{ControlID: "CTL-GOV-02", Applicable: false})
		if fieldOf(err) != "justification" {
			t.Errorf("no justification: %v", err)
		}
		_, err = e.svc.SetApplicability(e.asA, compliance.ApplicabilityInput{ControlID: "CTL-NOPE", Applicable: true})
		if fieldOf(err) != "controlId" {
			t.Errorf("unknown control: %v", err)
		}
		_, err = e.svc.SetApplicability(e.asA, compliance.ApplicabilityInput{ControlID: "CTL-GOV-02", Applicable: true, OwnerID: "usr_01jd0000000000000000000000"})
		if fieldOf(err) != "ownerId" {
			t.Errorf("owner not a member: %v", err)
		}
		if _, err := e.svc.SetApplicability(e.asA, compliance.ApplicabilityInput{ControlID: "CTL-GOV-02", Applicable: false, Justification: "done by the parent"}); err != nil {
			t.Fatal(err)
		}
		// Deciding again replaces the decision.
		if _, err := e.svc.SetApplicability(e.asA, compliance.ApplicabilityInput{ControlID: "CTL-GOV-02", Applicable: false, Justification: "done by the group"}); err != nil {
			t.Fatal(err)
		}
		views, err := e.svc.Controls(e.asA, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range views {
			if v.Control.ID == "CTL-GOV-02" && (v.Status != compliance.StatusNA || v.State.Justification != "done by the group") {
				t.Errorf("CTL-GOV-02 %+v", v)
			}
			if v.Control.ID == "CTL-IAM-01" && v.Status != compliance.StatusNotTested {
				t.Errorf("CTL-IAM-01 before any run: %s", v.Status)
			}
		}
		// The decision is audited.
		n, err := e.p.Client.AuditEntry.Query().Count(testenv.System("test"))
		if err != nil || n == 0 {
			t.Errorf("audit entries %d %v", n, err)
		}
		// Viewers read, only admins write.
		if _, err := e.svc.SetApplicability(testenv.As(e.a, opsward.RoleViewer), compliance.ApplicabilityInput{ControlID: "CTL-GOV-01", Applicable: true}); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Errorf("viewer writes: %v", err)
		}
		if _, err := e.svc.States(testenv.As(e.a, opsward.RoleViewer), ""); err != nil {
			t.Errorf("viewer reads: %v", err)
		}
	})
}

// One tenant never reaches another's compliance data.
func TestDifferentTenant(t *testing.T) {
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		e := newEnv(t, b, fixedSource{})
		if _, err := e.svc.SetApplicability(e.asA, compliance.ApplicabilityInput{ControlID: "CTL-GOV-02", Applicable: false, Justification: "x"}); err != nil {
			t.Fatal(err)
		}
		rep, err := e.svc.GenerateReport(e.asA, compliance.ReportRequest{Framework: "iso27001", Format: "json", Period: period})
		if err != nil {
			t.Fatal(err)
		}
		checks := map[string]error{}
		_, checks["states"] = e.svc.States(e.asB, e.a.ID)
		_, checks["controls"] = e.svc.Controls(e.asB, e.a.ID)
		_, checks["runs"] = e.svc.Runs(e.asB, e.a.ID, "", 10)
		_, checks["reports"] = e.svc.Reports(e.asB, e.a.ID, 10)
		_, checks["exceptions"] = e.svc.Exceptions(e.asB, e.a.ID)
		_, checks["generate"] = e.svc.GenerateReport(e.asB, compliance.ReportRequest{TenantID: e.a.ID, Framework: "iso27001", Format: "json", Period: period})
		_, checks["applicability"] = e.svc.SetApplicability(e.asB, compliance.ApplicabilityInput{TenantID: e.a.ID, ControlID: "CTL-GOV-01", Applicable: true})
		for what, err := range checks {
			if fieldOf(err) != "tenantId" {
				t.Errorf("%s of another tenant: %v, want a refusal naming tenantId", what, err)
			}
		}
		if _, _, err := e.svc.Download(e.asB, rep.ID); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Errorf("download another tenant's report: %v", err)
		}
		if _, err := e.svc.Posture(e.asA); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Errorf("a customer reads the posture table: %v", err)
		}
		// B's own view holds none of A's rows.
		states, err := e.svc.States(e.asB, "")
		if err != nil || len(states) != 0 {
			t.Errorf("B's states %v %v", states, err)
		}
		// The provider reaches both.
		if _, _, err := e.svc.Download(e.asProv, rep.ID); err != nil {
			t.Errorf("provider download: %v", err)
		}
		rows, err := e.svc.Posture(e.asProv)
		if err != nil || len(rows) != 2 {
			t.Fatalf("posture %v %v", rows, err)
		}
		for _, r := range rows {
			if r.TenantID == e.a.ID && (r.Failing != 7 || r.NotApplicable != 1) {
				t.Errorf("posture of A %+v", r)
			}
			if r.TenantID == e.b.ID && r.NotTested != len(compliance.Library()) {
				t.Errorf("posture of B (never run) %+v", r)
			}
		}
	})
}

func TestRunsAndReports(t *testing.T) {
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		e := newEnv(t, b, fixedSource{})
		runs, err := e.svc.RunTests(e.asA, "", period)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != len(compliance.Tests()) {
			t.Fatalf("%d runs", len(runs))
		}
		got, err := e.svc.Runs(e.asA, "", compliance.TestMFA, 5)
		if err != nil || len(got) != 1 {
			t.Fatalf("runs %v %v", got, err)
		}
		if _, sum := got[0].Snapshot.Encode(); sum != got[0].SHA256 || got[0].Snapshot.Failed != 1 {
			t.Errorf("stored snapshot does not hash to its SHA-256 or lost its failure: %+v", got[0])
		}
		// Runs cannot be changed, even by the application's role.
		if _, err := e.p.App.ExecContext(e.asA, e.p.Q(`UPDATE compliance_runs SET status = 'passing' WHERE tenant_id = ?`), e.a.ID); err == nil {
			t.Error("a stored run was changed")
		}
		// An access review recorded by a person passes CTL-IAM-03.
		if _, err := e.svc.Attest(e.asA, compliance.AttestationInput{Kind: compliance.KindAccessReview, Name: "Jane Roe", AttestedAt: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Attest(e.asA, compliance.AttestationInput{Kind: compliance.KindAccessReview, Name: "Jane Roe", AttestedAt: now.Add(time.Hour)}); fieldOf(err) != "attestedAt" {
			t.Errorf("attestation in the future: %v", err)
		}
		if _, err := e.svc.AddException(e.asA, compliance.ExceptionInput{ControlID: "CTL-IAM-02", Reason: "vendor", ExpiresAt: now.Add(-time.Hour)}); fieldOf(err) != "expiresAt" {
			t.Errorf("expired exception: %v", err)
		}
		if _, err := e.svc.AddException(e.asA, compliance.ExceptionInput{ControlID: "CTL-IAM-02", Reason: "vendor rotates in January", ExpiresAt: now.AddDate(0, 2, 0)}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			req   compliance.ReportRequest
			field string
		}{
			{compliance.ReportRequest{Framework: "cobit", Format: "pdf", Period: period}, "framework"},
			{compliance.ReportRequest{Framework: "soc2", Format: "docx", Period: period}, "format"},
			{compliance.ReportRequest{Framework: "soc2", Format: "pdf", Period: compliance.Period{From: period.To, To: period.From}}, "to"},
			{compliance.ReportRequest{Framework: "soc2", Format: "pdf", Period: compliance.Period{From: now.Add(time.Hour), To: now.Add(48 * time.Hour)}}, "from"},
		} {
			if _, err := e.svc.GenerateReport(e.asA, bad.req); fieldOf(err) != bad.field {
				t.Errorf("%+v: %v, want an error naming %s", bad.req, err, bad.field)
			}
		}
		for _, format := range []string{"json", "csv", "pdf"} {
			rep, err := e.svc.GenerateReport(e.asA, compliance.ReportRequest{Framework: "soc2", Format: format, Period: period})
			if err != nil {
				t.Fatal(err)
			}
			meta, file, err := e.svc.Download(e.asA, rep.ID)
			if err != nil || meta.SHA256 != rep.SHA256 || int64(len(file)) != rep.Size {
				t.Fatalf("download %+v %d %v", meta, len(file), err)
			}
			sig, err := e.svc.Verify(e.asA, file)
			if err != nil || sig.ReportID != rep.ID || sig.TenantID != e.a.ID {
				t.Fatalf("verify %+v %v", sig, err)
			}
			file[len(file)/2] ^= 0x20
			if _, err := e.svc.Verify(e.asA, file); err == nil {
				t.Errorf("%s: a changed byte still verifies", format)
			}
		}
		list, err := e.svc.Reports(e.asA, "", 10)
		if err != nil || len(list) != 3 {
			t.Errorf("reports %v %v", list, err)
		}
		// Each kept report is metered once, keyed by its id.
		var metered, kept int
		if err := e.p.Owner.QueryRowContext(context.Background(), e.p.Q(`SELECT count(*) FROM usage_events WHERE tenant_id = ? AND meter = 'compliance_reports'
AND idempotency_key IN (SELECT 'report:' || id FROM compliance_reports WHERE tenant_id = ?)`), e.a.ID, e.a.ID).Scan(&metered); err != nil {
			t.Fatal(err)
		}
		if err := e.p.Owner.QueryRowContext(context.Background(), e.p.Q(`SELECT count(*) FROM compliance_reports WHERE tenant_id = ?`), e.a.ID).Scan(&kept); err != nil {
			t.Fatal(err)
		}
		if metered != kept || kept != 3 {
			t.Errorf("%d reports kept, %d metered", kept, metered)
		}
		views, err := e.svc.Controls(e.asA, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range views {
			want := map[string]string{"CTL-IAM-03": compliance.StatusPassing, "CTL-IAM-01": compliance.StatusFailing}[v.Control.ID]
			if want != "" && v.Status != want {
				t.Errorf("%s is %s, want %s", v.Control.ID, v.Status, want)
			}
			if v.Control.ID == "CTL-IAM-02" && len(v.Exceptions) != 1 {
				t.Errorf("CTL-IAM-02 exceptions %v", v.Exceptions)
			}
		}
	})
}

// A generation that fails leaves nothing behind: no report and none of
// the runs it judged.
func TestFailedGenerationLeavesNothing(t *testing.T) {
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		e := newEnv(t, b, fixedSource{})
		count := func(table string) int {
			var n int
			if err := e.p.Owner.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// The report row is refused at the very end of the transaction.
		ddl := `CREATE TRIGGER refuse_reports BEFORE INSERT ON compliance_reports BEGIN SELECT RAISE(ABORT, 'disk full'); END`
		if e.p.Postgres() {
			ddl = `ALTER TABLE compliance_reports ADD CONSTRAINT refuse_reports CHECK (size < 0)`
		}
		if _, err := e.p.Owner.ExecContext(context.Background(), ddl); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.GenerateReport(e.asA, compliance.ReportRequest{Framework: "iso27001", Format: "pdf", Period: period}); err == nil {
			t.Fatal("generation succeeded with the report table refusing rows")
		}
		if n := count("compliance_runs") + count("compliance_reports"); n != 0 {
			t.Errorf("a failed generation left %d rows", n)
		}
		// A source that fails stops before anything is written too.
		e2 := newEnv(t, b, fixedSource{err: errors.New("noc down")})
		if _, err := e2.svc.GenerateReport(e2.asA, compliance.ReportRequest{Framework: "iso27001", Format: "pdf", Period: period}); err == nil {
			t.Fatal("generation succeeded without facts")
		}
	})
}

// The monthly job makes last month's reports of every customer once: a
// retry finds them kept and makes none.
func TestMonthlyReports(t *testing.T) {
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		e := newEnv(t, b, fixedSource{})
		rs, err := e.svc.GenerateMonthly(context.Background(), "2026-11")
		if err != nil || len(rs) != 2*len(compliance.DefaultFrameworks) {
			t.Fatalf("monthly %d reports %v", len(rs), err)
		}
		for _, r := range rs {
			if r.Format != compliance.FormatPDF || !r.Period.From.Equal(period.From) || !r.Period.To.Equal(period.To) {
				t.Errorf("report %+v", r)
			}
		}
		again, err := e.svc.GenerateMonthly(context.Background(), "2026-11")
		if err != nil || len(again) != 0 {
			t.Errorf("a retry made %d more reports (%v)", len(again), err)
		}
		if _, err := e.svc.GenerateMonthly(context.Background(), "2026-12"); fieldOf(err) != "to" {
			t.Errorf("a month not over yet: %v", err)
		}
		if _, err := e.svc.GenerateMonthly(context.Background(), "november"); fieldOf(err) != "month" {
			t.Errorf("a bad month: %v", err)
		}
	})
}

type fakeChannels map[string]bool

func (f fakeChannels) LoadChannel(_ context.Context, tenantID, id string) (notify.Channel, error) {
	if !f[tenantID+"/"+id] {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no channel")
	}
	return nil, nil
}

type fakeOutbox struct{ jobs []notify.Delivery }

func (f *fakeOutbox) EnqueueTx(_ context.Context, _ dispatch.Execer, _ string, args dispatch.JobArgs, _ *dispatch.EnqueueOpts) (string, error) {
	f.jobs = append(f.jobs, args.(notify.Delivery))
	return "job_1", nil
}

// A report is sent to the tenant's channels it names, in the report's
// transaction; a channel of another tenant is refused by name.
func TestReportSentToChannels(t *testing.T) {
	b := testenv.Backends()[0]
	p := testenv.NewPlatform(t, b, testenv.PlatformOptions{EmbeddedRedis: true})
	a, other := p.Customer(t, p.Provider, "acme"), p.Customer(t, p.Provider, "globex")
	out := &fakeOutbox{}
	svc, err := compliance.New(compliance.Config{Clock: func() time.Time { return now }},
		compliance.Deps{DB: p.App, Client: p.Client, Tenants: p.Tenants, Source: fixedSource{}, Sealer: p.Sealer,
			Channels: fakeChannels{a.ID + "/chn_a": true, other.ID + "/chn_b": true}, Outbox: out})
	if err != nil {
		t.Fatal(err)
	}
	as := testenv.As(a, opsward.RoleAdmin)
	_, err = svc.GenerateReport(as, compliance.ReportRequest{Framework: "soc2", Format: "pdf", Period: period, ChannelIDs: []string{"chn_a", "chn_b"}})
	if fieldOf(err) != "channelIds.1" || len(out.jobs) != 0 {
		t.Fatalf("another tenant's channel: %v, %d deliveries", err, len(out.jobs))
	}
	rep, err := svc.GenerateReport(as, compliance.ReportRequest{Framework: "soc2", Format: "pdf", Period: period, ChannelIDs: []string{"chn_a"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.jobs) != 1 {
		t.Fatalf("%d deliveries", len(out.jobs))
	}
	d := out.jobs[0]
	if err := d.Message.Validate(); err != nil || d.ChannelID != "chn_a" || d.Message.Ref.ID != rep.ID || !strings.Contains(d.Message.Summary, "failing") {
		t.Errorf("delivery %+v: %v", d, err)
	}
}
