package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/evidence"
	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/services/soc/cases"
	"github.com/opsward/opsward/tenants"
)

// Manual evidence on a control, through the API: kept with its SHA-256,
// every read in its chain of custody, cited by the reports, out of other
// tenants' reach, refused when too large or for an unknown control, and
// refused (with the refusal recorded) once its content has changed.
func TestComplianceControlEvidence(t *testing.T) {
	s := startAuthServer(t)
	ctx := context.Background()
	m := s.m
	pctx := tenants.Privileged(ctx, "test: control evidence")
	acme, globex := s.demo.Customers[0], s.demo.Customers[1]
	admin := isoActor{Name: "acme admin", Auth: "Bearer " + isoLogin(t, s.base, s.user(t, acme, "admin").Email, s.user(t, acme, "admin").Password).AccessToken}
	gAdmin := isoActor{Name: "globex admin", Auth: "Bearer " + isoLogin(t, s.base, s.user(t, globex, "admin").Email, s.user(t, globex, "admin").Password).AccessToken}

	const add = `mutation($c: String!, $n: String!, $b: String!) { addComplianceEvidence(controlId: $c, name: $n, contentType: "text/plain", contentBase64: $b) {
  evidence { id controlId caseId sha256 size case { id } } userErrors { field message } } }`
	policy := "Access control policy v3: reviewed quarterly by the security officer."
	d := isoMust(t, s.base, admin, add, map[string]any{"c": "CTL-IAM-03", "n": "access-policy.txt", "b": base64.StdEncoding.EncodeToString([]byte(policy))})
	ev := dig(d, "addComplianceEvidence", "evidence").(map[string]any)
	sum := sha256.Sum256([]byte(policy))
	if ev["controlId"] != "CTL-IAM-03" || ev["caseId"] != nil || ev["case"] != nil || ev["sha256"] != hex.EncodeToString(sum[:]) || ev["size"] != float64(len(policy)) {
		t.Fatalf("added evidence: %v", ev)
	}
	id := ev["id"].(string)

	// An unknown control, an empty file: refused naming the field, nothing kept.
	for _, c := range []struct{ control, b64, field string }{
		{"CTL-NOPE-99", base64.StdEncoding.EncodeToString([]byte("x")), "controlId"},
		{"CTL-IAM-03", "", "contentBase64"},
		{"CTL-IAM-03", "%%%", "contentBase64"},
	} {
		r, err := isoPost(ctx, s.base, admin, add, map[string]any{"c": c.control, "n": "f.txt", "b": c.b64})
		if err != nil {
			t.Fatal(err)
		}
		// A malformed file is a user error; an unknown control is not found.
		field := ""
		if ue, _ := dig(r.Data, "addComplianceEvidence", "userErrors").([]any); len(ue) == 1 {
			field = fieldPath(dig(ue[0], "field"))
		} else if len(r.Errors) == 1 {
			field = fmt.Sprint(r.Errors[0].Extensions["field"])
		}
		if !strings.HasSuffix(field, c.field) {
			t.Fatalf("control %q content %q: want a user error on %s, got %s", c.control, c.b64, c.field, r.Raw)
		}
	}
	// Over the size limit (the service's own check, below the HTTP body limit).
	actx := tenants.NewContext(ctx, &tenants.Actor{Kind: tenants.ActorUser, ID: opsward.NewID(opsward.PrefixUser),
		TenantID: acme.ID, TenantPath: mustPath(t, m, acme.ID), Roles: []opsward.Role{opsward.RoleAdmin}})
	_, err := m.Compliance.AddEvidence(actx, compliance.EvidenceInput{ControlID: "CTL-IAM-03", Name: "big.bin", Content: make([]byte, cases.MaxEvidenceSize+1)})
	var oe *opsward.Error
	if !errors.As(err, &oe) || oe.Code != opsward.ELIMIT || oe.Field != "contentBase64" {
		t.Fatalf("a file over the limit: %v", err)
	}
	if n, err := m.Client.Evidence.Query().Where(evidence.TenantID(acme.ID), evidence.ControlIDNotNil()).Count(pctx); err != nil || n != 1 {
		t.Fatalf("control evidence kept after the refusals: %d, %v", n, err)
	}

	// Listed, read twice: the chain of custody grows by a read each time.
	list := isoMust(t, s.base, admin, `{ complianceEvidence(controlId: "CTL-IAM-03") { id name sha256 custody { action } } }`, nil)
	if l := list["complianceEvidence"].([]any); len(l) != 1 || dig(l[0], "id") != id {
		t.Fatalf("complianceEvidence: %v", list)
	}
	const read = `query($id: ID!) { complianceEvidenceContent(id: $id) { contentBase64 evidence { id custody { action actorId sha256 } } } }`
	for want := 2; want <= 3; want++ {
		r := isoMust(t, s.base, admin, read, map[string]any{"id": id})
		got, _ := base64.StdEncoding.DecodeString(fmt.Sprint(dig(r, "complianceEvidenceContent", "contentBase64")))
		custody, _ := dig(r, "complianceEvidenceContent", "evidence", "custody").([]any)
		if string(got) != policy || len(custody) != want || dig(custody[want-1], "action") != cases.CustodyRead {
			t.Fatalf("read %d: %v", want-1, r)
		}
	}
	if n, err := m.Client.AuditEntry.Query().Where(auditentry.TargetID(id), auditentry.Action("compliance.evidence_read")).Count(pctx); err != nil || n != 2 {
		t.Fatalf("audited reads: %d, %v", n, err)
	}
	// Not a case's: the case path refuses it; another tenant does not find it.
	for _, c := range []struct {
		a isoActor
		q string
	}{
		{admin, `query($id: ID!) { evidenceContent(id: $id) { contentBase64 } }`},
		{gAdmin, read},
	} {
		r, err := isoPost(ctx, s.base, c.a, c.q, map[string]any{"id": id})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Errors) == 0 || strings.Contains(string(r.Raw), base64.StdEncoding.EncodeToString([]byte(policy))) {
			t.Fatalf("%s %s: %s", c.a.Name, firstWord(c.q), r.Raw)
		}
	}
	if l := isoMust(t, s.base, gAdmin, `{ complianceEvidence { id } }`, nil)["complianceEvidence"].([]any); len(l) != 0 {
		t.Fatalf("globex lists acme's evidence: %v", l)
	}

	// A report cites the file where its control counts.
	rep := isoMust(t, s.base, admin, `mutation($in: GenerateComplianceReportInput!) { generateComplianceReport(input: $in) { report { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"framework": "iso27001", "format": "json", "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}})
	dl := isoMust(t, s.base, admin, `query($id: ID!) { complianceReportFile(id: $id) { contentBase64 } }`,
		map[string]any{"id": dig(rep, "generateComplianceReport", "report", "id")})
	file, _ := base64.StdEncoding.DecodeString(fmt.Sprint(dig(dl, "complianceReportFile", "contentBase64")))
	var env struct {
		Report compliance.Report `json:"report"`
	}
	if err := json.Unmarshal(file, &env); err != nil {
		t.Fatal(err)
	}
	body := env.Report
	cited := false
	for _, c := range body.Controls {
		if c.ID == "CTL-IAM-03" && len(c.Files) == 1 && c.Files[0].ID == id && c.Files[0].SHA256 == hex.EncodeToString(sum[:]) {
			cited = true
		}
	}
	refs := 0
	for _, q := range body.Requirements {
		for _, e := range q.Evidence {
			if e == "file:"+id {
				refs++
			}
		}
	}
	if !cited || refs == 0 {
		t.Fatalf("the report does not cite the file (control %t, requirements %d): %s", cited, refs, file)
	}

	// Content changed behind the store's back: refused, and the refusal is
	// in the chain of custody.
	if _, err := m.DB.ExecContext(pctx, m.DB.Q(`UPDATE evidences SET content = ? WHERE id = ?`), []byte("Access control policy v4"), id); err != nil {
		t.Fatal(err)
	}
	r, err := isoPost(ctx, s.base, admin, read, map[string]any{"id": id})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) == 0 || !strings.Contains(string(r.Raw), "integrity check") {
		t.Fatalf("a changed file: %s", r.Raw)
	}
	e, err := m.Client.Evidence.Get(pctx, id)
	if err != nil {
		t.Fatal(err)
	}
	custody, err := cases.Custody(e)
	if err != nil || len(custody) != 4 || custody[3].Action != cases.CustodyIntegrityFailed {
		t.Fatalf("custody after the refused read: %+v, %v", custody, err)
	}
}

// The monthly reports follow the tenant's schedule: its frameworks, sent
// to its channels.
func TestComplianceReportSchedule(t *testing.T) {
	s := startAuthServer(t)
	ctx := context.Background()
	m := s.m
	pctx := tenants.Privileged(ctx, "test: report schedule")
	acme := s.demo.Customers[0]
	admin := isoActor{Name: "acme admin", Auth: "Bearer " + isoLogin(t, s.base, s.user(t, acme, "admin").Email, s.user(t, acme, "admin").Password).AccessToken}
	waitPlatformJobs(t, m, acme.ID)

	d := isoMust(t, s.base, admin, `{ complianceReportSchedule { frameworks channelIds set } }`, nil)
	if fmt.Sprint(dig(d, "complianceReportSchedule", "frameworks")) != "[iso27001 soc2]" || dig(d, "complianceReportSchedule", "set") != false {
		t.Fatalf("default schedule: %v", d)
	}
	ch := isoMust(t, s.base, admin, `mutation { createNotificationChannel(input: {name: "compliance reports", kind: "webhook",
  config: {url: "https://hooks.example.com/reports", secret: "0123456789abcdef"}}) { notificationChannel { id } userErrors { field message } } }`, nil)
	channel := dig(ch, "createNotificationChannel", "notificationChannel", "id").(string)
	const set = `mutation($in: ComplianceReportScheduleInput!) { setComplianceReportSchedule(input: $in) { schedule { frameworks channelIds set } userErrors { field message } } }`
	for _, c := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"frameworks": []string{"iso9001"}}, "frameworks.0"},
		{map[string]any{"frameworks": []string{"soc2", "soc2"}}, "frameworks.1"},
		{map[string]any{"frameworks": []string{"soc2"}, "channelIds": []string{"nch_nope"}}, "channelIds.0"},
	} {
		r, err := isoPost(ctx, s.base, admin, set, map[string]any{"in": c.in})
		if err != nil {
			t.Fatal(err)
		}
		ue, _ := dig(r.Data, "setComplianceReportSchedule", "userErrors").([]any)
		if len(ue) != 1 || !strings.HasSuffix(fieldPath(dig(ue[0], "field")), c.field) {
			t.Fatalf("%v: want a user error on %s, got %s", c.in, c.field, r.Raw)
		}
	}
	d = isoMust(t, s.base, admin, set, map[string]any{"in": map[string]any{"frameworks": []string{"pci-dss"}, "channelIds": []string{channel}}})
	if fmt.Sprint(dig(d, "setComplianceReportSchedule", "schedule", "frameworks")) != "[pci-dss]" {
		t.Fatalf("set schedule: %v", d)
	}

	month := lastMonth(time.Now())
	rs, err := m.Compliance.GenerateMonthly(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	var mine []compliance.StoredReport
	for _, r := range rs {
		if r.TenantID == acme.ID {
			mine = append(mine, r)
		}
	}
	if len(mine) != 1 || mine[0].Framework != "pci-dss" {
		t.Fatalf("acme's monthly reports after the schedule: %+v", mine)
	}
	a, err := m.Client.AuditEntry.Query().Where(auditentry.TargetID(mine[0].ID), auditentry.Action("compliance.report")).Only(pctx)
	if err != nil || !strings.Contains(a.Detail, "channels=1") {
		t.Fatalf("the monthly report's audit entry: %+v, %v", a, err)
	}
	// Run again: nothing new, nothing sent twice.
	if rs, err := m.Compliance.GenerateMonthly(ctx, month); err != nil || len(rs) != 0 {
		t.Fatalf("a second run made %d reports: %v", len(rs), err)
	}
	// No frameworks: no monthly reports.
	isoMust(t, s.base, admin, set, map[string]any{"in": map[string]any{"frameworks": []string{}}})
	if sched, err := m.Compliance.Schedule(pctx, acme.ID); err != nil || len(sched.Frameworks) != 0 || !sched.Set {
		t.Fatalf("schedule with no frameworks: %+v, %v", sched, err)
	}
}

func mustPath(t *testing.T, m *Main, tenantID string) string {
	t.Helper()
	p, err := m.Tenants.Path(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fieldPath writes a user error's field path with dots.
func fieldPath(v any) string {
	var parts []string
	if l, ok := v.([]any); ok {
		for _, p := range l {
			parts = append(parts, fmt.Sprint(p))
		}
	}
	return strings.Join(parts, ".")
}
