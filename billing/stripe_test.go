package billing

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

// The reports of an invoice: one per charged usage line, keyed by the
// invoice and the line's position, whatever else the invoice holds.
func TestUsageReports(t *testing.T) {
	lines := []Line{
		{Kind: LineBase, Amount: 4900},
		{Kind: LineUsage, Meter: MeterSecurityBytes, Quantity: 40 << 30, Amount: 500},
		{Kind: LineUsage, Meter: MeterComplianceReports, Quantity: 3, Amount: 0}, // within the allowance
		{Kind: LineLateUsage, Meter: MeterComplianceReports, Quantity: 2, Amount: 1000},
		{Kind: LineDiscount, Amount: -100},
		{Kind: LineTax, Amount: 1000},
	}
	got := UsageReports("ivc_1", lines)
	want := []UsageReport{{Key: "ow-usage-ivc_1-1", Meter: MeterSecurityBytes, Quantity: 500}, {Key: "ow-usage-ivc_1-3", Meter: MeterComplianceReports, Quantity: 1000}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("reports %+v, want %+v", got, want)
	}
	if again := UsageReports("ivc_1", lines); again[0] != got[0] || again[1] != got[1] {
		t.Fatal("the keys of one invoice changed between two derivations")
	}
}

func TestParseStripeEvent(t *testing.T) {
	ok := map[string]struct {
		obj  string
		want StripeEvent
	}{
		"invoice with customer id": {`{"object":"invoice","id":"in_1","customer":"cus_1","subscription":"sub_1","amount_due":4900}`,
			StripeEvent{Object: "invoice", ObjectID: "in_1", CustomerID: "cus_1", SubscriptionID: "sub_1", AmountDue: 4900}},
		"expanded customer": {`{"object":"invoice","id":"in_1","customer":{"id":"cus_2","object":"customer"},"subscription":null}`,
			StripeEvent{Object: "invoice", ObjectID: "in_1", CustomerID: "cus_2"}},
		"settlement in a line": {`{"object":"invoice","id":"in_3","customer":"cus_1","metadata":{},"lines":{"data":[{"metadata":{}},{"metadata":{"opsward_invoice_id":"` + invA + `"}}]}}`,
			StripeEvent{Object: "invoice", ObjectID: "in_3", CustomerID: "cus_1", InvoiceID: invA}},
		"settlement in the invoice": {`{"object":"invoice","id":"in_4","customer":"cus_1","metadata":{"opsward_invoice_id":"` + invA + `"},"lines":{"data":[{"metadata":{"opsward_invoice_id":"` + invA + `"}}]}}`,
			StripeEvent{Object: "invoice", ObjectID: "in_4", CustomerID: "cus_1", InvoiceID: invA}},
		"subscription metadata ignored": {`{"object":"subscription","id":"sub_8","customer":"cus_3","metadata":{"opsward_invoice_id":"x"}}`,
			StripeEvent{Object: "subscription", ObjectID: "sub_8", CustomerID: "cus_3", SubscriptionID: "sub_8"}},
		"subscription": {`{"object":"subscription","id":"sub_9","customer":"cus_3","status":"canceled"}`,
			StripeEvent{Object: "subscription", ObjectID: "sub_9", CustomerID: "cus_3", SubscriptionID: "sub_9", Status: "canceled"}},
	}
	for name, c := range ok {
		ev, err := ParseStripeEvent("evt_1", "invoice.paid", 1700000000, json.RawMessage(c.obj))
		c.want.ID, c.want.Type, c.want.Created = "evt_1", "invoice.paid", time.Unix(1700000000, 0).UTC()
		if err != nil || ev != c.want {
			t.Errorf("%s: %+v, %v; want %+v", name, ev, err, c.want)
		}
	}
	bad := map[string]struct {
		id, typ, obj, field string
	}{
		"no id":             {"", "invoice.paid", `{}`, "id"},
		"control in type":   {"evt_1", "invoice.\npaid", `{}`, "type"},
		"no object":         {"evt_1", "invoice.paid", ``, "data.object"},
		"not JSON":          {"evt_1", "invoice.paid", `{`, "data.object"},
		"customer number":   {"evt_1", "invoice.paid", `{"customer":7}`, "data.object.customer"},
		"negative amount":   {"evt_1", "invoice.paid", `{"amount_due":-1}`, "data.object.amount_due"},
		"long customer id":  {"evt_1", "invoice.paid", `{"customer":"` + longID + `"}`, "data.object.customer"},
		"not an invoice id": {"evt_1", "invoice.paid", `{"object":"invoice","metadata":{"opsward_invoice_id":"cus_1"}}`, "data.object.metadata.opsward_invoice_id"},
		"invoice id number": {"evt_1", "invoice.paid", `{"object":"invoice","lines":{"data":[{"metadata":{"opsward_invoice_id":7}}]}}`, "data.object.metadata.opsward_invoice_id"},
		"two invoices":      {"evt_1", "invoice.paid", `{"object":"invoice","metadata":{"opsward_invoice_id":"` + invA + `"},"lines":{"data":[{"metadata":{"opsward_invoice_id":"` + invB + `"}}]}}`, "data.object.lines"},
	}
	for name, c := range bad {
		_, err := ParseStripeEvent(c.id, c.typ, 0, json.RawMessage(c.obj))
		var e *opsward.Error
		if !errors.As(err, &e) || e.Code != opsward.EINVALID || e.Field != c.field {
			t.Errorf("%s: %v, want invalid %s", name, err, c.field)
		}
	}
}

var invA, invB = opsward.NewID(opsward.PrefixInvoice), opsward.NewID(opsward.PrefixInvoice)

// A settlement makes the invoice's total from the base fee and the usage
// reports, taking off when a discount or credit outweighs the rest, and
// refuses to overflow.
func TestSettlementAmount(t *testing.T) {
	for _, c := range []struct{ total, usage, base, want int64 }{
		{10000, 2500, 4900, 2600},
		{4900, 0, 4900, 0},
		{3000, 1500, 4900, -3400}, // a discount larger than the usage
		{0, 0, 4900, -4900},       // credit paid the invoice
	} {
		got, ok := SettlementAmount(c.total, c.usage, c.base)
		if !ok || got != c.want || c.base+c.usage+got != c.total {
			t.Errorf("SettlementAmount(%d, %d, %d) = %d %v, want %d", c.total, c.usage, c.base, got, ok, c.want)
		}
	}
	for _, c := range [][3]int64{{math.MaxInt64, -1, 0}, {0, math.MinInt64, 0}, {math.MinInt64 / 2, 0, math.MaxInt64}} {
		if _, ok := SettlementAmount(c[0], c[1], c[2]); ok {
			t.Errorf("SettlementAmount%v did not overflow", c)
		}
	}
}

var longID = func() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = 'a'
	}
	return "cus_" + string(b)
}()

func TestCollectionConfig(t *testing.T) {
	c := CollectionConfig{}.WithDefaults()
	if c.DunningGrace != 72*time.Hour || c.RemindEvery != 24*time.Hour || c.Validate() != nil {
		t.Fatalf("defaults %+v", c)
	}
	for _, bad := range []CollectionConfig{{DunningGrace: -time.Second, RemindEvery: time.Hour}, {DunningGrace: time.Hour, RemindEvery: -time.Hour}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
