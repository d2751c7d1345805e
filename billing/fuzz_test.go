package billing

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

// FuzzPriceVersion feeds price version documents (what the provider
// sends through the API, and what the price book stores) to Validate and,
// when valid, rates a period with them: no panic, every refusal an
// *opsward.Error naming a field, and a valid version with non-negative
// usage never rates to a negative subtotal.
func FuzzPriceVersion(f *testing.F) {
	for _, v := range DefaultBook() {
		b, _ := json.Marshal(v)
		f.Add(b, int64(5), int64(1000))
	}
	f.Add([]byte(`{"currency":"EUR","interval":"month","baseFee":100,"components":[{"meter":"check_runs","aggregation":"sum","model":"graduated","tiers":[{"upTo":10,"unit":{"amount":3,"per":7}},{"unit":{"amount":1,"per":1},"flat":9}]}]}`), int64(3), int64(99))
	f.Add([]byte(`{"currency":"EUR","interval":"year","baseFee":1125899906842624,"components":[{"meter":"seats","aggregation":"unique_count","model":"package","packageSize":1,"packageAmount":1125899906842624}]}`), int64(1), int64(1))
	f.Fuzz(func(t *testing.T, doc []byte, n, q int64) {
		var v PriceVersion
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		if err := v.Validate(); err != nil {
			var e *opsward.Error
			if !errors.As(err, &e) || e.Field == "" {
				t.Fatalf("refusal without a field: %v", err)
			}
			return
		}
		p := Period{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
		var evs []UsageEvent
		for i := range min(max(n, 0), 50) {
			for _, c := range v.Components {
				evs = append(evs, UsageEvent{Meter: c.Meter, Key: string(rune('a' + i)), Quantity: max(q, 0) % (maxQuantity / 64), Value: string(rune('a' + i%5)),
					At: p.Start.Add(time.Duration(i) * time.Hour)})
			}
		}
		d, err := Rate(RateInput{Period: p, Segments: []Segment{{Version: v, From: p.Start, To: p.End}}, Events: evs, Terms: Terms{TaxBP: 1900, DiscountBP: 500}})
		if err != nil {
			var e *opsward.Error
			if !errors.As(err, &e) || e.Field == "" {
				t.Fatalf("rating error without a field: %v", err)
			}
			return
		}
		if d.Subtotal < 0 || d.Total < 0 {
			t.Fatalf("negative invoice %+v", d)
		}
	})
}

// FuzzPercentToBP: a percentage from the API becomes basis points within
// 0..10000 that turn back into the same percentage, or a refusal naming
// the field; never a panic.
func FuzzPercentToBP(f *testing.F) {
	for _, p := range []float64{0, 12.5, 20, 7.25, 100, 100.01, -1, 12.345, 1e300} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p float64) {
		bp, err := PercentToBP("discountPercent", p)
		if err != nil {
			var e *opsward.Error
			if !errors.As(err, &e) || e.Field != "discountPercent" {
				t.Fatalf("refusal without the field: %v", err)
			}
			return
		}
		if bp < 0 || bp > 10000 || math.Abs(float64(bp)/100-p) > 1e-6 {
			t.Fatalf("%v %% became %d bp", p, bp)
		}
	})
}
