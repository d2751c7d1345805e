package main

import (
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// An invitation accepted through the API returns the new membership with
// its user, although the invitee has no credentials yet.
func TestAcceptInvitationReturnsTheMembership(t *testing.T) {
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	admin := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken

	_, r := s.graphqlVars(t, admin, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { invitation { id email } token userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"tenantId": acme.ID, "email": "new.analyst@acme.example", "role": "analyst"}})
	token, _ := dig(r, "data", "inviteUser", "token").(string)
	if token == "" {
		t.Fatalf("inviteUser: %v", r)
	}

	const accept = `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { membership { id role tenantId user { email name } tenant { id name } } userErrors { field message } } }`
	_, r = s.graphqlVars(t, "", accept, map[string]any{"in": map[string]any{"token": token, "name": "New Analyst", "password": "Acme-Analyst-Passphrase-4"}})
	if errs, _ := r["errors"].([]any); len(errs) > 0 {
		t.Fatalf("acceptInvitation: errors %v", errs)
	}
	m, _ := dig(r, "data", "acceptInvitation", "membership").(map[string]any)
	if m == nil || dig(m, "user", "email") != "new.analyst@acme.example" || dig(m, "user", "name") != "New Analyst" || m["role"] != "analyst" ||
		m["tenantId"] != acme.ID || dig(m, "tenant", "id") != acme.ID || dig(m, "tenant", "name") != acme.Name {
		t.Fatalf("acceptInvitation returned %v", r)
	}

	// The new member sees the membership and its tenant as a viewer too;
	// MSP staff acting on a customer see their own tenant, above it.
	analyst := s.login(t, tenants.DemoCredential{Email: "new.analyst@acme.example", Password: "Acme-Analyst-Passphrase-4"}, "")
	_, r = s.graphql(t, "Bearer "+analyst.AccessToken, "", `{ viewer { memberships { role tenant { id name } } } }`)
	ms, _ := dig(r, "data", "viewer", "memberships").([]any)
	if len(ms) != 1 || dig(ms[0], "tenant", "id") != acme.ID {
		t.Fatalf("viewer memberships: %v", r)
	}
	owner := "Bearer " + s.login(t, s.user(t, s.demo.Provider, "owner"), "").AccessToken
	_, r = s.graphql(t, owner, acme.ID, `{ viewer { actingTenant { id } memberships { tenant { id name } user { email } } } }`)
	ms, _ = dig(r, "data", "viewer", "memberships").([]any)
	if errs, _ := r["errors"].([]any); len(errs) > 0 || len(ms) != 1 || dig(ms[0], "tenant", "id") != s.demo.Provider.ID ||
		dig(r, "data", "viewer", "actingTenant", "id") != acme.ID {
		t.Fatalf("provider owner's memberships while acting on a customer: %v", r)
	}

	// The token is used up: a second acceptance is a user error on it.
	_, r = s.graphqlVars(t, "", accept, map[string]any{"in": map[string]any{"token": token, "name": "Again", "password": "Acme-Analyst-Passphrase-4"}})
	ue, _ := dig(r, "data", "acceptInvitation", "userErrors").([]any)
	if len(ue) != 1 || dig(ue[0], "field") == nil || dig(r, "data", "acceptInvitation", "membership") != nil {
		t.Fatalf("second acceptance: %v", r)
	}
}

// smtpSink is a minimal SMTP server on loopback that keeps each message.
type smtpSink struct {
	ln   net.Listener
	msgs chan smtpMessage
}

type smtpMessage struct {
	from string
	rcpt []string
	data string
}

func startSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln, msgs: make(chan smtpMessage, 10)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 sink ESMTP")
	var m smtpMessage
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		cmd := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			tp.PrintfLine("250-sink\r\n250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			from, _, _ := strings.Cut(strings.TrimSpace(line[len("MAIL FROM:"):]), " ")
			m = smtpMessage{from: strings.Trim(from, "<>")}
			tp.PrintfLine("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.rcpt = append(m.rcpt, strings.Trim(line[len("RCPT TO:"):], "<> "))
			tp.PrintfLine("250 OK")
		case cmd == "DATA":
			tp.PrintfLine("354 go on")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = string(b)
			s.msgs <- m
			tp.PrintfLine("250 queued")
		case cmd == "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("250 OK")
		}
	}
}

// With a mail relay configured, an invitation is mailed to the invitee
// with a link into the portal that carries the token; accepting with the
// token from the mail works, and the token is in no log line.
func TestInvitationIsMailed(t *testing.T) {
	sink := startSMTPSink(t)
	s := startAuthServer(t, func(c *platform.Config) {
		c.SMTPURL = "smtp://" + sink.ln.Addr().String() + "?from=noc@msp.example&security=none"
		c.PortalURL = "https://portal.msp.example/"
		c.LogLevel = "debug"
	})
	acme := s.demo.Customers[0]
	admin := s.user(t, acme, "admin")
	auth := "Bearer " + s.login(t, admin, "").AccessToken

	_, r := s.graphqlVars(t, auth, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { token mailed userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"tenantId": acme.ID, "email": "mailed@acme.example", "role": "viewer"}})
	token, _ := dig(r, "data", "inviteUser", "token").(string)
	if token == "" || dig(r, "data", "inviteUser", "mailed") != true {
		t.Fatalf("inviteUser: %v", r)
	}
	var got smtpMessage
	select {
	case got = <-sink.msgs:
	case <-time.After(10 * time.Second):
		t.Fatal("no mail reached the relay")
	}
	if got.from != "noc@msp.example" || len(got.rcpt) != 1 || got.rcpt[0] != "mailed@acme.example" {
		t.Fatalf("envelope from %q to %v", got.from, got.rcpt)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got.data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if !strings.Contains(subject, acme.Name) {
		t.Fatalf("subject %q does not name the tenant", subject)
	}
	body := decodedParts(t, msg)
	link := "https://portal.msp.example/accept-invitation#token=" + url.QueryEscape(token)
	if !strings.Contains(body, link) {
		t.Fatalf("the mail has no link %s:\n%s", link, body)
	}

	// The invitee accepts with the token from the link.
	i := strings.Index(body, "#token=")
	fromMail, _ := url.QueryUnescape(strings.Fields(body[i+len("#token="):])[0])
	_, r = s.graphqlVars(t, "", `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { membership { role user { email } } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"token": fromMail, "name": "Mailed Viewer", "password": "Acme-Viewer-Passphrase-8"}})
	if dig(r, "data", "acceptInvitation", "membership", "user", "email") != "mailed@acme.example" {
		t.Fatalf("accept with the mailed token: %v", r)
	}
	if logs := s.logs.String(); !strings.Contains(logs, "level=") || strings.Contains(logs, token) || strings.Contains(logs, url.QueryEscape(token)) {
		t.Fatal("the invitation token is in the log")
	}

	// A relay that does not answer: the invitation stands, not mailed.
	sink.ln.Close()
	_, r = s.graphqlVars(t, auth, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { token mailed userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"tenantId": acme.ID, "email": "unmailed@acme.example", "role": "viewer"}})
	if dig(r, "data", "inviteUser", "token") == nil || dig(r, "data", "inviteUser", "mailed") != false {
		t.Fatalf("invite with the relay down: %v", r)
	}
}

// decodedParts returns the decoded text of every part of a multipart
// message, one after the other.
func decodedParts(t *testing.T, msg *mail.Message) string {
	t.Helper()
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var out strings.Builder
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p) // multipart decodes quoted-printable itself
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteString("\n")
	}
}
