package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants"
)

// dbtx is what the ledger's writes need of a transaction: *sql.Tx and
// *ent.Tx both have it, so a write can join the transaction of the work
// it belongs to (a tenant's creation opens its account in the creating
// transaction).
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// versionCache holds every price version the ledger has read. A version
// never changes once written, so an entry never goes stale.
type versionCache struct{ m sync.Map } // id → PriceVersion

func (c *versionCache) get(id string) (PriceVersion, bool) {
	v, ok := c.m.Load(id)
	if !ok {
		return PriceVersion{}, false
	}
	return v.(PriceVersion), true
}

func (c *versionCache) put(v PriceVersion) { c.m.Store(v.ID, v) }

// Entitlements is the plan a price version grants: its limits, or when
// it has none the catalogue's for its plan id (the default plan's for a
// plan id the catalogue does not know), under the version's plan id, with
// its base fee as the monthly price (a yearly fee divided by twelve,
// rounded down).
func (v PriceVersion) Entitlements() Plan {
	var p Plan
	switch c, ok := PlanByID(v.PlanID); {
	case v.Limits != nil:
		p = *v.Limits
		if p.Name == "" && ok {
			p.Name = c.Name
		}
	case ok:
		p = c
	default:
		p = mustPlan(DefaultPlan)
	}
	p.ID = v.PlanID
	if p.Name == "" {
		p.Name = v.PlanID
	}
	p.MonthlyPrice = v.BaseFee
	if v.Interval == Yearly {
		p.MonthlyPrice = v.BaseFee / 12
	}
	return p
}

// Bounds on the limits a price version may grant.
const (
	maxMonitorsLimit    = 1_000_000
	maxWeight           = 1000
	maxConcurrencyLimit = 10_000
	maxRetentionDays    = 3650
	maxEventsPerSecond  = 1_000_000
	minIntervalFloor    = 10 * time.Second
)

// validateLimits checks the limits a price version grants; the error
// names the field under limits.
func validateLimits(p Plan) error {
	switch {
	case p.MaxMonitors < 0 || p.MaxMonitors > maxMonitorsLimit:
		return opsward.FieldErrorf("limits.maxMonitors", "monitors allowed must be between 0 and %d, got %d", maxMonitorsLimit, p.MaxMonitors)
	case p.MinInterval < minIntervalFloor || p.MinInterval > 24*time.Hour:
		return opsward.FieldErrorf("limits.minIntervalSeconds", "the shortest interval must be between %d s and 1 day, got %d s",
			int(minIntervalFloor/time.Second), int(p.MinInterval/time.Second))
	case p.Weight < 1 || p.Weight > maxWeight:
		return opsward.FieldErrorf("limits.weight", "the queue weight must be between 1 and %d, got %d", maxWeight, p.Weight)
	case p.MaxConcurrency < 1 || p.MaxConcurrency > maxConcurrencyLimit:
		return opsward.FieldErrorf("limits.maxConcurrency", "jobs in flight must be between 1 and %d, got %d", maxConcurrencyLimit, p.MaxConcurrency)
	case p.RetentionDays < 1 || p.RetentionDays > maxRetentionDays:
		return opsward.FieldErrorf("limits.retentionDays", "retention must be between 1 and %d days, got %d", maxRetentionDays, p.RetentionDays)
	case p.EventsPerSecond < 0 || p.EventsPerSecond > maxEventsPerSecond:
		return opsward.FieldErrorf("limits.eventsPerSecond", "events per second must be between 0 and %d, got %d", maxEventsPerSecond, p.EventsPerSecond)
	case p.BytesPerDay < 0 || p.BytesPerDay > maxQuantity:
		return opsward.FieldErrorf("limits.bytesPerDay", "bytes per day must be between 0 and %d, got %d", maxQuantity, p.BytesPerDay)
	}
	return nil
}

// versionOf reads a price version through the cache.
func (l *Ledger) versionOf(ctx context.Context, q dbtx, providerID, id string) (PriceVersion, error) {
	if v, ok := l.versions.get(id); ok {
		return v, nil
	}
	rows, err := q.QueryContext(ctx, l.q("SELECT doc FROM price_versions WHERE tenant_id = ? AND id = ?"), providerID, id)
	if err != nil {
		return PriceVersion{}, storeErr(err)
	}
	vs, err := scanVersions(rows)
	if err != nil {
		return PriceVersion{}, err
	}
	if len(vs) == 0 {
		return PriceVersion{}, opsward.FieldErrorf("versionId", "there is no price version %s", id)
	}
	l.versions.put(vs[0])
	return vs[0], nil
}

// InForce returns the price version in force on a customer's account at
// t; ok is false when the tenant has no billing account (an organization,
// the provider, or a customer of a database from before accounts were
// opened with the tenant). System work: it reads on the privileged path,
// and callers answer only for tenants the actor reaches.
func (l *Ledger) InForce(ctx context.Context, tenantID string, t time.Time) (v PriceVersion, ok bool, err error) {
	m, err := l.inForce(ctx, []string{tenantID}, t)
	if err != nil {
		return PriceVersion{}, false, err
	}
	v, ok = m[tenantID]
	return v, ok, nil
}

// inForce returns the version in force at t for each of the tenants that
// has an account, in two queries whatever their number.
func (l *Ledger) inForce(ctx context.Context, tenantIDs []string, t time.Time) (map[string]PriceVersion, error) {
	out := make(map[string]PriceVersion, len(tenantIDs))
	if len(tenantIDs) == 0 {
		return out, nil
	}
	pctx := tenants.Privileged(ctx, "billing: the price versions in force for entitlements")
	args := make([]any, 0, len(tenantIDs)+1)
	marks := make([]byte, 0, 2*len(tenantIDs))
	for i, id := range tenantIDs {
		if i > 0 {
			marks = append(marks, ',')
		}
		marks = append(marks, '?')
		args = append(args, id)
	}
	args = append(args, l.tv(t))
	rows, err := l.db.QueryContext(pctx, l.q(`SELECT p.tenant_id, a.provider_id, p.version_id FROM subscription_phases p
		JOIN billing_accounts a ON a.tenant_id = p.tenant_id
		WHERE p.tenant_id IN (`+string(marks)+`) AND p.starts_at <= ? ORDER BY p.tenant_id, p.starts_at`), args...)
	if err != nil {
		return nil, storeErr(err)
	}
	type ref struct{ provider, version string }
	latest := map[string]ref{}
	for rows.Next() {
		var tenantID string
		var r ref
		if err := rows.Scan(&tenantID, &r.provider, &r.version); err != nil {
			rows.Close()
			return nil, storeErr(err)
		}
		latest[tenantID] = r // ordered by start: the last one seen is in force
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr(err)
	}
	for tenantID, r := range latest {
		v, err := l.versionOf(pctx, l.db, r.provider, r.version)
		if err != nil {
			return nil, err
		}
		out[tenantID] = v
	}
	return out, nil
}

// newestVersion is the id of the newest version of planID in the
// provider's book, "" when the book has no such plan.
func (l *Ledger) newestVersion(ctx context.Context, q dbtx, providerID, planID string) (string, error) {
	rows, err := q.QueryContext(ctx, l.q("SELECT id FROM price_versions WHERE tenant_id = ? AND plan_id = ? ORDER BY version DESC LIMIT 1"),
		providerID, planID)
	if err != nil {
		return "", storeErr(err)
	}
	defer rows.Close()
	var id string
	if rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return "", storeErr(err)
		}
	}
	return id, storeErr(rows.Err())
}

// writeDefaultBook writes the default price book for a provider that has
// none, in q's transaction; it returns how many versions it wrote.
func (l *Ledger) writeDefaultBook(ctx context.Context, q dbtx, providerID string) (int, error) {
	rows, err := q.QueryContext(ctx, l.q("SELECT count(*) FROM price_versions WHERE tenant_id = ?"), providerID)
	if err != nil {
		return 0, storeErr(err)
	}
	var n int
	if rows.Next() {
		err = rows.Scan(&n)
	}
	rows.Close()
	if err != nil {
		return 0, storeErr(err)
	}
	if n > 0 {
		return 0, nil
	}
	for _, v := range DefaultBook() {
		name := v.PlanID
		if p, ok := PlanByID(v.PlanID); ok {
			name = p.Name
		}
		v.Version = 1
		if err := l.insertVersion(ctx, q, providerID, name, &v); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// insertVersion writes v (its Version set by the caller) with a new id.
func (l *Ledger) insertVersion(ctx context.Context, q dbtx, providerID, name string, v *PriceVersion) error {
	v.ID = opsward.NewID(opsward.PrefixPriceVersion)
	doc, err := json.Marshal(v)
	if err != nil {
		return opsward.Internal(err)
	}
	if _, err := q.ExecContext(ctx, l.q("INSERT INTO price_versions (tenant_id, id, plan_id, version, name, doc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
		providerID, v.ID, v.PlanID, v.Version, name, string(doc), l.tv(l.now())); err != nil {
		return storeErr(err)
	}
	return nil
}

// openAccountTx opens a customer's account in q's transaction on the
// newest version of planID in the provider's book, anchored at start. It
// reports false, writing nothing, when the book has no such plan.
func (l *Ledger) openAccountTx(ctx context.Context, q dbtx, tenantID, providerID, planID string, start time.Time, terms Terms) (bool, error) {
	id, err := l.newestVersion(ctx, q, providerID, planID)
	if err != nil || id == "" {
		return false, err
	}
	v, err := l.versionOf(ctx, q, providerID, id)
	if err != nil {
		return false, err
	}
	if err := terms.validate(); err != nil {
		return false, err
	}
	return true, l.insertAccount(ctx, q, tenantID, providerID, v, start, terms)
}

// insertAccount writes a customer's account on version v, anchored and
// starting at start, in q's transaction.
func (l *Ledger) insertAccount(ctx context.Context, q dbtx, tenantID, providerID string, v PriceVersion, start time.Time, terms Terms) error {
	start = start.UTC().Truncate(time.Second)
	if _, err := q.ExecContext(ctx, l.q(`INSERT INTO billing_accounts (tenant_id, provider_id, anchor, billing_interval, currency,
		discount_bp, tax_bp, credit_balance, period_start, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`),
		tenantID, providerID, l.tv(start), string(v.Interval), v.Currency, terms.DiscountBP, terms.TaxBP, l.tv(start), l.tv(l.now())); err != nil {
		return storeErr(err)
	}
	if _, err := q.ExecContext(ctx, l.q("INSERT INTO subscription_phases (tenant_id, starts_at, version_id) VALUES (?, ?, ?)"),
		tenantID, l.tv(start), v.ID); err != nil {
		return storeErr(err)
	}
	return nil
}

// validate checks a customer's discount and tax rate.
func (t Terms) validate() error {
	if t.DiscountBP < 0 || t.DiscountBP > 10000 {
		return opsward.FieldErrorf("discountPercent", "a discount is between 0 and 100 %%, got %s %%", bpString(t.DiscountBP))
	}
	if t.TaxBP < 0 || t.TaxBP > 10000 {
		return opsward.FieldErrorf("taxPercent", "a tax rate is between 0 and 100 %%, got %s %%", bpString(t.TaxBP))
	}
	return nil
}

// errNoAccount names a tenant with no billing account.
func errNoAccount(tenantID string) error {
	return opsward.FieldErrorf("tenantId", "tenant %s has no billing account", tenantID)
}
