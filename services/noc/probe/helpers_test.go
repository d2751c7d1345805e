package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/services/noc/probe"
)

func loopbackGuard() *egress.Guard {
	return &egress.Guard{Allow: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
	}}
}

var (
	registry  = probe.NewRegistry(probe.Deps{Guard: loopbackGuard()})
	strictReg = probe.NewRegistry(probe.Deps{Guard: &egress.Guard{}})
)

// run parses settings (failing the test on a settings error) and runs one
// check with a short timeout.
func run(t *testing.T, reg *probe.Registry, kind probe.Kind, settings any, in probe.Input) probe.Result {
	t.Helper()
	raw, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Validate(kind, raw); err != nil {
		t.Fatalf("settings %s rejected: %v", raw, err)
	}
	if in.Timeout == 0 {
		in.Timeout = 5 * time.Second
	}
	return reg.Run(context.Background(), kind, raw, in)
}

func want(t *testing.T, r probe.Result, status probe.Status, reason string) {
	t.Helper()
	if r.Status != status || (reason != "" && r.Reason != reason) {
		t.Fatalf("result = %s/%s %q, want %s/%s", r.Status, r.Reason, r.Message, status, reason)
	}
}

type testCert struct {
	cert   tls.Certificate
	x509   *x509.Certificate
	pem    []byte
	signer *ecdsa.PrivateKey
}

// makeCert issues a certificate for names valid over [notBefore, notAfter],
// signed by parent (or self-signed when parent is nil). isCA makes a CA.
func makeCert(t *testing.T, cn string, names []string, notBefore, notAfter time.Time, parent *testCert, isCA bool) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Opsward test"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.x509, parent.signer
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	chain := [][]byte{der}
	return &testCert{
		cert:   tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: c},
		x509:   c,
		pem:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		signer: key,
	}
}

// tlsListener serves TLS with cert on loopback, answering "ok" to HTTP.
func tlsListener(t *testing.T, cert *testCert) (host string, port int) {
	t.Helper()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert.cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(3 * time.Second))
				if tc, ok := c.(*tls.Conn); ok {
					_ = tc.Handshake()
				}
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
			}()
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return "127.0.0.1", a.Port
}
