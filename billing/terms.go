package billing

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/tenants"
)

// PercentToBP turns a percentage with at most two decimals (12.5, 20,
// 7.25) into basis points; the error names field.
func PercentToBP(field string, percent float64) (int64, error) {
	if math.IsNaN(percent) || math.IsInf(percent, 0) {
		return 0, opsward.FieldErrorf(field, "%s is not a number", field)
	}
	bp := math.Round(percent * 100)
	if math.Abs(percent*100-bp) > 1e-6 {
		return 0, opsward.FieldErrorf(field, "%s has at most two decimals, got %v", field, percent)
	}
	if bp < 0 || bp > 10000 {
		return 0, opsward.FieldErrorf(field, "%s is between 0 and 100, got %v", field, percent)
	}
	return int64(bp), nil
}

// SetTerms sets a customer's contracted discount and tax rate (in basis
// points: 1250 is 12.5 %). They apply to the invoice of the open period
// and every one after; closed invoices keep theirs. Only the provider
// sets them (billing:write); the change and its audit entry commit
// together.
func (s *Service) SetTerms(ctx context.Context, tenantID string, terms Terms) (Account, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingWrite); err != nil {
		return Account{}, err
	}
	a, err := tenants.Require(ctx)
	if err != nil {
		return Account{}, err
	}
	if !a.Provider && !a.IsPrivileged() {
		return Account{}, opsward.Errorf(opsward.EFORBIDDEN, "only the provider sets a customer's discount and tax rate")
	}
	led := s.priceBook()
	if led == nil {
		return Account{}, opsward.Errorf(opsward.EUNAVAILABLE, "billing has no ledger in this process")
	}
	if err := terms.validate(); err != nil {
		return Account{}, err
	}
	t, err := s.tenantInReach(ctx, tenantID)
	if err != nil {
		return Account{}, err
	}
	if t.Kind != tenant.KindCustomer {
		return Account{}, opsward.FieldErrorf("tenantId", "tenant %s is not a customer: only customers have billing accounts", t.ID)
	}
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		res, err := tx.ExecContext(ctx, led.q("UPDATE billing_accounts SET discount_bp = ?, tax_bp = ? WHERE tenant_id = ?"),
			terms.DiscountBP, terms.TaxBP, t.ID)
		if err != nil {
			return storeErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNoAccount(t.ID)
		}
		return s.audit(ctx, tx, tenants.AuditRecord{
			TenantID: t.ID, Action: "billing.terms", TargetID: t.ID,
			Detail: "discount=" + bpString(terms.DiscountBP) + "% tax=" + bpString(terms.TaxBP) + "%",
		})
	})
	if err != nil {
		return Account{}, err
	}
	return led.Account(ctx, t.ID)
}

// Account returns the billing account of a customer in the actor's reach
// (billing:read), with the price version in force now.
func (l *Ledger) Account(ctx context.Context, tenantID string) (Account, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return Account{}, err
	}
	if err := l.inReach(ctx, tenantID); err != nil {
		return Account{}, err
	}
	pctx := tenants.Privileged(ctx, "billing: the account of a tenant in reach")
	acc, err := l.account(pctx, tenantID)
	if err != nil {
		return Account{}, err
	}
	if v, ok, err := l.InForce(pctx, tenantID, l.now()); err != nil {
		return Account{}, err
	} else if ok {
		acc.Version = v
	}
	return acc, nil
}

// OpenPeriod is the account's period in progress.
func (a Account) OpenPeriod() Period { return PeriodAt(a.Anchor, a.Interval, a.PeriodStart) }

// Invoice pages.
const (
	DefaultInvoicePage = 20
	MaxInvoicePage     = 100
)

// InvoicePage returns up to limit invoices of a tenant in the actor's
// reach (billing:read), newest first, after cursor ("" for the first
// page), and the cursor of the next page ("" on the last). A tenant has
// one invoice per period start, so the cursor is the last one's start.
func (l *Ledger) InvoicePage(ctx context.Context, tenantID string, limit int, cursor string) ([]Invoice, string, error) {
	if limit == 0 {
		limit = DefaultInvoicePage
	}
	if limit < 1 || limit > MaxInvoicePage {
		return nil, "", opsward.FieldErrorf("first", "first must be between 1 and %d, got %d", MaxInvoicePage, limit)
	}
	if err := l.invoicesInReach(ctx, tenantID); err != nil {
		return nil, "", err
	}
	cond, args := "", []any(nil)
	if cursor != "" {
		sec, err := strconv.ParseInt(cursor, 36, 64)
		if err != nil {
			return nil, "", opsward.FieldErrorf("after", "the cursor is not one this API gave")
		}
		cond, args = " AND period_start < ?", []any{l.tv(time.Unix(sec, 0))}
	}
	invs, err := l.queryInvoices(ctx, tenantID, cond, limit+1, args...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(invs) > limit {
		invs = invs[:limit]
		next = strconv.FormatInt(invs[limit-1].Period.Start.Unix(), 36)
	}
	return invs, next, nil
}
