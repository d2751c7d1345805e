package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opsward/opsward"
)

// Guard decides which addresses the platform may connect to on a tenant's
// behalf and dials only those. The zero value refuses every special-purpose
// range; set Allow to open some of them (an MSP monitoring its customers'
// private networks through a collector, or tests on loopback).
type Guard struct {
	// Allow lists ranges that are reachable even though they are special
	// purpose (for example 10.20.0.0/16, or 127.0.0.0/8 in tests).
	Allow []netip.Prefix
	// Deny lists further ranges to refuse even though they are public
	// (for example the MSP's own infrastructure). Deny wins over Allow.
	Deny []netip.Prefix
	// AllowEndpoints lists single address:port pairs reachable even in a
	// special-purpose range: the demonstration target the binary serves on
	// loopback in demo mode, and nothing else on that address. Deny wins
	// over it too.
	AllowEndpoints []netip.AddrPort
	// DialTimeout bounds one connection attempt when the context has no
	// earlier deadline. Default 10s.
	DialTimeout time.Duration
	// Resolver resolves names before dialing; nil means the system
	// resolver. Tests point it at a server of their own.
	Resolver *net.Resolver
	// Lookup, when set, resolves names instead of Resolver: the DNS cache
	// (internal/dnscache), which keeps answers for their TTL. Every
	// address it returns is judged before it is dialed, exactly that
	// address, so a cached answer cannot lead anywhere a fresh one could
	// not.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// WithDefaults returns g with unset fields filled in.
func (g Guard) WithDefaults() Guard {
	if g.DialTimeout <= 0 {
		g.DialTimeout = 10 * time.Second
	}
	return g
}

// Validate reports a configuration that cannot be right, naming the setting.
func (g Guard) Validate() error {
	for i, p := range g.Allow {
		if !p.IsValid() {
			return opsward.FieldErrorf(fmt.Sprintf("egress.allow[%d]", i), "is not a valid CIDR range")
		}
		if p.Bits() == 0 {
			return opsward.FieldErrorf(fmt.Sprintf("egress.allow[%d]", i), "%s would allow every address and switch the guard off; list the ranges that are needed", p)
		}
	}
	for i, p := range g.Deny {
		if !p.IsValid() {
			return opsward.FieldErrorf(fmt.Sprintf("egress.deny[%d]", i), "is not a valid CIDR range")
		}
	}
	for i, e := range g.AllowEndpoints {
		if !e.IsValid() || e.Port() == 0 {
			return opsward.FieldErrorf(fmt.Sprintf("egress.allow_endpoints[%d]", i), "is not a valid address:port")
		}
	}
	if g.DialTimeout < 0 {
		return opsward.FieldErrorf("egress.dial_timeout", "must not be negative")
	}
	return nil
}

// ParsePrefixes parses a list of CIDRs or bare addresses (a bare address is
// a single-host range), as they come from configuration.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, opsward.FieldErrorf(fmt.Sprintf("egress.allow[%d]", i), "%q is neither a CIDR range nor an address", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, opsward.FieldErrorf(fmt.Sprintf("egress.allow[%d]", i), "%q is not a CIDR range", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// BlockedError says that an address was refused and why. It unwraps to an
// *opsward.Error with code EFORBIDDEN so that the edges report it as such.
type BlockedError struct {
	Addr   netip.Addr
	Host   string // the name that resolved to Addr, when there was one
	Range  netip.Prefix
	Reason string // "loopback", "private", "link-local", ...
}

func (e *BlockedError) Error() string {
	from := ""
	if e.Host != "" && e.Host != e.Addr.String() {
		from = fmt.Sprintf(" (from %s)", e.Host)
	}
	return fmt.Sprintf("address %s%s is %s: monitors may not reach it unless the MSP allows it", e.Addr, from, e.Reason)
}

func (e *BlockedError) Unwrap() error {
	return &opsward.Error{Code: opsward.EFORBIDDEN, Message: e.Error()}
}

// IsBlocked reports whether err (or its chain) is a refusal by a Guard.
func IsBlocked(err error) bool {
	var b *BlockedError
	return errors.As(err, &b)
}

type special struct {
	p      netip.Prefix
	reason string
}

func mp(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// specials is checked in order: the narrower, better-named ranges come
// before the wide ones that contain them.
var specials = []special{
	{mp("255.255.255.255/32"), "the broadcast address"},
	{mp("0.0.0.0/8"), "unspecified (\"this network\")"},
	{mp("10.0.0.0/8"), "private"},
	{mp("100.64.0.0/10"), "shared address space (carrier-grade NAT)"},
	{mp("127.0.0.0/8"), "loopback"},
	{mp("169.254.169.254/32"), "the cloud metadata service (link-local)"},
	{mp("169.254.0.0/16"), "link-local"},
	{mp("172.16.0.0/12"), "private"},
	{mp("192.0.0.0/24"), "reserved for IETF protocol assignments"},
	{mp("192.0.2.0/24"), "reserved for documentation"},
	{mp("192.88.99.0/24"), "reserved (6to4 relay anycast)"},
	{mp("192.168.0.0/16"), "private"},
	{mp("198.18.0.0/15"), "reserved for benchmarking"},
	{mp("198.51.100.0/24"), "reserved for documentation"},
	{mp("203.0.113.0/24"), "reserved for documentation"},
	{mp("224.0.0.0/4"), "multicast"},
	{mp("240.0.0.0/4"), "reserved"},

	{mp("::/128"), "unspecified"},
	{mp("::1/128"), "loopback"},
	{mp("::/96"), "an IPv4-compatible IPv6 address (deprecated)"},
	{mp("64:ff9b:1::/48"), "reserved for local-use NAT64"},
	{mp("100::/64"), "reserved for discard"},
	{mp("2001::/32"), "a Teredo tunnel address"},
	{mp("2001:2::/48"), "reserved for benchmarking"},
	{mp("2001:10::/28"), "reserved (ORCHID)"},
	{mp("2001:db8::/32"), "reserved for documentation"},
	{mp("3fff::/20"), "reserved for documentation"},
	{mp("fc00::/7"), "private (unique local)"},
	{mp("fe80::/10"), "link-local"},
	{mp("fec0::/10"), "site-local (deprecated)"},
	{mp("ff00::/8"), "multicast"},
}

const reasonDenied = "in a range the MSP has denied"

var (
	nat64   = mp("64:ff9b::/96")
	sixTo4  = mp("2002::/16")
	mapped4 = mp("::ffff:0:0/96")
)

// Check returns nil when addr may be reached, or a *BlockedError.
func (g *Guard) Check(addr netip.Addr) error {
	return g.check(addr, "")
}

// CheckAddrPort is Check for one endpoint: AllowEndpoints apply too.
func (g *Guard) CheckAddrPort(ap netip.AddrPort) error {
	return g.checkEndpoint(ap, "")
}

func (g *Guard) checkEndpoint(ap netip.AddrPort, host string) error {
	err := g.check(ap.Addr(), host)
	if err == nil || len(g.AllowEndpoints) == 0 {
		return err
	}
	var b *BlockedError
	if errors.As(err, &b) && b.Reason == reasonDenied {
		return err
	}
	want := netip.AddrPortFrom(ap.Addr().WithZone("").Unmap(), ap.Port())
	for _, e := range g.AllowEndpoints {
		if netip.AddrPortFrom(e.Addr().Unmap(), e.Port()) == want {
			return nil
		}
	}
	return err
}

func (g *Guard) check(addr netip.Addr, host string) error {
	if !addr.IsValid() {
		return &BlockedError{Addr: addr, Host: host, Reason: "not a valid address"}
	}
	addr = addr.WithZone("")
	// The forms to judge: the address itself and any IPv4 address it
	// carries (mapped, NAT64, 6to4), since the packets end up there.
	forms := []netip.Addr{addr}
	if addr.Is4In6() {
		forms = append(forms, addr.Unmap())
	} else if addr.Is6() && nat64.Contains(addr) {
		b := addr.As16()
		forms = append(forms, netip.AddrFrom4([4]byte(b[12:16])))
	} else if addr.Is6() && sixTo4.Contains(addr) {
		b := addr.As16()
		forms = append(forms, netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, a := range forms {
		for _, p := range g.Deny {
			if p.Contains(a) {
				return &BlockedError{Addr: addr, Host: host, Range: p, Reason: reasonDenied}
			}
		}
	}
	for _, a := range forms {
		for _, p := range g.Allow {
			if p.Contains(a) {
				return nil
			}
		}
	}
	for _, a := range forms {
		if mapped4.Contains(a) {
			continue // judged through its unmapped form
		}
		for _, s := range specials {
			if s.p.Contains(a) {
				reason := s.reason
				if a != addr {
					reason = fmt.Sprintf("an IPv6 form of %s, which is %s", a, s.reason)
				}
				return &BlockedError{Addr: addr, Host: host, Range: s.p, Reason: reason}
			}
		}
	}
	return nil
}

// Control is a net.Dialer Control function that refuses a socket whose
// remote address the guard does not allow. It runs after name resolution,
// on the address the kernel is about to connect to.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	return g.control("")(network, address, nil)
}

func (g *Guard) control(host string) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		switch network {
		case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
		default:
			return opsward.Errorf(opsward.EFORBIDDEN, "network %q is not allowed for outbound connections", network)
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return opsward.Errorf(opsward.EFORBIDDEN, "cannot judge address %q: %v", address, err)
		}
		return g.checkEndpoint(ap, host)
	}
}

func (g *Guard) dialer(host string) *net.Dialer {
	gg := g.WithDefaults()
	return &net.Dialer{
		Timeout:  gg.DialTimeout,
		Resolver: g.Resolver,
		Control:  g.control(host),
		// Keep-alive probes are of no use for short checks; the platform
		// closes what it opens.
		KeepAlive: -1,
	}
}

// DialContext connects to address ("host:port") over tcp or udp, refusing
// any address the guard does not allow. When a name resolves to several
// addresses, each one tried is checked.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, opsward.Errorf(opsward.EINVALID, "address %q is not host:port", address)
	}
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "network %q is not allowed for outbound connections", network)
	}
	// A literal address is judged before any socket exists, which gives a
	// clearer error than the wrapped one from the dialer.
	if a, err := netip.ParseAddr(host); err == nil {
		p, perr := strconv.ParseUint(port, 10, 16)
		if perr != nil {
			return nil, opsward.Errorf(opsward.EINVALID, "address %q has no valid port", address)
		}
		if err := g.checkEndpoint(netip.AddrPortFrom(a, uint16(p)), ""); err != nil {
			return nil, err
		}
	}
	if g.Lookup != nil && !isLiteral(host) {
		return g.dialLookedUp(ctx, network, host, port)
	}
	return g.dialer(host).DialContext(ctx, network, address)
}

func isLiteral(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// dialLookedUp dials host's addresses from Lookup in turn (IPv4 first),
// each judged first; the refusal of the first is returned when none is
// allowed, the last dial error when none answers.
func (g *Guard) dialLookedUp(ctx context.Context, network, host, port string) (net.Conn, error) {
	addrs, err := g.Lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, opsward.Errorf(opsward.EINVALID, "address %q has no valid port", net.JoinHostPort(host, port))
	}
	var refused, last error
	d := g.dialer(host)
	for _, a := range addrs {
		switch {
		case strings.HasSuffix(network, "4") && !a.Is4(), strings.HasSuffix(network, "6") && a.Is4():
			continue
		}
		ap := netip.AddrPortFrom(a, uint16(p))
		if err := g.checkEndpoint(ap, host); err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		c, err := d.DialContext(ctx, network, ap.String())
		if err == nil {
			return c, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	switch {
	case last != nil:
		return nil, last
	case refused != nil:
		return nil, refused
	}
	return nil, &net.DNSError{Err: "no address of the network's family", Name: host, IsNotFound: true}
}

// Resolve looks host up (or parses it when it is a literal) and returns the
// addresses the guard allows. It fails when none is allowed, with the
// refusal of the first. For callers that must hand an address to a library
// that opens its own socket (ICMP): they connect to exactly the address
// returned, so no second lookup can differ.
func (g *Guard) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		var ips []netip.Addr
		var err error
		if g.Lookup != nil {
			ips, err = g.Lookup(ctx, host)
		} else {
			r := g.Resolver
			if r == nil {
				r = net.DefaultResolver
			}
			ips, err = r.LookupNetIP(ctx, "ip", host)
		}
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		addrs = ips
	}
	var ok []netip.Addr
	var first error
	for _, a := range addrs {
		if err := g.check(a, host); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		ok = append(ok, a.Unmap())
	}
	if len(ok) == 0 {
		if first == nil {
			first = fmt.Errorf("resolve %s: no addresses", host)
		}
		return nil, first
	}
	return ok, nil
}
