package cases_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/ent/securitycase"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/soc/cases"
)

func TestOpenFromAlerts(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		t0 := e.clock()
		a1 := e.alert(t, e.acme, "Brute force", alert.SeverityMedium, t0.Add(-10*time.Minute))
		a2 := e.alert(t, e.acme, "Admin logon from new country", alert.SeverityHigh, t0.Add(-5*time.Minute))

		c, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "  Account takeover  ", AlertIDs: []string{a2.ID, a1.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Title != "Account takeover" || c.TenantID != e.acme.ID || c.Status != securitycase.StatusNew {
			t.Fatalf("case %+v", c)
		}
		if c.Severity != securitycase.SeverityHigh {
			t.Fatalf("severity %s, want the highest of the alerts (high)", c.Severity)
		}
		if c.DetectedAt == nil || !c.DetectedAt.Equal(a1.FirstSeen) || !c.OpenedAt.Equal(t0) {
			t.Fatalf("detected %v opened %v, want %v and %v", c.DetectedAt, c.OpenedAt, a1.FirstSeen, t0)
		}
		for _, id := range []string{a1.ID, a2.ID} {
			a, err := e.client.Alert.Get(system, id)
			if err != nil {
				t.Fatal(err)
			}
			if a.CaseID == nil || *a.CaseID != c.ID {
				t.Fatalf("alert %s case %v, want %s", id, a.CaseID, c.ID)
			}
		}
		got, err := e.cases.Alerts(ctx, c.ID)
		if err != nil || len(got) != 2 || got[0].ID != a1.ID || got[1].ID != a2.ID {
			t.Fatalf("alerts %v, %v", got, err)
		}
		tl := e.timeline(t, c.ID)
		if len(tl) != 3 || tl[0].Kind != caseentry.KindAlert || tl[0].RefID != a1.ID || !tl[0].At.Equal(a1.FirstSeen) ||
			tl[1].Kind != caseentry.KindAlert || tl[1].RefID != a2.ID || tl[2].Kind != caseentry.KindStatusChange {
			t.Fatalf("timeline %v", tl)
		}
		if e.audits(t, e.acme.ID, "case.create", c.ID) != 1 || e.changeCount() != 1 {
			t.Fatalf("audit %d, changes %d", e.audits(t, e.acme.ID, "case.create", c.ID), e.changeCount())
		}

		// An alert is in one case at most.
		_, err = e.cases.CreateCase(ctx, cases.CaseInput{Title: "again", AlertIDs: []string{a1.ID}})
		wantField(t, err, "alertIds.0")
		wantCode(t, err, opsward.ECONFLICT)
		// Adding an alert already in this case changes nothing.
		before := len(e.timeline(t, c.ID))
		if _, err := e.cases.AddAlerts(ctx, c.ID, []string{a1.ID}); err != nil {
			t.Fatal(err)
		}
		if n := len(e.timeline(t, c.ID)); n != before {
			t.Fatalf("timeline grew from %d to %d", before, n)
		}
		// A later alert that was seen earlier moves the detection back.
		a0 := e.alert(t, e.acme, "Password spray", alert.SeverityLow, t0.Add(-time.Hour))
		c, err = e.cases.AddAlerts(ctx, c.ID, []string{a0.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !c.DetectedAt.Equal(a0.FirstSeen) || c.Severity != securitycase.SeverityHigh {
			t.Fatalf("after adding: detected %v severity %s", c.DetectedAt, c.Severity)
		}
		if len(e.kinds(t, c.ID, caseentry.KindAlert)) != 3 {
			t.Fatal("no timeline entry for the added alert")
		}
		// A case by hand needs a severity; the one named wins.
		c2, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "Phishing report", Severity: "low"})
		if err != nil || c2.Severity != securitycase.SeverityLow || c2.DetectedAt != nil {
			t.Fatalf("by hand: %+v, %v", c2, err)
		}
	})
}

func TestValidationNamesFields(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		c, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "case", Severity: "high"})
		if err != nil {
			t.Fatal(err)
		}
		cases_ := []struct {
			field string
			err   func() error
		}{
			{"title", func() error {
				_, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: " ", Severity: "high"})
				return err
			}},
			{"title", func() error {
				_, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: strings.Repeat("x", 301), Severity: "high"})
				return err
			}},
			{"severity", func() error { _, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "t"}); return err }},
			{"severity", func() error {
				_, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "t", Severity: "urgent"})
				return err
			}},
			{"description", func() error {
				_, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "t", Severity: "low", Description: strings.Repeat("d", 8001)})
				return err
			}},
			{"alertIds.1", func() error {
				a := e.alert(t, e.acme, "a", alert.SeverityLow, e.clock())
				_, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "t", AlertIDs: []string{a.ID, "alr_nope"}})
				return err
			}},
			{"assigneeId", func() error {
				_, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "t", Severity: "low", AssigneeID: "usr_nobody"})
				return err
			}},
			{"tenantId", func() error {
				_, err := e.cases.CreateCase(ctx, cases.CaseInput{TenantID: e.globex.ID, Title: "t", Severity: "low"})
				return err
			}},
			{"status", func() error { _, err := e.cases.SetStatus(ctx, c.ID, "done"); return err }},
			{"severity", func() error { _, err := e.cases.SetSeverity(ctx, c.ID, "HIGH"); return err }},
			{"text", func() error { _, err := e.cases.AddNote(ctx, c.ID, "   "); return err }},
			{"alertIds", func() error { _, err := e.cases.AddAlerts(ctx, c.ID, nil); return err }},
			{"eventIds.0", func() error { _, err := e.cases.AddEvents(ctx, c.ID, []string{"alr_x"}); return err }},
			{"title", func() error { _, err := e.cases.AddTask(ctx, c.ID, "", ""); return err }},
			{"assigneeId", func() error { _, err := e.cases.AddTask(ctx, c.ID, "Reset passwords", "usr_nobody"); return err }},
			{"name", func() error {
				_, err := e.cases.AddEvidence(ctx, cases.EvidenceInput{CaseID: c.ID, Content: []byte("x")})
				return err
			}},
			{"contentType", func() error {
				_, err := e.cases.AddEvidence(ctx, cases.EvidenceInput{CaseID: c.ID, Name: "a", ContentType: "not a type", Content: []byte("x")})
				return err
			}},
			{"contentBase64", func() error {
				_, err := e.cases.AddEvidence(ctx, cases.EvidenceInput{CaseID: c.ID, Name: "empty"})
				return err
			}},
		}
		for _, tc := range cases_ {
			wantField(t, tc.err(), tc.field)
		}
		// Nothing above changed the case.
		if n := len(e.timeline(t, c.ID)); n != 1 {
			t.Fatalf("refused changes left %d timeline entries", n)
		}
	})
}

func TestStatusFlowAndTimes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		c, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "Ransomware on FS01", Severity: "critical"})
		if err != nil {
			t.Fatal(err)
		}
		if tm := cases.TimesOf(c, nil); tm.Acknowledge != nil || tm.Contain != nil || tm.Resolve != nil || tm.Detect != nil {
			t.Fatalf("times of a new case: %+v", tm)
		}
		step := func(status string, after time.Duration) {
			t.Helper()
			e.advance(after)
			if c, err = e.cases.SetStatus(ctx, c.ID, status); err != nil {
				t.Fatalf("to %s: %v", status, err)
			}
			if string(c.Status) != status {
				t.Fatalf("status %s, want %s", c.Status, status)
			}
		}
		step("triage", 2*time.Minute)
		if got := seconds(cases.TimesOf(c, nil).Acknowledge); got != 120 {
			t.Fatalf("TTA %v, want 120", got)
		}
		step("investigating", time.Minute)
		step("contained", 7*time.Minute)
		if got := seconds(cases.TimesOf(c, nil).Contain); got != 600 {
			t.Fatalf("TTC %v, want 600", got)
		}
		// Back to investigating (containment failed), contained again: the
		// first containment counts.
		step("investigating", time.Minute)
		step("eradicated", time.Minute)
		if got := seconds(cases.TimesOf(c, nil).Contain); got != 600 {
			t.Fatalf("TTC after going back %v, want 600", got)
		}
		for _, bad := range []string{"new", "contained"} {
			_, err := e.cases.SetStatus(ctx, c.ID, bad)
			wantField(t, err, "status")
		}
		step("recovered", time.Minute)
		step("closed", 8*time.Minute)
		tm := cases.TimesOf(c, nil)
		if seconds(tm.Resolve) != 1260 || c.ResolvedAt == nil {
			t.Fatalf("TTR %v, want 1260", seconds(tm.Resolve))
		}
		_, err = e.cases.SetStatus(ctx, c.ID, "recovered")
		wantField(t, err, "status")
		// Setting the status it has changes nothing.
		n, changes := len(e.timeline(t, c.ID)), e.changeCount()
		if _, err := e.cases.SetStatus(ctx, c.ID, "closed"); err != nil {
			t.Fatal(err)
		}
		if len(e.timeline(t, c.ID)) != n || e.changeCount() != changes {
			t.Fatal("a status set twice added an entry or a change")
		}
		// Reopening clears the resolution.
		step("investigating", time.Hour)
		if c.ResolvedAt != nil || cases.TimesOf(c, nil).Resolve != nil || c.AcknowledgedAt == nil {
			t.Fatalf("reopened: resolved %v acknowledged %v", c.ResolvedAt, c.AcknowledgedAt)
		}
		sc := e.kinds(t, c.ID, caseentry.KindStatusChange)
		if len(sc) != 9 { // opened + 8 moves
			t.Fatalf("%d status entries, want 9", len(sc))
		}
		if last := sc[len(sc)-1]; !strings.Contains(last.Message, "closed → investigating") || last.ActorID == "" {
			t.Fatalf("last entry %q by %q", last.Message, last.ActorID)
		}
		if got := e.audits(t, e.acme.ID, "case.status", c.ID); got != 8 {
			t.Fatalf("%d status audits, want 8", got)
		}
		// Closing straight from new (a false positive) acknowledges it and
		// contains nothing.
		fp, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "False positive", Severity: "info"})
		if err != nil {
			t.Fatal(err)
		}
		if fp, err = e.cases.SetStatus(ctx, fp.ID, "closed"); err != nil {
			t.Fatal(err)
		}
		if fp.AcknowledgedAt == nil || fp.ContainedAt != nil || fp.ResolvedAt == nil {
			t.Fatalf("false positive: %+v", fp)
		}
		// Severity changes are on the timeline too.
		if c, err = e.cases.SetSeverity(ctx, c.ID, "high"); err != nil || c.Severity != securitycase.SeverityHigh {
			t.Fatalf("severity %v, %v", c, err)
		}
		if sc2 := e.kinds(t, c.ID, caseentry.KindStatusChange); !strings.Contains(sc2[len(sc2)-1].Message, "critical → high") {
			t.Fatalf("severity entry %q", sc2[len(sc2)-1].Message)
		}
	})
}

func TestTimeToDetectAndEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		t0 := e.clock()
		ev1 := e.event(t, e.acme, t0.Add(-30*time.Minute), "failed logon for admin")
		a := e.alert(t, e.acme, "Brute force", alert.SeverityHigh, t0.Add(-10*time.Minute), ev1)
		c, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "Brute force", AlertIDs: []string{a.ID}})
		if err != nil {
			t.Fatal(err)
		}
		tm, err := e.cases.Times(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := seconds(tm.Detect); got != 1200 {
			t.Fatalf("TTD %v, want 1200 (first event 30 min before, alert 10 min before)", got)
		}
		// An earlier event put on the timeline moves the start back.
		ev0 := e.event(t, e.acme, t0.Add(-40*time.Minute), "port scan")
		if c, err = e.cases.AddEvents(ctx, c.ID, []string{ev0}); err != nil {
			t.Fatal(err)
		}
		evs := e.kinds(t, c.ID, caseentry.KindEvent)
		if len(evs) != 1 || evs[0].RefID != ev0 || !evs[0].At.Equal(t0.Add(-40*time.Minute)) || !strings.Contains(evs[0].Message, "port scan") {
			t.Fatalf("event entries %v", evs)
		}
		if tm, err = e.cases.Times(ctx, c); err != nil || seconds(tm.Detect) != 1800 {
			t.Fatalf("TTD %v (%v), want 1800", seconds(tm.Detect), err)
		}
		// Adding it again adds nothing; another tenant's event is refused.
		if _, err := e.cases.AddEvents(ctx, c.ID, []string{ev0}); err != nil {
			t.Fatal(err)
		}
		if n := len(e.kinds(t, c.ID, caseentry.KindEvent)); n != 1 {
			t.Fatalf("%d event entries after adding twice", n)
		}
		theirs := e.event(t, e.globex, t0.Add(-time.Minute), "globex event")
		_, err = e.cases.AddEvents(ctx, c.ID, []string{ev1, theirs})
		wantField(t, err, "eventIds.1")
		// MSP staff acting from above see the case's tenant's events.
		msp := as(e.provider, opsward.RoleAdmin)
		if _, err := e.cases.AddEvents(msp, c.ID, []string{ev1}); err != nil {
			t.Fatalf("MSP adds an event: %v", err)
		}
		if n := len(e.kinds(t, c.ID, caseentry.KindEvent)); n != 2 {
			t.Fatalf("%d event entries, want 2", n)
		}
		// Without events the time to detect is unknown.
		by, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "t", AlertIDs: []string{e.alert(t, e.acme, "x", alert.SeverityLow, t0).ID}})
		if err != nil {
			t.Fatal(err)
		}
		if tm, err := e.cases.Times(ctx, by); err != nil || tm.Detect != nil {
			t.Fatalf("TTD without events %v, %v", tm.Detect, err)
		}
	})
}

func TestAssign(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		c, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "case", Severity: "medium"})
		if err != nil {
			t.Fatal(err)
		}
		analyst, mspAnalyst, outsider := e.member(t, e.acme), e.member(t, e.provider), e.member(t, e.globex)
		if c, err = e.cases.Assign(ctx, c.ID, analyst); err != nil || c.AssigneeID == nil || *c.AssigneeID != analyst {
			t.Fatalf("assign: %v, %v", c, err)
		}
		// A member of a tenant above (the MSP) may take it.
		if c, err = e.cases.Assign(ctx, c.ID, mspAnalyst); err != nil || *c.AssigneeID != mspAnalyst {
			t.Fatalf("assign to MSP analyst: %v, %v", c, err)
		}
		_, err = e.cases.Assign(ctx, c.ID, outsider)
		wantField(t, err, "assigneeId")
		if c, err = e.cases.Assign(ctx, c.ID, ""); err != nil || c.AssigneeID != nil {
			t.Fatalf("unassign: %v, %v", c, err)
		}
		if n := len(e.kinds(t, c.ID, caseentry.KindAssignment)); n != 3 {
			t.Fatalf("%d assignment entries, want 3", n)
		}
		if n := e.audits(t, e.acme.ID, "case.assign", c.ID); n != 3 {
			t.Fatalf("%d assignment audits, want 3", n)
		}
	})
}

func TestNotesAndTasks(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		c, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "case", Severity: "medium"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.AddNote(ctx, c.ID, "  Saw lateral movement to DC01  "); err != nil {
			t.Fatal(err)
		}
		notes := e.kinds(t, c.ID, caseentry.KindNote)
		if len(notes) != 1 || notes[0].Message != "Saw lateral movement to DC01" {
			t.Fatalf("notes %v", notes)
		}
		analyst := e.member(t, e.acme)
		task, err := e.cases.AddTask(ctx, c.ID, "Reset the admin's password", analyst)
		if err != nil {
			t.Fatal(err)
		}
		if task.CaseID != c.ID || task.Done || task.AssigneeID == nil || *task.AssigneeID != analyst || task.TenantID != e.acme.ID {
			t.Fatalf("task %+v", task)
		}
		if task, err = e.cases.SetTaskDone(ctx, task.ID, true); err != nil || !task.Done {
			t.Fatalf("done: %v, %v", task, err)
		}
		if task, err = e.cases.SetTaskDone(ctx, task.ID, true); err != nil || !task.Done {
			t.Fatalf("done twice: %v, %v", task, err)
		}
		tasks := e.kinds(t, c.ID, caseentry.KindTask)
		if len(tasks) != 2 || tasks[0].RefID != task.ID || !strings.HasPrefix(tasks[1].Message, "task done") {
			t.Fatalf("task entries %v", tasks)
		}
		if e.audits(t, e.acme.ID, "case.task_done", c.ID) != 1 || e.audits(t, e.acme.ID, "case.task_add", c.ID) != 1 {
			t.Fatal("task changes not audited once each")
		}
	})
}

func TestEvidenceCustody(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		adder, _ := tenantsActor(ctx)
		c, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "case", Severity: "high"})
		if err != nil {
			t.Fatal(err)
		}
		content := []byte("GET /wp-login.php 200\nPOST /wp-admin/ajax.php 200\n")
		sum := sha256.Sum256(content)
		want := hex.EncodeToString(sum[:])
		ev, err := e.cases.AddEvidence(ctx, cases.EvidenceInput{CaseID: c.ID, Name: "access.log", ContentType: "text/plain", Content: content})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Sha256 != want || ev.Size != int64(len(content)) || ev.TenantID != e.acme.ID || ev.AddedBy != adder {
			t.Fatalf("evidence %+v", ev)
		}
		cust, err := cases.Custody(ev)
		if err != nil || len(cust) != 1 || cust[0].Action != "added" || cust[0].SHA256 != want || cust[0].Actor != adder {
			t.Fatalf("custody %+v, %v", cust, err)
		}

		e.advance(time.Minute)
		reader := as(e.acme, opsward.RoleAdmin)
		readerID, _ := tenantsActor(reader)
		got, body, err := e.cases.ReadEvidence(reader, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, content) {
			t.Fatalf("content %q", body)
		}
		cust, _ = cases.Custody(got)
		if len(cust) != 2 || cust[1].Action != "read" || cust[1].Actor != readerID || !cust[1].At.Equal(e.clock()) || cust[1].SHA256 != want {
			t.Fatalf("custody after read %+v", cust)
		}

		// Too large.
		_, err = e.cases.AddEvidence(ctx, cases.EvidenceInput{CaseID: c.ID, Name: "big", Content: make([]byte, cases.MaxEvidenceSize+1)})
		wantField(t, err, "contentBase64")
		wantCode(t, err, opsward.ELIMIT)

		// Someone with access to the database changes the file.
		q := `UPDATE evidences SET content = ? WHERE id = ?`
		if e.db.Dialect == platform.Postgres {
			q = `UPDATE evidences SET content = $1 WHERE id = $2`
		}
		if _, err := e.db.ExecContext(system, q, []byte("GET / 200\n"), ev.ID); err != nil {
			t.Fatal(err)
		}
		_, body, err = e.cases.ReadEvidence(reader, ev.ID)
		wantCode(t, err, opsward.ECONFLICT)
		if body != nil || !strings.Contains(opsward.ErrorMessage(err), "integrity") {
			t.Fatalf("tampered read returned %q, %v", body, err)
		}
		stored, err := e.client.Evidence.Get(system, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		cust, _ = cases.Custody(stored)
		if len(cust) != 3 || cust[2].Action != "integrity_failed" || cust[2].SHA256 == want {
			t.Fatalf("custody after the refused read %+v", cust)
		}
		if n := len(e.kinds(t, c.ID, caseentry.KindEvidence)); n != 3 {
			t.Fatalf("%d evidence entries, want 3 (added, read, refused)", n)
		}
		if e.audits(t, e.acme.ID, "case.evidence_read", c.ID) != 2 {
			t.Fatal("reads not audited")
		}
	})
}

func TestOtherTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme, globex := as(e.acme, opsward.RoleAdmin), as(e.globex, opsward.RoleAdmin)
		mine := e.alert(t, e.acme, "acme alert", alert.SeverityHigh, e.clock())
		theirs := e.alert(t, e.globex, "globex alert", alert.SeverityHigh, e.clock())
		c, err := e.cases.CreateCase(acme, cases.CaseInput{Title: "acme case", AlertIDs: []string{mine.ID}})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := e.cases.AddEvidence(acme, cases.EvidenceInput{CaseID: c.ID, Name: "f", Content: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		task, err := e.cases.AddTask(acme, c.ID, "t", "")
		if err != nil {
			t.Fatal(err)
		}
		before := len(e.timeline(t, c.ID))

		// Globex sees nothing of it and changes nothing.
		if n, err := e.client.SecurityCase.Query().Count(globex); err != nil || n != 0 {
			t.Fatalf("globex sees %d cases (%v)", n, err)
		}
		if as, err := e.cases.Alerts(globex, c.ID); err != nil || len(as) != 0 {
			t.Fatalf("globex sees the case's alerts: %v, %v", as, err)
		}
		for name, f := range map[string]func() error{
			"status":   func() error { _, err := e.cases.SetStatus(globex, c.ID, "triage"); return err },
			"severity": func() error { _, err := e.cases.SetSeverity(globex, c.ID, "low"); return err },
			"assign":   func() error { _, err := e.cases.Assign(globex, c.ID, ""); return err },
			"note":     func() error { _, err := e.cases.AddNote(globex, c.ID, "hi"); return err },
			"alerts":   func() error { _, err := e.cases.AddAlerts(globex, c.ID, []string{theirs.ID}); return err },
			"events":   func() error { _, err := e.cases.AddEvents(globex, c.ID, []string{opsward.NewID("evt")}); return err },
			"task":     func() error { _, err := e.cases.AddTask(globex, c.ID, "t", ""); return err },
			"taskDone": func() error { _, err := e.cases.SetTaskDone(globex, task.ID, true); return err },
			"evidence": func() error {
				_, err := e.cases.AddEvidence(globex, cases.EvidenceInput{CaseID: c.ID, Name: "f", Content: []byte("x")})
				return err
			},
			"read": func() error { _, _, err := e.cases.ReadEvidence(globex, ev.ID); return err },
		} {
			if err := f(); opsward.ErrorCode(err) != opsward.ENOTFOUND {
				t.Errorf("globex %s on acme's case: %v, want not found", name, err)
			}
		}
		if n := len(e.timeline(t, c.ID)); n != before {
			t.Fatalf("timeline went from %d to %d entries", before, n)
		}
		got, _ := e.client.SecurityCase.Get(system, c.ID)
		if got.Status != securitycase.StatusNew || got.Severity != securitycase.SeverityHigh {
			t.Fatalf("case changed: %+v", got)
		}

		// Acme cannot attach globex's alert, nor can MSP staff put it in
		// an acme case.
		_, err = e.cases.AddAlerts(acme, c.ID, []string{theirs.ID})
		wantField(t, err, "alertIds.0")
		msp := as(e.provider, opsward.RoleAdmin)
		_, err = e.cases.CreateCase(msp, cases.CaseInput{TenantID: e.acme.ID, Title: "mixed", AlertIDs: []string{theirs.ID}})
		wantField(t, err, "alertIds.0")
		if a, _ := e.client.Alert.Get(system, theirs.ID); a.CaseID != nil {
			t.Fatalf("globex alert joined case %s", *a.CaseID)
		}
		// MSP staff open a case for acme from acme's alert.
		fresh := e.alert(t, e.acme, "another", alert.SeverityLow, e.clock())
		mc, err := e.cases.CreateCase(msp, cases.CaseInput{TenantID: e.acme.ID, Title: "from the SOC", AlertIDs: []string{fresh.ID}})
		if err != nil || mc.TenantID != e.acme.ID {
			t.Fatalf("MSP case: %v, %v", mc, err)
		}
	})
}

func TestOpenFromAlertForPlaybooks(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a := e.alert(t, e.globex, "Malware beacon", alert.SeverityCritical, e.clock().Add(-time.Minute))
		id, err := e.cases.OpenFromAlert(context.Background(), a.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.client.SecurityCase.Get(system, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.TenantID != e.globex.ID || c.Title != "Malware beacon" || c.Severity != securitycase.SeverityCritical {
			t.Fatalf("case %+v", c)
		}
		pb := e.kinds(t, id, caseentry.KindPlaybook)
		if len(pb) != 1 || pb[0].RefID != a.ID || pb[0].ActorID != "system" {
			t.Fatalf("playbook entries %v", pb)
		}
		// A retried run finds the same case.
		again, err := e.cases.OpenFromAlert(context.Background(), a.ID, "other title")
		if err != nil || again != id {
			t.Fatalf("second run: %s, %v (want %s)", again, err, id)
		}
		if n, _ := e.client.SecurityCase.Query().Count(system); n != 1 {
			t.Fatalf("%d cases, want 1", n)
		}
		_, err = e.cases.OpenFromAlert(context.Background(), "alr_missing", "")
		wantCode(t, err, opsward.ENOTFOUND)
	})
}

func TestConcurrentChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		a := e.alert(t, e.acme, "contested", alert.SeverityHigh, e.clock())
		const n = 4
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "race", AlertIDs: []string{a.ID}})
				errs <- err
			}()
		}
		ok := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case opsward.ErrorCode(err) != opsward.ECONFLICT:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d cases took the same alert, want 1", ok)
		}
		if cs, _ := e.client.SecurityCase.Query().Count(system); cs != 1 {
			t.Fatalf("%d cases stored, want 1", cs)
		}

		// Concurrent reads of evidence each leave their custody entry.
		got, _ := e.client.Alert.Get(system, a.ID)
		ev, err := e.cases.AddEvidence(ctx, cases.EvidenceInput{CaseID: *got.CaseID, Name: "mem.dmp", Content: []byte("dump")})
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			go func() {
				_, _, err := e.cases.ReadEvidence(ctx, ev.ID)
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatalf("read: %v", err)
			}
		}
		stored, _ := e.client.Evidence.Get(system, ev.ID)
		if cust, _ := cases.Custody(stored); len(cust) != 1+n {
			t.Fatalf("custody has %d entries after %d reads, want %d", len(cust), n, 1+n)
		}
	})
}

func TestClosedCaseTakesNoAlerts(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		c, err := e.cases.CreateCase(ctx, cases.CaseInput{Title: "done", Severity: "low"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.SetStatus(ctx, c.ID, "closed"); err != nil {
			t.Fatal(err)
		}
		a := e.alert(t, e.acme, "late", alert.SeverityLow, e.clock())
		_, err = e.cases.AddAlerts(ctx, c.ID, []string{a.ID})
		wantField(t, err, "alertIds")
		if _, err := e.cases.SetStatus(ctx, c.ID, "investigating"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.AddAlerts(ctx, c.ID, []string{a.ID}); err != nil {
			t.Fatalf("reopened case: %v", err)
		}
	})
}
