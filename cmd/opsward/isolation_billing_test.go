package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/tenants"
)

// seedBilling gives each customer billing objects for the cross-tenant
// suite: the default price book, an account that started two months ago
// (so that its periods closed into invoices, one of them with late usage)
// and usage of the open period.
func seedBilling(ctx context.Context, m *Main, providerID string, customers ...string) error {
	if _, err := m.Ledger.EnsureDefaultBook(ctx, providerID); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	start := now.AddDate(0, -2, -1)
	sys := tenants.Privileged(ctx, "cross-tenant test: billing seeds")
	for _, c := range customers {
		// The customer's account opened with it, today; the seed bills
		// it from two months back instead.
		for _, q := range []string{"DELETE FROM subscription_phases WHERE tenant_id = $1", "DELETE FROM billing_accounts WHERE tenant_id = $1"} {
			if _, err := m.DB.DB.ExecContext(sys, q, c); err != nil {
				return err
			}
		}
		if _, err := m.Ledger.EnsureAccount(ctx, c, providerID, billing.PlanProfessional, start); err != nil {
			return err
		}
		var evs []billing.UsageEvent
		for i := range 40 {
			at := start.Add(time.Duration(i) * 36 * time.Hour)
			evs = append(evs, billing.UsageEvent{TenantID: c, Meter: billing.Meters()[i%len(billing.Meters())],
				Key: fmt.Sprintf("seed-%d", i), Quantity: int64(1 + i), Value: fmt.Sprintf("usr-%d", i%3), At: at, ReceivedAt: at})
		}
		if _, err := m.Ledger.Usage().Record(sys, evs); err != nil {
			return err
		}
	}
	_, err := m.Ledger.CloseDue(ctx, now)
	return err
}

// The billing pages across tenants: acme's billing users asking for
// globex's usage history, a page at a time and with a cursor of globex's
// own pages, get not found and no rows; globex's cursor on acme's own
// history is refused; a customer's price book pages hold only the
// versions of its own account. The generic suite cannot see these leaks:
// a day of usage carries no id.
func TestCrossTenantBillingPages(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	var provider string
	demo := seedWithTool(t, cfg, func(tool *Main, demo *tenants.Demo) {
		provider = demo.Provider.ID
		var ids []string
		for _, c := range demo.Customers {
			ids = append(ids, c.ID)
		}
		if err := seedBilling(ctx, tool, provider, ids...); err != nil {
			t.Fatal(err)
		}
	})
	acme, globex := demoCustomer(t, demo, "acme"), demoCustomer(t, demo, "globex")
	m := startMain(t, cfg)
	base := m.URL()
	login := func(dt tenants.DemoTenant, role string) isoActor {
		for _, u := range dt.Users {
			if string(u.Role) == role {
				return isoActor{Name: dt.Slug + " " + role, Auth: "Bearer " + isoLogin(t, base, u.Email, u.Password).AccessToken}
			}
		}
		t.Fatalf("%s has no %s", dt.Slug, role)
		return isoActor{}
	}
	owner := demo.Provider.Users[0]
	msp := isoActor{Name: "provider owner", Auth: "Bearer " + isoLogin(t, base, owner.Email, owner.Password).AccessToken}
	aAdmin, gAdmin := login(acme, "admin"), login(globex, "admin")
	const histQ = `query($t: ID!, $f: Time!, $to: Time!, $a: Cursor, $b: Cursor, $n: Int, $l: Int) {
		usageHistory(tenantId: $t, from: $f, to: $to, first: $n, after: $a, last: $l, before: $b) {
		totalCount edges { cursor node { day meter events quantity } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
	// One window for every request: a cursor belongs to the list of one
	// window, and a window read anew each request would move with the
	// clock between pages.
	to := time.Now().UTC().Truncate(time.Second)
	from := to.AddDate(0, -3, 0)
	vars := func(tenant string, more ...any) map[string]any {
		v := map[string]any{"t": tenant, "f": from.Format(time.RFC3339), "to": to.Format(time.RFC3339)}
		for i := 0; i+1 < len(more); i += 2 {
			v[more[i].(string)] = more[i+1]
		}
		return v
	}
	// globex's own history, read by globex a page at a time: its cursors.
	var gCursors []any
	var gRows int
	after := any(nil)
	for page := 0; page < 30; page++ {
		c := isoMust(t, base, gAdmin, histQ, vars(globex.ID, "n", 5, "a", after))["usageHistory"].(map[string]any)
		for _, e := range c["edges"].([]any) {
			gCursors = append(gCursors, e.(map[string]any)["cursor"])
			gRows++
		}
		pi := c["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			break
		}
		after = pi["endCursor"]
	}
	if gRows < 10 {
		t.Fatalf("globex has %d rows of usage history, want the seeded days", gRows)
	}
	acmeAsGlobex := isoActor{Name: "acme admin as globex", Auth: aAdmin.Auth, Tenant: globex.ID}
	attempts := 0
	for _, a := range []isoActor{aAdmin, acmeAsGlobex} {
		for _, v := range []map[string]any{
			vars(globex.ID),
			vars(globex.ID, "n", 100),
			vars(globex.ID, "a", gCursors[0]),
			vars(globex.ID, "b", gCursors[len(gCursors)-1], "l", 100),
		} {
			attempts++
			r, err := isoPost(ctx, base, a, histQ, v)
			if err != nil {
				t.Fatal(err)
			}
			// Refused by the edge (403) or by the ledger (an error, no
			// data); a leak is any row.
			refused := r.Status == http.StatusForbidden || (len(r.Errors) > 0 && r.Data == nil)
			if !refused || strings.Contains(r.Raw, `"edges"`) || strings.Contains(r.Raw, `"node"`) {
				t.Errorf("%s paging globex's usage history (%v): %d %s", a.Name, v, r.Status, r.Raw)
			} else if len(r.Errors) > 0 && r.Errors[0].code() != "not_found" {
				t.Errorf("%s paging globex's usage history: code %q: %s", a.Name, r.Errors[0].code(), r.Raw)
			}
		}
	}
	// globex's cursor on acme's own history: refused, not a page of it
	// (and never one of globex's).
	r, err := isoPost(ctx, base, aAdmin, histQ, vars(acme.ID, "a", gCursors[0]))
	if err != nil || len(r.Errors) != 1 || r.Errors[0].code() != "invalid" || strings.Contains(r.Raw, `"edges"`) {
		t.Errorf("acme with globex's cursor on its own history: %v %s", err, r.Raw)
	}
	// acme's own history still reads, and the provider reads both.
	for _, c := range []struct {
		a  isoActor
		id string
	}{{aAdmin, acme.ID}, {msp, acme.ID}, {msp, globex.ID}} {
		h := isoMust(t, base, c.a, histQ, vars(c.id, "n", 100))["usageHistory"].(map[string]any)
		if n := len(h["edges"].([]any)); n == 0 || float64(n) != h["totalCount"].(float64) {
			t.Errorf("%s reading %s's history: %d rows of %v", c.a.Name, c.id, n, h["totalCount"])
		}
	}

	// The price book: the provider's holds every version; each customer
	// gets the versions its own account is on, whoever's cursor it pages
	// with.
	const bookQ = `query($a: Cursor, $n: Int) { priceBook(first: $n, after: $a) { totalCount edges { cursor node { id planId } } pageInfo { hasNextPage endCursor } } }`
	full := isoMust(t, base, msp, bookQ, map[string]any{"n": 100})["priceBook"].(map[string]any)
	if full["totalCount"].(float64) < 3 {
		t.Fatalf("the provider's book: %v", full)
	}
	edges := full["edges"].([]any)
	for _, a := range []isoActor{aAdmin, gAdmin} {
		own := isoMust(t, base, a, bookQ, map[string]any{"n": 100})["priceBook"].(map[string]any)
		if n := len(own["edges"].([]any)); n != 1 || own["totalCount"].(float64) != 1 {
			t.Errorf("%s's book: %v, want the one version of its account", a.Name, own)
		}
		r, err := isoPost(ctx, base, a, bookQ, map[string]any{"n": 100, "a": edges[0].(map[string]any)["cursor"]})
		if err != nil || len(r.Errors) != 1 || r.Errors[0].code() != "invalid" || strings.Contains(r.Raw, `"edges"`) {
			t.Errorf("%s paging its book with the provider's cursor: %v %s", a.Name, err, r.Raw)
		}
	}
	if attempts == 0 {
		t.Fatal("no attempt made")
	}
}
