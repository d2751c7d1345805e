package billing

import (
	"context"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/subscription"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/tenants"
)

// SetLedger makes the price book the source of entitlements: a customer
// with a billing account gets the limits of the price version in force
// on it, a new provider gets the default price book and a new customer
// an account on the default plan, both in the creating transaction, and
// a plan change moves the account's price phases. Call it before serving.
func (s *Service) SetLedger(l *Ledger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ledger = l
	if l != nil {
		s.now = l.now
	}
}

func (s *Service) priceBook() *Ledger {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ledger
}

// rootOf is the provider above a tenant: the first id of its path.
func rootOf(t *ent.Tenant) string {
	root, _, _ := strings.Cut(strings.TrimPrefix(t.Path, "/"), "/")
	return root
}

// changeToPlan is ChangePlan for a customer with a billing account: the
// account moves to the newest version of the plan in the provider's
// book, at once and prorated by the second. done is false when the
// customer has no account (the catalogue's plan applies, as before
// accounts).
func (s *Service) changeToPlan(ctx context.Context, led *Ledger, t *ent.Tenant, to Plan) (sub Subscription, done bool, err error) {
	pctx := tenants.Privileged(ctx, "billing: the price book of a customer in reach")
	cur, ok, err := led.InForce(pctx, t.ID, s.now())
	if err != nil || !ok {
		return Subscription{}, false, err
	}
	id, err := led.newestVersion(pctx, led.db, rootOf(t), to.ID)
	if err != nil {
		return Subscription{}, true, err
	}
	if id == "" {
		return Subscription{}, true, opsward.FieldErrorf("plan", "the price book has no plan %q", to.ID)
	}
	if cur.ID != id { // on that version already: nothing to change
		if _, err := s.ChangePriceVersion(ctx, ChangeRequest{TenantID: t.ID, VersionID: id, Now: true}); err != nil {
			return Subscription{}, true, err
		}
	}
	sub, err = s.resolve(ctx, t)
	return sub, true, err
}

// ChangePriceVersion moves a customer's account to a price version
// (billing:write): an upgrade takes effect at once, a downgrade at the end
// of the open period unless r.Now, and the preview says what it costs. A
// version whose limits cannot hold the customer's monitors, or in another
// currency or interval, is refused and nothing is written. The phases,
// the subscription row (for a change in force now) and the audit entry
// commit together; the plan-change listeners (dispatch's weights and
// caps) run after the commit for a change in force now, and a scheduled
// downgrade reaches them through the periodic rebuild once it starts.
func (s *Service) ChangePriceVersion(ctx context.Context, r ChangeRequest) (ChangePreview, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingWrite); err != nil {
		return ChangePreview{}, err
	}
	led := s.priceBook()
	if led == nil {
		return ChangePreview{}, opsward.Errorf(opsward.EUNAVAILABLE, "billing has no price book in this process")
	}
	t, err := s.tenantInReach(ctx, r.TenantID)
	if err != nil {
		return ChangePreview{}, err
	}
	if t.Kind != tenant.KindCustomer {
		return ChangePreview{}, opsward.FieldErrorf("tenantId", "tenant %s is not a customer: only customers have billing accounts", t.ID)
	}
	pv, acc, err := led.plan(ctx, r)
	if err != nil {
		return ChangePreview{}, err
	}
	now := !pv.EffectiveAt.After(led.now())
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		// Touch the account first: on Postgres that locks it, so two
		// changes of one customer take turns.
		if _, err := tx.ExecContext(ctx, led.q("UPDATE billing_accounts SET credit_balance = credit_balance WHERE tenant_id = ?"), acc.TenantID); err != nil {
			return storeErr(err)
		}
		if _, err := tx.ExecContext(ctx, led.q("DELETE FROM subscription_phases WHERE tenant_id = ? AND starts_at >= ?"),
			acc.TenantID, led.tv(pv.EffectiveAt)); err != nil {
			return storeErr(err)
		}
		if _, err := tx.ExecContext(ctx, led.q("INSERT INTO subscription_phases (tenant_id, starts_at, version_id) VALUES (?, ?, ?)"),
			acc.TenantID, led.tv(pv.EffectiveAt), pv.To.ID); err != nil {
			return storeErr(err)
		}
		if now {
			n, err := tx.Subscription.Update().Where(subscription.TenantID(t.ID)).
				SetPlan(pv.To.PlanID).SetStatus(subscription.StatusActive).Save(ctx)
			if err != nil {
				return storeErr(err)
			}
			if n == 0 {
				if _, err := tx.Subscription.Create().SetTenantID(t.ID).SetPlan(pv.To.PlanID).Save(ctx); err != nil {
					return storeErr(err)
				}
			}
		}
		return s.audit(ctx, tx, tenants.AuditRecord{
			TenantID: t.ID, Action: "billing.plan_change", TargetID: pv.To.ID,
			Detail: "from=" + pv.From.ID + " to=" + pv.To.ID + " plan=" + pv.To.PlanID +
				" effective=" + pv.EffectiveAt.UTC().Format(time.RFC3339),
		})
	})
	if err != nil {
		return ChangePreview{}, err
	}
	s.log.InfoContext(ctx, "price version changed", "tenant_id", t.ID, "version", pv.To.ID, "plan", pv.To.PlanID,
		"effective", pv.EffectiveAt)
	if now {
		s.notify(ctx, t, pv.To.Entitlements())
	}
	return pv, nil
}
