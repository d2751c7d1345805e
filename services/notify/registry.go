package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// Doer sends HTTP requests; *http.Client implements it. In production it
// is the egress client with timeouts and the SSRF guard.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Dialer opens TCP connections (SMTP); *net.Dialer implements it. In
// production it is the egress dialer with the SSRF guard.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Deps are what channels need from the process to send.
type Deps struct {
	// HTTP sends webhook, Slack, Teams and PagerDuty requests. Required by
	// those kinds.
	HTTP Doer
	// Dial connects to SMTP relays. Required by email.
	Dial Dialer
	// TLS is the base TLS configuration for SMTP (for example RootCAs);
	// nil means the system roots. It is cloned per connection.
	TLS *tls.Config
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Clock returns d.Now or time.Now.
func (d Deps) Clock() func() time.Time {
	if d.Now != nil {
		return d.Now
	}
	return time.Now
}

// Factory decodes one kind's stored configuration into a Channel bound to
// deps. It need not validate: Registry.Decode does.
type Factory func(config []byte, deps Deps) (Channel, error)

// Registry maps channel kinds to their factories.
type Registry struct {
	deps  Deps
	kinds map[string]Factory
}

// NewRegistry returns an empty registry whose channels use deps.
func NewRegistry(deps Deps) *Registry {
	return &Registry{deps: deps, kinds: map[string]Factory{}}
}

// Register adds a kind. It panics on an empty or duplicate kind: both are
// wiring mistakes found at start-up.
func (r *Registry) Register(kind string, f Factory) {
	if kind == "" || f == nil {
		panic("notify: Register needs a kind and a factory")
	}
	if _, dup := r.kinds[kind]; dup {
		panic(fmt.Sprintf("notify: kind %q registered twice", kind))
	}
	r.kinds[kind] = f
}

// Kinds lists the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	out := make([]string, 0, len(r.kinds))
	for k := range r.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Decode turns a stored or submitted configuration into a validated
// Channel. Errors are EINVALID and name the field ("config.<name>").
func (r *Registry) Decode(kind string, config []byte) (Channel, error) {
	f, ok := r.kinds[kind]
	if !ok {
		return nil, opsward.FieldErrorf("kind", "unknown channel kind; expected one of %s", strings.Join(r.Kinds(), ", "))
	}
	ch, err := f(config, r.deps)
	if err != nil {
		return nil, err
	}
	if ch.Kind() != kind {
		return nil, opsward.Internal(fmt.Errorf("factory of %q made a %q channel", kind, ch.Kind()))
	}
	if err := ch.Validate(); err != nil {
		return nil, err
	}
	return ch, nil
}

// MaxConfigSize bounds a channel's stored configuration.
const MaxConfigSize = 64 << 10

// DecodeConfig decodes one JSON object into v strictly: unknown fields,
// trailing data and oversized input are refused with an EINVALID error
// naming the field. Factories use it; error messages never repeat the
// input, which may hold secrets.
func DecodeConfig(raw []byte, v any) error {
	if len(raw) > MaxConfigSize {
		return opsward.FieldErrorf("config", "configuration must be at most %d bytes", MaxConfigSize)
	}
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return opsward.FieldErrorf("config", "configuration must be a JSON object")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return opsward.FieldErrorf("config", "configuration is not valid JSON")
	}
	known := jsonFields(reflect.TypeOf(v))
	names := make([]string, 0, len(top))
	for k := range top {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !known[k] {
			if len(k) > 64 || !printable(k) {
				k = "?"
			}
			return opsward.FieldErrorf("config."+k, "unknown setting %q", k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return opsward.FieldErrorf("config."+te.Field, "%s has the wrong type (want %s)", te.Field, te.Type)
		}
		return opsward.FieldErrorf("config", "configuration is not valid")
	}
	return nil
}

// jsonFields returns the JSON names of the exported fields of the struct
// t points at.
func jsonFields(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := map[string]bool{}
	if t.Kind() != reflect.Struct {
		return out
	}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = true
	}
	return out
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
