package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/opsward/opsward/tenants"
)

// The worker and the scheduler started alone serve health and metrics on
// addresses of their own, so they start beside an api that holds
// OPSWARD_HTTP_ADDR.
func TestRolesStartSideBySide(t *testing.T) {
	t.Parallel()
	api, err := net.Listen("tcp", "127.0.0.1:0") // the api's port, taken
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	for _, tc := range []struct {
		name  string
		roles Roles
	}{
		{"worker", Roles{Worker: true}},
		{"scheduler", Roles{Scheduler: true}},
		{"ingest", Roles{Ingest: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.HTTPAddr = api.Addr().String()
			cfg.WorkerAddr, cfg.SchedulerAddr, cfg.IngestAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
			m := NewMain(cfg, tc.roles, io.Discard, testLogWriter{t})
			if err := m.Open(context.Background()); err != nil {
				t.Fatalf("%s beside the api: %v", tc.name, err)
			}
			defer m.Close()
			if m.Addr() == cfg.HTTPAddr {
				t.Fatalf("%s listens on the api's address %s", tc.name, m.Addr())
			}
			for _, path := range []string{"/healthz", "/metrics"} {
				res, err := http.Get("http://" + m.Addr() + path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("%s %s: %d", tc.name, path, res.StatusCode)
				}
			}
		})
	}
	// The defaults differ, so the three start on one host with no settings.
	cfg := testConfig(t)
	cfg.HTTPAddr, cfg.WorkerAddr, cfg.SchedulerAddr, cfg.IngestAddr = "", "", "", ""
	cfg = cfg.WithDefaults()
	addrs := map[string]bool{}
	for _, roles := range []Roles{{API: true}, {Ingest: true}, {Worker: true}, {Scheduler: true}} {
		addr, _ := (&Main{Config: cfg, Roles: roles}).listenAddr()
		addrs[addr] = true
	}
	if len(addrs) != 4 {
		t.Errorf("the api, ingest, worker and scheduler share default addresses: %v", addrs)
	}
}

// Ingest is a role of its own: `opsward ingest` takes events over HTTP
// and syslog on its own address and serves nothing of the api; the api
// alone takes no events.
func TestIngestRoleApart(t *testing.T) {
	cfg := testConfig(t)
	demo := seedDemoCmd(t, cfg)
	acme := demo.Customers[0]
	cfg.IngestAddr = "127.0.0.1:0"
	cfg.SyslogUDP = []string{"127.0.0.1:0"}

	send := func(base string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"/ingest/events",
			strings.NewReader(`{"@timestamp":"2026-12-03T10:00:00Z","message":"role test","host":{"name":"ws-1"}}`))
		req.Header.Set("Authorization", "Bearer "+acme.APIKey.Secret)
		req.Header.Set("Content-Type", "application/x-ndjson")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	status := func(method, url string) int {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(`{"query":"{ serverInfo { version } }"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}

	ing := NewMain(cfg, Roles{Ingest: true}, io.Discard, testLogWriter{t})
	if err := ing.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := "http://" + ing.Addr()
	if got := send(base); got != http.StatusAccepted {
		t.Fatalf("ingest role: POST /ingest/events %d, want 202", got)
	}
	if ing.Syslog == nil {
		t.Fatal("the ingest role started no syslog listener")
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/graphql", http.StatusNotFound},
		{http.MethodPost, "/auth/login", http.StatusNotFound},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodGet, "/metrics", http.StatusOK},
	} {
		if got := status(c.method, base+c.path); got != c.want {
			t.Errorf("ingest role: %s %s %d, want %d", c.method, c.path, got, c.want)
		}
	}
	if err := ing.Close(); err != nil {
		t.Fatal(err)
	}

	cfg.HTTPAddr = "127.0.0.1:0"
	api := NewMain(cfg, Roles{API: true}, io.Discard, testLogWriter{t})
	if err := api.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	base = "http://" + api.Addr()
	if got := send(base); got != http.StatusNotFound {
		t.Fatalf("api role: POST /ingest/events %d, want 404", got)
	}
	if api.Syslog != nil {
		t.Fatal("the api role started a syslog listener")
	}
	if got := status(http.MethodPost, base+"/graphql"); got != http.StatusOK {
		t.Fatalf("api role: POST /graphql %d", got)
	}
	// What the ingest role stored is there for the api to search.
	pctx := tenants.Privileged(context.Background(), "test: ingest role")
	var n int
	if err := api.DB.QueryRowContext(pctx, api.DB.Q(`SELECT count(*) FROM security_events WHERE tenant_id = ? AND message = ?`), acme.ID, "role test").Scan(&n); err != nil || n != 1 {
		t.Fatalf("events stored by the ingest role: %d, %v", n, err)
	}
}
