package noc

import (
	"strconv"
	"time"

	"github.com/opsward/opsward"
)

// EscalationLevel is one step of a policy: after Delay from the start of
// a round, notify Targets (users, schedules or channels by id).
type EscalationLevel struct {
	Delay   time.Duration
	Targets []string
}

// EscalationPolicy is a list of levels run in order. After the last level
// the policy starts over Repeat more times, RepeatAfter after that level;
// Repeat 0 runs it once.
type EscalationPolicy struct {
	ID          string
	Levels      []EscalationLevel
	Repeat      int
	RepeatAfter time.Duration
}

// Validate checks a policy; errors name the field.
func (p EscalationPolicy) Validate() error {
	if len(p.Levels) == 0 || len(p.Levels) > 20 {
		return opsward.FieldErrorf("levels", "a policy needs between 1 and 20 levels")
	}
	var prev time.Duration
	for i, l := range p.Levels {
		if l.Delay < prev {
			return opsward.FieldErrorf("levels."+strconv.Itoa(i)+".delay", "delays must not decrease from one level to the next")
		}
		if len(l.Targets) == 0 {
			return opsward.FieldErrorf("levels."+strconv.Itoa(i)+".targets", "a level needs at least one target")
		}
		prev = l.Delay
	}
	if p.Repeat < 0 || p.Repeat > 10 {
		return opsward.FieldErrorf("repeat", "repeat must be between 0 and 10")
	}
	if p.Repeat > 0 && p.RepeatAfter <= 0 {
		return opsward.FieldErrorf("repeatAfter", "a repeating policy needs a positive repeat delay")
	}
	return nil
}

// Escalation is one level notification that is due.
type Escalation struct {
	Round   int // 0 for the first pass, 1 for the first repeat…
	Level   int
	Targets []string
	DueAt   time.Time
}

// roundLength is the time from a round's start to the next round's start.
func (p EscalationPolicy) roundLength() time.Duration {
	return p.Levels[len(p.Levels)-1].Delay + p.RepeatAfter
}

// Due returns the level notifications due at now that the incident's
// timeline does not already show (as EntryEscalation with the same round
// and level). It is idempotent: once the caller records what it sent,
// calling again returns nothing new, so it can run on any schedule, and a
// late run catches up in order. Acknowledged, resolved and suppressed
// incidents escalate no further; a reopened one starts again at level 0.
func Due(p EscalationPolicy, inc *Incident, now time.Time) []Escalation {
	if inc.Status != IncidentTriggered || inc.Suppressed || len(p.Levels) == 0 {
		return nil
	}
	// The clock starts when the incident last became triggered, so a
	// reopened incident escalates afresh from its first level.
	since := inc.OpenedAt
	for _, e := range inc.Timeline {
		if e.Kind == EntryStateChange && e.To == IncidentTriggered && e.At.After(since) {
			since = e.At
		}
	}
	type key struct{ r, l int }
	sent := map[key]bool{}
	for _, e := range inc.Timeline {
		if e.Kind == EntryEscalation && !e.At.Before(since) {
			sent[key{e.Round, e.Level}] = true
		}
	}
	var out []Escalation
	for r := 0; r <= p.Repeat; r++ {
		start := since.Add(time.Duration(r) * p.roundLength())
		if start.After(now) {
			break
		}
		for l, lv := range p.Levels {
			at := start.Add(lv.Delay)
			if at.After(now) {
				break
			}
			if !sent[key{r, l}] {
				out = append(out, Escalation{Round: r, Level: l, Targets: lv.Targets, DueAt: at})
			}
		}
	}
	return out
}

// RecordEscalation notes on the timeline that an escalation went out, so
// Due does not return it again.
func (i *Incident) RecordEscalation(e Escalation, at time.Time) {
	i.Timeline = append(i.Timeline, Entry{At: at, Kind: EntryEscalation, Round: e.Round, Level: e.Level, Targets: e.Targets})
}
