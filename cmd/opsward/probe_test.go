package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/ent/probecheck"
	"github.com/opsward/opsward/services/noc/agents"
	"github.com/opsward/opsward/tenants"
)

// TestProbeAgentEndToEnd runs the `opsward probe` role in this process
// against a real server: enrolment (and refused tokens), pulled checks of
// the agent's own location against a loopback target, pushed results with
// the location, the quorum of local and remote locations, another tenant's
// agent refused for this tenant's jobs, and revocation.
func TestProbeAgentEndToEnd(t *testing.T) {
	cfg := testConfig(t)
	cfg.ProbePollInterval = time.Second
	cfg.EgressAllow = []string{"127.0.0.0/8"} // the workers' own location checks loopback too
	cfg.PlatformJobsEvery = 24 * time.Hour
	ctx := context.Background()
	tool := NewMain(cfg, Roles{}, io.Discard, testLogWriter{t})
	if err := tool.Open(ctx); err != nil {
		t.Fatal(err)
	}
	demo, err := tool.seedDemo(ctx)
	if cerr := tool.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	m := startMain(t, cfg)
	base := m.URL()
	login := func(slug string) isoActor {
		for _, c := range demo.Customers {
			for _, u := range c.Users {
				if c.Slug == slug && u.Role == "admin" {
					tok := isoLogin(t, base, u.Email, u.Password)
					return isoActor{Name: slug + " admin", Auth: "Bearer " + tok.AccessToken}
				}
			}
		}
		t.Fatalf("no admin of %s", slug)
		return isoActor{}
	}
	acme, globex := login("acme"), login("globex")
	get := func(d map[string]any, path ...string) any {
		var v any = d
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}

	var failing atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "open")
	}))
	defer target.Close()

	loc := get(isoMust(t, base, acme, `mutation { createProbeLocation(input: {name: "branch office"}) { probeLocation { id } userErrors { message } } }`, nil),
		"createProbeLocation", "probeLocation", "id").(string)
	enrol := isoMust(t, base, acme, `mutation($l: ID!) { enrolProbeAgent(input: {locationId: $l, name: "branch-1"}) { probeAgent { id online } enrolmentToken userErrors { message } } }`,
		map[string]any{"l": loc})
	agentID := get(enrol, "enrolProbeAgent", "probeAgent", "id").(string)
	token := get(enrol, "enrolProbeAgent", "enrolmentToken").(string)
	if get(enrol, "enrolProbeAgent", "probeAgent", "online").(bool) {
		t.Fatal("an agent that never called is online")
	}
	// Another tenant cannot enrol an agent at acme's location.
	r, err := isoPost(ctx, base, globex, `mutation($l: ID!) { enrolProbeAgent(input: {locationId: $l, name: "x"}) { enrolmentToken userErrors { field message } } }`,
		map[string]any{"l": loc})
	if err != nil || !strings.Contains(r.Raw, "no location") || strings.Contains(r.Raw, "opsward_enrol_") {
		t.Fatalf("globex enrolled an agent at acme's location: %v %+v", err, r)
	}

	post := func(path, auth string, protocol string, body any) (int, string) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(agents.HeaderProtocol, protocol)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	// Bad tokens and an old agent are refused with a clear message.
	if code, body := post(agents.PathEnrol, "", "1", agents.EnrolRequest{Token: "opsward_enrol_nope", Protocol: 1}); code != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
		t.Fatalf("a made-up token: %d %s", code, body)
	}
	if code, body := post(agents.PathEnrol, "", "0", agents.EnrolRequest{Token: token, Protocol: 0}); code != http.StatusBadRequest || !strings.Contains(body, "upgrade") {
		t.Fatalf("an old agent: %d %s", code, body)
	}
	if code, body := post(agents.PathJobs, "opsward_agent_nope", "1", map[string]int{}); code != http.StatusUnauthorized {
		t.Fatalf("a made-up credential: %d %s", code, body)
	}
	// A user's access token opens nothing here.
	if code, _ := post(agents.PathJobs, strings.TrimPrefix(acme.Auth, "Bearer "), "1", map[string]int{}); code != http.StatusUnauthorized {
		t.Fatalf("a user's token pulled jobs: %d", code)
	}

	as := isoMust(t, base, acme, `mutation($in: AssetInput!) { createAsset(input: $in) { asset { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "branch router", "kind": "website", "address": target.URL}})
	assetID := get(as, "createAsset", "asset", "id").(string)
	mon := isoMust(t, base, acme, `mutation($in: MonitorInput!) { createMonitor(input: $in) { monitor { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"assetId": assetID, "name": "branch page", "kind": "http",
			"settings": map[string]any{"url": target.URL + "/", "expected_status": []any{"200"}}, "intervalSeconds": 300, "timeoutMs": 2000}})
	monID := get(mon, "createMonitor", "monitor", "id").(string)
	const setLocs = `mutation($in: SetMonitorLocationsInput!) { setMonitorLocations(input: $in) { monitor { id locations minFailedLocations } userErrors { field message } } }`
	// A quorum over the number of locations is refused, naming the field.
	bad, err := isoPost(ctx, base, acme, setLocs, map[string]any{"in": map[string]any{"monitorId": monID, "locations": []string{"local", loc}, "minFailedLocations": 3}})
	if err != nil || !strings.Contains(bad.Raw, `"field":["input","minFailedLocations"]`) {
		t.Fatalf("quorum 3 of 2: %v %s", err, bad.Raw)
	}
	// So is another tenant's location.
	if bad, err := isoPost(ctx, base, acme, setLocs, map[string]any{"in": map[string]any{"monitorId": monID, "locations": []string{"local", "loc_01jd0000000000000000000000"}, "minFailedLocations": 1}}); err != nil ||
		!strings.Contains(bad.Raw, `"field":["input","locations"]`) {
		t.Fatalf("a location not the tenant's: %v %s", err, bad.Raw)
	}
	isoMust(t, base, acme, setLocs, map[string]any{"in": map[string]any{"monitorId": monID, "locations": []string{"local", loc}, "minFailedLocations": 2}})
	// A monitor of the same tenant checked only by Opsward's workers: the
	// agent's location never takes it.
	localOnly := isoMust(t, base, acme, `mutation($in: MonitorInput!) { createMonitor(input: $in) { monitor { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"assetId": assetID, "name": "branch page, local only", "kind": "http",
			"settings": map[string]any{"url": target.URL + "/local", "expected_status": []any{"200"}}, "intervalSeconds": 300, "timeoutMs": 2000}})
	localOnlyID := get(localOnly, "createMonitor", "monitor", "id").(string)

	// The agent, as `opsward probe` runs it.
	actx, stop := context.WithCancel(ctx)
	defer stop()
	state := t.TempDir()
	var agentOut bytes.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(actx, []string{"probe", "--server", base, "--token", token, "--state-dir", state, "--allow", "127.0.0.0/8"},
			func(string) string { return "" }, io.Discard, &agentOut)
	}()
	sys, err := m.Tenants.SystemContext(ctx, get(demoTenant(t, demo, "acme"), "id").(string), "probe test")
	if err != nil {
		t.Fatal(err)
	}
	remote := func() (status string, ok bool) {
		pc, err := m.Client.ProbeCheck.Query().Where(probecheck.MonitorID(monID), probecheck.LocationID(loc)).Only(sys)
		if err != nil || pc.CheckedAt == nil {
			return "", false
		}
		return string(pc.Status), true
	}
	eventually(t, 30*time.Second, "the agent's first result", func() bool { s, ok := remote(); return ok && s == "up" })
	if n, err := m.Client.ProbeCheck.Query().Where(probecheck.MonitorID(localOnlyID)).Count(sys); err != nil || n != 0 {
		t.Fatalf("a monitor not assigned to the location was taken by it: %d rows, %v", n, err)
	}
	rs, _, err := m.Results.Results(sys, monID, time.Now().Add(-time.Hour), time.Now().Add(time.Minute), 100, "")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rs {
		found = found || (r.Location == loc && r.Status == "up")
	}
	if !found {
		t.Fatalf("no result from the location among %+v", rs)
	}
	ag := isoMust(t, base, acme, `{ probeAgents { edges { node { id online version lastSeenAt } } } }`, nil)
	if edges := get(ag, "probeAgents", "edges").([]any); len(edges) != 1 || !edges[0].(map[string]any)["node"].(map[string]any)["online"].(bool) {
		t.Fatalf("agents: %v", ag)
	}
	// The token was used: it is refused a second time.
	if code, body := post(agents.PathEnrol, "", "1", agents.EnrolRequest{Token: token, Protocol: 1}); code != http.StatusUnauthorized || !strings.Contains(body, "already used") {
		t.Fatalf("a used token: %d %s", code, body)
	}

	runCheck := func() string {
		t.Helper()
		start := time.Now().Add(-10 * time.Millisecond)
		isoMust(t, base, acme, `mutation($id: ID!) { runMonitor(id: $id) { userErrors { message } } }`, map[string]any{"id": monID})
		var status string
		eventually(t, 30*time.Second, "the check ran", func() bool {
			mm, err := m.Client.Monitor.Get(sys, monID)
			if err == nil && mm.LastCheckedAt != nil && mm.LastCheckedAt.After(start) {
				status = string(mm.Status)
				return true
			}
			return false
		})
		return status
	}
	if s := runCheck(); s != "up" {
		t.Fatalf("both locations up: %s", s)
	}

	// Globex's agent: it gets none of acme's jobs and cannot answer them.
	gloc := get(isoMust(t, base, globex, `mutation { createProbeLocation(input: {name: "plant"}) { probeLocation { id } userErrors { message } } }`, nil),
		"createProbeLocation", "probeLocation", "id").(string)
	gtok := get(isoMust(t, base, globex, `mutation($l: ID!) { enrolProbeAgent(input: {locationId: $l, name: "g"}) { enrolmentToken userErrors { message } } }`,
		map[string]any{"l": gloc}), "enrolProbeAgent", "enrolmentToken").(string)
	code, body := post(agents.PathEnrol, "", "1", agents.EnrolRequest{Token: gtok, Protocol: 1})
	var gen agents.Enrolment
	if code != http.StatusOK || json.Unmarshal([]byte(body), &gen) != nil {
		t.Fatalf("globex enrolment: %d %s", code, body)
	}
	code, body = post(agents.PathJobs, gen.Credential, "1", map[string]int{})
	if code != http.StatusOK || strings.Contains(body, monID) {
		t.Fatalf("globex's pull: %d %s", code, body)
	}
	pc, err := m.Client.ProbeCheck.Query().Where(probecheck.MonitorID(monID), probecheck.LocationID(loc)).Only(sys)
	if err != nil || pc.LeaseID == nil {
		t.Fatalf("acme's check: %v %+v", err, pc)
	}
	forged := agents.Batch{Results: []agents.Result{{JobID: *pc.LeaseID, MonitorID: monID, Status: "down", StartedAt: time.Now().UTC()}}}
	code, body = post(agents.PathResults, gen.Credential, "1", forged)
	if code != http.StatusOK || !strings.Contains(body, *pc.LeaseID) || !strings.Contains(body, `"accepted":0`) {
		t.Fatalf("globex pushed acme's result: %d %s", code, body)
	}
	if s, _ := remote(); s != "up" {
		t.Fatalf("acme's location result became %s", s)
	}
	gagent, err := m.Client.ProbeAgent.Get(tenants.Privileged(ctx, "probe test"), gen.AgentID)
	if err != nil || gagent.RefusedResults != 1 {
		t.Fatalf("refused results counted: %v %+v", err, gagent)
	}

	// The target fails: both locations see it, the quorum of 2 is met.
	failing.Store(true)
	eventually(t, 30*time.Second, "the agent sees the failure", func() bool {
		// The next pull is due after the interval; make it due now.
		m.Client.ProbeCheck.Update().Where(probecheck.MonitorID(monID), probecheck.LocationID(loc), probecheck.LeasedAtIsNil()).SetNextDueAt(time.Now().Add(-time.Second)).Exec(sys)
		s, _ := remote()
		if s != "down" {
			pc, _ := m.Client.ProbeCheck.Query().Where(probecheck.MonitorID(monID), probecheck.LocationID(loc)).Only(sys)
			t.Logf("location check: %+v", pc)
		}
		return s == "down"
	})
	if s := runCheck(); s != "down" {
		t.Fatalf("2 of 2 locations down: %s", s)
	}
	inc, err := m.Client.Monitor.Get(sys, monID)
	if err != nil || !strings.Contains(inc.LastMessage, "branch office") || !strings.Contains(inc.LastMessage, "local") {
		t.Fatalf("the verdict does not name the locations: %v %q", err, inc.LastMessage)
	}

	// Revoked: the agent is refused at once and stops.
	isoMust(t, base, acme, `mutation($id: ID!) { revokeProbeAgent(id: $id) { probeAgent { revokedAt online } userErrors { message } } }`, map[string]any{"id": agentID})
	select {
	case code := <-exited:
		if code == 0 || !strings.Contains(agentOut.String(), "revoked") {
			t.Fatalf("the revoked agent exited %d: %s", code, agentOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the revoked agent is still working")
	}
}

func demoTenant(t *testing.T, d *tenants.Demo, slug string) map[string]any {
	t.Helper()
	for _, c := range d.Customers {
		if c.Slug == slug {
			return map[string]any{"id": c.ID}
		}
	}
	t.Fatalf("no demo tenant %s", slug)
	return nil
}
