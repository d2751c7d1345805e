package billing

import (
	"slices"
	"time"
)

// Phase is a price version in force from From until the next phase.
type Phase struct {
	Version PriceVersion
	From    time.Time
}

// SegmentsOf clips phases (in order of From) to p: one segment per
// version in force during p. It returns nil when no phase has started
// before p ends.
func SegmentsOf(p Period, phases []Phase) []Segment {
	var out []Segment
	for i, ph := range phases {
		to := p.End
		if i+1 < len(phases) && phases[i+1].From.Before(to) {
			to = phases[i+1].From
		}
		from := ph.From
		if from.Before(p.Start) {
			from = p.Start
		}
		if !to.After(from) {
			continue
		}
		out = append(out, Segment{Version: ph.Version, From: from, To: to})
	}
	if len(out) > 0 && out[0].From.After(p.Start) {
		// The subscription began inside the period: its first version
		// covers the start too, so that the base fee is prorated from
		// the subscription's start only by an explicit phase.
		out[0].From = p.Start
	}
	return out
}

// Recorded is a usage event as the store holds it: Billed when an invoice
// has rated it already.
type Recorded struct {
	UsageEvent
	Billed bool
}

// CloseInput sorts a tenant's recorded events for the invoice that closes
// period p at closeAt (the period's end plus the grace period). Events
// recorded by closeAt whose time falls in p are p's usage; events of an
// earlier period not yet billed are late, rated against that period's
// prices beside what was billed for it. Events recorded after closeAt are
// left for the next invoice. billedOf returns the events already billed
// for an earlier period and phases its price history. The returned slice
// lists the events the invoice bills (to be marked billed with it).
func CloseInput(p Period, closeAt time.Time, iv Interval, anchor time.Time, unbilled []UsageEvent,
	billedOf func(Period) []UsageEvent, phases []Phase, terms Terms, credit int64) (RateInput, []UsageEvent) {
	in := RateInput{Period: p, Segments: SegmentsOf(p, phases), Terms: terms, Credit: credit}
	var take []UsageEvent
	late := map[time.Time]*LateUsage{}
	var lateStarts []time.Time
	for _, e := range unbilled {
		if e.ReceivedAt.After(closeAt) || !e.At.Before(p.End) {
			continue
		}
		take = append(take, e)
		if !e.At.Before(p.Start) {
			in.Events = append(in.Events, e)
			continue
		}
		lp := PeriodAt(anchor, iv, e.At)
		l := late[lp.Start]
		if l == nil {
			l = &LateUsage{Period: lp, Segments: SegmentsOf(lp, phases), Billed: billedOf(lp)}
			late[lp.Start] = l
			lateStarts = append(lateStarts, lp.Start)
		}
		l.New = append(l.New, e)
	}
	slices.SortFunc(lateStarts, time.Time.Compare)
	for _, s := range lateStarts {
		if l := late[s]; len(l.Segments) > 0 {
			in.Late = append(in.Late, *l)
		}
	}
	return in, take
}
