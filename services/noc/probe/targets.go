package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// Target is a host that a monitor's checks connect to, and the settings
// field that names it.
type Target struct {
	Field string // "settings.url"
	Host  string // a name or an IP literal
}

// Targeter is implemented by settings that connect somewhere.
type Targeter interface {
	Targets() []Target
}

func (s *HTTPSettings) Targets() []Target {
	if s.url == nil {
		return nil
	}
	return []Target{{"settings.url", s.url.Hostname()}}
}

func (s *ServerHealthSettings) Targets() []Target {
	if s.url == nil {
		return nil
	}
	return []Target{{"settings.url", s.url.Hostname()}}
}

func (s *TCPSettings) Targets() []Target  { return []Target{{"settings.host", s.Host}} }
func (s *PingSettings) Targets() []Target { return []Target{{"settings.host", s.Host}} }
func (s *TLSSettings) Targets() []Target  { return []Target{{"settings.host", s.Host}} }
func (s *SNMPSettings) Targets() []Target { return []Target{{"settings.host", s.Host}} }

// Targets of a DNS check: the resolver it asks, when it names one (the
// name looked up is data, not a place the check connects to).
func (s *DNSSettings) Targets() []Target {
	if s.Resolver == "" {
		return nil
	}
	host := s.Resolver
	if h, _, err := net.SplitHostPort(s.Resolver); err == nil {
		host = h
	}
	return []Target{{"settings.resolver", host}}
}

// reachLookupTimeout bounds the name lookups of CheckReach.
const reachLookupTimeout = 5 * time.Second

// CheckReach parses settings of kind k and refuses them, with a field
// error on the setting, when a host they connect to is one the egress
// guard refuses: a literal address in a refused range, or a name all of
// whose addresses are. It is the check when a monitor is saved, so that
// a target that could never be checked is refused at once instead of
// opening an incident on every check; the guard still judges every
// connection, since a name may resolve elsewhere later (DNS rebinding).
// A name that does not resolve now is accepted: it may be published
// later, and each check reports the failure.
func (r *Registry) CheckReach(ctx context.Context, k Kind, raw []byte) error {
	p, err := r.Get(k)
	if err != nil {
		return err
	}
	s, err := p.Parse(raw)
	if err != nil {
		return err
	}
	t, ok := s.(Targeter)
	if !ok || r.guard == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, reachLookupTimeout)
	defer cancel()
	for _, tg := range t.Targets() {
		if tg.Host == "" {
			continue
		}
		var blocked *egress.BlockedError
		if a, err := netip.ParseAddr(tg.Host); err == nil {
			err := r.guard.Check(a)
			if errors.As(err, &blocked) {
				return opsward.FieldErrorf(tg.Field, "%s", blocked.Error())
			}
			continue
		}
		if _, err := r.guard.Resolve(ctx, tg.Host); errors.As(err, &blocked) {
			return opsward.FieldErrorf(tg.Field, "%s", blocked.Error())
		}
	}
	return nil
}
