package tenants

import (
	"context"

	"github.com/opsward/opsward/tenants/scope"
)

// Actor is who is acting and on which tenant; see package scope.
type Actor = scope.Actor

// Actor kinds.
const (
	ActorUser   = scope.ActorUser
	ActorAPIKey = scope.ActorAPIKey
	ActorSystem = scope.ActorSystem
)

// NewContext returns ctx carrying a.
func NewContext(ctx context.Context, a *Actor) context.Context { return scope.NewContext(ctx, a) }

// FromContext returns the actor in ctx, if any.
func FromContext(ctx context.Context) (*Actor, bool) { return scope.FromContext(ctx) }

// Require returns the actor in ctx, or an unauthenticated error.
func Require(ctx context.Context) (*Actor, error) { return scope.Require(ctx) }

// Privileged returns a context for deliberate cross-tenant work; see
// scope.Privileged. Every call site is a place to review.
func Privileged(ctx context.Context, reason string) context.Context {
	return scope.Privileged(ctx, reason)
}
