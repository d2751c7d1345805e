package noc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
)

func TestQuorum(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(name string, st probe.Status, ago time.Duration) noc.LocationResult {
		return noc.LocationResult{Location: name, Status: st, CheckedAt: now.Add(-ago)}
	}
	fresh := time.Second
	for _, tc := range []struct {
		name      string
		locs      []noc.LocationResult
		minFailed int
		want      probe.Status
		reason    string
		mentions  []string
	}{
		{"3 locations, 1 failing stays up", []noc.LocationResult{at("local", probe.StatusUp, fresh), at("a", probe.StatusDown, fresh), at("b", probe.StatusUp, fresh)}, 2, probe.StatusUp, "", []string{"a", "below the quorum of 2"}},
		{"3 locations, 2 failing goes down", []noc.LocationResult{at("local", probe.StatusUp, fresh), at("a", probe.StatusDown, fresh), at("b", probe.StatusDown, fresh)}, 2, probe.StatusDown, "", []string{"2 of 3", "a, b"}},
		{"a stale failure does not count", []noc.LocationResult{at("local", probe.StatusUp, fresh), at("a", probe.StatusDown, fresh), at("b", probe.StatusDown, time.Hour)}, 2, probe.StatusUp, "", []string{"no recent result from b"}},
		{"every location stale is unknown", []noc.LocationResult{at("a", probe.StatusDown, time.Hour), {Location: "b"}}, 1, probe.StatusUnknown, noc.ReasonStale, []string{"a, b"}},
		{"quorum of 1 is any failure", []noc.LocationResult{at("a", probe.StatusUp, fresh), at("b", probe.StatusDown, fresh)}, 1, probe.StatusDown, "", []string{"b"}},
		{"degraded by quorum", []noc.LocationResult{at("a", probe.StatusDegraded, fresh), at("b", probe.StatusDegraded, fresh), at("c", probe.StatusUp, fresh)}, 2, probe.StatusDegraded, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := noc.Quorum(tc.locs, tc.minFailed, time.Minute, now)
			if got.Status != tc.want || got.Reason != tc.reason {
				t.Fatalf("got %s (%q, %q), want %s (%q)", got.Status, got.Reason, got.Message, tc.want, tc.reason)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(got.Message, m) {
					t.Errorf("message %q does not mention %q", got.Message, m)
				}
			}
		})
	}
}

func TestMarkUnknownOpensNothing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	st := noc.MonitorState{Health: noc.StateDown, Since: now.Add(-time.Hour)}
	st, tr := noc.MarkUnknown(st, now)
	if st.State() != noc.StateUnknown || tr.To != noc.StateUnknown || tr.From != noc.StateDown {
		t.Fatalf("state %s, transition %+v", st.State(), tr)
	}
	if tr.Notify || tr.OpenIncident || tr.CloseIncident {
		t.Fatalf("an unknown verdict acts: %+v", tr)
	}
	if !st.Since.Equal(now) {
		t.Fatalf("since %v", st.Since)
	}
	paused, _ := noc.Pause(noc.MonitorState{Health: noc.StateUp}, now)
	if st, _ := noc.MarkUnknown(paused, now); st.State() != noc.StatePaused {
		t.Fatalf("a paused monitor became %s", st.State())
	}
}
