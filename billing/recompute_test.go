package billing

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// TestRecomputeInvoices rates thousands of random usage events over random
// price books that use every charge model and aggregation, with plan
// changes inside periods and late events, and recomputes every invoice
// from the raw events with the naive reference below (unit by unit, no
// shared code with the rating engine but the types). One cent of
// difference on any line or total fails.
func TestRecomputeInvoices(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if testing.Short() {
		seed = 1
	}
	rng := rand.New(rand.NewPCG(seed, 42))
	const customers = 60
	invoices, mismatches, events := 0, 0, 0
	models := map[ChargeModel]bool{}
	for c := range customers {
		book := randomBook(rng, c)
		for _, v := range book {
			for _, comp := range v.Components {
				models[comp.Model] = true
			}
		}
		iv := book[0].Interval
		anchor := time.Date(2026, time.Month(1+rng.IntN(12)), 1+rng.IntN(31), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC)
		grace := time.Hour
		nPeriods := 3
		if iv == Yearly {
			nPeriods = 2
		}
		periods := make([]Period, nPeriods)
		at := anchor
		for i := range periods {
			periods[i] = PeriodAt(anchor, iv, at)
			at = periods[i].End
		}
		phases := randomPhases(rng, book, periods)
		terms := Terms{DiscountBP: int64(rng.IntN(3)) * int64(rng.IntN(2500)), TaxBP: int64(rng.IntN(2)) * int64(rng.IntN(2700))}
		credit := int64(rng.IntN(2)) * int64(rng.IntN(20000))
		evs := randomEvents(rng, fmt.Sprintf("c%d", c), periods, grace)
		events += len(evs)

		billed := map[string]bool{}
		prevClose := time.Time{}
		for k, p := range periods {
			closeAt := p.End.Add(grace)
			var unbilled []UsageEvent
			for _, e := range evs {
				if !billed[e.Key] {
					unbilled = append(unbilled, e)
				}
			}
			billedOf := func(lp Period) []UsageEvent {
				var out []UsageEvent
				for _, e := range evs {
					if billed[e.Key] && lp.Contains(e.At) {
						out = append(out, e)
					}
				}
				return out
			}
			in, take := CloseInput(p, closeAt, iv, anchor, unbilled, billedOf, phases, terms, credit)
			d, err := Rate(in)
			if err != nil {
				t.Fatalf("customer %d period %d: %v", c, k, err)
			}
			for _, e := range take {
				billed[e.Key] = true
			}
			want := naiveInvoice(periods[:k+1], prevClose, closeAt, phases, evs, terms, credit)
			got := linesByKey(d.Lines)
			bad := d.Total != want.total || d.Subtotal != want.subtotal || d.Tax != want.tax || d.Discount != want.discount
			for key, a := range want.lines {
				if got[key] != a {
					bad = true
					t.Errorf("customer %d invoice %d line %s: rated %d, recomputed %d", c, k, key, got[key], a)
				}
			}
			for key, a := range got {
				if _, ok := want.lines[key]; !ok && a != 0 {
					bad = true
					t.Errorf("customer %d invoice %d line %s: rated %d, recomputed none", c, k, key, a)
				}
			}
			if bad {
				mismatches++
				t.Errorf("customer %d invoice %d: rated subtotal %d discount %d tax %d total %d; recomputed %d %d %d %d",
					c, k, d.Subtotal, d.Discount, d.Tax, d.Total, want.subtotal, want.discount, want.tax, want.total)
			}
			invoices++
			prevClose = closeAt
		}
	}
	for _, m := range []ChargeModel{ModelPerUnit, ModelGraduated, ModelVolume, ModelPackage} {
		if !models[m] {
			t.Errorf("no price book used %s", m)
		}
	}
	t.Logf("seed %d, %d usage events", seed, events)
	fmt.Printf("billing-recompute: invoices=%d mismatches=%d\n", invoices, mismatches)
	if invoices < customers*2 || events < 2000 {
		t.Fatalf("only %d invoices from %d events", invoices, events)
	}
}

// ---- random inputs ----

var aggs = []Aggregation{AggCount, AggSum, AggMax, AggUniqueCount, AggLatest}

func randomBook(rng *rand.Rand, c int) []PriceVersion {
	iv := Monthly
	if rng.IntN(5) == 0 {
		iv = Yearly
	}
	n := 2 + rng.IntN(3)
	book := make([]PriceVersion, n)
	for i := range book {
		v := PriceVersion{ID: fmt.Sprintf("pv%d_%d", c, i), PlanID: fmt.Sprintf("plan%d", i), Version: 1,
			Currency: "EUR", Interval: iv, BaseFee: int64(rng.IntN(200000))}
		if rng.IntN(3) == 0 {
			v.MinimumCommitment = int64(rng.IntN(300000))
		}
		ms := Meters()
		rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		for j, m := range ms[:2+rng.IntN(len(ms)-1)] {
			comp := Component{Meter: m, Aggregation: aggs[rng.IntN(len(aggs))],
				Model: []ChargeModel{ModelPerUnit, ModelGraduated, ModelVolume, ModelPackage}[(j+i+c)%4]}
			if rng.IntN(3) == 0 {
				comp.FreeUnits = int64(rng.IntN(60))
			}
			switch comp.Model {
			case ModelPerUnit:
				comp.Unit = randomPrice(rng)
			case ModelPackage:
				comp.PackageSize = int64(1 + rng.IntN(50))
				comp.PackageAmount = int64(rng.IntN(5000))
			default:
				upTo := int64(0)
				nt := 1 + rng.IntN(4)
				for k := range nt {
					tr := Tier{Unit: randomPrice(rng)}
					if rng.IntN(3) == 0 {
						tr.Flat = int64(rng.IntN(3000))
					}
					if k < nt-1 {
						upTo += int64(1 + rng.IntN(150))
						tr.UpTo = upTo
					}
					comp.Tiers = append(comp.Tiers, tr)
				}
			}
			v.Components = append(v.Components, comp)
		}
		if err := v.Validate(); err != nil {
			panic(err)
		}
		book[i] = v
	}
	return book
}

func randomPrice(rng *rand.Rand) Price {
	return Price{Amount: int64(rng.IntN(700)), Per: []int64{1, 1, 3, 7, 10, 1000}[rng.IntN(6)]}
}

// randomPhases starts the subscription at the first period and changes
// the plan zero to two times a period, at a random second, upgrades at
// once and downgrades at the period's end.
func randomPhases(rng *rand.Rand, book []PriceVersion, periods []Period) []Phase {
	cur := rng.IntN(len(book))
	phases := []Phase{{Version: book[cur], From: periods[0].Start}}
	for _, p := range periods {
		for range rng.IntN(3) {
			to := rng.IntN(len(book))
			if to == cur {
				continue
			}
			at := p.Start.Add(time.Duration(rng.Int64N(p.seconds())) * time.Second)
			if !at.After(phases[len(phases)-1].From) {
				continue
			}
			if book[to].BaseFee < book[cur].BaseFee && rng.IntN(2) == 0 {
				at = p.End // a downgrade waits for the period's end
				if !at.After(phases[len(phases)-1].From) {
					continue
				}
			}
			phases = append(phases, Phase{Version: book[to], From: at})
			cur = to
		}
	}
	sort.SliceStable(phases, func(i, j int) bool { return phases[i].From.Before(phases[j].From) })
	return phases
}

func randomEvents(rng *rand.Rand, tenant string, periods []Period, grace time.Duration) []UsageEvent {
	start, end := periods[0].Start, periods[len(periods)-1].End
	span := int64(end.Sub(start) / time.Second)
	n := 20 + rng.IntN(120)
	evs := make([]UsageEvent, 0, n)
	ms := Meters()
	for i := range n {
		at := start.Add(time.Duration(rng.Int64N(span)) * time.Second)
		delay := time.Duration(rng.IntN(600)) * time.Second
		switch rng.IntN(8) {
		case 0: // near the grace limit, either side
			delay = grace + time.Duration(rng.IntN(120)-60)*time.Second
		case 1: // days late
			delay = time.Duration(1+rng.IntN(40*24)) * time.Hour
		}
		// Events near a period end are most at risk of being late.
		if rng.IntN(6) == 0 {
			for _, p := range periods {
				if p.Contains(at) {
					at = p.End.Add(-time.Duration(1+rng.IntN(3600)) * time.Second)
				}
			}
		}
		evs = append(evs, UsageEvent{TenantID: tenant, Meter: ms[rng.IntN(len(ms))], Key: fmt.Sprintf("%s-%d", tenant, i),
			Quantity: int64(rng.IntN(40)), Value: fmt.Sprintf("u%d", rng.IntN(12)), At: at, ReceivedAt: at.Add(delay)})
	}
	return evs
}

// ---- the naive reference ----

type naiveResult struct {
	lines                          map[string]int64
	subtotal, discount, tax, total int64
}

func lineKey(kind LineKind, meter Meter, version string, from time.Time) string {
	return fmt.Sprintf("%s|%s|%s|%s", kind, meter, version, from.UTC().Format(time.RFC3339))
}

func linesByKey(lines []Line) map[string]int64 {
	out := map[string]int64{}
	for _, l := range lines {
		if l.Kind == LineDiscount || l.Kind == LineTax || l.Kind == LineCredit {
			continue
		}
		out[lineKey(l.Kind, l.Meter, l.VersionID, l.From)] += l.Amount
	}
	return out
}

// naiveInvoice recomputes the invoice that closes the last of periods at
// closeAt, the one before having closed at prevClose: the last period's
// usage recorded by closeAt, and for each earlier period what its usage
// recorded by closeAt costs minus what its usage recorded by prevClose
// cost.
func naiveInvoice(periods []Period, prevClose, closeAt time.Time, phases []Phase, evs []UsageEvent, terms Terms, credit int64) naiveResult {
	res := naiveResult{lines: map[string]int64{}}
	last := periods[len(periods)-1]
	for _, seg := range naiveSegments(last, phases) {
		for k, a := range naiveSegment(last, seg, naiveFilter(evs, seg, closeAt), true) {
			res.lines[k] += a
		}
	}
	for _, p := range periods[:len(periods)-1] {
		for _, seg := range naiveSegments(p, phases) {
			now := naiveSegment(p, seg, naiveFilter(evs, seg, closeAt), false)
			before := naiveSegment(p, seg, naiveFilter(evs, seg, prevClose), false)
			for k, a := range now {
				if d := a - before[k]; d != 0 {
					var kind LineKind
					var meter, ver, from string
					fmt.Sscanf(replaceBars(k), "%s %s %s %s", &kind, &meter, &ver, &from)
					res.lines[lineKey(LineLateUsage, Meter(meter), ver, seg.From)] += d
				}
			}
		}
	}
	for _, a := range res.lines {
		res.subtotal += a
	}
	taxable := res.subtotal
	if terms.DiscountBP > 0 && res.subtotal > 0 {
		res.discount = naiveRound(big.NewRat(res.subtotal*terms.DiscountBP, 10000))
		taxable -= res.discount
	}
	if terms.TaxBP > 0 && taxable > 0 {
		res.tax = naiveRound(big.NewRat(taxable*terms.TaxBP, 10000))
	}
	res.total = taxable + res.tax
	if credit > 0 && res.total > 0 {
		res.total -= min(credit, res.total)
	}
	return res
}

func replaceBars(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '|' {
			b[i] = ' '
		}
	}
	return string(b)
}

// naiveSegments walks the period second by second boundaries of phases.
func naiveSegments(p Period, phases []Phase) []Segment {
	var out []Segment
	for i, ph := range phases {
		end := p.End
		if i+1 < len(phases) {
			end = phases[i+1].From
		}
		from, to := ph.From, end
		if from.Before(p.Start) {
			from = p.Start
		}
		if to.After(p.End) {
			to = p.End
		}
		if from.Before(to) {
			out = append(out, Segment{Version: ph.Version, From: from, To: to})
		}
	}
	return out
}

func naiveFilter(evs []UsageEvent, seg Segment, by time.Time) []UsageEvent {
	var out []UsageEvent
	for _, e := range evs {
		if !e.ReceivedAt.After(by) && !e.At.Before(seg.From) && e.At.Before(seg.To) {
			out = append(out, e)
		}
	}
	return out
}

// naiveSegment prices one segment with the given events: line key to
// amount. Usage lines are keyed as usage.
func naiveSegment(p Period, seg Segment, evs []UsageEvent, withFees bool) map[string]int64 {
	out := map[string]int64{}
	per := int64(p.End.Sub(p.Start).Seconds())
	secs := int64(seg.To.Sub(seg.From).Seconds())
	v := seg.Version
	var sum int64
	if withFees {
		kind := LineBase
		if secs != per {
			kind = LineProration
		}
		base := naiveRound(big.NewRat(v.BaseFee*secs, per))
		out[lineKey(kind, "", v.ID, seg.From)] = base
		sum += base
	}
	for _, c := range v.Components {
		var mine []UsageEvent
		for _, e := range evs {
			if e.Meter == c.Meter {
				mine = append(mine, e)
			}
		}
		q := naiveAggregate(c.Aggregation, mine)
		free := c.FreeUnits
		if secs != per {
			free = naiveRound(big.NewRat(free*secs, per))
		}
		billable := q - free
		if billable < 0 {
			billable = 0
		}
		amount := naiveRound(naivePrice(c, billable))
		out[lineKey(LineUsage, c.Meter, v.ID, seg.From)] = amount
		sum += amount
	}
	if withFees && v.MinimumCommitment > 0 {
		commit := naiveRound(big.NewRat(v.MinimumCommitment*secs, per))
		if commit > sum {
			out[lineKey(LineCommitment, "", v.ID, seg.From)] = commit - sum
		}
	}
	return out
}

func naiveAggregate(agg Aggregation, evs []UsageEvent) int64 {
	switch agg {
	case AggCount:
		return int64(len(evs))
	case AggSum:
		var s int64
		for _, e := range evs {
			s += e.Quantity
		}
		return s
	case AggMax:
		var m int64
		for _, e := range evs {
			if e.Quantity > m {
				m = e.Quantity
			}
		}
		return m
	case AggUniqueCount:
		var seen []string
	next:
		for _, e := range evs {
			for _, s := range seen {
				if s == e.Value {
					continue next
				}
			}
			seen = append(seen, e.Value)
		}
		return int64(len(seen))
	case AggLatest:
		if len(evs) == 0 {
			return 0
		}
		sorted := append([]UsageEvent(nil), evs...)
		sort.Slice(sorted, func(i, j int) bool {
			if sorted[i].At.Equal(sorted[j].At) {
				return sorted[i].Key < sorted[j].Key
			}
			return sorted[i].At.Before(sorted[j].At)
		})
		return sorted[len(sorted)-1].Quantity
	}
	panic("aggregation " + string(agg))
}

// naivePrice prices unit by unit.
func naivePrice(c Component, billable int64) *big.Rat {
	total := new(big.Rat)
	unit := func(p Price) *big.Rat { return big.NewRat(p.Amount, p.Per) }
	switch c.Model {
	case ModelPerUnit:
		for range billable {
			total.Add(total, unit(c.Unit))
		}
	case ModelPackage:
		for left := billable; left > 0; left -= c.PackageSize {
			total.Add(total, big.NewRat(c.PackageAmount, 1))
		}
	case ModelGraduated:
		entered := map[int]bool{}
		for u := int64(1); u <= billable; u++ {
			ti := tierOf(c.Tiers, u)
			total.Add(total, unit(c.Tiers[ti].Unit))
			if !entered[ti] {
				entered[ti] = true
				total.Add(total, big.NewRat(c.Tiers[ti].Flat, 1))
			}
		}
	case ModelVolume:
		if billable > 0 {
			ti := tierOf(c.Tiers, billable)
			for range billable {
				total.Add(total, unit(c.Tiers[ti].Unit))
			}
			total.Add(total, big.NewRat(c.Tiers[ti].Flat, 1))
		}
	}
	return total
}

// tierOf is the index of the tier that holds unit u (1-based).
func tierOf(tiers []Tier, u int64) int {
	for i, t := range tiers {
		if t.UpTo == 0 || u <= t.UpTo {
			return i
		}
	}
	return len(tiers) - 1
}

// naiveRound rounds a non-negative rational half up.
func naiveRound(r *big.Rat) int64 {
	n := new(big.Int).Div(new(big.Int).Add(new(big.Int).Mul(r.Num(), big.NewInt(2)), r.Denom()), new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	return n.Int64()
}
