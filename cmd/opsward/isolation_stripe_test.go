package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/tenants"
)

// The Stripe fields across tenants, with Stripe collecting (the generic
// suite walks them too, under manual collection): acme's users and API
// keys asking for globex's collection state or billing portal link get
// not found, never globex's state or a portal session for globex's Stripe
// customer; each customer gets its own; a key without billing:read is
// refused.
func TestCrossTenantStripe(t *testing.T) {
	rec := testenv.NewStripeRecorder(t)
	cfg := stripeConfig(t, rec)
	ctx := context.Background()
	demo := seedWithTool(t, cfg, nil)
	acme, globex := demoCustomer(t, demo, "acme"), demoCustomer(t, demo, "globex")
	m := startMain(t, cfg)
	base := m.URL()
	pctx := tenants.Privileged(ctx, "test")
	customerOf := func(id string) string {
		var c string
		_ = m.DB.DB.QueryRowContext(pctx, "SELECT customer_id FROM stripe_customers WHERE tenant_id = $1 AND state = 'active'", id).Scan(&c)
		return c
	}
	eventually(t, 60*time.Second, "both customers provisioned in Stripe", func() bool {
		if _, err := m.Collection.Plan(ctx); err != nil {
			t.Fatal(err)
		}
		return customerOf(acme.ID) != "" && customerOf(globex.ID) != ""
	})
	gCustomer := customerOf(globex.ID)

	login := func(dt tenants.DemoTenant, role string) isoActor {
		for _, u := range dt.Users {
			if string(u.Role) == role {
				return isoActor{Name: dt.Slug + " " + role, Auth: "Bearer " + isoLogin(t, base, u.Email, u.Password).AccessToken}
			}
		}
		t.Fatalf("%s has no %s", dt.Slug, role)
		return isoActor{}
	}
	aAdmin, aViewer, gAdmin := login(acme, "admin"), login(acme, "viewer"), login(globex, "admin")
	aKey := isoActor{Name: "acme API key", Auth: "Bearer " + acme.APIKey.Secret}
	const (
		stateQ  = `query($t: ID!) { billingCollection(tenantId: $t) { tenantId collection state } }`
		portalQ = `query($t: ID!) { billingPortalUrl(tenantId: $t) }`
	)
	attempts := 0
	for _, a := range []isoActor{aAdmin, aViewer, aKey, {Name: "acme admin as globex", Auth: aAdmin.Auth, Tenant: globex.ID}} {
		for _, q := range []string{stateQ, portalQ} {
			attempts++
			r, err := isoPost(ctx, base, a, q, map[string]any{"t": globex.ID})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r.Raw, gCustomer) || strings.Contains(r.Raw, `"stripe"`) || strings.Contains(r.Raw, "https://") {
				t.Errorf("%s read globex's %s: %s", a.Name, firstWord(q), r.Raw)
				continue
			}
			if r.Status == http.StatusForbidden {
				continue // refused at the edge: not a member of globex
			}
			if len(r.Errors) == 0 {
				t.Errorf("%s asking for globex's %s got no error: %s", a.Name, firstWord(q), r.Raw)
			} else if c := r.Errors[0].code(); c != "not_found" && c != "forbidden" {
				t.Errorf("%s asking for globex's %s: code %s: %s", a.Name, firstWord(q), c, r.Raw)
			}
		}
	}
	for _, p := range rec.Requests("/v1/billing_portal/sessions") {
		if p.Form.Get("customer") == gCustomer {
			t.Errorf("a billing portal session was opened for globex's customer: %+v", p)
		}
	}
	// Each side reads its own.
	for _, c := range []struct {
		a  isoActor
		id string
	}{{aAdmin, acme.ID}, {gAdmin, globex.ID}} {
		d := isoMust(t, base, c.a, stateQ, map[string]any{"t": c.id})["billingCollection"].(map[string]any)
		if d["tenantId"] != c.id || d["collection"] != "stripe" || d["state"] != "active" {
			t.Errorf("%s's own collection: %v", c.a.Name, d)
		}
		if u := isoMust(t, base, c.a, portalQ, map[string]any{"t": c.id})["billingPortalUrl"].(string); u == "" {
			t.Errorf("%s got no portal link", c.a.Name)
		}
	}
	t.Logf("cross-tenant-stripe: attempts=%d leaks=0", attempts)
}
