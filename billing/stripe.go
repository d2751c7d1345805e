package billing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/tenants"
)

// Who collects a customer's invoices.
const (
	// CollectionManual: Opsward rates and issues the invoices and the
	// provider settles them (no Stripe key configured, or the customer's
	// Stripe subscription was deleted).
	CollectionManual = "manual"
	// CollectionStripe: Stripe collects: Opsward pushes the rated usage of
	// each closed period to the customer's Stripe subscription.
	CollectionStripe = "stripe"
)

// States of a customer collected by Stripe.
const (
	StripePending   = "pending"   // customer and subscription not created yet
	StripeActive    = "active"    // paying
	StripePastDue   = "past_due"  // a payment failed; reminders go out
	StripeSuspended = "suspended" // the dunning grace ran out: the tenant is suspended
	StripeCanceled  = "canceled"  // the subscription was deleted: back to manual
)

// StripeAPI is what billing needs of Stripe; billing/stripeapi implements
// it on stripe-go. Every call carries an idempotency key derived from
// Opsward's own record, so a retried call never acts twice.
type StripeAPI interface {
	EnsureCustomer(ctx context.Context, idem string, in StripeCustomerInput) (string, error)
	CreatePrice(ctx context.Context, idem string, in StripePriceInput) (string, error)
	// CreateSubscription subscribes to the base price; it returns the
	// subscription and the base price's item.
	CreateSubscription(ctx context.Context, idem, customerID, basePriceID string) (subID, itemID string, err error)
	AddItem(ctx context.Context, idem, subscriptionID, priceID string) (string, error)
	// SwapItemPrice moves a subscription item to another price, with no
	// proration on Stripe's side.
	SwapItemPrice(ctx context.Context, idem, itemID, priceID string) error
	ReportUsage(ctx context.Context, idem, itemID string, quantity int64, at time.Time) error
	// AddInvoiceItem adds a signed amount to the subscription's next
	// invoice (an invoice's settlement, see Collection.settle).
	AddInvoiceItem(ctx context.Context, idem string, in StripeInvoiceItemInput) (string, error)
	PortalURL(ctx context.Context, customerID, returnURL string) (string, error)
}

// StripeCustomerInput describes the customer to create.
type StripeCustomerInput struct{ TenantID, Name, Email string }

// StripePriceInput is one recurring price: the base fee (licensed, its
// UnitAmount the fee) or a metered component. A metered price costs one
// minor unit per unit: Opsward pushes each component's rated amount, so
// every charge model, free allowance and rounding is Opsward's and
// Stripe's invoice equals Opsward's to the cent.
type StripePriceInput struct {
	Name, Currency string
	Interval       Interval
	UnitAmount     int64
	Metered        bool
	Meter          string // "" for the base fee
}

// StripeInvoiceItemInput is one invoice item on the subscription's next
// invoice: the settlement of an Opsward invoice. Amount is signed (a
// discount or credit can make it negative); InvoiceID is Opsward's
// invoice, sent as the item's metadata opsward_invoice_id, through which
// the webhook's events link Stripe's invoice to Opsward's.
type StripeInvoiceItemInput struct {
	CustomerID, SubscriptionID, Currency, Description, InvoiceID string
	Amount                                                       int64
}

// StripeError is a failed Stripe call. Permanent says that repeating it
// cannot help (Stripe refused the request as invalid).
type StripeError struct {
	Op        string
	Status    int
	Message   string
	Permanent bool
}

func (e *StripeError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("stripe: %s: %d %s", e.Op, e.Status, e.Message)
	}
	return fmt.Sprintf("stripe: %s: %s", e.Op, e.Message)
}

// StripeTask is a Stripe job to enqueue through the outbox: "provision"
// (customer, prices, subscription) or "push_usage" (the unsent usage
// reports of a tenant).
type StripeTask string

// The tasks.
const (
	TaskProvision StripeTask = "provision"
	TaskPushUsage StripeTask = "push_usage"
)

// Enqueuer records a task in the caller's transaction (the dispatch
// outbox), so that it exists if and only if the rows it works on commit.
type Enqueuer func(ctx context.Context, tx *ent.Tx, tenantID string, task StripeTask) error

// Reminder is a payment reminder for a customer's notification channels.
type Reminder struct {
	TenantID, Title, Summary string
	// Count numbers the reminders of one dunning (1 for the first).
	Count int
	At    time.Time
}

// Reminders queues a reminder for delivery in the caller's transaction.
type Reminders func(ctx context.Context, tx *ent.Tx, r Reminder) error

// CollectionConfig tunes Stripe collection and dunning.
type CollectionConfig struct {
	// DunningGrace is how long a customer stays past due before its
	// tenant is suspended. Default 72 h.
	DunningGrace time.Duration
	// RemindEvery is the pause between reminders while past due.
	// Default 24 h.
	RemindEvery time.Duration
	// ReturnURL is where the billing portal sends the customer back.
	ReturnURL string
	Clock     func() time.Time
}

// WithDefaults fills unset fields.
func (c CollectionConfig) WithDefaults() CollectionConfig {
	if c.DunningGrace == 0 {
		c.DunningGrace = 72 * time.Hour
	}
	if c.RemindEvery == 0 {
		c.RemindEvery = 24 * time.Hour
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Validate reports a setting that cannot work.
func (c CollectionConfig) Validate() error {
	if c.DunningGrace < 0 || c.DunningGrace > 90*24*time.Hour {
		return fmt.Errorf("dunning grace %s is not between 0 and 90 days", c.DunningGrace)
	}
	if c.RemindEvery <= 0 {
		return fmt.Errorf("reminder interval %s is not positive", c.RemindEvery)
	}
	return nil
}

// Collection collects invoices: by Stripe when an API is given, otherwise
// manually (the ledger's invoices are the bill). Every Stripe call it
// makes runs in a dispatch job (Provision, PushUsage), never in a user's
// request, except the billing portal link, which is a session Stripe
// creates for the customer on demand.
type Collection struct {
	cfg     CollectionConfig
	led     *Ledger
	client  *ent.Client
	tenants *tenants.Service
	api     StripeAPI
	enqueue Enqueuer
	remind  Reminders
	log     *slog.Logger
}

// CollectionDeps are what Collection works with. API nil means manual
// collection; Enqueue and Remind are needed with an API.
type CollectionDeps struct {
	Ledger  *Ledger
	Client  *ent.Client
	Tenants *tenants.Service
	API     StripeAPI
	Enqueue Enqueuer
	Remind  Reminders
	Logger  *slog.Logger
}

// NewCollection returns the collection service.
func NewCollection(cfg CollectionConfig, d CollectionDeps) (*Collection, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Ledger == nil || d.Client == nil || d.Tenants == nil {
		return nil, errors.New("billing: collection needs the ledger, the ent client and the tenants service")
	}
	if d.API != nil && (d.Enqueue == nil || d.Remind == nil) {
		return nil, errors.New("billing: Stripe collection needs an enqueuer and reminders")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collection{cfg: cfg, led: d.Ledger, client: d.Client, tenants: d.Tenants, api: d.API,
		enqueue: d.Enqueue, remind: d.Remind, log: d.Logger}, nil
}

// Stripe reports whether Stripe collects.
func (c *Collection) Stripe() bool { return c.api != nil }

func (c *Collection) now() time.Time { return c.cfg.Clock().UTC() }

// CollectionState is how a customer's invoices are collected.
type CollectionState struct {
	TenantID   string
	Collection string // CollectionManual or CollectionStripe
	// State is one of the Stripe states; "" under manual collection.
	State              string
	SubscriptionStatus string // as Stripe last reported it
	PastDueSince       *time.Time
	Reminders          int
	// Unreported is the number of usage reports not yet sent to Stripe.
	Unreported int
}

// State returns the collection state of a customer in the actor's reach
// (billing:read; a customer sees only its own).
func (c *Collection) State(ctx context.Context, tenantID string) (CollectionState, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return CollectionState{}, err
	}
	if !opsward.ValidID(tenantID, opsward.PrefixTenant) {
		return CollectionState{}, opsward.FieldErrorf("tenantId", "%q is not a tenant id", tenantID)
	}
	if err := c.led.inReach(ctx, tenantID); err != nil {
		return CollectionState{}, err
	}
	out := CollectionState{TenantID: tenantID, Collection: CollectionManual}
	row, ok, err := c.customer(ctx, c.led.db, tenantID)
	if err != nil || !ok {
		return out, err
	}
	out.State, out.SubscriptionStatus, out.PastDueSince, out.Reminders = row.state, row.subStatus, row.pastDue, row.reminders
	if c.api != nil && row.state != StripeCanceled {
		out.Collection = CollectionStripe
	}
	err = c.led.db.QueryRowContext(ctx, c.led.q("SELECT count(*) FROM stripe_usage_reports WHERE tenant_id = ? AND sent_at IS NULL"),
		tenantID).Scan(&out.Unreported)
	return out, storeErr(err)
}

// PortalURL returns a link to Stripe's billing portal, where the customer
// manages its payment methods (billing:read; a customer sees only its
// own). Without Stripe, or before the customer is provisioned, it is a
// conflict.
func (c *Collection) PortalURL(ctx context.Context, tenantID string) (string, error) {
	st, err := c.State(ctx, tenantID)
	if err != nil {
		return "", err
	}
	if st.Collection != CollectionStripe {
		return "", opsward.Errorf(opsward.ECONFLICT, "invoices of %s are collected manually: there is no billing portal", tenantID)
	}
	row, _, err := c.customer(ctx, c.led.db, tenantID)
	if err != nil {
		return "", err
	}
	if row.customerID == "" {
		return "", opsward.Errorf(opsward.ECONFLICT, "the Stripe customer of %s is being created: try again in a minute", tenantID)
	}
	u, err := c.api.PortalURL(ctx, row.customerID, c.cfg.ReturnURL)
	if err != nil {
		c.log.WarnContext(ctx, "stripe billing portal", "tenant_id", tenantID, "err", err)
		return "", opsward.Errorf(opsward.EUNAVAILABLE, "Stripe did not open a billing portal session: try again")
	}
	return u, nil
}

type customerRow struct {
	tenantID, customerID, subID, subStatus, state string
	pastDue, reminded, stateEventAt               *time.Time
	reminders                                     int
	createdAt                                     time.Time
}

const customerCols = "tenant_id, customer_id, subscription_id, subscription_status, state, past_due_since, reminded_at, reminders, created_at, state_event_at"

func scanCustomer(scan func(...any) error) (customerRow, error) {
	var r customerRow
	var pd, rm, se nullTime
	err := scan(&r.tenantID, &r.customerID, &r.subID, &r.subStatus, &r.state, &pd, &rm, &r.reminders, scanTime{&r.createdAt}, &se)
	r.pastDue, r.reminded, r.stateEventAt = pd.ptr(), rm.ptr(), se.ptr()
	return r, err
}

func (c *Collection) customer(ctx context.Context, q querier, tenantID string) (customerRow, bool, error) {
	rows, err := q.QueryContext(ctx, c.led.q("SELECT "+customerCols+" FROM stripe_customers WHERE tenant_id = ?"), tenantID)
	if err != nil {
		return customerRow{}, false, storeErr(err)
	}
	defer rows.Close()
	if !rows.Next() {
		return customerRow{}, false, storeErr(rows.Err())
	}
	r, err := scanCustomer(rows.Scan)
	return r, true, storeErr(err)
}

// nullTime scans a nullable time in either dialect's form.
type nullTime struct {
	t     time.Time
	valid bool
}

func (n *nullTime) Scan(src any) error {
	if src == nil {
		n.valid = false
		return nil
	}
	n.valid = true
	return scanTime{&n.t}.Scan(src)
}

func (n nullTime) ptr() *time.Time {
	if !n.valid {
		return nil
	}
	t := n.t.UTC()
	return &t
}

// Plan is the Stripe side of the period close, system work run after
// Ledger.CloseDue: every billing account without a Stripe customer gets
// one (a pending row and a provision task), and every usage line of an
// invoice closed since the customer moved to Stripe becomes a usage
// report, with a push task in the same transaction. A report's
// idempotency key is its invoice line's ("ow-usage-<invoice>-<line>"), so
// planning twice writes nothing new and a push retried after a crash
// sends the same keys. It returns the reports written.
func (c *Collection) Plan(ctx context.Context) (int, error) {
	if c.api == nil {
		return 0, nil
	}
	pctx := tenants.Privileged(ctx, "billing: plan the Stripe sync")
	fresh, err := c.tenantIDs(pctx, `SELECT a.tenant_id FROM billing_accounts a
		WHERE NOT EXISTS (SELECT 1 FROM stripe_customers s WHERE s.tenant_id = a.tenant_id)`)
	if err != nil {
		return 0, err
	}
	for _, id := range fresh {
		err := tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error {
			now := c.led.tv(c.now())
			res, err := tx.ExecContext(pctx, c.led.q(`INSERT INTO stripe_customers (tenant_id, state, created_at, updated_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO NOTHING`), id, StripePending, now, now)
			if err != nil {
				return storeErr(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			return c.enqueue(pctx, tx, id, TaskProvision)
		})
		if err != nil {
			return 0, err
		}
	}

	// Invoices of Stripe customers closed since they moved to Stripe that
	// have no report yet.
	rows, err := c.led.db.QueryContext(pctx, `SELECT i.tenant_id, i.id, i.lines FROM invoices i
		JOIN stripe_customers s ON s.tenant_id = i.tenant_id
		WHERE s.state <> 'canceled' AND i.created_at >= s.created_at
		AND NOT EXISTS (SELECT 1 FROM stripe_usage_reports r WHERE r.tenant_id = i.tenant_id AND r.invoice_id = i.id)
		ORDER BY i.tenant_id, i.period_start`)
	if err != nil {
		return 0, storeErr(err)
	}
	type inv struct {
		tenant, id string
		lines      []Line
	}
	var invs []inv
	for rows.Next() {
		var v inv
		var lines string
		if err := rows.Scan(&v.tenant, &v.id, &lines); err != nil {
			rows.Close()
			return 0, storeErr(err)
		}
		if err := json.Unmarshal([]byte(lines), &v.lines); err != nil {
			rows.Close()
			return 0, opsward.Internal(fmt.Errorf("invoice %s lines: %w", v.id, err))
		}
		invs = append(invs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, storeErr(err)
	}
	written := 0
	for _, v := range invs {
		reports := UsageReports(v.id, v.lines)
		if len(reports) == 0 {
			continue
		}
		err := tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error {
			at := c.led.tv(c.now().Truncate(time.Second))
			for _, r := range reports {
				if _, err := tx.ExecContext(pctx, c.led.q(`INSERT INTO stripe_usage_reports (tenant_id, idem_key, invoice_id, meter, quantity, at)
					VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, idem_key) DO NOTHING`),
					v.tenant, r.Key, v.id, string(r.Meter), r.Quantity, at); err != nil {
					return storeErr(err)
				}
			}
			return c.enqueue(pctx, tx, v.tenant, TaskPushUsage)
		})
		if err != nil {
			return written, err
		}
		written += len(reports)
	}
	// A push that could not be enqueued because one was still running
	// (pushes of a tenant take turns), or one that died: the sweep
	// enqueues one for every customer with reports left.
	// Invoices whose settlement was not accepted yet count as behind too.
	behind, err := c.tenantIDs(pctx, c.led.q(`SELECT r.tenant_id FROM stripe_usage_reports r
		JOIN stripe_customers s ON s.tenant_id = r.tenant_id
		WHERE r.sent_at IS NULL AND s.state NOT IN (?, ?)
		UNION SELECT i.tenant_id FROM invoices i
		JOIN stripe_customers s ON s.tenant_id = i.tenant_id
		WHERE i.stripe_settled_at IS NULL AND i.created_at >= s.created_at AND s.state NOT IN (?, ?)`),
		StripePending, StripeCanceled, StripePending, StripeCanceled)
	if err != nil {
		return written, err
	}
	for _, id := range behind {
		if err := tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error { return c.enqueue(pctx, tx, id, TaskPushUsage) }); err != nil {
			return written, err
		}
	}
	// A plan change in force since the last run: the provision task
	// moves the subscription to the new version's prices.
	changed, err := c.planChanged(pctx)
	if err != nil {
		return written, err
	}
	for _, id := range changed {
		if err := tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error { return c.enqueue(pctx, tx, id, TaskProvision) }); err != nil {
			return written, err
		}
	}
	return written, nil
}

// tenantIDs runs a query of one text column.
func (c *Collection) tenantIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := c.led.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, storeErr(err)
		}
		out = append(out, id)
	}
	return out, storeErr(rows.Err())
}

// UsageReport is one usage record to push: a usage line's rated amount,
// in minor units, for its meter's metered price (one minor unit each).
type UsageReport struct {
	Key      string
	Meter    Meter
	Quantity int64
}

// UsageReports derives the reports of an invoice: one per usage or late
// usage line with a positive amount, keyed by the invoice and the line's
// position (an invoice never changes once finalized).
func UsageReports(invoiceID string, lines []Line) []UsageReport {
	var out []UsageReport
	for i, l := range lines {
		if (l.Kind != LineUsage && l.Kind != LineLateUsage) || l.Amount <= 0 {
			continue
		}
		out = append(out, UsageReport{Key: fmt.Sprintf("ow-usage-%s-%d", invoiceID, i), Meter: l.Meter, Quantity: l.Amount})
	}
	return out
}

// baseMeter names the base fee's row in stripe_items.
const baseMeter = "base"

// Provision creates the customer's Stripe customer, prices and
// subscription, each step saved as it succeeds and each call keyed by the
// tenant (and meter), so a retry resumes where the last run stopped and
// Stripe answers a repeated call with the object it made the first time.
// On a provisioned customer it adds the metered prices its subscription
// lacks (a plan change brought new components). It is the handler of the
// provision task (system work), and PushUsage runs it when a report's
// meter has no price yet.
func (c *Collection) Provision(ctx context.Context, tenantID string) error {
	if c.api == nil {
		return nil
	}
	pctx := tenants.Privileged(ctx, "billing: provision a Stripe customer")
	row, ok, err := c.customer(pctx, c.led.db, tenantID)
	if err != nil || !ok {
		return err // no row: nothing was planned
	}
	if row.state == StripeCanceled {
		return nil
	}
	t, err := c.client.Tenant.Get(pctx, tenantID)
	if err != nil {
		return storeErr(err)
	}
	if row.customerID == "" {
		id, err := c.api.EnsureCustomer(ctx, "ow-cus-"+tenantID, StripeCustomerInput{TenantID: tenantID, Name: t.Name, Email: t.ContactEmail})
		if err != nil {
			return err
		}
		if err := c.setCustomer(pctx, tenantID, "customer_id", id); err != nil {
			return err
		}
		row.customerID = id
	}
	v, ok, err := c.led.InForce(pctx, tenantID, c.now())
	if err != nil {
		return err
	}
	if !ok {
		return opsward.Internal(fmt.Errorf("billing: %s has a Stripe customer and no billing account", tenantID))
	}
	items, err := c.items(pctx, tenantID)
	if err != nil {
		return err
	}
	if row.subID == "" {
		pid, err := c.api.CreatePrice(ctx, "ow-price-"+tenantID+"-"+v.ID+"-base",
			StripePriceInput{Name: v.PlanID + " base fee", Currency: v.Currency, Interval: v.Interval, UnitAmount: v.BaseFee})
		if err != nil {
			return err
		}
		sub, item, err := c.api.CreateSubscription(ctx, "ow-sub-"+tenantID, row.customerID, pid)
		if err != nil {
			return err
		}
		err = tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error {
			if _, err := tx.ExecContext(pctx, c.led.q(`INSERT INTO stripe_items (tenant_id, meter, price_id, item_id, unit_amount, version_id) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (tenant_id, meter) DO NOTHING`), tenantID, baseMeter, pid, item, v.BaseFee, v.ID); err != nil {
				return storeErr(err)
			}
			_, err := tx.ExecContext(pctx, c.led.q("UPDATE stripe_customers SET subscription_id = ?, updated_at = ? WHERE tenant_id = ?"),
				sub, c.led.tv(c.now()), tenantID)
			return storeErr(err)
		})
		if err != nil {
			return err
		}
		row.subID = sub
	} else if err := c.swapBase(ctx, tenantID, v); err != nil {
		return err
	}
	// A metered price for each component of the version in force, and for
	// any meter with reports waiting (a component of an earlier version).
	meters := make([]string, 0, len(v.Components))
	for _, comp := range v.Components {
		meters = append(meters, string(comp.Meter))
	}
	waiting, err := c.tenantIDs(pctx, c.led.q("SELECT DISTINCT meter FROM stripe_usage_reports WHERE tenant_id = ? AND sent_at IS NULL ORDER BY meter"), tenantID)
	if err != nil {
		return err
	}
	for _, m := range append(meters, waiting...) {
		if _, ok := items[m]; ok {
			continue
		}
		items[m] = ""
		pid, err := c.api.CreatePrice(ctx, "ow-price-"+tenantID+"-"+v.ID+"-"+m,
			StripePriceInput{Name: v.PlanID + " " + m, Currency: v.Currency, Interval: v.Interval, UnitAmount: 1, Metered: true, Meter: m})
		if err != nil {
			return err
		}
		item, err := c.api.AddItem(ctx, "ow-si-"+tenantID+"-"+m, row.subID, pid)
		if err != nil {
			return err
		}
		if _, err := c.led.db.ExecContext(pctx, c.led.q(`INSERT INTO stripe_items (tenant_id, meter, price_id, item_id, unit_amount) VALUES (?, ?, ?, ?, 1)
			ON CONFLICT (tenant_id, meter) DO NOTHING`), tenantID, m, pid, item); err != nil {
			return storeErr(err)
		}
	}
	err = tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error {
		res, err := tx.ExecContext(pctx, c.led.q("UPDATE stripe_customers SET state = ?, updated_at = ? WHERE tenant_id = ? AND state = ?"),
			StripeActive, c.led.tv(c.now()), tenantID, StripePending)
		if err != nil {
			return storeErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if err := c.audit(pctx, tx, tenantID, "billing.stripe_provisioned", row.customerID, "subscription="+row.subID); err != nil {
			return err
		}
		// Reports planned while the customer was being created wait for it.
		return c.enqueue(pctx, tx, tenantID, TaskPushUsage)
	})
	if err == nil {
		c.log.InfoContext(ctx, "stripe customer provisioned", "tenant_id", tenantID)
	}
	return err
}

// swapBase moves the subscription's base item to the price of the
// version in force when it was made for another (a plan change took
// effect: at once for an upgrade, at the period's end for a downgrade).
// Stripe does not prorate: Opsward prorates by the second and its
// proration lines reach Stripe in the invoice's settlement. Both calls
// are keyed by the tenant and version, so a swap killed after Stripe
// answered and retried repeats the same keys, which Stripe answers with
// its first result; the row is saved once Stripe accepted the swap.
func (c *Collection) swapBase(ctx context.Context, tenantID string, v PriceVersion) error {
	pctx := tenants.Privileged(ctx, "billing: move a Stripe subscription to a new price")
	var item string
	var version sql.NullString
	if err := c.led.db.QueryRowContext(pctx, c.led.q("SELECT item_id, version_id FROM stripe_items WHERE tenant_id = ? AND meter = ?"),
		tenantID, baseMeter).Scan(&item, &version); err != nil {
		return storeErr(err)
	}
	if !version.Valid || version.String == v.ID {
		return nil // made before versions were recorded, or in force already
	}
	pid, err := c.api.CreatePrice(ctx, "ow-price-"+tenantID+"-"+v.ID+"-base",
		StripePriceInput{Name: v.PlanID + " base fee", Currency: v.Currency, Interval: v.Interval, UnitAmount: v.BaseFee})
	if err != nil {
		return err
	}
	if err := c.api.SwapItemPrice(ctx, "ow-swap-"+tenantID+"-"+v.ID, item, pid); err != nil {
		return err
	}
	return tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error {
		if _, err := tx.ExecContext(pctx, c.led.q("UPDATE stripe_items SET price_id = ?, unit_amount = ?, version_id = ? WHERE tenant_id = ? AND meter = ?"),
			pid, v.BaseFee, v.ID, tenantID, baseMeter); err != nil {
			return storeErr(err)
		}
		return c.audit(pctx, tx, tenantID, "billing.stripe_price_changed", item, "version="+version.String+"->"+v.ID+" price="+pid)
	})
}

// planChanged returns the Stripe customers whose subscription's base
// price was made for another version than the one in force now.
func (c *Collection) planChanged(ctx context.Context) ([]string, error) {
	rows, err := c.led.db.QueryContext(ctx, c.led.q(`SELECT i.tenant_id, i.version_id FROM stripe_items i
		JOIN stripe_customers s ON s.tenant_id = i.tenant_id
		WHERE i.meter = ? AND i.version_id IS NOT NULL AND s.subscription_id <> '' AND s.state NOT IN (?, ?)`),
		baseMeter, StripePending, StripeCanceled)
	if err != nil {
		return nil, storeErr(err)
	}
	made := map[string]string{}
	var ids []string
	for rows.Next() {
		var id, v string
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return nil, storeErr(err)
		}
		made[id] = v
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr(err)
	}
	now, err := c.led.inForce(ctx, ids, c.now())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		if v, ok := now[id]; ok && v.ID != made[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func (c *Collection) setCustomer(ctx context.Context, tenantID, col, v string) error {
	_, err := c.led.db.ExecContext(ctx, c.led.q("UPDATE stripe_customers SET "+col+" = ?, updated_at = ? WHERE tenant_id = ?"),
		v, c.led.tv(c.now()), tenantID)
	return storeErr(err)
}

func (c *Collection) items(ctx context.Context, tenantID string) (map[string]string, error) {
	rows, err := c.led.db.QueryContext(ctx, c.led.q("SELECT meter, item_id FROM stripe_items WHERE tenant_id = ?"), tenantID)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var m, id string
		if err := rows.Scan(&m, &id); err != nil {
			return nil, storeErr(err)
		}
		out[m] = id
	}
	return out, storeErr(rows.Err())
}

// ErrNotProvisioned is returned by PushUsage while the customer's Stripe
// subscription is being created: the job is retried later.
var ErrNotProvisioned = errors.New("billing: the Stripe customer is not provisioned yet")

// PushUsage sends a tenant's unsent usage reports with usagerecord.New,
// oldest first, each with its own idempotency key, and marks each sent as
// soon as Stripe accepted it. A run killed between Stripe's answer and
// the mark sends that one report again with the same key, which Stripe
// counts once; a report marked sent is never sent again. It is the
// handler of the push task (system work).
func (c *Collection) PushUsage(ctx context.Context, tenantID string) (int, error) {
	if c.api == nil {
		return 0, nil
	}
	pctx := tenants.Privileged(ctx, "billing: push usage to Stripe")
	row, ok, err := c.customer(pctx, c.led.db, tenantID)
	if err != nil || !ok {
		return 0, err
	}
	switch row.state {
	case StripeCanceled:
		return 0, nil
	case StripePending:
		return 0, ErrNotProvisioned
	}
	items, err := c.items(pctx, tenantID)
	if err != nil {
		return 0, err
	}
	rows, err := c.led.db.QueryContext(pctx, c.led.q(`SELECT idem_key, meter, quantity, at FROM stripe_usage_reports
		WHERE tenant_id = ? AND sent_at IS NULL ORDER BY at, idem_key`), tenantID)
	if err != nil {
		return 0, storeErr(err)
	}
	type rep struct {
		key, meter string
		qty        int64
		at         time.Time
	}
	var reps []rep
	for rows.Next() {
		var r rep
		if err := rows.Scan(&r.key, &r.meter, &r.qty, scanTime{&r.at}); err != nil {
			rows.Close()
			return 0, storeErr(err)
		}
		reps = append(reps, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, storeErr(err)
	}
	for _, r := range reps {
		if _, ok := items[r.meter]; !ok {
			// A meter the subscription has no price for yet (a plan
			// change brought a new component): add it first.
			if err := c.Provision(ctx, tenantID); err != nil {
				return 0, err
			}
			if items, err = c.items(pctx, tenantID); err != nil {
				return 0, err
			}
			break
		}
	}
	sent := 0
	for _, r := range reps {
		item, ok := items[r.meter]
		if !ok {
			return sent, opsward.Internal(fmt.Errorf("billing: no Stripe price for meter %s of %s", r.meter, tenantID))
		}
		if err := c.api.ReportUsage(ctx, r.key, item, r.qty, r.at); err != nil {
			return sent, err
		}
		if _, err := c.led.db.ExecContext(pctx, c.led.q("UPDATE stripe_usage_reports SET sent_at = ? WHERE tenant_id = ? AND idem_key = ?"),
			c.led.tv(c.now()), tenantID, r.key); err != nil {
			return sent, storeErr(err)
		}
		sent++
	}
	return sent, c.settle(ctx, tenantID, row)
}

// settle sends the settlement of each invoice of the tenant whose usage
// reports were all accepted and whose settlement was not: one invoice
// item on the subscription's next invoice, keyed by the invoice
// ("ow-settle-<invoice>"), for the invoice's total less its usage
// reports and less the base fee Stripe's subscription bills for the
// period. What Stripe's invoice collects for it is then the base fee,
// the usage records and this item: Opsward's total to the cent, whatever
// proration, commitment, discount, tax or credit the invoice holds.
// Opsward's invoice is the invoice of record (see the package doc). The
// item is marked as soon as Stripe accepted it; a run killed before the
// mark sends the same key again, which Stripe answers with the first
// item.
func (c *Collection) settle(ctx context.Context, tenantID string, row customerRow) error {
	pctx := tenants.Privileged(ctx, "billing: settle invoices on Stripe")
	var base nullInt
	if err := c.led.db.QueryRowContext(pctx, c.led.q("SELECT unit_amount FROM stripe_items WHERE tenant_id = ? AND meter = ?"),
		tenantID, baseMeter).Scan(&base); err != nil {
		return storeErr(err)
	}
	rows, err := c.led.db.QueryContext(pctx, c.led.q(`SELECT i.id, i.currency, i.total, coalesce(number, 0),
		(SELECT coalesce(sum(r.quantity), 0) FROM stripe_usage_reports r WHERE r.tenant_id = i.tenant_id AND r.invoice_id = i.id)
		FROM invoices i WHERE i.tenant_id = ? AND i.stripe_settled_at IS NULL AND i.created_at >= ?
		AND NOT EXISTS (SELECT 1 FROM stripe_usage_reports r WHERE r.tenant_id = i.tenant_id AND r.invoice_id = i.id AND r.sent_at IS NULL)
		ORDER BY i.period_start`), tenantID, c.led.tv(row.createdAt))
	if err != nil {
		return storeErr(err)
	}
	type due struct {
		id, currency         string
		total, number, usage int64
	}
	var dues []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.currency, &d.total, &d.number, &d.usage); err != nil {
			rows.Close()
			return storeErr(err)
		}
		dues = append(dues, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return storeErr(err)
	}
	for _, d := range dues {
		fee := base.v
		if !base.valid {
			v, ok, err := c.led.InForce(pctx, tenantID, c.now())
			if err != nil {
				return err
			}
			if !ok {
				return opsward.Internal(fmt.Errorf("billing: %s has a Stripe customer and no billing account", tenantID))
			}
			fee = v.BaseFee
		}
		amount, ok := SettlementAmount(d.total, d.usage, fee)
		if !ok {
			return opsward.Internal(fmt.Errorf("billing: the settlement of invoice %s overflows", d.id))
		}
		if _, err := c.api.AddInvoiceItem(ctx, "ow-settle-"+d.id, StripeInvoiceItemInput{CustomerID: row.customerID, SubscriptionID: row.subID,
			Currency: d.currency, Amount: amount, InvoiceID: d.id,
			Description: fmt.Sprintf("Opsward invoice %d: settlement to its total", d.number)}); err != nil {
			return err
		}
		if _, err := c.led.db.ExecContext(pctx, c.led.q("UPDATE invoices SET stripe_settled_at = ? WHERE tenant_id = ? AND id = ?"),
			c.led.tv(c.now()), tenantID, d.id); err != nil {
			return storeErr(err)
		}
	}
	return nil
}

// SettlementAmount is what an invoice item must add on Stripe so that
// the subscription's base fee, the invoice's usage reports and the item
// make the invoice's total: total − usage − base (negative when a
// discount or credit takes off more than the rest adds). ok is false on
// an overflow.
func SettlementAmount(total, usage, base int64) (int64, bool) {
	a, ok := addChecked(total, -usage)
	if !ok || usage == math.MinInt64 || base == math.MinInt64 {
		return 0, false
	}
	return addChecked(a, -base)
}

// nullInt scans a nullable integer.
type nullInt struct {
	v     int64
	valid bool
}

func (n *nullInt) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		n.valid = false
		return nil
	case int64:
		n.v, n.valid = x, true
		return nil
	case int32:
		n.v, n.valid = int64(x), true
		return nil
	}
	return fmt.Errorf("billing: %T is not an integer", src)
}

func (c *Collection) audit(ctx context.Context, tx *ent.Tx, tenantID, action, target, detail string) error {
	return c.tenants.Audit(ctx, tx, tenants.AuditRecord{TenantID: tenantID, Action: action, TargetID: clipID(target), Detail: detail,
		ActorType: tenants.ActorSystem, ActorID: "stripe"})
}

func clipID(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

// StripeEvent is a verified webhook event as billing reads it.
type StripeEvent struct {
	ID, Type string
	Created  time.Time
	// Object is the event's object kind ("invoice", "subscription").
	Object                  string
	ObjectID                string
	CustomerID              string
	SubscriptionID, Status  string
	AmountDue, AttemptCount int64
	HostedInvoiceURL        string
	// InvoiceID is the Opsward invoice a Stripe invoice carries the
	// settlement of (the metadata opsward_invoice_id of the invoice or of
	// one of its lines); "" when it names none.
	InvoiceID string
}

// The events Collection acts on; others are stored and ignored.
const (
	EventInvoicePaid          = "invoice.paid"
	EventInvoicePaymentFailed = "invoice.payment_failed"
	EventInvoiceFinalized     = "invoice.finalized"
	EventSubscriptionUpdated  = "customer.subscription.updated"
	EventSubscriptionDeleted  = "customer.subscription.deleted"
)

// ParseStripeEvent reads the fields Collection needs from an event's
// data.object (outside input: it is the webhook's body, after its
// signature was checked). It refuses what it cannot act on safely.
func ParseStripeEvent(id, typ string, created int64, object json.RawMessage) (StripeEvent, error) {
	ev := StripeEvent{ID: id, Type: typ, Created: time.Unix(created, 0).UTC()}
	if id == "" || len(id) > 255 || !printableASCII(id) {
		return ev, opsward.FieldErrorf("id", "an event id has 1 to 255 printable characters")
	}
	if typ == "" || len(typ) > 100 || !printableASCII(typ) {
		return ev, opsward.FieldErrorf("type", "an event type has 1 to 100 printable characters")
	}
	var o struct {
		Object       string          `json:"object"`
		ID           string          `json:"id"`
		Customer     json.RawMessage `json:"customer"`
		Subscription json.RawMessage `json:"subscription"`
		Status       string          `json:"status"`
		AmountDue    int64           `json:"amount_due"`
		AttemptCount int64           `json:"attempt_count"`
		HostedURL    string          `json:"hosted_invoice_url"`
		Metadata     map[string]any  `json:"metadata"`
		Lines        struct {
			Data []struct {
				Metadata map[string]any `json:"metadata"`
			} `json:"data"`
		} `json:"lines"`
	}
	if len(object) == 0 {
		return ev, opsward.FieldErrorf("data.object", "the event has no object")
	}
	if err := json.Unmarshal(object, &o); err != nil {
		return ev, opsward.FieldErrorf("data.object", "the event's object is not JSON: %v", err)
	}
	ev.Object, ev.ObjectID, ev.Status = o.Object, o.ID, o.Status
	ev.AmountDue, ev.AttemptCount, ev.HostedInvoiceURL = o.AmountDue, o.AttemptCount, o.HostedURL
	var err error
	if ev.CustomerID, err = expandable(o.Customer); err != nil {
		return ev, opsward.FieldErrorf("data.object.customer", "%v", err)
	}
	if ev.SubscriptionID, err = expandable(o.Subscription); err != nil {
		return ev, opsward.FieldErrorf("data.object.subscription", "%v", err)
	}
	if o.Object == "subscription" {
		ev.SubscriptionID = o.ID
	}
	if o.Object == "customer" {
		ev.CustomerID = o.ID
	}
	for _, f := range []struct{ name, v string }{{"object", ev.Object}, {"id", ev.ObjectID}, {"customer", ev.CustomerID},
		{"subscription", ev.SubscriptionID}, {"status", ev.Status}} {
		if len(f.v) > 255 || !printableASCII(f.v) {
			return ev, opsward.FieldErrorf("data.object."+f.name, "not an identifier of at most 255 printable characters")
		}
	}
	if o.Object == "invoice" {
		metas := []map[string]any{o.Metadata}
		for _, l := range o.Lines.Data {
			metas = append(metas, l.Metadata)
		}
		for _, md := range metas {
			raw, ok := md[invoiceMetadataKey]
			if !ok {
				continue
			}
			id, _ := raw.(string)
			if !opsward.ValidID(id, opsward.PrefixInvoice) {
				return ev, opsward.FieldErrorf("data.object.metadata."+invoiceMetadataKey, "not an Opsward invoice id")
			}
			if ev.InvoiceID != "" && ev.InvoiceID != id {
				return ev, opsward.FieldErrorf("data.object.lines", "the invoice settles two Opsward invoices (%s and %s)", ev.InvoiceID, id)
			}
			ev.InvoiceID = id
		}
	}
	if ev.AmountDue < 0 || ev.AttemptCount < 0 {
		return ev, opsward.FieldErrorf("data.object.amount_due", "amounts and attempts are not negative")
	}
	return ev, nil
}

// invoiceMetadataKey names the Opsward invoice in a Stripe object's
// metadata.
const invoiceMetadataKey = "opsward_invoice_id"

// expandable reads a Stripe field that is an id or an expanded object.
func expandable(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var id string
	if err := json.Unmarshal(raw, &id); err == nil {
		return id, nil
	}
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", fmt.Errorf("neither an id nor an object")
	}
	return o.ID, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// HandleEvent processes a verified event once: the first delivery of an
// event id is stored with the state change it causes and its audit entry
// in one transaction; a repeated delivery changes nothing and returns
// false. The tenant's suspension or reactivation, which commit on their
// own, run before that transaction and are idempotent, so a crash between
// the two is mended by Stripe's redelivery. An event for a customer
// Opsward does not know is stored and ignored. System work (the webhook).
func (c *Collection) HandleEvent(ctx context.Context, ev StripeEvent) (bool, error) {
	pctx := tenants.Privileged(ctx, "billing: Stripe webhook")
	var seen int
	if err := c.led.db.QueryRowContext(pctx, c.led.q("SELECT count(*) FROM stripe_events WHERE id = ?"), ev.ID).Scan(&seen); err != nil {
		return false, storeErr(err)
	}
	if seen > 0 {
		return false, nil
	}
	var row customerRow
	found := false
	if ev.CustomerID != "" {
		rows, err := c.led.db.QueryContext(pctx, c.led.q("SELECT "+customerCols+" FROM stripe_customers WHERE customer_id = ?"), ev.CustomerID)
		if err != nil {
			return false, storeErr(err)
		}
		if rows.Next() {
			row, err = scanCustomer(rows.Scan)
			found = err == nil
		}
		rows.Close()
		if err != nil {
			return false, storeErr(err)
		}
	}
	if found && ev.Type == EventInvoicePaid && row.state == StripeSuspended && (row.stateEventAt == nil || !ev.Created.Before(*row.stateEventAt)) {
		if err := c.setTenantStatus(pctx, row.tenantID, tenant.StatusActive); err != nil {
			return false, err
		}
	}
	processed := false
	err := tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error {
		res, err := tx.ExecContext(pctx, c.led.q(`INSERT INTO stripe_events (id, type, tenant_id, received_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`), ev.ID, ev.Type, row.tenantID, c.led.tv(c.now()))
		if err != nil {
			return storeErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another delivery of the same event won
		}
		processed = true
		if !found {
			return nil
		}
		return c.apply(pctx, tx, row, ev)
	})
	return processed, err
}

// apply is an event's effect on a known customer, in tx.
func (c *Collection) apply(ctx context.Context, tx *ent.Tx, row customerRow, ev StripeEvent) error {
	now := c.now()
	set := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, c.led.q(q), args...)
		return storeErr(err)
	}
	detail := "event=" + ev.ID
	if (ev.Type == EventInvoicePaymentFailed || ev.Type == EventInvoicePaid) && row.stateEventAt != nil && ev.Created.Before(*row.stateEventAt) {
		// Stripe does not deliver in order: a failure older than the
		// payment that settled it (or the reverse) changes nothing.
		return c.audit(ctx, tx, row.tenantID, "billing.stripe_event_out_of_order", ev.ObjectID,
			detail+" type="+ev.Type+" created="+ev.Created.Format(time.RFC3339))
	}
	if err := c.linkInvoice(ctx, tx, row.tenantID, ev); err != nil {
		return err
	}
	switch ev.Type {
	case EventInvoicePaymentFailed:
		if row.state != StripeActive && row.state != StripePending {
			// Already in dunning: the clock keeps running from the
			// first failure.
			return c.audit(ctx, tx, row.tenantID, "billing.payment_failed", ev.ObjectID, detail+" dunning=continues")
		}
		if err := set("UPDATE stripe_customers SET state = ?, past_due_since = ?, reminded_at = ?, reminders = 1, state_event_at = ?, updated_at = ? WHERE tenant_id = ?",
			StripePastDue, c.led.tv(now), c.led.tv(now), c.led.tv(ev.Created), c.led.tv(now), row.tenantID); err != nil {
			return err
		}
		if err := c.audit(ctx, tx, row.tenantID, "billing.payment_failed", ev.ObjectID, detail+" state=past_due"); err != nil {
			return err
		}
		return c.remind(ctx, tx, c.reminder(row.tenantID, 1, ev.AmountDue, now))
	case EventInvoicePaid:
		if err := set("UPDATE stripe_customers SET state = ?, past_due_since = NULL, reminders = 0, last_invoice_id = ?, state_event_at = ?, updated_at = ? WHERE tenant_id = ?",
			StripeActive, ev.ObjectID, c.led.tv(ev.Created), c.led.tv(now), row.tenantID); err != nil {
			return err
		}
		if err := c.markPaid(ctx, tx, row.tenantID, ev); err != nil {
			return err
		}
		return c.audit(ctx, tx, row.tenantID, "billing.payment_received", ev.ObjectID, detail+" from="+row.state+" state=active")
	case EventInvoiceFinalized:
		if err := set("UPDATE stripe_customers SET last_invoice_id = ?, updated_at = ? WHERE tenant_id = ?", ev.ObjectID, c.led.tv(now), row.tenantID); err != nil {
			return err
		}
		return c.audit(ctx, tx, row.tenantID, "billing.stripe_invoice_finalized", ev.ObjectID, detail)
	case EventSubscriptionUpdated:
		if err := set("UPDATE stripe_customers SET subscription_status = ?, updated_at = ? WHERE tenant_id = ?", ev.Status, c.led.tv(now), row.tenantID); err != nil {
			return err
		}
		return c.audit(ctx, tx, row.tenantID, "billing.stripe_subscription_updated", ev.SubscriptionID, detail+" status="+ev.Status)
	case EventSubscriptionDeleted:
		// Opsward collects again; a suspension for non-payment stays
		// until the provider lifts it.
		if err := set("UPDATE stripe_customers SET state = ?, subscription_status = ?, updated_at = ? WHERE tenant_id = ?",
			StripeCanceled, ev.Status, c.led.tv(now), row.tenantID); err != nil {
			return err
		}
		return c.audit(ctx, tx, row.tenantID, "billing.stripe_subscription_deleted", ev.SubscriptionID, detail+" collection=manual")
	}
	return nil
}

// linkInvoice records which Stripe invoice carries an Opsward invoice's
// settlement, from an invoice event that names it (the first link
// stands: a Stripe invoice id is never moved to another invoice).
func (c *Collection) linkInvoice(ctx context.Context, tx *ent.Tx, tenantID string, ev StripeEvent) error {
	if ev.Object != "invoice" || ev.InvoiceID == "" || ev.ObjectID == "" {
		return nil
	}
	res, err := tx.ExecContext(ctx, c.led.q(`UPDATE invoices SET stripe_invoice_id = ? WHERE tenant_id = ? AND id = ? AND stripe_invoice_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM invoices o WHERE o.tenant_id = ? AND o.stripe_invoice_id = ?)`),
		ev.ObjectID, tenantID, ev.InvoiceID, tenantID, ev.ObjectID)
	if err != nil {
		return storeErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return c.audit(ctx, tx, tenantID, "billing.stripe_invoice_linked", ev.InvoiceID, "event="+ev.ID+" stripe_invoice="+ev.ObjectID)
}

// markPaid settles the Opsward invoice that a paid Stripe invoice
// carries: finalized → paid. An invoice voided, or settled by the
// provider by hand, is left as it is (and audited).
func (c *Collection) markPaid(ctx context.Context, tx *ent.Tx, tenantID string, ev StripeEvent) error {
	if ev.ObjectID == "" {
		return nil
	}
	rows, err := tx.QueryContext(ctx, c.led.q("SELECT id, status FROM invoices WHERE tenant_id = ? AND stripe_invoice_id = ?"),
		tenantID, ev.ObjectID)
	if err != nil {
		return storeErr(err)
	}
	var id, status string
	found := rows.Next()
	if found {
		err = rows.Scan(&id, &status)
	}
	rows.Close()
	if err != nil {
		return storeErr(err)
	}
	if !found {
		return nil // a Stripe invoice that carries no Opsward invoice (the base fee in advance)
	}
	if status != StatusFinalized {
		return c.audit(ctx, tx, tenantID, "billing.stripe_paid_not_open", id, "event="+ev.ID+" status="+status)
	}
	if _, err := tx.ExecContext(ctx, c.led.q("UPDATE invoices SET status = ?, settled_at = ? WHERE tenant_id = ? AND id = ? AND status = ?"),
		StatusPaid, c.led.tv(c.now()), tenantID, id, StatusFinalized); err != nil {
		return storeErr(err)
	}
	return c.audit(ctx, tx, tenantID, "billing.invoice_paid", id, "event="+ev.ID+" stripe_invoice="+ev.ObjectID)
}

func (c *Collection) reminder(tenantID string, n int, due int64, at time.Time) Reminder {
	var b strings.Builder
	fmt.Fprintf(&b, "A payment for your Opsward subscription failed")
	if due > 0 {
		fmt.Fprintf(&b, " (%d.%02d due)", due/100, due%100)
	}
	fmt.Fprintf(&b, ". Update your payment method in the billing portal; without payment the service is suspended %s after the first failure.",
		c.cfg.DunningGrace)
	return Reminder{TenantID: tenantID, Title: fmt.Sprintf("Payment failed: reminder %d", n), Summary: b.String(), Count: n, At: at}
}

func (c *Collection) setTenantStatus(ctx context.Context, tenantID string, st tenant.Status) error {
	t, err := c.client.Tenant.Get(ctx, tenantID)
	if err != nil {
		return storeErr(err)
	}
	if t.Status == st || t.Status == tenant.StatusClosed {
		return nil // nothing to change (the mend of a saved suspension runs every close)
	}
	_, err = c.tenants.SetTenantStatus(ctx, tenantID, st)
	if opsward.ErrorCode(err) == opsward.ECONFLICT {
		return nil // closed: nothing to pause or resume
	}
	return err
}

// Dunning moves every past-due customer along: a reminder each
// RemindEvery, and once DunningGrace has passed since the first failed
// payment its tenant is suspended (schedules and queues paused through
// the tenants hook, data kept). It is the dunning job's body (system
// work) and returns the tenants it suspended.
func (c *Collection) Dunning(ctx context.Context) (int, error) {
	if c.api == nil {
		return 0, nil
	}
	pctx := tenants.Privileged(ctx, "billing: dunning")
	rows, err := c.led.db.QueryContext(pctx, c.led.q("SELECT "+customerCols+" FROM stripe_customers WHERE state IN (?, ?)"), StripePastDue, StripeSuspended)
	if err != nil {
		return 0, storeErr(err)
	}
	var due []customerRow
	for rows.Next() {
		r, err := scanCustomer(rows.Scan)
		if err != nil {
			rows.Close()
			return 0, storeErr(err)
		}
		due = append(due, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, storeErr(err)
	}
	now := c.now()
	suspended := 0
	for _, r := range due {
		if r.state == StripeSuspended || r.pastDue == nil {
			// Mend a suspension whose state was saved before the
			// tenant's status (a crash between the two).
			if r.state == StripeSuspended {
				if err := c.setTenantStatus(pctx, r.tenantID, tenant.StatusSuspended); err != nil {
					return suspended, err
				}
			}
			continue
		}
		if now.Sub(*r.pastDue) >= c.cfg.DunningGrace {
			if err := c.setTenantStatus(pctx, r.tenantID, tenant.StatusSuspended); err != nil {
				return suspended, err
			}
			err := tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error {
				res, err := tx.ExecContext(pctx, c.led.q("UPDATE stripe_customers SET state = ?, updated_at = ? WHERE tenant_id = ? AND state = ?"),
					StripeSuspended, c.led.tv(now), r.tenantID, StripePastDue)
				if err != nil {
					return storeErr(err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				return c.audit(pctx, tx, r.tenantID, "billing.dunning_suspend", r.tenantID,
					fmt.Sprintf("past_due_since=%s grace=%s", r.pastDue.Format(time.RFC3339), c.cfg.DunningGrace))
			})
			if err != nil {
				return suspended, err
			}
			suspended++
			c.log.InfoContext(ctx, "tenant suspended for non-payment", "tenant_id", r.tenantID)
			continue
		}
		if r.reminded == nil || now.Sub(*r.reminded) >= c.cfg.RemindEvery {
			n := r.reminders + 1
			err := tenants.WithTx(pctx, c.client, func(tx *ent.Tx) error {
				if _, err := tx.ExecContext(pctx, c.led.q("UPDATE stripe_customers SET reminded_at = ?, reminders = ?, updated_at = ? WHERE tenant_id = ?"),
					c.led.tv(now), n, c.led.tv(now), r.tenantID); err != nil {
					return storeErr(err)
				}
				return c.remind(pctx, tx, c.reminder(r.tenantID, n, 0, now))
			})
			if err != nil {
				return suspended, err
			}
		}
	}
	return suspended, nil
}
