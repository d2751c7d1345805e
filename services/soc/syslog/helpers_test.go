package syslog_test

import (
	"context"
	"log/slog"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/syslog"
)

// deadline is how long a test waits for a condition: generous, because the
// machine is shared; it is a limit, not a measurement.
const deadline = 20 * time.Second

type delivered struct {
	tenant, source string
	ev             normalize.Event
}

type collector struct {
	mu   sync.Mutex
	got  []delivered
	fail error
}

func (c *collector) Accept(_ context.Context, tenant, source string, ev normalize.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.got = append(c.got, delivered{tenant, source, ev})
	return nil
}

func (c *collector) all() []delivered {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]delivered(nil), c.got...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// find waits for a delivered event whose message contains text.
func (c *collector) find(t *testing.T, text string) delivered {
	t.Helper()
	var d delivered
	waitFor(t, "event "+text, func() bool {
		for _, g := range c.all() {
			if g.ev.String("event.original") != "" && contains(g.ev.String("message"), text) {
				d = g
				return true
			}
		}
		return false
	})
	return d
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func startServer(t *testing.T, cfg syslog.Config, b syslog.Binder) (*syslog.Server, *collector) {
	t.Helper()
	col := &collector{}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := syslog.New(cfg, b, col, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv, col
}

func port(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// runLogger runs util-linux logger, skipping the test when it is absent.
func runLogger(t *testing.T, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("logger"); err != nil {
		t.Skip("logger (util-linux) not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	out, err := exec.CommandContext(ctx, "logger", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("logger %v: %v: %s", args, err, out)
	}
}

func slogFor(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
