// Package teams is the Microsoft Teams channel: an Adaptive Card posted
// to an incoming webhook (a Workflows or connector URL) in the "message"
// attachment format. The webhook URL is the channel's secret, sealed at
// rest and never logged.
package teams

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
)

// Kind is the channel kind.
const Kind = "teams"

// Channel posts to one Teams incoming webhook.
type Channel struct {
	WebhookURL notify.Secret `json:"webhook_url"`

	http notify.Doer
	now  func() time.Time
}

var (
	_ notify.Channel      = (*Channel)(nil)
	_ notify.SecretHolder = (*Channel)(nil)
)

// New returns a channel that sends through deps.HTTP.
func New(webhookURL notify.Secret, deps notify.Deps) *Channel {
	return &Channel{WebhookURL: webhookURL, http: deps.HTTP, now: deps.Clock()}
}

// Factory decodes a stored configuration.
func Factory(raw []byte, deps notify.Deps) (notify.Channel, error) {
	c := New("", deps)
	if err := notify.DecodeConfig(raw, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Register adds the kind to r.
func Register(r *notify.Registry) { r.Register(Kind, Factory) }

// Kind returns "teams".
func (c *Channel) Kind() string { return Kind }

// Secrets returns the webhook URL.
func (c *Channel) Secrets() map[string]*notify.Secret {
	return map[string]*notify.Secret{"webhook_url": &c.WebhookURL}
}

// Validate requires an https webhook URL.
func (c *Channel) Validate() error {
	if c.WebhookURL == "" {
		return opsward.FieldErrorf("config.webhook_url", "webhook URL is required")
	}
	return notify.ValidateURL("config.webhook_url", c.WebhookURL.Reveal(), true)
}

// Send posts msg.
func (c *Channel) Send(ctx context.Context, msg notify.Message) error {
	if c.http == nil {
		return opsward.Internal(errors.New("teams channel has no HTTP client"))
	}
	body, err := json.Marshal(Build(msg))
	if err != nil {
		return opsward.Internal(err)
	}
	_, err = notify.PostJSON(ctx, c.http, c.WebhookURL.Reveal(), body, nil, c.now())
	return err
}

// Envelope is the "message" format that carries the card.
type Envelope struct {
	Type        string       `json:"type"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment holds one Adaptive Card.
type Attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     Card    `json:"content"`
}

// Card is an Adaptive Card (the elements this channel uses).
type Card struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	Body    []Element      `json:"body"`
	Actions []Action       `json:"actions,omitempty"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

// Element is a TextBlock or a FactSet.
type Element struct {
	Type   string `json:"type"`
	Text   string `json:"text,omitempty"`
	Weight string `json:"weight,omitempty"`
	Size   string `json:"size,omitempty"`
	Color  string `json:"color,omitempty"`
	Wrap   bool   `json:"wrap,omitempty"`
	Facts  []Fact `json:"facts,omitempty"`
}

// Fact is one row of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action opens a URL.
type Action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// CardContentType is the attachment content type of an Adaptive Card.
const CardContentType = "application/vnd.microsoft.card.adaptive"

var stateColor = map[notify.State]string{
	notify.StateTriggered:    "Attention",
	notify.StateAcknowledged: "Warning",
	notify.StateResolved:     "Good",
}

// Build renders msg as an Adaptive Card 1.4 in a message envelope.
func Build(msg notify.Message) Envelope {
	card := Card{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		MSTeams: map[string]any{"width": "Full"},
	}
	card.Body = append(card.Body, Element{Type: "TextBlock", Text: notify.Truncate(msg.Headline(), 500), Weight: "Bolder", Size: "Medium", Color: stateColor[msg.State], Wrap: true})
	if strings.TrimSpace(msg.Summary) != "" {
		card.Body = append(card.Body, Element{Type: "TextBlock", Text: notify.Truncate(msg.Summary, 4000), Wrap: true})
	}
	facts := []Fact{{"Severity", string(msg.Severity)}, {"State", string(msg.State)}}
	if msg.TenantName != "" {
		facts = append(facts, Fact{"Customer", msg.TenantName})
	}
	if msg.Source != "" {
		facts = append(facts, Fact{"Source", msg.Source})
	}
	for _, f := range msg.Fields {
		facts = append(facts, Fact{f.Name, notify.Truncate(f.Value, 1000)})
	}
	facts = append(facts, Fact{"Time", msg.Time.UTC().Format(time.RFC1123)}, Fact{"Reference", msg.Ref.Kind + " " + msg.Ref.ID})
	card.Body = append(card.Body, Element{Type: "FactSet", Facts: facts})
	if msg.Link != "" {
		card.Actions = []Action{{Type: "Action.OpenUrl", Title: "Open in Opsward", URL: msg.Link}}
	}
	return Envelope{Type: "message", Attachments: []Attachment{{ContentType: CardContentType, Content: card}}}
}
