package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/services/noc/agents"
)

// outageProxy stands between an agent and the server and plays outages:
// it forwards, answers 503, drops the connection, or forwards a push and
// answers 503 as if the answer was lost on the way.
type outageProxy struct {
	mode   atomic.Value // string: forward, armed, down, drop, swallow
	mu     sync.Mutex
	leased []string // the job IDs the server handed out
	pushes atomic.Int64
}

func (p *outageProxy) set(m string) { p.mode.Store(m) }
func (p *outageProxy) get() string  { return p.mode.Load().(string) }

func (p *outageProxy) handler(target string) http.Handler {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode := p.get(); {
		case mode == "down":
			http.Error(w, `{"error":{"message":"maintenance"}}`, http.StatusServiceUnavailable)
			return
		case mode == "drop":
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(w, "drop", http.StatusBadGateway)
			return
		case mode == "swallow" && r.URL.Path == agents.PathResults:
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			p.pushes.Add(1)
			p.set("forward")
			http.Error(w, `{"error":{"message":"the answer was lost"}}`, http.StatusServiceUnavailable)
			return
		case mode == "armed" && r.URL.Path == agents.PathJobs:
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			var jr agents.JobsResponse
			if json.Unmarshal(rec.Body.Bytes(), &jr) == nil && len(jr.Jobs) > 0 {
				p.mu.Lock()
				for _, j := range jr.Jobs {
					p.leased = append(p.leased, j.ID)
				}
				p.mu.Unlock()
				p.set("down") // the server goes away while the agent runs them
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		if r.URL.Path == agents.PathResults {
			p.pushes.Add(1)
		}
		rp.ServeHTTP(w, r)
	})
}

// TestProbeAgentSpoolSurvivesOutage: the server goes away while the agent
// runs its checks, the agent is restarted during the outage, the server
// comes back and the first push's answer is lost; every result is stored
// exactly once.
func TestProbeAgentSpoolSurvivesOutage(t *testing.T) {
	cfg := testConfig(t)
	cfg.ProbePollInterval = time.Second
	cfg.EgressAllow = []string{"127.0.0.0/8"}
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
	var acme isoActor
	for _, c := range demo.Customers {
		for _, u := range c.Users {
			if c.Slug == "acme" && u.Role == "admin" {
				acme = isoActor{Name: "acme admin", Auth: "Bearer " + isoLogin(t, base, u.Email, u.Password).AccessToken}
			}
		}
	}
	get := func(d map[string]any, path ...string) any {
		var v any = d
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "open") }))
	defer target.Close()

	loc := get(isoMust(t, base, acme, `mutation { createProbeLocation(input: {name: "depot"}) { probeLocation { id } userErrors { message } } }`, nil),
		"createProbeLocation", "probeLocation", "id").(string)
	token := get(isoMust(t, base, acme, `mutation($l: ID!) { enrolProbeAgent(input: {locationId: $l, name: "depot-1"}) { enrolmentToken userErrors { message } } }`,
		map[string]any{"l": loc}), "enrolProbeAgent", "enrolmentToken").(string)
	assetID := get(isoMust(t, base, acme, `mutation($in: AssetInput!) { createAsset(input: $in) { asset { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "depot router", "kind": "website", "address": target.URL}}), "createAsset", "asset", "id").(string)
	var mons []string
	for _, p := range []string{"/a", "/b", "/c"} {
		id := get(isoMust(t, base, acme, `mutation($in: MonitorInput!) { createMonitor(input: $in) { monitor { id } userErrors { field message } } }`,
			map[string]any{"in": map[string]any{"assetId": assetID, "name": "depot " + p, "kind": "http",
				"settings": map[string]any{"url": target.URL + p, "expected_status": []any{"200"}}, "intervalSeconds": 300, "timeoutMs": 2000}}),
			"createMonitor", "monitor", "id").(string)
		isoMust(t, base, acme, `mutation($in: SetMonitorLocationsInput!) { setMonitorLocations(input: $in) { monitor { id } userErrors { field message } } }`,
			map[string]any{"in": map[string]any{"monitorId": id, "locations": []string{loc}, "minFailedLocations": 1}})
		mons = append(mons, id)
	}

	px := &outageProxy{}
	px.set("forward")
	proxy := httptest.NewServer(px.handler(base))
	defer proxy.Close()
	state := t.TempDir()
	spoolLen := func() int {
		b, _ := os.ReadFile(filepath.Join(state, "results.spool"))
		return bytes.Count(b, []byte("\n"))
	}
	startAgent := func(args ...string) (stop func() string) {
		actx, cancel := context.WithCancel(ctx)
		var out bytes.Buffer
		done := make(chan struct{})
		go func() {
			defer close(done)
			run(actx, append([]string{"probe", "--server", proxy.URL, "--state-dir", state, "--allow", "127.0.0.0/8"}, args...),
				func(string) string { return "" }, io.Discard, &out)
		}()
		return func() string {
			cancel()
			<-done
			return out.String()
		}
	}

	// Enrolled through a working server, then the outage starts as soon as
	// the agent has its checks.
	px.set("armed")
	stop := startAgent("--token", token)
	eventually(t, 30*time.Second, "the agent ran its checks and spooled them", func() bool { return px.get() == "down" && spoolLen() == 3 })
	time.Sleep(1500 * time.Millisecond) // a round or two against the outage
	logs := stop()
	if n := len(px.leased); n != 3 {
		t.Fatalf("the agent was handed %d checks, want 3", n)
	}
	if px.pushes.Load() != 0 {
		t.Fatalf("a push reached the server during the outage")
	}
	if !strings.Contains(logs, "spooled_results=3") {
		t.Logf("agent log: %s", logs)
	}

	// Restarted during the outage (the server now unreachable outright):
	// it reads its spool and keeps it.
	px.set("drop")
	stop = startAgent()
	time.Sleep(2500 * time.Millisecond)
	if n := spoolLen(); n != 3 {
		t.Fatalf("the restarted agent's spool holds %d results, want 3", n)
	}
	// The server is back, and the answer to the first push is lost: the
	// results are stored but stay spooled and are pushed again.
	px.set("swallow")
	eventually(t, 30*time.Second, "the spool drained", func() bool { return px.pushes.Load() >= 2 && spoolLen() == 0 })
	logs = stop()

	sys, err := m.Tenants.SystemContext(ctx, get(demoTenant(t, demo, "acme"), "id").(string), "probe spool test")
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]int{}
	for _, id := range mons {
		rs, _, err := m.Results.Results(sys, id, time.Now().Add(-time.Hour), time.Now().Add(time.Minute), 100, "")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range rs {
			if r.Location == loc {
				runs[r.RunID]++
				n++
			}
		}
		if n != 1 {
			t.Fatalf("monitor %s has %d results from the location, want 1: %+v", id, n, rs)
		}
	}
	for _, j := range px.leased {
		if runs[j] != 1 {
			t.Fatalf("job %s stored %d times (all: %v); agent log: %s", j, runs[j], runs, logs)
		}
	}
}

// TestProbeLocationSilentIncident: when every agent of a location with
// monitors goes silent, the periodic watch opens one incident for it (never
// two, however often it runs), and resolves it when an agent is heard
// again. A location with no monitors raises nothing.
func TestProbeLocationSilentIncident(t *testing.T) {
	cfg := testConfig(t)
	cfg.ProbePollInterval = time.Second // silent after 3s; the watch runs every second
	cfg.EgressAllow = []string{"127.0.0.0/8"}
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
	var acme isoActor
	for _, c := range demo.Customers {
		for _, u := range c.Users {
			if c.Slug == "acme" && u.Role == "admin" {
				acme = isoActor{Name: "acme admin", Auth: "Bearer " + isoLogin(t, base, u.Email, u.Password).AccessToken}
			}
		}
	}
	get := func(d map[string]any, path ...string) any {
		var v any = d
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	call := func(path, cred string, body any) string {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
		req.Header.Set(agents.HeaderProtocol, "1")
		if cred != "" {
			req.Header.Set("Authorization", "Bearer "+cred)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, out)
		}
		return string(out)
	}
	enrol := func(loc, name string) string {
		tok := get(isoMust(t, base, acme, `mutation($l: ID!, $n: String!) { enrolProbeAgent(input: {locationId: $l, name: $n}) { enrolmentToken userErrors { message } } }`,
			map[string]any{"l": loc, "n": name}), "enrolProbeAgent", "enrolmentToken").(string)
		var en agents.Enrolment
		if err := json.Unmarshal([]byte(call(agents.PathEnrol, "", agents.EnrolRequest{Token: tok, Protocol: 1})), &en); err != nil {
			t.Fatal(err)
		}
		return en.Credential
	}
	newLoc := func(name string) string {
		return get(isoMust(t, base, acme, `mutation($n: String!) { createProbeLocation(input: {name: $n}) { probeLocation { id } userErrors { message } } }`,
			map[string]any{"n": name}), "createProbeLocation", "probeLocation", "id").(string)
	}
	loc, idle := newLoc("warehouse"), newLoc("spare room")
	cred, idleCred := enrol(loc, "wh-1"), enrol(idle, "spare-1")
	assetID := get(isoMust(t, base, acme, `mutation($in: AssetInput!) { createAsset(input: $in) { asset { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "warehouse switch", "kind": "website", "address": "http://127.0.0.1:9", "criticality": "high"}}), "createAsset", "asset", "id").(string)
	mon := get(isoMust(t, base, acme, `mutation($in: MonitorInput!) { createMonitor(input: $in) { monitor { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"assetId": assetID, "name": "warehouse page", "kind": "http",
			"settings": map[string]any{"url": "http://127.0.0.1:9/", "expected_status": []any{"200"}}, "intervalSeconds": 300, "timeoutMs": 2000}}),
		"createMonitor", "monitor", "id").(string)
	isoMust(t, base, acme, `mutation($in: SetMonitorLocationsInput!) { setMonitorLocations(input: $in) { monitor { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"monitorId": mon, "locations": []string{loc}, "minFailedLocations": 1}})

	acmeID := get(demoTenant(t, demo, "acme"), "id").(string)
	sys, err := m.Tenants.SystemContext(ctx, acmeID, "probe watch test")
	if err != nil {
		t.Fatal(err)
	}
	silentIncidents := func() []*ent.Incident {
		t.Helper()
		is, err := m.Client.Incident.Query().Where(incident.TitleHasPrefix("Probe location ")).All(sys)
		if err != nil {
			t.Fatal(err)
		}
		return is
	}
	// Heard: nothing opens, however often the watch runs.
	for range 3 {
		call(agents.PathJobs, cred, map[string]int{})
		call(agents.PathJobs, idleCred, map[string]int{})
		if err := m.NOC.WatchLocations(ctx, m.locationSilentAfter()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if is := silentIncidents(); len(is) != 0 {
		t.Fatalf("incidents for locations that were heard: %+v", is)
	}

	// Silent: the periodic job opens one, and runs of the watch beside it
	// (at once, from several workers) open no second.
	eventually(t, 30*time.Second, "the silent location's incident", func() bool { return len(silentIncidents()) > 0 })
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := m.NOC.WatchLocations(ctx, m.locationSilentAfter()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	time.Sleep(2 * time.Second) // a few more runs of the job
	is := silentIncidents()
	if len(is) != 1 || is[0].Title != "Probe location warehouse silent" || is[0].Status == incident.StatusResolved ||
		is[0].MonitorID != nil || string(is[0].Severity) != "high" {
		t.Fatalf("silent incidents: %+v", is)
	}
	l, err := m.Client.ProbeLocation.Get(sys, loc)
	if err != nil || l.SilentIncidentID == nil || *l.SilentIncidentID != is[0].ID {
		t.Fatalf("the location does not hold its incident: %v %+v", err, l)
	}
	// Another tenant sees none of it.
	globex, err := m.Tenants.SystemContext(ctx, get(demoTenant(t, demo, "globex"), "id").(string), "probe watch test")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := m.Client.Incident.Query().Where(incident.ID(is[0].ID)).Count(globex); err != nil || n != 0 {
		t.Fatalf("globex reads acme's location incident: %d %v", n, err)
	}

	// Heard again: resolved, and the location holds nothing.
	call(agents.PathJobs, cred, map[string]int{})
	eventually(t, 30*time.Second, "the incident resolved", func() bool {
		i, err := m.Client.Incident.Get(sys, is[0].ID)
		return err == nil && i.Status == incident.StatusResolved
	})
	l, err = m.Client.ProbeLocation.Get(sys, loc)
	if err != nil || l.SilentIncidentID != nil {
		t.Fatalf("the location still holds an incident: %v %+v", err, l)
	}
	if n := len(silentIncidents()); n != 1 {
		t.Fatalf("%d silent incidents after the location was heard", n)
	}
}
