package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// LedgerConfig tunes the ledger.
type LedgerConfig struct {
	// Grace is how long after a period's end late usage still goes into
	// that period's invoice. Default 1 hour.
	Grace time.Duration
	// Clock is the time source (tests set it). Default time.Now.
	Clock func() time.Time
}

// WithDefaults fills unset fields.
func (c LedgerConfig) WithDefaults() LedgerConfig {
	if c.Grace == 0 {
		c.Grace = time.Hour
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Validate reports a setting that cannot work.
func (c LedgerConfig) Validate() error {
	if c.Grace < 0 || c.Grace > 7*24*time.Hour {
		return fmt.Errorf("billing grace period %s is not between 0 and 7 days", c.Grace)
	}
	return nil
}

// Ledger is the price book, each customer's billing account and price
// phases, and the invoices: the period-close job rates usage into them.
type Ledger struct {
	cfg   LedgerConfig
	db    *sql.DB
	usage *UsageStore
	log   *slog.Logger
	now   func() time.Time

	// monitors counts a customer's monitors for plan changes; nil: no
	// check (no NOC in this process).
	monitors MonitorCounter
	versions versionCache
}

// SetMonitorCounter registers the NOC's monitor count. Call it before
// serving: it is not synchronized with plan changes.
func (l *Ledger) SetMonitorCounter(c MonitorCounter) { l.monitors = c }

// NewLedger returns the ledger on the application's pool.
func NewLedger(db *platform.Database, cfg LedgerConfig, log *slog.Logger) (*Ledger, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Ledger{cfg: cfg, db: db.DB, usage: NewUsageStore(db), log: log, now: cfg.Clock}, nil
}

// Usage is the ledger's usage store.
func (l *Ledger) Usage() *UsageStore { return l.usage }

func (l *Ledger) q(s string) string  { return l.usage.q(s) }
func (l *Ledger) tv(t time.Time) any { return l.usage.tv(t) }

// DefaultBook is the price book an empty database starts with: today's
// three plans, monthly, in euros, with their limits and list prices.
func DefaultBook() []PriceVersion {
	var out []PriceVersion
	for _, p := range catalogue {
		limits := p
		out = append(out, PriceVersion{PlanID: p.ID, Version: 1, Currency: Currency, Interval: Monthly, BaseFee: p.MonthlyPrice, Limits: &limits,
			Components: []Component{
				{Meter: MeterSecurityBytes, Aggregation: AggSum, Model: ModelPackage, PackageSize: gib, PackageAmount: 50,
					FreeUnits: p.BytesPerDay * 30},
				{Meter: MeterComplianceReports, Aggregation: AggCount, Model: ModelPerUnit, Unit: Price{Amount: 500, Per: 1}, FreeUnits: 5},
			}})
	}
	return out
}

// EnsureDefaultBook writes the default price book for providerID when it
// has no price version yet, and returns how many versions it wrote. It is
// system work (start-up), on the privileged path.
func (l *Ledger) EnsureDefaultBook(ctx context.Context, providerID string) (int, error) {
	pctx := tenants.Privileged(ctx, "billing: the default price book")
	tx, err := l.db.BeginTx(pctx, nil)
	if err != nil {
		return 0, storeErr(err)
	}
	defer tx.Rollback()
	n, err := l.writeDefaultBook(pctx, tx, providerID)
	if err != nil {
		return 0, err
	}
	return n, storeErr(tx.Commit())
}

// AddPriceVersion writes the next version of a plan's prices for the
// provider in ctx (the MSP; billing:write). Running subscriptions stay on
// the version they have until moved.
func (l *Ledger) AddPriceVersion(ctx context.Context, name string, v PriceVersion) (PriceVersion, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingWrite); err != nil {
		return PriceVersion{}, err
	}
	a, err := tenants.Require(ctx)
	if err != nil {
		return PriceVersion{}, err
	}
	if !a.Provider {
		return PriceVersion{}, opsward.Errorf(opsward.EFORBIDDEN, "only the provider edits the price book")
	}
	return l.addVersion(ctx, a.TenantID, name, v)
}

func (l *Ledger) addVersion(ctx context.Context, providerID, name string, v PriceVersion) (PriceVersion, error) {
	if v.PlanID == "" || len(v.PlanID) > 40 {
		return PriceVersion{}, opsward.FieldErrorf("planId", "a plan id has 1 to 40 characters")
	}
	if name == "" || len(name) > 100 {
		return PriceVersion{}, opsward.FieldErrorf("name", "a plan name has 1 to 100 characters")
	}
	if err := v.Validate(); err != nil {
		return PriceVersion{}, err
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return PriceVersion{}, storeErr(err)
	}
	defer tx.Rollback()
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, l.q("SELECT max(version) FROM price_versions WHERE tenant_id = ? AND plan_id = ?"),
		providerID, v.PlanID).Scan(&last); err != nil {
		return PriceVersion{}, storeErr(err)
	}
	if last.Valid {
		var prev PriceVersion
		if err := l.scanVersion(tx.QueryRowContext(ctx, l.q("SELECT doc FROM price_versions WHERE tenant_id = ? AND plan_id = ? AND version = ?"),
			providerID, v.PlanID, last.Int64), &prev); err != nil {
			return PriceVersion{}, err
		}
		if prev.Currency != v.Currency {
			return PriceVersion{}, opsward.FieldErrorf("currency", "plan %s is priced in %s: a new version cannot change it to %s", v.PlanID, prev.Currency, v.Currency)
		}
	}
	v.Version = int(last.Int64) + 1
	if err := l.insertVersion(ctx, tx, providerID, name, &v); err != nil {
		return PriceVersion{}, err
	}
	return v, storeErr(tx.Commit())
}

func (l *Ledger) scanVersion(row *sql.Row, v *PriceVersion) error {
	var doc string
	if err := row.Scan(&doc); err != nil {
		return sqlErr(err)
	}
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return opsward.Internal(fmt.Errorf("price version document: %w", err))
	}
	return nil
}

// PriceBook lists the provider's price versions, newest version of each
// plan last.
func (l *Ledger) PriceBook(ctx context.Context, providerID string) ([]PriceVersion, error) {
	rows, err := l.db.QueryContext(ctx, l.q("SELECT doc FROM price_versions WHERE tenant_id = ? ORDER BY plan_id, version"), providerID)
	if err != nil {
		return nil, storeErr(err)
	}
	return scanVersions(rows)
}

// Account is a customer's billing account.
type Account struct {
	TenantID, ProviderID string
	Anchor               time.Time
	Interval             Interval
	Currency             string
	Terms                Terms
	Credit               int64
	PeriodStart          time.Time // the open period
	// Version is the price version in force now, as Account reads it.
	Version PriceVersion
}

// OpenAccount starts billing a customer on a price version from start,
// which is also its billing anchor. System work (onboarding), privileged.
func (l *Ledger) OpenAccount(ctx context.Context, tenantID, providerID, versionID string, start time.Time, terms Terms) error {
	pctx := tenants.Privileged(ctx, "billing: open an account")
	v, err := l.version(pctx, providerID, versionID)
	if err != nil {
		return err
	}
	if err := terms.validate(); err != nil {
		return err
	}
	tx, err := l.db.BeginTx(pctx, nil)
	if err != nil {
		return storeErr(err)
	}
	defer tx.Rollback()
	if err := l.insertAccount(pctx, tx, tenantID, providerID, v, start, terms); err != nil {
		return err
	}
	return storeErr(tx.Commit())
}

func (l *Ledger) version(ctx context.Context, providerID, id string) (PriceVersion, error) {
	return l.versionOf(ctx, l.db, providerID, id)
}

// Invoice is a stored invoice.
type Invoice struct {
	ID, TenantID, ProviderID string
	Number                   int64 // 0 while a draft
	Status                   string
	Draft
	// Credited is the sum of the invoice's credit notes; Total minus
	// Credited is what is still due.
	Credited  int64
	CreatedAt time.Time
}

// Invoice statuses.
const (
	StatusDraft         = "draft"
	StatusFinalized     = "finalized"
	StatusPaid          = "paid"
	StatusVoid          = "void"
	StatusUncollectible = "uncollectible"
)

// CloseDue closes every period that ended at least the grace period
// before now: its usage is rated into an invoice, finalized with the
// provider's next number, and the account moves to the next period. A
// period that closed already is not closed again (one invoice per tenant
// and period start), so the job may run on several schedulers at once or
// be retried. It is system work, on the privileged path. It returns the
// invoices written.
func (l *Ledger) CloseDue(ctx context.Context, now time.Time) (int, error) {
	pctx := tenants.Privileged(ctx, "billing: period close")
	rows, err := l.db.QueryContext(pctx, "SELECT tenant_id, provider_id, anchor, billing_interval, period_start FROM billing_accounts")
	if err != nil {
		return 0, storeErr(err)
	}
	type due struct {
		tenant, provider string
		anchor, start    time.Time
		iv               Interval
	}
	var dues []due
	for rows.Next() {
		var d due
		var iv string
		if err := rows.Scan(&d.tenant, &d.provider, scanTime{&d.anchor}, &iv, scanTime{&d.start}); err != nil {
			rows.Close()
			return 0, storeErr(err)
		}
		d.iv = Interval(iv)
		if !PeriodAt(d.anchor, d.iv, d.start).End.Add(l.cfg.Grace).After(now) {
			dues = append(dues, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, storeErr(err)
	}
	versions := map[string]PriceVersion{} // immutable: one read per close run
	closed := 0
	for _, d := range dues {
		for {
			n, err := l.closeOne(pctx, d.tenant, now, versions)
			if err != nil {
				l.log.ErrorContext(ctx, "close billing period", "tenant_id", d.tenant, "err", err)
				break
			}
			if n == 0 {
				break
			}
			closed += n
		}
	}
	return closed, nil
}

// closeOne closes the tenant's open period when it is due, in one
// transaction; 0 when nothing was due.
func (l *Ledger) closeOne(ctx context.Context, tenantID string, now time.Time, versions map[string]PriceVersion) (int, error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, storeErr(err)
	}
	defer tx.Rollback()
	// Touch the account first: on Postgres that locks it, so two closers
	// take turns and the second finds the period moved on.
	if _, err := tx.ExecContext(ctx, l.q("UPDATE billing_accounts SET credit_balance = credit_balance WHERE tenant_id = ?"), tenantID); err != nil {
		return 0, storeErr(err)
	}
	var acc Account
	var iv string
	if err := tx.QueryRowContext(ctx, l.q(`SELECT provider_id, anchor, billing_interval, currency, discount_bp, tax_bp, credit_balance, period_start
		FROM billing_accounts WHERE tenant_id = ?`), tenantID).Scan(&acc.ProviderID, scanTime{&acc.Anchor}, &iv, &acc.Currency,
		&acc.Terms.DiscountBP, &acc.Terms.TaxBP, &acc.Credit, scanTime{&acc.PeriodStart}); err != nil {
		return 0, storeErr(err)
	}
	acc.TenantID, acc.Interval = tenantID, Interval(iv)
	p := PeriodAt(acc.Anchor, acc.Interval, acc.PeriodStart)
	closeAt := p.End.Add(l.cfg.Grace)
	if closeAt.After(now) {
		return 0, nil
	}
	phases, err := l.phases(ctx, tx, acc, versions)
	if err != nil {
		return 0, err
	}
	unbilled, err := l.usage.unbilled(ctx, tx, tenantID, p.End, closeAt)
	if err != nil {
		return 0, err
	}
	var qerr error
	billedOf := func(lp Period) []UsageEvent {
		evs, err := l.usage.billed(ctx, tx, tenantID, lp.Start, lp.End)
		if err != nil && qerr == nil {
			qerr = err
		}
		return evs
	}
	in, _ := CloseInput(p, closeAt, acc.Interval, acc.Anchor, unbilled, billedOf, phases, acc.Terms, acc.Credit)
	if qerr != nil {
		return 0, qerr
	}
	d, err := Rate(in)
	if err != nil {
		return 0, err
	}
	id := opsward.NewID(opsward.PrefixInvoice)
	var number int64
	if err := tx.QueryRowContext(ctx, l.q(`INSERT INTO invoice_numbers (tenant_id, last) VALUES (?, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET last = invoice_numbers.last + 1 RETURNING last`), acc.ProviderID).Scan(&number); err != nil {
		return 0, storeErr(err)
	}
	lines, err := json.Marshal(d.Lines)
	if err != nil {
		return 0, opsward.Internal(err)
	}
	at := l.tv(now)
	if _, err := tx.ExecContext(ctx, l.q(`INSERT INTO invoices (tenant_id, id, provider_id, number, status, currency, period_start, period_end,
		subtotal, discount, tax, credit, total, lines, created_at, finalized_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		tenantID, id, acc.ProviderID, number, StatusFinalized, d.Currency, l.tv(p.Start), l.tv(p.End),
		d.Subtotal, d.Discount, d.Tax, d.Credit, d.Total, string(lines), at, at); err != nil {
		return 0, storeErr(err)
	}
	if _, err := l.usage.markBilled(ctx, tx, tenantID, id, p.End, closeAt); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, l.q("UPDATE billing_accounts SET period_start = ?, credit_balance = credit_balance - ? WHERE tenant_id = ?"),
		l.tv(p.End), d.Credit, tenantID); err != nil {
		return 0, storeErr(err)
	}
	if err := tx.Commit(); err != nil {
		return 0, storeErr(err)
	}
	return 1, nil
}

func (l *Ledger) phases(ctx context.Context, q querier, acc Account, versions map[string]PriceVersion) ([]Phase, error) {
	rows, err := q.QueryContext(ctx, l.q("SELECT starts_at, version_id FROM subscription_phases WHERE tenant_id = ? ORDER BY starts_at"), acc.TenantID)
	if err != nil {
		return nil, storeErr(err)
	}
	type ph struct {
		at time.Time
		id string
	}
	var raw []ph
	for rows.Next() {
		var p ph
		if err := rows.Scan(scanTime{&p.at}, &p.id); err != nil {
			rows.Close()
			return nil, storeErr(err)
		}
		raw = append(raw, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr(err)
	}
	out := make([]Phase, 0, len(raw))
	for _, p := range raw {
		v, ok := versions[p.id]
		if !ok {
			var err error
			if v, err = l.version(ctx, acc.ProviderID, p.id); err != nil {
				return nil, err
			}
			versions[p.id] = v
		}
		out = append(out, Phase{Version: v, From: p.at})
	}
	return out, nil
}

// Invoices lists every invoice of a tenant in the actor's reach, newest
// first. It needs billing:read; a customer sees only its own. Lists for
// people page through InvoicePage.
func (l *Ledger) Invoices(ctx context.Context, tenantID string) ([]Invoice, error) {
	if err := l.invoicesInReach(ctx, tenantID); err != nil {
		return nil, err
	}
	return l.queryInvoices(ctx, tenantID, "", 0)
}

func (l *Ledger) invoicesInReach(ctx context.Context, tenantID string) error {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return err
	}
	return l.inReach(ctx, tenantID)
}

// queryInvoices reads a tenant's invoices, newest first, those matching
// the extra condition cond (on the invoices' columns, with args), at most
// limit (0: all).
func (l *Ledger) queryInvoices(ctx context.Context, tenantID, cond string, limit int, args ...any) ([]Invoice, error) {
	query := `SELECT id, provider_id, coalesce(number, 0), status, currency, period_start, period_end,
		subtotal, discount, tax, credit, total, lines, created_at, credited FROM invoices WHERE tenant_id = ?` + cond + ` ORDER BY period_start DESC`
	if limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := l.db.QueryContext(ctx, l.q(query), append([]any{tenantID}, args...)...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	out := []Invoice{}
	for rows.Next() {
		inv := Invoice{TenantID: tenantID}
		var lines string
		if err := rows.Scan(&inv.ID, &inv.ProviderID, &inv.Number, &inv.Status, &inv.Currency, scanTime{&inv.Period.Start}, scanTime{&inv.Period.End},
			&inv.Subtotal, &inv.Discount, &inv.Tax, &inv.Credit, &inv.Total, &lines, scanTime{&inv.CreatedAt}, &inv.Credited); err != nil {
			return nil, storeErr(err)
		}
		if err := json.Unmarshal([]byte(lines), &inv.Lines); err != nil {
			return nil, opsward.Internal(err)
		}
		out = append(out, inv)
	}
	return out, storeErr(rows.Err())
}

// SetStatus moves a finalized invoice to paid, void or uncollectible
// (billing:write; the provider only).
func (l *Ledger) SetStatus(ctx context.Context, tenantID, invoiceID, status string) error {
	if err := tenants.Authorize(ctx, tenants.PermBillingWrite); err != nil {
		return err
	}
	a, err := tenants.Require(ctx)
	if err != nil {
		return err
	}
	if !a.Provider && !a.IsPrivileged() {
		return opsward.Errorf(opsward.EFORBIDDEN, "only the provider settles invoices")
	}
	switch status {
	case StatusPaid, StatusVoid, StatusUncollectible:
	default:
		return opsward.FieldErrorf("status", "an invoice moves to paid, void or uncollectible, not %q", status)
	}
	if err := l.inReach(ctx, tenantID); err != nil {
		return err
	}
	res, err := l.db.ExecContext(ctx, l.q("UPDATE invoices SET status = ?, settled_at = ? WHERE tenant_id = ? AND id = ? AND status = ?"),
		status, l.tv(l.now()), tenantID, invoiceID, StatusFinalized)
	if err != nil {
		return storeErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return opsward.Errorf(opsward.ECONFLICT, "invoice %s is not a finalized invoice of %s", invoiceID, tenantID)
	}
	return nil
}

// inReach checks that the actor reaches the tenant; on SQLite there is no
// row-level security, so this is the tenant filter of every read.
func (l *Ledger) inReach(ctx context.Context, tenantID string) error {
	a, err := tenants.Require(ctx)
	if err != nil {
		return err
	}
	if a.IsPrivileged() {
		return nil
	}
	var path string
	err = l.db.QueryRowContext(tenants.Privileged(ctx, "billing: the path of a tenant asked about"),
		l.q("SELECT path FROM tenants WHERE id = ?"), tenantID).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !a.Reaches(path)) {
		return opsward.Errorf(opsward.ENOTFOUND, "no tenant %s in your reach", tenantID)
	}
	return storeErr(err)
}

// sqlErr is storeErr for database/sql: no row reads as not found.
func sqlErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &opsward.Error{Code: opsward.ENOTFOUND, Message: "not found", Err: err}
	}
	return storeErr(err)
}

// MeterUsage is one meter's usage in the open period so far, rated on
// the version in force (an estimate until the period closes).
type MeterUsage struct {
	Meter    Meter
	Quantity int64
	Amount   int64
}

// CurrentUsage reads a tenant's usage of the open period, per meter that
// its price version charges, straight from the recorded events (no lag).
// It needs billing:read on a tenant in the actor's reach.
func (l *Ledger) CurrentUsage(ctx context.Context, tenantID string) ([]MeterUsage, Period, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return nil, Period{}, err
	}
	if err := l.inReach(ctx, tenantID); err != nil {
		return nil, Period{}, err
	}
	pctx := tenants.Privileged(ctx, "billing: usage of a tenant in reach")
	acc, err := l.account(pctx, tenantID)
	if err != nil {
		return nil, Period{}, err
	}
	phases, err := l.phases(pctx, l.db, acc, map[string]PriceVersion{})
	if err != nil {
		return nil, Period{}, err
	}
	p := PeriodAt(acc.Anchor, acc.Interval, l.now())
	recs, err := l.usage.events(pctx, tenantID, p.Start, p.End)
	if err != nil {
		return nil, p, err
	}
	evs := make([]UsageEvent, len(recs))
	for i, r := range recs {
		evs[i] = r.UsageEvent
	}
	segs := SegmentsOf(p, phases)
	if len(segs) == 0 {
		return nil, p, nil
	}
	d, err := Rate(RateInput{Period: p, Segments: segs, Events: evs})
	if err != nil {
		return nil, p, err
	}
	var out []MeterUsage
	idx := map[Meter]int{}
	for _, ln := range d.Lines {
		if ln.Kind != LineUsage {
			continue
		}
		i, ok := idx[ln.Meter]
		if !ok {
			i = len(out)
			idx[ln.Meter] = i
			out = append(out, MeterUsage{Meter: ln.Meter})
		}
		out[i].Quantity += ln.Quantity
		out[i].Amount += ln.Amount
	}
	return out, p, nil
}

// Revenue is what one customer was invoiced, split into recurring fees
// (base, proration, commitment) and usage, before discount and tax.
type Revenue struct {
	TenantID  string
	Currency  string
	Recurring int64
	Usage     int64
	Total     int64 // amounts due, after discount, tax and credit
	// Customers is how many customers a total (RevenueTotals) sums.
	Customers int
}

// Revenue sums the provider's invoices (finalized, paid or
// uncollectible; not void) per customer. It needs billing:read; a
// customer gets its own line only.
func (l *Ledger) Revenue(ctx context.Context) ([]Revenue, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return nil, err
	}
	a, err := tenants.Require(ctx)
	if err != nil {
		return nil, err
	}
	q, arg := "SELECT tenant_id, currency, total, lines FROM invoices WHERE provider_id = ? AND status <> ? ORDER BY tenant_id, currency", a.TenantID
	if !a.Provider {
		// A customer sees its own line only.
		q = "SELECT tenant_id, currency, total, lines FROM invoices WHERE tenant_id = ? AND status <> ? ORDER BY tenant_id, currency"
	}
	rows, err := l.db.QueryContext(tenants.Privileged(ctx, "billing: revenue of the acting tenant's reach"), l.q(q), arg, StatusVoid)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []Revenue
	for rows.Next() {
		var tn, cur, lines string
		var total int64
		if err := rows.Scan(&tn, &cur, &total, &lines); err != nil {
			return nil, storeErr(err)
		}
		var ls []Line
		if err := json.Unmarshal([]byte(lines), &ls); err != nil {
			return nil, opsward.Internal(err)
		}
		if len(out) == 0 || out[len(out)-1].TenantID != tn || out[len(out)-1].Currency != cur {
			out = append(out, Revenue{TenantID: tn, Currency: cur})
		}
		r := &out[len(out)-1]
		r.Total += total
		for _, ln := range ls {
			switch ln.Kind {
			case LineBase, LineProration, LineCommitment:
				r.Recurring += ln.Amount
			case LineUsage, LineLateUsage:
				r.Usage += ln.Amount
			}
		}
	}
	return out, storeErr(rows.Err())
}

// RevenueTotals sums revenue lines per currency (TenantID left empty),
// currencies in alphabetical order; Customers counts the lines summed.
func RevenueTotals(rs []Revenue) []Revenue {
	var out []Revenue
	for _, r := range rs {
		i := slices.IndexFunc(out, func(t Revenue) bool { return t.Currency == r.Currency })
		if i < 0 {
			out = append(out, Revenue{Currency: r.Currency})
			i = len(out) - 1
		}
		out[i].Recurring += r.Recurring
		out[i].Usage += r.Usage
		out[i].Total += r.Total
		out[i].Customers++
	}
	slices.SortFunc(out, func(a, b Revenue) int { return strings.Compare(a.Currency, b.Currency) })
	return out
}

// EnsureAccount opens a billing account for a customer that has none, on
// the newest version of planID in the provider's book, anchored at anchor
// (the customer's start). It does nothing when the account exists or the
// book has no such plan. System work, privileged; it reports whether it
// opened one.
func (l *Ledger) EnsureAccount(ctx context.Context, tenantID, providerID, planID string, anchor time.Time) (bool, error) {
	pctx := tenants.Privileged(ctx, "billing: open missing accounts")
	var n int
	if err := l.db.QueryRowContext(pctx, l.q("SELECT count(*) FROM billing_accounts WHERE tenant_id = ?"), tenantID).Scan(&n); err != nil {
		return false, storeErr(err)
	}
	if n > 0 {
		return false, nil
	}
	tx, err := l.db.BeginTx(pctx, nil)
	if err != nil {
		return false, storeErr(err)
	}
	defer tx.Rollback()
	opened, err := l.openAccountTx(pctx, tx, tenantID, providerID, planID, anchor, Terms{})
	if err != nil || !opened {
		return false, err
	}
	return true, storeErr(tx.Commit())
}

// DailyUsage is one meter's usage on one UTC day.
type DailyUsage struct {
	Day      time.Time
	Meter    Meter
	Events   int64
	Quantity int64 // sum of quantities
	Max      int64
}

// maxHistoryDays bounds a history request.
const maxHistoryDays = 400

// UsageHistory returns a tenant's usage per UTC day and meter in [from,
// to), by day then meter, whole (billing:read, a tenant in the actor's
// reach); UsageHistoryPage reads it a page at a time.
func (l *Ledger) UsageHistory(ctx context.Context, tenantID string, from, to time.Time) ([]DailyUsage, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return nil, err
	}
	from, to, err := historyBounds(from, to)
	if err != nil {
		return nil, err
	}
	if err := l.inReach(ctx, tenantID); err != nil {
		return nil, err
	}
	return l.usage.days(tenants.Privileged(ctx, "billing: usage of a tenant in reach"), tenantID, from, to, pageQuery{limit: -1})
}

// scanVersions reads rows of one column, a price version's JSON document.
func scanVersions(rows *sql.Rows) ([]PriceVersion, error) {
	defer rows.Close()
	out := []PriceVersion{}
	for rows.Next() {
		var doc string
		var v PriceVersion
		if err := rows.Scan(&doc); err != nil {
			return nil, storeErr(err)
		}
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, opsward.Internal(err)
		}
		out = append(out, v)
	}
	return out, storeErr(rows.Err())
}
