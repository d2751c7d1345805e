package compliance_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/tenants/authn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var period = compliance.Period{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}

// fixtureFacts is the fixed data set of the golden report: a tenant with
// a server, a website, a backup job and a firewall; some incidents,
// alerts and cases; one admin without MFA and an old API key.
func fixtureFacts() *compliance.Facts {
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, time.UTC) }
	dur := func(d time.Duration) *time.Duration { return &d }
	return &compliance.Facts{
		TenantID: "ten_acme", TenantName: "Acme Ltd", Now: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC),
		Assets: []compliance.AssetFact{
			{ID: "ast_fw", Name: "Edge firewall", Kind: "network_device", Criticality: "critical"},
			{ID: "ast_srv", Name: "app-01", Kind: "host", Criticality: "high", LastLogAt: ptr(time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC))},
			{ID: "ast_db", Name: "db-01", Kind: "host", Criticality: "high"},
			{ID: "ast_web", Name: "www.acme.test", Kind: "website", Criticality: "medium"},
			{ID: "ast_bak", Name: "Backups", Kind: "application", Criticality: "low", Tags: []string{"backup"}},
		},
		Monitors: []compliance.MonitorFact{
			{ID: "mon_fw", Name: "Firewall ping", AssetID: "ast_fw", Kind: "ping", Status: "up", Up: 8630, Down: 10, HasData: true, Uptime: 100 * 8630.0 / 8640, SLATarget: ptr(99.9)},
			{ID: "mon_app", Name: "app-01 health", AssetID: "ast_srv", Kind: "server_health", Status: "up", Up: 8000, Degraded: 540, Down: 100, HasData: true, Uptime: 100 * 8540.0 / 8640, SLATarget: ptr(99.5), Breached: true},
			{ID: "mon_web", Name: "www https", AssetID: "ast_web", Kind: "http", Status: "up", Up: 43190, Down: 10, Maintenance: 5, HasData: true, Uptime: 100 * 43190.0 / 43200},
			{ID: "mon_tls", Name: "www certificate", AssetID: "ast_web", Kind: "tls", Status: "up", Up: 720, HasData: true, Uptime: 100, CertNotAfter: ptr(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))},
			{ID: "mon_bak", Name: "Nightly backup", AssetID: "ast_bak", Kind: "heartbeat", Status: "up", Up: 30, HasData: true, Uptime: 100},
		},
		Incidents: []compliance.IncidentFact{
			{ID: "inc_1", Title: "Firewall unreachable", Severity: "critical", OpenedAt: at(3, 2, 0), AckedAt: ptr(at(3, 2, 9)), ResolvedAt: ptr(at(3, 3, 40))},
			{ID: "inc_2", Title: "app-01 down", Severity: "high", OpenedAt: at(12, 14, 0), AckedAt: ptr(at(12, 14, 45)), ResolvedAt: ptr(at(12, 23, 0))},
			{ID: "inc_3", Title: "www slow", Severity: "medium", OpenedAt: at(20, 9, 0), AckedAt: ptr(at(20, 10, 0))},
		},
		Alerts: []compliance.AlertFact{
			{ID: "alr_1", Title: "Brute force on app-01", Severity: "high", Status: "closed_true_positive", FirstSeen: at(2, 1, 0), AckedAt: ptr(at(2, 1, 20)), ClosedAt: ptr(at(2, 5, 0))},
			{ID: "alr_2", Title: "Encoded PowerShell", Severity: "critical", Status: "acknowledged", FirstSeen: at(9, 12, 0), AckedAt: ptr(at(9, 12, 40))},
			{ID: "alr_3", Title: "Port scan", Severity: "low", Status: "new", FirstSeen: at(9, 13, 0)},
			{ID: "alr_4", Title: "Known bad IP", Severity: "medium", Status: "closed_benign", FirstSeen: at(25, 8, 0), ClosedAt: ptr(at(25, 9, 0))},
		},
		Cases: []compliance.CaseFact{
			{ID: "cas_1", Title: "Credential attack on app-01", Severity: "high", OpenedAt: at(2, 1, 5),
				Detect: dur(12 * time.Minute), Acknowledge: dur(15 * time.Minute), Contain: dur(2 * time.Hour), Resolve: dur(4 * time.Hour)},
			{ID: "cas_2", Title: "PowerShell on db-01", Severity: "critical", OpenedAt: at(9, 12, 5), Acknowledge: dur(35 * time.Minute)},
		},
		Members: []compliance.MemberFact{
			{MembershipID: "mem_1", UserID: "usr_1", Email: "owner@acme.test", Role: "owner", MFA: true},
			{MembershipID: "mem_2", UserID: "usr_2", Email: "admin@acme.test", Role: "admin"},
			{MembershipID: "mem_3", UserID: "usr_3", Email: "viewer@acme.test", Role: "viewer"},
		},
		APIKeys: []compliance.KeyFact{{ID: "key_1", Name: "siem export", CreatedAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}},
		Audit:   compliance.AuditFact{Checked: 42},
		RulesByTactic: map[string]int{"initial_access": 3, "execution": 9, "persistence": 4, "privilege_escalation": 2,
			"defense_evasion": 6, "credential_access": 5, "discovery": 2, "lateral_movement": 1, "collection": 1,
			"command_and_control": 2, "exfiltration": 1, "impact": 1},
		MonthlyUptime:    []compliance.MonthUptime{{Month: "2026-11", Uptime: 99.713, HasData: true}},
		LastAccessReview: ptr(time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)),
	}
}

func fixtureReport(t *testing.T, fw string) *compliance.Report {
	t.Helper()
	f, err := compliance.FrameworkByID(fw)
	if err != nil {
		t.Fatal(err)
	}
	r, err := compliance.BuildReport(compliance.ReportInput{
		ID: "rpt_fixture", Framework: f, Period: period, GeneratedAt: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC),
		Facts: fixtureFacts(), Policy: compliance.DefaultPolicy(),
		States: []compliance.ControlState{{ControlID: "CTL-GOV-02", Applicable: false, Justification: "Staff training is run by the customer's parent company"}},
		Exceptions: []compliance.Exception{{ID: "exc_1", TenantID: "ten_acme", ControlID: "CTL-IAM-02", Reason: "SIEM vendor rotates keys in January",
			ExpiresAt: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), CreatedAt: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}},
		Attestations: []compliance.Attestation{{ID: "att_1", ControlID: "CTL-GOV-01", Kind: compliance.KindAttestation, Name: "Jane Roe, CISO",
			AttestedAt: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The JSON report of the fixed data set equals its golden file
// (go test -run TestGoldenJSONReport -update rewrites it).
func TestGoldenJSONReport(t *testing.T) {
	for _, fw := range []string{"iso27001", "soc2"} {
		got, err := fixtureReport(t, fw).JSON()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "report-"+fw+".golden.json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s report differs from %s (run with -update after checking the change)", fw, path)
		}
	}
}

// The figures a reader checks, worked out by hand from the fixture.
func TestReportFigures(t *testing.T) {
	r := fixtureReport(t, "iso27001")
	// MTTA: 9, 45 and 60 minutes; MTTR: 100 minutes and 9 hours.
	if r.Incidents.Count != 3 || r.Incidents.MTTASeconds != 38*60 || r.Incidents.MTTRSeconds != (100*60+9*3600)/2 {
		t.Errorf("incidents %+v", r.Incidents)
	}
	if r.Alerts.Count != 4 || r.Alerts.HighCriticalCount != 2 || r.Alerts.MeanAckSeconds != 30*60 || r.Alerts.Acked != 2 {
		t.Errorf("alerts %+v", r.Alerts)
	}
	if r.Uptime.WithSLA != 2 || r.Uptime.Breaches != 1 {
		t.Errorf("uptime %+v", r.Uptime)
	}
	if r.Cases.MeanAckSeconds != 25*60 || r.Cases.MeanContainSeconds != 7200 || r.Cases.Detected != 1 {
		t.Errorf("cases %+v", r.Cases)
	}
	status := map[string]string{}
	for _, c := range r.Controls {
		status[c.ID] = c.Status
	}
	want := map[string]string{"CTL-ASSET-01": "failing", "CTL-IAM-01": "failing", "CTL-IAM-02": "failing", "CTL-AVAIL-01": "failing", "CTL-LOG-01": "failing",
		"CTL-INC-01": "failing", "CTL-SOC-01": "failing", "CTL-GOV-01": "passing", "CTL-GOV-02": "not_applicable",
		"CTL-LOG-02": "passing", "CTL-BACKUP-01": "passing", "CTL-CRYPTO-01": "passing", "CTL-DET-01": "passing", "CTL-IAM-03": "passing"}
	for id, s := range want {
		if status[id] != s {
			t.Errorf("control %s is %s, want %s", id, status[id], s)
		}
	}
	if r.Posture.Excepted != 1 || len(r.Exceptions) != 1 {
		t.Errorf("posture %+v exceptions %v", r.Posture, r.Exceptions)
	}
	if len(r.Requirements) != 93 {
		t.Errorf("%d ISO requirements in the report, want 93", len(r.Requirements))
	}
	// Six weeks touch November 2026 (Mondays 26 Oct to 30 Nov) and the
	// alerts fall in three of them.
	if len(r.Alerts.PerWeek) != 6 || r.Alerts.PerWeek[1].Count != 1 || r.Alerts.PerWeek[2].Count != 2 {
		t.Errorf("alerts per week %+v", r.Alerts.PerWeek)
	}
}

func testRing(t *testing.T) *authn.KeyRing {
	t.Helper()
	r, err := authn.GenerateKeyRing(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Every format signs and verifies; any changed byte fails verification,
// and another key ring does not verify it.
func TestSignedReportsVerify(t *testing.T) {
	ring := testRing(t)
	r := fixtureReport(t, "soc2")
	for _, format := range []string{"json", "csv", "pdf"} {
		t.Run(format, func(t *testing.T) {
			body, err := r.Render(format)
			if err != nil {
				t.Fatal(err)
			}
			file, sig, err := compliance.Seal(ring, body, compliance.Signature{ReportID: r.ID, TenantID: r.Tenant.ID, Framework: r.Framework.ID,
				Format: format, From: r.Period.From, To: r.Period.To})
			if err != nil {
				t.Fatal(err)
			}
			got, err := compliance.Verify(ring, file, time.Now())
			if err != nil || got.SHA256 != sig.SHA256 || got.ReportID != r.ID {
				t.Fatalf("verify: %+v %v", got, err)
			}
			if format == "json" && !json.Valid(file) {
				t.Error("a signed JSON report is not JSON")
			}
			// Change bytes spread over the whole file, one at a time.
			step := max(len(file)/97, 1)
			for i := 0; i < len(file); i += step {
				bad := bytes.Clone(file)
				bad[i] ^= 0x01
				if _, err := compliance.Verify(ring, bad, time.Now()); err == nil {
					t.Fatalf("byte %d of %d changed and the report still verifies", i, len(file))
				}
			}
			if _, err := compliance.Verify(testRing(t), file, time.Now()); err == nil {
				t.Error("a report verifies with a key ring that did not sign it")
			}
		})
	}
}

// The PDF opens, has its pages, its text holds the figures, and every
// page renders to a non-blank image.
func TestPDFReport(t *testing.T) {
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (poppler-utils; .ci/run installs it): %v", tool, err)
		}
	}
	r := fixtureReport(t, "iso27001")
	body, err := r.PDF()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(pdfPath, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", pdfPath, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"ISO/IEC 27001:2022 Annex A compliance report", "Acme Ltd", "ten_acme",
		fmt.Sprintf("Incidents: %d", r.Incidents.Count), "MTTA: 38m0s", "MTTR: 5h20m0s",
		fmt.Sprintf("Security alerts: %d", r.Alerts.Count), "High/critical: 2",
		"SLA breaches: 1", "Uptime per month", "Security alerts per week", "99.713%",
		"A.8.16", "CTL-IAM-01", "admin@acme.test", "Statement of Applicability", "SIEM vendor rotates keys",
		"Passing: 6", "Failing: 7",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	if err := exec.Command("pdftoppm", "-r", "30", "-png", pdfPath, filepath.Join(dir, "page")).Run(); err != nil {
		t.Fatalf("pdftoppm: %v", err)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) < 4 {
		t.Fatalf("%d pages rendered, want at least 4 (cover, charts, tables)", len(pages))
	}
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		dark := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0xc000 {
					dark++
				}
			}
		}
		if dark < 50 {
			t.Errorf("page %s is blank (%d dark pixels)", filepath.Base(p), dark)
		}
	}
}
