package tenants

import (
	"context"
	"slices"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants/authn"
)

// Permission is what an operation needs. Every GraphQL field that needs
// more than a signed-in actor names one with @can, and services check the
// same table through Authorize: authorization is decided here alone.
type Permission string

const (
	PermTenantRead    Permission = "tenant:read"    // the acting tenant and its subtree, members, users
	PermTenantWrite   Permission = "tenant:write"   // create, update, suspend and reactivate tenants below
	PermTenantClose   Permission = "tenant:close"   // close a tenant
	PermMembersWrite  Permission = "members:write"  // invite, change and remove memberships
	PermAPIKeysWrite  Permission = "apikeys:write"  // create and revoke API keys
	PermAuditRead     Permission = "audit:read"     // read the audit log
	PermBillingRead   Permission = "billing:read"   // plans, usage, invoices
	PermBillingWrite  Permission = "billing:write"  // change plans
	PermNOCRead       Permission = "noc:read"       // monitors, results, incidents
	PermNOCWrite      Permission = "noc:write"      // change monitors, work incidents
	PermSOCRead       Permission = "soc:read"       // events, alerts, cases
	PermSOCWrite      Permission = "soc:write"      // change rules, work alerts and cases
	PermEventsIngest  Permission = "events:ingest"  // send security events
	PermPlatformAdmin Permission = "platform:admin" // MSP-wide operations: job queues, dead letters
	// Compliance: frameworks, controls, tests and reports (read); the
	// Statement of Applicability, exceptions, attestations, test runs and
	// report generation (write).
	PermComplianceRead  Permission = "compliance:read"
	PermComplianceWrite Permission = "compliance:write"
)

// grant says which roles and which API key scope give a permission, and
// whether the acting tenant must be the provider.
type grant struct {
	roles    []opsward.Role
	scope    authn.Scope // "" : no API key may
	provider bool
}

var (
	allRoles  = []opsward.Role{opsward.RoleOwner, opsward.RoleAdmin, opsward.RoleAnalyst, opsward.RoleViewer, opsward.RoleBilling}
	opsRead   = []opsward.Role{opsward.RoleOwner, opsward.RoleAdmin, opsward.RoleAnalyst, opsward.RoleViewer}
	opsWrite  = []opsward.Role{opsward.RoleOwner, opsward.RoleAdmin, opsward.RoleAnalyst}
	admins    = []opsward.Role{opsward.RoleOwner, opsward.RoleAdmin}
	owners    = []opsward.Role{opsward.RoleOwner}
	billingRW = []opsward.Role{opsward.RoleOwner, opsward.RoleAdmin, opsward.RoleBilling}
)

var grants = map[Permission]grant{
	PermTenantRead:      {roles: allRoles, scope: "*"},
	PermTenantWrite:     {roles: admins, scope: authn.ScopeAdmin},
	PermTenantClose:     {roles: owners},
	PermMembersWrite:    {roles: admins, scope: authn.ScopeAdmin},
	PermAPIKeysWrite:    {roles: admins, scope: authn.ScopeAdmin},
	PermAuditRead:       {roles: admins, scope: authn.ScopeAdmin},
	PermBillingRead:     {roles: billingRW, scope: authn.ScopeBillingRead},
	PermBillingWrite:    {roles: []opsward.Role{opsward.RoleOwner, opsward.RoleBilling}},
	PermNOCRead:         {roles: opsRead, scope: authn.ScopeNOCRead},
	PermNOCWrite:        {roles: opsWrite, scope: authn.ScopeNOCWrite},
	PermSOCRead:         {roles: opsRead, scope: authn.ScopeSOCRead},
	PermSOCWrite:        {roles: opsWrite, scope: authn.ScopeSOCWrite},
	PermEventsIngest:    {roles: opsWrite, scope: authn.ScopeEventsIngest},
	PermPlatformAdmin:   {roles: admins, scope: authn.ScopeAdmin, provider: true},
	PermComplianceRead:  {roles: opsRead, scope: authn.ScopeAdmin},
	PermComplianceWrite: {roles: admins, scope: authn.ScopeAdmin},
}

// Permissions lists every permission, for documentation and tests.
func Permissions() []Permission {
	out := make([]Permission, 0, len(grants))
	for p := range grants {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Allows reports whether the actor holds p.
func (p Permission) Allows(a *Actor) bool {
	if a == nil {
		return false
	}
	if a.IsPrivileged() {
		return true
	}
	g, ok := grants[p]
	if !ok || (g.provider && !a.Provider) {
		return false
	}
	switch a.Kind {
	case ActorUser:
		for _, r := range a.Roles {
			if slices.Contains(g.roles, r) {
				return true
			}
		}
	case ActorAPIKey:
		if g.scope == "*" {
			return len(a.Scopes) > 0
		}
		if g.scope != "" {
			return authn.Scopes(toScopes(a.Scopes)).Allows(g.scope)
		}
	}
	return false
}

func toScopes(ss []string) []authn.Scope {
	out := make([]authn.Scope, len(ss))
	for i, s := range ss {
		out[i] = authn.Scope(s)
	}
	return out
}

// Authorize returns nil when the actor in ctx holds p, an unauthenticated
// error when there is no actor, and a forbidden error naming p otherwise.
func Authorize(ctx context.Context, p Permission) error {
	a, err := Require(ctx)
	if err != nil {
		return err
	}
	if !p.Allows(a) {
		return opsward.Errorf(opsward.EFORBIDDEN, "this needs the %s permission, which your role or API key scopes do not grant", p)
	}
	return nil
}
