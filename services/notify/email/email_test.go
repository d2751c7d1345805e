package email_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/email"
)

const password = "s3cret-smtp-pass"

func message() notify.Message {
	return notify.Message{
		TenantID: "ten_acme", TenantName: "Acme", Ref: notify.Ref{Kind: "incident", ID: "inc_01"},
		Title: "Störung: web-1 — down", Summary: "HTTP check failed <script>alert(1)</script>", Severity: notify.SeverityHigh,
		State: notify.StateTriggered, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Link: "https://portal.example.com/incidents/inc_01", Fields: []notify.Field{{Name: "Monitor", Value: "web-1 http"}},
	}
}

func deps(t *testing.T) (notify.Deps, tls.Certificate) {
	cert, pool := selfSigned(t)
	return notify.Deps{Dial: &net.Dialer{Timeout: 5 * time.Second}, TLS: &tls.Config{RootCAs: pool}}, cert
}

func config(port int, extra map[string]any) []byte {
	m := map[string]any{
		"host": "127.0.0.1", "port": port, "username": "noc", "password": password,
		"from": "Opsward NOC <noc@msp.example>", "to": []string{"ops@acme.example", "Jörg <joerg@acme.example>"},
	}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func TestSendOverSTARTTLS(t *testing.T) {
	t.Parallel()
	d, cert := deps(t)
	srv := startSMTPD(t, &smtpd{tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}}, user: "noc", pass: password})
	reg := notify.NewRegistry(d)
	email.Register(reg)
	ch, err := reg.Decode(email.Kind, config(srv.port(), nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ch.Send(ctx, message()); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := srv.mails()
	if len(got) != 1 {
		t.Fatalf("server received %d messages", len(got))
	}
	m := got[0]
	if !m.tls || m.clearAuths != 0 || m.authUser != "noc" || m.authPass != password {
		t.Fatalf("transport: tls=%v clearAuths=%d user=%q", m.tls, m.clearAuths, m.authUser)
	}
	if m.from != "noc@msp.example" || strings.Join(m.rcpt, ",") != "ops@acme.example,joerg@acme.example" {
		t.Fatalf("envelope from=%q rcpt=%v", m.from, m.rcpt)
	}

	msg, err := netmail.ReadMessage(readerOf(m.data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "[TRIGGERED] Störung: web-1 — down" {
		t.Errorf("subject %q (%v), raw %q", subject, err, h.Get("Subject"))
	}
	if !strings.HasPrefix(h.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("subject not RFC 2047 encoded: %q", h.Get("Subject"))
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@msp.example>") {
		t.Errorf("Message-ID %q", id)
	}
	if dt, err := h.Date(); err != nil || dt.IsZero() {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if from, err := h.AddressList("From"); err != nil || from[0].Name != "Opsward NOC" || from[0].Address != "noc@msp.example" {
		t.Errorf("From %q: %v", h.Get("From"), err)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 2 || to[1].Name != "Jörg" {
		t.Errorf("To %q: %v", h.Get("To"), err)
	}
	if h.Get("References") == "" || h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("threading/auto headers: %v", h)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q", h.Get("Content-Type"))
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = string(b)
	}
	text, html := parts["text/plain"], parts["text/html"]
	if !strings.Contains(text, "HTTP check failed <script>") || !strings.Contains(text, "Monitor: web-1 http") || !strings.Contains(text, "https://portal.example.com/incidents/inc_01") {
		t.Errorf("text part:\n%s", text)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") || !strings.Contains(html, `href="https://portal.example.com/incidents/inc_01"`) || strings.Contains(html, "ZgotmplZ") {
		t.Errorf("html part:\n%s", html)
	}
	if strings.Contains(string(m.data), password) {
		t.Error("the password is in the message")
	}
}

func TestRefusesServerWithoutSTARTTLS(t *testing.T) {
	t.Parallel()
	d, cert := deps(t)
	srv := startSMTPD(t, &smtpd{tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}}, noTLS: true, user: "noc", pass: password})
	ch, err := email.Factory(config(srv.port(), nil), d)
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Send(context.Background(), message())
	var se *notify.SendError
	if !errors.As(err, &se) || !se.Permanent || !strings.Contains(se.Message, "STARTTLS") {
		t.Fatalf("got %v, want a permanent STARTTLS error", err)
	}
	if len(srv.mails()) != 0 {
		t.Fatal("mail was sent in clear")
	}
}

func TestUntrustedCertificateIsRefused(t *testing.T) {
	t.Parallel()
	_, cert := deps(t)
	d2, _ := deps(t) // trusts another certificate
	srv := startSMTPD(t, &smtpd{tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}}, user: "noc", pass: password})
	ch, _ := email.Factory(config(srv.port(), nil), d2)
	if err := ch.Send(context.Background(), message()); err == nil || strings.Contains(err.Error(), password) {
		t.Fatalf("got %v, want a TLS error without the password", err)
	}
	if len(srv.mails()) != 0 {
		t.Fatal("mail was sent over an untrusted connection")
	}
}

func TestReplyCodesAreClassified(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code      string
		status    int
		permanent bool
	}{{"550 5.1.1 no such user", 550, true}, {"451 4.3.0 try later", 451, false}} {
		d, cert := deps(t)
		srv := startSMTPD(t, &smtpd{tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}}, user: "noc", pass: password, rcptCode: tc.code})
		ch, _ := email.Factory(config(srv.port(), nil), d)
		err := ch.Send(context.Background(), message())
		var se *notify.SendError
		if !errors.As(err, &se) || se.Permanent != tc.permanent || se.Status != tc.status {
			t.Errorf("%s: got %#v", tc.code, err)
		}
	}
	d, cert := deps(t)
	srv := startSMTPD(t, &smtpd{tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}}, user: "noc", pass: "other"})
	ch, _ := email.Factory(config(srv.port(), nil), d)
	err := ch.Send(context.Background(), message())
	if p, _ := notify.Classify(err); !p || strings.Contains(err.Error(), password) {
		t.Errorf("bad credentials: got %v, want permanent without the password", err)
	}
}

func TestPlainRelayOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	d, _ := deps(t)
	srv := startSMTPD(t, &smtpd{noTLS: true})
	ch, err := email.Factory([]byte(`{"host":"127.0.0.1","port":`+itoa(srv.port())+`,"security":"none","from":"noc@msp.example","to":["ops@acme.example"]}`), d)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	if got := srv.mails(); len(got) != 1 || got[0].tls {
		t.Fatalf("got %+v", got)
	}
	ch2, _ := email.Factory([]byte(`{"host":"smtp.example.com","security":"none","from":"noc@msp.example","to":["ops@acme.example"]}`), d)
	if err := ch2.Validate(); opsward.ErrorField(err) != "config.security" {
		t.Fatalf("security none on a remote host: got %v", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	base := `"host":"smtp.example.com","from":"noc@msp.example","to":["ops@acme.example"]`
	for _, tc := range []struct{ cfg, field string }{
		{`{` + base + `,"security":"ssl"}`, "config.security"},
		{`{` + base + `,"port":70000}`, "config.port"},
		{`{` + base + `,"username":"noc"}`, "config.username"},
		{`{"host":"smtp.example.com","from":"not an address","to":["ops@acme.example"]}`, "config.from"},
		{`{"host":"smtp.example.com","from":"noc@msp.example","to":[]}`, "config.to"},
		{`{"host":"smtp.example.com","from":"noc@msp.example","to":["a@b.example","bad"]}`, "config.to[1]"},
		{`{"host":"a b","from":"noc@msp.example","to":["a@b.example"]}`, "config.host"},
		{`{` + base + `,"to":"ops@acme.example"}`, "config.to"},
	} {
		ch, err := email.Factory([]byte(tc.cfg), notify.Deps{})
		if err == nil {
			err = ch.Validate()
		}
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != tc.field {
			t.Errorf("%s: got %v, want field %s", tc.cfg, err, tc.field)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func FuzzFactory(f *testing.F) {
	f.Add([]byte(`{"host":"smtp.example.com","from":"noc@msp.example","to":["ops@acme.example"],"password":"x","username":"y"}`))
	f.Add([]byte(`{"host":"::1","security":"none","from":"a@b","to":["c@d"]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ch, err := email.Factory(raw, notify.Deps{})
		if err != nil {
			if opsward.ErrorCode(err) != opsward.EINVALID {
				t.Fatalf("not EINVALID: %v", err)
			}
			return
		}
		if err := ch.Validate(); err != nil && opsward.ErrorField(err) == "" {
			t.Fatalf("validation error names no field: %v", err)
		}
	})
}
