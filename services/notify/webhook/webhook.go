// Package webhook is the generic webhook channel: a JSON POST of the
// message, signed with HMAC-SHA256 over "<timestamp>.<body>" so that the
// receiver can check it came from Opsward and is fresh (see Verify).
//
// It must never send without a signature, nor put the signing secret
// anywhere but into the HMAC.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
)

// Kind is the channel kind.
const Kind = "webhook"

// Headers set on every request.
const (
	HeaderSignature = "X-Opsward-Signature"
	HeaderTimestamp = "X-Opsward-Timestamp"
	HeaderEvent     = "X-Opsward-Event"
	HeaderDelivery  = "X-Opsward-Delivery"
)

// Channel posts messages to one URL.
type Channel struct {
	// URL receives the POST (http or https).
	URL string `json:"url"`
	// Secret signs each request; 16 to 256 bytes.
	Secret notify.Secret `json:"secret"`

	http notify.Doer
	now  func() time.Time
}

var (
	_ notify.Channel      = (*Channel)(nil)
	_ notify.SecretHolder = (*Channel)(nil)
)

// New returns a channel that sends through deps.HTTP.
func New(url string, secret notify.Secret, deps notify.Deps) *Channel {
	return &Channel{URL: url, Secret: secret, http: deps.HTTP, now: deps.Clock()}
}

// Factory decodes a stored configuration.
func Factory(raw []byte, deps notify.Deps) (notify.Channel, error) {
	c := New("", "", deps)
	if err := notify.DecodeConfig(raw, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Register adds the kind to r.
func Register(r *notify.Registry) { r.Register(Kind, Factory) }

// Kind returns "webhook".
func (c *Channel) Kind() string { return Kind }

// Secrets returns the signing secret.
func (c *Channel) Secrets() map[string]*notify.Secret {
	return map[string]*notify.Secret{"secret": &c.Secret}
}

// Validate checks the URL and the secret's length.
func (c *Channel) Validate() error {
	if err := notify.ValidateURL("config.url", c.URL, false); err != nil {
		return err
	}
	if n := len(c.Secret); n < 16 || n > 256 {
		return opsward.FieldErrorf("config.secret", "signing secret must be 16 to 256 bytes")
	}
	return nil
}

// Payload is the JSON body: the message's fields plus a version, the
// event name and the delivery id.
type Payload struct {
	Version    int    `json:"version"`
	Event      string `json:"event"`
	DeliveryID string `json:"delivery_id,omitempty"`
	notify.Message
}

// Event names a message's event, "incident.triggered" and the like.
func Event(m notify.Message) string { return m.Ref.Kind + "." + string(m.State) }

// Send posts msg, signed.
func (c *Channel) Send(ctx context.Context, msg notify.Message) error {
	if c.http == nil {
		return opsward.Internal(errors.New("webhook channel has no HTTP client"))
	}
	id := notify.DeliveryID(ctx)
	body, err := json.Marshal(Payload{Version: 1, Event: Event(msg), DeliveryID: id, Message: msg})
	if err != nil {
		return opsward.Internal(err)
	}
	now := c.now()
	ts := strconv.FormatInt(now.Unix(), 10)
	h := map[string][]string{
		HeaderTimestamp: {ts},
		HeaderSignature: {"v1=" + Sign([]byte(c.Secret.Reveal()), ts, body)},
		HeaderEvent:     {Event(msg)},
	}
	if id != "" {
		h[HeaderDelivery] = []string{id}
	}
	_, err = notify.PostJSON(ctx, c.http, c.URL, body, h, now)
	return err
}
