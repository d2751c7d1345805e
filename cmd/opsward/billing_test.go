package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/tenants"
)

// The billing API as a customer and as the provider: invoices with lines,
// the invoice PDF, current usage, a plan change previewed then made, the
// price book and revenue.
func TestBillingThroughTheAPI(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	tool := NewMain(cfg, Roles{}, io.Discard, testLogWriter{t})
	if err := tool.Open(ctx); err != nil {
		t.Fatal(err)
	}
	demo, err := tool.seedDemo(ctx)
	var acme tenants.DemoTenant
	if err == nil {
		for _, c := range demo.Customers {
			if c.Slug == "acme" {
				acme = c
			}
		}
		err = seedBilling(ctx, tool, demo.Provider.ID, acme.ID)
	}
	if cerr := tool.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	m := startMain(t, cfg)
	base := m.URL()
	owner := demo.Provider.Users[0]
	msp := isoActor{Name: "provider owner", Auth: "Bearer " + isoLogin(t, base, owner.Email, owner.Password).AccessToken}
	// The provider gives acme a billing user through an invitation.
	inv := isoMust(t, base, msp, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { token userErrors { message } } }`,
		map[string]any{"in": map[string]any{"tenantId": acme.ID, "email": "billing@acme.example", "role": "owner"}})
	isoMust(t, base, isoActor{Name: "invitee"}, `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { membership { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"token": inv["inviteUser"].(map[string]any)["token"], "name": "Acme Billing", "password": "Acme-Billing-Passphrase-9"}})
	cust := isoActor{Name: "acme owner", Auth: "Bearer " + isoLogin(t, base, "billing@acme.example", "Acme-Billing-Passphrase-9").AccessToken}

	// Two periods closed: two invoices, read a page of one at a time.
	const invoicesQ = `query($t: ID!, $a: String) { invoices(tenantId: $t, first: 1, after: $a) {
		nodes { id number status total currency periodStart lines { kind amount late } } endCursor hasNextPage } }`
	var invs []any
	var after any
	for page := 0; ; page++ {
		c := isoMust(t, base, cust, invoicesQ, map[string]any{"t": acme.ID, "a": after})["invoices"].(map[string]any)
		invs = append(invs, c["nodes"].([]any)...)
		if c["hasNextPage"] != true || page > 3 {
			break
		}
		after = c["endCursor"]
	}
	if len(invs) != 2 || invs[0].(map[string]any)["periodStart"].(string) <= invs[1].(map[string]any)["periodStart"].(string) {
		t.Fatalf("acme has %d invoices, want 2 (two periods closed), newest first: %v", len(invs), invs)
	}
	first := invs[0].(map[string]any)
	if first["status"] != "finalized" || first["total"].(float64) <= 0 || len(first["lines"].([]any)) < 2 {
		t.Errorf("invoice %v", first)
	}
	doc := isoMust(t, base, cust, `query($t: ID!, $i: ID!) { invoiceDocument(tenantId: $t, invoiceId: $i) { filename contentType base64 } }`,
		map[string]any{"t": acme.ID, "i": first["id"]})["invoiceDocument"].(map[string]any)
	pdf, err := base64.StdEncoding.DecodeString(doc["base64"].(string))
	if err != nil || doc["contentType"] != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("invoice document %v: %v", doc["contentType"], err)
	}
	if bin, err := exec.LookPath("pdftotext"); err == nil {
		c := exec.Command(bin, "-", "-")
		c.Stdin = bytes.NewReader(pdf)
		out, err := c.Output()
		if err != nil || !strings.Contains(string(out), "Total due") || !strings.Contains(string(out), acme.ID) {
			t.Errorf("pdftotext: %v\n%s", err, out)
		}
	}
	usage := isoMust(t, base, cust, `query($t: ID!) { currentUsage(tenantId: $t) { meter quantity amount } }`, map[string]any{"t": acme.ID})
	if len(usage["currentUsage"].([]any)) == 0 {
		t.Errorf("no current usage: %v", usage)
	}

	// The price book a version a page.
	const bookQ = `query($a: Cursor) { priceBook(first: 1, after: $a) { totalCount
		edges { cursor node { id planId version baseFee limits { maxMonitors } } } pageInfo { hasNextPage endCursor } } }`
	var book []any
	after = nil
	for page := 0; page < 5; page++ {
		c := isoMust(t, base, msp, bookQ, map[string]any{"a": after})["priceBook"].(map[string]any)
		if c["totalCount"].(float64) != 3 {
			t.Fatalf("the default book's total: %v", c["totalCount"])
		}
		for _, e := range c["edges"].([]any) {
			book = append(book, e.(map[string]any)["node"])
		}
		pi := c["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			break
		}
		after = pi["endCursor"]
	}
	if len(book) != 3 {
		t.Fatalf("the default book has %d versions: %v", len(book), book)
	}
	for i, v := range book[1:] {
		if prev := book[i].(map[string]any)["planId"].(string); prev >= v.(map[string]any)["planId"].(string) {
			t.Errorf("the book is not by plan: %v", book)
		}
	}
	var enterprise string
	for _, v := range book {
		if v.(map[string]any)["planId"] == "enterprise" {
			enterprise = v.(map[string]any)["id"].(string)
		}
	}
	pv := isoMust(t, base, cust, `query($t: ID!, $v: ID!) { previewPlanChange(tenantId: $t, versionId: $v) { upgrade delta lines { kind amount } } }`,
		map[string]any{"t": acme.ID, "v": enterprise})["previewPlanChange"].(map[string]any)
	if pv["upgrade"] != true || pv["delta"].(float64) <= 0 {
		t.Errorf("preview %v", pv)
	}
	ch := isoMust(t, base, cust, `mutation($t: ID!, $v: ID!) { changePriceVersion(tenantId: $t, versionId: $v) { preview { delta } userErrors { field message } } }`,
		map[string]any{"t": acme.ID, "v": enterprise})["changePriceVersion"].(map[string]any)
	if ch["preview"].(map[string]any)["delta"] != pv["delta"] {
		t.Errorf("change %v, preview %v", ch, pv)
	}
	// The limits follow the version in force.
	sub := isoMust(t, base, cust, `query($t: ID!) { subscription(tenantId: $t) { plan { id maxMonitors } } }`,
		map[string]any{"t": acme.ID})["subscription"].(map[string]any)["plan"].(map[string]any)
	if sub["id"] != "enterprise" || sub["maxMonitors"].(float64) != 10000 {
		t.Errorf("subscription after the upgrade: %v", sub)
	}

	// Contracted terms: the provider sets them, the customer reads them.
	r, err := isoPost(ctx, base, cust, `mutation($t: ID!) { setBillingTerms(tenantId: $t, discountPercent: 50, taxPercent: 0) { account { tenantId } } }`,
		map[string]any{"t": acme.ID})
	if err != nil || len(r.Errors) == 0 || r.Errors[0].code() != "forbidden" {
		t.Errorf("a customer set its own discount: %s", r.Raw)
	}
	r, err = isoPost(ctx, base, msp, `mutation($t: ID!, $d: Float!) { setBillingTerms(tenantId: $t, discountPercent: $d, taxPercent: 20) {
		account { discountPercent } userErrors { field message } } }`, map[string]any{"t": acme.ID, "d": 12.345})
	if err != nil || !strings.Contains(r.Raw, `"field":["discountPercent"]`) || !strings.Contains(r.Raw, "two decimals") || !strings.Contains(r.Raw, `"account":null`) {
		t.Errorf("a discount of 12.345 %%: %v %s", err, r.Raw)
	}
	isoMust(t, base, msp, `mutation($t: ID!) { setBillingTerms(tenantId: $t, discountPercent: 12.5, taxPercent: 20) { userErrors { message } } }`,
		map[string]any{"t": acme.ID})
	acc := isoMust(t, base, cust, `query($t: ID!) { billingAccount(tenantId: $t) { discountPercent taxPercent currency version { planId } periodStart periodEnd } }`,
		map[string]any{"t": acme.ID})["billingAccount"].(map[string]any)
	if acc["discountPercent"] != 12.5 || acc["taxPercent"].(float64) != 20 || acc["version"].(map[string]any)["planId"] != "enterprise" {
		t.Errorf("account %v", acc)
	}

	// A version with limits of its own, and a plan change onto it.
	lim := isoMust(t, base, msp, `mutation($in: PriceVersionInput!) { addPriceVersion(input: $in) { priceVersion { id limits { maxMonitors } } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"planId": "professional", "name": "Professional", "currency": "EUR", "interval": "month", "baseFee": 31000,
			"components": []any{}, "limits": map[string]any{"maxMonitors": 750, "minIntervalSeconds": 60, "weight": 4, "maxConcurrency": 8,
				"retentionDays": 90, "eventsPerSecond": 500, "bytesPerDay": 1e10}}})["addPriceVersion"].(map[string]any)
	if lim["priceVersion"] == nil || lim["priceVersion"].(map[string]any)["limits"].(map[string]any)["maxMonitors"].(float64) != 750 {
		t.Fatalf("a version with limits: %v", lim)
	}
	isoMust(t, base, cust, `mutation($t: ID!) { changePlan(tenantId: $t, plan: "professional") { userErrors { message } } }`, map[string]any{"t": acme.ID})
	sub = isoMust(t, base, cust, `query($t: ID!) { subscription(tenantId: $t) { plan { id maxMonitors } } }`,
		map[string]any{"t": acme.ID})["subscription"].(map[string]any)["plan"].(map[string]any)
	if sub["id"] != "professional" || sub["maxMonitors"].(float64) != 750 {
		t.Errorf("subscription on the new professional version: %v", sub)
	}
	// Bad input comes back as a user error naming the field.
	bad, err := isoPost(ctx, base, msp, `mutation($in: PriceVersionInput!) { addPriceVersion(input: $in) { priceVersion { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"planId": "x", "name": "X", "currency": "EUR", "interval": "month", "baseFee": 100,
			"components": []any{map[string]any{"meter": "cpu_seconds", "aggregation": "sum", "model": "per_unit"}}}})
	if err != nil || !strings.Contains(bad.Raw, `"field":["input","components[0]","meter"]`) {
		t.Errorf("unknown meter: %v %s", err, bad.Raw)
	}
	revd := isoMust(t, base, msp, `{ revenue { tenantId recurring usage total } revenueTotals { currency recurring usage total customers } }`, nil)
	rev, tot := revd["revenue"].([]any), revd["revenueTotals"].([]any)
	if len(rev) != 1 || rev[0].(map[string]any)["tenantId"] != acme.ID || rev[0].(map[string]any)["recurring"].(float64) <= 0 {
		t.Errorf("revenue %v", rev)
	}
	if len(tot) != 1 || tot[0].(map[string]any)["total"] != rev[0].(map[string]any)["total"] || tot[0].(map[string]any)["customers"].(float64) != 1 {
		t.Errorf("revenue totals %v for %v", tot, rev)
	}
	// The usage history, by pages of 7: every day and meter once, by day
	// then meter.
	const histQ = `query($t: ID!, $f: Time!, $to: Time!, $a: Cursor, $n: Int) { usageHistory(tenantId: $t, from: $f, to: $to, first: $n, after: $a) {
		totalCount edges { cursor node { day meter events quantity } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`
	histVars := map[string]any{"t": acme.ID, "f": time.Now().AddDate(0, -3, 0).UTC().Format(time.RFC3339),
		// Up to yesterday: the seeds end days ago, and today holds the
		// gauge samples taken at start.
		"to": time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339), "n": 7}
	var events float64
	var rows []string
	var total float64
	for page := 0; page < 20; page++ {
		c := isoMust(t, base, cust, histQ, histVars)["usageHistory"].(map[string]any)
		total = c["totalCount"].(float64)
		edges := c["edges"].([]any)
		if len(edges) > 7 {
			t.Fatalf("a page of 7 has %d rows", len(edges))
		}
		for _, e := range edges {
			d := e.(map[string]any)["node"].(map[string]any)
			events += d["events"].(float64)
			rows = append(rows, d["day"].(string)+" "+d["meter"].(string))
		}
		pi := c["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			break
		}
		histVars["a"] = pi["endCursor"]
	}
	if events != 40 || float64(len(rows)) != total || !slices.IsSorted(rows) || len(slices.Compact(slices.Clone(rows))) != len(rows) {
		t.Errorf("usage history: %v events (want the 40 seeded), %d rows of %v, in order and once each: %v", events, len(rows), total, rows)
	}
	// Bad page arguments: refused, naming the argument.
	for _, c := range []struct {
		vars  map[string]any
		field string
		msg   string
	}{
		{map[string]any{"n": 101}, "first", "between 0 and 100, got 101"},
		{map[string]any{"n": -1}, "first", "between 0 and 100, got -1"},
		{map[string]any{"a": "bm90IGEgY3Vyc29y"}, "after", "cursor"}, // base64 of "not a cursor"
		{map[string]any{"a": "%%%"}, "after", "cursor"},
		{map[string]any{"a": histVars["a"], "f": time.Now().AddDate(0, -2, 0).UTC().Format(time.RFC3339)}, "after", "not one this API gave"},
		{map[string]any{"f": time.Now().AddDate(-2, 0, 0).UTC().Format(time.RFC3339)}, "to", "at most 400 days"},
		{map[string]any{"to": time.Now().AddDate(0, -4, 0).UTC().Format(time.RFC3339)}, "to", "after from"},
	} {
		vars := maps.Clone(histVars)
		delete(vars, "a")
		maps.Copy(vars, c.vars)
		r, err := isoPost(ctx, base, cust, histQ, vars)
		if err != nil || len(r.Errors) != 1 || r.Errors[0].code() != "invalid" || !strings.Contains(r.Raw, `"field":"`+c.field+`"`) ||
			!strings.Contains(r.Errors[0].Message, c.msg) || strings.Contains(r.Raw, `"edges"`) {
			t.Errorf("usage history with %v: %v %s; want an invalid %s: %q", c.vars, err, r.Raw, c.field, c.msg)
		}
	}
	cn := isoMust(t, base, msp, `mutation($t: ID!, $i: ID!) { issueCreditNote(tenantId: $t, invoiceId: $i, amount: 100, reason: "outage") { creditNote { id amount } userErrors { message } } }`,
		map[string]any{"t": acme.ID, "i": first["id"]})["issueCreditNote"].(map[string]any)
	if cn["creditNote"].(map[string]any)["amount"].(float64) != 100 {
		t.Errorf("credit note %v", cn)
	}
	// A customer cannot settle its own invoice.
	r, err = isoPost(ctx, base, cust, `mutation($t: ID!, $i: ID!) { setInvoiceStatus(tenantId: $t, invoiceId: $i, status: "paid") { invoice { id } } }`,
		map[string]any{"t": acme.ID, "i": first["id"]})
	if err != nil || len(r.Errors) == 0 || r.Errors[0].code() != "forbidden" {
		t.Errorf("a customer marked its invoice paid: %s", r.Raw)
	}
	paid := isoMust(t, base, msp, `mutation($t: ID!, $i: ID!) { setInvoiceStatus(tenantId: $t, invoiceId: $i, status: "paid") { invoice { status } userErrors { message } } }`,
		map[string]any{"t": acme.ID, "i": first["id"]})["setInvoiceStatus"].(map[string]any)
	if paid["invoice"].(map[string]any)["status"] != "paid" {
		t.Errorf("settle %v", paid)
	}
}
