// Package pagerduty is the PagerDuty channel: Events API v2 trigger,
// acknowledge and resolve events keyed by the message's dedup key, so
// that one incident in Opsward is one incident in PagerDuty. The routing
// key is the channel's secret, sealed at rest and never logged.
package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
)

// Kind is the channel kind.
const Kind = "pagerduty"

// DefaultEndpoint is the Events API v2 enqueue URL.
const DefaultEndpoint = "https://events.pagerduty.com/v2/enqueue"

// Channel sends events to one PagerDuty service integration.
type Channel struct {
	// RoutingKey is the integration key of the service (32 characters).
	RoutingKey notify.Secret `json:"routing_key"`
	// Endpoint overrides DefaultEndpoint (for example the EU region's
	// https://events.eu.pagerduty.com/v2/enqueue).
	Endpoint string `json:"endpoint,omitempty"`

	http notify.Doer
	now  func() time.Time
}

var (
	_ notify.Channel      = (*Channel)(nil)
	_ notify.SecretHolder = (*Channel)(nil)
)

// New returns a channel that sends through deps.HTTP.
func New(routingKey notify.Secret, deps notify.Deps) *Channel {
	return &Channel{RoutingKey: routingKey, http: deps.HTTP, now: deps.Clock()}
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

// Kind returns "pagerduty".
func (c *Channel) Kind() string { return Kind }

// Secrets returns the routing key.
func (c *Channel) Secrets() map[string]*notify.Secret {
	return map[string]*notify.Secret{"routing_key": &c.RoutingKey}
}

// Validate checks the routing key's form and the endpoint.
func (c *Channel) Validate() error {
	if len(c.RoutingKey) != 32 {
		return opsward.FieldErrorf("config.routing_key", "routing key must be the 32-character integration key")
	}
	for _, r := range c.RoutingKey.Reveal() {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return opsward.FieldErrorf("config.routing_key", "routing key must be letters and digits")
		}
	}
	if c.Endpoint != "" {
		return notify.ValidateURL("config.endpoint", c.Endpoint, true)
	}
	return nil
}

// Event is an Events API v2 event.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes a triggered event.
type Payload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Group         string            `json:"group,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

// Link is a link shown on the PagerDuty incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Severity maps an Opsward severity to PagerDuty's four.
func Severity(s notify.Severity) string {
	switch s {
	case notify.SeverityCritical:
		return "critical"
	case notify.SeverityHigh:
		return "error"
	case notify.SeverityMedium:
		return "warning"
	}
	return "info"
}

var actions = map[notify.State]string{
	notify.StateTriggered:    "trigger",
	notify.StateAcknowledged: "acknowledge",
	notify.StateResolved:     "resolve",
}

// Build returns the event for msg under routingKey.
func Build(routingKey string, msg notify.Message) Event {
	ev := Event{RoutingKey: routingKey, EventAction: actions[msg.State], DedupKey: msg.Key()}
	if msg.State != notify.StateTriggered {
		return ev
	}
	source := msg.Source
	if source == "" {
		source = "opsward"
	}
	details := map[string]string{"tenant_id": msg.TenantID, msg.Ref.Kind: msg.Ref.ID}
	if msg.Summary != "" {
		details["summary"] = notify.Truncate(msg.Summary, 4000)
	}
	for _, f := range msg.Fields {
		details[f.Name] = f.Value
	}
	ev.Payload = &Payload{
		Summary:   notify.Truncate(msg.Title, 1024),
		Source:    notify.Truncate(source, 255),
		Severity:  Severity(msg.Severity),
		Timestamp: msg.Time.UTC().Format(time.RFC3339),
		Group:     msg.TenantName,
		Class:     msg.Ref.Kind,

		CustomDetails: details,
	}
	ev.Client = "Opsward"
	if msg.Link != "" {
		ev.ClientURL = msg.Link
		ev.Links = []Link{{Href: msg.Link, Text: "Open in Opsward"}}
	}
	return ev
}

// Send enqueues the event for msg.
func (c *Channel) Send(ctx context.Context, msg notify.Message) error {
	if c.http == nil {
		return opsward.Internal(errors.New("pagerduty channel has no HTTP client"))
	}
	body, err := json.Marshal(Build(c.RoutingKey.Reveal(), msg))
	if err != nil {
		return opsward.Internal(err)
	}
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	_, err = notify.PostJSON(ctx, c.http, endpoint, body, nil, c.now())
	clear(body)
	return err
}
