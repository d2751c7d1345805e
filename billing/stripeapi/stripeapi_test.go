package stripeapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/billing/stripeapi"
	"github.com/opsward/opsward/internal/testenv"
)

const secret = "whsec_test_0123456789"

func event(id, typ string, obj map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": "2023-10-16", "created": 1700000000,
		"type": typ, "data": map[string]any{"object": obj}})
	return b
}

// A webhook signed with the endpoint's secret is read; forged, stale and
// tampered ones are refused with an invalid error naming the header.
func TestVerify(t *testing.T) {
	body := event("evt_1", billing.EventInvoicePaymentFailed, map[string]any{"object": "invoice", "id": "in_1",
		"customer": map[string]any{"id": "cus_1", "object": "customer"}, "subscription": "sub_1", "amount_due": 4900})
	sign := func(b []byte, s string, at time.Time) string {
		return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: b, Secret: s, Timestamp: at}).Header
	}
	ev, err := stripeapi.Verify(body, sign(body, secret, time.Now()), secret)
	if err != nil || ev.ID != "evt_1" || ev.CustomerID != "cus_1" || ev.SubscriptionID != "sub_1" || ev.ObjectID != "in_1" || ev.AmountDue != 4900 {
		t.Fatalf("verified %+v, %v", ev, err)
	}
	for name, c := range map[string]struct {
		body []byte
		sig  string
	}{
		"forged":   {body, sign(body, "whsec_other", time.Now())},
		"stale":    {body, sign(body, secret, time.Now().Add(-stripeapi.Tolerance-time.Second))},
		"tampered": {[]byte(strings.Replace(string(body), "4900", "0", 1)), sign(body, secret, time.Now())},
		"unsigned": {body, ""},
		"garbage":  {body, "t=abc,v1=zz"},
	} {
		_, err := stripeapi.Verify(c.body, c.sig, secret)
		var e *opsward.Error
		if !errors.As(err, &e) || e.Code != opsward.EINVALID || e.Field != "Stripe-Signature" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzVerify feeds webhook bodies, signed with the right secret so that
// they reach the parser, and arbitrary signature headers: no panic; an
// accepted event has a usable id and type; a refusal is an invalid error
// naming a field.
func FuzzVerify(f *testing.F) {
	f.Add(event("evt_1", "invoice.paid", map[string]any{"object": "invoice", "id": "in_1", "customer": "cus_1"}), "")
	f.Add(event("evt_2", "customer.subscription.deleted", map[string]any{"object": "subscription", "id": "sub_1", "customer": "cus_1", "status": "canceled"}), "t=1,v1=00")
	f.Add([]byte(`{"id":"evt_3","api_version":"2023-10-16","type":"invoice.paid","data":{"object":{"customer":{"id":7}}}}`), "")
	f.Add([]byte(`{"id":"","api_version":"2023-10-16","data":null}`), "")
	f.Add([]byte(`{"id":"evt_\u0000","type":"x","api_version":"2023-10-16","data":{"object":{"amount_due":-1}}}`), "")
	f.Add(event("evt_4", "invoice.finalized", map[string]any{"object": "invoice", "id": "in_4", "customer": "cus_1",
		"lines": map[string]any{"data": []any{map[string]any{"metadata": map[string]any{"opsward_invoice_id": "ivc_01m96n0f78sy361kpwgrapw3wj"}}}}}), "")
	f.Add(event("evt_5", "invoice.paid", map[string]any{"object": "invoice", "id": "in_5", "metadata": map[string]any{"opsward_invoice_id": 5}}), "")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		sig := header
		if sig == "" {
			sig = webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret}).Header
		}
		ev, err := stripeapi.Verify(body, sig, secret)
		if err != nil {
			var e *opsward.Error
			if !errors.As(err, &e) || e.Code != opsward.EINVALID || e.Field == "" {
				t.Fatalf("refusal %v is not an invalid error naming a field", err)
			}
			return
		}
		if ev.ID == "" || len(ev.ID) > 255 || ev.Type == "" || ev.AmountDue < 0 || (ev.InvoiceID != "" && !opsward.ValidID(ev.InvoiceID, opsward.PrefixInvoice)) {
			t.Fatalf("accepted %+v", ev)
		}
	})
}

// The client against stripe-mock: each call is well formed (stripe-mock
// validates parameters) and returns ids.
func TestClientAgainstStripeMock(t *testing.T) {
	c, err := stripeapi.New(stripeapi.Config{Key: "sk_test_123", URL: testenv.StripeMock(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cus, err := c.EnsureCustomer(ctx, "k-cus", billing.StripeCustomerInput{TenantID: "ten_x", Name: "X", Email: "x@example.com"})
	if err != nil || !strings.HasPrefix(cus, "cus_") {
		t.Fatalf("customer %q: %v", cus, err)
	}
	base, err := c.CreatePrice(ctx, "k-base", billing.StripePriceInput{Name: "pro base", Currency: "EUR", Interval: billing.Monthly, UnitAmount: 29900})
	if err != nil {
		t.Fatal(err)
	}
	metered, err := c.CreatePrice(ctx, "k-m", billing.StripePriceInput{Name: "pro seats", Currency: "EUR", Interval: billing.Yearly, UnitAmount: 1, Metered: true, Meter: "seats"})
	if err != nil {
		t.Fatal(err)
	}
	sub, item, err := c.CreateSubscription(ctx, "k-sub", cus, base)
	if err != nil || sub == "" || item == "" {
		t.Fatalf("subscription %q %q: %v", sub, item, err)
	}
	si, err := c.AddItem(ctx, "k-si", sub, metered)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ReportUsage(ctx, "k-use", si, 1234, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := c.SwapItemPrice(ctx, "k-swap", item, base); err != nil {
		t.Fatal(err)
	}
	// A settlement can take off (a discount larger than the rest).
	for _, amount := range []int64{-2990, 0, 4711} {
		ii, err := c.AddInvoiceItem(ctx, fmt.Sprintf("k-ii%d", amount), billing.StripeInvoiceItemInput{CustomerID: cus, SubscriptionID: sub,
			Currency: "EUR", Amount: amount, Description: "settlement", InvoiceID: "ivc_x"})
		if err != nil || !strings.HasPrefix(ii, "ii_") {
			t.Fatalf("invoice item of %d: %q %v", amount, ii, err)
		}
	}
	if u, err := c.PortalURL(ctx, cus, "https://portal.example.com/billing"); err != nil || !strings.HasPrefix(u, "https://") {
		t.Fatalf("portal %q: %v", u, err)
	}
}

// Stripe's refusals: a 400 is permanent, a 500 and a 429 are retried; no
// error carries the key.
func TestErrors(t *testing.T) {
	for status, permanent := range map[int]bool{400: true, 404: true, 429: false, 500: false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"No such subscription: 'sub_x'; Authorization was 'Bearer sk_test_secret_key', not rk_live_other1"}}`)
		}))
		c, err := stripeapi.New(stripeapi.Config{Key: "sk_test_secret_key", URL: srv.URL, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.AddItem(context.Background(), "k", "sub_x", "price_x")
		srv.Close()
		var se *billing.StripeError
		if !errors.As(err, &se) || se.Permanent != permanent || se.Status != status || strings.Contains(err.Error(), "sk_test_secret_key") || strings.Contains(err.Error(), "rk_live_other1") {
			t.Errorf("%d: %v (%+v)", status, err, se)
		}
	}
}

// Verifying a webhook as the endpoint does.
func ExampleVerify() {
	body := []byte(`{"id":"evt_1","object":"event","api_version":"2023-10-16","created":1700000000,"type":"invoice.paid",` +
		`"data":{"object":{"object":"invoice","id":"in_1","customer":"cus_1"}}}`)
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_example"}).Header
	ev, err := stripeapi.Verify(body, sig, "whsec_example")
	fmt.Println(ev.Type, ev.CustomerID, err)
	_, err = stripeapi.Verify(body, sig, "whsec_forged")
	fmt.Println(err != nil)
	// Output:
	// invoice.paid cus_1 <nil>
	// true
}
