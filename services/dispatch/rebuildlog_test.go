package dispatch_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward/services/dispatch"
)

// lockedBuffer is a log sink that the scheduler's goroutine and the test
// share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(msg string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, ln := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(ln, msg) {
			out = append(out, ln)
		}
	}
	return out
}

// On an in-process Redis that starts empty, the first build is expected
// and logged at info; Redis emptied while the scheduler runs is still a
// warning. A Redis that persists logs even the first build as a warning.
func TestRebuildLogLevel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		ephemeral bool
		first     string
	}{
		{"in-process", true, "level=INFO"},
		{"server", false, "level=WARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
			t.Cleanup(func() { rdb.Close() })
			var buf lockedBuffer
			c, err := dispatch.NewClient(rdb, dispatch.Config{
				Prefix: "test:dispatch", Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})),
			})
			if err != nil {
				t.Fatal(err)
			}
			src := &staticSource{schedules: []dispatch.Schedule{{ID: "mon_1", TenantID: "ten_a", Kind: "test.check", Interval: time.Minute}}}
			sys := newSystem(t)
			sys.scheduler(c, src, dispatch.SchedulerConfig{EphemeralRedis: tc.ephemeral})
			const built = "schedules rebuilt"
			waitFor(t, 10*time.Second, "the first build", func() bool { return len(buf.lines(built)) == 1 })
			first := buf.lines("dispatch data")
			if len(first) != 1 || !strings.Contains(first[0], tc.first) {
				t.Fatalf("first build logged %q, want one line at %s", first, tc.first)
			}
			if err := rdb.FlushAll(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the rebuild after the flush", func() bool { return len(buf.lines(built)) == 2 })
			after := buf.lines("dispatch data")
			if len(after) != 2 || !strings.Contains(after[1], "level=WARN") {
				t.Errorf("a flush while running logged %q, want a warning", after)
			}
		})
	}
}
