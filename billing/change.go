package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants"
)

// ChangeRequest moves a customer to another price version.
type ChangeRequest struct {
	TenantID  string
	VersionID string
	// Now applies a downgrade at once instead of at the period's end.
	Now bool
}

// ChangePreview is what a change would do, before it is made.
type ChangePreview struct {
	From, To    PriceVersion
	Upgrade     bool
	EffectiveAt time.Time
	// Lines are the base fees of the open period after the change (one
	// prorated line per version); Delta is what they cost more (or less,
	// negative) than the period's base fee without the change. Usage is
	// rated at the close on whichever version was in force when it
	// happened.
	Lines []Line
	Delta int64
}

// PreviewChange computes a plan change without making it (billing:read).
func (l *Ledger) PreviewChange(ctx context.Context, r ChangeRequest) (ChangePreview, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return ChangePreview{}, err
	}
	pv, _, err := l.plan(ctx, r)
	return pv, err
}

// plan works a change out: the account, the version in force now, the
// target and when it takes effect.
func (l *Ledger) plan(ctx context.Context, r ChangeRequest) (ChangePreview, Account, error) {
	if err := l.inReach(ctx, r.TenantID); err != nil {
		return ChangePreview{}, Account{}, err
	}
	pctx := tenants.Privileged(ctx, "billing: the account and price book of a tenant in reach")
	acc, err := l.account(pctx, r.TenantID)
	if err != nil {
		return ChangePreview{}, Account{}, err
	}
	to, err := l.version(pctx, acc.ProviderID, r.VersionID)
	if err != nil {
		return ChangePreview{}, Account{}, err
	}
	phases, err := l.phases(pctx, l.db, acc, map[string]PriceVersion{})
	if err != nil {
		return ChangePreview{}, Account{}, err
	}
	now := l.now().UTC().Truncate(time.Second)
	p := PeriodAt(acc.Anchor, acc.Interval, now)
	if p.Start.Before(acc.PeriodStart) {
		p = PeriodAt(acc.Anchor, acc.Interval, acc.PeriodStart)
	}
	var from PriceVersion
	for _, ph := range phases {
		if !ph.From.After(now) {
			from = ph.Version
		}
	}
	switch {
	case to.Currency != acc.Currency:
		return ChangePreview{}, acc, opsward.FieldErrorf("versionId", "version %s is priced in %s and the account bills in %s", to.ID, to.Currency, acc.Currency)
	case to.Interval != acc.Interval:
		return ChangePreview{}, acc, opsward.FieldErrorf("versionId", "version %s bills every %s and the account every %s", to.ID, to.Interval, acc.Interval)
	case to.ID == from.ID:
		return ChangePreview{}, acc, opsward.FieldErrorf("versionId", "the customer is on version %s already", to.ID)
	}
	if to.Limits != nil && l.monitors != nil {
		n, err := l.monitors(tenants.Privileged(ctx, "billing: monitor count before a plan change"), acc.TenantID)
		if err != nil {
			return ChangePreview{}, acc, opsward.Internal(fmt.Errorf("count monitors of %s: %w", acc.TenantID, err))
		}
		if n > to.Limits.MaxMonitors {
			return ChangePreview{}, acc, &opsward.Error{Code: opsward.ELIMIT, Field: "versionId", Message: fmt.Sprintf(
				"plan %s allows %d monitors and tenant %s has %d: remove %d before moving", to.PlanID, to.Limits.MaxMonitors, acc.TenantID, n, n-to.Limits.MaxMonitors)}
		}
	}
	pv := ChangePreview{From: from, To: to, Upgrade: to.BaseFee > from.BaseFee, EffectiveAt: now}
	if !pv.Upgrade && !r.Now {
		pv.EffectiveAt = p.End
	}
	if !pv.EffectiveAt.After(p.Start) {
		pv.EffectiveAt = p.Start
	}
	before := SegmentsOf(p, phases)
	var kept []Phase
	for _, ph := range phases {
		if ph.From.Before(pv.EffectiveAt) {
			kept = append(kept, ph)
		}
	}
	after := SegmentsOf(p, append(kept, Phase{Version: to, From: pv.EffectiveAt}))
	fee := func(segs []Segment) ([]Line, int64, error) {
		var lines []Line
		var sum int64
		for _, s := range segs {
			s.Version.Components, s.Version.MinimumCommitment = nil, 0
			ls, err := rateSegment(p, p.seconds(), s, nil, false)
			if err != nil {
				return nil, 0, err
			}
			lines = append(lines, ls...)
			for _, l := range ls {
				sum += l.Amount
			}
		}
		return lines, sum, nil
	}
	_, was, err := fee(before)
	if err != nil {
		return ChangePreview{}, acc, err
	}
	lines, will, err := fee(after)
	if err != nil {
		return ChangePreview{}, acc, err
	}
	pv.Lines, pv.Delta = lines, will-was
	return pv, acc, nil
}

func (l *Ledger) account(ctx context.Context, tenantID string) (Account, error) {
	acc := Account{TenantID: tenantID}
	var iv string
	err := l.db.QueryRowContext(ctx, l.q(`SELECT provider_id, anchor, billing_interval, currency, discount_bp, tax_bp, credit_balance, period_start
		FROM billing_accounts WHERE tenant_id = ?`), tenantID).Scan(&acc.ProviderID, scanTime{&acc.Anchor}, &iv, &acc.Currency,
		&acc.Terms.DiscountBP, &acc.Terms.TaxBP, &acc.Credit, scanTime{&acc.PeriodStart})
	if opsward.ErrorCode(sqlErr(err)) == opsward.ENOTFOUND {
		return acc, opsward.FieldErrorf("tenantId", "tenant %s has no billing account", tenantID)
	}
	acc.Interval = Interval(iv)
	return acc, sqlErr(err)
}
