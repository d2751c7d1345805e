package notify

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/opsward/opsward"
)

// IncomingWebhook is a channel that posts a JSON body, built from the
// message, to a secret https URL: the incoming webhooks of chat tools
// (Slack, Teams). Anyone who has the URL can post, so it is the channel's
// secret, sealed at rest and never logged.
type IncomingWebhook struct {
	WebhookURL Secret `json:"webhook_url"`

	kind  string
	build func(Message) any
	http  Doer
	now   func() time.Time
}

var (
	_ Channel      = (*IncomingWebhook)(nil)
	_ SecretHolder = (*IncomingWebhook)(nil)
)

// NewIncomingWebhook returns a channel of kind that posts build(msg) to url
// through deps.HTTP.
func NewIncomingWebhook(kind string, url Secret, build func(Message) any, deps Deps) *IncomingWebhook {
	return &IncomingWebhook{WebhookURL: url, kind: kind, build: build, http: deps.HTTP, now: deps.Clock()}
}

// IncomingWebhookFactory decodes the stored configuration of such a kind.
func IncomingWebhookFactory(kind string, build func(Message) any) Factory {
	return func(raw []byte, deps Deps) (Channel, error) {
		c := NewIncomingWebhook(kind, "", build, deps)
		if err := DecodeConfig(raw, c); err != nil {
			return nil, err
		}
		return c, nil
	}
}

// Kind returns the channel's kind.
func (c *IncomingWebhook) Kind() string { return c.kind }

// Secrets returns the webhook URL.
func (c *IncomingWebhook) Secrets() map[string]*Secret {
	return map[string]*Secret{"webhook_url": &c.WebhookURL}
}

// Validate requires an https webhook URL.
func (c *IncomingWebhook) Validate() error {
	if c.WebhookURL == "" {
		return opsward.FieldErrorf("config.webhook_url", "webhook URL is required")
	}
	return ValidateURL("config.webhook_url", c.WebhookURL.Reveal(), true)
}

// Send posts the body built from msg.
func (c *IncomingWebhook) Send(ctx context.Context, msg Message) error {
	if c.http == nil {
		return opsward.Internal(errors.New(c.kind + " channel has no HTTP client"))
	}
	body, err := json.Marshal(c.build(msg))
	if err != nil {
		return opsward.Internal(err)
	}
	_, err = PostJSON(ctx, c.http, c.WebhookURL.Reveal(), body, nil, c.now())
	return err
}
