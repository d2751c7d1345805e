package tenants_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/apikey"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/invitation"
	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/ent/refreshtoken"
	"github.com/opsward/opsward/ent/session"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/ent/user"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// MSP staff act on the customers below them and nowhere else; a customer
// admin sees neither its parent nor its siblings.
func TestProviderStaffReachTheirSubtreeOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		s := w.svc

		// The provider owner acts on customer A below it.
		org, err := s.CreateTenant(w.ctxP, tenants.TenantInput{ParentID: w.a.ID, Slug: "acme-lyon", Name: "Acme Lyon"})
		if err != nil {
			t.Fatalf("provider owner creates an organization under a customer: %v", err)
		}
		if !strings.HasPrefix(org.Path, w.a.Path) || org.Kind != tenant.KindOrganization {
			t.Fatalf("organization path %s kind %s, want under %s", org.Path, org.Kind, w.a.Path)
		}
		if _, err := s.InviteUser(w.ctxP, w.a.ID, "analyst@acme.example", opsward.RoleAnalyst); err != nil {
			t.Fatalf("provider owner invites to a customer: %v", err)
		}
		if _, err := s.CreateAPIKey(w.ctxP, w.a.ID, "msp tooling", []string{"noc:read"}, nil); err != nil {
			t.Fatalf("provider owner creates a key for a customer: %v", err)
		}
		q, err := s.AuditQuery(w.ctxP, tenants.AuditFilter{TenantID: w.a.ID})
		if err != nil {
			t.Fatal(err)
		}
		entries, err := q.All(w.ctxP)
		if err != nil || len(entries) == 0 {
			t.Fatalf("provider owner reads a customer's audit log: %d entries, %v", len(entries), err)
		}
		for _, e := range entries {
			if e.TenantID != w.a.ID {
				t.Fatalf("audit query for %s returned an entry of %s", w.a.ID, e.TenantID)
			}
		}
		// Acting on the customer through the header-like tenant choice.
		ctxPasA := w.login(t, w.pOwner, w.a.ID)
		if a, _ := tenants.FromContext(ctxPasA); a.TenantID != w.a.ID || !slices.Contains(a.Roles, opsward.RoleOwner) {
			t.Fatalf("provider owner acting on A: %+v", a)
		}

		// ... and is refused in the other provider's tree.
		if _, err := s.Tenant(w.ctxP, w.q.ID); err == nil {
			t.Fatal("provider owner reads another provider")
		}
		_, err = s.CreateTenant(w.ctxP, tenants.TenantInput{ParentID: w.q.ID, Slug: "intruder", Name: "Intruder"})
		wantCode(t, "create under another provider", err, opsward.EINVALID)
		_, err = s.InviteUser(w.ctxP, w.q.ID, "spy@example.com", opsward.RoleAdmin)
		wantCode(t, "invite into another provider", err, opsward.EINVALID)
		_, err = s.CreateAPIKey(w.ctxP, w.q.ID, "spy", []string{"admin"}, nil)
		wantCode(t, "key for another provider", err, opsward.EINVALID)
		if q, err := s.AuditQuery(w.ctxP, tenants.AuditFilter{TenantID: w.q.ID}); err == nil {
			if n, err := q.Count(w.ctxP); err != nil || n != 0 {
				t.Fatalf("provider reads another provider's audit log: %d entries, %v", n, err)
			}
		}
		_, err = s.SetTenantStatus(w.ctxP, w.q.ID, tenant.StatusSuspended)
		wantHidden(t, "suspend another provider", err)
		_, err = s.Login(context.Background(), tenants.LoginInput{Email: w.pOwner.email, Password: w.pOwner.password, TenantID: w.q.ID})
		wantCode(t, "provider owner logs in acting on another provider", err, opsward.EFORBIDDEN)
		// The other provider's owner cannot reach P's customers either.
		_, err = s.Tenant(w.ctxQ, w.a.ID)
		wantHidden(t, "other provider reads customer A", err)

		// A customer admin: its own tenant and below, nothing above or beside.
		for _, id := range []string{w.p.ID, w.b.ID, w.q.ID} {
			_, err := s.Tenant(w.ctxA, id)
			wantHidden(t, "customer admin reads "+id, err)
			_, err = w.client.Noder(w.ctxA, id, ent.WithFixedNodeType(tenant.Table))
			wantHidden(t, "node lookup of "+id, err)
		}
		bMember, err := w.client.Membership.Query().Where(membership.UserID(w.bAdmin.id)).FirstID(w.privileged())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []struct{ id, table string }{
			{w.bAdmin.id, user.Table}, {w.pOwner.id, user.Table}, {bMember, membership.Table}, {w.keyB.ID, apikey.Table},
		} {
			_, err := w.client.Noder(w.ctxA, n.id, ent.WithFixedNodeType(n.table))
			wantHidden(t, "node lookup of "+n.table+" "+n.id, err)
		}
		if _, err := s.Tenant(w.ctxA, w.orgA.ID); err != nil {
			t.Fatalf("customer admin reads its organization: %v", err)
		}
		if _, err := w.client.Noder(w.ctxA, w.a.ID, ent.WithFixedNodeType(tenant.Table)); err != nil {
			t.Fatalf("node lookup of its own tenant: %v", err)
		}
		visible, err := w.client.Tenant.Query().All(w.ctxA)
		if err != nil {
			t.Fatal(err)
		}
		got := ids(visible, func(t *ent.Tenant) string { return t.ID })
		slices.Sort(got)
		want := []string{w.a.ID, w.orgA.ID, org.ID}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("customer admin lists tenants %v, want %v (A and below)", got, want)
		}
		ms, err := w.client.Membership.Query().All(w.ctxA)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.TenantID != w.a.ID && m.TenantID != w.orgA.ID && m.TenantID != org.ID {
				t.Fatalf("customer admin sees membership %s of tenant %s", m.ID, m.TenantID)
			}
		}
		us, err := w.client.User.Query().All(w.ctxA)
		if err != nil {
			t.Fatal(err)
		}
		seen := ids(us, func(u *ent.User) string { return u.ID })
		for _, other := range []person{w.pOwner, w.bAdmin, w.qOwner} {
			if slices.Contains(seen, other.id) {
				t.Fatalf("customer admin sees user %s (%s) outside its tenant", other.id, other.email)
			}
		}
		if !slices.Contains(seen, w.aViewer.id) {
			t.Fatalf("customer admin does not see its own viewer; sees %v", seen)
		}
		for _, id := range []string{w.p.ID, w.b.ID} {
			n, err := w.client.AuditEntry.Query().Where(auditentry.TenantID(id)).Count(w.ctxA)
			if err != nil || n != 0 {
				t.Fatalf("customer admin sees %d audit entries of %s (%v)", n, id, err)
			}
			if q, err := s.AuditQuery(w.ctxA, tenants.AuditFilter{TenantID: id}); err == nil {
				if n, err := q.Count(w.ctxA); err != nil || n != 0 {
					t.Fatalf("customer admin audit query of %s: %d entries (%v)", id, n, err)
				}
			}
		}
		// A customer admin cannot act on its sibling or create above itself.
		_, err = s.InviteUser(w.ctxA, w.b.ID, "x@example.com", opsward.RoleViewer)
		wantCode(t, "customer admin invites into a sibling", err, opsward.EINVALID)
		_, err = s.CreateAPIKey(w.ctxA, w.b.ID, "x", []string{"noc:read"}, nil)
		wantCode(t, "customer admin creates a key for a sibling", err, opsward.EINVALID)
		_, err = s.CreateTenant(w.ctxA, tenants.TenantInput{ParentID: w.p.ID, Slug: "sneaky", Name: "Sneaky"})
		wantCode(t, "customer admin creates a customer under the provider", err, opsward.EINVALID)
		_, err = s.UpdateTenant(w.ctxA, w.b.ID, tenants.TenantUpdate{Name: ptr("Owned")})
		wantHidden(t, "customer admin renames a sibling", err)
		_, err = s.Login(context.Background(), tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password, TenantID: w.p.ID})
		wantCode(t, "customer admin acts on its parent", err, opsward.EFORBIDDEN)
		_, err = s.Login(context.Background(), tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password, TenantID: w.b.ID})
		wantCode(t, "customer admin acts on a sibling", err, opsward.EFORBIDDEN)
		// Its API key cannot be pointed at a sibling either.
		_, err = s.Authenticate(context.Background(), "Bearer "+w.keyA.Secret, w.b.ID, tenants.Request{})
		wantCode(t, "customer key acting on a sibling", err, opsward.EFORBIDDEN)
	})
}

func ptr[T any](v T) *T { return &v }

// entity is one tenant-owned type, reached through the ent client.
type entity struct {
	name string
	// idOf returns the id of one row of tenant id (privileged read).
	idOf   func(ctx context.Context, c *ent.Client, tenantID string) (string, error)
	count  func(ctx context.Context, c *ent.Client, tenantID string) (int, error)
	get    func(ctx context.Context, c *ent.Client, id string) error
	update func(ctx context.Context, c *ent.Client, id string) error
	delete func(ctx context.Context, c *ent.Client, id string) error
	// bulk updates and deletes by tenant, returning rows touched.
	bulkUpdate func(ctx context.Context, c *ent.Client, tenantID string) (int, error)
	bulkDelete func(ctx context.Context, c *ent.Client, tenantID string) (int, error)
	// note explains a known way the type has failed, printed with a failure.
	note string
}

func tenantEntities() []entity {
	return []entity{
		{
			name: "membership",
			idOf: func(ctx context.Context, c *ent.Client, tid string) (string, error) {
				return c.Membership.Query().Where(membership.TenantID(tid)).FirstID(ctx)
			},
			count: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Membership.Query().Where(membership.TenantID(tid)).Count(ctx)
			},
			get: func(ctx context.Context, c *ent.Client, id string) error {
				_, err := c.Membership.Get(ctx, id)
				return err
			},
			update: func(ctx context.Context, c *ent.Client, id string) error {
				return c.Membership.UpdateOneID(id).SetRole(opsward.RoleOwner).Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id string) error {
				return c.Membership.DeleteOneID(id).Exec(ctx)
			},
			bulkUpdate: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Membership.Update().Where(membership.TenantID(tid)).SetRole(opsward.RoleOwner).Save(ctx)
			},
			bulkDelete: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Membership.Delete().Where(membership.TenantID(tid)).Exec(ctx)
			},
		},
		{
			name: "invitation",
			idOf: func(ctx context.Context, c *ent.Client, tid string) (string, error) {
				return c.Invitation.Query().Where(invitation.TenantID(tid)).FirstID(ctx)
			},
			count: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Invitation.Query().Where(invitation.TenantID(tid)).Count(ctx)
			},
			get: func(ctx context.Context, c *ent.Client, id string) error {
				_, err := c.Invitation.Get(ctx, id)
				return err
			},
			update: func(ctx context.Context, c *ent.Client, id string) error {
				return c.Invitation.UpdateOneID(id).SetEmail("evil@example.com").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id string) error {
				return c.Invitation.DeleteOneID(id).Exec(ctx)
			},
			bulkUpdate: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Invitation.Update().Where(invitation.TenantID(tid)).SetEmail("evil@example.com").Save(ctx)
			},
			bulkDelete: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Invitation.Delete().Where(invitation.TenantID(tid)).Exec(ctx)
			},
		},
		{
			name: "api key",
			idOf: func(ctx context.Context, c *ent.Client, tid string) (string, error) {
				return c.APIKey.Query().Where(apikey.TenantID(tid)).FirstID(ctx)
			},
			count: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.APIKey.Query().Where(apikey.TenantID(tid)).Count(ctx)
			},
			get: func(ctx context.Context, c *ent.Client, id string) error { _, err := c.APIKey.Get(ctx, id); return err },
			update: func(ctx context.Context, c *ent.Client, id string) error {
				return c.APIKey.UpdateOneID(id).SetName("stolen").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id string) error { return c.APIKey.DeleteOneID(id).Exec(ctx) },
			bulkUpdate: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.APIKey.Update().Where(apikey.TenantID(tid)).SetName("stolen").Save(ctx)
			},
			bulkDelete: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.APIKey.Delete().Where(apikey.TenantID(tid)).Exec(ctx)
			},
		},
		{
			name: "session",
			idOf: func(ctx context.Context, c *ent.Client, tid string) (string, error) {
				return c.Session.Query().Where(session.TenantID(tid)).FirstID(ctx)
			},
			count: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Session.Query().Where(session.TenantID(tid)).Count(ctx)
			},
			get: func(ctx context.Context, c *ent.Client, id string) error {
				_, err := c.Session.Get(ctx, id)
				return err
			},
			update: func(ctx context.Context, c *ent.Client, id string) error {
				return c.Session.UpdateOneID(id).SetRevokedReason("x").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id string) error { return c.Session.DeleteOneID(id).Exec(ctx) },
			bulkUpdate: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Session.Update().Where(session.TenantID(tid)).SetRevokedReason("x").Save(ctx)
			},
			bulkDelete: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Session.Delete().Where(session.TenantID(tid)).Exec(ctx)
			},
		},
		{
			name: "refresh token",
			idOf: func(ctx context.Context, c *ent.Client, tid string) (string, error) {
				return c.RefreshToken.Query().Where(refreshtoken.TenantID(tid)).FirstID(ctx)
			},
			count: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.RefreshToken.Query().Where(refreshtoken.TenantID(tid)).Count(ctx)
			},
			get: func(ctx context.Context, c *ent.Client, id string) error {
				_, err := c.RefreshToken.Get(ctx, id)
				return err
			},
			update: func(ctx context.Context, c *ent.Client, id string) error {
				return c.RefreshToken.UpdateOneID(id).ClearUsedAt().Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id string) error {
				return c.RefreshToken.DeleteOneID(id).Exec(ctx)
			},
			bulkUpdate: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.RefreshToken.Update().Where(refreshtoken.TenantID(tid)).ClearUsedAt().Save(ctx)
			},
			bulkDelete: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.RefreshToken.Delete().Where(refreshtoken.TenantID(tid)).Exec(ctx)
			},
		},
		{
			name: "audit entry",
			note: "Every field of an audit entry is immutable, so ent's UpdateOne has nothing to set: it skips the UPDATE " +
				"(and the tenant predicate the privacy rule added to it) and reads the row back by id alone, " +
				"returning another tenant's entry; only Postgres row-level security stops it.",
			idOf: func(ctx context.Context, c *ent.Client, tid string) (string, error) {
				return c.AuditEntry.Query().Where(auditentry.TenantID(tid)).FirstID(ctx)
			},
			count: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.AuditEntry.Query().Where(auditentry.TenantID(tid)).Count(ctx)
			},
			get: func(ctx context.Context, c *ent.Client, id string) error {
				_, err := c.AuditEntry.Get(ctx, id)
				return err
			},
			update: func(ctx context.Context, c *ent.Client, id string) error {
				return c.AuditEntry.UpdateOneID(id).Exec(ctx) /* every field is immutable */
			},
			delete: func(ctx context.Context, c *ent.Client, id string) error {
				return c.AuditEntry.DeleteOneID(id).Exec(ctx)
			},
			bulkUpdate: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.AuditEntry.Update().Where(auditentry.TenantID(tid)).Save(ctx)
			},
			bulkDelete: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.AuditEntry.Delete().Where(auditentry.TenantID(tid)).Exec(ctx)
			},
		},
		{
			name: "tenant",
			idOf: func(ctx context.Context, c *ent.Client, tid string) (string, error) { return tid, nil },
			count: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Tenant.Query().Where(tenant.ID(tid)).Count(ctx)
			},
			get: func(ctx context.Context, c *ent.Client, id string) error { _, err := c.Tenant.Get(ctx, id); return err },
			update: func(ctx context.Context, c *ent.Client, id string) error {
				return c.Tenant.UpdateOneID(id).SetName("Owned").Exec(ctx)
			},
			delete: func(ctx context.Context, c *ent.Client, id string) error { return c.Tenant.DeleteOneID(id).Exec(ctx) },
			bulkUpdate: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Tenant.Update().Where(tenant.ID(tid)).SetName("Owned").Save(ctx)
			},
			bulkDelete: func(ctx context.Context, c *ent.Client, tid string) (int, error) {
				return c.Tenant.Delete().Where(tenant.ID(tid)).Exec(ctx)
			},
		},
	}
}

// For each tenant-owned type, customer A's user and API key cannot read,
// list, change or delete customer B's rows through the ent client, and a
// context with no actor is refused outright.
func TestDifferentTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		pctx := w.privileged()
		actors := map[string]context.Context{"user": w.ctxA, "api key": w.keyCtx(t, w.keyA)}
		for _, e := range tenantEntities() {
			idB, err := e.idOf(pctx, w.client, w.b.ID)
			if err != nil {
				t.Fatalf("%s: no row of B to attack: %v", e.name, err)
			}
			before, err := e.count(pctx, w.client, w.b.ID)
			if err != nil || before == 0 {
				t.Fatalf("%s: B has %d rows (%v)", e.name, before, err)
			}
			for who, ctx := range actors {
				what := e.name + " of B by A's " + who
				if n, err := e.count(ctx, w.client, w.b.ID); err != nil || n != 0 {
					t.Errorf("%s: list by tenant id sees %d rows (%v)", what, n, err)
				}
				if err := e.get(ctx, w.client, idB); err == nil {
					t.Errorf("%s: get by id succeeded", what)
				} else if !ent.IsNotFound(err) {
					t.Errorf("%s: get: %v, want not found", what, err)
				}
				if err := e.update(ctx, w.client, idB); err == nil {
					t.Errorf("%s: update by id succeeded and returned the row. %s", what, e.note)
				} else if !refusedAlike(ctx, w.client, e.update, idB, err) {
					t.Errorf("%s: update: %v, want not found or the refusal a missing id gets", what, err)
				}
				if err := e.delete(ctx, w.client, idB); err == nil {
					t.Errorf("%s: delete by id succeeded", what)
				} else if !refusedAlike(ctx, w.client, e.delete, idB, err) {
					t.Errorf("%s: delete: %v, want not found or the refusal a missing id gets", what, err)
				}
				if n, err := e.bulkUpdate(ctx, w.client, w.b.ID); n != 0 {
					t.Errorf("%s: bulk update touched %d rows (%v)", what, n, err)
				}
				if n, err := e.bulkDelete(ctx, w.client, w.b.ID); n != 0 {
					t.Errorf("%s: bulk delete removed %d rows (%v)", what, n, err)
				}
			}
			// No actor at all: refused, not empty.
			bg := context.Background()
			if _, err := e.count(bg, w.client, w.b.ID); err == nil {
				t.Errorf("%s: a query with no actor was not refused", e.name)
			}
			if err := e.get(bg, w.client, idB); err == nil {
				t.Errorf("%s: a get with no actor was not refused", e.name)
			}
			if err := e.update(bg, w.client, idB); err == nil {
				t.Errorf("%s: an update with no actor was not refused", e.name)
			}
			if err := e.delete(bg, w.client, idB); err == nil {
				t.Errorf("%s: a delete with no actor was not refused", e.name)
			}
			after, err := e.count(pctx, w.client, w.b.ID)
			if err != nil || after != before {
				t.Errorf("%s: B had %d rows, has %d after the attempts (%v)", e.name, before, after, err)
			}
			if err := e.get(pctx, w.client, idB); err != nil {
				t.Errorf("%s: B's row is gone after the attempts: %v", e.name, err)
			}
		}
		// Users: B's admin is invisible to A, and cannot be changed by A.
		if _, err := w.client.User.Get(w.ctxA, w.bAdmin.id); !ent.IsNotFound(err) {
			t.Errorf("user of B read by A: %v, want not found", err)
		}
		if err := w.client.User.UpdateOneID(w.bAdmin.id).SetName("Owned").Exec(w.ctxA); err == nil {
			t.Error("user of B renamed by A")
		}
		if err := w.client.User.DeleteOneID(w.bAdmin.id).Exec(w.ctxA); err == nil {
			t.Error("user of B deleted by A")
		}
		if n, err := w.client.User.Query().Where(user.Email(w.bAdmin.email)).Count(w.ctxA); err != nil || n != 0 {
			t.Errorf("user of B found by email by A: %d (%v)", n, err)
		}
		if _, err := w.client.User.Query().Count(context.Background()); err == nil {
			t.Error("a user query with no actor was not refused")
		}
		// A cannot create a row for B.
		if err := w.client.Membership.Create().SetTenantID(w.b.ID).SetUserID(w.aAdmin.id).SetRole(opsward.RoleOwner).Exec(w.ctxA); err == nil {
			t.Error("A created a membership in B")
		}
		// The service refuses with no actor too.
		_, err := w.svc.Tenant(context.Background(), w.b.ID)
		wantCode(t, "service read with no actor", err, opsward.EUNAUTHORIZED)
	})
}

// Row-level security stops a leak on its own: raw SQL through the
// application's pool, which skips ent's filter entirely, sees nothing of
// another tenant.
func TestRowLevelSecurityAlone(t *testing.T) {
	postgresOnly(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		pctx := w.privileged()
		db := w.app.DB
		// Rows of B in the tables the tenants service does not fill.
		if _, err := db.ExecContext(pctx, `INSERT INTO subscriptions (tenant_id, id, plan, status, created_at, updated_at)
			VALUES ($1, $2, 'essentials', 'active', now(), now())`, w.b.ID, opsward.NewID(opsward.PrefixSubscription)); err != nil {
			t.Fatalf("privileged insert of a subscription: %v", err)
		}
		if _, err := db.ExecContext(pctx, `INSERT INTO dispatch_outbox (id, tenant_id, kind, payload, created_at_ms)
			VALUES ($1, $2, 'check', '{}', 0)`, opsward.NewID(opsward.PrefixJob), w.b.ID); err != nil {
			t.Fatalf("privileged insert into the outbox: %v", err)
		}
		if _, err := db.ExecContext(pctx, `INSERT INTO check_results (tenant_id, monitor_id, checked_at, status)
			VALUES ($1, 'mon_b', now(), 'up')`, w.b.ID); err != nil {
			t.Fatalf("privileged insert of a check result: %v", err)
		}
		if _, err := db.ExecContext(pctx, `INSERT INTO check_rollups (tenant_id, monitor_id, bucket, bucket_start, updated_at)
			VALUES ($1, 'mon_b', 'hour', date_trunc('hour', now()), now())`, w.b.ID); err != nil {
			t.Fatalf("privileged insert of a rollup: %v", err)
		}
		// The NOC's and the SOC's tables, in the order their keys need.
		for _, q := range []string{
			`INSERT INTO assets (tenant_id, id, name, kind, created_at, updated_at) VALUES ($1, 'ast_b1', 'b1', 'host', now(), now())`,
			`INSERT INTO assets (tenant_id, id, name, kind, created_at, updated_at) VALUES ($1, 'ast_b2', 'b2', 'host', now(), now())`,
			`INSERT INTO asset_dependencies (tenant_id, id, child_id, parent_id, created_at) VALUES ($1, 'dep_b', 'ast_b1', 'ast_b2', now())`,
			`INSERT INTO monitors (tenant_id, id, asset_id, name, kind, settings, interval_seconds, timeout_ms, created_at, updated_at)
			 VALUES ($1, 'mon_b', 'ast_b1', 'm', 'tcp', 'sealed', 60, 1000, now(), now())`,
			`INSERT INTO incidents (tenant_id, id, title, severity, opened_at, created_at, updated_at) VALUES ($1, 'inc_b', 'i', 'low', now(), now(), now())`,
			`INSERT INTO incident_entries (tenant_id, id, incident_id, at, kind) VALUES ($1, 'itl_b', 'inc_b', now(), 'comment')`,
			`INSERT INTO maintenance_windows (tenant_id, id, name, created_at, updated_at) VALUES ($1, 'mnt_b', 'w', now(), now())`,
			`INSERT INTO escalation_policies (tenant_id, id, name, levels, created_at, updated_at) VALUES ($1, 'esc_b', 'p', '\x5b5d', now(), now())`,
			`INSERT INTO notification_channels (tenant_id, id, name, kind, config, created_at, updated_at) VALUES ($1, 'chn_b', 'c', 'webhook', '\x7b7d', now(), now())`,
			`INSERT INTO security_events (tenant_id, id, ts, received_at) VALUES ($1, 'evt_b', now(), now())`,
			`INSERT INTO log_sources (tenant_id, id, name, created_at, updated_at) VALUES ($1, 'lsr_b', 's', now(), now())`,
			`INSERT INTO detection_rules (tenant_id, id, rule_id, title, yaml, created_at, updated_at) VALUES ($1, 'rul_b', 'r', 't', 'y', now(), now())`,
			`INSERT INTO rule_overrides (tenant_id, id, rule_id, enabled, created_at, updated_at) VALUES ($1, 'rov_b', 'rul_b', false, now(), now())`,
			`INSERT INTO alerts (tenant_id, id, source, title, severity, dedup_key, first_seen, last_seen, created_at, updated_at)
			 VALUES ($1, 'alr_b', 'manual', 'a', 'low', 'k', now(), now(), now(), now())`,
			`INSERT INTO indicator_lists (tenant_id, id, name, created_at, updated_at) VALUES ($1, 'iol_b', 'l', now(), now())`,
			`INSERT INTO indicators (tenant_id, id, list_id, kind, value, created_at, updated_at) VALUES ($1, 'ioc_b', 'iol_b', 'ipv4', '192.0.2.1', now(), now())`,
			`INSERT INTO security_cases (tenant_id, id, title, severity, opened_at, created_at, updated_at) VALUES ($1, 'cas_b', 'c', 'low', now(), now(), now())`,
			`INSERT INTO case_entries (tenant_id, id, case_id, at, kind) VALUES ($1, 'cte_b', 'cas_b', now(), 'note')`,
			`INSERT INTO case_tasks (tenant_id, id, case_id, title, created_at, updated_at) VALUES ($1, 'tsk_b', 'cas_b', 't', now(), now())`,
			`INSERT INTO evidences (tenant_id, id, case_id, name, size, sha256, content, created_at) VALUES ($1, 'evd_b', 'cas_b', 'e', 0, '', '\x', now())`,
			`INSERT INTO playbooks (tenant_id, id, name, trigger, steps, created_at, updated_at) VALUES ($1, 'pbk_b', 'p', '\x7b7d', '\x5b5d', now(), now())`,
			`INSERT INTO playbook_runs (tenant_id, id, playbook_id, created_at, updated_at) VALUES ($1, 'pbr_b', 'pbk_b', now(), now())`,
			// Billing's tables.
			`INSERT INTO usage_events (tenant_id, meter, idempotency_key, quantity, occurred_at, received_at) VALUES ($1, 'events', 'k_b', 1, now(), now())`,
			`INSERT INTO price_versions (tenant_id, id, plan_id, version, name, doc, created_at) VALUES ($1, 'prv_b', 'essentials', 1, 'v', '{}', now())`,
			`INSERT INTO billing_accounts (tenant_id, provider_id, anchor, billing_interval, currency, period_start, created_at) VALUES ($1, $1, now(), 'month', 'usd', now(), now())`,
			`INSERT INTO subscription_phases (tenant_id, starts_at, version_id) VALUES ($1, now(), 'prv_b')`,
			`INSERT INTO invoices (tenant_id, id, provider_id, status, currency, period_start, period_end, subtotal, discount, tax, credit, total, lines, created_at)
			 VALUES ($1, 'ivc_b', $1, 'draft', 'usd', now(), now(), 0, 0, 0, 0, 0, '[]', now())`,
			`INSERT INTO credit_notes (tenant_id, id, invoice_id, amount, reason, created_at) VALUES ($1, 'crn_b', 'ivc_b', 1, 'r', now())`,
			`INSERT INTO invoice_numbers (tenant_id, last) VALUES ($1, 1)`,
			`INSERT INTO usage_warnings (tenant_id, period_start, meter, threshold, used, included, sent_at) VALUES ($1, now(), 'check_runs', 80, 8, 10, now())`,
			`INSERT INTO ingest_usage (tenant_id, day, events, bytes, updated_at) VALUES ($1, '20261203', 1, 1, now())`,
			`INSERT INTO ingest_requests (tenant_id, key, body_sha256, accepted, created_at) VALUES ($1, 'k', 'x', 1, now())`,
			// The portal's status pages.
			`INSERT INTO status_pages (tenant_id, id, slug, title, monitor_ids, created_at, updated_at) VALUES ($1, 'stp_b', 'b-status', 't', '[]', now(), now())`,
			// The portal's saved views.
			`INSERT INTO saved_views (tenant_id, id, user_id, scope, name, filters, created_at, updated_at) VALUES ($1, 'svw_b', 'usr_b', 'alerts', 'v', '{}', now(), now())`,
			// Remote probe locations, their agents and their checks.
			`INSERT INTO probe_locations (tenant_id, id, name, created_at, updated_at) VALUES ($1, 'loc_b', 'branch', now(), now())`,
			`INSERT INTO probe_agents (tenant_id, id, location_id, name, created_at, updated_at) VALUES ($1, 'agt_b', 'loc_b', 'a', now(), now())`,
			`INSERT INTO probe_checks (tenant_id, id, monitor_id, location_id, next_due_at) VALUES ($1, 'pck_b', 'mon_b', 'loc_b', now())`,
			// Stripe collection's tables.
			`INSERT INTO stripe_customers (tenant_id, state, created_at, updated_at) VALUES ($1, 'pending', now(), now())`,
			`INSERT INTO stripe_items (tenant_id, meter, price_id, item_id) VALUES ($1, 'base', 'price_b', 'si_b')`,
			`INSERT INTO stripe_usage_reports (tenant_id, idem_key, invoice_id, meter, quantity, at) VALUES ($1, 'k_b', 'ivc_b', 'check_runs', 1, now())`,
			`INSERT INTO stripe_events (id, type, tenant_id, received_at) VALUES ('evt_b', 'invoice.paid', $1, now())`,
			// Compliance's tables.
			`INSERT INTO compliance_controls (tenant_id, control_id, applicable, updated_at) VALUES ($1, 'CTL-GOV-01', true, now())`,
			`INSERT INTO compliance_exceptions (tenant_id, id, control_id, reason, expires_at, created_at) VALUES ($1, 'exc_b', 'CTL-GOV-01', 'r', now(), now())`,
			`INSERT INTO compliance_attestations (tenant_id, id, control_id, kind, name, attested_at, user_id, created_at) VALUES ($1, 'att_b', 'CTL-GOV-01', 'attestation', 'n', now(), 'usr_b', now())`,
			`INSERT INTO compliance_runs (tenant_id, id, test_id, control_id, period_from, period_to, ran_at, status, passed, failed, sha256, snapshot)
			 VALUES ($1, 'ctr_b', 'mfa-privileged', 'CTL-IAM-01', now(), now(), now(), 'passing', 1, 0, 'x', '{}')`,
			`INSERT INTO compliance_reports (tenant_id, id, framework, format, period_from, period_to, sha256, key_id, size, body, created_at)
			 VALUES ($1, 'rpt_b', 'soc2', 'json', now(), now(), 'x', 'k', 1, '\x7b7d', now())`,
			`INSERT INTO compliance_report_schedules (tenant_id, frameworks, channel_ids, updated_at) VALUES ($1, '["soc2"]', '[]', now())`,
			`INSERT INTO evidences (tenant_id, id, control_id, name, size, sha256, content, created_at) VALUES ($1, 'evd_bc', 'CTL-GOV-01', 'e', 0, '', '\x', now())`,
		} {
			if _, err := db.ExecContext(pctx, q, w.b.ID); err != nil {
				t.Fatalf("privileged insert %q: %v", q, err)
			}
		}
		// Every tenant-owned table, partitioned parents included; partitions
		// themselves are closed to the application (read through the parent).
		var tables []string
		rows, err := w.owner.Query(`SELECT c.relname FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
			WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
			ORDER BY c.relname`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			rows.Scan(&n)
			tables = append(tables, n)
		}
		rows.Close()
		if len(tables) < 8 {
			t.Fatalf("found only tenant-owned tables %v", tables)
		}
		count := func(ctx context.Context, q string, args ...any) int {
			t.Helper()
			var n int
			if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		noActor := context.Background()
		for _, tbl := range tables {
			q := "SELECT count(*) FROM " + tbl + " WHERE tenant_id = $1"
			if n := count(pctx, q, w.b.ID); n == 0 {
				t.Fatalf("%s: B has no rows to leak; the test would prove nothing", tbl)
			}
			if n := count(w.ctxA, q, w.b.ID); n != 0 {
				t.Errorf("%s: A's raw SQL sees %d rows of B", tbl, n)
			}
			if n := count(w.ctxA, "SELECT count(*) FROM "+tbl+" WHERE tenant_id NOT IN (SELECT id FROM tenants WHERE starts_with(path, $1))", w.a.Path); n != 0 {
				t.Errorf("%s: A's raw SQL sees %d rows outside its subtree", tbl, n)
			}
			if n := count(noActor, "SELECT count(*) FROM "+tbl); n != 0 {
				t.Errorf("%s: a statement with no actor sees %d rows", tbl, n)
			}
			if res, err := db.ExecContext(w.ctxA, "DELETE FROM "+tbl+" WHERE tenant_id = $1", w.b.ID); err == nil {
				if n, _ := res.RowsAffected(); n != 0 {
					t.Errorf("%s: A's raw DELETE removed %d rows of B", tbl, n)
				}
			}
			if n := count(pctx, q, w.b.ID); n == 0 {
				t.Errorf("%s: B's rows are gone", tbl)
			}
		}
		for _, tc := range []struct{ q, id string }{
			{"SELECT count(*) FROM tenants WHERE id = $1", w.b.ID},
			{"SELECT count(*) FROM tenants WHERE id = $1", w.p.ID},
			{"SELECT count(*) FROM tenants WHERE id = $1", w.q.ID},
			{"SELECT count(*) FROM users WHERE id = $1", w.bAdmin.id},
			{"SELECT count(*) FROM users WHERE id = $1", w.pOwner.id},
		} {
			if n := count(w.ctxA, tc.q, tc.id); n != 0 {
				t.Errorf("A's raw SQL %q for %s sees %d rows", tc.q, tc.id, n)
			}
			if n := count(pctx, tc.q, tc.id); n != 1 {
				t.Errorf("privileged %q for %s sees %d rows, want 1", tc.q, tc.id, n)
			}
		}
		if n := count(noActor, "SELECT count(*) FROM tenants"); n != 0 {
			t.Errorf("no actor sees %d tenants", n)
		}
		if n := count(noActor, "SELECT count(*) FROM users"); n != 0 {
			t.Errorf("no actor sees %d users", n)
		}
		if n := count(w.ctxA, "SELECT count(*) FROM memberships WHERE tenant_id = $1", w.a.ID); n == 0 {
			t.Error("A's raw SQL does not see its own memberships: the policy denies everything, which proves nothing")
		}
		// Writes for B as A fail the WITH CHECK, or touch nothing.
		_, err = db.ExecContext(w.ctxA, `INSERT INTO memberships (tenant_id, id, user_id, role, created_at, updated_at)
			VALUES ($1, $2, $3, 'owner', now(), now())`, w.b.ID, opsward.NewID(opsward.PrefixMembership), w.aAdmin.id)
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Errorf("A inserts a membership into B: %v, want a row-level security violation", err)
		}
		_, err = db.ExecContext(w.ctxA, `INSERT INTO api_keys (tenant_id, id, name, prefix, secret_hash, scopes, created_at, updated_at)
			VALUES ($1, $2, 'x', 'opw_xx', 'x', '[]', now(), now())`, w.b.ID, opsward.NewID(opsward.PrefixAPIKey))
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Errorf("A inserts an API key into B: %v, want a row-level security violation", err)
		}
		_, err = db.ExecContext(w.ctxA, `UPDATE memberships SET tenant_id = $1 WHERE tenant_id = $2`, w.b.ID, w.a.ID)
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Errorf("A moves its memberships into B: %v, want a row-level security violation", err)
		}
		res, err := db.ExecContext(w.ctxA, `UPDATE tenants SET name = 'Owned' WHERE id = $1`, w.b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("A renamed B with raw SQL (%d rows)", n)
		}
		_, err = db.ExecContext(w.ctxA, `INSERT INTO memberships (tenant_id, id, user_id, role, created_at, updated_at)
			VALUES ($1, $2, $3, 'viewer', now(), now())`, w.orgA.ID, opsward.NewID(opsward.PrefixMembership), w.bAdmin.id)
		if err != nil {
			t.Errorf("A inserts into its own subtree: %v (the check must not deny everything)", err)
		}
	})
}

// The audit chain records mutations and logins, verifies, and detects an
// edited entry and a deleted one.
func TestAuditChainDetectsTampering(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		// More entries in A's log: a rename and a revoked key.
		if _, err := w.svc.UpdateTenant(w.ctxA, w.a.ID, tenants.TenantUpdate{Name: ptr("Acme Industries")}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RevokeAPIKey(w.ctxA, w.keyA.ID); err != nil {
			t.Fatal(err)
		}
		pctx := w.privileged()
		entries, err := w.client.AuditEntry.Query().Where(auditentry.TenantID(w.a.ID)).Order(ent.Asc(auditentry.FieldSeq)).All(pctx)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		for _, want := range []string{"tenant.create", "member.invite", "member.accept", "auth.login", "apikey.create", "tenant.update", "apikey.revoke"} {
			if !slices.Contains(actions, want) {
				t.Errorf("A's audit log lacks %s; has %v", want, actions)
			}
		}
		for _, e := range entries {
			if e.Action == "tenant.update" && (e.ActorID != w.aAdmin.id || e.ActorType != tenants.ActorUser || e.ActorTenantID != w.a.ID) {
				t.Errorf("tenant.update entry names actor %s/%s@%s, want the admin", e.ActorType, e.ActorID, e.ActorTenantID)
			}
			if e.Action == "auth.login" && e.IP != "192.0.2.10" {
				t.Errorf("login entry IP %q", e.IP)
			}
		}
		problems, checked, err := w.svc.VerifyAudit(w.ctxA, w.a.ID)
		if err != nil || len(problems) != 0 || checked != int64(len(entries)) {
			t.Fatalf("clean chain: problems %v, checked %d of %d, %v", problems, checked, len(entries), err)
		}
		// Verification is refused outside reach and to a viewer.
		if problems, n, err := w.svc.VerifyAudit(w.ctxB, w.a.ID); err == nil && n != 0 {
			t.Fatalf("B verified A's log: %d entries, %v", n, problems)
		}
		_, _, err = w.svc.VerifyAudit(w.ctxAViewer, w.a.ID)
		wantCode(t, "viewer verifies the audit log", err, opsward.EFORBIDDEN)
		if len(entries) < 5 {
			t.Fatalf("only %d entries", len(entries))
		}

		// The schema owner edits one entry's detail. On Postgres the owner
		// connection is a superuser, which row-level security lets through.
		edited := entries[2].Seq
		if _, err := w.owner.Exec(`UPDATE audit_entries SET detail = 'nothing happened' WHERE tenant_id = $1 AND seq = $2`, w.a.ID, edited); err != nil {
			t.Fatalf("tamper: %v", err)
		}
		problems, _, err = w.svc.VerifyAudit(w.ctxA, w.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !hasProblem(problems, edited, "changed") {
			t.Fatalf("edited entry %d not reported: %+v", edited, problems)
		}
		// ... and deletes another.
		deleted := entries[4].Seq
		if _, err := w.owner.Exec(`DELETE FROM audit_entries WHERE tenant_id = $1 AND seq = $2`, w.a.ID, deleted); err != nil {
			t.Fatalf("tamper: %v", err)
		}
		problems, _, err = w.svc.VerifyAudit(w.ctxP, w.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !hasProblem(problems, edited, "changed") || !hasProblem(problems, deleted, "missing") {
			t.Fatalf("edited %d and deleted %d not both reported: %+v", edited, deleted, problems)
		}
		// B's chain is untouched.
		if problems, _, err := w.svc.VerifyAudit(w.ctxB, w.b.ID); err != nil || len(problems) != 0 {
			t.Fatalf("B's chain: %+v, %v", problems, err)
		}
		// The application's own role cannot edit the log even on its own
		// tenant (UPDATE is revoked on Postgres; the ent path has no way to
		// write but Audit).
		if b.dialect == "postgres" {
			if _, err := w.app.DB.ExecContext(w.ctxA, `UPDATE audit_entries SET detail = 'x' WHERE tenant_id = $1`, w.a.ID); err == nil {
				t.Error("the application role updated the audit log")
			}
			res, err := w.app.DB.ExecContext(w.ctxA, `DELETE FROM audit_entries WHERE tenant_id = $1`, w.a.ID)
			if err == nil {
				if n, _ := res.RowsAffected(); n != 0 {
					t.Errorf("the application role, unprivileged, deleted %d audit entries", n)
				}
			}
		}
	})
}

// refusedAlike reports whether err, the refusal of op on another tenant's
// row id, tells nothing about that row: it is "not found", or a blanket
// rule (the audit log is append-only) that refuses an id that does not
// exist in the very same words.
func refusedAlike(ctx context.Context, c *ent.Client, op func(context.Context, *ent.Client, string) error, id string, err error) bool {
	if ent.IsNotFound(err) {
		return true
	}
	prefix, _, _ := strings.Cut(id, "_")
	ghost := op(ctx, c, opsward.NewID(prefix))
	return ghost != nil && ghost.Error() == err.Error()
}

func hasProblem(ps []tenants.AuditProblem, seq int64, word string) bool {
	for _, p := range ps {
		if p.Seq == seq && strings.Contains(p.Reason, word) {
			return true
		}
	}
	return false
}

// A suspended tenant's users and keys are refused with a clear error, and
// reactivation restores them; the hook hears both.
func TestSuspension(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		s := w.svc
		tok, err := s.Login(context.Background(), tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password})
		if err != nil {
			t.Fatal(err)
		}
		auth := func(cred string) error {
			_, err := s.Authenticate(context.Background(), "Bearer "+cred, "", tenants.Request{})
			return err
		}
		// Warm the actor cache, so that suspension must drop it.
		if err := auth(tok.AccessToken); err != nil {
			t.Fatal(err)
		}
		keyA2, err := s.CreateAPIKey(w.ctxA, w.a.ID, "second", []string{"noc:read"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := auth(keyA2.Secret); err != nil {
			t.Fatal(err)
		}

		_, err = s.SetTenantStatus(w.ctxA, w.a.ID, tenant.StatusSuspended)
		wantCode(t, "a tenant suspends itself", err, opsward.EFORBIDDEN)
		_, err = s.SetTenantStatus(w.ctxB, w.a.ID, tenant.StatusSuspended)
		wantHidden(t, "a sibling suspends A", err)

		if _, err := s.SetTenantStatus(w.ctxP, w.a.ID, tenant.StatusSuspended); err != nil {
			t.Fatalf("suspend: %v", err)
		}
		for name, cred := range map[string]string{"user token": tok.AccessToken, "API key": keyA2.Secret} {
			err := auth(cred)
			wantCode(t, name+" of a suspended tenant", err, opsward.EFORBIDDEN)
			if msg := opsward.ErrorMessage(err); !strings.Contains(msg, "suspended") {
				t.Errorf("%s refusal does not say why: %q", name, msg)
			}
		}
		_, err = s.Login(context.Background(), tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password})
		wantCode(t, "login to a suspended tenant", err, opsward.EFORBIDDEN)
		// A tenant below a suspended one is refused too.
		_, err = s.Authenticate(context.Background(), "Bearer "+tok.AccessToken, w.orgA.ID, tenants.Request{})
		wantCode(t, "organization below a suspended customer", err, opsward.EFORBIDDEN)
		// B goes on, and the data of A is kept.
		if err := auth(w.keyB.Secret); err != nil {
			t.Fatalf("B's key while A is suspended: %v", err)
		}
		if n, err := w.client.Membership.Query().Where(membership.TenantID(w.a.ID)).Count(w.privileged()); err != nil || n == 0 {
			t.Fatalf("A's memberships after suspension: %d, %v", n, err)
		}

		if _, err := s.SetTenantStatus(w.ctxP, w.a.ID, tenant.StatusActive); err != nil {
			t.Fatalf("reactivate: %v", err)
		}
		if err := auth(tok.AccessToken); err != nil {
			t.Fatalf("user token after reactivation: %v", err)
		}
		if err := auth(keyA2.Secret); err != nil {
			t.Fatalf("API key after reactivation: %v", err)
		}
		want := []statusEvent{{w.a.ID, "suspended"}, {w.a.ID, "active"}}
		if got := b.statusEvents(); !slices.Equal(got, want) {
			t.Fatalf("StatusChanged calls %v, want %v", got, want)
		}
		// The provider cannot be suspended.
		_, err = s.SetTenantStatus(tenants.Privileged(context.Background(), "test"), w.p.ID, tenant.StatusSuspended)
		wantCode(t, "suspend the provider", err, opsward.EFORBIDDEN)
	})
}

func TestInvitations(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		s := w.svc
		inv, err := s.InviteUser(w.ctxA, w.a.ID, "New.Analyst@Acme.example", opsward.RoleAnalyst)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Token == "" || strings.Contains(inv.TokenHash, inv.Token) {
			t.Fatalf("invitation token %q / hash %q", inv.Token, inv.TokenHash)
		}
		pw := mustPassword(t)
		m, err := s.AcceptInvitation(context.Background(), tenants.AcceptInput{Token: inv.Token, Name: "Ana Lyst", Password: pw})
		if err != nil {
			t.Fatalf("accept: %v", err)
		}
		if m.TenantID != w.a.ID || m.Role != opsward.RoleAnalyst {
			t.Fatalf("membership %+v", m)
		}
		u, err := w.client.User.Get(w.privileged(), m.UserID)
		if err != nil || u.Email != "new.analyst@acme.example" {
			t.Fatalf("user %+v, %v", u, err)
		}
		ctx := w.login(t, person{u.ID, u.Email, pw}, "")
		if a, _ := tenants.FromContext(ctx); a.TenantID != w.a.ID || !slices.Equal(a.Roles, []opsward.Role{opsward.RoleAnalyst}) {
			t.Fatalf("invited user acts as %+v", a)
		}
		// Single use.
		_, err = s.AcceptInvitation(context.Background(), tenants.AcceptInput{Token: inv.Token, Name: "Again", Password: mustPassword(t)})
		wantCode(t, "second use of an invitation", err, opsward.EINVALID)
		// Expired.
		late, err := s.InviteUser(w.ctxA, w.a.ID, "late@acme.example", opsward.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		b.clock.advance(s.Config().InvitationTTL + time.Minute)
		_, err = s.AcceptInvitation(context.Background(), tenants.AcceptInput{Token: late.Token, Name: "Late", Password: mustPassword(t)})
		wantCode(t, "expired invitation", err, opsward.EINVALID)
		if n, _ := w.client.User.Query().Where(user.Email("late@acme.example")).Count(w.privileged()); n != 0 {
			t.Fatal("an expired invitation created a user")
		}
		// Garbage.
		_, err = s.AcceptInvitation(context.Background(), tenants.AcceptInput{Token: "opw_nonsense", Name: "X", Password: mustPassword(t)})
		wantCode(t, "malformed token", err, opsward.EINVALID)

		// Only owners make owners. (Sessions are long-lived, the clock moved
		// by a week only.)
		_, err = s.InviteUser(w.ctxA, w.a.ID, "boss@acme.example", opsward.RoleOwner)
		wantCode(t, "admin invites an owner", err, opsward.EFORBIDDEN)
		_, err = s.InviteUser(w.ctxAViewer, w.a.ID, "friend@acme.example", opsward.RoleViewer)
		wantCode(t, "viewer invites", err, opsward.EFORBIDDEN)
		ownerInv, err := s.InviteUser(w.ctxP, w.a.ID, "boss@acme.example", opsward.RoleOwner)
		if err != nil {
			t.Fatalf("provider owner invites an owner: %v", err)
		}
		ownerM, err := s.AcceptInvitation(context.Background(), tenants.AcceptInput{Token: ownerInv.Token, Name: "Boss", Password: mustPassword(t)})
		if err != nil {
			t.Fatal(err)
		}
		var aAdminM *ent.Membership
		if aAdminM, err = w.client.Membership.Query().Where(membership.UserID(w.aAdmin.id), membership.TenantID(w.a.ID)).Only(w.ctxA); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateMembership(w.ctxA, aAdminM.ID, opsward.RoleOwner)
		wantCode(t, "admin promotes itself to owner", err, opsward.EFORBIDDEN)
		_, err = s.RemoveMembership(w.ctxA, ownerM.ID)
		wantCode(t, "admin removes an owner", err, opsward.EFORBIDDEN)

		// The last owner stays.
		_, err = s.RemoveMembership(w.ctxP, ownerM.ID)
		wantCode(t, "remove the last owner", err, opsward.ECONFLICT)
		_, err = s.UpdateMembership(w.ctxP, ownerM.ID, opsward.RoleAdmin)
		wantCode(t, "demote the last owner", err, opsward.ECONFLICT)
		pM, err := w.client.Membership.Query().Where(membership.UserID(w.pOwner.id)).Only(w.ctxP)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.RemoveMembership(w.ctxP, pM.ID)
		wantCode(t, "provider's last owner removes itself", err, opsward.ECONFLICT)
		// With a second owner, one can go.
		if _, err := s.UpdateMembership(w.ctxP, aAdminM.ID, opsward.RoleOwner); err != nil {
			t.Fatalf("provider owner promotes A's admin: %v", err)
		}
		if _, err := s.RemoveMembership(w.ctxP, ownerM.ID); err != nil {
			t.Fatalf("remove one of two owners: %v", err)
		}
		// A's admin cannot touch B's members.
		bM, err := w.client.Membership.Query().Where(membership.UserID(w.bAdmin.id)).Only(w.ctxB)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.RemoveMembership(w.ctxA, bM.ID)
		wantHidden(t, "A removes B's admin", err)
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		s := w.svc
		bg := context.Background()
		t1, err := s.Login(bg, tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password})
		if err != nil {
			t.Fatal(err)
		}
		t2, err := s.Refresh(bg, t1.RefreshToken, "", tenants.Request{})
		if err != nil {
			t.Fatalf("first refresh: %v", err)
		}
		if t2.RefreshToken == t1.RefreshToken || t2.SessionID != t1.SessionID {
			t.Fatalf("refresh did not rotate within the session: %+v", t2)
		}
		if _, err := s.Authenticate(bg, "Bearer "+t2.AccessToken, "", tenants.Request{}); err != nil {
			t.Fatalf("new access token: %v", err)
		}
		// The old refresh token again: refused, and the whole session goes.
		_, err = s.Refresh(bg, t1.RefreshToken, "", tenants.Request{})
		wantCode(t, "reused refresh token", err, opsward.EUNAUTHORIZED)
		if !strings.Contains(opsward.ErrorMessage(err), "already used") {
			t.Errorf("reuse refusal does not say why: %q", opsward.ErrorMessage(err))
		}
		_, err = s.Refresh(bg, t2.RefreshToken, "", tenants.Request{})
		wantCode(t, "refresh token issued before the reuse", err, opsward.EUNAUTHORIZED)
		for _, at := range []string{t1.AccessToken, t2.AccessToken} {
			_, err = s.Authenticate(bg, "Bearer "+at, "", tenants.Request{})
			wantCode(t, "access token of a revoked session", err, opsward.EUNAUTHORIZED)
		}
		n, err := w.client.AuditEntry.Query().Where(auditentry.TenantID(w.a.ID), auditentry.Action("auth.session_revoked"),
			auditentry.TargetID(t1.SessionID)).Count(w.privileged())
		if err != nil || n != 1 {
			t.Errorf("revocation after reuse is audited %d times (%v)", n, err)
		}
		// Another session of the same user is untouched.
		other := w.login(t, w.aAdmin, "")
		if a, _ := tenants.FromContext(other); a.SessionID == t1.SessionID {
			t.Fatal("a new login reused the revoked session")
		}

		// Logout revokes the session: its access and refresh tokens stop.
		t3, err := s.Login(bg, tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password})
		if err != nil {
			t.Fatal(err)
		}
		ctx3 := w.bearer(t, t3.AccessToken, "")
		if err := s.Logout(ctx3, "", tenants.Request{}); err != nil {
			t.Fatalf("logout: %v", err)
		}
		_, err = s.Authenticate(bg, "Bearer "+t3.AccessToken, "", tenants.Request{})
		wantCode(t, "access token after logout", err, opsward.EUNAUTHORIZED)
		_, err = s.Refresh(bg, t3.RefreshToken, "", tenants.Request{})
		wantCode(t, "refresh token after logout", err, opsward.EUNAUTHORIZED)
		// Logout with the refresh token alone works too.
		t4, err := s.Login(bg, tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Logout(bg, t4.RefreshToken, tenants.Request{}); err != nil {
			t.Fatalf("logout with a refresh token: %v", err)
		}
		_, err = s.Authenticate(bg, "Bearer "+t4.AccessToken, "", tenants.Request{})
		wantCode(t, "access token after logout by refresh token", err, opsward.EUNAUTHORIZED)
		// A refresh token cannot choose a tenant outside the memberships.
		t5, err := s.Login(bg, tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Refresh(bg, t5.RefreshToken, w.b.ID, tenants.Request{})
		wantCode(t, "refresh into a sibling tenant", err, opsward.EFORBIDDEN)
	})
}

func TestLoginThrottling(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		s := w.svc
		bg := context.Background()
		cfg := s.Config().Throttle
		login := func(p person, password, ip string) error {
			_, err := s.Login(bg, tenants.LoginInput{Email: p.email, Password: password, Request: tenants.Request{IP: ip}})
			return err
		}
		// Failures below the limit say only "wrong".
		for i := 1; i < cfg.AccountFailures; i++ {
			wantCode(t, "wrong password", login(w.aAdmin, "not-the-password-1", "198.51.100.1"), opsward.EUNAUTHORIZED)
		}
		// The failure that reaches the limit locks the account.
		err := login(w.aAdmin, "not-the-password-1", "198.51.100.1")
		wantCode(t, "failure at the limit", err, opsward.ELIMIT)
		// Even the right password is refused now, from any address, saying when.
		for _, ip := range []string{"198.51.100.1", "203.0.113.7"} {
			err = login(w.aAdmin, w.aAdmin.password, ip)
			wantCode(t, "locked account, right password", err, opsward.ELIMIT)
			d, ok := authn.RetryAfterOf(err)
			if !ok || d <= 0 || d > cfg.AccountLockMax {
				t.Fatalf("retry after %v (%v)", d, ok)
			}
			if msg := opsward.ErrorMessage(err); !strings.Contains(msg, "try again in") || !strings.Contains(msg, "account") {
				t.Fatalf("lockout message %q does not say when to retry", msg)
			}
		}
		// Another user from the same address still logs in.
		if err := login(w.bAdmin, w.bAdmin.password, "198.51.100.1"); err != nil {
			t.Fatalf("another user from the same address: %v", err)
		}
		// Failed logins are audited in the user's home tenant.
		n, err := w.client.AuditEntry.Query().Where(auditentry.TenantID(w.a.ID), auditentry.Action("auth.login_failed"),
			auditentry.TargetID(w.aAdmin.id)).Count(w.privileged())
		if err != nil || n != cfg.AccountFailures {
			t.Errorf("%d failed logins audited, want %d (%v)", n, cfg.AccountFailures, err)
		}

		// Many accounts tried from one address: the address is blocked.
		const sprayer = "198.51.100.66"
		var last error
		for i := 0; i < cfg.IPFailures; i++ {
			victim := person{email: "nobody" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.com"}
			last = login(victim, "guess-guess-guess", sprayer)
		}
		wantCode(t, "the failure that blocks the address", last, opsward.ELIMIT)
		err = login(w.aViewer, w.aViewer.password, sprayer)
		wantCode(t, "right password from a blocked address", err, opsward.ELIMIT)
		if msg := opsward.ErrorMessage(err); !strings.Contains(msg, "address") || !strings.Contains(msg, "try again in") {
			t.Fatalf("address block message %q", msg)
		}
		if err := login(w.aViewer, w.aViewer.password, "198.51.100.67"); err != nil {
			t.Fatalf("same user from another address: %v", err)
		}
	}, withThrottle(authn.ThrottleConfig{IPFailures: 12}))
}
