package notify

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
)

// Channel is one configured notification destination.
type Channel interface {
	// Kind names the channel kind ("email", "webhook", ...), the key the
	// Registry decodes it by.
	Kind() string
	// Validate reports the first wrong setting as an EINVALID
	// *opsward.Error that names the field.
	Validate() error
	// Send delivers msg once. A failure should be a *SendError (see
	// NewSendError and StatusError) when the remote said why; any other
	// error is retried.
	Send(ctx context.Context, msg Message) error
}

// Severity orders how bad something is. The zero value is invalid.
type Severity string

// Severities, from least to most severe.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank returns 1 (info) to 5 (critical), or 0 for an unknown severity.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityLow:
		return 2
	case SeverityMedium:
		return 3
	case SeverityHigh:
		return 4
	case SeverityCritical:
		return 5
	}
	return 0
}

// Valid reports whether s is one of the severities.
func (s Severity) Valid() bool { return s.Rank() > 0 }

// State is where an incident or alert stands.
type State string

// States of an incident or alert.
const (
	StateTriggered    State = "triggered"
	StateAcknowledged State = "acknowledged"
	StateResolved     State = "resolved"
)

// Valid reports whether s is one of the states.
func (s State) Valid() bool {
	return s == StateTriggered || s == StateAcknowledged || s == StateResolved
}

// Ref points at what the message is about.
type Ref struct {
	// Kind is "incident" (NOC), "alert" (SOC), "billing" (a payment
	// reminder; its ID is the tenant's) or "report" (compliance).
	Kind string `json:"kind"`
	// ID is its opaque id (inc_…, alr_…).
	ID string `json:"id"`
}

// Field is one labelled detail shown with the message, in order.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Message is one notification: a state change of an incident or alert.
// It travels as JSON inside a Delivery job.
type Message struct {
	TenantID string `json:"tenant_id"`
	// TenantName is the customer's display name, shown to MSP staff who
	// watch many tenants from one channel.
	TenantName string   `json:"tenant_name,omitempty"`
	Ref        Ref      `json:"ref"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary,omitempty"`
	Severity   Severity `json:"severity"`
	State      State    `json:"state"`
	// Time is when the state changed.
	Time time.Time `json:"time"`
	// Source names the affected asset or monitor (PagerDuty's "source").
	Source string `json:"source,omitempty"`
	// Link opens the incident or alert in the portal.
	Link   string  `json:"link,omitempty"`
	Fields []Field `json:"fields,omitempty"`
	// DedupKey is the same for every message about one incident or alert,
	// so that a receiver (PagerDuty's dedup_key, a webhook consumer) folds
	// trigger, acknowledgement and resolution into one thread. Empty means
	// "<ref kind>:<ref id>".
	DedupKey string `json:"dedup_key,omitempty"`
}

// Limits of a message, so that one job payload stays small.
const (
	maxTitle   = 500
	maxSummary = 8000
	maxFields  = 50
	maxField   = 2000
)

// Key returns the dedup key, defaulting to "<ref kind>:<ref id>".
func (m Message) Key() string {
	if m.DedupKey != "" {
		return m.DedupKey
	}
	return m.Ref.Kind + ":" + m.Ref.ID
}

// Validate reports the first wrong field of m.
func (m Message) Validate() error {
	switch {
	case m.TenantID == "":
		return opsward.FieldErrorf("message.tenant_id", "tenant id is required")
	case m.Ref.Kind != "incident" && m.Ref.Kind != "alert" && m.Ref.Kind != "billing" && m.Ref.Kind != "report":
		return opsward.FieldErrorf("message.ref.kind", "ref kind must be incident, alert, billing or report")
	case m.Ref.ID == "":
		return opsward.FieldErrorf("message.ref.id", "ref id is required")
	case strings.TrimSpace(m.Title) == "":
		return opsward.FieldErrorf("message.title", "title is required")
	case len(m.Title) > maxTitle:
		return opsward.FieldErrorf("message.title", "title must be at most %d bytes", maxTitle)
	case len(m.Summary) > maxSummary:
		return opsward.FieldErrorf("message.summary", "summary must be at most %d bytes", maxSummary)
	case !m.Severity.Valid():
		return opsward.FieldErrorf("message.severity", "severity must be info, low, medium, high or critical")
	case !m.State.Valid():
		return opsward.FieldErrorf("message.state", "state must be triggered, acknowledged or resolved")
	case m.Time.IsZero():
		return opsward.FieldErrorf("message.time", "time is required")
	case len(m.Fields) > maxFields:
		return opsward.FieldErrorf("message.fields", "at most %d fields", maxFields)
	case len(m.Key()) > 255:
		return opsward.FieldErrorf("message.dedup_key", "dedup key must be at most 255 bytes")
	}
	if m.Link != "" {
		if err := ValidateURL("message.link", m.Link, false); err != nil {
			return err
		}
	}
	for i, f := range m.Fields {
		if f.Name == "" || len(f.Name)+len(f.Value) > maxField {
			return opsward.FieldErrorf(fmt.Sprintf("message.fields[%d]", i), "a field needs a name and at most %d bytes", maxField)
		}
	}
	return nil
}

// ValidateURL checks that raw is an absolute http(s) URL without
// credentials; httpsOnly refuses plain http. The error names field and
// never repeats the URL, which may itself be a secret.
func ValidateURL(field, raw string, httpsOnly bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return opsward.FieldErrorf(field, "%s must be an absolute http or https URL", field)
	}
	if httpsOnly && u.Scheme != "https" {
		return opsward.FieldErrorf(field, "%s must use https", field)
	}
	if u.User != nil {
		return opsward.FieldErrorf(field, "%s must not carry a user name or password", field)
	}
	if len(raw) > 2048 {
		return opsward.FieldErrorf(field, "%s must be at most 2048 bytes", field)
	}
	return nil
}

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut
// with an ellipsis. Channels use it for their remote's length limits.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	if n <= len(ell) {
		return ""
	}
	cut := n - len(ell)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// Headline returns "[STATE] title", the one-line form channels use where
// they have no room for more.
func (m Message) Headline() string {
	return "[" + strings.ToUpper(string(m.State)) + "] " + m.Title
}
