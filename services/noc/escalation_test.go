package noc_test

import (
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc"
)

func policy() noc.EscalationPolicy {
	return noc.EscalationPolicy{
		Levels: []noc.EscalationLevel{
			{Delay: 0, Targets: []string{"oncall"}},
			{Delay: 15 * time.Minute, Targets: []string{"lead"}},
		},
		Repeat:      2,
		RepeatAfter: 15 * time.Minute,
	}
}

// TestEscalationRepeats is the "escalation repeats" behaviour: levels fire
// in order, the policy starts over Repeat times, and running Due again
// after recording what was sent returns nothing new.
func TestEscalationRepeats(t *testing.T) {
	t.Parallel()
	p := policy()
	mustNil(t, p.Validate())
	type rl struct{ r, l int }
	tests := []struct {
		after time.Duration
		want  []rl // newly due since the previous row
	}{
		{0, []rl{{0, 0}}},
		{14 * time.Minute, nil},
		{15 * time.Minute, []rl{{0, 1}}},
		{29 * time.Minute, nil},
		{30 * time.Minute, []rl{{1, 0}}},
		{45 * time.Minute, []rl{{1, 1}}},
		{60 * time.Minute, []rl{{2, 0}}},
		{75 * time.Minute, []rl{{2, 1}}},
		{5 * time.Hour, nil}, // repeats exhausted
	}
	inc := noc.NewIncident("i", "m", "a", "down", noc.CriticalityHigh, t0)
	for _, tt := range tests {
		now := t0.Add(tt.after)
		got := noc.Due(p, inc, now)
		if len(got) != len(tt.want) {
			t.Fatalf("at +%s: due %+v, want %v", tt.after, got, tt.want)
		}
		for k, e := range got {
			if e.Round != tt.want[k].r || e.Level != tt.want[k].l || e.DueAt.After(now) {
				t.Fatalf("at +%s: due %+v, want %v", tt.after, got, tt.want)
			}
			inc.RecordEscalation(e, now)
		}
		if again := noc.Due(p, inc, now); len(again) != 0 {
			t.Fatalf("at +%s: not idempotent, %+v", tt.after, again)
		}
	}
}

func TestEscalationCatchesUpInOrder(t *testing.T) {
	t.Parallel()
	inc := noc.NewIncident("i", "m", "a", "down", noc.CriticalityHigh, t0)
	got := noc.Due(policy(), inc, t0.Add(40*time.Minute))
	if len(got) != 3 || got[0].Level != 0 || got[1].Level != 1 || got[2].Round != 1 {
		t.Fatalf("late run: %+v", got)
	}
}

func TestEscalationStopsOnAcknowledgeResolveOrSuppress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		act  func(*noc.Incident)
	}{
		{"acknowledged", func(i *noc.Incident) { mustNil(t, i.Acknowledge("u", t0.Add(time.Minute))) }},
		{"resolved", func(i *noc.Incident) { mustNil(t, i.Resolve("", t0.Add(time.Minute))) }},
		{"suppressed", func(i *noc.Incident) {
			i.SuppressBy(noc.NewIncident("p", "m2", "a2", "switch down", noc.CriticalityHigh, t0), t0)
		}},
	}
	for _, tt := range tests {
		inc := noc.NewIncident("i", "m", "a", "down", noc.CriticalityHigh, t0)
		if len(noc.Due(policy(), inc, t0)) != 1 {
			t.Fatalf("%s: first level not due", tt.name)
		}
		tt.act(inc)
		if got := noc.Due(policy(), inc, t0.Add(time.Hour)); got != nil {
			t.Errorf("%s: still escalating %+v", tt.name, got)
		}
	}
}

func TestEscalationPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		mut   func(*noc.EscalationPolicy)
		field string
	}{
		{"valid", func(p *noc.EscalationPolicy) {}, ""},
		{"no levels", func(p *noc.EscalationPolicy) { p.Levels = nil }, "levels"},
		{"decreasing", func(p *noc.EscalationPolicy) { p.Levels[1].Delay = -1 }, "levels.1.delay"},
		{"no targets", func(p *noc.EscalationPolicy) { p.Levels[0].Targets = nil }, "levels.0.targets"},
		{"repeat negative", func(p *noc.EscalationPolicy) { p.Repeat = -1 }, "repeat"},
		{"repeat without delay", func(p *noc.EscalationPolicy) { p.RepeatAfter = 0 }, "repeatAfter"},
	}
	for _, tt := range tests {
		p := policy()
		p.Levels = append([]noc.EscalationLevel(nil), p.Levels...)
		tt.mut(&p)
		err := p.Validate()
		if got := opsward.ErrorField(err); got != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("%s: err %v, want field %q", tt.name, err, tt.field)
		}
	}
}

func TestEscalationRestartsWhenReopened(t *testing.T) {
	t.Parallel()
	inc := noc.NewIncident("i", "m", "a", "down", noc.CriticalityHigh, t0)
	for _, e := range noc.Due(policy(), inc, t0.Add(20*time.Minute)) {
		inc.RecordEscalation(e, t0.Add(20*time.Minute))
	}
	mustNil(t, inc.Resolve("", t0.Add(21*time.Minute)))
	reopened := t0.Add(25 * time.Minute)
	mustNil(t, inc.Reopen(reopened))
	got := noc.Due(policy(), inc, reopened)
	if len(got) != 1 || got[0].Round != 0 || got[0].Level != 0 || !got[0].DueAt.Equal(reopened) {
		t.Fatalf("after reopen: %+v", got)
	}
}
