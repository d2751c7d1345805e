// Package teams is the Microsoft Teams channel: an Adaptive Card posted
// to an incoming webhook (a Workflows or connector URL) in the "message"
// attachment format. The webhook URL is the channel's secret, sealed at
// rest and never logged.
package teams

import (
	"strings"
	"time"

	"github.com/opsward/opsward/services/notify"
)

// Kind is the channel kind.
const Kind = "teams"

// Channel posts to one Teams incoming webhook.
type Channel = notify.IncomingWebhook

// New returns a channel that sends through deps.HTTP.
func New(webhookURL notify.Secret, deps notify.Deps) *Channel {
	return notify.NewIncomingWebhook(Kind, webhookURL, build, deps)
}

// Factory decodes a stored configuration.
var Factory = notify.IncomingWebhookFactory(Kind, build)

// Register adds the kind to r.
func Register(r *notify.Registry) { r.Register(Kind, Factory) }

func build(msg notify.Message) any { return Build(msg) }

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
