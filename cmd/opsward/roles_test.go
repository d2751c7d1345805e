package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.HTTPAddr = api.Addr().String()
			cfg.WorkerAddr, cfg.SchedulerAddr = "127.0.0.1:0", "127.0.0.1:0"
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
	cfg.HTTPAddr, cfg.WorkerAddr, cfg.SchedulerAddr = "", "", ""
	cfg = cfg.WithDefaults()
	addrs := map[string]bool{}
	for _, roles := range []Roles{{API: true}, {Worker: true}, {Scheduler: true}} {
		addr, _ := (&Main{Config: cfg, Roles: roles}).listenAddr()
		addrs[addr] = true
	}
	if len(addrs) != 3 {
		t.Errorf("the api, worker and scheduler share default addresses: %v", addrs)
	}
}
