package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// Kind names a probe kind as stored on a monitor.
type Kind string

const (
	KindHTTP         Kind = "http"
	KindTCP          Kind = "tcp"
	KindPing         Kind = "ping"
	KindDNS          Kind = "dns"
	KindTLS          Kind = "tls"
	KindHeartbeat    Kind = "heartbeat"
	KindServerHealth Kind = "server_health"
	KindSNMP         Kind = "snmp"
)

// Status is the verdict of one run.
type Status string

const (
	StatusUp       Status = "up"
	StatusDegraded Status = "degraded"
	StatusDown     Status = "down"
	// StatusUnknown: the run could not judge (no heartbeat expected yet).
	// The state machine keeps the monitor where it was.
	StatusUnknown Status = "unknown"
)

// worse returns the more severe of two statuses.
func worse(a, b Status) Status {
	rank := map[Status]int{StatusUnknown: 0, StatusUp: 1, StatusDegraded: 2, StatusDown: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Reasons say in one word why a run was not up, for filters and for the
// state machine; Message says it to a person.
const (
	ReasonTimeout    = "timeout"
	ReasonForbidden  = "forbidden"   // refused by the egress guard
	ReasonConnect    = "connect"     // refused, unreachable, reset
	ReasonResolve    = "resolve"     // the name did not resolve
	ReasonTLS        = "tls"         // handshake or verification
	ReasonStatus     = "status"      // HTTP status not expected
	ReasonAssertion  = "assertion"   // body, JSONPath, DNS answer
	ReasonLatency    = "latency"     // over the latency limit
	ReasonThreshold  = "threshold"   // a metric rule fired
	ReasonCert       = "certificate" // expiry, chain, name, change
	ReasonLoss       = "packet_loss" // ping
	ReasonNoBeat     = "no_beat"     // heartbeat missed
	ReasonProtocol   = "protocol"    // peer spoke, but not sense
	ReasonInternal   = "internal"    // a defect here, not at the peer
	ReasonBadSetting = "settings"    // settings failed validation
)

// Timings break a run down; zero fields did not happen (no TLS on plain
// HTTP, no DNS for a literal address).
type Timings struct {
	DNS       time.Duration `json:"dns,omitempty"`
	Connect   time.Duration `json:"connect,omitempty"`
	TLS       time.Duration `json:"tls,omitempty"`
	FirstByte time.Duration `json:"first_byte,omitempty"`
	Total     time.Duration `json:"total,omitempty"`
}

// Signal is a finding that may interest the SOC (a certificate that changed,
// a port that should be closed answering). The NOC service passes it on.
type Signal struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

const (
	SignalCertificateChanged = "certificate_changed"
	SignalPortOpen           = "port_open"
	SignalTrafficAnomaly     = "traffic_anomaly"
)

// Result is what one run produced.
type Result struct {
	Status    Status             `json:"status"`
	Reason    string             `json:"reason,omitempty"`
	Message   string             `json:"message,omitempty"`
	StartedAt time.Time          `json:"started_at"`
	Latency   time.Duration      `json:"latency"`
	Timings   Timings            `json:"timings"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	Signals   []Signal           `json:"signals,omitempty"`
	// State is handed back as Input.Previous on the next run: previous
	// counter samples, a certificate fingerprint. Opaque to the caller.
	State json.RawMessage `json:"state,omitempty"`
}

func (r *Result) metric(name string, v float64) {
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	r.Metrics[name] = v
}

// fail sets a verdict unless a worse one is already there.
func (r *Result) fail(s Status, reason, format string, args ...any) {
	if worse(r.Status, s) == r.Status && r.Status != StatusUp && r.Status != "" {
		return
	}
	r.Status, r.Reason, r.Message = s, reason, fmt.Sprintf(format, args...)
}

// Input is what a run knows beyond its settings.
type Input struct {
	// Timeout bounds the whole run; default 10s, at most 2 minutes.
	Timeout time.Duration
	// Now is the time of the run; zero means time.Now().
	Now time.Time
	// Previous is Result.State of the monitor's previous run, if any.
	Previous json.RawMessage
	// LastBeat is when the heartbeat endpoint last heard from the job
	// (heartbeat monitors only); Since is when the monitor started
	// expecting beats (created or resumed).
	LastBeat time.Time
	Since    time.Time
}

// Settings is a kind's typed settings.
type Settings interface {
	Validate() error
}

// Prober is one monitor kind.
type Prober interface {
	Kind() Kind
	// Parse decodes JSON settings and validates them. Errors are
	// *opsward.Error with Field set ("settings.url").
	Parse(raw []byte) (Settings, error)
	// Probe runs one check. It honours ctx and in.Timeout and never
	// returns a Result without a Status.
	Probe(ctx context.Context, s Settings, in Input) Result
}

// Deps are what probes need from the platform.
type Deps struct {
	// Guard checks every address a probe connects to. Required.
	Guard *egress.Guard
}

// Registry holds one Prober per kind.
type Registry struct {
	probers map[Kind]Prober
	guard   *egress.Guard
}

// NewRegistry returns every probe kind, wired to deps.
func NewRegistry(deps Deps) *Registry {
	if deps.Guard == nil {
		panic("probe: Deps.Guard is required")
	}
	r := &Registry{probers: map[Kind]Prober{}, guard: deps.Guard}
	for _, p := range []Prober{
		NewHTTP(deps.Guard),
		NewTCP(deps.Guard),
		NewPing(deps.Guard),
		NewDNS(deps.Guard),
		NewTLS(deps.Guard),
		NewHeartbeat(),
		NewServerHealth(deps.Guard),
		NewSNMP(deps.Guard),
	} {
		r.probers[p.Kind()] = p
	}
	return r
}

// Get returns the prober of kind k.
func (r *Registry) Get(k Kind) (Prober, error) {
	p, ok := r.probers[k]
	if !ok {
		return nil, opsward.FieldErrorf("kind", "unknown monitor kind %q", k)
	}
	return p, nil
}

// Kinds lists the registered kinds.
func (r *Registry) Kinds() []Kind {
	out := make([]Kind, 0, len(r.probers))
	for k := range r.probers {
		out = append(out, k)
	}
	return out
}

// Validate parses and validates raw settings of kind k.
func (r *Registry) Validate(k Kind, raw []byte) error {
	p, err := r.Get(k)
	if err != nil {
		return err
	}
	_, err = p.Parse(raw)
	return err
}

// Run parses the settings and runs one check. Bad settings and panics
// become a down result with a reason, never a crash of the worker.
func (r *Registry) Run(ctx context.Context, k Kind, raw []byte, in Input) (res Result) {
	start := time.Now()
	p, err := r.Get(k)
	if err == nil {
		var s Settings
		if s, err = p.Parse(raw); err == nil {
			return Run(ctx, p, s, in)
		}
	}
	return Result{Status: StatusDown, Reason: ReasonBadSetting, Message: opsward.ErrorMessage(err), StartedAt: start}
}

// Run runs p with the timeout of in applied and a panic turned into a
// down result.
func Run(ctx context.Context, p Prober, s Settings, in Input) (res Result) {
	in = in.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, in.Timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			res = Result{Status: StatusDown, Reason: ReasonInternal, Message: "internal error in the probe", StartedAt: in.Now}
		}
	}()
	res = p.Probe(ctx, s, in)
	if res.Status == "" {
		res.Status = StatusDown
		res.Reason = ReasonInternal
	}
	if res.StartedAt.IsZero() {
		res.StartedAt = in.Now
	}
	return res
}

const (
	defaultTimeout = 10 * time.Second
	maxTimeout     = 2 * time.Minute
)

func (in Input) withDefaults() Input {
	if in.Timeout <= 0 {
		in.Timeout = defaultTimeout
	}
	if in.Timeout > maxTimeout {
		in.Timeout = maxTimeout
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	return in
}

// Duration is a duration in settings JSON: a Go duration string ("1.5s",
// "250ms") or a number of milliseconds.
type Duration time.Duration

func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as \"5s\" or \"250ms\"", s)
		}
		*d = Duration(v)
		return nil
	}
	ms, err := strconv.ParseFloat(string(b), 64)
	if err != nil || ms > float64(365*24*time.Hour/time.Millisecond) || ms < -1e12 {
		return fmt.Errorf("a duration is a string such as \"5s\" or a number of milliseconds")
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// decode reads JSON settings strictly (unknown fields are errors, since a
// misspelt assertion that is silently ignored would pass forever) and
// validates them.
func decode(raw []byte, s Settings) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return jsonFieldError(err)
	}
	if dec.More() {
		return opsward.FieldErrorf("settings", "has trailing data after the JSON object")
	}
	return s.Validate()
}

func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return opsward.FieldErrorf("settings."+te.Field, "must be a %s", te.Type.String())
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return opsward.FieldErrorf("settings."+strings.Trim(f, `"`), "is not a setting of this monitor kind")
	}
	return opsward.FieldErrorf("settings", "is not valid JSON settings: %s", strings.TrimPrefix(msg, "json: "))
}

// classify turns a network error into a reason and a message for people.
func classify(err error, ctx context.Context) (string, string) {
	var be *egress.BlockedError
	switch {
	case errors.As(err, &be):
		return ReasonForbidden, be.Error()
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded || isTimeout(err):
		return ReasonTimeout, "timed out"
	case isDNSError(err):
		return ReasonResolve, "the name did not resolve: " + err.Error()
	}
	return ReasonConnect, err.Error()
}
