package compliance_test

import (
	"testing"
	"time"

	"github.com/opsward/opsward/services/compliance"
)

var now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func ago(d time.Duration) *time.Time { return ptr(now.Add(-d)) }

// Each automated test has a fixture that passes and one that fails, and
// the failing one names the resource at fault.
func TestAutomatedTestFixtures(t *testing.T) {
	const h, d = time.Hour, 24 * time.Hour
	base := func() *compliance.Facts { return &compliance.Facts{TenantID: "ten_a", Now: now} }
	opened := now.Add(-48 * h)
	cases := []struct {
		test       string
		pass, fail func(f *compliance.Facts)
		failing    string
	}{
		{compliance.TestAssetMonitored,
			func(f *compliance.Facts) {
				f.Assets = []compliance.AssetFact{{ID: "ast_1", Criticality: "critical"}, {ID: "ast_2", Criticality: "low"}}
				f.Monitors = []compliance.MonitorFact{{ID: "mon_1", AssetID: "ast_1"}}
			},
			func(f *compliance.Facts) {
				f.Assets = []compliance.AssetFact{{ID: "ast_1", Criticality: "high"}}
				f.Monitors = []compliance.MonitorFact{{ID: "mon_1", AssetID: "ast_1", Paused: true}}
			}, "ast_1"},
		{compliance.TestSLAMet,
			func(f *compliance.Facts) {
				f.Monitors = []compliance.MonitorFact{{ID: "mon_1", SLATarget: ptr(99.9), HasData: true, Uptime: 99.95}}
			},
			func(f *compliance.Facts) {
				f.Monitors = []compliance.MonitorFact{{ID: "mon_1", SLATarget: ptr(99.9), HasData: true, Uptime: 99.0, Breached: true}}
			}, "mon_1"},
		{compliance.TestIncidentAck,
			func(f *compliance.Facts) {
				f.Incidents = []compliance.IncidentFact{{ID: "inc_1", Severity: "critical", OpenedAt: opened, AckedAt: ptr(opened.Add(10 * time.Minute))}}
			},
			func(f *compliance.Facts) {
				f.Incidents = []compliance.IncidentFact{{ID: "inc_1", Severity: "critical", OpenedAt: opened, AckedAt: ptr(opened.Add(20 * time.Minute))}}
			}, "inc_1"},
		{compliance.TestIncidentResolve,
			func(f *compliance.Facts) {
				f.Incidents = []compliance.IncidentFact{{ID: "inc_1", Severity: "high", OpenedAt: opened, ResolvedAt: ptr(opened.Add(7 * h))}}
			},
			func(f *compliance.Facts) {
				f.Incidents = []compliance.IncidentFact{{ID: "inc_1", Severity: "high", OpenedAt: opened}} // open 48 h
			}, "inc_1"},
		{compliance.TestAlertTriage,
			func(f *compliance.Facts) {
				f.Alerts = []compliance.AlertFact{{ID: "alr_1", Severity: "high", FirstSeen: opened, ClosedAt: ptr(opened.Add(50 * time.Minute))},
					{ID: "alr_2", Severity: "low", FirstSeen: opened}}
			},
			func(f *compliance.Facts) {
				f.Alerts = []compliance.AlertFact{{ID: "alr_1", Severity: "critical", FirstSeen: opened, AckedAt: ptr(opened.Add(time.Hour))}}
			}, "alr_1"},
		{compliance.TestLogCoverage,
			func(f *compliance.Facts) {
				f.Assets = []compliance.AssetFact{{ID: "ast_1", Kind: "host", LastLogAt: ago(2 * h)}, {ID: "ast_2", Kind: "website"}}
			},
			func(f *compliance.Facts) {
				f.Assets = []compliance.AssetFact{{ID: "ast_1", Kind: "host", LastLogAt: ago(25 * h)}}
			}, "ast_1"},
		{compliance.TestAuditChain,
			func(f *compliance.Facts) { f.Audit = compliance.AuditFact{Checked: 12} },
			func(f *compliance.Facts) {
				f.Audit = compliance.AuditFact{Checked: 12, Problems: []string{"entry 4: content does not match its hash"}}
			}, "ten_a"},
		{compliance.TestMFA,
			func(f *compliance.Facts) {
				f.Members = []compliance.MemberFact{{MembershipID: "mem_1", Role: "owner", MFA: true}, {MembershipID: "mem_2", Role: "viewer"}}
			},
			func(f *compliance.Facts) {
				f.Members = []compliance.MemberFact{{MembershipID: "mem_1", Role: "admin"}}
			}, "mem_1"},
		{compliance.TestAPIKeyAge,
			func(f *compliance.Facts) {
				f.APIKeys = []compliance.KeyFact{{ID: "key_1", CreatedAt: now.Add(-89 * d)}}
			},
			func(f *compliance.Facts) {
				f.APIKeys = []compliance.KeyFact{{ID: "key_1", CreatedAt: now.Add(-91 * d)}}
			},
			"key_1"},
		{compliance.TestAccessReview,
			func(f *compliance.Facts) { f.LastAccessReview = ago(30 * d) },
			func(f *compliance.Facts) { f.LastAccessReview = ago(120 * d) },
			"ten_a"},
		{compliance.TestTLSExpiry,
			func(f *compliance.Facts) {
				f.Monitors = []compliance.MonitorFact{{ID: "mon_1", Kind: "tls", CertNotAfter: ptr(now.Add(60 * d))}}
			},
			func(f *compliance.Facts) {
				f.Monitors = []compliance.MonitorFact{{ID: "mon_1", Kind: "tls", CertNotAfter: ptr(now.Add(10 * d))}}
			}, "mon_1"},
		{compliance.TestBackupHeartbeat,
			func(f *compliance.Facts) {
				f.Monitors = []compliance.MonitorFact{{ID: "mon_1", Name: "Nightly backup", Kind: "heartbeat", Status: "up"}}
			},
			func(f *compliance.Facts) {
				f.Assets = []compliance.AssetFact{{ID: "ast_b", Tags: []string{"backup"}}}
				f.Monitors = []compliance.MonitorFact{{ID: "mon_1", AssetID: "ast_b", Name: "job", Kind: "heartbeat", Status: "down"}}
			}, "mon_1"},
		{compliance.TestDetectionCoverage,
			func(f *compliance.Facts) {
				f.RulesByTactic = map[string]int{}
				for _, t := range compliance.DefaultPolicy().Tactics {
					f.RulesByTactic[t] = 2
				}
			},
			func(f *compliance.Facts) {
				f.RulesByTactic = map[string]int{}
				for _, t := range compliance.DefaultPolicy().Tactics {
					f.RulesByTactic[t] = 2
				}
				delete(f.RulesByTactic, "exfiltration")
			}, "attack.exfiltration"},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.test] = true
		t.Run(c.test, func(t *testing.T) {
			tt, err := compliance.TestByID(c.test)
			if err != nil {
				t.Fatal(err)
			}
			p := compliance.DefaultPolicy()
			f := base()
			c.pass(f)
			if rs := tt.Evaluate(f, p); compliance.StatusOf(rs) != compliance.StatusPassing {
				t.Errorf("passing fixture: %s %+v", compliance.StatusOf(rs), rs)
			}
			f = base()
			c.fail(f)
			rs := tt.Evaluate(f, p)
			if compliance.StatusOf(rs) != compliance.StatusFailing {
				t.Fatalf("failing fixture: %s %+v", compliance.StatusOf(rs), rs)
			}
			for _, r := range rs {
				if !r.Pass && (r.Resource != c.failing || r.Reason == "") {
					t.Errorf("failing result %+v, want resource %s with a reason", r, c.failing)
				}
			}
		})
	}
	for _, tt := range compliance.Tests() {
		if !covered[tt.ID] {
			t.Errorf("automated test %s has no fixtures", tt.ID)
		}
	}
}

func TestSnapshotHashChangesWithResults(t *testing.T) {
	tt, _ := compliance.TestByID(compliance.TestMFA)
	f := &compliance.Facts{TenantID: "ten_a", Now: now, Members: []compliance.MemberFact{{MembershipID: "mem_1", Role: "owner", MFA: true}}}
	p := compliance.Period{From: now.Add(-24 * time.Hour), To: now}
	_, h1 := tt.Snapshot(f, compliance.DefaultPolicy(), p, now).Encode()
	_, again := tt.Snapshot(f, compliance.DefaultPolicy(), p, now).Encode()
	f.Members[0].MFA = false
	s := tt.Snapshot(f, compliance.DefaultPolicy(), p, now)
	_, h2 := s.Encode()
	if h1 != again || h1 == h2 || len(h1) != 64 {
		t.Errorf("hashes %s %s %s: want stable for the same results, different for others", h1, again, h2)
	}
	if len(s.Failing()) != 1 || s.Failed != 1 || s.Status != compliance.StatusFailing {
		t.Errorf("snapshot %+v", s)
	}
}

func TestPeriodValidation(t *testing.T) {
	for _, c := range []struct {
		p     compliance.Period
		field string
	}{
		{compliance.Period{From: now, To: now.Add(-time.Hour)}, "to"},
		{compliance.Period{From: now.Add(time.Hour), To: now.Add(2 * time.Hour)}, "from"},
		{compliance.Period{From: now.Add(-time.Hour), To: now.Add(time.Hour)}, "to"},
		{compliance.Period{To: now}, "from"},
		{compliance.Period{From: now.AddDate(-2, 0, 0), To: now}, "to"},
	} {
		err := c.p.Validate(now)
		if err == nil || fieldOf(err) != c.field {
			t.Errorf("%v: %v, want an error naming %s", c.p, err, c.field)
		}
	}
	if err := (compliance.Period{From: now.AddDate(0, -1, 0), To: now}).Validate(now); err != nil {
		t.Errorf("a past month: %v", err)
	}
	ms := compliance.Period{From: time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}.Months()
	if len(ms) != 2 || !ms[0].From.Equal(time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)) || !ms[1].From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("months %v", ms)
	}
}
