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
