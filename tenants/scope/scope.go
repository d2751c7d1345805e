// Package scope is the actor that travels in every request's context: who
// acts, on which tenant, with which role or scopes. It is a leaf package so
// that the storage layer (ent/schema) can read it without importing the
// tenants service; use it through the aliases in package tenants.
//
// It must never offer a way to drop the tenant scope other than Privileged.
package scope

import (
	"context"
	"strings"

	"github.com/opsward/opsward"
)

// Actor kinds.
const (
	ActorUser   = "user"
	ActorAPIKey = "api_key"
	ActorSystem = "system"
)

// Actor is who is acting and on which tenant. It travels in the context;
// the storage layer reads it to scope every query.
type Actor struct {
	Kind string // ActorUser, ActorAPIKey or ActorSystem
	ID   string // the user's or the key's id

	// TenantID is the acting tenant; TenantPath is its path in the tree
	// ("/ten_root/ten_customer/"). The actor reaches this tenant and every
	// tenant below it, nothing else.
	TenantID   string
	TenantPath string

	// Roles are the user's roles in the acting tenant: those of the
	// memberships on it and on its ancestors. Empty for API keys.
	Roles []opsward.Role
	// Provider is true when the acting tenant is the MSP itself (the root).
	Provider bool
	// Scopes are an API key's scopes. Nil for users.
	Scopes []string

	SessionID string
	IP        string
	UserAgent string

	// privileged marks the explicit cross-tenant path; see Privileged.
	privileged string
}

type actorKey struct{}

// UserID is the acting user's id, or "" for keys and the system.
func (a *Actor) UserID() string {
	if a.Kind == ActorUser {
		return a.ID
	}
	return ""
}

// NewContext returns ctx carrying a.
func NewContext(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// FromContext returns the actor in ctx, if any.
func FromContext(ctx context.Context) (*Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(*Actor)
	return a, ok && a != nil
}

// Require returns the actor in ctx, or an unauthenticated error.
func Require(ctx context.Context) (*Actor, error) {
	a, ok := FromContext(ctx)
	if !ok {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "authentication required: send a bearer token or an API key")
	}
	return a, nil
}

// Reaches reports whether the actor may see tenant path p: p is the acting
// tenant or below it.
func (a *Actor) Reaches(path string) bool {
	return a.privileged != "" || (a.TenantPath != "" && strings.HasPrefix(path, a.TenantPath))
}

// IsPrivileged reports whether the actor crosses tenants on purpose.
func (a *Actor) IsPrivileged() bool { return a.privileged != "" }

// Privileged returns a context for cross-tenant work (schedulers, purges,
// MSP-wide maintenance). It is the only way to act with no tenant scope;
// reason is recorded in the actor and shows in logs and audit entries, so
// every use is easy to find in review.
func Privileged(ctx context.Context, reason string) context.Context {
	if reason == "" {
		reason = "unspecified"
	}
	return NewContext(ctx, &Actor{Kind: ActorSystem, ID: "system", privileged: reason})
}

// PrivilegedReason returns why the actor in ctx is privileged, or "".
func PrivilegedReason(ctx context.Context) string {
	if a, ok := FromContext(ctx); ok {
		return a.privileged
	}
	return ""
}
