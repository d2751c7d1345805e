package billing

import (
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

func TestChargeModels(t *testing.T) {
	t.Parallel()
	tiers := []Tier{{UpTo: 100, Unit: Price{10, 1}}, {UpTo: 1000, Unit: Price{5, 1}, Flat: 200}, {Unit: Price{1, 1}}}
	for _, tc := range []struct {
		name string
		c    Component
		q    int64
		want int64
	}{
		{"per unit", Component{Model: ModelPerUnit, Unit: Price{3, 1}}, 7, 21},
		{"per unit, sub-cent, rounded once half up", Component{Model: ModelPerUnit, Unit: Price{5, 1000}}, 1100, 6}, // 5.5 → 6
		{"per unit, below half a cent", Component{Model: ModelPerUnit, Unit: Price{5, 1000}}, 99, 0},
		{"free allowance", Component{Model: ModelPerUnit, Unit: Price{3, 1}, FreeUnits: 5}, 7, 6},
		{"allowance larger than use", Component{Model: ModelPerUnit, Unit: Price{3, 1}, FreeUnits: 50}, 7, 0},
		{"graduated in the first tier", Component{Model: ModelGraduated, Tiers: tiers}, 100, 1000},
		{"graduated into the second", Component{Model: ModelGraduated, Tiers: tiers}, 101, 1000 + 5 + 200},
		{"graduated into the last", Component{Model: ModelGraduated, Tiers: tiers}, 1500, 1000 + 900*5 + 200 + 500},
		{"volume in the first tier", Component{Model: ModelVolume, Tiers: tiers}, 100, 1000},
		{"volume: every unit at the second tier", Component{Model: ModelVolume, Tiers: tiers}, 101, 101*5 + 200},
		{"volume: every unit at the last tier", Component{Model: ModelVolume, Tiers: tiers}, 1500, 1500},
		{"volume, nothing used", Component{Model: ModelVolume, Tiers: tiers}, 0, 0},
		{"package: a started block is a block", Component{Model: ModelPackage, PackageSize: 100, PackageAmount: 250}, 101, 500},
		{"package: exactly two", Component{Model: ModelPackage, PackageSize: 100, PackageAmount: 250}, 200, 500},
		{"package after the allowance", Component{Model: ModelPackage, PackageSize: 100, PackageAmount: 250, FreeUnits: 50}, 150, 250},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Meter, tc.c.Aggregation = MeterCheckRuns, AggSum
			l, err := rateComponent(tc.c, []UsageEvent{{Meter: MeterCheckRuns, Quantity: tc.q}}, 10, 10)
			if err != nil {
				t.Fatal(err)
			}
			if l.Amount != tc.want || l.Quantity != tc.q {
				t.Errorf("%d units: amount %d (quantity %d), want %d", tc.q, l.Amount, l.Quantity, tc.want)
			}
		})
	}
}

func TestAggregations(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	evs := []UsageEvent{
		{Key: "a", Quantity: 5, Value: "u1", At: at.Add(3 * time.Second)},
		{Key: "b", Quantity: 9, Value: "u2", At: at.Add(1 * time.Second)},
		{Key: "c", Quantity: 2, Value: "u1", At: at.Add(2 * time.Second)},
	}
	for agg, want := range map[Aggregation]int64{AggCount: 3, AggSum: 16, AggMax: 9, AggUniqueCount: 2, AggLatest: 5} {
		if got, err := Aggregate(agg, evs); err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", agg, got, err, want)
		}
	}
}

func TestProrationAndCommitment(t *testing.T) {
	t.Parallel()
	p := Period{Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	mid := p.Start.Add(10 * 24 * time.Hour) // a third of April
	small := PriceVersion{ID: "v1", PlanID: "small", Currency: "EUR", Interval: Monthly, BaseFee: 3000}
	big := PriceVersion{ID: "v2", PlanID: "big", Currency: "EUR", Interval: Monthly, BaseFee: 9000, MinimumCommitment: 30000}
	d, err := Rate(RateInput{Period: p, Segments: []Segment{{small, p.Start, mid}, {big, mid, p.End}},
		Terms: Terms{DiscountBP: 1000, TaxBP: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	// 3000/3 + 9000·2/3 = 1000 + 6000; big's commitment 20000 for two
	// thirds, so 14000 more; 10 % off 21000 is 2100; 20 % tax on 18900.
	want := []struct {
		kind   LineKind
		amount int64
	}{{LineProration, 1000}, {LineProration, 6000}, {LineCommitment, 14000}, {LineDiscount, -2100}, {LineTax, 3780}}
	if len(d.Lines) != len(want) {
		t.Fatalf("lines %+v", d.Lines)
	}
	for i, w := range want {
		if d.Lines[i].Kind != w.kind || d.Lines[i].Amount != w.amount {
			t.Errorf("line %d: %s %d, want %s %d", i, d.Lines[i].Kind, d.Lines[i].Amount, w.kind, w.amount)
		}
	}
	if d.Total != 22680 {
		t.Errorf("total %d, want 22680", d.Total)
	}
}

func TestRateRefusesBadInput(t *testing.T) {
	t.Parallel()
	p := Period{Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	eur := PriceVersion{ID: "v1", Currency: "EUR", Interval: Monthly, BaseFee: 100}
	usd := PriceVersion{ID: "v2", Currency: "USD", Interval: Monthly, BaseFee: 100}
	mid := p.Start.Add(time.Hour)
	_, err := Rate(RateInput{Period: p, Segments: []Segment{{eur, p.Start, mid}, {usd, mid, p.End}}})
	if opsward.ErrorField(err) != "currency" {
		t.Errorf("currency mismatch: %v", err)
	}
	huge := PriceVersion{ID: "v3", Currency: "EUR", Interval: Monthly,
		Components: []Component{{Meter: MeterCheckRuns, Aggregation: AggSum, Model: ModelPerUnit, Unit: Price{maxAmount, 1}}}}
	_, err = Rate(RateInput{Period: p, Segments: []Segment{{huge, p.Start, p.End}},
		Events: []UsageEvent{{Meter: MeterCheckRuns, Quantity: maxQuantity, At: mid}}})
	if opsward.ErrorCode(err) != opsward.EINVALID || !strings.Contains(opsward.ErrorMessage(err), "overflow") {
		t.Errorf("overflow: %v", err)
	}
}

func TestPriceVersionValidate(t *testing.T) {
	t.Parallel()
	ok := PriceVersion{Currency: "EUR", Interval: Monthly, BaseFee: 100, Components: []Component{
		{Meter: MeterCheckRuns, Aggregation: AggSum, Model: ModelGraduated, Tiers: []Tier{{UpTo: 10, Unit: Price{1, 1}}, {Unit: Price{1, 2}}}}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for field, mut := range map[string]func(v *PriceVersion){
		"currency":                        func(v *PriceVersion) { v.Currency = "eur" },
		"interval":                        func(v *PriceVersion) { v.Interval = "week" },
		"baseFee":                         func(v *PriceVersion) { v.BaseFee = -1 },
		"components[0].meter":             func(v *PriceVersion) { v.Components[0].Meter = "cpu_seconds" },
		"components[0].aggregation":       func(v *PriceVersion) { v.Components[0].Aggregation = "avg" },
		"components[0].model":             func(v *PriceVersion) { v.Components[0].Model = "flat" },
		"components[0].tiers[1].upTo":     func(v *PriceVersion) { v.Components[0].Tiers[1].UpTo = 5 },
		"components[0].tiers[0].unit.per": func(v *PriceVersion) { v.Components[0].Tiers[0].Unit.Per = 0 },
		"components[0].tiers[0].unit.amount": func(v *PriceVersion) {
			v.Components[0].Tiers[0].Unit.Amount = maxAmount + 1
		},
	} {
		v := ok
		v.Components = []Component{ok.Components[0]}
		v.Components[0].Tiers = append([]Tier(nil), ok.Components[0].Tiers...)
		mut(&v)
		if got := opsward.ErrorField(v.Validate()); got != field {
			t.Errorf("want an error on %s, got %q (%v)", field, got, v.Validate())
		}
	}
}

func TestPeriodAt(t *testing.T) {
	t.Parallel()
	anchor := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at         time.Time
		start, end string
	}{
		{time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC), "2026-01-31T09:00", "2026-02-28T09:00"},
		{time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC), "2026-02-28T09:00", "2026-03-31T09:00"},
		{time.Date(2026, 4, 30, 8, 59, 0, 0, time.UTC), "2026-03-31T09:00", "2026-04-30T09:00"},
		{time.Date(2025, 12, 31, 9, 0, 0, 0, time.UTC), "2025-12-31T09:00", "2026-01-31T09:00"},
	} {
		p := PeriodAt(anchor, Monthly, tc.at)
		if p.Start.Format("2006-01-02T15:04") != tc.start || p.End.Format("2006-01-02T15:04") != tc.end {
			t.Errorf("PeriodAt(%s) = %s – %s, want %s – %s", tc.at, p.Start, p.End, tc.start, tc.end)
		}
	}
	y := PeriodAt(anchor, Yearly, time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))
	if y.Start != time.Date(2027, 1, 31, 9, 0, 0, 0, time.UTC) || y.End != time.Date(2028, 1, 31, 9, 0, 0, 0, time.UTC) {
		t.Errorf("yearly %v", y)
	}
}

func TestUsageEventValidate(t *testing.T) {
	t.Parallel()
	good := UsageEvent{TenantID: opsward.NewID(opsward.PrefixTenant), Meter: MeterCheckRuns, Key: "k", Quantity: 1, At: time.Now()}
	if err := good.Validate(""); err != nil {
		t.Fatal(err)
	}
	for field, mut := range map[string]func(e *UsageEvent){
		"e.meter":          func(e *UsageEvent) { e.Meter = "nope" },
		"e.quantity":       func(e *UsageEvent) { e.Quantity = -1 },
		"e.idempotencyKey": func(e *UsageEvent) { e.Key = strings.Repeat("k", 256) },
		"e.tenantId":       func(e *UsageEvent) { e.TenantID = "x" },
		"e.at":             func(e *UsageEvent) { e.At = time.Time{} },
	} {
		e := good
		mut(&e)
		if got := opsward.ErrorField(e.Validate("e")); got != field {
			t.Errorf("want an error on %s, got %q", field, got)
		}
	}
}
