package ueba

import (
	"net/netip"
	"slices"

	"github.com/opsward/opsward/services/soc/normalize"
)

// FromECS reads a normalised event as a user's action: an authentication
// (event.category "authentication") or a privileged action (sudo or su,
// Windows' special privileges at logon, 4672). ok is false for any other
// event, and for one without user.name or @timestamp.
func FromECS(tenant string, ev normalize.Event) (Event, bool) {
	user := ev.String(normalize.FieldUserName)
	at := ev.Time()
	if user == "" || at.IsZero() {
		return Event{}, false
	}
	out := Event{Tenant: tenant, User: user, Host: ev.String(normalize.FieldHostName), At: at,
		Success: ev.String(normalize.FieldOutcome) != "failure"}
	if src, err := netip.ParseAddr(ev.String(normalize.FieldSourceIP)); err == nil {
		out.Source = src.Unmap()
	}
	out.Login = slices.Contains(ev.Categories(), "authentication")
	switch ev.String(normalize.FieldAction) {
	case "sudo", "su":
		out.Privileged = true
		// A sudo that ran is an action, not a login; a denied one counts
		// as a failed authentication.
		out.Login = out.Login && !out.Success
	}
	if ev.String("event.code") == "4672" {
		out.Privileged, out.Login = true, false
	}
	if !out.Login && !out.Privileged {
		return Event{}, false
	}
	return out, true
}
