package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// Target is an endpoint that a monitor's checks connect to, and the
// settings field that names it.
type Target struct {
	Field   string // "settings.url"
	Network string // tcp or udp (ping: udp, port 0)
	Host    string // a name or an IP literal
	Port    int
}

// Targeter is implemented by settings that connect somewhere.
type Targeter interface {
	Targets() []Target
}

func urlTarget(u *url.URL) []Target {
	if u == nil {
		return nil
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		port = p
	}
	return []Target{{"settings.url", "tcp", u.Hostname(), port}}
}

func (s *HTTPSettings) Targets() []Target         { return urlTarget(s.url) }
func (s *ServerHealthSettings) Targets() []Target { return urlTarget(s.url) }
func (s *TCPSettings) Targets() []Target          { return []Target{{"settings.host", "tcp", s.Host, s.Port}} }
func (s *PingSettings) Targets() []Target         { return []Target{{"settings.host", "udp", s.Host, 0}} }
func (s *TLSSettings) Targets() []Target          { return []Target{{"settings.host", "tcp", s.Host, s.Port}} }
func (s *SNMPSettings) Targets() []Target         { return []Target{{"settings.host", "udp", s.Host, s.Port}} }

// Targets of a DNS check: the resolver it asks, when it names one (the
// name looked up is data, not a place the check connects to).
func (s *DNSSettings) Targets() []Target {
	if s.Resolver == "" {
		return nil
	}
	host, port := s.Resolver, 53
	if h, p, err := net.SplitHostPort(s.Resolver); err == nil {
		host = h
		if n, err := strconv.Atoi(p); err == nil {
			port = n
		}
	}
	return []Target{{"settings.resolver", s.Transport, host, port}}
}

// reachLookupTimeout bounds the name lookups of CheckReach.
const reachLookupTimeout = 5 * time.Second

// CheckReach parses settings of kind k and refuses them, with a field
// error on the setting, when an endpoint they connect to is one the
// egress guard refuses: a literal address in a refused range, or a name
// all of whose addresses are. It is the check when a monitor is saved, so
// that a target that could never be checked is refused at once instead of
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
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(tg.Host); err == nil {
			addrs = []netip.Addr{a}
		} else {
			res := r.guard.Resolver
			if res == nil {
				res = net.DefaultResolver
			}
			if addrs, err = res.LookupNetIP(ctx, "ip", tg.Host); err != nil {
				continue
			}
		}
		// The guard judges each endpoint as it would the connection, so
		// the ranges and single endpoints the MSP allows apply alike.
		var first *egress.BlockedError
		allowed := false
		for _, a := range addrs {
			err := r.guard.Control(tg.Network, netip.AddrPortFrom(a.Unmap(), uint16(tg.Port)).String(), nil)
			var blocked *egress.BlockedError
			switch {
			case err == nil:
				allowed = true
			case errors.As(err, &blocked):
				if first == nil {
					first = blocked
				}
			}
		}
		if !allowed && first != nil {
			b := *first
			if b.Host == "" && tg.Host != b.Addr.String() {
				b.Host = tg.Host
			}
			return opsward.FieldErrorf(tg.Field, "%s", b.Error())
		}
	}
	return nil
}
