package main

import (
	"context"
	"fmt"
	"html/template"
	"net"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/email"
	"github.com/opsward/opsward/tenants"
)

// invitationMailer mails invitations through the platform's own relay
// (OPSWARD_SMTP_URL), with a link into the portal that accepts them.
type invitationMailer struct {
	relay  platform.SMTP
	portal string
	dial   notify.Dialer
	now    func() time.Time
}

var _ tenants.InvitationMailer = (*invitationMailer)(nil)

// newInvitationMailer returns nil when no relay is configured. The relay
// is the operator's, not a tenant's, so it is dialled directly rather
// than through the egress guard (a relay on a private network is usual).
func newInvitationMailer(cfg platform.Config) (*invitationMailer, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	relay, err := platform.ParseSMTPURL(cfg.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("OPSWARD_SMTP_URL: %v", err)
	}
	m := &invitationMailer{relay: relay, portal: strings.TrimRight(cfg.PortalURL, "/"),
		dial: &net.Dialer{Timeout: 10 * time.Second}, now: time.Now}
	// The channel's own checks (security none only on loopback, …) run
	// at start-up, so a bad relay stops the server with the setting named.
	if err := m.channel("invitee@example.com").Validate(); err != nil {
		return nil, fmt.Errorf("OPSWARD_SMTP_URL: %s", opsward.ErrorMessage(err))
	}
	return m, nil
}

func (m *invitationMailer) channel(to string) *email.Channel {
	c := email.New(notify.Deps{Dial: m.dial, Now: m.now})
	c.Host, c.Port, c.Security, c.From, c.To = m.relay.Host, m.relay.Port, m.relay.Security, m.relay.From, []string{to}
	c.Username, c.Password = m.relay.Username, notify.Secret(m.relay.Password)
	return c
}

// acceptLink is the portal's page that accepts an invitation. The token
// travels in the fragment, which browsers send to no server, so it stays
// out of access logs and Referer headers.
func (m *invitationMailer) acceptLink(token string) string {
	return m.portal + "/accept-invitation#token=" + url.QueryEscape(token)
}

// MailInvitation sends one invitation.
func (m *invitationMailer) MailInvitation(ctx context.Context, inv tenants.InvitationMail) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v := invitationView{InvitationMail: inv, Link: m.acceptLink(inv.Token), Expires: inv.ExpiresAt.UTC().Format("2 January 2006 15:04 MST")}
	if v.TenantName == "" {
		v.TenantName = "Opsward"
	}
	var text, html strings.Builder
	if err := invitationText.Execute(&text, v); err != nil {
		return err
	}
	if err := invitationHTML.Execute(&html, v); err != nil {
		return err
	}
	return m.channel(inv.To).SendMail(ctx, email.Mail{
		Subject: fmt.Sprintf("You are invited to %s on Opsward", v.TenantName),
		Text:    text.String(), HTML: html.String(),
	})
}

type invitationView struct {
	tenants.InvitationMail
	Link, Expires string
}

var invitationText = texttemplate.Must(texttemplate.New("text").Parse(`{{if .InvitedBy}}{{.InvitedBy}} invites you{{else}}You are invited{{end}} to join {{.TenantName}} on Opsward as {{.Role}}.

Accept the invitation here (the link works once, until {{.Expires}}):

{{.Link}}

If you did not expect this mail, ignore it: nothing happens until the link is used.
`))

var invitationHTML = template.Must(template.New("html").Parse(`<!doctype html>
<html><body style="font-family:Arial,Helvetica,sans-serif;color:#222">
<p>{{if .InvitedBy}}{{.InvitedBy}} invites you{{else}}You are invited{{end}} to join <b>{{.TenantName}}</b> on Opsward as {{.Role}}.</p>
<p><a href="{{.Link}}">Accept the invitation</a> (the link works once, until {{.Expires}}).</p>
<p style="color:#555">If you did not expect this mail, ignore it: nothing happens until the link is used.</p>
</body></html>
`))
