package noc_test

import (
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func run(c noc.MonitorConfig, s noc.MonitorState, seq string) (noc.MonitorState, []noc.Transition) {
	var ts []noc.Transition
	for i, ch := range seq {
		st := map[rune]probe.Status{'u': probe.StatusUp, 'd': probe.StatusDown, 'g': probe.StatusDegraded, '?': probe.StatusUnknown}[ch]
		var t noc.Transition
		s, t = c.Step(s, probe.Result{Status: st}, t0.Add(time.Duration(i)*time.Minute))
		ts = append(ts, t)
	}
	return s, ts
}

func TestStep(t *testing.T) {
	t.Parallel()
	noFlap := noc.FlapConfig{Disabled: true}
	tests := []struct {
		name      string
		cfg       noc.MonitorConfig
		seq       string
		want      noc.State
		opens     int
		closes    int
		notifies  int
		lastTrans noc.State // To of the last changing transition, "" if none
	}{
		{"new monitor up at once, no notice", noc.MonitorConfig{Flap: noFlap}, "u", noc.StateUp, 0, 0, 0, noc.StateUp},
		{"one failure below N stays up", noc.MonitorConfig{FailuresBeforeDown: 3, Flap: noFlap}, "udd", noc.StateUp, 0, 0, 0, noc.StateUp},
		{"N failures go down and open", noc.MonitorConfig{FailuresBeforeDown: 3, Flap: noFlap}, "uddd", noc.StateDown, 1, 0, 1, noc.StateDown},
		{"a success resets the failure streak", noc.MonitorConfig{FailuresBeforeDown: 3, Flap: noFlap}, "uddudd", noc.StateUp, 0, 0, 0, noc.StateUp},
		{"M successes recover and close", noc.MonitorConfig{SuccessesBeforeRecovery: 2, Flap: noFlap}, "udu", noc.StateDown, 1, 0, 1, noc.StateDown},
		{"M successes recover and close 2", noc.MonitorConfig{SuccessesBeforeRecovery: 2, Flap: noFlap}, "uduu", noc.StateUp, 1, 1, 2, noc.StateUp},
		{"unknown changes nothing", noc.MonitorConfig{FailuresBeforeDown: 2, Flap: noFlap}, "ud?d", noc.StateDown, 1, 0, 1, noc.StateDown},
		{"degraded as state notifies, no incident", noc.MonitorConfig{Flap: noFlap}, "ug", noc.StateDegraded, 0, 0, 1, noc.StateDegraded},
		{"degraded as up", noc.MonitorConfig{Degraded: noc.DegradedAsUp, Flap: noFlap}, "ugg", noc.StateUp, 0, 0, 0, noc.StateUp},
		{"degraded as down", noc.MonitorConfig{Degraded: noc.DegradedAsDown, Flap: noFlap}, "ug", noc.StateDown, 1, 0, 1, noc.StateDown},
		{"degraded then down counts as one failing streak", noc.MonitorConfig{FailuresBeforeDown: 2, Flap: noFlap}, "ugd", noc.StateDown, 1, 0, 1, noc.StateDown},
		{"first failure of a new monitor needs N too", noc.MonitorConfig{FailuresBeforeDown: 2, Flap: noFlap}, "d", noc.StateUnknown, 0, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, ts := run(tt.cfg, noc.MonitorState{}, tt.seq)
			if s.State() != tt.want {
				t.Fatalf("state %s, want %s", s.State(), tt.want)
			}
			var opens, closes, notifies int
			var last noc.State
			for _, tr := range ts {
				if tr.OpenIncident {
					opens++
				}
				if tr.CloseIncident {
					closes++
				}
				if tr.Notify {
					notifies++
				}
				if tr.Changed() {
					last = tr.To
				}
			}
			if opens != tt.opens || closes != tt.closes || notifies != tt.notifies || last != tt.lastTrans {
				t.Fatalf("opens %d closes %d notifies %d last %q; want %d %d %d %q", opens, closes, notifies, last, tt.opens, tt.closes, tt.notifies, tt.lastTrans)
			}
		})
	}
}

func TestStepFlappingIsDetectedAndDamped(t *testing.T) {
	t.Parallel()
	c := noc.MonitorConfig{Flap: noc.FlapConfig{Window: 10, High: 0.5, Low: 0.25}}
	s, ts := run(c, noc.MonitorState{}, "uuuuudududud")
	if !s.Flapping {
		t.Fatalf("not flapping, score %.2f", s.Score)
	}
	var started, notifies, opens int
	for _, tr := range ts {
		if tr.Flap == noc.FlapStarted {
			started++
		}
		if tr.Notify {
			notifies++
		}
		if tr.OpenIncident {
			opens++
		}
	}
	if started != 1 {
		t.Fatalf("flapping started %d times, want once", started)
	}
	// Before flapping was detected some changes were real (up→down→up...);
	// after it, none may notify except the one flapping notice.
	afterStart := false
	for _, tr := range ts {
		if afterStart && tr.Notify {
			t.Fatalf("notified while flapping: %+v", tr)
		}
		if tr.Flap == noc.FlapStarted {
			afterStart = true
		}
	}
	// Hysteresis: a few steady results do not stop flapping at once...
	s, ts = run(c, s, "ddd")
	if !s.Flapping {
		t.Fatalf("stopped flapping too early, score %.2f", s.Score)
	}
	for _, tr := range ts {
		if tr.Notify || tr.OpenIncident {
			t.Fatalf("paged while flapping: %+v", tr)
		}
	}
	// ...but a steady run does, settling on where the monitor landed.
	s, ts = run(c, s, "dddddd")
	if s.Flapping {
		t.Fatalf("still flapping, score %.2f", s.Score)
	}
	var stop *noc.Transition
	for i := range ts {
		if ts[i].Flap == noc.FlapStopped {
			stop = &ts[i]
		}
	}
	if stop == nil || !stop.Notify || !stop.OpenIncident {
		t.Fatalf("flap stop transition %+v, want notify and open incident (down)", stop)
	}
}

func TestFlapScore(t *testing.T) {
	t.Parallel()
	u, d := noc.StateUp, noc.StateDown
	tests := []struct {
		in       []noc.State
		min, max float64
	}{
		{nil, 0, 0},
		{[]noc.State{u}, 0, 0},
		{[]noc.State{u, u, u, u}, 0, 0},
		{[]noc.State{u, d, u, d}, 1, 1},
		{[]noc.State{u, u, u, d}, 0.39, 0.41}, // newest change weighs 1.2 of 3
		{[]noc.State{u, d, d, d}, 0.26, 0.27}, // oldest change weighs 0.8 of 3
	}
	for _, tt := range tests {
		if got := noc.FlapScore(tt.in); got < tt.min || got > tt.max {
			t.Errorf("FlapScore(%v) = %.3f, want in [%.2f, %.2f]", tt.in, got, tt.min, tt.max)
		}
	}
}

func TestPauseResumeMaintenance(t *testing.T) {
	t.Parallel()
	c := noc.MonitorConfig{Flap: noc.FlapConfig{Disabled: true}}
	s, _ := run(c, noc.MonitorState{}, "u")

	s, tr := noc.Pause(s, t0)
	if s.State() != noc.StatePaused || tr.To != noc.StatePaused {
		t.Fatalf("pause: %s", s.State())
	}
	s, ts := run(c, s, "ddd")
	if s.State() != noc.StatePaused || ts[2].OpenIncident {
		t.Fatalf("paused monitor reacted: %s", s.State())
	}
	s, _ = noc.Resume(s, t0)
	if s.State() != noc.StateUnknown {
		t.Fatalf("resume: %s", s.State())
	}

	s, _ = run(c, s, "u")
	s, tr = noc.SetMaintenance(s, true, t0)
	if tr.To != noc.StateMaintenance {
		t.Fatalf("maintenance: %s", tr.To)
	}
	s, ts = run(c, s, "dd")
	for _, tr := range ts {
		if tr.Notify || tr.OpenIncident {
			t.Fatalf("alerted in maintenance: %+v", tr)
		}
	}
	if s.Health != noc.StateDown {
		t.Fatalf("health not tracked in maintenance: %s", s.Health)
	}
	s, tr = noc.SetMaintenance(s, false, t0)
	if s.State() != noc.StateDown || !tr.OpenIncident || !tr.Notify {
		t.Fatalf("leaving maintenance while down: %s %+v", s.State(), tr)
	}
}

func TestMonitorConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg   noc.MonitorConfig
		field string
	}{
		{noc.MonitorConfig{}, ""},
		{noc.MonitorConfig{FailuresBeforeDown: -1}, "failuresBeforeDown"},
		{noc.MonitorConfig{SuccessesBeforeRecovery: 101}, "successesBeforeRecovery"},
		{noc.MonitorConfig{Degraded: "maybe"}, "degraded"},
		{noc.MonitorConfig{Flap: noc.FlapConfig{Window: 2}}, "flap.window"},
		{noc.MonitorConfig{Flap: noc.FlapConfig{High: 0.2, Low: 0.3}}, "flap.high"},
	}
	for _, tt := range tests {
		err := tt.cfg.WithDefaults().Validate()
		if got := opsward.ErrorField(err); got != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("%+v: err %v, want field %q", tt.cfg, err, tt.field)
		}
	}
}

func TestLeavingMaintenanceWhileUpClosesOldIncident(t *testing.T) {
	t.Parallel()
	c := noc.MonitorConfig{Flap: noc.FlapConfig{Disabled: true}}
	s, _ := run(c, noc.MonitorState{}, "ud")
	s, _ = noc.SetMaintenance(s, true, t0)
	s, _ = run(c, s, "u")
	s, tr := noc.SetMaintenance(s, false, t0)
	if s.State() != noc.StateUp || !tr.CloseIncident || tr.OpenIncident {
		t.Fatalf("%s %+v", s.State(), tr)
	}
}
