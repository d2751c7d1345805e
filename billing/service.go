package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/privacy"
	"github.com/opsward/opsward/ent/subscription"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/tenants"
)

// MonitorCounter returns how many monitors a tenant and every tenant below
// it have. Billing calls it with the tenant that holds the subscription (a
// customer, or the provider) and a privileged context, because a customer's
// organizations count against its plan. The NOC registers it.
type MonitorCounter func(ctx context.Context, tenantID string) (int, error)

// PlanChangeListener learns that a tenant's effective plan changed. It runs
// after the change is committed, once for the tenant whose plan changed and
// once for each organization below it (they inherit the plan).
type PlanChangeListener func(ctx context.Context, tenantID string, plan Plan)

// Subscription is the plan that applies to a tenant and where it comes
// from.
type Subscription struct {
	TenantID string // the tenant asked about
	// AccountID is the tenant whose subscription applies: TenantID itself,
	// or for an organization its customer.
	AccountID string
	// ID is the subscription row's id; "" when the account has none and
	// the default plan applies.
	ID     string
	Plan   Plan
	Status string // "active" or "canceled"; "" without a row
	// CreatedAt and UpdatedAt are the row's; zero without one.
	CreatedAt, UpdatedAt time.Time
	// VersionID is the price version in force on the customer's billing
	// account, whose limits Plan holds; "" without an account (Plan is
	// then the catalogue's).
	VersionID string
}

// Inherited reports whether the plan is the tenant's customer's.
func (s Subscription) Inherited() bool { return s.TenantID != s.AccountID }

// Service holds subscriptions and answers entitlement questions.
type Service struct {
	client  *ent.Client
	tenants *tenants.Service
	log     *slog.Logger

	mu        sync.RWMutex
	counter   MonitorCounter
	listeners []PlanChangeListener
	// ledger, when set, is where entitlements come from: the price
	// version in force on the customer's account.
	ledger *Ledger
	now    func() time.Time
}

// New returns the service. tenants writes the audit log; it may be nil
// only in a process that never changes a plan.
func New(client *ent.Client, ts *tenants.Service, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{client: client, tenants: ts, log: logger, now: time.Now}
}

// SetMonitorCounter registers the function that counts a tenant's
// monitors. Until one is registered, ChangePlan does not check monitor
// counts (no monitors can exist) and CheckMonitorQuota fails.
func (s *Service) SetMonitorCounter(c MonitorCounter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counter = c
}

// OnPlanChange registers fn to be called after every committed plan
// change. Listeners run in the order they were registered, on the caller's
// goroutine; a slow listener slows ChangePlan's return, not its commit.
func (s *Service) OnPlanChange(fn func(ctx context.Context, tenantID string, plan Plan)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

func (s *Service) monitorCounter() MonitorCounter {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.counter
}

// Subscription returns the subscription that applies to a tenant in the
// actor's reach. It needs billing:read: a subscription is billing data
// (owners, admins and billing users, or keys with the billing:read scope).
// An organization's answer is its customer's subscription, marked
// Inherited; a customer without a row gets the default plan and no ID.
func (s *Service) Subscription(ctx context.Context, tenantID string) (Subscription, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return Subscription{}, err
	}
	t, err := s.tenantInReach(ctx, tenantID)
	if err != nil {
		return Subscription{}, err
	}
	return s.resolve(ctx, t)
}

// Plan returns the plan that applies to a tenant in the actor's reach:
// an organization's is its customer's; a customer with no subscription, or
// a canceled one, is on the default plan (essentials); the provider is on
// enterprise. It needs tenant:read, which every role and API key holds:
// services ask it on behalf of an operation they have authorized already.
func (s *Service) Plan(ctx context.Context, tenantID string) (Plan, error) {
	sub, err := s.effective(ctx, tenantID)
	return sub.Plan, err
}

// Limits is Plan under the name entitlement callers read best: the plan's
// fields are the tenant's limits.
func (s *Service) Limits(ctx context.Context, tenantID string) (Plan, error) {
	return s.Plan(ctx, tenantID)
}

// effective authorizes an entitlement question and resolves the plan.
func (s *Service) effective(ctx context.Context, tenantID string) (Subscription, error) {
	if err := tenants.Authorize(ctx, tenants.PermTenantRead); err != nil {
		return Subscription{}, err
	}
	t, err := s.tenantInReach(ctx, tenantID)
	if err != nil {
		return Subscription{}, err
	}
	return s.resolve(ctx, t)
}

// ChangePlan moves a customer to another plan. It needs billing:write on
// a tenant in the actor's reach (a customer's own owner or billing user,
// or the MSP's). A plan whose monitor limit is below the monitors the
// customer has is refused. The change and its audit entry commit
// together; listeners run after the commit. Changing to the plan the
// customer is on already changes nothing and calls no listener.
func (s *Service) ChangePlan(ctx context.Context, tenantID, planID string) (Subscription, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingWrite); err != nil {
		return Subscription{}, err
	}
	to, ok := PlanByID(planID)
	if !ok {
		return Subscription{}, opsward.FieldErrorf("plan", "there is no plan %q: choose one of %s", planID, planIDs())
	}
	t, err := s.tenantInReach(ctx, tenantID)
	if err != nil {
		return Subscription{}, err
	}
	if led := s.priceBook(); led != nil && t.Kind == tenant.KindCustomer {
		if sub, done, err := s.changeToPlan(ctx, led, t, to); done || err != nil {
			return sub, err
		}
	}
	switch t.Kind {
	case tenant.KindOrganization:
		return Subscription{}, opsward.FieldErrorf("tenantId",
			"tenant %s is an organization and uses the plan of its customer %s: change the customer's plan", t.ID, parentOf(t))
	case tenant.KindProvider:
		return Subscription{}, opsward.FieldErrorf("tenantId", "the provider tenant is always on the %s plan", mustPlan(ProviderPlan).Name)
	}
	if count := s.monitorCounter(); count != nil {
		n, err := count(tenants.Privileged(ctx, "billing: monitor count before a plan change"), t.ID)
		if err != nil {
			return Subscription{}, opsward.Internal(fmt.Errorf("count monitors of %s: %w", t.ID, err))
		}
		if n > to.MaxMonitors {
			return Subscription{}, &opsward.Error{Code: opsward.ELIMIT, Field: "plan", Message: fmt.Sprintf(
				"plan %s allows %d monitors and tenant %s has %d: remove %d before moving to %s",
				to.Name, to.MaxMonitors, t.ID, n, n-to.MaxMonitors, to.Name)}
		}
	}
	var (
		row     *ent.Subscription
		changed bool
	)
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		// Touch the row first: on Postgres that locks it, so two changes
		// of one customer take turns and each audits the plan it replaced.
		if _, err := tx.Subscription.Update().Where(subscription.TenantID(t.ID)).
			SetUpdatedAt(time.Now()).Save(ctx); err != nil {
			return storeErr(err)
		}
		cur, err := tx.Subscription.Query().Where(subscription.TenantID(t.ID)).Only(ctx)
		from := "none"
		switch {
		case ent.IsNotFound(err):
			row, err = tx.Subscription.Create().SetTenantID(t.ID).SetPlan(to.ID).Save(ctx)
		case err != nil:
			return storeErr(err)
		case cur.Plan == to.ID && cur.Status == subscription.StatusActive:
			row = cur
			return errUnchanged // roll back the touch
		default:
			from = cur.Plan
			if cur.Status != subscription.StatusActive {
				from += " (" + string(cur.Status) + ")"
			}
			row, err = tx.Subscription.UpdateOne(cur).SetPlan(to.ID).SetStatus(subscription.StatusActive).Save(ctx)
		}
		if err != nil {
			return storeErr(err)
		}
		changed = true
		return s.audit(ctx, tx, tenants.AuditRecord{
			TenantID: t.ID, Action: "billing.plan_change", TargetID: row.ID,
			Detail: "from=" + from + " to=" + to.ID,
		})
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return Subscription{}, err
	}
	out := subscriptionOf(t.ID, row, to)
	if changed {
		s.log.InfoContext(ctx, "plan changed", "tenant_id", t.ID, "plan", to.ID)
		s.notify(ctx, t, to)
	}
	return out, nil
}

// errUnchanged ends a plan change's transaction that has nothing to write.
var errUnchanged = errors.New("plan unchanged")

func (s *Service) audit(ctx context.Context, tx *ent.Tx, r tenants.AuditRecord) error {
	if s.tenants == nil {
		return opsward.Internal(errors.New("billing: no tenants service to audit with"))
	}
	return s.tenants.Audit(ctx, tx, r)
}

// notify tells the listeners about t's new plan and its organizations'.
func (s *Service) notify(ctx context.Context, t *ent.Tenant, p Plan) {
	s.mu.RLock()
	ls := append([]PlanChangeListener(nil), s.listeners...)
	s.mu.RUnlock()
	if len(ls) == 0 {
		return
	}
	ids := []string{t.ID}
	below, err := s.client.Tenant.Query().
		Where(tenant.PathHasPrefix(t.Path), tenant.IDNEQ(t.ID)).
		IDs(tenants.Privileged(ctx, "billing: organizations that inherit a changed plan"))
	if err != nil {
		// The change is committed; dispatch's periodic rebuild (Policies)
		// catches the organizations up.
		s.log.ErrorContext(ctx, "list organizations after a plan change", "tenant_id", t.ID, "err", err)
	}
	ids = append(ids, below...)
	for _, id := range ids {
		for _, fn := range ls {
			fn(ctx, id, p)
		}
	}
}

// TenantCreatedHook returns the function for tenants.Hooks.TenantCreated:
// it writes the new tenant's subscription in the creating transaction.
// A customer starts on essentials, the provider on enterprise; an
// organization gets no row, as it uses its customer's plan. The row is
// written as the creating actor, who reaches the new tenant; no
// billing:write is needed because the plan is the default, not a choice.
//
// billing.New takes the tenants service, so the hook is given to it
// afterwards (tenants.Service.SetHooks).
func (s *Service) TenantCreatedHook() func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error {
	return func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error {
		plan := DefaultPlan
		switch t.Kind {
		case tenant.KindOrganization:
			return nil
		case tenant.KindProvider:
			plan = ProviderPlan
		}
		if _, err := tx.Subscription.Create().SetTenantID(t.ID).SetPlan(plan).Save(ctx); err != nil {
			return storeErr(err)
		}
		led := s.priceBook()
		if led == nil {
			return nil
		}
		if t.Kind == tenant.KindProvider {
			_, err := led.writeDefaultBook(ctx, tx, t.ID)
			return err
		}
		// A book with no default plan (the provider removed it) leaves the
		// customer without an account until the period-close job opens one.
		_, err := led.openAccountTx(ctx, tx, t.ID, rootOf(t), plan, t.CreatedAt, Terms{})
		return err
	}
}

// pageSize is how many tenants Policies reads per query.
const pageSize = 500

// Policies calls yield with the effective plan of every tenant that is not
// closed, in id order, so that dispatch can rebuild its weights and caps
// from the database. It is a privileged path for system work (the
// scheduler's rebuild): it ignores the actor in ctx and must never answer
// a user. Suspension is the tenants service's business, not billing's: a
// suspended tenant is reported with its plan like any other. An error from
// yield stops the walk and is returned.
func (s *Service) Policies(ctx context.Context, yield func(tenantID string, p Plan) error) error {
	pctx := tenants.Privileged(ctx, "billing: plans of every tenant for the job queues")
	after := ""
	for {
		q := s.client.Tenant.Query().
			Where(tenant.StatusNEQ(tenant.StatusClosed)).
			Order(ent.Asc(tenant.FieldID)).Limit(pageSize).
			Select(tenant.FieldID, tenant.FieldKind, tenant.FieldParentID)
		if after != "" {
			q.Where(tenant.IDGT(after))
		}
		page, err := q.All(pctx)
		if err != nil {
			return storeErr(err)
		}
		if len(page) == 0 {
			return nil
		}
		accounts := make([]string, 0, len(page))
		for _, t := range page {
			accounts = append(accounts, accountOf(t))
		}
		subs, err := s.client.Subscription.Query().Where(subscription.TenantIDIn(accounts...)).All(pctx)
		if err != nil {
			return storeErr(err)
		}
		byTenant := make(map[string]*ent.Subscription, len(subs))
		for _, sub := range subs {
			byTenant[sub.TenantID] = sub
		}
		var booked map[string]PriceVersion
		if led := s.priceBook(); led != nil {
			if booked, err = led.inForce(ctx, accounts, s.now()); err != nil {
				return err
			}
		}
		for _, t := range page {
			p := s.planFor(ctx, accountKind(t), byTenant[accountOf(t)])
			if v, ok := booked[accountOf(t)]; ok && accountKind(t) == tenant.KindCustomer {
				p = v.Entitlements()
			}
			if err := yield(t.ID, p); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// tenantInReach reads a tenant through the actor's scope: a tenant outside
// it reads as not found, like one that does not exist.
func (s *Service) tenantInReach(ctx context.Context, id string) (*ent.Tenant, error) {
	if !opsward.ValidID(id, opsward.PrefixTenant) {
		return nil, opsward.FieldErrorf("tenantId", "%q is not a tenant id", id)
	}
	t, err := s.client.Tenant.Query().Where(tenant.ID(id)).
		Select(tenant.FieldID, tenant.FieldKind, tenant.FieldParentID, tenant.FieldPath, tenant.FieldStatus).
		Only(ctx)
	if ent.IsNotFound(err) || errors.Is(err, privacy.Deny) {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no tenant %s in your reach", id)
	}
	return t, storeErr(err)
}

// resolve finds the subscription that applies to t, a tenant the actor
// reaches. A tenant's own row is read as the actor; an organization's
// customer is above the actor's reach when the actor acts on the
// organization, so the customer's row is read on the privileged path.
func (s *Service) resolve(ctx context.Context, t *ent.Tenant) (Subscription, error) {
	account, rctx := t.ID, ctx
	if t.Kind == tenant.KindOrganization {
		account = accountOf(t)
		rctx = tenants.Privileged(ctx, "billing: an organization's plan is its customer's")
	}
	row, err := s.client.Subscription.Query().Where(subscription.TenantID(account)).Only(rctx)
	if err != nil && !ent.IsNotFound(err) {
		return Subscription{}, storeErr(err)
	}
	out := subscriptionOf(t.ID, row, s.planFor(ctx, accountKind(t), row))
	out.AccountID = account
	if led := s.priceBook(); led != nil && accountKind(t) == tenant.KindCustomer {
		v, ok, err := led.InForce(ctx, account, s.now())
		if err != nil {
			return Subscription{}, err
		}
		if ok {
			out.Plan, out.VersionID = v.Entitlements(), v.ID
		}
	}
	return out, nil
}

// planFor is the plan of an account of the given kind with the given row
// (nil: none), logging a row that names a plan the catalogue lost.
func (s *Service) planFor(ctx context.Context, kind tenant.Kind, row *ent.Subscription) Plan {
	p, known := effectivePlan(kind, row)
	if !known {
		s.log.WarnContext(ctx, "subscription names an unknown plan; the default applies",
			"tenant_id", row.TenantID, "plan", row.Plan, "default", DefaultPlan)
	}
	return p
}

// effectivePlan is the plan of an account (a customer or the provider)
// with subscription row (nil: none). known is false when the row names a
// plan that is not in the catalogue.
func effectivePlan(kind tenant.Kind, row *ent.Subscription) (p Plan, known bool) {
	switch {
	case kind == tenant.KindProvider:
		return mustPlan(ProviderPlan), true
	case row == nil || row.Status != subscription.StatusActive:
		return mustPlan(DefaultPlan), true
	}
	if p, ok := PlanByID(row.Plan); ok {
		return p, true
	}
	return mustPlan(DefaultPlan), false
}

func subscriptionOf(tenantID string, row *ent.Subscription, p Plan) Subscription {
	out := Subscription{TenantID: tenantID, AccountID: tenantID, Plan: p}
	if row != nil {
		out.AccountID, out.ID, out.Status = row.TenantID, row.ID, string(row.Status)
		out.CreatedAt, out.UpdatedAt = row.CreatedAt, row.UpdatedAt
	}
	return out
}

// accountOf is the tenant whose subscription applies to t.
func accountOf(t *ent.Tenant) string {
	if t.Kind == tenant.KindOrganization && t.ParentID != nil {
		return *t.ParentID
	}
	return t.ID
}

func accountKind(t *ent.Tenant) tenant.Kind {
	if t.Kind == tenant.KindOrganization {
		return tenant.KindCustomer
	}
	return t.Kind
}

func parentOf(t *ent.Tenant) string {
	if t.ParentID != nil {
		return *t.ParentID
	}
	return "(none)"
}

func (s *Service) withTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return tenants.WithTx(ctx, s.client, fn)
}

// storeErr maps storage errors like every domain does; see
// tenants.StorageError.
func storeErr(err error) error { return tenants.StorageError(err) }
