package notify

import (
	"fmt"
	"slices"

	"github.com/opsward/opsward"
)

// Route is what a channel subscribes to: messages at or above
// MinSeverity, in one of States.
type Route struct {
	MinSeverity Severity `json:"min_severity"`
	// States lists the states notified; empty means all three.
	States []State `json:"states,omitempty"`
}

// DefaultRoute notifies everything from low severity up, in every state.
func DefaultRoute() Route { return Route{MinSeverity: SeverityLow} }

// Validate reports an unknown severity or state, naming the field.
func (r Route) Validate() error {
	if !r.MinSeverity.Valid() {
		return opsward.FieldErrorf("route.min_severity", "minimum severity must be info, low, medium, high or critical")
	}
	for i, s := range r.States {
		if !s.Valid() {
			return opsward.FieldErrorf(fmt.Sprintf("route.states[%d]", i), "state must be triggered, acknowledged or resolved")
		}
	}
	return nil
}

// Matches reports whether m goes to a channel with this route.
func (r Route) Matches(m Message) bool {
	if m.Severity.Rank() < r.MinSeverity.Rank() || !m.Severity.Valid() {
		return false
	}
	return len(r.States) == 0 || slices.Contains(r.States, m.State)
}

// DecodeRoute decodes and validates a stored or submitted route.
func DecodeRoute(raw []byte) (Route, error) {
	var r Route
	if err := DecodeConfig(raw, &r); err != nil {
		return Route{}, err
	}
	return r, r.Validate()
}

// Subscription is one enabled channel of a tenant and its route.
type Subscription struct {
	ChannelID string
	Route     Route
}

// Plan returns one Delivery per subscription whose route matches m, in
// the order given: the jobs to enqueue for m.
func Plan(m Message, subs []Subscription) []Delivery {
	var out []Delivery
	for _, s := range subs {
		if s.Route.Matches(m) {
			out = append(out, Delivery{TenantID: m.TenantID, ChannelID: s.ChannelID, Message: m})
		}
	}
	return out
}
