package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/tenants"
)

// signedInvoiceEvent is a Stripe invoice event whose invoice carries the
// settlement of Opsward's invoice opswardID (in its line's metadata, as
// Stripe shows an invoice item's metadata on its line), signed as Stripe
// signs it.
func signedInvoiceEvent(t *testing.T, id, typ, customerID, stripeInvoiceID, opswardID string, at time.Time) ([]byte, string) {
	t.Helper()
	obj := map[string]any{"object": "invoice", "id": stripeInvoiceID, "customer": customerID, "subscription": "sub_1", "amount_due": 4900, "status": "open",
		"lines": map[string]any{"object": "list", "data": []any{
			map[string]any{"object": "line_item", "id": "il_1", "metadata": map[string]any{}},
			map[string]any{"object": "line_item", "id": "il_2", "metadata": map[string]any{"opsward_invoice_id": opswardID}},
		}}}
	body, err := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": "2023-10-16", "created": at.Unix(),
		"type": typ, "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		t.Fatal(err)
	}
	return body, webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: testWebhookSecret, Timestamp: at}).Header
}

// usageSentRequests is every usage record request the recorder saw.
func usageSentRequests(rec *testenv.StripeRecorder) []testenv.StripeRequest {
	var out []testenv.StripeRequest
	for _, r := range rec.Requests("/v1/subscription_items/") {
		if strings.HasSuffix(r.Path, "/usage_records") {
			out = append(out, r)
		}
	}
	return out
}

type stripeTestInvoice struct {
	id, status, stripeID string
	total                int64
	discount, tax        int64
}

func stripeTestInvoices(t *testing.T, m *Main, tenantID string) []stripeTestInvoice {
	t.Helper()
	rows, err := m.DB.DB.QueryContext(tenants.Privileged(context.Background(), "test"),
		"SELECT id, status, coalesce(stripe_invoice_id, ''), total, discount, tax FROM invoices WHERE tenant_id = $1 ORDER BY period_start", tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []stripeTestInvoice
	for rows.Next() {
		var v stripeTestInvoice
		if err := rows.Scan(&v.id, &v.status, &v.stripeID, &v.total, &v.discount, &v.tax); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// Opsward's invoice is the invoice of record and Stripe collects it: for
// every invoice, the base fee Stripe's subscription bills, the usage
// records and the invoice's settlement item add up to the invoice's total
// to the cent, with a contracted discount and tax rate on the account; a
// push killed after Stripe accepted a settlement and retried sends it
// again with the same key and nothing else twice. The webhook links
// Stripe's invoice to Opsward's through the settlement's metadata; a
// failed payment leaves it open (the customer past due) and invoice.paid
// marks it paid; a link is never moved, and an event naming no invoice of
// the customer links nothing.
func TestStripeCollectsOpswardInvoices(t *testing.T) {
	rec := testenv.NewStripeRecorder(t)
	cfg := stripeConfig(t, rec)
	ctx := context.Background()
	pctx := tenants.Privileged(ctx, "test")
	var acme, globexInvoice string
	seedWithTool(t, cfg, func(tool *Main, demo *tenants.Demo) {
		acme = demoCustomer(t, demo, "acme").ID
		seedStripeUsageTerms(t, tool, demo.Provider.ID, acme, billing.Terms{DiscountBP: 1250, TaxBP: 1900})
		if err := tool.Collection.Provision(ctx, acme); err != nil {
			t.Fatal(err)
		}
		// The push is killed after Stripe accepted the second settlement.
		var kctx context.Context
		var kill context.CancelFunc
		kctx, kill = context.WithCancel(ctx)
		var seen atomic.Int32
		var killed atomic.Value
		rec.SetAfterForward(func(r testenv.StripeRequest) {
			if r.Path == "/v1/invoiceitems" && seen.Add(1) == 2 {
				killed.Store(r.IdempotencyKey)
				kill()
				time.Sleep(100 * time.Millisecond)
			}
		})
		if _, err := tool.Collection.PushUsage(kctx, acme); err == nil {
			t.Fatal("the killed push reported success")
		}
		rec.SetAfterForward(nil)
		if _, err := tool.Collection.PushUsage(ctx, acme); err != nil {
			t.Fatal(err)
		}
		if _, err := tool.Collection.PushUsage(ctx, acme); err != nil { // nothing left
			t.Fatal(err)
		}
		killedKey, _ := killed.Load().(string)

		var base int64 = -1
		for _, p := range rec.Requests("/v1/prices") {
			if strings.HasSuffix(p.IdempotencyKey, "-base") {
				fmt.Sscan(p.Form.Get("unit_amount"), &base)
			}
		}
		if base <= 0 {
			t.Fatalf("no base price was created: %+v", rec.Requests("/v1/prices"))
		}
		settled := map[string][]int64{}
		for _, r := range rec.Requests("/v1/invoiceitems") {
			id := strings.TrimPrefix(r.IdempotencyKey, "ow-settle-")
			if r.Status != http.StatusOK || r.Form.Get("metadata[opsward_invoice_id]") != id || r.Form.Get("currency") != "eur" || r.Form.Get("subscription") == "" {
				t.Errorf("settlement %s: %d %v", r.IdempotencyKey, r.Status, r.Form)
			}
			var a int64
			fmt.Sscan(r.Form.Get("amount"), &a)
			settled[id] = append(settled[id], a)
		}
		usage := map[string]int64{}
		for k, qs := range usageSent(t, rec) {
			id := strings.TrimPrefix(k, "ow-usage-")
			id = id[:strings.LastIndex(id, "-")]
			usage[id] += qs[0]
		}
		invs := stripeTestInvoices(t, tool, acme)
		mismatches, negative := 0, 0
		for _, inv := range invs {
			s := settled[inv.id]
			if len(s) == 0 {
				t.Errorf("invoice %s was not settled on Stripe", inv.id)
				continue
			}
			if (len(s) > 1) != ("ow-settle-"+inv.id == killedKey) || s[len(s)-1] != s[0] {
				t.Errorf("invoice %s settled %v (the killed one was %s)", inv.id, s, killedKey)
			}
			if inv.discount == 0 || inv.tax == 0 {
				t.Errorf("invoice %s has no discount or tax: %+v", inv.id, inv)
			}
			if base+usage[inv.id]+s[0] != inv.total {
				mismatches++
				t.Errorf("invoice %s: Stripe collects %d + %d + %d, the invoice's total is %d", inv.id, base, usage[inv.id], s[0], inv.total)
			}
			if s[0] < 0 {
				negative++
			}
		}
		if len(settled) != len(invs) || len(invs) < 3 {
			t.Fatalf("%d settlements for %d invoices", len(settled), len(invs))
		}
		t.Logf("stripe-settle: invoices=%d mismatches=%d negative=%d resent=%s", len(invs), mismatches, negative, killedKey)

		// A plan change reaches Stripe through the outbox: the next
		// period-close run plans a provision job, which moves the base
		// item to the new version's price without Stripe prorating; a
		// job killed after Stripe accepted the move and retried repeats
		// the same keys, and a third run sends nothing.
		outbox := func() int {
			var n int
			if err := tool.DB.DB.QueryRowContext(pctx, "SELECT count(*) FROM dispatch_outbox WHERE tenant_id = $1 AND kind = $2",
				acme, StripeProvisionArgs{}.Kind()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if _, err := tool.DB.DB.ExecContext(pctx, "DELETE FROM dispatch_outbox WHERE tenant_id = $1", acme); err != nil {
			t.Fatal(err)
		}
		if _, err := tool.Collection.Plan(ctx); err != nil || outbox() != 0 {
			t.Fatalf("a period close without a plan change planned %d provision jobs: %v", outbox(), err)
		}
		book, err := tool.Ledger.PriceBook(pctx, demo.Provider.ID)
		if err != nil {
			t.Fatal(err)
		}
		var to billing.PriceVersion
		for _, v := range book {
			if v.BaseFee > base && v.Currency == "EUR" && (to.ID == "" || v.BaseFee < to.BaseFee) {
				to = v
			}
		}
		if to.ID == "" {
			t.Fatalf("no dearer version than %d in %+v", base, book)
		}
		if _, err := tool.Billing.ChangePriceVersion(pctx, billing.ChangeRequest{TenantID: acme, VersionID: to.ID}); err != nil {
			t.Fatal(err)
		}
		if len(rec.Requests("/v1/subscription_items/")) != len(usageSentRequests(rec)) {
			t.Fatal("the plan change called Stripe in the request")
		}
		if _, err := tool.Collection.Plan(ctx); err != nil || outbox() != 1 {
			t.Fatalf("the period close after the change planned %d provision jobs: %v", outbox(), err)
		}
		swaps := func() []testenv.StripeRequest {
			var out []testenv.StripeRequest
			for _, r := range rec.Requests("/v1/subscription_items/si_") {
				if !strings.HasSuffix(r.Path, "/usage_records") {
					out = append(out, r)
				}
			}
			return out
		}
		kctx, kill = context.WithCancel(ctx)
		rec.SetAfterForward(func(r testenv.StripeRequest) {
			if strings.HasPrefix(r.IdempotencyKey, "ow-swap-") {
				kill()
				time.Sleep(100 * time.Millisecond)
			}
		})
		if err := tool.Collection.Provision(kctx, acme); err == nil {
			t.Fatal("the killed provision reported success")
		}
		rec.SetAfterForward(nil)
		for range 2 {
			if err := tool.Collection.Provision(ctx, acme); err != nil {
				t.Fatal(err)
			}
		}
		sw := swaps()
		if len(sw) != 2 {
			t.Fatalf("%d price moves sent, want the killed one and its retry: %+v", len(sw), sw)
		}
		for _, r := range sw {
			if r.IdempotencyKey != "ow-swap-"+acme+"-"+to.ID || r.Form.Get("proration_behavior") != "none" || r.Form.Get("price") == "" || r.Status != http.StatusOK {
				t.Errorf("price move %s %v: %d", r.IdempotencyKey, r.Form, r.Status)
			}
		}
		var newBase int64
		var version string
		if err := tool.DB.DB.QueryRowContext(pctx, "SELECT unit_amount, version_id FROM stripe_items WHERE tenant_id = $1 AND meter = 'base'", acme).Scan(&newBase, &version); err != nil ||
			newBase != to.BaseFee || version != to.ID {
			t.Fatalf("the base item after the change: %d %s %v, want %d %s", newBase, version, err, to.BaseFee, to.ID)
		}
		if _, err := tool.DB.DB.ExecContext(pctx, "DELETE FROM dispatch_outbox WHERE tenant_id = $1", acme); err != nil {
			t.Fatal(err)
		}
		if _, err := tool.Collection.Plan(ctx); err != nil || outbox() != 0 {
			t.Fatalf("the change planned again after it reached Stripe: %d %v", outbox(), err)
		}

		// Another customer's invoice, to be named in acme's events.
		globex := demoCustomer(t, demo, "globex").ID
		globexInvoice = opsward.NewID(opsward.PrefixInvoice)
		if _, err := tool.DB.DB.ExecContext(pctx, `INSERT INTO invoices (tenant_id, id, provider_id, number, status, currency, period_start, period_end,
			subtotal, discount, tax, credit, total, lines, created_at, finalized_at)
			SELECT $1, $3, provider_id, 999999, status, currency, period_start, period_end,
			subtotal, discount, tax, credit, total, lines, created_at, finalized_at FROM invoices WHERE tenant_id = $2 ORDER BY period_start LIMIT 1`,
			globex, acme, globexInvoice); err != nil {
			t.Fatal(err)
		}
	})

	m := startMain(t, cfg)
	base := m.URL()
	var customerID string
	if err := m.DB.DB.QueryRowContext(pctx, "SELECT customer_id FROM stripe_customers WHERE tenant_id = $1", acme).Scan(&customerID); err != nil || customerID == "" {
		t.Fatalf("acme's Stripe customer: %q %v", customerID, err)
	}
	invs := stripeTestInvoices(t, m, acme)
	first, second := invs[0].id, invs[1].id
	post := func(id, typ, stripeID, opswardID string, at time.Time) int {
		t.Helper()
		body, sig := signedInvoiceEvent(t, id, typ, customerID, stripeID, opswardID, at)
		code, out := postWebhook(t, base, body, sig)
		if code != http.StatusOK && code != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", id, code, out)
		}
		return code
	}
	invoice := func(id string) stripeTestInvoice {
		t.Helper()
		for _, v := range stripeTestInvoices(t, m, acme) {
			if v.id == id {
				return v
			}
		}
		t.Fatalf("no invoice %s", id)
		return stripeTestInvoice{}
	}
	now := time.Now()
	if code := post("evt_inv_fin", billing.EventInvoiceFinalized, "in_first", first, now.Add(-5*time.Second)); code != http.StatusOK {
		t.Fatalf("invoice.finalized: %d", code)
	}
	if v := invoice(first); v.stripeID != "in_first" || v.status != billing.StatusFinalized {
		t.Fatalf("after invoice.finalized: %+v", v)
	}
	post("evt_inv_fail", billing.EventInvoicePaymentFailed, "in_first", first, now.Add(-4*time.Second))
	if v := invoice(first); v.status != billing.StatusFinalized {
		t.Fatalf("after invoice.payment_failed the invoice is %s, want it open (finalized)", v.status)
	}
	var state string
	if err := m.DB.DB.QueryRowContext(pctx, "SELECT state FROM stripe_customers WHERE tenant_id = $1", acme).Scan(&state); err != nil || state != billing.StripePastDue {
		t.Fatalf("after invoice.payment_failed the customer is %q (%v)", state, err)
	}
	// A second Stripe invoice naming the same Opsward invoice does not
	// move the link, and its payment settles nothing.
	post("evt_inv_other", billing.EventInvoicePaid, "in_other", first, now.Add(-3*time.Second))
	if v := invoice(first); v.stripeID != "in_first" || v.status != billing.StatusFinalized {
		t.Fatalf("a second Stripe invoice moved the link or paid it: %+v", v)
	}
	// An event naming another customer's invoice links nothing.
	post("evt_inv_cross", billing.EventInvoiceFinalized, "in_cross", globexInvoice, now.Add(-2*time.Second))
	var crossLinked int
	if err := m.DB.DB.QueryRowContext(pctx, "SELECT count(*) FROM invoices WHERE stripe_invoice_id = 'in_cross'").Scan(&crossLinked); err != nil || crossLinked != 0 {
		t.Fatalf("an event for acme linked another tenant's invoice: %d %v", crossLinked, err)
	}
	// A malformed invoice id in the metadata is refused, nothing stored.
	if code := post("evt_inv_bad", billing.EventInvoicePaid, "in_bad", "not-an-invoice", now); code != http.StatusBadRequest {
		t.Fatalf("a bad opsward_invoice_id: %d", code)
	}
	var stored int
	if err := m.DB.DB.QueryRowContext(pctx, "SELECT count(*) FROM stripe_events WHERE id = 'evt_inv_bad'").Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the refused event was stored: %d %v", stored, err)
	}
	// Paid: the Opsward invoice it carries is paid, once.
	post("evt_inv_paid", billing.EventInvoicePaid, "in_first", first, now.Add(-time.Second))
	post("evt_inv_paid", billing.EventInvoicePaid, "in_first", first, now.Add(-time.Second))
	if v := invoice(first); v.status != billing.StatusPaid {
		t.Fatalf("after invoice.paid the invoice is %s", v.status)
	}
	if v := invoice(second); v.status != billing.StatusFinalized || v.stripeID != "" {
		t.Fatalf("another invoice changed: %+v", v)
	}
	// invoice.paid alone (its invoice.finalized lost) links and pays.
	post("evt_inv_paid2", billing.EventInvoicePaid, "in_second", second, now)
	if v := invoice(second); v.status != billing.StatusPaid || v.stripeID != "in_second" {
		t.Fatalf("invoice.paid without invoice.finalized: %+v", v)
	}
	var audits int
	if err := m.DB.DB.QueryRowContext(pctx, "SELECT count(*) FROM audit_entries WHERE tenant_id = $1 AND action = 'billing.invoice_paid'", acme).Scan(&audits); err != nil || audits != 2 {
		t.Fatalf("%d billing.invoice_paid audit entries: %v", audits, err)
	}
}
