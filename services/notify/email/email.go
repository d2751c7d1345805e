// Package email is the email channel: SMTP submission with STARTTLS (or
// implicit TLS), AUTH PLAIN, and a multipart message with a text and an
// HTML body.
//
// It must never send credentials or mail over an unencrypted connection,
// except to a relay on the loopback interface that the configuration
// names explicitly (security "none"), and never dials on its own: the
// connection comes from the Dialer in notify.Deps.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
)

// Kind is the channel kind.
const Kind = "email"

// Connection security.
const (
	// SecuritySTARTTLS upgrades a plain connection (port 587) and refuses
	// servers that do not offer STARTTLS. The default.
	SecuritySTARTTLS = "starttls"
	// SecurityTLS speaks TLS from the first byte (port 465).
	SecurityTLS = "tls"
	// SecurityNone sends in clear; allowed only to a loopback relay.
	SecurityNone = "none"
)

// Channel sends mail through one SMTP relay.
type Channel struct {
	Host string `json:"host"`
	// Port defaults to 587 (starttls), 465 (tls) or 25 (none).
	Port     int    `json:"port,omitempty"`
	Security string `json:"security,omitempty"`
	Username string `json:"username,omitempty"`
	// Password is sent with AUTH PLAIN, only over TLS.
	Password notify.Secret `json:"password,omitempty"`
	// From is the sender, with or without a display name.
	From string `json:"from"`
	// To lists the recipients (1 to 50).
	To []string `json:"to"`

	dial notify.Dialer
	tls  *tls.Config
	now  func() time.Time
}

var (
	_ notify.Channel      = (*Channel)(nil)
	_ notify.SecretHolder = (*Channel)(nil)
)

// New returns an empty channel bound to deps; fill its fields.
func New(deps notify.Deps) *Channel {
	return &Channel{dial: deps.Dial, tls: deps.TLS, now: deps.Clock()}
}

// Factory decodes a stored configuration.
func Factory(raw []byte, deps notify.Deps) (notify.Channel, error) {
	c := New(deps)
	if err := notify.DecodeConfig(raw, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Register adds the kind to r.
func Register(r *notify.Registry) { r.Register(Kind, Factory) }

// Kind returns "email".
func (c *Channel) Kind() string { return Kind }

// Secrets returns the SMTP password.
func (c *Channel) Secrets() map[string]*notify.Secret {
	return map[string]*notify.Secret{"password": &c.Password}
}

func (c *Channel) security() string {
	if c.Security == "" {
		return SecuritySTARTTLS
	}
	return c.Security
}

func (c *Channel) port() int {
	if c.Port != 0 {
		return c.Port
	}
	switch c.security() {
	case SecurityTLS:
		return 465
	case SecurityNone:
		return 25
	}
	return 587
}

const maxRecipients = 50

// Validate checks every setting, naming the field.
func (c *Channel) Validate() error {
	if c.Host == "" || len(c.Host) > 253 || strings.ContainsAny(c.Host, " \t\r\n/:@") && net.ParseIP(c.Host) == nil {
		return opsward.FieldErrorf("config.host", "host must be a host name or IP address")
	}
	if c.Port < 0 || c.Port > 65535 {
		return opsward.FieldErrorf("config.port", "port must be 1 to 65535")
	}
	switch c.security() {
	case SecuritySTARTTLS, SecurityTLS:
	case SecurityNone:
		if !isLoopback(c.Host) {
			return opsward.FieldErrorf("config.security", "security none is allowed only for a relay on the loopback interface")
		}
	default:
		return opsward.FieldErrorf("config.security", "security must be starttls, tls or none")
	}
	if (c.Username == "") != (c.Password == "") {
		return opsward.FieldErrorf("config.username", "username and password go together")
	}
	if strings.ContainsAny(c.Username, "\x00\r\n") || len(c.Username) > 256 || len(c.Password) > 1024 {
		return opsward.FieldErrorf("config.username", "username or password is not valid")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return opsward.FieldErrorf("config.from", "sender must be an email address")
	}
	if len(c.To) == 0 || len(c.To) > maxRecipients {
		return opsward.FieldErrorf("config.to", "1 to %d recipients", maxRecipients)
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return opsward.FieldErrorf(fmt.Sprintf("config.to[%d]", i), "recipient must be an email address")
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send delivers msg to every recipient in one transaction.
func (c *Channel) Send(ctx context.Context, msg notify.Message) error {
	return c.compose(ctx, func(from *mail.Address, to []*mail.Address) ([]byte, error) {
		return Compose(msg, from, to, c.now())
	})
}

// compose parses the channel's addresses, builds the message with build
// and delivers it.
func (c *Channel) compose(ctx context.Context, build func(from *mail.Address, to []*mail.Address) ([]byte, error)) error {
	if c.dial == nil {
		return opsward.Internal(errors.New("email channel has no dialer"))
	}
	from, _ := mail.ParseAddress(c.From)
	to := make([]*mail.Address, 0, len(c.To))
	for _, s := range c.To {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return &notify.SendError{Permanent: true, Message: "a recipient is not a valid address"}
		}
		to = append(to, a)
	}
	data, err := build(from, to)
	if err != nil {
		return err
	}
	return c.deliver(ctx, from, to, data)
}

// Mail is a message of the platform's own that is not about an incident
// or alert, such as an invitation: a subject, a text body and,
// optionally, an HTML body.
type Mail struct {
	Subject string
	Text    string
	HTML    string
}

// SendMail delivers m to every recipient in one transaction, with the
// same connection security as Send.
func (c *Channel) SendMail(ctx context.Context, m Mail) error {
	return c.compose(ctx, func(from *mail.Address, to []*mail.Address) ([]byte, error) {
		return ComposeMail(m, from, to, c.now())
	})
}

// deliver submits a composed message over SMTP.
func (c *Channel) deliver(ctx context.Context, from *mail.Address, to []*mail.Address, data []byte) error {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.port()))
	conn, err := c.dial.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &notify.SendError{Message: fmt.Sprintf("could not reach SMTP server %s: %v", addr, err)}
	}
	// net/smtp knows no context: closing the connection ends any step.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}

	tlsCfg := c.tlsConfig()
	if c.security() == SecurityTLS {
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return c.wrap(ctx, "TLS handshake", err)
		}
		conn = tc
	}
	sc, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		return c.wrap(ctx, "greeting", err)
	}
	defer sc.Close()
	if err := sc.Hello("opsward.invalid"); err != nil {
		return c.wrap(ctx, "EHLO", err)
	}
	if c.security() == SecuritySTARTTLS {
		if ok, _ := sc.Extension("STARTTLS"); !ok {
			return &notify.SendError{Permanent: true, Message: fmt.Sprintf("SMTP server %s does not offer STARTTLS; refusing to send in clear", c.Host)}
		}
		if err := sc.StartTLS(tlsCfg); err != nil {
			return c.wrap(ctx, "STARTTLS", err)
		}
	}
	if c.Username != "" {
		if ok, _ := sc.Extension("AUTH"); !ok {
			return &notify.SendError{Permanent: true, Message: fmt.Sprintf("SMTP server %s does not offer AUTH", c.Host)}
		}
		if err := sc.Auth(smtp.PlainAuth("", c.Username, c.Password.Reveal(), c.Host)); err != nil {
			return c.wrap(ctx, "AUTH", err)
		}
	}
	if err := sc.Mail(from.Address); err != nil {
		return c.wrap(ctx, "MAIL FROM", err)
	}
	for _, a := range to {
		if err := sc.Rcpt(a.Address); err != nil {
			return c.wrap(ctx, "RCPT TO", err)
		}
	}
	w, err := sc.Data()
	if err != nil {
		return c.wrap(ctx, "DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return c.wrap(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return c.wrap(ctx, "DATA", err)
	}
	// The message is accepted once DATA ends; a failed QUIT changes
	// nothing.
	_ = sc.Quit()
	return nil
}

func (c *Channel) tlsConfig() *tls.Config {
	var cfg *tls.Config
	if c.tls != nil {
		cfg = c.tls.Clone()
	} else {
		cfg = &tls.Config{}
	}
	cfg.ServerName = c.Host
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	return cfg
}

// wrap classifies an SMTP failure: a 5xx reply is permanent, anything
// else (4xx, network, TLS) is retried.
func (c *Channel) wrap(ctx context.Context, step string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return &notify.SendError{
			Status: te.Code, Permanent: te.Code >= 500,
			Message: notify.Truncate(fmt.Sprintf("SMTP server %s refused %s: %d %s", c.Host, step, te.Code, te.Msg), 500),
		}
	}
	return &notify.SendError{Message: notify.Truncate(fmt.Sprintf("SMTP %s with %s failed: %v", step, c.Host, err), 500)}
}
