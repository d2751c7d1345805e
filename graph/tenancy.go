package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/apikey"
	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/graph/generated"
	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/tenants"
)

// Directives enforces @can and @authenticated: authorization is decided
// by tenants.Authorize, the one place for it.
func Directives() generated.DirectiveRoot {
	return generated.DirectiveRoot{
		Authenticated: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if _, err := tenants.Require(ctx); err != nil {
				return nil, err
			}
			return next(ctx)
		},
		Can: func(ctx context.Context, _ any, next graphql.Resolver, perm string) (any, error) {
			if err := tenants.Authorize(ctx, tenants.Permission(perm)); err != nil {
				return nil, err
			}
			return next(ctx)
		},
	}
}

// userErrors splits a service error: mistakes a user can fix (invalid
// input, a conflict, a limit) go into userErrors beside the payload;
// anything else stays an error. prefix is the input argument's name.
//
// names maps the domain's name of a field to the input's, where they
// differ (the domain's interval is the input's intervalSeconds), so that
// a path uses the input's own names.
func userErrors(err error, prefix string, names ...map[string]string) ([]*model.UserError, error) {
	if err == nil {
		return []*model.UserError{}, nil
	}
	code := opsward.ErrorCode(err)
	switch code {
	case opsward.EINVALID, opsward.ECONFLICT, opsward.ELIMIT:
	default:
		return []*model.UserError{}, err
	}
	field := []string{}
	if f := opsward.ErrorField(err); f != "" {
		if prefix != "" {
			field = append(field, prefix)
		}
		for _, seg := range strings.Split(f, ".") {
			for _, m := range names {
				if n, ok := m[seg]; ok {
					seg = n
				}
			}
			field = append(field, seg)
		}
	}
	return []*model.UserError{{Field: field, Message: opsward.ErrorMessage(err), Code: code}}, nil
}

func authPayload(t *tenants.Tokens, err error) (*model.AuthPayload, error) {
	ue, err := userErrors(err, "input")
	if t == nil {
		return &model.AuthPayload{UserErrors: ue}, err
	}
	return &model.AuthPayload{UserErrors: ue, Tokens: &model.AuthTokens{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType,
		ExpiresAt: t.ExpiresAt, TenantID: t.TenantID, SessionID: t.SessionID,
	}}, nil
}

func (r *mutationResolver) setStatus(ctx context.Context, id string, st tenant.Status) (*model.TenantPayload, error) {
	t, err := r.Tenancy.SetTenantStatus(ctx, id, st)
	ue, err := userErrors(err, "")
	return &model.TenantPayload{Tenant: t, UserErrors: ue}, err
}

func (r *queryResolver) viewer(ctx context.Context) (*model.Viewer, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return nil, err
	}
	t, err := r.Client.Tenant.Get(ctx, a.TenantID)
	if err != nil {
		return nil, mapEntError(err)
	}
	v := &model.Viewer{ActingTenant: t, Roles: a.Roles, Scopes: a.Scopes, Memberships: []*ent.Membership{}}
	if v.Roles == nil {
		v.Roles = []opsward.Role{}
	}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	for _, p := range tenants.Permissions() {
		if p.Allows(a) {
			v.Permissions = append(v.Permissions, string(p))
		}
	}
	switch a.Kind {
	case tenants.ActorUser:
		if v.User, err = r.Client.User.Get(ctx, a.ID); err != nil {
			return nil, mapEntError(err)
		}
		// A user's own memberships, also in tenants outside the acting
		// tenant's reach: the privileged path, narrowed to this user.
		// Their tenants and the user come with them on the same path: a
		// tenant above the acting one is out of its reach, but the user
		// may see where it is a member.
		ms, err := r.Client.Membership.Query().Where(membership.UserID(a.ID)).WithTenant().WithUser().
			All(tenants.Privileged(ctx, "viewer memberships"))
		if err != nil {
			return nil, mapEntError(err)
		}
		v.Memberships = ms
	case tenants.ActorAPIKey:
		if v.APIKey, err = r.Client.APIKey.Query().Where(apikey.ID(a.ID)).Only(ctx); err != nil {
			return nil, mapEntError(err)
		}
	}
	return v, nil
}

// checkPage refuses pages larger than MaxPage, and gives a connection
// asked for with neither first nor last a page of MaxPage (what the cost
// limit prices it at), so that no request reads a whole table: the first
// it returns is the one to read with.
func checkPage(first, last *int) (*int, error) {
	for name, v := range map[string]*int{"first": first, "last": last} {
		if v != nil && (*v < 0 || *v > MaxPage) {
			return nil, opsward.FieldErrorf(name, "%s must be between 0 and %d, got %d", name, MaxPage, *v)
		}
	}
	if first == nil && last == nil {
		n := MaxPage
		first = &n
	}
	return first, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(i *int) int {
	if i == nil {
		return 0
	}
	return *i
}

type requestKey struct{}

// WithRequest records the caller's address and agent for resolvers that
// act before there is an actor (login).
func WithRequest(ctx context.Context, r tenants.Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestFrom(ctx context.Context) tenants.Request {
	r, _ := ctx.Value(requestKey{}).(tenants.Request)
	return r
}

// deadJobsAction runs a dead-letter operation on one tenant and audits it
// in that tenant's log. The tenant must be in the actor's reach.
func (r *mutationResolver) deadJobsAction(ctx context.Context, action, tenantID string, fn func() (int, error)) (*model.DeadJobsPayload, error) {
	if _, err := r.Tenancy.Tenant(ctx, tenantID); err != nil {
		return nil, err
	}
	n, err := fn()
	ue, err := userErrors(err, "")
	if err != nil || len(ue) > 0 {
		return &model.DeadJobsPayload{UserErrors: ue}, err
	}
	if err := r.Tenancy.Audit(ctx, nil, tenants.AuditRecord{TenantID: tenantID, Action: action, Detail: fmt.Sprintf("jobs=%d", n)}); err != nil {
		return nil, err
	}
	return &model.DeadJobsPayload{Count: n, UserErrors: ue}, nil
}
