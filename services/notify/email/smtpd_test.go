package email_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// selfSigned returns a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		BasicConstraintsValid: true, IsCA: true,
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

// mail is what the test server received in one transaction.
type mail struct {
	tls        bool
	authUser   string
	authPass   string
	from       string
	rcpt       []string
	data       []byte
	clearAuths int // AUTH commands seen before TLS
}

// smtpd is a minimal SMTP server for tests: EHLO, STARTTLS, AUTH PLAIN,
// MAIL, RCPT, DATA, QUIT.
type smtpd struct {
	ln       net.Listener
	tlsCfg   *tls.Config
	noTLS    bool   // do not offer STARTTLS
	user     string // required AUTH PLAIN credentials
	pass     string
	rcptCode string // reply to RCPT, default "250 ok"

	mu  sync.Mutex
	got []mail
	wg  sync.WaitGroup
}

func startSMTPD(t *testing.T, s *smtpd) *smtpd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	if s.rcptCode == "" {
		s.rcptCode = "250 ok"
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpd) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpd) mails() []mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mail(nil), s.got...)
}

func (s *smtpd) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(conn)
	var m mail
	authed := false
	reply := func(lines ...string) {
		for _, l := range lines {
			_ = tp.PrintfLine("%s", l)
		}
	}
	reply("220 localhost ESMTP test")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			switch {
			case !m.tls && !s.noTLS:
				reply("250-localhost", "250-8BITMIME", "250 STARTTLS")
			case m.tls:
				reply("250-localhost", "250-8BITMIME", "250 AUTH PLAIN")
			default:
				reply("250-localhost", "250 AUTH PLAIN")
			}
		case "STARTTLS":
			if m.tls || s.noTLS {
				reply("503 no")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(conn, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn = tc
			tp = textproto.NewConn(conn)
			m = mail{tls: true}
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			if !m.tls {
				m.clearAuths++
			}
			if strings.ToUpper(mech) != "PLAIN" {
				reply("504 unsupported")
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(ir)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 || parts[1] != s.user || parts[2] != s.pass {
				reply("535 5.7.8 authentication failed")
				continue
			}
			m.authUser, m.authPass, authed = parts[1], parts[2], true
			reply("235 2.7.0 ok")
		case "MAIL":
			if s.user != "" && !authed {
				reply("530 5.7.0 authentication required")
				continue
			}
			m.from = strings.TrimSuffix(strings.TrimPrefix(arg, "FROM:<"), ">")
			if i := strings.Index(m.from, "> "); i >= 0 {
				m.from = m.from[:i]
			}
			reply("250 ok")
		case "RCPT":
			if strings.HasPrefix(s.rcptCode, "2") {
				m.rcpt = append(m.rcpt, strings.TrimSuffix(strings.TrimPrefix(arg, "TO:<"), ">"))
			}
			reply(s.rcptCode)
		case "DATA":
			reply("354 end with .")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = b
			s.mu.Lock()
			s.got = append(s.got, m)
			s.mu.Unlock()
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 unknown command")
		}
	}
}

// readerOf is a helper for tests that parse the received message.
func readerOf(b []byte) *bufio.Reader { return bufio.NewReader(strings.NewReader(string(b))) }
