package egress_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/dnscache"
	"github.com/opsward/opsward/internal/egress"
)

func loopbackGuard() *egress.Guard {
	return &egress.Guard{Allow: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
	}}
}

func TestCheckRefusesSpecialRanges(t *testing.T) {
	t.Parallel()
	g := &egress.Guard{}
	cases := []struct {
		addr   string
		reason string
	}{
		{"169.254.169.254", "metadata"},
		{"169.254.1.1", "link-local"},
		{"10.0.0.1", "private"},
		{"172.16.5.4", "private"},
		{"192.168.1.1", "private"},
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:10.0.0.1", "private"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:169.254.169.254", "metadata"},
		{"64:ff9b::a00:1", "private"},    // NAT64 of 10.0.0.1
		{"2002:7f00:1::1", "loopback"},   // 6to4 of 127.0.0.1
		{"fd12:3456::1", "unique local"}, // RFC 4193
		{"fe80::1%eth0", "link-local"},   // zone stripped
		{"100.64.0.1", "carrier-grade"},  // RFC 6598
		{"224.0.0.1", "multicast"},       // IPv4 multicast
		{"ff02::1", "multicast"},         // IPv6 multicast
		{"0.0.0.0", "unspecified"},       // this network
		{"::", "unspecified"},            // IPv6 unspecified
		{"255.255.255.255", "broadcast"}, // limited broadcast
		{"192.0.2.10", "documentation"},  // TEST-NET-1
		{"2001:db8::1", "documentation"}, // IPv6 documentation
		{"198.18.0.1", "benchmarking"},   // RFC 2544
		{"240.0.0.1", "reserved"},        // class E
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			err := g.Check(netip.MustParseAddr(c.addr))
			if err == nil {
				t.Fatalf("Check(%s) allowed a special-purpose address", c.addr)
			}
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("error %q does not say %q", err, c.reason)
			}
			if opsward.ErrorCode(err) != opsward.EFORBIDDEN {
				t.Errorf("code = %q, want forbidden", opsward.ErrorCode(err))
			}
			var be *egress.BlockedError
			if !errors.As(err, &be) {
				t.Errorf("error is not a *BlockedError: %T", err)
			}
		})
	}
}

func TestCheckMessageIsClear(t *testing.T) {
	t.Parallel()
	err := (&egress.Guard{}).Check(netip.MustParseAddr("10.0.0.1"))
	want := "address 10.0.0.1 is private: monitors may not reach it unless the MSP allows it"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if opsward.ErrorMessage(err) != want {
		t.Fatalf("user message = %q", opsward.ErrorMessage(err))
	}
}

func TestCheckAllowsPublicAndConfigured(t *testing.T) {
	t.Parallel()
	g := &egress.Guard{}
	for _, a := range []string{"1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "::ffff:1.1.1.1", "64:ff9b::101:101"} {
		if err := g.Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("Check(%s) = %v, want allowed", a, err)
		}
	}
	lg := loopbackGuard()
	for _, a := range []string{"127.0.0.1", "::1", "::ffff:127.0.0.1"} {
		if err := lg.Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("with loopback allowed, Check(%s) = %v", a, err)
		}
	}
	if err := lg.Check(netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("allowing loopback must not allow private ranges")
	}
	deny := &egress.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Deny: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16"), netip.MustParsePrefix("1.1.1.0/24")}}
	if err := deny.Check(netip.MustParseAddr("10.1.0.1")); err != nil {
		t.Errorf("allowed range refused: %v", err)
	}
	for _, a := range []string{"10.9.0.1", "1.1.1.1"} {
		if err := deny.Check(netip.MustParseAddr(a)); err == nil {
			t.Errorf("denied %s was allowed", a)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := (egress.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}).Validate(); opsward.ErrorField(err) != "egress.allow[0]" {
		t.Errorf("allow-all not refused: %v", err)
	}
	if err := (egress.Guard{Allow: []netip.Prefix{{}}}).Validate(); err == nil {
		t.Error("invalid prefix accepted")
	}
	ps, err := egress.ParsePrefixes([]string{"127.0.0.0/8", "::1", " 10.1.2.3/16 "})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[1] != netip.MustParsePrefix("::1/128") || ps[2] != netip.MustParsePrefix("10.1.0.0/16") {
		t.Errorf("ParsePrefixes = %v", ps)
	}
	if _, err := egress.ParsePrefixes([]string{"nope"}); opsward.ErrorField(err) != "egress.allow[0]" {
		t.Errorf("bad entry: %v", err)
	}
	if err := (egress.Guard{}).WithDefaults().Validate(); err != nil {
		t.Error(err)
	}
}

func startHTTP(t *testing.T, network, addr string) string {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect-metadata" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		io.WriteString(w, "hello")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestDialRefusesWhenNotAllowed(t *testing.T) {
	t.Parallel()
	addr4 := startHTTP(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(addr4)
	g := &egress.Guard{}
	ctx := context.Background()
	for _, target := range []string{
		addr4,
		"[::1]:" + port,
		"localhost:" + port, // a name that resolves to loopback
		"169.254.169.254:80",
		"10.0.0.1:80",
		"[::ffff:10.0.0.1]:80",
	} {
		c, err := g.DialContext(ctx, "tcp", target)
		if err == nil {
			c.Close()
			t.Errorf("dial %s succeeded", target)
			continue
		}
		if !egress.IsBlocked(err) || opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Errorf("dial %s: %v is not a forbidden refusal", target, err)
		}
		if !strings.Contains(err.Error(), "monitors may not reach it unless the MSP allows it") {
			t.Errorf("dial %s: unclear error %q", target, err)
		}
	}
	if _, err := g.DialContext(ctx, "unix", "/tmp/x:1"); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
		t.Errorf("unix socket: %v", err)
	}
	// udp too
	if _, err := g.DialContext(ctx, "udp", "127.0.0.1:53"); !egress.IsBlocked(err) {
		t.Errorf("udp to loopback: %v", err)
	}
}

func TestLocalhostNameNamesTheHost(t *testing.T) {
	t.Parallel()
	_, err := (&egress.Guard{}).DialContext(context.Background(), "tcp", "localhost:9")
	if err == nil {
		t.Fatal("dial localhost allowed")
	}
	if !strings.Contains(err.Error(), "(from localhost)") || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("error %q should name the host and the reason", err)
	}
	if _, err := (&egress.Guard{}).Resolve(context.Background(), "localhost"); !egress.IsBlocked(err) {
		t.Errorf("Resolve(localhost) = %v", err)
	}
}

func TestDialAllowsConfiguredLoopback(t *testing.T) {
	t.Parallel()
	addr := startHTTP(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(addr)
	g := loopbackGuard()
	c, err := g.DialContext(context.Background(), "tcp", "localhost:"+port)
	if err != nil {
		t.Fatalf("dial localhost with loopback allowed: %v", err)
	}
	c.Close()
	addrs, err := g.Resolve(context.Background(), "127.0.0.1")
	if err != nil || len(addrs) != 1 {
		t.Fatalf("Resolve = %v %v", addrs, err)
	}
	if _, err := g.DialContext(context.Background(), "tcp", "10.0.0.1:80"); !egress.IsBlocked(err) {
		t.Errorf("private still refused with loopback allowed: %v", err)
	}
}

// A name served by a DNS server of the test's own that answers with
// loopback: the dial must be refused on the resolved address.
func TestDialChecksResolvedAddress(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if r.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(r.Question[0].Name + " 0 IN A 127.0.0.1")
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	dnsAddr := pc.LocalAddr().String()
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", dnsAddr)
	}}
	web := startHTTP(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(web)

	g := &egress.Guard{Resolver: resolver}
	client := egress.NewHTTPClient(g, 5*time.Second)
	_, err = client.Get("http://rebind.example.com:" + port + "/")
	if !egress.IsBlocked(err) {
		t.Fatalf("GET through a name resolving to loopback: %v", err)
	}
	if !strings.Contains(err.Error(), "address 127.0.0.1 (from rebind.example.com) is loopback") {
		t.Errorf("unclear error: %v", err)
	}

	allowed := loopbackGuard()
	allowed.Resolver = resolver
	resp, err := egress.NewHTTPClient(allowed, 5*time.Second).Get("http://rebind.example.com:" + port + "/")
	if err != nil {
		t.Fatalf("allowed loopback: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Errorf("body = %q", body)
	}
}

func TestRedirectsAreChecked(t *testing.T) {
	t.Parallel()
	addr := startHTTP(t, "tcp4", "127.0.0.1:0")
	client := egress.NewHTTPClient(loopbackGuard(), 5*time.Second)
	_, err := client.Get("http://" + addr + "/redirect-metadata")
	if !egress.IsBlocked(err) || !strings.Contains(err.Error(), "169.254.169.254") {
		t.Fatalf("redirect to metadata: %v", err)
	}
}

func TestHTTPClientIgnoresProxyEnvironment(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "proxied")
	}))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	_, err := egress.NewHTTPClient(&egress.Guard{}, 5*time.Second).Get("http://10.0.0.1/")
	if !egress.IsBlocked(err) {
		t.Fatalf("request went elsewhere than the guarded dial: %v", err)
	}
}

func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer srv.Close()
	_, err := egress.NewHTTPClient(loopbackGuard(), 5*time.Second).Get(srv.URL)
	if !errors.Is(err, egress.ErrTooManyRedirects) {
		t.Fatalf("err = %v", err)
	}
	if n != egress.MaxRedirects+1 {
		t.Errorf("server saw %d requests, want %d", n, egress.MaxRedirects+1)
	}
}

// An allowed endpoint opens exactly that address and port: the same
// address on another port, and other loopback addresses, stay refused;
// a denied range still wins.
func TestAllowEndpointsOpenOnlyThatEndpoint(t *testing.T) {
	t.Parallel()
	addr := startHTTP(t, "tcp4", "127.0.0.1:0")
	other := startHTTP(t, "tcp4", "127.0.0.1:0")
	g := &egress.Guard{AllowEndpoints: []netip.AddrPort{netip.MustParseAddrPort(addr)}}
	c, err := g.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial the allowed endpoint %s: %v", addr, err)
	}
	c.Close()
	_, port, _ := net.SplitHostPort(addr)
	c, err = g.DialContext(context.Background(), "tcp", "localhost:"+port)
	if err != nil {
		t.Fatalf("dial the allowed endpoint by name: %v", err)
	}
	c.Close()
	if err := g.CheckAddrPort(netip.MustParseAddrPort(addr)); err != nil {
		t.Errorf("CheckAddrPort(%s) = %v", addr, err)
	}
	for _, a := range []string{other, "127.0.0.2:" + port} {
		if _, err := g.DialContext(context.Background(), "tcp", a); !egress.IsBlocked(err) {
			t.Errorf("dial %s with only %s allowed: %v, want refused", a, addr, err)
		}
	}
	if err := g.Check(netip.MustParseAddr("127.0.0.1")); !egress.IsBlocked(err) {
		t.Errorf("Check of the bare address: %v, want refused (no port, no endpoint)", err)
	}
	denied := &egress.Guard{AllowEndpoints: g.AllowEndpoints, Deny: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	if _, err := denied.DialContext(context.Background(), "tcp", addr); !egress.IsBlocked(err) {
		t.Errorf("a denied range lost to an allowed endpoint: %v", err)
	}
}

// Through the DNS cache: the resolved address is judged as with the
// resolver, and a second request within the TTL asks no server.
func TestDialThroughTheDNSCache(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var queries atomic.Int64
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		queries.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		if r.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(r.Question[0].Name + " 300 IN A 127.0.0.1")
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	cache, err := dnscache.New(dnscache.Config{Servers: []string{pc.LocalAddr().String()}, HostsFile: "-"})
	if err != nil {
		t.Fatal(err)
	}
	web := startHTTP(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(web)

	g := &egress.Guard{Lookup: cache.Lookup}
	_, err = egress.NewHTTPClient(g, 5*time.Second).Get("http://rebind.example.com:" + port + "/")
	if !egress.IsBlocked(err) || !strings.Contains(err.Error(), "address 127.0.0.1 (from rebind.example.com) is loopback") {
		t.Fatalf("a cached name resolving to loopback: %v", err)
	}
	if _, err := g.Resolve(context.Background(), "rebind.example.com"); !egress.IsBlocked(err) {
		t.Fatalf("Resolve through the cache: %v", err)
	}

	allowed := loopbackGuard()
	allowed.Lookup = cache.Lookup
	client := egress.NewHTTPClient(allowed, 5*time.Second)
	for i := 0; i < 2; i++ {
		resp, err := client.Get("http://rebind.example.com:" + port + "/")
		if err != nil {
			t.Fatalf("allowed loopback, request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello" {
			t.Errorf("body = %q", body)
		}
	}
	if n := queries.Load(); n != 2 {
		t.Fatalf("four lookups within the TTL sent %d queries, want 2 (A and AAAA once)", n)
	}
}
