package syslog_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/syslog"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func TestLoggerOverUDPAndTCP(t *testing.T) {
	t.Parallel()
	src, err := syslog.NewSources([]syslog.Source{
		{TenantID: "ten_token", SourceID: "src_token", TokenHash: syslog.HashToken("tok-9f2c41")},
		{TenantID: "ten_cidr", SourceID: "src_cidr", CIDRs: loopback},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, col := startServer(t, syslog.Config{UDPAddrs: []string{"127.0.0.1:0"}, TCPAddrs: []string{"127.0.0.1:0"}}, src)
	udp, tcp := port(srv.Addrs(syslog.UDP)[0]), port(srv.Addrs(syslog.TCP)[0])
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	before := time.Now().Add(-time.Minute)

	runLogger(t, "--server", "127.0.0.1", "--port", udp, "--udp", "--rfc5424", "--sd-id", "opsward@32473", "--sd-param", `token="tok-9f2c41"`, "--msgid", "M1", "-t", "myapp", "-i", "hello over udp 5424")
	runLogger(t, "--server", "127.0.0.1", "--port", udp, "--udp", "--rfc3164", "-t", "myapp", "hello over udp 3164")
	runLogger(t, "--server", "127.0.0.1", "--port", tcp, "--tcp", "--rfc5424", "-t", "tcpapp", "hello over tcp 5424")
	runLogger(t, "--server", "127.0.0.1", "--port", tcp, "--tcp", "--rfc3164", "-t", "tcpapp", "hello over tcp 3164")
	runLogger(t, "--server", "127.0.0.1", "--port", tcp, "--tcp", "--octet-count", "--rfc5424", "--sd-id", "opsward@32473", "--sd-param", `token="tok-9f2c41"`, "-t", "octapp", "hello octet counted")
	runLogger(t, "--server", "127.0.0.1", "--port", tcp, "--tcp", "--rfc3164", "-p", "authpriv.info", "-t", "sshd", "-i", "Failed password for root from 203.0.113.5 port 4242 ssh2")

	tests := []struct {
		text, tenant, source, app string
		format                    normalize.Format
		tokened                   bool
	}{
		{"hello over udp 5424", "ten_token", "src_token", "myapp", normalize.FormatRFC5424, true},
		{"hello over udp 3164", "ten_cidr", "src_cidr", "myapp", normalize.FormatRFC3164, false},
		{"hello over tcp 5424", "ten_cidr", "src_cidr", "tcpapp", normalize.FormatRFC5424, false},
		{"hello over tcp 3164", "ten_cidr", "src_cidr", "tcpapp", normalize.FormatRFC3164, false},
		{"hello octet counted", "ten_token", "src_token", "octapp", normalize.FormatRFC5424, true},
	}
	for _, tc := range tests {
		d := col.find(t, tc.text)
		ev := d.ev
		if d.tenant != tc.tenant || d.source != tc.source {
			t.Errorf("%s: bound to %s/%s, want %s/%s", tc.text, d.tenant, d.source, tc.tenant, tc.source)
		}
		if ev.Format != tc.format || ev.String("process.name") != tc.app || ev.String("message") != tc.text {
			t.Errorf("%s: format %s app %q message %q", tc.text, ev.Format, ev.String("process.name"), ev.String("message"))
		}
		if h := ev.String("host.name"); !strings.HasPrefix(h, host) {
			t.Errorf("%s: host.name %q, want %q", tc.text, h, host)
		}
		if ts := ev.Time(); ts.Before(before) || ts.After(time.Now().Add(time.Minute)) {
			t.Errorf("%s: @timestamp %v is not the time it was sent", tc.text, ts)
		}
		if strings.Contains(ev.String("event.original"), "tok-9f2c41") {
			t.Errorf("%s: the token is kept in event.original", tc.text)
		}
		if tc.tokened && ev.String("log.syslog.structured_data.opsward@32473.token") != "[REDACTED]" {
			t.Errorf("%s: SD token field = %q", tc.text, ev.String("log.syslog.structured_data.opsward@32473.token"))
		}
	}
	if d := col.find(t, "hello over udp 5424"); d.ev.String("log.syslog.msgid") != "M1" || d.ev.String("process.pid") == "" {
		t.Errorf("msgid %q pid %q", d.ev.String("log.syslog.msgid"), d.ev.String("process.pid"))
	}
	auth := col.find(t, "Failed password for root")
	if auth.ev.Format != normalize.FormatAuth || auth.ev.String("event.outcome") != "failure" || auth.ev.String("source.ip") != "203.0.113.5" ||
		auth.ev.String("user.name") != "root" || auth.ev.String("log.syslog.facility.name") != "authpriv" {
		t.Errorf("auth event: %v", auth.ev.Fields)
	}
	waitFor(t, "counters", func() bool {
		st := srv.Stats()
		return st.UDP.Accepted == 2 && st.TCP.Accepted == 4 && st.Total().Unclaimed == 0 && st.Total().ParseErrors == 0
	})
}

func TestUnclaimedMessagesAreDropped(t *testing.T) {
	t.Parallel()
	// Only a token source: loopback is claimed by nobody.
	src, _ := syslog.NewSources([]syslog.Source{{TenantID: "ten_a", SourceID: "src_a", TokenHash: syslog.HashToken("right")}})
	srv, col := startServer(t, syslog.Config{UDPAddrs: []string{"127.0.0.1:0"}, TCPAddrs: []string{"127.0.0.1:0"}}, src)
	udp, tcp := port(srv.Addrs(syslog.UDP)[0]), port(srv.Addrs(syslog.TCP)[0])
	runLogger(t, "--server", "127.0.0.1", "--port", udp, "--udp", "--rfc5424", "no token here")
	runLogger(t, "--server", "127.0.0.1", "--port", tcp, "--tcp", "--rfc5424", "--sd-id", "opsward@32473", "--sd-param", `token="wrong"`, "wrong token")
	runLogger(t, "--server", "127.0.0.1", "--port", tcp, "--tcp", "--rfc5424", "--sd-id", "opsward@32473", "--sd-param", `token="right"`, "right token")
	col.find(t, "right token")
	waitFor(t, "unclaimed counts", func() bool {
		st := srv.Stats()
		return st.UDP.Unclaimed == 1 && st.TCP.Unclaimed == 1 && st.UDP.Received == 1 && st.TCP.Received == 2
	})
	for _, d := range col.all() {
		if d.ev.String("message") != "right token" {
			t.Errorf("unclaimed message delivered to %s: %q", d.tenant, d.ev.String("message"))
		}
	}
}

func TestPerTenantPort(t *testing.T) {
	t.Parallel()
	src, _ := syslog.NewSources(nil)
	srv, col := startServer(t, syslog.Config{TCPAddrs: []string{"127.0.0.1:0", "127.0.0.1:0"}}, src)
	shared, dedicated := srv.Addrs(syslog.TCP)[0], srv.Addrs(syslog.TCP)[1]
	p := uint16(dedicated.(*net.TCPAddr).Port)
	// Sources change while the server runs.
	if err := src.Replace([]syslog.Source{{TenantID: "ten_port", SourceID: "src_port", Ports: []uint16{p}}}); err != nil {
		t.Fatal(err)
	}
	send(t, dedicated.String(), "<13>1 - h app - - - via dedicated port\n")
	send(t, shared.String(), "<13>1 - h app - - - via shared port\n")
	if d := col.find(t, "via dedicated port"); d.tenant != "ten_port" {
		t.Errorf("bound to %s", d.tenant)
	}
	waitFor(t, "the shared-port message counted unclaimed", func() bool { return srv.Stats().TCP.Unclaimed == 1 })
}

func send(t *testing.T, addr string, chunks ...string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, ch := range chunks {
		if _, err := io.WriteString(c, ch); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTCPFramingEdgeCases(t *testing.T) {
	t.Parallel()
	src, _ := syslog.NewSources([]syslog.Source{{TenantID: "ten", SourceID: "src", CIDRs: loopback}})
	srv, col := startServer(t, syslog.Config{TCPAddrs: []string{"127.0.0.1:0"}, MaxMessageSize: 1024}, src)
	addr := srv.Addrs(syslog.TCP)[0].String()
	badCEF := "<13>1 - h app - - - CEF:0|V|P|1|9|cut short"
	big := "<13>1 - h app - - - oversize " + strings.Repeat("x", 3000)
	send(t, addr,
		"<13>1 - h app - - - one in a write\n<13>1 - h app - - - two in a write\r\n29 <13>1 - h app - - - three oct",
		"<13>1 - h app - - - split ", "across writes\n",
		big+"\n",
		"just some text that is not syslog\n",
		itoa(len(badCEF))+" "+badCEF,
	)
	for _, text := range []string{"one in a write", "two in a write", "three oct", "split across writes"} {
		col.find(t, text)
	}
	over := col.find(t, "oversize xxx")
	if n := len(over.ev.String("event.original")); n != 1024 || !strings.Contains(over.ev.ParseError(), "cut at 1024 bytes") {
		t.Errorf("oversize: kept %d bytes, error %q", n, over.ev.ParseError())
	}
	plain := col.find(t, "just some text")
	if plain.ev.Format != normalize.FormatPlain || plain.ev.String("event.original") != "just some text that is not syslog" || !strings.Contains(plain.ev.ParseError(), "PRI must begin with '<'") {
		t.Errorf("plain: %s %q", plain.ev.Format, plain.ev.ParseError())
	}
	bad := col.find(t, "CEF:0|V|P|1|9|cut short")
	if bad.ev.Format != normalize.FormatRFC5424 || !strings.Contains(bad.ev.ParseError(), "cef:") {
		t.Errorf("bad CEF body: %s %q", bad.ev.Format, bad.ev.ParseError())
	}
	waitFor(t, "counters", func() bool {
		st := srv.Stats().TCP
		return st.Received == 7 && st.Accepted == 7 && st.Oversize == 1 && st.ParseErrors == 2
	})

}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "opsward-syslog-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	src, _ := syslog.NewSources([]syslog.Source{{TenantID: "ten_tls", SourceID: "src_tls", TokenHash: syslog.HashToken("tls-token")}})
	srv, col := startServer(t, syslog.Config{TLSAddrs: []string{"127.0.0.1:0"}, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}, src)
	addr := srv.Addrs(syslog.TLS)[0].String()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	msg := `<165>1 2026-11-26T04:01:58.5Z fw01.example tlsapp 77 - [opsward@32473 token="tls-token"] over tls`
	if _, err := io.WriteString(c, itoa(len(msg))+" "+msg+"<13>1 - fw01 tlsapp - - [opsward@32473 token=\"tls-token\"] second, newline framed\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	d := col.find(t, "over tls")
	if d.tenant != "ten_tls" || d.ev.String("host.name") != "fw01.example" || !d.ev.Time().Equal(time.Date(2026, 11, 26, 4, 1, 58, 5e8, time.UTC)) {
		t.Errorf("tls event: %s %v", d.tenant, d.ev.Fields)
	}
	col.find(t, "second, newline framed")
	// A client that does not speak TLS is counted and dropped.
	send(t, addr, "<13>1 - h app - - - plaintext to the TLS port\n")
	waitFor(t, "handshake error and TLS counters", func() bool {
		st := srv.Stats().TLS
		return st.HandshakeErrors == 1 && st.Accepted == 2 && st.Connections == 2
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	src, _ := syslog.NewSources([]syslog.Source{{TenantID: "ten", SourceID: "src", CIDRs: loopback}})
	srv, col := startServer(t, syslog.Config{TCPAddrs: []string{"127.0.0.1:0"}, MaxConnections: 1}, src)
	addr := srv.Addrs(syslog.TCP)[0].String()
	a, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, _ = io.WriteString(a, "<13>1 - h app - - - from the first connection\n")
	col.find(t, "from the first connection")
	b, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_ = b.SetReadDeadline(time.Now().Add(deadline))
	if _, err := b.Read(make([]byte, 1)); err == nil {
		t.Error("the connection over the limit was not closed")
	}
	if st := srv.Stats().TCP; st.RejectedConnections != 1 || st.Connections != 1 {
		t.Errorf("connections %d rejected %d", st.Connections, st.RejectedConnections)
	}
}

func TestCloseDrains(t *testing.T) {
	t.Parallel()
	src, _ := syslog.NewSources([]syslog.Source{{TenantID: "ten", SourceID: "src", CIDRs: loopback}})
	col := &collector{}
	srv, err := syslog.New(syslog.Config{TCPAddrs: []string{"127.0.0.1:0"}}, src, col, slogFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", srv.Addrs(syslog.TCP)[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, "the connection accepted", func() bool { return srv.Stats().TCP.Connections == 1 })
	var b strings.Builder
	for i := range 200 {
		b.WriteString("<13>1 - h app - - - drained " + itoa(i) + "\n")
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
	// The peer keeps its connection open: Close must still end, after
	// reading what was sent.
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := len(col.all()); n != 200 {
		t.Errorf("%d of 200 messages delivered before Close returned", n)
	}
	if err := srv.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSinkErrorsCounted(t *testing.T) {
	t.Parallel()
	src, _ := syslog.NewSources([]syslog.Source{{TenantID: "ten", SourceID: "src", CIDRs: loopback}})
	srv, col := startServer(t, syslog.Config{UDPAddrs: []string{"127.0.0.1:0"}}, src)
	col.mu.Lock()
	col.fail = errors.New("queue full")
	col.mu.Unlock()
	c, err := net.Dial("udp", srv.Addrs(syslog.UDP)[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "<13>1 - h app - - - refused\n")
	waitFor(t, "a sink error", func() bool { st := srv.Stats().UDP; return st.SinkErrors == 1 && st.Accepted == 0 })
}

func TestConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg   syslog.Config
		field string
	}{
		{syslog.Config{}, "syslog.udp_addrs"},
		{syslog.Config{TCPAddrs: []string{"nope"}}, "syslog.tcp_addrs[0]"},
		{syslog.Config{TLSAddrs: []string{"127.0.0.1:0"}}, "syslog.tls_config"},
		{syslog.Config{UDPAddrs: []string{":0"}, MaxMessageSize: 100}, "syslog.max_message_size"},
		{syslog.Config{UDPAddrs: []string{":0"}, MaxMessageSize: 1 << 20}, "syslog.max_message_size"},
		{syslog.Config{UDPAddrs: []string{":0"}, IdleTimeout: -1}, "syslog.idle_timeout"},
		{syslog.Config{UDPAddrs: []string{":0"}, MaxConnections: -1}, "syslog.max_connections"},
	}
	for _, tc := range tests {
		err := tc.cfg.WithDefaults().Validate()
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != tc.field {
			t.Errorf("%+v: %v (field %q), want field %q", tc.cfg, err, opsward.ErrorField(err), tc.field)
		}
	}
	d := syslog.Config{UDPAddrs: []string{":0"}}.WithDefaults()
	if d.Validate() != nil || d.MaxMessageSize != normalize.MaxMessageSize || d.TokenSDID != "opsward@32473" {
		t.Errorf("defaults: %+v", d)
	}
	// Start names the address it cannot open.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv, err := syslog.New(syslog.Config{UDPAddrs: []string{"127.0.0.1:0"}, TCPAddrs: []string{l.Addr().String()}}, &syslog.Sources{}, &collector{}, slogFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err == nil || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Errorf("Start on a taken port: %v", err)
	}
}

func TestIdleConnectionClosedAndUDPOversize(t *testing.T) {
	t.Parallel()
	src, _ := syslog.NewSources([]syslog.Source{{TenantID: "ten", SourceID: "src", CIDRs: loopback}})
	srv, col := startServer(t, syslog.Config{TCPAddrs: []string{"127.0.0.1:0"}, UDPAddrs: []string{"127.0.0.1:0"}, IdleTimeout: 100 * time.Millisecond, MaxMessageSize: 1024}, src)
	c, err := net.Dial("tcp", srv.Addrs(syslog.TCP)[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The server, not this deadline, must end the silent connection.
	_ = c.SetReadDeadline(time.Now().Add(deadline))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read returned %v, want EOF from the server closing it", err)
	}
	u, err := net.Dial("udp", srv.Addrs(syslog.UDP)[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	_, _ = io.WriteString(u, "<13>1 - h app - - - big datagram "+strings.Repeat("y", 2000))
	d := col.find(t, "big datagram")
	if len(d.ev.String("event.original")) != 1024 {
		t.Errorf("kept %d bytes", len(d.ev.String("event.original")))
	}
	waitFor(t, "UDP oversize counted", func() bool { return srv.Stats().UDP.Oversize == 1 })
}
