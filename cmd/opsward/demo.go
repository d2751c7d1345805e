package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/tenants"
)

// Demo mode makes the demonstration data of `opsward seed demo` live: the
// api serves a small target on OPSWARD_DEMO_ADDR (a shop page that is down
// for half a minute in every minute and a half, and a webhook receiver),
// egress lets monitors reach exactly that address and port, and every
// demonstration customer receives a security event every demoEvery, which
// its demo rule turns into alerts. A newcomer sees monitors change state,
// incidents open and close, notifications go out and alerts arrive, within
// a minute, with nothing outside the binary.

// demoEvery is how often each demonstration customer receives an event.
const demoEvery = 20 * time.Second

// demoSiteDown reports whether the demonstration site is down at t: the
// last 30 seconds of every 90.
func demoSiteDown(t time.Time) bool { return (t.Unix()/30)%3 == 2 }

// demoMode says whether demo mode is on: set so, or "auto" and the database
// holds the demonstration provider.
func (m *Main) demoMode(ctx context.Context) (bool, error) {
	switch m.Config.Demo {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	n, err := m.Client.Tenant.Query().Where(tenant.Slug(tenants.DemoProviderSlug), tenant.ParentIDIsNil()).
		Count(tenants.Privileged(ctx, "look for demo data"))
	if err != nil {
		return false, fmt.Errorf("OPSWARD_DEMO: looking for demo data: %w", err)
	}
	return n > 0, nil
}

// openDemo decides demo mode and, in an api process, binds the target's
// listener, so that the egress guard built next can allow exactly it.
func (m *Main) openDemo(ctx context.Context) error {
	on, err := m.demoMode(ctx)
	if err != nil || !on {
		return err
	}
	m.demoOn = true
	if !m.Roles.API {
		return nil
	}
	if m.demoListener, err = net.Listen("tcp", m.Config.DemoAddr); err != nil {
		return fmt.Errorf("OPSWARD_DEMO_ADDR: cannot listen on %s: %v", m.Config.DemoAddr, err)
	}
	m.closers = append(m.closers, func() error {
		err := m.demoListener.Close()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		return err
	})
	return nil
}

// demoEndpoint is the address and port of the demonstration target: where
// this process serves it, or OPSWARD_DEMO_ADDR for a process that does not
// (a worker, or the seed command). An unspecified or named host means
// loopback.
func (m *Main) demoEndpoint() (netip.AddrPort, error) {
	addr := m.Config.DemoAddr
	if m.demoListener != nil {
		addr = m.demoListener.Addr().String()
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("OPSWARD_DEMO_ADDR: %q is not host:port", addr)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return netip.AddrPort{}, fmt.Errorf("OPSWARD_DEMO_ADDR: %q needs a fixed port, so that seeded monitors find it", addr)
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.IsUnspecified() {
		a = netip.MustParseAddr("127.0.0.1")
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// demoTargets are the addresses seeded monitors and channels point at.
func (m *Main) demoTargets() (monitoring.DemoTargets, error) {
	ep, err := m.demoEndpoint()
	if err != nil {
		return monitoring.DemoTargets{}, err
	}
	base := "http://" + ep.String()
	return monitoring.DemoTargets{Site: base + "/shop", Host: ep.Addr().String(), Port: int(ep.Port()), Hook: base + "/hook"}, nil
}

// allowDemoEndpoint opens the demonstration target in the egress guard (at
// start in demo mode, and in the seed command so that it may create
// monitors of it).
func (m *Main) allowDemoEndpoint() error {
	ep, err := m.demoEndpoint()
	if err != nil {
		return err
	}
	for _, e := range m.Guard.AllowEndpoints {
		if e == ep {
			return nil
		}
	}
	m.Guard.AllowEndpoints = append(m.Guard.AllowEndpoints, ep)
	return nil
}

// startDemo serves the demonstration target and feeds the demonstration
// customers' events until ctx ends.
func (m *Main) startDemo(ctx context.Context) {
	if !m.demoOn || !m.Roles.API {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /shop", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		down := demoSiteDown
		if m.demoDown != nil {
			down = m.demoDown
		}
		if down(time.Now()) {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<h1>Down for the demonstration</h1><p>Back within 30 seconds.</p>\n")
			return
		}
		io.WriteString(w, "<h1>Demo shop</h1><p>Open.</p>\n")
	})
	mux.HandleFunc("POST /hook", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		if r.Header.Get("X-Opsward-Signature") != "" {
			m.demoHooks.Add(1)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	m.goBackground(func() {
		if err := srv.Serve(m.demoListener); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			m.Logger.Error("demo target stopped", "err", err)
		}
	})
	m.goBackground(func() {
		<-ctx.Done()
		srv.Close()
	})
	if m.Roles.Ingest {
		m.goBackground(func() { m.feedDemo(ctx) })
	}
	m.Logger.Info("demo mode: serving the demonstration target and events", "addr", m.demoListener.Addr().String(), "events_every", demoEvery)
}

// feedDemo ingests one demonstration event per demonstration customer at
// once and then every demoEvery. Customers are looked up each round, so a
// database seeded while serving is fed too.
func (m *Main) feedDemo(ctx context.Context) {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(demoEvery)
		feeds, err := m.SOC.DemoFeeds(ctx)
		if err != nil {
			m.Logger.Warn("demo mode: listing demonstration customers", "err", err)
			continue
		}
		for _, f := range feeds {
			pctx := tenants.Privileged(ctx, "demo events")
			if _, err := m.SOC.IngestBatch(pctx, f.TenantID, f.SourceID, detect.DemoEvent(n, time.Now())); err != nil {
				m.Logger.Warn("demo mode: ingesting a demonstration event", "tenant_id", f.TenantID, "err", err)
			}
		}
	}
}
