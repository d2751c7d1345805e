package response_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/playbookrun"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/webhook"
	"github.com/opsward/opsward/services/soc/response"
	"github.com/opsward/opsward/tenants"
)

func stixBundle(objs ...string) string {
	return `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + strings.Join(objs, ",") + `]}`
}

func stixIndicator(uuid, pattern string) string {
	return `{"type":"indicator","spec_version":"2.1","id":"indicator--` + uuid + `","created":"2024-01-01T00:00:00Z",` +
		`"modified":"2024-01-01T00:00:00Z","name":"test","pattern":"` + pattern + `","pattern_type":"stix",` +
		`"valid_from":"2024-01-01T00:00:00Z","confidence":85}`
}

// Intel lists match at ingest for the right tenants only: a customer's
// list for that customer, the provider's list for everyone.
func TestIntelMatchScopes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		msp, acme := as(e.provider, opsward.RoleAdmin), as(e.acme, opsward.RoleAdmin)
		global := e.list(t, msp, "MSP feed", response.ListIntel)
		if global.Token != "" {
			t.Fatalf("an intel list got an EDL token")
		}
		bundle := stixBundle(
			stixIndicator("1d0092c5-5f74-4287-9642-33f4c354e56d", "[ipv4-addr:value = '198.51.100.7']"),
			stixIndicator("2d0092c5-5f74-4287-9642-33f4c354e56d", "[domain-name:value = 'evil.example']"),
			stixIndicator("3d0092c5-5f74-4287-9642-33f4c354e56d", "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.example']"),
		)
		res, err := e.svc.Import(msp, global.List.ID, response.FormatSTIX, strings.NewReader(bundle), "feed-a")
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 2 || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].ObjectID, "3d0092c5") {
			t.Fatalf("import: %d imported, rejected %+v", res.Imported, res.Rejected)
		}
		// Importing again replaces, it does not add.
		if _, err := e.svc.Import(msp, global.List.ID, response.FormatSTIX, strings.NewReader(bundle), "feed-a"); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.ListSize(msp, global.List.ID); err != nil || n != 2 {
			t.Fatalf("after a second import the list holds %d (%v), want 2", n, err)
		}

		own := e.list(t, acme, "acme intel", response.ListIntel)
		res, err = e.svc.Import(acme, own.List.ID, response.FormatCSV,
			strings.NewReader("type,value,confidence\nipv4,203.0.113.9,90\nipv4,not-an-ip,10\n"), "acme soc")
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 1 || len(res.Rejected) != 1 || res.Rejected[0].Line != 3 {
			t.Fatalf("csv import: %d imported, rejected %+v", res.Imported, res.Rejected)
		}
		if err := e.svc.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		now := e.clock()
		ctx := context.Background()
		acmeEv := map[string]any{"source.ip": "203.0.113.9"}
		hits := e.svc.Match(ctx, e.acme.ID, acmeEv, now)
		if len(hits) != 1 || hits[0].Indicator.ListID != own.List.ID || hits[0].Field != "source.ip" {
			t.Fatalf("acme's own indicator: hits %+v", hits)
		}
		if hits := e.svc.Match(ctx, e.globex.ID, acmeEv, now); len(hits) != 0 {
			t.Fatalf("acme's indicator matched globex's event: %+v", hits)
		}
		for _, tn := range []*ent.Tenant{e.acme, e.globex, e.provider} {
			hits := e.svc.Match(ctx, tn.ID, map[string]any{"destination.ip": "198.51.100.7", "url.domain": "a.b.evil.example"}, now)
			if len(hits) != 2 {
				t.Fatalf("the provider's list gave %s %d hits, want 2: %+v", tn.Slug, len(hits), hits)
			}
		}

		// Nothing changed: a refresh keeps the matcher. A row another
		// process wrote is picked up by the next refresh.
		m := e.svc.Matcher()
		if err := e.svc.Refresh(ctx); err != nil || e.svc.Matcher() != m {
			t.Fatalf("a refresh without changes rebuilt the matcher (%v)", err)
		}
		if _, err := e.client.Indicator.Create().SetTenantID(e.globex.ID).SetListID(e.list(t, as(e.globex, opsward.RoleAdmin), "globex intel", response.ListIntel).List.ID).
			SetKind("ipv4").SetValue("192.0.2.200").Save(system); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Refresh(ctx); err != nil || e.svc.Matcher() == m {
			t.Fatalf("a row written elsewhere did not rebuild the matcher (%v)", err)
		}
		if hits := e.svc.Match(ctx, e.globex.ID, map[string]any{"source.ip": "192.0.2.200"}, now); len(hits) != 1 {
			t.Fatalf("globex's new indicator: hits %+v", hits)
		}

		// A change here reaches the matcher after a refresh; a deletion too.
		ind, err := e.svc.AddIndicator(acme, response.IndicatorInput{ListID: own.List.ID, Value: "https://bad.example/x?q=1"})
		if err != nil {
			t.Fatal(err)
		}
		if ind.Kind != "url" || ind.Tlp != "amber" {
			t.Fatalf("guessed kind %q tlp %q, want url amber", ind.Kind, ind.Tlp)
		}
		if err := e.svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if hits := e.svc.Match(ctx, e.acme.ID, map[string]any{"url.full": "https://bad.example/x?q=1"}, now); len(hits) != 1 {
			t.Fatalf("the added url: hits %+v", hits)
		}
		if _, err := e.svc.DeleteList(acme, own.List.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if hits := e.svc.Match(ctx, e.acme.ID, acmeEv, now); len(hits) != 0 {
			t.Fatalf("a deleted list still matches: %+v", hits)
		}
		if n, _ := e.client.Indicator.Query().Count(system); n != 3 {
			t.Fatalf("%d indicators left after deleting acme's list, want the provider's 2 and globex's 1", n)
		}
	})
}

// webhookReceiver records what the webhook step posts.
type webhookReceiver struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	status int
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bodies = append(w.bodies, b)
	w.heads = append(w.heads, r.Header.Clone())
	if w.status != 0 {
		rw.WriteHeader(w.status)
	}
}

// An alert from an indicator starts a playbook that notifies, blocks the
// value (served by the EDL), calls a signed webhook, assigns, raises the
// severity, opens a case and waits; the log records every step.
func TestPlaybookRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme := as(e.acme, opsward.RoleAdmin)
		block := e.list(t, acme, "firewall", response.ListBlocklist)
		if !strings.HasPrefix(block.Token, block.List.EdlTokenPrefix) || len(block.Token) < 40 {
			t.Fatalf("token %q prefix %q", block.Token, block.List.EdlTokenPrefix)
		}
		if block.List.EdlTokenHash == nil || *block.List.EdlTokenHash == block.Token || strings.Contains(*block.List.EdlTokenHash, block.Token) {
			t.Fatal("the EDL token is not stored hashed")
		}
		ch := e.channel(t, e.acme)
		recv := &webhookReceiver{}
		srv := httptest.NewServer(recv)
		defer srv.Close()
		user := opsward.NewID(opsward.PrefixUser)
		steps := `[
			{"type":"notify","channel_id":"` + ch.ID + `"},
			{"type":"block_indicator","list_id":"` + block.List.ID + `","field":"indicator"},
			{"type":"webhook","url":"` + srv.URL + `/hook","secret":"s3cret"},
			{"type":"assign","user_id":"` + user + `"},
			{"type":"set_severity","severity":"critical"},
			{"type":"open_case","title":"Case: {{title}}"},
			{"type":"wait","seconds":60},
			{"type":"block_indicator","list_id":"` + block.List.ID + `","field":"source.ip"}
		]`
		pb, err := e.svc.CreatePlaybook(acme, response.PlaybookInput{Name: "contain", Trigger: json.RawMessage(
			`{"min_severity":"high","sources":["indicator"],"tags_any":["ATTACK.T1059"],"title_contains":"seen"}`),
			Steps: json.RawMessage(steps)})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(pb.Steps), "s3cret") || strings.Contains(string(response.PublicSteps(pb)), "s3cret") ||
			!strings.Contains(string(response.PublicSteps(pb)), `"secret_set":true`) {
			t.Fatalf("the webhook secret is kept or shown in clear: %s", response.PublicSteps(pb))
		}

		// A low alert does not trigger it; a high one does, once.
		low := e.raise(t, e.acme, alert.SeverityLow, alert.SourceIndicator, "Indicator seen", map[string]any{"indicator": "192.0.2.1"})
		if jobs := e.runJobs(t, low); len(jobs) != 0 {
			t.Fatalf("a low alert started %d runs", len(jobs))
		}
		a := e.raise(t, e.acme, alert.SeverityHigh, alert.SourceIndicator, "Indicator 203.0.113.7 seen in destination.ip",
			map[string]any{"indicator": "203.0.113.7", "field": "destination.ip", "source.ip": "192.0.2.55"})
		jobs := e.runJobs(t, a)
		if len(jobs) != 1 || jobs[0].Args.PlaybookID != pb.ID {
			t.Fatalf("jobs for the alert: %+v", jobs)
		}
		job := jobs[0]

		err = e.svc.RunPlaybook(context.Background(), job)
		if err == nil {
			t.Fatal("the wait step did not snooze the job")
		}
		run, err := e.client.PlaybookRun.Query().Only(system)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != playbookrun.StatusWaiting || run.Step != 6 || run.TenantID != e.acme.ID {
			t.Fatalf("run after the first pass: status %s step %d", run.Status, run.Step)
		}
		// A retry before the wait ends changes nothing.
		if err := e.svc.RunPlaybook(context.Background(), job); err == nil {
			t.Fatal("a retry inside the wait did not snooze")
		}
		if len(recv.bodies) != 1 {
			t.Fatalf("the webhook was called %d times, want 1", len(recv.bodies))
		}
		e.advance(61 * time.Second)
		if err := e.svc.RunPlaybook(context.Background(), job); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		run, _ = e.client.PlaybookRun.Get(system, run.ID)
		if run.Status != playbookrun.StatusSucceeded || run.FinishedAt == nil || run.Step != 8 {
			t.Fatalf("run: status %s step %d finished %v", run.Status, run.Step, run.FinishedAt)
		}
		var log []response.LogEntry
		if err := json.Unmarshal(run.Log, &log); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, l := range log {
			if l.Status == response.EntryOK {
				kinds = append(kinds, l.Type)
			}
		}
		if got := strings.Join(kinds, ","); got != "notify,block_indicator,webhook,assign,set_severity,open_case,wait,block_indicator" {
			t.Fatalf("steps done, in order: %s\nlog %s", got, run.Log)
		}
		if log[1].Input["value"] != "203.0.113.7" || log[1].Output["indicator_id"] == nil {
			t.Fatalf("block step log: %+v", log[1])
		}

		// Every step acted.
		ds := e.outbox(t, notify.Delivery{}.Kind())
		if len(ds) != 1 || !strings.Contains(ds[0], a.ID) || !strings.Contains(ds[0], ch.ID) {
			t.Fatalf("notify deliveries: %v", ds)
		}
		got, _ := e.client.Alert.Get(system, a.ID)
		if got.Severity != alert.SeverityCritical || got.AssigneeID == nil || *got.AssigneeID != user {
			t.Fatalf("alert after the run: severity %s assignee %v", got.Severity, got.AssigneeID)
		}
		if e.cases.opened[a.ID] != "Case: "+a.Title {
			t.Fatalf("cases opened: %v", e.cases.opened)
		}
		h, body := recv.heads[0], recv.bodies[0]
		if err := webhook.VerifyAt(e.clock(), []byte("s3cret"), h.Get(webhook.HeaderTimestamp), body, h.Get(webhook.HeaderSignature), time.Hour); err != nil {
			t.Fatalf("webhook signature: %v (headers %v)", err, h)
		}
		if err := webhook.VerifyAt(e.clock(), []byte("other"), h.Get(webhook.HeaderTimestamp), body, h.Get(webhook.HeaderSignature), time.Hour); err == nil {
			t.Fatal("the signature verifies under any secret")
		}
		if !strings.Contains(string(body), a.ID) || !strings.Contains(string(body), `"severity":"high"`) {
			t.Fatalf("webhook body: %s", body)
		}

		// The block list serves both values, and only with its token.
		edl, err := e.svc.EDL(context.Background(), block.List.ID, block.Token)
		if err != nil {
			t.Fatal(err)
		}
		if string(edl) != "192.0.2.55\n203.0.113.7\n" {
			t.Fatalf("EDL:\n%s", edl)
		}
		_, err = e.svc.EDL(context.Background(), block.List.ID, block.Token+"x")
		wantCode(t, err, opsward.EFORBIDDEN)
		_, err = e.svc.EDL(context.Background(), block.List.ID, "")
		wantCode(t, err, opsward.EFORBIDDEN)
		_, err = e.svc.EDL(context.Background(), "iol_nothere", block.Token)
		wantCode(t, err, opsward.EFORBIDDEN)

		// The same alert again starts nothing new, and the job again does
		// nothing: the run is done.
		ctx := tenants.NewContext(context.Background(), &tenants.Actor{Kind: tenants.ActorSystem, ID: "soc", TenantID: e.acme.ID, TenantPath: e.acme.Path})
		if err := tenants.WithTx(ctx, e.client, func(tx *ent.Tx) error { return e.svc.OnAlert(ctx, tx, got) }); err != nil {
			t.Fatal(err)
		}
		if jobs := e.runJobs(t, a); len(jobs) != 1 {
			t.Fatalf("an updated alert enqueued %d runs in all, want 1", len(jobs))
		}
		if err := e.svc.RunPlaybook(context.Background(), job); err != nil {
			t.Fatal(err)
		}
		again, _ := e.client.PlaybookRun.Get(system, run.ID)
		if string(again.Log) != string(run.Log) || len(recv.bodies) != 1 {
			t.Fatal("running a finished run again changed it")
		}

		// Over HTTP, as a firewall pulls it.
		for _, c := range []struct {
			target, auth string
			status       int
			body         string
		}{
			{"/edl/" + block.List.ID + ".txt?token=" + block.Token, "", http.StatusOK, "192.0.2.55\n203.0.113.7\n"},
			{"/edl/" + block.List.ID + ".txt", "Bearer " + block.Token, http.StatusOK, "192.0.2.55\n203.0.113.7\n"},
			{"/edl/" + block.List.ID + ".txt?token=wrong", "", http.StatusForbidden, ""},
			{"/edl/" + block.List.ID + ".txt", "", http.StatusForbidden, ""},
		} {
			req := httptest.NewRequest(http.MethodGet, c.target, nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			rec := httptest.NewRecorder()
			e.svc.ServeEDL(rec, req, block.List.ID+".txt")
			if rec.Code != c.status || (c.body != "" && rec.Body.String() != c.body) {
				t.Fatalf("GET %s: %d %q, want %d %q", c.target, rec.Code, rec.Body.String(), c.status, c.body)
			}
			if c.status == http.StatusOK && rec.Header().Get("Content-Type") != response.EDLContentType {
				t.Fatalf("content type %q", rec.Header().Get("Content-Type"))
			}
		}

		// Rotating the token retires the old one.
		rot, err := e.svc.RotateToken(acme, block.List.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.EDL(context.Background(), block.List.ID, block.Token)
		wantCode(t, err, opsward.EFORBIDDEN)
		if _, err := e.svc.EDL(context.Background(), block.List.ID, rot.Token); err != nil {
			t.Fatalf("the new token: %v", err)
		}
	})
}

// A webhook that refuses fails the run with the reason in the log; an
// expired indicator leaves the EDL; an intel list has no EDL.
func TestPlaybookFailureAndEDLValidity(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme := as(e.acme, opsward.RoleAdmin)
		recv := &webhookReceiver{status: http.StatusForbidden}
		srv := httptest.NewServer(recv)
		defer srv.Close()
		pb, err := e.svc.CreatePlaybook(acme, response.PlaybookInput{Name: "hook", Trigger: json.RawMessage(`{}`),
			Steps: json.RawMessage(`[{"type":"webhook","url":"` + srv.URL + `"},{"type":"set_severity","severity":"info"}]`)})
		if err != nil {
			t.Fatal(err)
		}
		a := e.raise(t, e.acme, alert.SeverityMedium, alert.SourceManual, "manual", nil)
		jobs := e.runJobs(t, a)
		if len(jobs) != 1 {
			t.Fatalf("%d jobs", len(jobs))
		}
		if err := e.svc.RunPlaybook(context.Background(), jobs[0]); err != nil {
			t.Fatalf("a refused webhook is not retried: %v", err)
		}
		run, err := e.client.PlaybookRun.Query().Only(system)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != playbookrun.StatusFailed || run.PlaybookID != pb.ID || !strings.Contains(string(run.Log), "403") {
			t.Fatalf("run %s: %s", run.Status, run.Log)
		}
		if got, _ := e.client.Alert.Get(system, a.ID); got.Severity != alert.SeverityMedium {
			t.Fatal("a step after the failed one ran")
		}
		if len(recv.heads) != 1 || recv.heads[0].Get(webhook.HeaderSignature) != "" {
			t.Fatalf("unsigned webhook headers: %v", recv.heads)
		}

		// A webhook that answers 503 is retried from that step: the step
		// before it is not run again.
		recv2 := &webhookReceiver{status: http.StatusServiceUnavailable}
		srv2 := httptest.NewServer(recv2)
		defer srv2.Close()
		if _, err := e.svc.UpdatePlaybook(acme, pb.ID, response.PlaybookInput{Name: "hook", Trigger: json.RawMessage(`{"rule_ids":["rule-1"]}`),
			Steps: json.RawMessage(`[{"type":"set_severity","severity":"low"},{"type":"webhook","url":"` + srv2.URL + `"},{"type":"set_severity","severity":"high"}]`)}); err != nil {
			t.Fatal(err)
		}
		b := e.raise(t, e.acme, alert.SeverityMedium, alert.SourceManual, "manual 2", nil)
		jobs = e.runJobs(t, b)
		if len(jobs) != 1 {
			t.Fatalf("%d jobs for the second alert", len(jobs))
		}
		if err := e.svc.RunPlaybook(context.Background(), jobs[0]); err == nil {
			t.Fatal("a 503 was not retried")
		}
		recv2.mu.Lock()
		recv2.status = http.StatusOK
		recv2.mu.Unlock()
		jobs[0].Attempt = 2
		if err := e.svc.RunPlaybook(context.Background(), jobs[0]); err != nil {
			t.Fatalf("the retry: %v", err)
		}
		run2, err := e.client.PlaybookRun.Query().Where(playbookrun.AlertID(b.ID)).Only(system)
		if err != nil {
			t.Fatal(err)
		}
		var log []response.LogEntry
		_ = json.Unmarshal(run2.Log, &log)
		var seq []string
		for _, l := range log {
			seq = append(seq, l.Type+":"+l.Status)
		}
		if run2.Status != playbookrun.StatusSucceeded || strings.Join(seq, ",") != "set_severity:ok,webhook:error,webhook:ok,set_severity:ok" {
			t.Fatalf("run %s, log %v", run2.Status, seq)
		}
		if got, _ := e.client.Alert.Get(system, b.ID); got.Severity != alert.SeverityHigh || len(recv2.bodies) != 2 {
			t.Fatalf("severity %s after the run, %d webhook calls", got.Severity, len(recv2.bodies))
		}

		block := e.list(t, acme, "fw", response.ListBlocklist)
		past := e.clock().Add(-time.Hour)
		if _, err := e.svc.AddIndicator(acme, response.IndicatorInput{ListID: block.List.ID, Value: "198.51.100.1", ValidUntil: &past}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddIndicator(acme, response.IndicatorInput{ListID: block.List.ID, Kind: "domain", Value: "Bad.Example."}); err != nil {
			t.Fatal(err)
		}
		edl, err := e.svc.EDL(context.Background(), block.List.ID, block.Token)
		if err != nil || string(edl) != "bad.example\n" {
			t.Fatalf("EDL %q (%v): the expired address must be left out", edl, err)
		}
		intelList := e.list(t, acme, "intel", response.ListIntel)
		_, err = e.svc.EDL(context.Background(), intelList.List.ID, block.Token)
		wantCode(t, err, opsward.EFORBIDDEN)
		if e.svc.EDLPath(intelList.List) != "" || e.svc.EDLPath(block.List) != "/edl/"+block.List.ID+".txt" {
			t.Fatal("EDL paths")
		}
	})
}

// Validation errors name the field that is wrong.
func TestValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme := as(e.acme, opsward.RoleAdmin)
		_, err := e.svc.CreateList(acme, response.ListInput{Name: "x", Kind: "allowlist"})
		wantField(t, err, "kind")
		_, err = e.svc.CreateList(acme, response.ListInput{Name: " ", Kind: "intel"})
		wantField(t, err, "name")
		intelList := e.list(t, acme, "intel", response.ListIntel)
		_, err = e.svc.AddIndicator(acme, response.IndicatorInput{ListID: intelList.List.ID, Kind: "ipv4", Value: "evil.example"})
		wantField(t, err, "value")
		_, err = e.svc.AddIndicator(acme, response.IndicatorInput{ListID: intelList.List.ID, Kind: "registry-key", Value: "evil.example"})
		wantField(t, err, "kind")
		bad := 101
		_, err = e.svc.AddIndicator(acme, response.IndicatorInput{ListID: intelList.List.ID, Value: "evil.example", Confidence: &bad})
		wantField(t, err, "confidence")
		_, err = e.svc.AddIndicator(acme, response.IndicatorInput{ListID: intelList.List.ID, Value: "evil.example", TLP: "purple"})
		wantField(t, err, "tlp")
		_, err = e.svc.AddIndicator(acme, response.IndicatorInput{ListID: "iol_missing", Value: "evil.example"})
		wantField(t, err, "listId")
		_, err = e.svc.Import(acme, intelList.List.ID, response.FormatSTIX, strings.NewReader(`{"type":"not a bundle"}`), "")
		wantCode(t, err, opsward.EINVALID)
		_, err = e.svc.RotateToken(acme, intelList.List.ID)
		wantField(t, err, "id")

		ch := e.channel(t, e.acme)
		other := e.channel(t, e.globex)
		for _, c := range []struct{ trigger, steps, field string }{
			{`{"min_severity":"severe"}`, `[{"type":"wait","seconds":1}]`, "trigger.min_severity"},
			{`{"sources":["sigma","syslog"]}`, `[{"type":"wait","seconds":1}]`, "trigger.sources.1"},
			{`{"severity":"high"}`, `[{"type":"wait","seconds":1}]`, "trigger"},
			{`{}`, `[]`, "steps"},
			{`{}`, `{"type":"wait"}`, "steps"},
			{`{}`, `[{"type":"wait","seconds":1},{"type":"explode"}]`, "steps.1.type"},
			{`{}`, `[{"type":"wait","seconds":0}]`, "steps.0.seconds"},
			{`{}`, `[{"type":"wait","seconds":5,"url":"https://x.example"}]`, "steps.0.url"},
			{`{}`, `[{"type":"webhook","url":"ftp://x.example"}]`, "steps.0.url"},
			{`{}`, `[{"type":"webhook","url":"https://x.example","secret_sealed":"abc"}]`, "steps.0.secret_sealed"},
			{`{}`, `[{"type":"notify"}]`, "steps.0.channel_id"},
			{`{}`, `[{"type":"notify","channel_id":"` + other.ID + `"}]`, "steps.0.channel_id"},
			{`{}`, `[{"type":"notify","channel_id":"` + ch.ID + `"},{"type":"block_indicator","list_id":"` + intelList.List.ID + `","field":"indicator"}]`, "steps.1.list_id"},
			{`{}`, `[{"type":"block_indicator","list_id":"` + intelList.List.ID + `"}]`, "steps.0.field"},
			{`{}`, `[{"type":"assign","user_id":"bob"}]`, "steps.0.user_id"},
			{`{}`, `[{"type":"set_severity","severity":"urgent"}]`, "steps.0.severity"},
			{`{}`, `[{"type":"open_case","title":""}]`, "steps.0.title"},
		} {
			_, err := e.svc.CreatePlaybook(acme, response.PlaybookInput{Name: "p", Trigger: json.RawMessage(c.trigger), Steps: json.RawMessage(c.steps)})
			if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != c.field {
				t.Errorf("trigger %s steps %s: error %v names %q, want %q", c.trigger, c.steps, err, opsward.ErrorField(err), c.field)
			}
		}
		if n, _ := e.client.Playbook.Query().Count(system); n != 0 {
			t.Fatalf("%d invalid playbooks stored", n)
		}
	})
}

// A tenant can neither see nor change another tenant's lists, indicators
// or playbooks, and its playbooks do not run on another's alerts.
func TestTenantIsolation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		acme, globex := as(e.acme, opsward.RoleAdmin), as(e.globex, opsward.RoleAdmin)
		block := e.list(t, acme, "acme fw", response.ListBlocklist)
		ind, err := e.svc.AddIndicator(acme, response.IndicatorInput{ListID: block.List.ID, Value: "198.51.100.9"})
		if err != nil {
			t.Fatal(err)
		}
		pb, err := e.svc.CreatePlaybook(acme, response.PlaybookInput{Name: "acme pb", Trigger: json.RawMessage(`{}`),
			Steps: json.RawMessage(`[{"type":"block_indicator","list_id":"` + block.List.ID + `","field":"indicator"}]`)})
		if err != nil {
			t.Fatal(err)
		}

		if n, err := e.client.IndicatorList.Query().Count(globex); err != nil || n != 0 {
			t.Fatalf("globex sees %d lists (%v)", n, err)
		}
		if n, err := e.client.Indicator.Query().Count(globex); err != nil || n != 0 {
			t.Fatalf("globex sees %d indicators (%v)", n, err)
		}
		if n, err := e.client.Playbook.Query().Count(globex); err != nil || n != 0 {
			t.Fatalf("globex sees %d playbooks (%v)", n, err)
		}
		_, err = e.svc.DeleteList(globex, block.List.ID)
		wantCode(t, err, opsward.ENOTFOUND)
		_, err = e.svc.RotateToken(globex, block.List.ID)
		wantCode(t, err, opsward.ENOTFOUND)
		_, err = e.svc.AddIndicator(globex, response.IndicatorInput{ListID: block.List.ID, Value: "192.0.2.1"})
		wantField(t, err, "listId")
		_, err = e.svc.Import(globex, block.List.ID, response.FormatCSV, strings.NewReader("type,value\nipv4,192.0.2.1\n"), "")
		wantField(t, err, "listId")
		_, err = e.svc.DeleteIndicator(globex, ind.ID)
		wantCode(t, err, opsward.ENOTFOUND)
		_, err = e.svc.UpdatePlaybook(globex, pb.ID, response.PlaybookInput{Name: "mine", Trigger: json.RawMessage(`{}`),
			Steps: json.RawMessage(`[{"type":"wait","seconds":1}]`)})
		wantCode(t, err, opsward.ENOTFOUND)
		_, err = e.svc.DeletePlaybook(globex, pb.ID)
		wantCode(t, err, opsward.ENOTFOUND)
		if _, err := e.svc.ListSize(globex, block.List.ID); err != nil {
			t.Fatal(err)
		} else if n, _ := e.svc.ListSize(globex, block.List.ID); n != 0 {
			t.Fatalf("globex counts %d indicators in acme's list", n)
		}
		// Naming another tenant, or putting acme's list in globex's playbook.
		_, err = e.svc.CreateList(globex, response.ListInput{TenantID: e.acme.ID, Name: "x", Kind: "intel"})
		wantField(t, err, "tenantId")
		_, err = e.svc.CreatePlaybook(globex, response.PlaybookInput{Name: "steal", Trigger: json.RawMessage(`{}`),
			Steps: json.RawMessage(`[{"type":"block_indicator","list_id":"` + block.List.ID + `","field":"indicator"}]`)})
		wantField(t, err, "steps.0.list_id")

		// acme's playbook does not start on globex's alert.
		g := e.raise(t, e.globex, alert.SeverityCritical, alert.SourceIndicator, "Indicator seen", map[string]any{"indicator": "192.0.2.7"})
		if jobs := e.runJobs(t, g); len(jobs) != 0 {
			t.Fatalf("acme's playbook was started by globex's alert")
		}
		// Nor on the provider's, whose context reaches acme's rows: playbooks
		// run on their own tenant's alerts only.
		pa := e.raise(t, e.provider, alert.SeverityCritical, alert.SourceIndicator, "Indicator seen", map[string]any{"indicator": "192.0.2.8"})
		if jobs := e.runJobs(t, pa); len(jobs) != 0 {
			t.Fatalf("acme's playbook was started by the provider's alert")
		}
		// Everything is intact for acme.
		for _, q := range []func() (int, error){
			func() (int, error) { return e.client.IndicatorList.Query().Count(acme) },
			func() (int, error) { return e.client.Indicator.Query().Count(acme) },
			func() (int, error) { return e.client.Playbook.Query().Count(acme) },
		} {
			if n, err := q(); err != nil || n != 1 {
				t.Fatalf("acme sees %d (%v), want 1", n, err)
			}
		}
		// The provider reaches below itself.
		msp := as(e.provider, opsward.RoleAdmin)
		if n, err := e.client.Playbook.Query().Count(msp); err != nil || n != 1 {
			t.Fatalf("the provider sees %d playbooks (%v)", n, err)
		}
	})
}
