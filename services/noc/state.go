package noc

import (
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

// State is what a monitor shows.
type State string

const (
	StateUp          State = "up"
	StateDegraded    State = "degraded"
	StateDown        State = "down"
	StatePaused      State = "paused"
	StateMaintenance State = "maintenance"
	StateUnknown     State = "unknown"
)

// DegradedMode says what a degraded result means for a monitor.
type DegradedMode string

const (
	// DegradedAsState: degraded is a state of its own, reached and left
	// with the same thresholds as down. It notifies but opens no incident.
	DegradedAsState DegradedMode = "degraded"
	// DegradedAsUp: degraded results count as up (a slow site is up).
	DegradedAsUp DegradedMode = "up"
	// DegradedAsDown: degraded results count as failures.
	DegradedAsDown DegradedMode = "down"
)

// FlapConfig tunes flap detection. The score is the weighted share of
// changes between consecutive results over the last Window results, newer
// changes weighing more (0.8 for the oldest to 1.2 for the newest, as
// Nagios does). A monitor starts flapping when the score reaches High and
// stops only when it falls below Low; the gap is the hysteresis that keeps
// the flapping flag itself from flapping.
type FlapConfig struct {
	Disabled bool
	Window   int     // results considered; default 21
	High     float64 // default 0.5
	Low      float64 // default 0.25
}

// MonitorConfig is the state-machine part of a monitor's settings.
type MonitorConfig struct {
	FailuresBeforeDown      int // N; default 1
	SuccessesBeforeRecovery int // M; default 1
	Degraded                DegradedMode
	Flap                    FlapConfig
}

// WithDefaults fills unset fields.
func (c MonitorConfig) WithDefaults() MonitorConfig {
	if c.FailuresBeforeDown == 0 {
		c.FailuresBeforeDown = 1
	}
	if c.SuccessesBeforeRecovery == 0 {
		c.SuccessesBeforeRecovery = 1
	}
	if c.Degraded == "" {
		c.Degraded = DegradedAsState
	}
	if c.Flap.Window == 0 {
		c.Flap.Window = 21
	}
	if c.Flap.High == 0 {
		c.Flap.High = 0.5
	}
	if c.Flap.Low == 0 {
		c.Flap.Low = 0.25
	}
	return c
}

// Validate checks a config after WithDefaults.
func (c MonitorConfig) Validate() error {
	switch {
	case c.FailuresBeforeDown < 1 || c.FailuresBeforeDown > 100:
		return opsward.FieldErrorf("failuresBeforeDown", "failures before down must be between 1 and 100")
	case c.SuccessesBeforeRecovery < 1 || c.SuccessesBeforeRecovery > 100:
		return opsward.FieldErrorf("successesBeforeRecovery", "successes before recovery must be between 1 and 100")
	}
	switch c.Degraded {
	case DegradedAsState, DegradedAsUp, DegradedAsDown:
	default:
		return opsward.FieldErrorf("degraded", "degraded handling must be degraded, up or down")
	}
	if c.Flap.Window < 3 || c.Flap.Window > 100 {
		return opsward.FieldErrorf("flap.window", "flap window must be between 3 and 100 results")
	}
	if !(c.Flap.Low > 0 && c.Flap.Low < c.Flap.High && c.Flap.High <= 1) {
		return opsward.FieldErrorf("flap.high", "flap thresholds must satisfy 0 < low < high <= 1")
	}
	return nil
}

// MonitorState is what the machine remembers between results. Storage
// keeps it per monitor; the zero value is a new monitor.
type MonitorState struct {
	// Health is the last confirmed verdict (up, degraded, down or unknown),
	// kept even while paused or in maintenance.
	Health      State
	Since       time.Time // when State last changed
	Paused      bool
	Maintenance bool
	// Pending is the verdict the current streak is heading to.
	Pending  State
	Streak   int
	Recent   []State // verdicts of the last Flap.Window results, oldest first
	Flapping bool
	Score    float64
}

// State is what the monitor shows: paused and maintenance hide Health.
func (s MonitorState) State() State {
	switch {
	case s.Paused:
		return StatePaused
	case s.Maintenance:
		return StateMaintenance
	case s.Health == "":
		return StateUnknown
	}
	return s.Health
}

// FlapChange says whether flapping began or ended on this step.
type FlapChange string

const (
	FlapNone    FlapChange = ""
	FlapStarted FlapChange = "started"
	FlapStopped FlapChange = "stopped"
)

// Transition is what a step asks the caller to do. The caller keeps one
// incident per outage: OpenIncident on a monitor that already has an open
// incident is a no-op there.
type Transition struct {
	From, To State
	At       time.Time
	Flap     FlapChange
	// Notify: tell people (a state change outside maintenance and outside
	// flapping, or the one notice that flapping began or ended).
	Notify        bool
	OpenIncident  bool
	CloseIncident bool
}

// Changed reports whether the shown state changed.
func (t Transition) Changed() bool { return t.From != t.To }

var rank = map[State]int{StateUnknown: 0, StateUp: 1, StateDegraded: 2, StateDown: 3}

// verdict maps a result to the health it argues for; "" means no verdict.
func (c MonitorConfig) verdict(st probe.Status) State {
	switch st {
	case probe.StatusUp:
		return StateUp
	case probe.StatusDown:
		return StateDown
	case probe.StatusDegraded:
		switch c.Degraded {
		case DegradedAsUp:
			return StateUp
		case DegradedAsDown:
			return StateDown
		}
		return StateDegraded
	}
	return ""
}

// Step feeds one result to the machine. It is pure: the same state, result
// and time give the same answer. A paused monitor ignores results; an
// unknown result changes nothing (the probe could not judge). In
// maintenance the health is still tracked, so that leaving maintenance
// reflects reality, but nothing is notified and no incident opens.
func (c MonitorConfig) Step(s MonitorState, r probe.Result, now time.Time) (MonitorState, Transition) {
	c = c.WithDefaults()
	from := s.State()
	if s.Paused {
		return s, Transition{From: from, To: from, At: now}
	}
	v := c.verdict(r.Status)
	if v == "" {
		return s, Transition{From: from, To: from, At: now}
	}
	s.Recent = append(append([]State(nil), s.Recent...), v)
	if len(s.Recent) > c.Flap.Window {
		s.Recent = s.Recent[len(s.Recent)-c.Flap.Window:]
	}

	health := s.Health
	if health == "" {
		health = StateUnknown
	}
	switch {
	case v == health:
		s.Pending, s.Streak = "", 0
	case health == StateUnknown && v == StateUp:
		// A new or resumed monitor believes its first success.
		s.Health, s.Pending, s.Streak = StateUp, "", 0
	default:
		worse := rank[v] > rank[health]
		if s.Pending != "" && (rank[s.Pending] > rank[health]) == worse {
			s.Streak++
		} else {
			s.Streak = 1
		}
		s.Pending = v
		need := c.SuccessesBeforeRecovery
		if worse {
			need = c.FailuresBeforeDown
		}
		if s.Streak >= need {
			s.Health, s.Pending, s.Streak = v, "", 0
		}
	}

	t := Transition{From: from, At: now}
	if !c.Flap.Disabled {
		s.Score = FlapScore(s.Recent)
		switch {
		// Not before half a window has been seen: three results of a new
		// monitor are too few to call it flapping.
		case !s.Flapping && s.Score >= c.Flap.High && len(s.Recent) >= c.Flap.Window/2:
			s.Flapping, t.Flap = true, FlapStarted
		case s.Flapping && s.Score < c.Flap.Low:
			s.Flapping, t.Flap = false, FlapStopped
		}
	}
	t.To = s.State()
	if t.Changed() {
		s.Since = now
	}
	if s.Maintenance {
		return s, t
	}
	switch {
	case t.Flap == FlapStarted:
		t.Notify = true
	case t.Flap == FlapStopped:
		// The one place a flapping monitor's outcome is acted on: settle
		// on where it landed.
		t.Notify = true
		t.OpenIncident = s.Health == StateDown
		t.CloseIncident = s.Health == StateUp || s.Health == StateDegraded
	case s.Flapping:
		// Damped: the state is shown, nobody is paged per change.
	case t.Changed():
		t.Notify = !(from == StateUnknown && t.To == StateUp)
		t.OpenIncident = t.To == StateDown
		t.CloseIncident = from == StateDown
	}
	return s, t
}

// FlapScore is the weighted share of changes between consecutive verdicts,
// from 0 (steady) to 1 (every result differs from the one before).
func FlapScore(recent []State) float64 {
	n := len(recent) - 1
	if n < 1 {
		return 0
	}
	var changed, total float64
	for i := 1; i <= n; i++ {
		w := 0.8
		if n > 1 {
			w += 0.4 * float64(i-1) / float64(n-1)
		}
		total += w
		if recent[i] != recent[i-1] {
			changed += w
		}
	}
	return changed / total
}

// Pause stops a monitor; results are ignored until Resume.
func Pause(s MonitorState, now time.Time) (MonitorState, Transition) {
	from := s.State()
	s.Paused = true
	if from != StatePaused {
		s.Since = now
	}
	return s, Transition{From: from, To: s.State(), At: now}
}

// Resume restarts a paused monitor from unknown: what it saw before the
// pause says nothing about now.
func Resume(s MonitorState, now time.Time) (MonitorState, Transition) {
	from := s.State()
	if !s.Paused {
		return s, Transition{From: from, To: from, At: now}
	}
	s = MonitorState{Health: StateUnknown, Since: now, Maintenance: s.Maintenance}
	return s, Transition{From: from, To: s.State(), At: now}
}

// SetMaintenance enters or leaves maintenance. Leaving it settles on the
// health seen during it: down opens an incident (none was opened during),
// up closes one left open from before.
func SetMaintenance(s MonitorState, active bool, now time.Time) (MonitorState, Transition) {
	from := s.State()
	s.Maintenance = active
	t := Transition{From: from, To: s.State(), At: now}
	if t.Changed() {
		s.Since = now
	}
	if !active && from == StateMaintenance && !s.Paused && !s.Flapping {
		t.Notify = t.Changed() && t.To != StateUp && t.To != StateUnknown
		t.OpenIncident = s.Health == StateDown
		t.CloseIncident = s.Health == StateUp || s.Health == StateDegraded
	}
	return s, t
}
