package graph

import (
	"context"
	"math"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/graph/model"
)

func planModel(p billing.Plan) *model.Plan {
	return &model.Plan{
		ID: p.ID, Name: p.Name, MaxMonitors: p.MaxMonitors,
		MinIntervalSeconds: int(p.MinInterval.Seconds()), Weight: p.Weight, MaxConcurrency: p.MaxConcurrency,
		RetentionDays: p.RetentionDays, EventsPerSecond: p.EventsPerSecond, BytesPerDay: float64(p.BytesPerDay),
		MonthlyPrice: &model.Money{Amount: int(p.MonthlyPrice), Currency: billing.Currency},
	}
}

func subscriptionModel(s billing.Subscription) *model.TenantSubscription {
	return &model.TenantSubscription{
		TenantID: s.TenantID, AccountID: s.AccountID, Plan: planModel(s.Plan),
		Inherited: s.Inherited(), Status: s.Status,
	}
}

func priceVersionInput(in model.PriceVersionInput) (billing.PriceVersion, error) {
	v := billing.PriceVersion{PlanID: in.PlanID, Currency: in.Currency, Interval: billing.Interval(in.Interval),
		BaseFee: int64(in.BaseFee), MinimumCommitment: int64(intOr(in.MinimumCommitment, 0))}
	if l := in.Limits; l != nil {
		if l.BytesPerDay != math.Trunc(l.BytesPerDay) || math.Abs(l.BytesPerDay) > 1<<53 {
			return v, opsward.FieldErrorf("limits.bytesPerDay", "bytes per day is a whole number up to 2^53, got %v", l.BytesPerDay)
		}
		v.Limits = &billing.Plan{MaxMonitors: l.MaxMonitors, MinInterval: time.Duration(l.MinIntervalSeconds) * time.Second,
			Weight: l.Weight, MaxConcurrency: l.MaxConcurrency, RetentionDays: l.RetentionDays,
			EventsPerSecond: l.EventsPerSecond, BytesPerDay: int64(l.BytesPerDay)}
	}
	for _, c := range in.Components {
		comp := billing.Component{Meter: billing.Meter(c.Meter), Aggregation: billing.Aggregation(c.Aggregation), Model: billing.ChargeModel(c.Model),
			Unit:        billing.Price{Amount: int64(intOr(c.UnitAmount, 0)), Per: int64(intOr(c.Per, 1))},
			PackageSize: int64(intOr(c.PackageSize, 0)), PackageAmount: int64(intOr(c.PackageAmount, 0)), FreeUnits: int64(intOr(c.FreeUnits, 0))}
		for _, t := range c.Tiers {
			comp.Tiers = append(comp.Tiers, billing.Tier{UpTo: int64(intOr(t.UpTo, 0)),
				Unit: billing.Price{Amount: int64(t.UnitAmount), Per: int64(intOr(t.Per, 1))}, Flat: int64(intOr(t.Flat, 0))})
		}
		v.Components = append(v.Components, comp)
	}
	return v, nil
}

func accountModel(a billing.Account) *model.BillingAccount {
	p := a.OpenPeriod()
	out := &model.BillingAccount{TenantID: a.TenantID, Currency: a.Currency, Interval: string(a.Interval), Anchor: a.Anchor,
		PeriodStart: p.Start, PeriodEnd: p.End, DiscountPercent: float64(a.Terms.DiscountBP) / 100, TaxPercent: float64(a.Terms.TaxBP) / 100,
		CreditBalance: int(a.Credit)}
	if a.Version.ID != "" {
		out.Version = priceVersionModel(a.Version)
	}
	return out
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func priceVersionModel(v billing.PriceVersion) *model.PriceVersion {
	out := &model.PriceVersion{ID: v.ID, PlanID: v.PlanID, Version: v.Version, Currency: v.Currency, Interval: string(v.Interval),
		BaseFee: int(v.BaseFee), MinimumCommitment: int(v.MinimumCommitment), Components: []*model.PriceComponent{}}
	if v.Limits != nil {
		lim := *v.Limits
		lim.ID, lim.MonthlyPrice = v.PlanID, v.BaseFee
		out.Limits = planModel(lim)
		out.Limits.MonthlyPrice.Currency = v.Currency
	}
	for _, c := range v.Components {
		mc := &model.PriceComponent{Meter: string(c.Meter), Aggregation: string(c.Aggregation), Model: string(c.Model),
			UnitAmount: int(c.Unit.Amount), Per: int(max(c.Unit.Per, 1)), PackageSize: int(c.PackageSize), PackageAmount: int(c.PackageAmount),
			FreeUnits: int(c.FreeUnits), Tiers: []*model.PriceTier{}}
		for _, t := range c.Tiers {
			mt := &model.PriceTier{UnitAmount: int(t.Unit.Amount), Per: int(t.Unit.Per), Flat: int(t.Flat)}
			if t.UpTo != 0 {
				u := int(t.UpTo)
				mt.UpTo = &u
			}
			mc.Tiers = append(mc.Tiers, mt)
		}
		out.Components = append(out.Components, mc)
	}
	return out
}

func lineModels(ls []billing.Line) []*model.InvoiceLine {
	out := make([]*model.InvoiceLine, 0, len(ls))
	for _, l := range ls {
		ml := &model.InvoiceLine{Kind: string(l.Kind), Description: l.Description, From: l.From, To: l.To,
			Quantity: int(l.Quantity), FreeUnits: int(l.FreeUnits), UnitAmount: int(l.Unit.Amount), Per: int(max(l.Unit.Per, 1)),
			Amount: int(l.Amount), Late: l.Late, Tiers: []*model.InvoiceTier{}}
		if l.Meter != "" {
			m := string(l.Meter)
			ml.Meter = &m
		}
		if l.VersionID != "" {
			v := l.VersionID
			ml.VersionID = &v
		}
		for _, t := range l.Tiers {
			mt := &model.InvoiceTier{From: int(t.From), Units: int(t.Units), UnitAmount: int(t.Unit.Amount), Per: int(max(t.Unit.Per, 1)), Flat: int(t.Flat)}
			if t.To != 0 {
				to := int(t.To)
				mt.To = &to
			}
			ml.Tiers = append(ml.Tiers, mt)
		}
		out = append(out, ml)
	}
	return out
}

func invoiceModel(inv billing.Invoice) *model.Invoice {
	return &model.Invoice{ID: inv.ID, TenantID: inv.TenantID, Number: int(inv.Number), Status: inv.Status, Currency: inv.Currency,
		PeriodStart: inv.Period.Start, PeriodEnd: inv.Period.End, Subtotal: int(inv.Subtotal), Discount: int(inv.Discount),
		Tax: int(inv.Tax), Credit: int(inv.Credit), Total: int(inv.Total), Credited: int(inv.Credited), Lines: lineModels(inv.Lines)}
}

func previewModel(pv billing.ChangePreview) *model.PlanChangePreview {
	return &model.PlanChangePreview{FromVersionID: pv.From.ID, ToVersionID: pv.To.ID, Upgrade: pv.Upgrade,
		EffectiveAt: pv.EffectiveAt, Lines: lineModels(pv.Lines), Delta: int(pv.Delta)}
}

// pageArgs is a connection's arguments as billing takes them: the cursors
// are the billing package's own, carried in the Cursor scalar's id, and
// the total is counted only when the query asks for it.
func pageArgs(ctx context.Context, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int) billing.PageArgs {
	a := billing.PageArgs{First: first, Last: last, Count: selects(ctx, "totalCount")}
	if after != nil {
		a.After = after.ID
	}
	if before != nil {
		a.Before = before.ID
	}
	return a
}

// selects reports whether the field being resolved selects child.
func selects(ctx context.Context, child string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == child {
			return true
		}
	}
	return false
}

// pageInfo is a page's Relay page info from its cursors.
func pageInfo(cursors []string, hasNext, hasPrevious bool) *entgql.PageInfo[string] {
	pi := &entgql.PageInfo[string]{HasNextPage: hasNext, HasPreviousPage: hasPrevious}
	if n := len(cursors); n > 0 {
		pi.StartCursor = &entgql.Cursor[string]{ID: cursors[0]}
		pi.EndCursor = &entgql.Cursor[string]{ID: cursors[n-1]}
	}
	return pi
}
