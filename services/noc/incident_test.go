package noc_test

import (
	"errors"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc"
)

func TestSeverityFor(t *testing.T) {
	t.Parallel()
	tests := map[noc.Criticality]noc.Severity{
		noc.CriticalityCritical: noc.SeverityCritical,
		noc.CriticalityHigh:     noc.SeverityHigh,
		noc.CriticalityMedium:   noc.SeverityMedium,
		noc.CriticalityLow:      noc.SeverityLow,
		"":                      noc.SeverityMedium,
	}
	for c, want := range tests {
		if got := noc.SeverityFor(c); got != want {
			t.Errorf("SeverityFor(%q) = %q, want %q", c, got, want)
		}
	}
}

func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	i := noc.NewIncident("inc1", "mon1", "asset1", "site down", noc.CriticalityCritical, t0)
	if i.Status != noc.IncidentTriggered || i.Severity != noc.SeverityCritical {
		t.Fatalf("new incident %+v", i)
	}
	if err := i.Comment("u1", "", t0); opsward.ErrorField(err) != "text" {
		t.Fatalf("empty comment: %v", err)
	}
	mustNil(t, i.Comment("u1", "looking", t0.Add(time.Minute)))
	i.Assign("u1", "u2", t0.Add(time.Minute))
	mustNil(t, i.Acknowledge("u2", t0.Add(4*time.Minute)))
	mustNil(t, i.Acknowledge("u2", t0.Add(5*time.Minute))) // twice is fine
	i.RecordNotification("slack", nil, t0.Add(5*time.Minute))
	i.RecordNotification("email", errors.New("smtp: 550"), t0.Add(5*time.Minute))
	mustNil(t, i.Resolve("", t0.Add(20*time.Minute)))
	if err := i.Acknowledge("u2", t0.Add(21*time.Minute)); opsward.ErrorCode(err) != opsward.ECONFLICT {
		t.Fatalf("ack after resolve: %v", err)
	}
	if d, ok := i.MTTA(); !ok || d != 4*time.Minute {
		t.Fatalf("MTTA %s %v", d, ok)
	}
	if d, ok := i.MTTR(); !ok || d != 20*time.Minute {
		t.Fatalf("MTTR %s %v", d, ok)
	}
	kinds := map[noc.EntryKind]int{}
	for _, e := range i.Timeline {
		kinds[e.Kind]++
	}
	want := map[noc.EntryKind]int{noc.EntryStateChange: 3, noc.EntryComment: 1, noc.EntryAssignment: 1,
		noc.EntryNotificationSent: 1, noc.EntryNotificationFailed: 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("timeline has %d %s, want %d", kinds[k], k, n)
		}
	}
	// The failed notification carries no internal cause.
	for _, e := range i.Timeline {
		if e.Kind == noc.EntryNotificationFailed && e.Message != "internal error" {
			t.Errorf("failure message leaks: %q", e.Message)
		}
	}
}

func TestIncidentReopen(t *testing.T) {
	t.Parallel()
	resolvedAt := t0.Add(30 * time.Minute)
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"right after", resolvedAt.Add(time.Minute), true},
		{"at the limit", resolvedAt.Add(noc.ReopenWithin), true},
		{"later is a new outage", resolvedAt.Add(noc.ReopenWithin + time.Second), false},
	}
	for _, tt := range tests {
		i := noc.NewIncident("i", "m", "a", "down", noc.CriticalityLow, t0)
		mustNil(t, i.Acknowledge("u", t0.Add(time.Minute)))
		mustNil(t, i.Resolve("", resolvedAt))
		if got := i.ShouldReopen(tt.at); got != tt.want {
			t.Errorf("%s: ShouldReopen = %v", tt.name, got)
		}
	}
	i := noc.NewIncident("i", "m", "a", "down", noc.CriticalityLow, t0)
	if err := i.Reopen(t0); opsward.ErrorCode(err) != opsward.ECONFLICT {
		t.Fatalf("reopen open incident: %v", err)
	}
	mustNil(t, i.Acknowledge("u", t0.Add(time.Minute)))
	mustNil(t, i.Resolve("", resolvedAt))
	mustNil(t, i.Reopen(resolvedAt.Add(time.Minute)))
	if i.Status != noc.IncidentTriggered || !i.AckedAt.IsZero() || i.ReopenCount != 1 || !i.OpenedAt.Equal(t0) {
		t.Fatalf("reopened %+v", i)
	}
}

func TestComputeMeanTimes(t *testing.T) {
	t.Parallel()
	mk := func(ack, res time.Duration, suppressed bool) *noc.Incident {
		i := noc.NewIncident("i", "m", "a", "down", noc.CriticalityHigh, t0)
		if ack > 0 {
			mustNil(t, i.Acknowledge("u", t0.Add(ack)))
		}
		if res > 0 {
			mustNil(t, i.Resolve("", t0.Add(res)))
		}
		i.Suppressed = suppressed
		return i
	}
	tests := []struct {
		name string
		in   []*noc.Incident
		want noc.MeanTimes
	}{
		{"none", nil, noc.MeanTimes{}},
		{"mixed", []*noc.Incident{
			mk(2*time.Minute, 10*time.Minute, false),
			mk(4*time.Minute, 30*time.Minute, false),
			mk(0, 0, false), // open, unacked
			mk(time.Hour, 2*time.Hour, true),
		}, noc.MeanTimes{MTTA: 3 * time.Minute, MTTR: 20 * time.Minute, Acked: 2, Resolved: 2, N: 3}},
		{"resolved without ack", []*noc.Incident{mk(0, 6*time.Minute, false)},
			noc.MeanTimes{MTTR: 6 * time.Minute, Resolved: 1, N: 1}},
	}
	for _, tt := range tests {
		if got := noc.ComputeMeanTimes(tt.in); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
