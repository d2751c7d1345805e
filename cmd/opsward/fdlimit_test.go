package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/opsward/opsward/internal/platform"
)

// A worker whose concurrency the open-file limit cannot hold says so in
// one line at start; one within the limit says nothing.
func TestFileLimitChecked(t *testing.T) {
	limit := openFileLimit()
	if limit == 0 {
		t.Skip("no open-file limit on this system")
	}
	for _, c := range []struct {
		concurrency int
		warned      bool
	}{{int(limit), true}, {int(limit) - filesBesideChecks, false}} {
		var buf bytes.Buffer
		m := &Main{Config: platform.Config{WorkerConcurrency: c.concurrency}, Logger: slog.New(slog.NewTextHandler(&buf, nil))}
		m.checkFileLimit()
		if got := strings.Count(buf.String(), "open-file limit"); got != map[bool]int{true: 1, false: 0}[c.warned] {
			t.Errorf("concurrency %d with limit %d: %q", c.concurrency, limit, buf.String())
		}
	}
}
