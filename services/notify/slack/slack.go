// Package slack is the Slack channel: a Block Kit message posted to an
// incoming webhook. The webhook URL is the channel's secret (anyone who
// has it can post), so it is sealed at rest and never logged.
package slack

import (
	"strings"
	"time"

	"github.com/opsward/opsward/services/notify"
)

// Kind is the channel kind.
const Kind = "slack"

// Channel posts to one Slack incoming webhook.
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

// Payload is an incoming-webhook message.
type Payload struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is one Block Kit block (the fields this channel uses).
type Block struct {
	Type     string    `json:"type"`
	Text     *Text     `json:"text,omitempty"`
	Fields   []Text    `json:"fields,omitempty"`
	Elements []Element `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Element is a context text or an actions button.
type Element struct {
	Type  string `json:"type"`
	Text  any    `json:"text"`
	URL   string `json:"url,omitempty"`
	Style string `json:"style,omitempty"`
}

// Slack's limits.
const (
	maxHeader    = 150
	maxSection   = 3000
	maxFieldText = 2000
	maxFields    = 10
)

var stateEmoji = map[notify.State]string{
	notify.StateTriggered:    ":red_circle:",
	notify.StateAcknowledged: ":large_yellow_circle:",
	notify.StateResolved:     ":large_green_circle:",
}

// Build renders msg as Block Kit: a header, the summary, the severity,
// state and fields, the tenant and time, and a button to the portal.
func Build(msg notify.Message) Payload {
	p := Payload{Text: notify.Truncate(stateEmoji[msg.State]+" "+escape(msg.Headline()), maxSection)}
	p.Blocks = append(p.Blocks, Block{Type: "header", Text: &Text{
		Type: "plain_text", Emoji: true,
		Text: notify.Truncate(stateEmoji[msg.State]+" "+msg.Headline(), maxHeader),
	}})
	if strings.TrimSpace(msg.Summary) != "" {
		p.Blocks = append(p.Blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: notify.Truncate(escape(msg.Summary), maxSection)}})
	}
	fields := []Text{
		{Type: "mrkdwn", Text: "*Severity*\n" + string(msg.Severity)},
		{Type: "mrkdwn", Text: "*State*\n" + string(msg.State)},
	}
	if msg.Source != "" {
		fields = append(fields, Text{Type: "mrkdwn", Text: "*Source*\n" + escape(msg.Source)})
	}
	for _, f := range msg.Fields {
		if len(fields) == maxFields {
			break
		}
		fields = append(fields, Text{Type: "mrkdwn", Text: notify.Truncate("*"+escape(f.Name)+"*\n"+escape(f.Value), maxFieldText)})
	}
	p.Blocks = append(p.Blocks, Block{Type: "section", Fields: fields})
	ctxText := msg.Ref.Kind + " " + msg.Ref.ID + " · " + msg.Time.UTC().Format(time.RFC1123)
	if msg.TenantName != "" {
		ctxText = escape(msg.TenantName) + " · " + ctxText
	}
	p.Blocks = append(p.Blocks, Block{Type: "context", Elements: []Element{{Type: "mrkdwn", Text: ctxText}}})
	if msg.Link != "" {
		p.Blocks = append(p.Blocks, Block{Type: "actions", Elements: []Element{{
			Type: "button", Text: Text{Type: "plain_text", Text: "Open in Opsward"}, URL: msg.Link, Style: "primary",
		}}})
	}
	return p
}

// escape makes text literal in mrkdwn: Slack reads <, > and & as markup
// (links, mentions such as <!channel>).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
