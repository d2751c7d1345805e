package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/httpapi"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/tenants"
)

const (
	testWebhookSecret = "whsec_opsward_test_0123456789"
	// testStripeKey is distinctive so that a test can look for it in logs.
	testStripeKey = "sk_test_OpswardNeverLogged4242"
)

// stripeConfig is testConfig with Stripe collecting through rec.
func stripeConfig(t *testing.T, rec *testenv.StripeRecorder) platform.Config {
	t.Helper()
	cfg := testConfig(t)
	cfg.StripeKey, cfg.StripeWebhookSecret, cfg.StripeAPIURL = testStripeKey, testWebhookSecret, rec.URL
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// seedWithTool seeds the demonstration data into cfg's empty database
// through a Main with no roles, as `opsward seed demo` does, runs more
// set-up on it (fn, may be nil) and closes it before the test starts the
// server.
func seedWithTool(t *testing.T, cfg platform.Config, fn func(tool *Main, demo *tenants.Demo)) *tenants.Demo {
	t.Helper()
	ctx := context.Background()
	tool := NewMain(cfg, Roles{}, io.Discard, testLogWriter{t})
	if err := tool.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tool.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	seedMu.Lock()
	demo, err := tool.seedDemo(ctx)
	seedMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if fn != nil {
		fn(tool, demo)
	}
	return demo
}

func demoCustomer(t *testing.T, demo *tenants.Demo, slug string) tenants.DemoTenant {
	t.Helper()
	for _, c := range demo.Customers {
		if c.Slug == slug {
			return c
		}
	}
	t.Fatalf("no demo customer %s", slug)
	return tenants.DemoTenant{}
}

// Usage of closed periods reaches Stripe once: a push killed after Stripe
// accepted a report and retried sends that report again with the same
// idempotency key and nothing else twice; while Stripe is down nothing is
// lost, and after it returns what was sent adds up to Opsward's invoices.
// The jobs are run here as the worker would run them, so that the test
// can kill one.
func TestStripeUsageSync(t *testing.T) {
	rec := testenv.NewStripeRecorder(t)
	cfg := stripeConfig(t, rec)
	ctx := context.Background()
	m := NewMain(cfg, Roles{}, io.Discard, testLogWriter{t})
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	seedMu.Lock()
	demo, err := m.seedDemo(ctx)
	seedMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	acme := demoCustomer(t, demo, "acme").ID
	pctx := tenants.Privileged(ctx, "test")
	planned := seedStripeUsage(t, m, demo.Provider.ID, acme)
	// Every Stripe call waits in the outbox as a job.
	kinds := map[string]int{}
	rows, err := m.DB.DB.QueryContext(pctx, "SELECT kind FROM dispatch_outbox WHERE tenant_id = $1", acme)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		kinds[k]++
	}
	rows.Close()
	if kinds[StripeProvisionArgs{}.Kind()] != 1 || kinds[StripePushUsageArgs{}.Kind()] == 0 {
		t.Fatalf("outbox jobs of acme: %v", kinds)
	}
	if len(rec.Requests("/v1/")) != 0 {
		t.Fatalf("Stripe was called outside a job: %v", rec.Requests("/v1/"))
	}

	// A push before the customer exists waits for it.
	if _, err := m.Collection.PushUsage(ctx, acme); err != billing.ErrNotProvisioned {
		t.Fatalf("push before provisioning: %v", err)
	}
	if err := m.Collection.Provision(ctx, acme); err != nil {
		t.Fatal(err)
	}
	if err := m.Collection.Provision(ctx, acme); err != nil { // a retried job: nothing new
		t.Fatal(err)
	}
	cus := rec.Requests("/v1/customers")
	if len(cus) != 1 || cus[0].IdempotencyKey != "ow-cus-"+acme || cus[0].Form.Get("metadata[opsward_tenant_id]") != acme {
		t.Fatalf("customer requests %+v", cus)
	}
	if subs := rec.Requests("/v1/subscriptions"); len(subs) != 1 || subs[0].Form.Get("items[0][quantity]") != "1" {
		t.Fatalf("subscription requests %+v", subs)
	}
	var metered int
	for _, p := range rec.Requests("/v1/prices") {
		if p.Form.Get("recurring[usage_type]") == "metered" {
			metered++
			if p.Form.Get("unit_amount") != "1" || p.Form.Get("currency") != "eur" {
				t.Errorf("metered price %v", p.Form)
			}
		}
	}
	items := rec.Requests("/v1/subscription_items")
	if metered != 2 || len(items) != 2 {
		t.Fatalf("%d metered prices and %d items for the two components", metered, len(items))
	}

	want, wantTotal := invoiceUsageLines(t, m, acme)
	if len(want) != planned || wantTotal == 0 {
		t.Fatalf("%d usage lines worth %d, %d reports planned", len(want), wantTotal, planned)
	}
	sentInDB := func() int {
		var n int
		if err := m.DB.DB.QueryRowContext(pctx, "SELECT count(*) FROM stripe_usage_reports WHERE tenant_id = $1 AND sent_at IS NOT NULL", acme).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The push is killed after Stripe accepted its second report, before
	// it was marked sent.
	kctx, kill := context.WithCancel(ctx)
	var seen atomic.Int32
	var killed atomic.Value
	rec.SetAfterForward(func(r testenv.StripeRequest) {
		if strings.HasSuffix(r.Path, "/usage_records") && seen.Add(1) == 2 {
			killed.Store(r.IdempotencyKey)
			kill()
			time.Sleep(100 * time.Millisecond) // the client gives up before the answer
		}
	})
	if _, err := m.Collection.PushUsage(kctx, acme); err == nil {
		t.Fatal("the killed push reported success")
	}
	rec.SetAfterForward(nil)
	killedKey, _ := killed.Load().(string)
	if n := sentInDB(); n != 1 {
		t.Fatalf("%d reports marked sent after the kill, want 1", n)
	}
	// Stripe is down for a while: the retries fail and lose nothing.
	rec.SetDown(true)
	for range 3 {
		if _, err := m.Collection.PushUsage(ctx, acme); err == nil {
			t.Fatal("a push to a stopped Stripe reported success")
		}
	}
	if n := sentInDB(); n != 1 {
		t.Fatalf("%d reports marked sent while Stripe was down", n)
	}
	rec.SetDown(false)
	n, err := m.Collection.PushUsage(ctx, acme)
	if err != nil || n != planned-1 {
		t.Fatalf("the push after Stripe returned sent %d of %d: %v", n, planned-1, err)
	}
	if n, err := m.Collection.PushUsage(ctx, acme); err != nil || n != 0 {
		t.Fatalf("a push with nothing left sent %d: %v", n, err)
	}

	// What Stripe received: every report, each key with one quantity, only
	// the killed one twice, and the totals equal the ledger's.
	byKey := usageSent(t, rec)
	requests := 0
	var sentTotal int64
	for k, qs := range byKey {
		requests += len(qs)
		amount, ok := want[k]
		if !ok {
			t.Errorf("Stripe got a report %s the ledger has no line for", k)
			continue
		}
		for _, q := range qs[1:] {
			if q != qs[0] {
				t.Errorf("key %s was sent with different quantities: %v", k, qs)
			}
		}
		q := qs[0]
		if q != amount {
			t.Errorf("key %s: Stripe got %d, the invoice line is %d", k, q, amount)
		}
		sentTotal += q
		if (len(qs) > 1) != (k == killedKey) {
			t.Errorf("key %s sent %d times (the killed one was %s)", k, len(qs), killedKey)
		}
	}
	if len(byKey) != len(want) || sentTotal != wantTotal {
		t.Fatalf("Stripe got %d reports worth %d; the ledger has %d lines worth %d", len(byKey), sentTotal, len(want), wantTotal)
	}
	t.Logf("stripe-sync: reports=%d requests=%d resent=%s total=%d", len(byKey), requests, killedKey, sentTotal)

	// A report for a meter the subscription has no price for (a plan
	// change brought a component): the push adds its price first.
	var at any = time.Now().UTC()
	if m.DB.Dialect != "postgres" {
		at = time.Now().UnixMicro()
	}
	if _, err := m.DB.DB.ExecContext(pctx, `INSERT INTO stripe_usage_reports (tenant_id, idem_key, invoice_id, meter, quantity, at)
		VALUES ($1, 'ow-usage-ivc_test-0', 'ivc_test', 'seats', 700, $2)`, acme, at); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Collection.PushUsage(ctx, acme); err != nil || n != 1 {
		t.Fatalf("push of a new meter sent %d: %v", n, err)
	}
	var added bool
	for _, r := range rec.Requests("/v1/subscription_items") {
		added = added || (r.Path == "/v1/subscription_items" && r.IdempotencyKey == "ow-si-"+acme+"-seats")
	}
	if qs := usageSent(t, rec)["ow-usage-ivc_test-0"]; !added || len(qs) != 1 || qs[0] != 700 {
		t.Errorf("the seats price was not added before its report: %+v", rec.Requests("/v1/subscription_items"))
	}
}

// seedStripeUsage opens tenantID's account three periods ago, lets Stripe
// take over its collection (a pending customer), records usage over the
// allowances, closes the periods and plans the usage reports, as the
// period-close job does. It returns the reports planned.
func seedStripeUsage(t *testing.T, m *Main, providerID, tenantID string) int {
	t.Helper()
	return seedStripeUsageTerms(t, m, providerID, tenantID, billing.Terms{})
}

// seedStripeUsageTerms is seedStripeUsage for an account with contracted
// terms (a discount, a tax rate).
func seedStripeUsageTerms(t *testing.T, m *Main, providerID, tenantID string, terms billing.Terms) int {
	t.Helper()
	ctx := context.Background()
	pctx := tenants.Privileged(ctx, "test")
	if _, err := m.Ledger.EnsureDefaultBook(ctx, providerID); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Second).AddDate(0, -3, -1)
	// The customer's account opened with it, today; this bills it from
	// three months back instead.
	for _, q := range []string{"DELETE FROM subscription_phases WHERE tenant_id = $1", "DELETE FROM billing_accounts WHERE tenant_id = $1"} {
		if _, err := m.DB.DB.ExecContext(pctx, q, tenantID); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := m.Ledger.EnsureAccount(ctx, tenantID, providerID, billing.PlanEssentials, start); err != nil || !ok {
		t.Fatalf("open the account three months back: %v %v", ok, err)
	}
	if _, err := m.DB.DB.ExecContext(pctx, "UPDATE billing_accounts SET discount_bp = $1, tax_bp = $2 WHERE tenant_id = $3",
		terms.DiscountBP, terms.TaxBP, tenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Collection.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	// Compliance reports (5 free, then 5.00 each) and security bytes
	// (packages of 1 GiB over the allowance).
	var evs []billing.UsageEvent
	for i := range 60 {
		at := start.Add(time.Duration(i) * 36 * time.Hour)
		evs = append(evs, billing.UsageEvent{TenantID: tenantID, Meter: billing.MeterComplianceReports, Key: fmt.Sprintf("rep-%d", i), Quantity: 1, At: at, ReceivedAt: at},
			billing.UsageEvent{TenantID: tenantID, Meter: billing.MeterSecurityBytes, Key: fmt.Sprintf("bytes-%d", i), Quantity: int64(i+1) << 30, At: at, ReceivedAt: at})
	}
	if _, err := m.Ledger.Usage().Record(pctx, evs); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Ledger.CloseDue(ctx, time.Now()); err != nil || n < 3 { // issued after Stripe took over
		t.Fatalf("closed %d periods: %v", n, err)
	}
	planned, err := m.Collection.Plan(ctx)
	if err != nil || planned < 3 {
		t.Fatalf("planned %d usage reports: %v", planned, err)
	}
	if again, err := m.Collection.Plan(ctx); err != nil || again != 0 {
		t.Fatalf("planning again wrote %d reports: %v", again, err)
	}
	return planned
}

// invoiceUsageLines reads the ledger's side from the raw rows: each
// charged usage line of the tenant's invoices, by the key its report
// carries, and their total.
func invoiceUsageLines(t *testing.T, m *Main, tenantID string) (map[string]int64, int64) {
	t.Helper()
	want := map[string]int64{}
	var total int64
	rows, err := m.DB.DB.QueryContext(tenants.Privileged(context.Background(), "test"), "SELECT id, lines FROM invoices WHERE tenant_id = $1", tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, lines string
		if err := rows.Scan(&id, &lines); err != nil {
			t.Fatal(err)
		}
		var ls []struct {
			Kind   string `json:"kind"`
			Amount int64  `json:"amount"`
		}
		if err := json.Unmarshal([]byte(lines), &ls); err != nil {
			t.Fatal(err)
		}
		for i, l := range ls {
			if (l.Kind == "usage" || l.Kind == "late_usage") && l.Amount > 0 {
				want[fmt.Sprintf("ow-usage-%s-%d", id, i)] = l.Amount
				total += l.Amount
			}
		}
	}
	return want, total
}

// usageSent groups the usage records Stripe received by idempotency key:
// each request's quantity.
func usageSent(t *testing.T, rec *testenv.StripeRecorder) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	for _, r := range rec.Requests("/v1/subscription_items/") {
		if !strings.HasSuffix(r.Path, "/usage_records") {
			continue
		}
		if r.Form.Get("action") != "increment" || r.Status != http.StatusOK {
			t.Errorf("usage record %v: %d", r.Form, r.Status)
		}
		var q int64
		fmt.Sscan(r.Form.Get("quantity"), &q)
		out[r.IdempotencyKey] = append(out[r.IdempotencyKey], q)
	}
	return out
}

// signedEvent is a Stripe event about a customer's invoice or
// subscription, signed as Stripe signs it.
func signedEvent(t *testing.T, id, typ, customerID string, at time.Time, secret string) ([]byte, string) {
	t.Helper()
	return signedEventAt(t, id, typ, customerID, at, at, secret)
}

// signedEventAt is signedEvent for an event Stripe created at created and
// signed (sent) at signed.
func signedEventAt(t *testing.T, id, typ, customerID string, created, signed time.Time, secret string) ([]byte, string) {
	t.Helper()
	at := created
	obj := map[string]any{"object": "invoice", "id": "in_" + id, "customer": customerID, "subscription": "sub_1", "amount_due": 4900, "status": "open"}
	if strings.HasPrefix(typ, "customer.subscription.") {
		obj = map[string]any{"object": "subscription", "id": "sub_1", "customer": customerID, "status": "past_due"}
	}
	body, err := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": "2023-10-16", "created": at.Unix(),
		"type": typ, "livemode": false, "data": map[string]any{"object": obj}})
	if err != nil {
		t.Fatal(err)
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: signed})
	return body, sp.Header
}

// ingestStatus sends one security event with a tenant's API key and
// returns the answer's status.
func ingestStatus(t *testing.T, base, key string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/ingest/events", strings.NewReader(`{"message":"login failed for admin","host":"web-1"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func postWebhook(t *testing.T, base string, body []byte, sig string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/stripe", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// The webhook refuses forged and stale events, processes each event once,
// and drives dunning: a failed payment makes the customer past due and
// sends a reminder through its notification channel; after the grace its
// tenant is suspended and a real worker no longer runs its checks; paid,
// it is active again and its checks run.
func TestStripeWebhooksAndDunning(t *testing.T) {
	rec := testenv.NewStripeRecorder(t)
	cfg := stripeConfig(t, rec)
	cfg.DunningGrace = 2 * time.Second
	cfg.EgressAllow = []string{"127.0.0.0/8"} // the reminder's receiver
	cfg.LogLevel = "debug"
	ctx := context.Background()
	demo := seedWithTool(t, cfg, nil)
	acmeT := demoCustomer(t, demo, "acme")
	acme := acmeT.ID
	logs := &syncBuffer{}
	m := startMainLogging(t, cfg, io.MultiWriter(logs, testLogWriter{t}))
	base := m.URL()
	pctx := tenants.Privileged(ctx, "test")
	t.Cleanup(func() {
		for _, secret := range []string{testStripeKey, testWebhookSecret} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("the server logged a Stripe secret")
			}
		}
	})
	owner := demo.Provider.Users[0]
	msp := isoActor{Name: "provider owner", Auth: "Bearer " + isoLogin(t, base, owner.Email, owner.Password).AccessToken}
	collection := func() map[string]any {
		return isoMust(t, base, msp, `query($t: ID!) { billingCollection(tenantId: $t) { collection state pastDueSince reminders unreportedUsage } }`,
			map[string]any{"t": acme})["billingCollection"].(map[string]any)
	}
	// The scheduler's first period-close run opens acme's account and
	// plans its Stripe customer; the worker provisions it from the outbox.
	eventually(t, 60*time.Second, "acme's Stripe customer to be provisioned by the worker", func() bool {
		if _, err := m.Collection.Plan(ctx); err != nil { // as the next period-close run would
			t.Fatal(err)
		}
		return collection()["state"] == billing.StripeActive
	})
	if c := collection(); c["collection"] != "stripe" {
		t.Fatalf("collection %v", c)
	}
	var customerID string
	if err := m.DB.DB.QueryRowContext(pctx, "SELECT customer_id FROM stripe_customers WHERE tenant_id = $1", acme).Scan(&customerID); err != nil || customerID == "" {
		t.Fatalf("acme's Stripe customer: %q %v", customerID, err)
	}
	if got := rec.Requests("/v1/customers"); len(got) == 0 {
		t.Fatal("the worker provisioned no customer through Stripe")
	}
	url := isoMust(t, base, msp, `query($t: ID!) { billingPortalUrl(tenantId: $t) }`, map[string]any{"t": acme})["billingPortalUrl"].(string)
	if !strings.HasPrefix(url, "https://") {
		t.Errorf("billing portal URL %q", url)
	}
	if ps := rec.Requests("/v1/billing_portal/sessions"); len(ps) != 1 || ps[0].Form.Get("customer") != customerID {
		t.Errorf("portal session requests %+v", ps)
	}

	// acme's on-call webhook channel, which the reminder goes to.
	hooks := make(chan map[string]any, 16)
	receiver := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]any
		_ = json.NewDecoder(r.Body).Decode(&msg)
		hooks <- msg
	})}
	rl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go receiver.Serve(rl)
	t.Cleanup(func() { receiver.Close() })
	var admin tenants.DemoCredential
	for _, u := range acmeT.Users {
		if u.Role == "admin" || u.Role == "owner" {
			admin = u
		}
	}
	cust := isoActor{Name: "acme admin", Auth: "Bearer " + isoLogin(t, base, admin.Email, admin.Password).AccessToken}
	isoMust(t, base, cust, `mutation($in: NotificationChannelInput!) { createNotificationChannel(input: $in) { notificationChannel { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "billing hook", "kind": "webhook",
			"config": map[string]any{"url": "http://" + rl.Addr().String() + "/hook", "secret": "whsec_receiver_0123456789"}}})

	// A second channel routed to critical notices only: the (high)
	// payment reminder must not reach it.
	critHooks := make(chan map[string]any, 16)
	critReceiver := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]any
		_ = json.NewDecoder(r.Body).Decode(&msg)
		critHooks <- msg
	})}
	crl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go critReceiver.Serve(crl)
	t.Cleanup(func() { critReceiver.Close() })
	if out := isoMust(t, base, cust, `mutation($in: NotificationChannelInput!) { createNotificationChannel(input: $in) { notificationChannel { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "critical only", "kind": "webhook", "minSeverity": "critical",
			"config": map[string]any{"url": "http://" + crl.Addr().String() + "/hook", "secret": "whsec_receiver_9876543210"}}}); len(out["createNotificationChannel"].(map[string]any)["userErrors"].([]any)) != 0 {
		t.Fatalf("critical-only channel: %v", out)
	}

	// The checks of acme run: a check started now is taken by the worker.
	site := newSite(t)
	as := isoMust(t, base, cust, `mutation($in: AssetInput!) { createAsset(input: $in) { asset { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "billing shop", "kind": "website", "criticality": "high", "address": site.url()}})
	isoMust(t, base, cust, `mutation($in: MonitorInput!) { createMonitor(input: $in) { monitor { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"assetId": as["createAsset"].(map[string]any)["asset"].(map[string]any)["id"], "name": "billing shop page",
			"kind": "http", "settings": map[string]any{"url": site.url() + "/", "expected_status": []any{"200"}}, "intervalSeconds": 3600, "timeoutMs": 2000}})
	mon, err := m.Client.Monitor.Query().Where(monitor.TenantID(acme), monitor.Name("billing shop page")).Only(pctx)
	if err != nil {
		t.Fatal(err)
	}
	checked := func() time.Time {
		mo, err := m.Client.Monitor.Get(pctx, mon.ID)
		if err != nil || mo.LastCheckedAt == nil {
			return time.Time{}
		}
		return *mo.LastCheckedAt
	}
	runCheck := func() time.Time {
		before := checked()
		if _, err := m.NOC.RunNow(pctx, mon.ID); err != nil {
			t.Fatal(err)
		}
		return before
	}
	before := runCheck()
	eventually(t, 30*time.Second, "acme's check to run", func() bool { return checked().After(before) })
	if code := ingestStatus(t, base, acmeT.APIKey.Secret); code >= 300 {
		t.Fatalf("acme's ingest before dunning: %d", code)
	}

	events := func(action string) int {
		var c int
		if err := m.DB.DB.QueryRowContext(pctx, "SELECT count(*) FROM audit_entries WHERE tenant_id = $1 AND action = $2", acme, action).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	stored := func() int {
		var c int
		if err := m.DB.DB.QueryRowContext(pctx, "SELECT count(*) FROM stripe_events").Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	// Forged: signed with another secret, or not signed, or tampered.
	body, _ := signedEvent(t, "evt_forged", billing.EventInvoicePaymentFailed, customerID, time.Now(), "whsec_someone_else")
	_, forgedSig := signedEvent(t, "evt_forged", billing.EventInvoicePaymentFailed, customerID, time.Now(), "whsec_someone_else")
	if code, out := postWebhook(t, base, body, forgedSig); code != http.StatusBadRequest {
		t.Errorf("forged signature: %d %s", code, out)
	}
	if code, _ := postWebhook(t, base, body, ""); code != http.StatusBadRequest {
		t.Errorf("no signature: %d", code)
	}
	good, goodSig := signedEvent(t, "evt_tampered", billing.EventInvoicePaid, customerID, time.Now(), testWebhookSecret)
	if code, _ := postWebhook(t, base, bytes.Replace(good, []byte("4900"), []byte("0"), 1), goodSig); code != http.StatusBadRequest {
		t.Errorf("tampered body: %d", code)
	}
	// Stale: signed 301 s ago.
	stale, staleSig := signedEvent(t, "evt_stale", billing.EventInvoicePaymentFailed, customerID, time.Now().Add(-301*time.Second), testWebhookSecret)
	if code, out := postWebhook(t, base, stale, staleSig); code != http.StatusBadRequest {
		t.Errorf("stale event: %d %s", code, out)
	}
	// Too large: refused before it is read whole.
	if code, _ := postWebhook(t, base, bytes.Repeat([]byte("x"), httpapi.StripeWebhookMaxBytes+10), goodSig); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized webhook: %d", code)
	}
	if n := stored(); n != 0 || events("billing.payment_failed") != 0 || collection()["state"] != billing.StripeActive {
		t.Fatalf("refused webhooks left %d events stored, state %v", n, collection()["state"])
	}

	// The payment fails; the same event comes twice.
	failed, failedSig := signedEvent(t, "evt_failed_1", billing.EventInvoicePaymentFailed, customerID, time.Now(), testWebhookSecret)
	for i := range 2 {
		code, out := postWebhook(t, base, failed, failedSig)
		if code != http.StatusOK || strings.Contains(out, `"duplicate":true`) != (i == 1) {
			t.Fatalf("payment_failed delivery %d: %d %s", i+1, code, out)
		}
	}
	if n := events("billing.payment_failed"); n != 1 {
		t.Fatalf("payment_failed processed %d times", n)
	}
	if c := collection(); c["state"] != billing.StripePastDue || c["pastDueSince"] == nil || c["reminders"].(float64) != 1 {
		t.Fatalf("after payment_failed: %v", c)
	}
	select {
	case msg := <-hooks:
		if !strings.Contains(fmt.Sprint(msg["title"]), "Payment failed") {
			t.Errorf("reminder %v", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no payment reminder reached acme's channel")
	}
	// Within the grace the tenant keeps running.
	if n, err := m.Collection.Dunning(ctx); err != nil || n != 0 {
		t.Fatalf("dunning within the grace suspended %d: %v", n, err)
	}
	time.Sleep(cfg.DunningGrace)
	// The period close no longer moves dunning along; the dunning job does.
	if err := m.closeBillingPeriods(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if tn, _ := m.Client.Tenant.Get(pctx, acme); tn.Status == tenant.StatusSuspended {
		t.Fatal("the period-close job suspended acme: dunning must be its own job")
	}
	if err := m.runDunning(ctx, nil); err != nil {
		t.Fatalf("dunning job after the grace: %v", err)
	}
	if tn, _ := m.Client.Tenant.Get(pctx, acme); tn.Status != tenant.StatusSuspended {
		t.Fatalf("acme is %s after the grace", tn.Status)
	}
	if p, err := m.Dispatch.TenantPolicy(ctx, acme); err != nil || !p.Paused {
		t.Fatalf("acme's queue policy %+v: %v", p, err)
	}
	if c := collection(); c["state"] != billing.StripeSuspended {
		t.Fatalf("after the grace: %v", c)
	}
	select {
	case msg := <-critHooks:
		t.Errorf("the payment reminder ignored the critical-only route: %v", msg)
	case <-time.After(2 * time.Second):
	}
	// Its ingest is refused while suspended.
	if code := ingestStatus(t, base, acmeT.APIKey.Secret); code < 400 {
		t.Fatalf("a suspended tenant's ingest answered %d", code)
	}
	// A check queued now is not run by the worker while suspended (and
	// the data is kept: the monitor is still there).
	before = runCheck()
	time.Sleep(3 * time.Second)
	if got := checked(); got.After(before) {
		t.Fatalf("a suspended tenant's check ran at %s", got)
	}
	// Paid: active again, and the waiting check runs.
	paid, paidSig := signedEvent(t, "evt_paid_1", billing.EventInvoicePaid, customerID, time.Now(), testWebhookSecret)
	if code, out := postWebhook(t, base, paid, paidSig); code != http.StatusOK {
		t.Fatalf("invoice.paid: %d %s", code, out)
	}
	if tn, _ := m.Client.Tenant.Get(pctx, acme); tn.Status != tenant.StatusActive {
		t.Fatalf("acme is %s after paying", tn.Status)
	}
	eventually(t, 30*time.Second, "acme's queued check to run after payment", func() bool { return checked().After(before) })
	if code := ingestStatus(t, base, acmeT.APIKey.Secret); code >= 300 {
		t.Fatalf("acme's ingest after payment: %d", code)
	}
	if c := collection(); c["state"] != billing.StripeActive || c["pastDueSince"] != nil {
		t.Fatalf("after invoice.paid: %v", c)
	}
	// A failure Stripe created before that payment, delivered late,
	// changes nothing.
	late, lateSig := signedEventAt(t, "evt_failed_late", billing.EventInvoicePaymentFailed, customerID, time.Now().Add(-time.Hour), time.Now(), testWebhookSecret)
	if code, out := postWebhook(t, base, late, lateSig); code != http.StatusOK {
		t.Fatalf("late payment_failed: %d %s", code, out)
	}
	if c := collection(); c["state"] != billing.StripeActive || events("billing.stripe_event_out_of_order") != 1 {
		t.Fatalf("after a late payment_failed: %v", c)
	}
	for _, a := range []string{"billing.payment_failed", "billing.dunning_suspend", "tenant.suspend", "billing.payment_received", "tenant.reactivate"} {
		if n := events(a); n != 1 {
			t.Errorf("audit %s: %d entries, want 1", a, n)
		}
	}
	// The other events are stored and acted on once.
	for _, typ := range []string{billing.EventInvoiceFinalized, billing.EventSubscriptionUpdated, billing.EventSubscriptionDeleted} {
		b, s := signedEvent(t, "evt_"+strings.ReplaceAll(typ, ".", "_"), typ, customerID, time.Now(), testWebhookSecret)
		if code, out := postWebhook(t, base, b, s); code != http.StatusOK {
			t.Fatalf("%s: %d %s", typ, code, out)
		}
	}
	if c := collection(); c["collection"] != "manual" || c["state"] != billing.StripeCanceled {
		t.Fatalf("after the subscription was deleted: %v", c)
	}
	if n := stored(); n != 6 {
		t.Errorf("%d events stored, want 6", n)
	}
}

// Without a Stripe key Opsward issues the invoices itself: the collection
// is manual, there is no billing portal and no webhook endpoint, and the
// period close plans no Stripe job.
func TestManualCollection(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	var acme string
	demo := seedWithTool(t, cfg, func(tool *Main, demo *tenants.Demo) {
		acme = demoCustomer(t, demo, "acme").ID
		if err := seedBilling(ctx, tool, demo.Provider.ID, acme); err != nil {
			t.Fatal(err)
		}
		if _, err := tool.Collection.Plan(ctx); err != nil {
			t.Fatal(err)
		}
	})
	m := startMain(t, cfg)
	base := m.URL()
	owner := demo.Provider.Users[0]
	msp := isoActor{Name: "provider owner", Auth: "Bearer " + isoLogin(t, base, owner.Email, owner.Password).AccessToken}
	c := isoMust(t, base, msp, `query($t: ID!) { billingCollection(tenantId: $t) { collection state reminders unreportedUsage } }`,
		map[string]any{"t": acme})["billingCollection"].(map[string]any)
	if c["collection"] != "manual" || c["state"] != nil || c["unreportedUsage"].(float64) != 0 {
		t.Errorf("manual collection: %v", c)
	}
	r, err := isoPost(ctx, base, msp, `query($t: ID!) { billingPortalUrl(tenantId: $t) }`, map[string]any{"t": acme})
	if err != nil || len(r.Errors) == 0 || r.Errors[0].code() != "conflict" {
		t.Errorf("billing portal under manual collection: %v %s", err, r.Raw)
	}
	body, sig := signedEvent(t, "evt_1", billing.EventInvoicePaid, "cus_1", time.Now(), testWebhookSecret)
	if code, _ := postWebhook(t, base, body, sig); code != http.StatusNotFound {
		t.Errorf("the Stripe webhook without Stripe: %d", code)
	}
	var rows int
	if err := m.DB.DB.QueryRowContext(tenants.Privileged(ctx, "test"), "SELECT count(*) FROM stripe_customers").Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d Stripe customers planned without Stripe: %v", rows, err)
	}
}

// Through the real worker, with Stripe down when the server starts: the
// jobs wait in the outbox and retry with backoff, nothing is reported
// while Stripe is away, and once it returns every report arrives, once,
// and the totals equal the invoices.
func TestStripeUsageThroughTheWorker(t *testing.T) {
	rec := testenv.NewStripeRecorder(t)
	cfg := stripeConfig(t, rec)
	var acme string
	var planned int
	demo := seedWithTool(t, cfg, func(tool *Main, demo *tenants.Demo) {
		acme = demoCustomer(t, demo, "acme").ID
		planned = seedStripeUsage(t, tool, demo.Provider.ID, acme)
	})
	rec.SetDown(true)
	m := startMain(t, cfg)
	base := m.URL()
	owner := demo.Provider.Users[0]
	msp := isoActor{Name: "provider owner", Auth: "Bearer " + isoLogin(t, base, owner.Email, owner.Password).AccessToken}
	unreported := func() float64 {
		return isoMust(t, base, msp, `query($t: ID!) { billingCollection(tenantId: $t) { unreportedUsage } }`,
			map[string]any{"t": acme})["billingCollection"].(map[string]any)["unreportedUsage"].(float64)
	}
	time.Sleep(4 * time.Second) // the first attempts fail
	if n := len(rec.Requests("/v1/")); n != 0 || unreported() != float64(planned) {
		t.Fatalf("while Stripe was down: %d requests forwarded, %v reports unreported of %d", n, unreported(), planned)
	}
	rec.SetDown(false)
	eventually(t, 90*time.Second, "every usage report to reach Stripe", func() bool { return unreported() == 0 })
	want, wantTotal := invoiceUsageLines(t, m, acme)
	sent := usageSent(t, rec)
	var total int64
	for k, qs := range sent {
		if len(qs) != 1 || qs[0] != want[k] {
			t.Errorf("report %s: Stripe got %v, the invoice line is %d", k, qs, want[k])
		}
		total += qs[0]
	}
	if len(sent) != len(want) || total != wantTotal {
		t.Fatalf("Stripe got %d reports worth %d; the ledger has %d lines worth %d", len(sent), total, len(want), wantTotal)
	}
	t.Logf("stripe-outage: reports=%d total=%d", len(sent), total)
}
