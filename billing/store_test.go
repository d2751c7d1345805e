package billing_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/subscription"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/scope"
)

// env is one backend with a provider, two customers (A and B) and an
// organization below A, created the way the platform creates them.
type env struct {
	dialect string
	db      *sql.DB
	pdb     *platform.Database
	client  *ent.Client
	tenants *tenants.Service
	bill    *billing.Service

	provider, custA, custB, orgA *ent.Tenant
}

// eachBackend runs fn on a fresh env of every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) { fn(t, newEnv(t, b)) })
}

func newEnv(t *testing.T, b testenv.Backend) *env {
	t.Helper()
	e := &env{}
	// The tenants service takes its hooks before billing exists; the
	// closure reads e.bill when a tenant is created.
	p := testenv.NewPlatform(t, b, testenv.PlatformOptions{
		EmbeddedRedis: true,
		TenantCreated: func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error {
			return e.bill.TenantCreatedHook()(ctx, tx, t)
		},
		Services: func(p *testenv.Platform) { e.bill = billing.New(p.Client, p.Tenants, nil) },
	})
	// On Postgres this pool acts as the application role, under row-level
	// security, with each statement's actor set from its context.
	e.dialect, e.db, e.pdb, e.client, e.tenants, e.provider = p.Dialect, p.App.DB, p.App, p.Client, p.Tenants, p.Provider
	// Customers and organizations through the service, as users would.
	msp := as(e.provider, opsward.RoleAdmin)
	e.custA = e.mustCreate(t, msp, e.provider.ID, "acme")
	e.custB = e.mustCreate(t, msp, e.provider.ID, "globex")
	e.orgA = e.mustCreate(t, as(e.custA, opsward.RoleAdmin), e.custA.ID, "acme-eu")
	return e
}

func (e *env) mustCreate(t *testing.T, ctx context.Context, parent, slug string) *ent.Tenant {
	t.Helper()
	tn, err := e.tenants.CreateTenant(ctx, tenants.TenantInput{ParentID: parent, Slug: slug, Name: slug})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

// as is a user acting on tenant tn with roles.
var as = testenv.As

var system = testenv.System("test: look behind the service")

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := opsward.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func wantInMessage(t *testing.T, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(opsward.ErrorMessage(err), p) {
			t.Errorf("message %q does not name %q", opsward.ErrorMessage(err), p)
		}
	}
}

func (e *env) plan(t *testing.T, tenantID string) string {
	t.Helper()
	p, err := e.bill.Plan(system, tenantID)
	if err != nil {
		t.Fatalf("plan of %s: %v", tenantID, err)
	}
	return p.ID
}

func (e *env) auditDetails(t *testing.T, tenantID string) []string {
	t.Helper()
	es, err := e.client.AuditEntry.Query().
		Where(auditentry.TenantID(tenantID), auditentry.Action("billing.plan_change")).
		Order(ent.Asc(auditentry.FieldSeq)).All(system)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range es {
		out = append(out, a.Detail)
	}
	return out
}

func TestNewTenantsGetTheirPlan(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		rows := map[string]string{}
		subs, err := e.client.Subscription.Query().All(system)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			rows[s.TenantID] = s.Plan
		}
		want := map[string]string{e.provider.ID: billing.PlanEnterprise, e.custA.ID: billing.PlanEssentials, e.custB.ID: billing.PlanEssentials}
		if len(rows) != len(want) {
			t.Errorf("subscription rows %v, want %v (an organization has none)", rows, want)
		}
		for id, p := range want {
			if rows[id] != p {
				t.Errorf("tenant %s has plan %q, want %q", id, rows[id], p)
			}
		}
		// The organization uses its customer's plan.
		sub, err := e.bill.Subscription(as(e.orgA, opsward.RoleBilling), e.orgA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sub.Inherited() || sub.AccountID != e.custA.ID || sub.Plan.ID != billing.PlanEssentials || sub.Status != "active" {
			t.Errorf("organization's subscription %+v, want essentials inherited from %s", sub, e.custA.ID)
		}
		own, err := e.bill.Subscription(as(e.custA, opsward.RoleOwner), e.custA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if own.Inherited() || own.ID == "" || own.Plan.ID != billing.PlanEssentials {
			t.Errorf("customer's own subscription %+v", own)
		}
	})
}

func TestChangePlan(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		owner := as(e.custA, opsward.RoleOwner)
		sub, err := e.bill.ChangePlan(owner, e.custA.ID, billing.PlanProfessional)
		if err != nil {
			t.Fatal(err)
		}
		if sub.Plan.ID != billing.PlanProfessional || sub.TenantID != e.custA.ID || sub.ID == "" {
			t.Errorf("ChangePlan returned %+v", sub)
		}
		for _, id := range []string{e.custA.ID, e.orgA.ID} {
			if got := e.plan(t, id); got != billing.PlanProfessional {
				t.Errorf("plan of %s is %s after the change, want professional", id, got)
			}
		}
		if got := e.plan(t, e.custB.ID); got != billing.PlanEssentials {
			t.Errorf("the other customer's plan moved to %s", got)
		}
		// The MSP's billing staff reach the customer too; the same plan
		// again is no change and writes no audit entry.
		mspBilling := as(e.provider, opsward.RoleBilling)
		if _, err := e.bill.ChangePlan(mspBilling, e.custA.ID, billing.PlanEnterprise); err != nil {
			t.Fatal(err)
		}
		before, err := e.client.Subscription.Query().Where(subscription.TenantID(e.custA.ID)).Only(system)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.bill.ChangePlan(mspBilling, e.custA.ID, billing.PlanEnterprise); err != nil {
			t.Fatal(err)
		}
		after, err := e.client.Subscription.Query().Where(subscription.TenantID(e.custA.ID)).Only(system)
		if err != nil {
			t.Fatal(err)
		}
		if !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("changing to the same plan wrote the row (updated_at %s, was %s)", after.UpdatedAt, before.UpdatedAt)
		}
		got := e.auditDetails(t, e.custA.ID)
		want := []string{"from=essentials to=professional", "from=professional to=enterprise"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("audit details %q, want %q", got, want)
		}
	})
}

func TestChangePlanRefusals(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		owner := as(e.custA, opsward.RoleOwner)

		_, err := e.bill.ChangePlan(owner, e.custA.ID, "platinum")
		wantCode(t, err, opsward.EINVALID)
		if f := opsward.ErrorField(err); f != "plan" {
			t.Errorf("unknown plan names field %q, want plan", f)
		}
		wantInMessage(t, err, `"platinum"`, "essentials, professional, enterprise")

		_, err = e.bill.ChangePlan(owner, e.orgA.ID, billing.PlanProfessional)
		wantCode(t, err, opsward.EINVALID)
		wantInMessage(t, err, "organization", e.custA.ID)

		_, err = e.bill.ChangePlan(as(e.provider, opsward.RoleOwner), e.provider.ID, billing.PlanEssentials)
		wantCode(t, err, opsward.EINVALID)
		if got := e.plan(t, e.provider.ID); got != billing.PlanEnterprise {
			t.Errorf("provider is on %s", got)
		}

		// Changing plans is for owners and billing users; an admin may
		// read the subscription, a viewer may not even read it.
		_, err = e.bill.ChangePlan(as(e.custA, opsward.RoleAdmin), e.custA.ID, billing.PlanProfessional)
		wantCode(t, err, opsward.EFORBIDDEN)
		if _, err := e.bill.Subscription(as(e.custA, opsward.RoleAdmin), e.custA.ID); err != nil {
			t.Errorf("admin reading the subscription: %v", err)
		}
		_, err = e.bill.Subscription(as(e.custA, opsward.RoleViewer), e.custA.ID)
		wantCode(t, err, opsward.EFORBIDDEN)
		// Entitlements answer every role: the NOC asks on an analyst's behalf.
		if _, err := e.bill.Limits(as(e.custA, opsward.RoleViewer), e.custA.ID); err != nil {
			t.Errorf("viewer reading limits: %v", err)
		}

		_, err = e.bill.Plan(context.Background(), e.custA.ID)
		wantCode(t, err, opsward.EUNAUTHORIZED)
		_, err = e.bill.Plan(owner, "not-an-id")
		wantCode(t, err, opsward.EINVALID)
		if len(e.auditDetails(t, e.custA.ID)) != 0 {
			t.Error("a refused change was audited")
		}
	})
}

// Customer A's staff cannot read or change customer B's subscription, on
// either isolation layer.
func TestDifferentTenant(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ownerA := as(e.custA, opsward.RoleOwner)
		_, err := e.bill.Subscription(ownerA, e.custB.ID)
		wantCode(t, err, opsward.ENOTFOUND)
		_, err = e.bill.ChangePlan(ownerA, e.custB.ID, billing.PlanEnterprise)
		wantCode(t, err, opsward.ENOTFOUND)
		_, err = e.bill.Limits(ownerA, e.custB.ID)
		wantCode(t, err, opsward.ENOTFOUND)
		wantCode(t, e.bill.CheckInterval(ownerA, e.custB.ID, time.Hour), opsward.ENOTFOUND)
		if got := e.plan(t, e.custB.ID); got != billing.PlanEssentials {
			t.Fatalf("customer B's plan became %s", got)
		}
		// An organization's staff do not reach their customer's row, though
		// they see the plan it gives them.
		orgOwner := as(e.orgA, opsward.RoleOwner)
		_, err = e.bill.Subscription(orgOwner, e.custA.ID)
		wantCode(t, err, opsward.ENOTFOUND)
		_, err = e.bill.ChangePlan(orgOwner, e.custA.ID, billing.PlanEnterprise)
		wantCode(t, err, opsward.ENOTFOUND)

		// Below the service: the storage layer shows A nothing of B.
		n, err := e.client.Subscription.Query().Where(subscription.TenantID(e.custB.ID)).Count(ownerA)
		if err != nil || n != 0 {
			t.Errorf("A's query for B's subscription: %d rows, %v", n, err)
		}
		m, err := e.client.Subscription.Update().Where(subscription.TenantID(e.custB.ID)).
			SetPlan(billing.PlanEnterprise).Save(ownerA)
		if err != nil || m != 0 {
			t.Errorf("A's update of B's subscription touched %d rows, %v", m, err)
		}
		if e.dialect == dialect.Postgres {
			// And row-level security, with no ent filter at all.
			var raw int
			if err := e.db.QueryRowContext(ownerA, "SELECT count(*) FROM subscriptions WHERE tenant_id = $1", e.custB.ID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if raw != 0 {
				t.Errorf("row-level security showed A %d of B's subscription rows", raw)
			}
		}
		if got := e.plan(t, e.custB.ID); got != billing.PlanEssentials {
			t.Errorf("customer B's plan became %s", got)
		}
	})
}

func TestListenersRunAfterCommit(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		type call struct{ tenant, plan, stored string }
		var (
			mu    sync.Mutex
			calls []call
		)
		listen := func(ctx context.Context, tenantID string, p billing.Plan) {
			// Read outside the changing transaction: the plan is visible
			// only if the change is committed.
			stored := ""
			if s, err := e.client.Subscription.Query().Where(subscription.TenantID(e.custA.ID)).Only(system); err == nil {
				stored = s.Plan
			}
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, call{tenantID, p.ID, stored})
		}
		e.bill.OnPlanChange(listen)
		if _, err := e.bill.ChangePlan(as(e.custA, opsward.RoleOwner), e.custA.ID, billing.PlanEnterprise); err != nil {
			t.Fatal(err)
		}
		want := []call{{e.custA.ID, "enterprise", "enterprise"}, {e.orgA.ID, "enterprise", "enterprise"}}
		if len(calls) != len(want) || calls[0] != want[0] || calls[1] != want[1] {
			t.Fatalf("listener calls %+v, want %+v", calls, want)
		}

		// A change that fails inside its transaction (here: no audit log
		// to write to) commits nothing and tells no listener.
		broken := billing.New(e.client, nil, nil)
		broken.OnPlanChange(listen)
		_, err := broken.ChangePlan(as(e.custA, opsward.RoleOwner), e.custA.ID, billing.PlanProfessional)
		wantCode(t, err, opsward.EINTERNAL)
		if got := e.plan(t, e.custA.ID); got != billing.PlanEnterprise {
			t.Errorf("a failed change left plan %s", got)
		}
		// A refused one neither.
		e.bill.SetMonitorCounter(func(context.Context, string) (int, error) { return 600, nil })
		_, err = e.bill.ChangePlan(as(e.custA, opsward.RoleOwner), e.custA.ID, billing.PlanProfessional)
		wantCode(t, err, opsward.ELIMIT)
		// No change, no call.
		e.bill.SetMonitorCounter(nil)
		if _, err := e.bill.ChangePlan(as(e.custA, opsward.RoleOwner), e.custA.ID, billing.PlanEnterprise); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 2 {
			t.Errorf("listeners called %d times, want 2: %+v", len(calls), calls)
		}
	})
}

func TestMonitorQuotaCountsTheCustomer(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		analyst := as(e.orgA, opsward.RoleAnalyst)
		wantCode(t, e.bill.CheckMonitorQuota(analyst, e.orgA.ID, 1), opsward.EINTERNAL) // nothing counts yet

		var (
			mu      sync.Mutex
			asked   []string
			counts  = map[string]int{e.custA.ID: 50}
			counter = func(ctx context.Context, tenantID string) (int, error) {
				if scope.PrivilegedReason(ctx) == "" {
					return 0, errors.New("counter called without the privileged path")
				}
				mu.Lock()
				defer mu.Unlock()
				asked = append(asked, tenantID)
				return counts[tenantID], nil
			}
		)
		e.bill.SetMonitorCounter(counter)

		// The organization counts against its customer's essentials plan.
		err := e.bill.CheckMonitorQuota(analyst, e.orgA.ID, 1)
		wantCode(t, err, opsward.ELIMIT)
		wantInMessage(t, err, "plan Essentials allows 50 monitors", "tenant "+e.custA.ID+" has 50", "upgrade the plan or remove a monitor")
		if len(asked) != 1 || asked[0] != e.custA.ID {
			t.Errorf("counter asked for %v, want the customer %s", asked, e.custA.ID)
		}
		if err := e.bill.CheckMonitorQuota(as(e.custB, opsward.RoleAnalyst), e.custB.ID, 50); err != nil {
			t.Errorf("customer B with no monitors adding 50: %v", err)
		}
		counts[e.custA.ID] = 49
		if err := e.bill.CheckMonitorQuota(analyst, e.orgA.ID, 1); err != nil {
			t.Errorf("49 of 50 adding one: %v", err)
		}
		wantCode(t, e.bill.CheckMonitorQuota(analyst, e.orgA.ID, 2), opsward.ELIMIT)

		// Upgrade, grow, then a downgrade that the monitors do not fit.
		owner := as(e.custA, opsward.RoleOwner)
		if _, err := e.bill.ChangePlan(owner, e.custA.ID, billing.PlanProfessional); err != nil {
			t.Fatal(err)
		}
		counts[e.custA.ID] = 120
		if err := e.bill.CheckMonitorQuota(analyst, e.orgA.ID, 1); err != nil {
			t.Errorf("120 of 500 adding one: %v", err)
		}
		_, err = e.bill.ChangePlan(owner, e.custA.ID, billing.PlanEssentials)
		wantCode(t, err, opsward.ELIMIT)
		wantInMessage(t, err, "plan Essentials allows 50 monitors", "has 120", "remove 70")
		if got := e.plan(t, e.custA.ID); got != billing.PlanProfessional {
			t.Errorf("a refused downgrade left plan %s", got)
		}
		counts[e.custA.ID] = 50
		if _, err := e.bill.ChangePlan(owner, e.custA.ID, billing.PlanEssentials); err != nil {
			t.Errorf("downgrade that fits: %v", err)
		}
	})
}

func TestIntervalsFollowThePlan(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		analyst := as(e.orgA, opsward.RoleAnalyst)
		err := e.bill.CheckInterval(analyst, e.orgA.ID, 30*time.Second)
		wantCode(t, err, opsward.ELIMIT)
		wantInMessage(t, err, "plan Essentials", "5 minutes", "30 seconds")
		if f := opsward.ErrorField(err); f != "interval" {
			t.Errorf("field %q, want interval", f)
		}
		for want, floored := range map[time.Duration]time.Duration{
			30 * time.Second: 5 * time.Minute, 10 * time.Minute: 10 * time.Minute, 0: 5 * time.Minute,
		} {
			got, err := e.bill.FloorInterval(analyst, e.orgA.ID, want)
			if err != nil || got != floored {
				t.Errorf("FloorInterval(%s) = %s, %v; want %s", want, got, err, floored)
			}
		}
		// A plan change takes effect on the next question, no restart.
		if _, err := e.bill.ChangePlan(as(e.custA, opsward.RoleBilling), e.custA.ID, billing.PlanEnterprise); err != nil {
			t.Fatal(err)
		}
		if err := e.bill.CheckInterval(analyst, e.orgA.ID, 30*time.Second); err != nil {
			t.Errorf("30 s on enterprise: %v", err)
		}
		err = e.bill.CheckInterval(analyst, e.orgA.ID, 10*time.Second)
		wantInMessage(t, err, "plan Enterprise", "30 seconds", "10 seconds")
		p, err := e.bill.Limits(analyst, e.orgA.ID)
		if err != nil || p.Weight != 16 || p.MaxConcurrency != 32 || p.MaxMonitors != 10000 {
			t.Errorf("limits %+v, %v", p, err)
		}
	})
}

func TestCanceledOrMissingSubscription(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		owner := as(e.custA, opsward.RoleOwner)
		if _, err := e.bill.ChangePlan(owner, e.custA.ID, billing.PlanProfessional); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.Subscription.Update().Where(subscription.TenantID(e.custA.ID)).
			SetStatus(subscription.StatusCanceled).Save(system); err != nil {
			t.Fatal(err)
		}
		if got := e.plan(t, e.orgA.ID); got != billing.PlanEssentials {
			t.Errorf("canceled subscription gives %s, want essentials", got)
		}
		sub, err := e.bill.ChangePlan(owner, e.custA.ID, billing.PlanProfessional)
		if err != nil || sub.Status != "active" || sub.Plan.ID != billing.PlanProfessional {
			t.Fatalf("reactivating: %+v, %v", sub, err)
		}

		// Customer B lost its row: it is on the default plan, and a change
		// writes a new row.
		if _, err := e.client.Subscription.Delete().Where(subscription.TenantID(e.custB.ID)).Exec(system); err != nil {
			t.Fatal(err)
		}
		ownerB := as(e.custB, opsward.RoleOwner)
		sub, err = e.bill.Subscription(ownerB, e.custB.ID)
		if err != nil || sub.ID != "" || sub.Plan.ID != billing.PlanEssentials {
			t.Fatalf("without a row: %+v, %v", sub, err)
		}
		if sub, err = e.bill.ChangePlan(ownerB, e.custB.ID, billing.PlanProfessional); err != nil || sub.ID == "" {
			t.Fatalf("change without a row: %+v, %v", sub, err)
		}
		got := append(e.auditDetails(t, e.custA.ID), e.auditDetails(t, e.custB.ID)...)
		want := []string{"from=essentials to=professional", "from=professional (canceled) to=professional", "from=none to=professional"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("audit details %q, want %q", got, want)
		}
	})
}

func TestPolicies(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		if _, err := e.bill.ChangePlan(as(e.custA, opsward.RoleOwner), e.custA.ID, billing.PlanProfessional); err != nil {
			t.Fatal(err)
		}
		// More tenants than one page, without subscription rows, and one
		// closed tenant that runs nothing.
		const extra = 520
		bulk := make([]*ent.TenantCreate, extra)
		bulkIDs := make([]string, extra)
		for i := range bulk {
			id := opsward.NewID(opsward.PrefixTenant)
			bulkIDs[i] = id
			bulk[i] = e.client.Tenant.Create().SetID(id).SetKind(tenant.KindCustomer).SetParentID(e.provider.ID).
				SetSlug(strings.ToLower(id[len(id)-12:])).SetName("bulk").SetPath(e.provider.Path + id + "/")
		}
		if _, err := e.client.Tenant.CreateBulk(bulk...).Save(system); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tenants.SetTenantStatus(system, e.custB.ID, tenant.StatusClosed); err != nil {
			t.Fatal(err)
		}

		got := map[string]string{}
		last := ""
		err := e.bill.Policies(context.Background(), func(id string, p billing.Plan) error {
			if id <= last {
				t.Errorf("tenant %s after %s: not in id order", id, last)
			}
			last = id
			got[id] = p.ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != extra+3 {
			t.Errorf("%d tenants streamed, want %d", len(got), extra+3)
		}
		for _, id := range bulkIDs {
			if got[id] != billing.PlanEssentials {
				t.Errorf("customer %s without a row streamed with %q, want essentials", id, got[id])
				break
			}
		}
		for id, want := range map[string]string{
			e.provider.ID: billing.PlanEnterprise, e.custA.ID: billing.PlanProfessional, e.orgA.ID: billing.PlanProfessional,
		} {
			if got[id] != want {
				t.Errorf("tenant %s streamed with %q, want %q", id, got[id], want)
			}
		}
		if _, ok := got[e.custB.ID]; ok {
			t.Error("a closed tenant was streamed")
		}

		stop := errors.New("stop")
		n := 0
		err = e.bill.Policies(context.Background(), func(string, billing.Plan) error {
			n++
			if n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Errorf("yield's error: walk returned %v after %d calls", err, n)
		}
	})
}
