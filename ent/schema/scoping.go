package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/opsward/opsward"
	gen "github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/intercept"
	"github.com/opsward/opsward/ent/privacy"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/tenants/scope"
)

// The first layer of tenant isolation. Every query of a tenant-owned type
// is limited to the tenants the actor in the context reaches (its acting
// tenant and everything below it); a query with no actor fails. The second
// layer, row-level security on Postgres, applies the same rule inside the
// database (migrations/postgres/00003_row_level_security.sql).

// errNoActor is returned by a query that has no actor in its context.
var errNoActor = opsward.Errorf(opsward.EUNAUTHORIZED, "no tenant in context: the query was refused")

// subtreeP limits a selector's column col to tenants whose path starts with
// path.
func subtreeP(col, path string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		t := sql.Table("tenants").As("scope_t")
		s.Where(sql.In(s.C(col), sql.Select(t.C("id")).From(t).Where(sql.HasPrefix(t.C("path"), path))))
	}
}

// tenantScope is the query interceptor of every TenantMixin type.
func tenantScope() ent.Interceptor {
	return intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
		a, ok := scope.FromContext(ctx)
		switch {
		case !ok:
			return errNoActor
		case a.IsPrivileged():
			return nil
		case a.TenantPath == "":
			return errNoActor
		}
		q.WhereP(subtreeP("tenant_id", a.TenantPath))
		return nil
	})
}

// wherer is a mutation that can be narrowed by a predicate (updates and
// deletes).
type wherer interface {
	WhereP(...func(*sql.Selector))
}

// tenantMutationScope keeps writes inside the actor's subtree: updates and
// deletes only touch rows in reach, and a new row must name a tenant in
// reach. It denies or skips, never allows outright, so that a type's own
// rules (append-only) still apply after it.
func tenantMutationScope() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		a, ok := scope.FromContext(ctx)
		switch {
		case !ok || (!a.IsPrivileged() && a.TenantPath == ""):
			return privacy.Denyf("%v", errNoActor)
		case a.IsPrivileged():
			return privacy.Skip
		}
		if m.Op().Is(ent.OpCreate) {
			v, ok := m.Field("tenant_id")
			id, _ := v.(string)
			if !ok || id == "" {
				return privacy.Denyf("a new row must name its tenant")
			}
			if !a.Reaches(pathOf(ctx, m, id)) {
				return privacy.Denyf("tenant %s is outside the actor's reach", id)
			}
			return privacy.Skip
		}
		if emptyUpdate(m) {
			return privacy.Denyf("nothing to update")
		}
		w, ok := m.(wherer)
		if !ok {
			return privacy.Denyf("mutation %T cannot be scoped", m)
		}
		w.WhereP(subtreeP("tenant_id", a.TenantPath))
		return privacy.Skip
	})
}

// emptyUpdate reports an update-one that sets nothing. ent skips the
// UPDATE statement (and with it the tenant predicate) for such a mutation
// and reads the row back by id alone, so it must not run outside the
// privileged path.
func emptyUpdate(m ent.Mutation) bool {
	return m.Op().Is(ent.OpUpdateOne) && len(m.Fields()) == 0 && len(m.ClearedFields()) == 0 &&
		len(m.AddedFields()) == 0 && len(m.AddedEdges()) == 0 && len(m.RemovedEdges()) == 0 && len(m.ClearedEdges()) == 0
}

// appendOnly refuses every update of a type whose rows never change (the
// audit log); deletion stays possible on the privileged path (purge).
func appendOnly() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		if m.Op().Is(ent.OpUpdate | ent.OpUpdateOne) {
			return privacy.Denyf("%s entries are append-only", m.Type())
		}
		if m.Op().Is(ent.OpDelete|ent.OpDeleteOne) && scope.PrivilegedReason(ctx) == "" {
			return privacy.Denyf("%s entries are deleted only by the purge of closed tenants", m.Type())
		}
		return privacy.Skip
	})
}

// pathOf reads a tenant's path with a privileged lookup: the check itself
// must see the tenant to decide whether the actor reaches it.
func pathOf(ctx context.Context, m ent.Mutation, tenantID string) string {
	c, ok := m.(interface{ Client() *gen.Client })
	if !ok {
		return ""
	}
	t, err := c.Client().Tenant.Query().
		Where(tenant.ID(tenantID)).
		Select(tenant.FieldPath).
		Only(scope.Privileged(ctx, "tenant reach check"))
	if err != nil {
		return ""
	}
	return t.Path
}

// tenantTreeScope limits tenant queries to the actor's subtree: a customer
// never sees its parent or its siblings.
func tenantTreeScope() ent.Interceptor {
	return intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
		a, ok := scope.FromContext(ctx)
		switch {
		case !ok:
			return errNoActor
		case a.IsPrivileged():
			return nil
		case a.TenantPath == "":
			return errNoActor
		}
		q.WhereP(func(s *sql.Selector) { s.Where(sql.HasPrefix(s.C("path"), a.TenantPath)) })
		return nil
	})
}

// tenantTreeMutationScope: a new tenant goes below a tenant in reach (a
// root tenant only through the privileged path); updates and deletes only
// touch the subtree.
func tenantTreeMutationScope() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		a, ok := scope.FromContext(ctx)
		switch {
		case !ok || (!a.IsPrivileged() && a.TenantPath == ""):
			return privacy.Denyf("%v", errNoActor)
		case a.IsPrivileged():
			return privacy.Skip
		}
		if m.Op().Is(ent.OpCreate) {
			v, _ := m.Field("path")
			if p, _ := v.(string); p == "" || !a.Reaches(p) || p == a.TenantPath {
				return privacy.Denyf("a new tenant must go below a tenant in the actor's reach")
			}
			return privacy.Skip
		}
		if emptyUpdate(m) {
			return privacy.Denyf("nothing to update")
		}
		w, ok := m.(wherer)
		if !ok {
			return privacy.Denyf("mutation %T cannot be scoped", m)
		}
		w.WhereP(func(s *sql.Selector) { s.Where(sql.HasPrefix(s.C("path"), a.TenantPath)) })
		return privacy.Skip
	})
}

// userScope shows a user to themself and to actors who reach a tenant the
// user is a member of.
func userScope() ent.Interceptor {
	return intercept.TraverseFunc(func(ctx context.Context, q intercept.Query) error {
		a, ok := scope.FromContext(ctx)
		switch {
		case !ok:
			return errNoActor
		case a.IsPrivileged():
			return nil
		case a.TenantPath == "":
			return errNoActor
		}
		self := a.UserID()
		q.WhereP(func(s *sql.Selector) {
			m := sql.Table("memberships").As("scope_m")
			t := sql.Table("tenants").As("scope_t")
			member := sql.In(s.C("id"),
				sql.Select(m.C("user_id")).From(m).Join(t).On(m.C("tenant_id"), t.C("id")).
					Where(sql.HasPrefix(t.C("path"), a.TenantPath)))
			if self != "" {
				s.Where(sql.Or(sql.EQ(s.C("id"), self), member))
				return
			}
			s.Where(member)
		})
		return nil
	})
}

// userMutationScope: users are created and changed through the tenants
// service's privileged paths (invitations, password changes), or by the
// user themself.
func userMutationScope() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		a, ok := scope.FromContext(ctx)
		if ok && a.IsPrivileged() {
			return privacy.Allow
		}
		if ok && a.UserID() != "" && m.Op().Is(ent.OpUpdateOne) && !emptyUpdate(m) {
			if w, ok := m.(wherer); ok {
				w.WhereP(func(s *sql.Selector) { s.Where(sql.EQ(s.C("id"), a.UserID())) })
				return privacy.Allow
			}
		}
		return privacy.Denyf("users change only through the tenants service")
	})
}
