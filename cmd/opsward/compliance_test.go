package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/securitycase"
	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/tenants"
)

// A report generated through the API over the platform's own data: every
// figure in it is recomputed here from the raw rows (check results,
// incidents, alerts, cases) by a separate, simple implementation; the
// report downloads, verifies with `opsward report verify`, and a changed
// byte fails both the command and the GraphQL check.
func TestComplianceReportEndToEnd(t *testing.T) {
	s := startAuthServer(t)
	ctx := context.Background()
	m := s.m
	pctx := tenants.Privileged(ctx, "test: compliance data")
	acme := s.demo.Customers[0]
	admin := s.user(t, acme, "admin")
	tok := isoLogin(t, s.base, admin.Email, admin.Password)
	actor := isoActor{Name: "acme admin", Auth: "Bearer " + tok.AccessToken}

	now := time.Now().UTC()
	from := now.Truncate(24*time.Hour).AddDate(0, 0, -9)
	to := now.Truncate(time.Minute)

	// Check results every 10 minutes for the demo monitors, some down,
	// and an SLA on the front page.
	mons, err := m.Client.Monitor.Query().Where(monitor.TenantID(acme.ID)).Order(ent.Asc(monitor.FieldName)).All(pctx)
	if err != nil || len(mons) < 2 {
		t.Fatalf("demo monitors %d %v", len(mons), err)
	}
	target := 99.5
	if _, err := m.NOC.UpdateMonitor(pctx, mons[0].ID, monitoring.MonitorInput{SLATarget: &target}); err != nil {
		t.Fatal(err)
	}
	w, err := m.Results.NewWriter(results.WriterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for mi, mon := range mons {
		i := 0
		for at := from.Add(-time.Hour); at.Before(to.Add(time.Hour)); at = at.Add(10 * time.Minute) {
			st := probe.StatusUp
			switch {
			case i%(37+mi*20) == 0:
				st = probe.StatusDown
			case i%53 == 0:
				st = probe.StatusDegraded
			}
			if err := w.Write(ctx, results.Result{TenantID: acme.ID, MonitorID: mon.ID, CheckedAt: at, Status: st, Latency: time.Duration(20+i%7) * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			i++
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Results.Rollup(pctx, from.Add(-2*time.Hour), now); err != nil {
		t.Fatal(err)
	}

	// Incidents, alerts and cases at known times.
	at := func(d, h int) time.Time { return from.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour) }
	for i, sev := range []string{"critical", "high", "medium", "low"} {
		opened := at(i+1, 3)
		c := m.Client.Incident.Create().SetTenantID(acme.ID).SetTitle("outage " + sev).SetSeverity(incident.Severity(sev)).SetOpenedAt(opened).
			SetAckedAt(opened.Add(time.Duration(7*(i+1)) * time.Minute)).SetStatus(incident.StatusAcknowledged)
		if i < 3 {
			c.SetResolvedAt(opened.Add(time.Duration(i+2) * time.Hour)).SetStatus(incident.StatusResolved)
		}
		if err := c.Exec(pctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 9 {
		seen := at(i, 5)
		c := m.Client.Alert.Create().SetTenantID(acme.ID).SetSource("sigma").SetTitle(fmt.Sprintf("alert %d", i)).
			SetSeverity(alert.Severity([]string{"critical", "high", "medium", "low"}[i%4])).SetDedupKey(fmt.Sprintf("test-%d", i)).SetFirstSeen(seen).SetLastSeen(seen)
		if i%3 != 2 {
			c.SetAckedAt(seen.Add(time.Duration(10+i) * time.Minute)).SetStatus(alert.StatusAcknowledged)
		}
		if i%4 == 0 {
			c.SetClosedAt(seen.Add(time.Duration(2+i) * time.Hour)).SetStatus(alert.StatusClosedTruePositive)
		}
		if err := c.Exec(pctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		opened := at(i+2, 1)
		c := m.Client.SecurityCase.Create().SetTenantID(acme.ID).SetTitle(fmt.Sprintf("case %d", i)).SetSeverity(securitycase.SeverityHigh).
			SetOpenedAt(opened).SetAcknowledgedAt(opened.Add(time.Duration(15*(i+1)) * time.Minute))
		if i > 0 {
			c.SetContainedAt(opened.Add(time.Duration(i) * time.Hour))
		}
		if i == 2 {
			c.SetResolvedAt(opened.Add(6 * time.Hour)).SetStatus(securitycase.StatusClosed)
		}
		if err := c.Exec(pctx); err != nil {
			t.Fatal(err)
		}
	}

	// Generate through the API, download, verify.
	gen := isoMust(t, s.base, actor, `mutation($in: GenerateComplianceReportInput!) { generateComplianceReport(input: $in) { report { id sha256 size } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"framework": "iso27001", "format": "json", "from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339)}})
	rep, _ := gen["generateComplianceReport"].(map[string]any)["report"].(map[string]any)
	if rep == nil {
		t.Fatalf("generate: %v", gen)
	}
	dl := isoMust(t, s.base, actor, `query($id: ID!) { complianceReportFile(id: $id) { report { sha256 } contentBase64 } }`, map[string]any{"id": rep["id"]})
	file, err := base64.StdEncoding.DecodeString(dl["complianceReportFile"].(map[string]any)["contentBase64"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Report compliance.Report `json:"report"`
	}
	if err := json.Unmarshal(file, &env); err != nil {
		t.Fatal(err)
	}
	r := env.Report

	// The independent recomputation from raw rows.
	var figures, mismatches int
	check := func(what string, got, want any) {
		figures++
		if fmt.Sprint(got) != fmt.Sprint(want) {
			mismatches++
			t.Errorf("%s: report %v, raw rows %v", what, got, want)
		}
	}
	q := func(query string) string { return m.DB.Q(query) }
	withSLA, breaches := 0, 0
	for _, row := range r.Uptime.Monitors {
		var up, deg, down, all int64
		rows, err := m.DB.QueryContext(pctx, q(`SELECT status, count(*) FROM check_results WHERE tenant_id = ? AND monitor_id = ? AND checked_at >= ? AND checked_at < ? GROUP BY status`),
			acme.ID, row.MonitorID, m.DB.Time(from), m.DB.Time(to))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var st string
			var n int64
			if err := rows.Scan(&st, &n); err != nil {
				t.Fatal(err)
			}
			all += n
			switch st {
			case "up":
				up += n
			case "degraded":
				deg += n
			case "down":
				down += n
			}
		}
		rows.Close()
		check("checks of "+row.Name, row.Checks, all)
		check("down checks of "+row.Name, row.Down, down)
		if up+deg+down == 0 {
			check("uptime of "+row.Name, row.Uptime == nil, true)
			continue
		}
		u := math.Round(100*float64(up+deg)/float64(up+deg+down)*1000) / 1000
		check("uptime of "+row.Name, fmt.Sprintf("%.3f", *row.Uptime), fmt.Sprintf("%.3f", u))
		var sla *float64
		for _, mon := range mons {
			if mon.ID == row.MonitorID && mon.ID == mons[0].ID {
				sla = &target
			}
		}
		if sla != nil {
			withSLA++
			b := 100*float64(up+deg)/float64(up+deg+down) < *sla
			if b {
				breaches++
			}
			check("SLA breach of "+row.Name, row.Breached, b)
		}
	}
	check("monitors with an SLA", r.Uptime.WithSLA, withSLA)
	check("SLA breaches", r.Uptime.Breaches, breaches)

	mean := func(sum time.Duration, n int) int64 {
		if n == 0 {
			return 0
		}
		return int64(sum.Seconds()) / int64(n)
	}
	type span struct{ start, a, b *time.Time }
	times := func(query string) []span {
		// ent's own tables keep times in the driver's form on both dialects.
		rows, err := m.DB.QueryContext(pctx, q(query), acme.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []span
		for rows.Next() {
			var s, a, b time.Time
			if err := rows.Scan(batch.ScanTime(&s), batch.ScanTime(&a), batch.ScanTime(&b)); err != nil {
				t.Fatal(err)
			}
			sp := span{start: &s}
			if !a.IsZero() {
				sp.a = &a
			}
			if !b.IsZero() {
				sp.b = &b
			}
			out = append(out, sp)
		}
		return out
	}
	sums := func(ss []span) (int, int, int64, int64) {
		var na, nb int
		var da, db time.Duration
		for _, s := range ss {
			if s.a != nil {
				na++
				da += s.a.Sub(*s.start)
			}
			if s.b != nil {
				nb++
				db += s.b.Sub(*s.start)
			}
		}
		return na, nb, mean(da, na), mean(db, nb)
	}
	inc := times(`SELECT opened_at, acked_at, resolved_at FROM incidents WHERE tenant_id = ? AND opened_at >= ? AND opened_at < ? AND suppressed = false`)
	na, nb, mtta, mttr := sums(inc)
	check("incidents", r.Incidents.Count, len(inc))
	check("incidents acknowledged", r.Incidents.Acked, na)
	check("incidents resolved", r.Incidents.Resolved, nb)
	check("MTTA", r.Incidents.MTTASeconds, mtta)
	check("MTTR", r.Incidents.MTTRSeconds, mttr)
	al := times(`SELECT first_seen, acked_at, closed_at FROM alerts WHERE tenant_id = ? AND first_seen >= ? AND first_seen < ?`)
	na, nb, mack, mclose := sums(al)
	check("alerts", r.Alerts.Count, len(al))
	check("alerts acknowledged", r.Alerts.Acked, na)
	check("alerts closed", r.Alerts.Closed, nb)
	check("mean time to acknowledge alerts", r.Alerts.MeanAckSeconds, mack)
	check("mean time to close alerts", r.Alerts.MeanCloseSeconds, mclose)
	var hc int
	if err := m.DB.QueryRowContext(pctx, q(`SELECT count(*) FROM alerts WHERE tenant_id = ? AND first_seen >= ? AND first_seen < ? AND severity IN ('high', 'critical')`),
		acme.ID, from, to).Scan(&hc); err != nil {
		t.Fatal(err)
	}
	check("high and critical alerts", r.Alerts.HighCriticalCount, hc)
	perWeek := map[string]int{}
	for _, s := range al {
		d := s.start.UTC().Truncate(24 * time.Hour)
		for d.Weekday() != time.Monday {
			d = d.AddDate(0, 0, -1)
		}
		perWeek[d.Format(time.DateOnly)]++
	}
	for _, wk := range r.Alerts.PerWeek {
		check("alerts in the week of "+wk.Start, wk.Count, perWeek[wk.Start])
	}
	cs := times(`SELECT opened_at, acknowledged_at, contained_at FROM security_cases WHERE tenant_id = ? AND opened_at >= ? AND opened_at < ?`)
	na, nb, cack, ccon := sums(cs)
	check("cases", r.Cases.Count, len(cs))
	check("cases acknowledged", r.Cases.Acked, na)
	check("cases contained", r.Cases.Contained, nb)
	check("mean time to acknowledge cases", r.Cases.MeanAckSeconds, cack)
	check("mean time to contain cases", r.Cases.MeanContainSeconds, ccon)
	cr := times(`SELECT opened_at, resolved_at, resolved_at FROM security_cases WHERE tenant_id = ? AND opened_at >= ? AND opened_at < ?`)
	_, nb, _, cres := sums(cr)
	check("cases resolved", r.Cases.Resolved, nb)
	check("mean time to resolve cases", r.Cases.MeanResolveSeconds, cres)
	fmt.Printf("compliance-recompute: figures=%d mismatches=%d\n", figures, mismatches)
	if figures < 25 || r.Incidents.Count == 0 || r.Alerts.Count == 0 || len(r.Uptime.Monitors) == 0 {
		t.Errorf("only %d figures recomputed: the data set proves little (%+v)", figures, r.Incidents)
	}

	// `opsward report verify FILE`, and a changed byte.
	cfg := m.Config
	envv := map[string]string{"OPSWARD_DATA_DIR": cfg.DataDir, "OPSWARD_LOG_LEVEL": "warn", "OPSWARD_DEMO": "off"}
	if !cfg.Embedded() {
		envv["OPSWARD_DATABASE_URL"], envv["OPSWARD_REDIS_URL"], envv["OPSWARD_REDIS_PREFIX"] = cfg.DatabaseURL, cfg.RedisURL, cfg.RedisPrefix
	}
	getenv := func(k string) string { return envv[k] }
	path := filepath.Join(t.TempDir(), "report.json")
	os.WriteFile(path, file, 0o644)
	var out, errs bytes.Buffer
	if code := run(ctx, []string{"report", "verify", path}, getenv, &out, &errs); code != 0 || !strings.Contains(out.String(), "verified") {
		t.Fatalf("report verify: exit %d: %s %s", code, out.String(), errs.String())
	}
	bad := bytes.Clone(file)
	bad[len(bad)/3] ^= 0x01
	os.WriteFile(path, bad, 0o644)
	out.Reset()
	errs.Reset()
	if code := run(ctx, []string{"report", "verify", path}, getenv, &out, &errs); code == 0 {
		t.Fatalf("a changed byte verified: %s", out.String())
	}
	v := isoMust(t, s.base, actor, `query($f: String!) { verifyComplianceReport(contentBase64: $f) { valid reason } }`,
		map[string]any{"f": base64.StdEncoding.EncodeToString(bad)})
	if vv := v["verifyComplianceReport"].(map[string]any); vv["valid"] != false || vv["reason"] == nil {
		t.Errorf("GraphQL verify of a changed file: %v", vv)
	}
	v = isoMust(t, s.base, actor, `query($f: String!) { verifyComplianceReport(contentBase64: $f) { valid reportId } }`,
		map[string]any{"f": base64.StdEncoding.EncodeToString(file)})
	if vv := v["verifyComplianceReport"].(map[string]any); vv["valid"] != true || vv["reportId"] != rep["id"] {
		t.Errorf("GraphQL verify: %v", vv)
	}
}
