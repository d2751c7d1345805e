package dnscache

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// server is a name server on loopback with fixed answers, counting the
// queries it receives.
type server struct {
	addr    string
	queries atomic.Int64
	delay   time.Duration
}

// startServer starts it; a delay holds every answer that long.
func startServer(t *testing.T, delay ...time.Duration) *server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{addr: pc.LocalAddr().String()}
	if len(delay) > 0 {
		s.delay = delay[0]
	}
	soa := func(minttl uint32) dns.RR {
		return &dns.SOA{Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 3600},
			Ns: "ns.test.", Mbox: "admin.test.", Serial: 1, Refresh: 60, Retry: 60, Expire: 60, Minttl: minttl}
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		s.queries.Add(1)
		if s.delay > 0 {
			time.Sleep(s.delay)
		}
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		a := func(ip string, ttl uint32) {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: net.ParseIP(ip)})
		}
		switch q.Name {
		case "short.test.", "slow.test.":
			if q.Qtype == dns.TypeA {
				a("192.0.2.10", 5)
			} else {
				m.Ns = append(m.Ns, soa(5))
			}
		case "both.test.":
			if q.Qtype == dns.TypeA {
				a("192.0.2.20", 60)
			} else {
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 30},
					AAAA: net.ParseIP("2001:db8::20")})
			}
		case "long.test.":
			if q.Qtype == dns.TypeA {
				a("192.0.2.30", 86400)
			} else {
				m.Ns = append(m.Ns, soa(86400))
			}
		case "broken.test.":
			m.Rcode = dns.RcodeServerFailure
		default:
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, soa(30))
		}
		_ = w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return s
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newCache(t *testing.T, s *server, adjust ...func(*Config)) (*Cache, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	cfg := Config{Servers: []string{s.addr}, HostsFile: "-", Now: clk.Now, Timeout: time.Second}
	for _, f := range adjust {
		f(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func TestAnswersAreKeptForTheirTTL(t *testing.T) {
	s := startServer(t)
	c, clk := newCache(t, s)
	ctx := context.Background()
	want := netip.MustParseAddr("192.0.2.10")
	for i := 0; i < 3; i++ {
		got, err := c.Lookup(ctx, "Short.Test.")
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("lookup %d: %v, %v", i, got, err)
		}
	}
	if n := s.queries.Load(); n != 2 {
		t.Fatalf("three lookups within the TTL sent %d queries, want 2 (A and AAAA once)", n)
	}
	clk.Add(4 * time.Second)
	if _, err := c.Lookup(ctx, "short.test"); err != nil || s.queries.Load() != 2 {
		t.Fatalf("within the 5 s TTL: %v, %d queries", err, s.queries.Load())
	}
	clk.Add(2 * time.Second)
	if _, err := c.Lookup(ctx, "short.test"); err != nil || s.queries.Load() != 4 {
		t.Fatalf("after the TTL: %v, %d queries, want 4", err, s.queries.Load())
	}
	st := c.Stats()
	if st.Hits != 3 || st.Misses != 2 || st.Entries != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTheShortestTTLOfBothFamiliesAndClamps(t *testing.T) {
	s := startServer(t)
	c, clk := newCache(t, s, func(c *Config) { c.MaxTTL = time.Minute })
	ctx := context.Background()
	got, err := c.Lookup(ctx, "both.test")
	if err != nil || len(got) != 2 || !got[0].Is4() || !got[1].Is6() {
		t.Fatalf("both families, IPv4 first: %v, %v", got, err)
	}
	clk.Add(29 * time.Second)
	c.Lookup(ctx, "both.test")
	if s.queries.Load() != 2 {
		t.Fatalf("within the AAAA's 30 s: %d queries", s.queries.Load())
	}
	clk.Add(2 * time.Second)
	c.Lookup(ctx, "both.test")
	if s.queries.Load() != 4 {
		t.Fatalf("after the shorter TTL (30 s) of the two: %d queries, want 4", s.queries.Load())
	}
	// A day's TTL is kept for MaxTTL (a minute) only.
	c.Lookup(ctx, "long.test")
	clk.Add(61 * time.Second)
	c.Lookup(ctx, "long.test")
	if s.queries.Load() != 8 {
		t.Fatalf("a TTL over MaxTTL: %d queries, want 8", s.queries.Load())
	}
}

func TestNegativeAnswersAreKeptFailuresAreNot(t *testing.T) {
	s := startServer(t)
	c, clk := newCache(t, s)
	ctx := context.Background()
	_, err := c.Lookup(ctx, "missing.test")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Fatalf("a missing name: %v", err)
	}
	clk.Add(29 * time.Second)
	c.Lookup(ctx, "missing.test")
	if s.queries.Load() != 2 {
		t.Fatalf("a negative answer within its SOA minimum (30 s): %d queries", s.queries.Load())
	}
	clk.Add(2 * time.Second)
	c.Lookup(ctx, "missing.test")
	if s.queries.Load() != 4 {
		t.Fatalf("after the negative TTL: %d queries", s.queries.Load())
	}
	_, err = c.Lookup(ctx, "broken.test")
	if !errors.As(err, &de) || !de.IsTemporary {
		t.Fatalf("SERVFAIL: %v", err)
	}
	c.Lookup(ctx, "broken.test")
	if s.queries.Load() != 8 || c.Stats().Failures != 2 {
		t.Fatalf("a failure is asked again: %d queries, %+v", s.queries.Load(), c.Stats())
	}
}

func TestConcurrentLookupsShareOneQuery(t *testing.T) {
	s := startServer(t, 100*time.Millisecond)
	c, _ := newCache(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Lookup(context.Background(), "slow.test"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := s.queries.Load(); n != 2 {
		t.Fatalf("50 concurrent lookups sent %d queries, want 2", n)
	}
	// A caller that gives up early does not cancel the others' answer.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.Lookup(ctx, "other.slow.test"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an impatient caller: %v", err)
	}
}

func TestHostsFileLiteralsAndBounds(t *testing.T) {
	s := startServer(t)
	hosts := filepath.Join(t.TempDir(), "hosts")
	os.WriteFile(hosts, []byte("127.0.0.1 localhost\n10.1.2.3 Printer.Office printer # the office printer\nnot-an-address name\n::1 ip6-localhost\n"), 0o600)
	c, clk := newCache(t, s, func(c *Config) { c.HostsFile = hosts; c.MaxEntries = 2 })
	ctx := context.Background()
	if got, err := c.Lookup(ctx, "printer.office."); err != nil || len(got) != 1 || got[0] != netip.MustParseAddr("10.1.2.3") {
		t.Fatalf("a hosts name: %v, %v", got, err)
	}
	if got, err := c.Lookup(ctx, "198.51.100.7"); err != nil || got[0] != netip.MustParseAddr("198.51.100.7") {
		t.Fatalf("a literal: %v, %v", got, err)
	}
	if _, err := c.Lookup(ctx, "bad..name"); err == nil {
		t.Fatal("a malformed name resolved")
	}
	if s.queries.Load() != 0 {
		t.Fatalf("hosts names and literals sent %d queries", s.queries.Load())
	}
	for _, n := range []string{"short.test", "both.test", "long.test"} {
		clk.Add(time.Millisecond)
		if _, err := c.Lookup(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if st := c.Stats(); st.Entries != 2 {
		t.Fatalf("MaxEntries 2 holds %d", st.Entries)
	}
	before := s.queries.Load()
	c.Lookup(ctx, "short.test") // the oldest, dropped for long.test
	if s.queries.Load() != before+2 {
		t.Fatalf("the oldest entry was kept past the bound")
	}
}

func FuzzParseHosts(f *testing.F) {
	f.Add("127.0.0.1 localhost\n::1 ip6-localhost ip6-loopback\n# comment\n10.0.0.1 a.b c.d # x\n")
	f.Add("fe80::1%eth0 link\n\x00\xff 1.2.3.4\n")
	f.Fuzz(func(t *testing.T, text string) {
		for name, addrs := range ParseHosts(text) {
			if canonical(name) != name || len(addrs) == 0 {
				t.Fatalf("name %q with %v", name, addrs)
			}
			for _, a := range addrs {
				if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
					t.Fatalf("address %v of %q", a, name)
				}
			}
		}
	})
}

// benchServer is a name server on loopback for the benchmarks.
func benchServer(b *testing.B) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if r.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(r.Question[0].Name + " 3600 IN A 192.0.2.1")
			m.Answer = append(m.Answer, rr)
		}
		_ = w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	b.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// BenchmarkLookupCached is a lookup answered from the cache, the path of
// nearly every check; BenchmarkLookupResolver is Go's resolver asking the
// same loopback server each time, as checks did before the cache.
func BenchmarkLookupCached(b *testing.B) {
	c, err := New(Config{Servers: []string{benchServer(b)}, HostsFile: "-"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Lookup(ctx, "bench.test"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Lookup(ctx, "bench.test"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLookupResolver(b *testing.B) {
	addr := benchServer(b)
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.LookupNetIP(ctx, "ip", "bench.test"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
