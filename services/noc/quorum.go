package noc

import (
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward/services/noc/probe"
)

// LocalLocation is Opsward's own workers as a location of a monitor.
const LocalLocation = "local"

// ReasonStale is the reason of a quorum verdict when no location reported
// in time: the monitor shows unknown, never down.
const ReasonStale = "stale"

// LocationResult is the last result of a monitor at one location.
type LocationResult struct {
	Location  string // the location's ID ("local" for the workers)
	Name      string // what people call it
	Status    probe.Status
	CheckedAt time.Time // zero: never checked there
	Latency   time.Duration
	Reason    string
	Message   string
}

// Quorum judges a monitor from its locations' last results. A location
// whose result is older than staleAfter (or that has none) counts as
// unknown. The verdict is down when at least minFailed fresh locations
// are down (Datadog's minimum failed locations); otherwise up or degraded
// from the fresh ones; unknown with ReasonStale when none is fresh.
func Quorum(locs []LocationResult, minFailed int, staleAfter time.Duration, now time.Time) probe.Result {
	if minFailed < 1 {
		minFailed = 1
	}
	var failed, stale, degraded []string
	fresh := 0
	var latency time.Duration
	reason := ""
	for _, l := range locs {
		name := l.Name
		if name == "" {
			name = l.Location
		}
		if l.CheckedAt.IsZero() || now.Sub(l.CheckedAt) > staleAfter || l.Status == probe.StatusUnknown {
			stale = append(stale, name)
			continue
		}
		fresh++
		latency = max(latency, l.Latency)
		switch l.Status {
		case probe.StatusDown:
			failed = append(failed, name)
			if reason == "" {
				reason = l.Reason
			}
		case probe.StatusDegraded:
			degraded = append(degraded, name)
		}
	}
	res := probe.Result{StartedAt: now, Latency: latency}
	staleNote := ""
	if len(stale) > 0 {
		staleNote = fmt.Sprintf("; no recent result from %s", strings.Join(stale, ", "))
	}
	switch {
	case len(failed) >= minFailed:
		res.Status, res.Reason = probe.StatusDown, reason
		res.Message = fmt.Sprintf("down at %d of %d locations (%s)%s", len(failed), len(locs), strings.Join(failed, ", "), staleNote)
	case fresh == 0:
		res.Status, res.Reason = probe.StatusUnknown, ReasonStale
		res.Message = fmt.Sprintf("no location reported in time (%s)", strings.Join(stale, ", "))
	case len(degraded) >= minFailed:
		res.Status = probe.StatusDegraded
		res.Message = fmt.Sprintf("degraded at %d of %d locations (%s)%s", len(degraded), len(locs), strings.Join(degraded, ", "), staleNote)
	default:
		res.Status = probe.StatusUp
		if len(failed) > 0 {
			res.Message = fmt.Sprintf("down at %d of %d locations (%s), below the quorum of %d%s", len(failed), len(locs), strings.Join(failed, ", "), minFailed, staleNote)
		} else if staleNote != "" {
			res.Message = staleNote[2:]
		}
	}
	return res
}

// MarkUnknown shows a monitor as unknown because none of its locations
// reported in time: nobody is paged and no incident opens or closes,
// since nothing was seen failing.
func MarkUnknown(s MonitorState, now time.Time) (MonitorState, Transition) {
	from := s.State()
	if s.Paused {
		return s, Transition{From: from, To: from, At: now}
	}
	s.Health, s.Pending, s.Streak = StateUnknown, "", 0
	t := Transition{From: from, To: s.State(), At: now}
	if t.Changed() {
		s.Since = now
	}
	return s, t
}
