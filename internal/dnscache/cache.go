// Package dnscache resolves host names for the platform's checks and keeps
// each answer for as long as its DNS time-to-live says, no longer.
//
// Thousands of checks a second mostly point at a few hundred names; asking
// the resolver for each one would put the resolver on every check's path
// (and, on a small host, exhaust its sockets). The cache asks the name
// servers directly (from /etc/resolv.conf, or configured), for A and AAAA
// at once, and keeps:
//
//   - an answer for the smallest TTL among its records, clamped to
//     [MinTTL, MaxTTL];
//   - a negative answer (no such name, or no address records) for the
//     SOA's negative TTL (RFC 2308), clamped to [MinTTL, NegativeTTL];
//   - nothing for a failure (timeout, SERVFAIL): the next lookup asks
//     again.
//
// Concurrent lookups of one name share one query. Names in /etc/hosts (and
// localhost) are answered from it, as the system resolver would. The cache
// holds at most MaxEntries names; beyond that, expired entries are dropped
// first, then the oldest.
package dnscache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Config configures a cache; zero values take the defaults.
type Config struct {
	// Servers are the name servers, host:port; empty reads
	// /etc/resolv.conf (and falls back to 127.0.0.1:53).
	Servers []string
	// HostsFile is the hosts file answered first; empty is /etc/hosts,
	// "-" none.
	HostsFile string
	// MinTTL and MaxTTL clamp how long an answer is kept (default 1s and
	// 1h); NegativeTTL bounds a negative answer (default 5m).
	MinTTL, MaxTTL, NegativeTTL time.Duration
	// Timeout bounds one query to one server (default 2s); each server is
	// tried in turn.
	Timeout time.Duration
	// MaxEntries bounds the names kept (default 100,000).
	MaxEntries int
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.MinTTL <= 0 {
		c.MinTTL = time.Second
	}
	if c.MaxTTL <= 0 {
		c.MaxTTL = time.Hour
	}
	if c.NegativeTTL <= 0 {
		c.NegativeTTL = 5 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = 100_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HostsFile == "" {
		c.HostsFile = "/etc/hosts"
	}
	return c
}

// ErrNotFound is a negative answer: the name does not exist, or has no
// address records.
var ErrNotFound = errors.New("no such host")

// Stats counts what the cache did.
type Stats struct {
	Hits, Misses, Queries, Failures uint64
	Entries                         int
}

// Cache is a TTL-respecting resolver cache. It is safe for concurrent use.
type Cache struct {
	cfg    Config
	hosts  map[string][]netip.Addr
	client *dns.Client

	mu      sync.Mutex
	entries map[string]*entry
	flights map[string]*flight

	hits, misses, queries, failures atomic.Uint64
}

type entry struct {
	addrs   []netip.Addr
	err     error // ErrNotFound for a negative answer
	expires time.Time
	stored  time.Time
}

type flight struct {
	done chan struct{}
	e    *entry
	err  error // a failure: not cached
}

// New returns a cache. It reads the resolver configuration and the hosts
// file once.
func New(cfg Config) (*Cache, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Servers) == 0 {
		cfg.Servers = systemServers("/etc/resolv.conf")
	}
	for i, s := range cfg.Servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			cfg.Servers[i] = net.JoinHostPort(s, "53")
		}
	}
	c := &Cache{cfg: cfg, hosts: map[string][]netip.Addr{}, entries: map[string]*entry{}, flights: map[string]*flight{},
		client: &dns.Client{Net: "udp", Timeout: cfg.Timeout}}
	if cfg.HostsFile != "-" {
		b, err := os.ReadFile(cfg.HostsFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("dns cache: %w", err)
		}
		c.hosts = ParseHosts(string(b))
	}
	return c, nil
}

func systemServers(path string) []string {
	conf, err := dns.ClientConfigFromFile(path)
	if err != nil || len(conf.Servers) == 0 {
		return []string{"127.0.0.1:53"}
	}
	out := make([]string, 0, len(conf.Servers))
	for _, s := range conf.Servers {
		out = append(out, net.JoinHostPort(s, conf.Port))
	}
	return out
}

// ParseHosts reads a hosts file: an address, then names, per line; "#"
// starts a comment. Lines that do not parse are skipped.
func ParseHosts(text string) map[string][]netip.Addr {
	out := map[string][]netip.Addr{}
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil || a.Zone() != "" {
			continue
		}
		for _, name := range f[1:] {
			n := canonical(name)
			if n == "" {
				continue
			}
			out[n] = append(out[n], a.Unmap())
		}
	}
	return out
}

// canonical lower-cases a name and drops a final dot; "" when it is not
// a host name.
func canonical(name string) string {
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if n == "" || len(n) > 253 {
		return ""
	}
	if _, ok := dns.IsDomainName(n); !ok {
		return ""
	}
	return n
}

// Lookup returns host's addresses (IPv4 first). A literal address is
// returned as it is.
func (c *Cache) Lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	name := canonical(host)
	if name == "" {
		return nil, &net.DNSError{Err: "not a host name", Name: host, IsNotFound: true}
	}
	if addrs, ok := c.hosts[name]; ok {
		return addrs, nil
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}, nil
	}
	now := c.cfg.Now()
	c.mu.Lock()
	if e, ok := c.entries[name]; ok && now.Before(e.expires) {
		c.mu.Unlock()
		c.hits.Add(1)
		return e.result(host)
	}
	c.misses.Add(1)
	f, ok := c.flights[name]
	if !ok {
		f = &flight{done: make(chan struct{})}
		c.flights[name] = f
		c.mu.Unlock()
		go c.resolve(name, f)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.err != nil {
		return nil, &net.DNSError{Err: f.err.Error(), Name: host, IsTemporary: true}
	}
	return f.e.result(host)
}

func (e *entry) result(host string) ([]netip.Addr, error) {
	if e.err != nil {
		return nil, &net.DNSError{Err: ErrNotFound.Error(), Name: host, IsNotFound: true}
	}
	return e.addrs, nil
}

// resolve asks for A and AAAA at once, on a context of its own: a caller
// giving up does not waste the answer for the others.
func (c *Cache) resolve(name string, f *flight) {
	defer close(f.done)
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout*time.Duration(len(c.cfg.Servers))+time.Second)
	defer cancel()
	type answer struct {
		qt    uint16
		addrs []netip.Addr
		ttl   time.Duration
		neg   bool
		err   error
	}
	ch := make(chan answer, 2)
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		go func() {
			addrs, ttl, neg, err := c.query(ctx, name, qt)
			ch <- answer{qt, addrs, ttl, neg, err}
		}()
	}
	var v4, v6 answer
	for range 2 {
		if a := <-ch; a.qt == dns.TypeA {
			v4 = a
		} else {
			v6 = a
		}
	}
	now := c.cfg.Now()
	e := &entry{stored: now}
	addrs := append(append([]netip.Addr{}, v4.addrs...), v6.addrs...)
	var ttl time.Duration
	switch {
	case len(addrs) > 0:
		// Addresses from one family are enough: a failure of the other
		// only shortens how long they are kept.
		e.addrs = sortFamilies(addrs)
		ttl = c.cfg.MaxTTL
		for _, a := range []answer{v4, v6} {
			if len(a.addrs) > 0 && a.ttl < ttl {
				ttl = a.ttl
			}
		}
		if v4.err != nil || v6.err != nil {
			ttl = min(ttl, c.cfg.MinTTL)
		}
		ttl = max(ttl, c.cfg.MinTTL)
	case v4.neg && v6.neg:
		e.err = ErrNotFound
		ttl = max(min(v4.ttl, v6.ttl, c.cfg.NegativeTTL), c.cfg.MinTTL)
	default:
		c.failures.Add(1)
		err := v4.err
		if err == nil {
			err = v6.err
		}
		if err == nil {
			err = errors.New("no answer")
		}
		f.err = err
		c.mu.Lock()
		delete(c.flights, name)
		c.mu.Unlock()
		return
	}
	e.expires = now.Add(ttl)
	f.e = e
	c.mu.Lock()
	delete(c.flights, name)
	c.store(name, e, now)
	c.mu.Unlock()
}

func sortFamilies(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if a.Is4() {
			out = append(out, a)
		}
	}
	for _, a := range addrs {
		if !a.Is4() {
			out = append(out, a)
		}
	}
	return out
}

// store keeps e under c.mu, making room first when the cache is full.
func (c *Cache) store(name string, e *entry, now time.Time) {
	if _, ok := c.entries[name]; !ok && len(c.entries) >= c.cfg.MaxEntries {
		var oldest string
		var oldestAt time.Time
		for n, x := range c.entries {
			if !now.Before(x.expires) {
				delete(c.entries, n)
				continue
			}
			if oldest == "" || x.stored.Before(oldestAt) {
				oldest, oldestAt = n, x.stored
			}
		}
		if len(c.entries) >= c.cfg.MaxEntries && oldest != "" {
			delete(c.entries, oldest)
		}
	}
	c.entries[name] = e
}

// query asks each server in turn for one record type. neg reports a
// negative answer (NXDOMAIN or no records of the type) with its TTL.
func (c *Cache) query(ctx context.Context, name string, qt uint16) (addrs []netip.Addr, ttl time.Duration, neg bool, err error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qt)
	m.RecursionDesired = true
	for _, srv := range c.cfg.Servers {
		c.queries.Add(1)
		var r *dns.Msg
		r, _, err = c.client.ExchangeContext(ctx, m, srv)
		if err == nil && r.Truncated {
			tcp := &dns.Client{Net: "tcp", Timeout: c.cfg.Timeout}
			r, _, err = tcp.ExchangeContext(ctx, m, srv)
		}
		if err != nil {
			continue
		}
		switch r.Rcode {
		case dns.RcodeSuccess, dns.RcodeNameError:
		default:
			err = fmt.Errorf("%s answered %s", srv, dns.RcodeToString[r.Rcode])
			continue
		}
		ttl = c.cfg.MaxTTL
		for _, rr := range r.Answer {
			var ip net.IP
			switch v := rr.(type) {
			case *dns.A:
				ip = v.A
			case *dns.AAAA:
				ip = v.AAAA
			case *dns.CNAME:
				// The CNAME's TTL bounds the answer too.
				ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
				continue
			default:
				continue
			}
			if a, ok := netip.AddrFromSlice(ip); ok {
				addrs = append(addrs, a.Unmap())
				ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
			}
		}
		if len(addrs) > 0 {
			return addrs, ttl, false, nil
		}
		// Negative: the SOA in the authority section gives its TTL (the
		// smaller of the record's TTL and its minimum field).
		ttl = c.cfg.NegativeTTL
		for _, rr := range r.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				ttl = min(ttl, time.Duration(min(soa.Hdr.Ttl, soa.Minttl))*time.Second)
			}
		}
		return nil, ttl, true, nil
	}
	return nil, 0, false, err
}

// Stats returns the counters and the number of names kept.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Queries: c.queries.Load(), Failures: c.failures.Load(), Entries: n}
}
