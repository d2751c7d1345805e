package billing

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// Rating: usage events and a price version in, invoice lines out. It is
// pure (no storage, no clock) so that the period-close job, the preview of
// a plan change and the current-period estimate all rate the same way.
//
// Rounding, the one rule: every amount is computed exactly (rationals) and
// rounded once, half away from zero, to a whole minor unit when it becomes
// an invoice line. Totals are sums of rounded lines; a discount or tax is
// computed from the rounded subtotal and rounded once as its own line.
//
// Proration is by the second. A period split by a plan change has one
// segment per price version; each segment pays its base fee and minimum
// commitment for the share of the period it covers, its free allowance is
// prorated the same way (rounded half up, in units), and its usage (the
// events whose time falls in the segment) is rated on its own version's
// tiers. Tier bounds are not prorated.

// Aggregation is how a meter's events become one quantity per period.
type Aggregation string

// The aggregations (Lago's and OpenMeter's set).
const (
	AggCount       Aggregation = "count"        // number of events
	AggSum         Aggregation = "sum"          // sum of quantities
	AggMax         Aggregation = "max"          // largest quantity
	AggUniqueCount Aggregation = "unique_count" // distinct values
	AggLatest      Aggregation = "latest"       // quantity of the last event in time
)

// ChargeModel is how a quantity becomes an amount.
type ChargeModel string

// The charge models.
const (
	ModelPerUnit   ChargeModel = "per_unit"  // quantity × unit price
	ModelGraduated ChargeModel = "graduated" // each unit at the price of the tier it falls in, plus each entered tier's flat fee
	ModelVolume    ChargeModel = "volume"    // every unit at the price of the tier the whole quantity falls in, plus that tier's flat fee
	ModelPackage   ChargeModel = "package"   // each started block of PackageSize units costs PackageAmount
)

// Interval is a billing period's length.
type Interval string

// The billing intervals.
const (
	Monthly Interval = "month"
	Yearly  Interval = "year"
)

// Price is Amount minor units per Per units (Per ≥ 1): "5 cents per 1,000
// events" is {5, 1000}. Sub-cent unit prices stay exact this way.
type Price struct {
	Amount int64 `json:"amount"`
	Per    int64 `json:"per"`
}

func (p Price) rat() *big.Rat {
	per := p.Per
	if per <= 0 {
		per = 1
	}
	return new(big.Rat).SetFrac(big.NewInt(p.Amount), big.NewInt(per))
}

// Tier is one band of a tiered price. UpTo is the tier's last unit,
// inclusive; 0 means no upper bound (the last tier only).
type Tier struct {
	UpTo int64 `json:"upTo"`
	Unit Price `json:"unit"`
	Flat int64 `json:"flat"`
}

// Component is a metered part of a price version.
type Component struct {
	Meter       Meter       `json:"meter"`
	Aggregation Aggregation `json:"aggregation"`
	Model       ChargeModel `json:"model"`
	// Unit is the price of per_unit.
	Unit Price `json:"unit"`
	// Tiers of graduated and volume, ascending.
	Tiers []Tier `json:"tiers,omitempty"`
	// PackageSize and PackageAmount of package.
	PackageSize   int64 `json:"packageSize,omitempty"`
	PackageAmount int64 `json:"packageAmount,omitempty"`
	// FreeUnits are included in the period before anything is charged.
	FreeUnits int64 `json:"freeUnits,omitempty"`
}

// PriceVersion is one version of a plan's prices. A version never changes
// once written; editing a price writes the next version.
type PriceVersion struct {
	ID       string   `json:"id"`
	PlanID   string   `json:"planId"`
	Version  int      `json:"version"`
	Currency string   `json:"currency"`
	Interval Interval `json:"interval"`
	// BaseFee is charged per period, in minor units.
	BaseFee int64 `json:"baseFee"`
	// MinimumCommitment is the least a period costs before discount and
	// tax; a shortfall is charged as its own line.
	MinimumCommitment int64       `json:"minimumCommitment,omitempty"`
	Components        []Component `json:"components"`
	// Limits are the entitlements the version grants (Plan's limit
	// fields; its ID, Name and MonthlyPrice are not read from here).
	Limits *Plan `json:"limits,omitempty"`
}

// Bounds on prices so that no rating can overflow int64 silently (rating
// checks every line besides).
const (
	maxAmount   = int64(1) << 50 // about 1.1e15 minor units
	maxQuantity = int64(1) << 52
	maxTiers    = 20
)

// Validate checks a version's prices; the error names the field.
func (v PriceVersion) Validate() error {
	if len(v.Currency) != 3 || strings.ToUpper(v.Currency) != v.Currency || strings.Trim(v.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return opsward.FieldErrorf("currency", "currency %q is not an ISO 4217 code such as EUR", v.Currency)
	}
	if v.Interval != Monthly && v.Interval != Yearly {
		return opsward.FieldErrorf("interval", "interval %q is not month or year", v.Interval)
	}
	if err := amountOK("baseFee", v.BaseFee); err != nil {
		return err
	}
	if err := amountOK("minimumCommitment", v.MinimumCommitment); err != nil {
		return err
	}
	if v.Limits != nil {
		if err := validateLimits(*v.Limits); err != nil {
			return err
		}
	}
	seen := map[Meter]bool{}
	for i, c := range v.Components {
		f := fmt.Sprintf("components[%d]", i)
		if !c.Meter.Known() {
			return opsward.FieldErrorf(f+".meter", "there is no meter %q: choose one of %s", c.Meter, meterNames())
		}
		if seen[c.Meter] {
			return opsward.FieldErrorf(f+".meter", "meter %s is priced twice in one version", c.Meter)
		}
		seen[c.Meter] = true
		switch c.Aggregation {
		case AggCount, AggSum, AggMax, AggUniqueCount, AggLatest:
		default:
			return opsward.FieldErrorf(f+".aggregation", "aggregation %q is not count, sum, max, unique_count or latest", c.Aggregation)
		}
		if c.FreeUnits < 0 || c.FreeUnits > maxQuantity {
			return opsward.FieldErrorf(f+".freeUnits", "free units must be between 0 and %d, got %d", maxQuantity, c.FreeUnits)
		}
		switch c.Model {
		case ModelPerUnit:
			if err := priceOK(f+".unit", c.Unit); err != nil {
				return err
			}
		case ModelPackage:
			if c.PackageSize < 1 || c.PackageSize > maxQuantity {
				return opsward.FieldErrorf(f+".packageSize", "a package holds between 1 and %d units, got %d", maxQuantity, c.PackageSize)
			}
			if err := amountOK(f+".packageAmount", c.PackageAmount); err != nil {
				return err
			}
		case ModelGraduated, ModelVolume:
			if len(c.Tiers) == 0 || len(c.Tiers) > maxTiers {
				return opsward.FieldErrorf(f+".tiers", "a tiered price has 1 to %d tiers, got %d", maxTiers, len(c.Tiers))
			}
			prev := int64(0)
			for j, t := range c.Tiers {
				tf := fmt.Sprintf("%s.tiers[%d]", f, j)
				last := j == len(c.Tiers)-1
				switch {
				case last && t.UpTo != 0:
					return opsward.FieldErrorf(tf+".upTo", "the last tier has no upper bound (upTo 0), got %d", t.UpTo)
				case !last && (t.UpTo <= prev || t.UpTo > maxQuantity):
					return opsward.FieldErrorf(tf+".upTo", "tier bounds must rise and stay below %d: %d after %d", maxQuantity, t.UpTo, prev)
				}
				prev = t.UpTo
				if err := priceOK(tf+".unit", t.Unit); err != nil {
					return err
				}
				if err := amountOK(tf+".flat", t.Flat); err != nil {
					return err
				}
			}
		default:
			return opsward.FieldErrorf(f+".model", "charge model %q is not per_unit, graduated, volume or package", c.Model)
		}
	}
	return nil
}

func amountOK(field string, a int64) error {
	if a < 0 || a > maxAmount {
		return opsward.FieldErrorf(field, "an amount is between 0 and %d minor units, got %d", maxAmount, a)
	}
	return nil
}

func priceOK(field string, p Price) error {
	if err := amountOK(field+".amount", p.Amount); err != nil {
		return err
	}
	if p.Per < 1 || p.Per > maxQuantity {
		return opsward.FieldErrorf(field+".per", "a price is per 1 to %d units, got %d", maxQuantity, p.Per)
	}
	return nil
}

// Period is a billing period, [Start, End).
type Period struct {
	Start, End time.Time
}

func (p Period) seconds() int64 { return int64(p.End.Sub(p.Start) / time.Second) }

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// PeriodAt is the period of the given interval, counted from anchor, that
// holds t. Monthly periods start on the anchor's day of the month, or the
// month's last day when it is shorter (an anchor on the 31st bills on
// 30 April and 28 or 29 February), at the anchor's time of day, in UTC.
func PeriodAt(anchor time.Time, iv Interval, t time.Time) Period {
	anchor, t = anchor.UTC(), t.UTC()
	months := 1
	if iv == Yearly {
		months = 12
	}
	n := ((t.Year()-anchor.Year())*12 + int(t.Month()) - int(anchor.Month())) / months
	for addMonths(anchor, n*months).After(t) {
		n--
	}
	for !addMonths(anchor, (n+1)*months).After(t) {
		n++
	}
	return Period{Start: addMonths(anchor, n*months), End: addMonths(anchor, (n+1)*months)}
}

// addMonths adds n months to t, clamping the day to the month's last.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// UsageEvent is one measured piece of work. Key is unique per tenant and
// meter: the same key recorded twice counts once.
type UsageEvent struct {
	TenantID string
	Meter    Meter
	Key      string
	Quantity int64
	// Value is what unique_count counts distinct (a user id for seats).
	Value string
	// At is when the work happened; it decides the period.
	At time.Time
	// ReceivedAt is when the event was recorded; after the period's close
	// it makes the event late.
	ReceivedAt time.Time
}

// Aggregate computes one quantity from events (already of one meter).
func Aggregate(agg Aggregation, events []UsageEvent) (int64, error) {
	var q int64
	switch agg {
	case AggCount:
		q = int64(len(events))
	case AggSum:
		for _, e := range events {
			s, ok := addChecked(q, e.Quantity)
			if !ok {
				return 0, opsward.FieldErrorf("quantity", "the sum of %s overflows", events[0].Meter)
			}
			q = s
		}
	case AggMax:
		for _, e := range events {
			q = max(q, e.Quantity)
		}
	case AggUniqueCount:
		seen := make(map[string]struct{}, len(events))
		for _, e := range events {
			seen[e.Value] = struct{}{}
		}
		q = int64(len(seen))
	case AggLatest:
		var last *UsageEvent
		for i := range events {
			e := &events[i]
			if last == nil || e.At.After(last.At) || (e.At.Equal(last.At) && e.Key > last.Key) {
				last = e
			}
		}
		if last != nil {
			q = last.Quantity
		}
	default:
		return 0, opsward.FieldErrorf("aggregation", "aggregation %q is unknown", agg)
	}
	return q, nil
}

// LineKind says what an invoice line charges.
type LineKind string

// The kinds of invoice lines.
const (
	LineBase       LineKind = "base"       // the base fee of a whole period
	LineProration  LineKind = "proration"  // the base fee of part of a period (plan change)
	LineUsage      LineKind = "usage"      // a metered component
	LineLateUsage  LineKind = "late_usage" // usage of an earlier period recorded after it closed
	LineCommitment LineKind = "commitment" // the shortfall below a minimum commitment
	LineDiscount   LineKind = "discount"   // a contracted discount (negative)
	LineTax        LineKind = "tax"
	LineCredit     LineKind = "credit" // credit applied (negative)
)

// TierLine is one tier's share of a tiered line.
type TierLine struct {
	From  int64 `json:"from"` // first unit, 1-based
	To    int64 `json:"to"`   // last unit; 0: unbounded
	Units int64 `json:"units"`
	Unit  Price `json:"unit"`
	Flat  int64 `json:"flat"`
}

// Line is one line of an invoice.
type Line struct {
	Kind        LineKind    `json:"kind"`
	Description string      `json:"description"`
	Meter       Meter       `json:"meter,omitempty"`
	VersionID   string      `json:"versionId,omitempty"`
	From        time.Time   `json:"from"`
	To          time.Time   `json:"to"`
	Model       ChargeModel `json:"model,omitempty"`
	// Quantity is the aggregated quantity; FreeUnits of it were free.
	Quantity  int64      `json:"quantity"`
	FreeUnits int64      `json:"freeUnits,omitempty"`
	Unit      Price      `json:"unit"`
	Tiers     []TierLine `json:"tiers,omitempty"`
	Amount    int64      `json:"amount"`
	Late      bool       `json:"late,omitempty"`
}

// Segment is a price version in force over [From, To) of a period.
type Segment struct {
	Version  PriceVersion
	From, To time.Time
}

// Terms are a customer's contracted adjustments, in basis points
// (hundredths of a percent): 1,250 is 12.5 %.
type Terms struct {
	DiscountBP int64
	TaxBP      int64
}

// Draft is a rated invoice before it is stored.
type Draft struct {
	Currency string
	Period   Period
	Lines    []Line
	Subtotal int64 // lines before discount, tax and credit
	Discount int64 // ≥ 0, shown as a negative line
	Tax      int64
	Credit   int64 // credit applied, ≥ 0
	Total    int64 // amount due
}

// LateUsage is usage of an earlier period recorded after that period's
// invoice closed: Billed are the events its invoices already rated, New
// those that arrived since. The next invoice charges the difference.
type LateUsage struct {
	Period   Period
	Segments []Segment
	Billed   []UsageEvent
	New      []UsageEvent
}

// RateInput is everything one invoice is rated from.
type RateInput struct {
	Period   Period
	Segments []Segment // cover Period in order, without gaps
	Events   []UsageEvent
	Late     []LateUsage
	Terms    Terms
	Credit   int64 // credit balance that may be applied
}

// Rate rates one invoice.
func Rate(in RateInput) (Draft, error) {
	cur, err := checkSegments(in.Period, in.Segments)
	if err != nil {
		return Draft{}, err
	}
	d := Draft{Currency: cur, Period: in.Period}
	per := in.Period.seconds()
	for _, seg := range in.Segments {
		lines, err := rateSegment(in.Period, per, seg, in.Events, false)
		if err != nil {
			return Draft{}, err
		}
		d.Lines = append(d.Lines, lines...)
	}
	for _, l := range in.Late {
		lc, err := checkSegments(l.Period, l.Segments)
		if err != nil {
			return Draft{}, err
		}
		if lc != cur {
			return Draft{}, opsward.FieldErrorf("currency", "late usage of %s is in %s and this invoice in %s", l.Period.Start.Format(time.DateOnly), lc, cur)
		}
		lines, err := rateLate(l)
		if err != nil {
			return Draft{}, err
		}
		d.Lines = append(d.Lines, lines...)
	}
	return finish(d, in.Terms, in.Credit)
}

// finish adds the discount, tax and credit lines and the totals.
func finish(d Draft, terms Terms, credit int64) (Draft, error) {
	var ok bool
	for _, l := range d.Lines {
		if d.Subtotal, ok = addChecked(d.Subtotal, l.Amount); !ok {
			return Draft{}, errOverflow("subtotal")
		}
	}
	taxable := d.Subtotal
	if terms.DiscountBP > 0 && d.Subtotal > 0 {
		disc, err := roundRat(new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(d.Subtotal), big.NewInt(terms.DiscountBP)), big.NewInt(10000)), "discount")
		if err != nil {
			return Draft{}, err
		}
		d.Discount = disc
		taxable -= disc
		d.Lines = append(d.Lines, Line{Kind: LineDiscount, Description: fmt.Sprintf("Discount %s %%", bpString(terms.DiscountBP)),
			From: d.Period.Start, To: d.Period.End, Amount: -disc})
	}
	if terms.TaxBP > 0 && taxable > 0 {
		tax, err := roundRat(new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(taxable), big.NewInt(terms.TaxBP)), big.NewInt(10000)), "tax")
		if err != nil {
			return Draft{}, err
		}
		d.Tax = tax
		d.Lines = append(d.Lines, Line{Kind: LineTax, Description: fmt.Sprintf("Tax %s %%", bpString(terms.TaxBP)),
			From: d.Period.Start, To: d.Period.End, Quantity: taxable, Amount: tax})
	}
	total, ok := addChecked(taxable, d.Tax)
	if !ok {
		return Draft{}, errOverflow("total")
	}
	if credit > 0 && total > 0 {
		d.Credit = min(credit, total)
		total -= d.Credit
		d.Lines = append(d.Lines, Line{Kind: LineCredit, Description: "Credit applied",
			From: d.Period.Start, To: d.Period.End, Amount: -d.Credit})
	}
	d.Total = total
	return d, nil
}

func bpString(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	return strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".0")
}

// checkSegments checks that segments cover p in order and share one
// currency, which it returns.
func checkSegments(p Period, segs []Segment) (string, error) {
	if !p.End.After(p.Start) {
		return "", opsward.FieldErrorf("period", "a period must end after it starts")
	}
	if len(segs) == 0 {
		return "", opsward.FieldErrorf("segments", "no price version covers the period")
	}
	at, cur := p.Start, segs[0].Version.Currency
	for i, s := range segs {
		if !s.From.Equal(at) || !s.To.After(s.From) || s.To.After(p.End) {
			return "", opsward.FieldErrorf(fmt.Sprintf("segments[%d]", i), "segments must cover the period in order without gaps")
		}
		if s.Version.Currency != cur {
			return "", opsward.FieldErrorf("currency", "price version %s is in %s and %s in %s: one invoice has one currency",
				s.Version.ID, s.Version.Currency, segs[0].Version.ID, cur)
		}
		at = s.To
	}
	if !at.Equal(p.End) {
		return "", opsward.FieldErrorf("segments", "segments end before the period does")
	}
	return cur, nil
}

// rateSegment rates one segment: its base fee (or proration), its usage
// and its commitment shortfall.
func rateSegment(p Period, per int64, seg Segment, events []UsageEvent, late bool) ([]Line, error) {
	v := seg.Version
	secs := int64(seg.To.Sub(seg.From) / time.Second)
	whole := seg.From.Equal(p.Start) && seg.To.Equal(p.End)
	var lines []Line
	var sum int64
	base, err := roundRat(big.NewRat(0, 1).SetFrac(new(big.Int).Mul(big.NewInt(v.BaseFee), big.NewInt(secs)), big.NewInt(per)), "baseFee")
	if err != nil {
		return nil, err
	}
	if !late {
		kind, desc := LineBase, fmt.Sprintf("%s base fee", v.PlanID)
		if !whole {
			kind, desc = LineProration, fmt.Sprintf("%s base fee, %d of %d seconds", v.PlanID, secs, per)
		}
		lines = append(lines, Line{Kind: kind, Description: desc, VersionID: v.ID, From: seg.From, To: seg.To,
			Quantity: 1, Unit: Price{Amount: v.BaseFee, Per: 1}, Amount: base})
		sum = base
	}
	for _, c := range v.Components {
		var evs []UsageEvent
		for _, e := range events {
			if e.Meter == c.Meter && !e.At.Before(seg.From) && e.At.Before(seg.To) {
				evs = append(evs, e)
			}
		}
		l, err := rateComponent(c, evs, secs, per)
		if err != nil {
			return nil, err
		}
		l.VersionID, l.From, l.To = v.ID, seg.From, seg.To
		lines = append(lines, l)
		var ok bool
		if sum, ok = addChecked(sum, l.Amount); !ok {
			return nil, errOverflow("subtotal")
		}
	}
	if v.MinimumCommitment > 0 && !late {
		commit, err := roundRat(new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(v.MinimumCommitment), big.NewInt(secs)), big.NewInt(per)), "minimumCommitment")
		if err != nil {
			return nil, err
		}
		if commit > sum {
			lines = append(lines, Line{Kind: LineCommitment, Description: fmt.Sprintf("%s minimum commitment", v.PlanID),
				VersionID: v.ID, From: seg.From, To: seg.To, Quantity: 1, Amount: commit - sum})
		}
	}
	return lines, nil
}

// rateLate charges what late events add to an earlier period: each
// component rated on billed+new minus rated on billed, so that tiers and
// allowances apply as if the events had been on time. The commitment of
// that period is not revisited.
func rateLate(l LateUsage) ([]Line, error) {
	per := l.Period.seconds()
	all := append(slices.Clip(l.Billed), l.New...)
	var out []Line
	for _, seg := range l.Segments {
		before, err := rateSegment(l.Period, per, seg, l.Billed, true)
		if err != nil {
			return nil, err
		}
		after, err := rateSegment(l.Period, per, seg, all, true)
		if err != nil {
			return nil, err
		}
		for i := range after {
			a, b := after[i], before[i]
			if a.Quantity == b.Quantity && a.Amount == b.Amount {
				continue
			}
			a.Kind, a.Late = LineLateUsage, true
			a.Description = fmt.Sprintf("%s, late usage of %s to %s (quantity %d, was %d)",
				a.Description, l.Period.Start.Format(time.DateOnly), l.Period.End.Format(time.DateOnly), a.Quantity, b.Quantity)
			a.Amount -= b.Amount
			a.Quantity -= b.Quantity
			a.Tiers = nil
			out = append(out, a)
		}
	}
	return out, nil
}

// rateComponent rates one component over a segment of secs seconds of a
// per-second period.
func rateComponent(c Component, events []UsageEvent, secs, per int64) (Line, error) {
	q, err := Aggregate(c.Aggregation, events)
	if err != nil {
		return Line{}, err
	}
	free := c.FreeUnits
	if secs != per && free > 0 {
		free, err = roundRat(new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(free), big.NewInt(secs)), big.NewInt(per)), "freeUnits")
		if err != nil {
			return Line{}, err
		}
	}
	billable := max(q-free, 0)
	l := Line{Kind: LineUsage, Meter: c.Meter, Model: c.Model, Quantity: q, FreeUnits: min(free, q),
		Description: meterTitle(c.Meter)}
	exact := new(big.Rat)
	switch c.Model {
	case ModelPerUnit:
		l.Unit = c.Unit
		exact.Mul(c.Unit.rat(), new(big.Rat).SetInt64(billable))
	case ModelPackage:
		blocks := (billable + c.PackageSize - 1) / c.PackageSize
		l.Unit = Price{Amount: c.PackageAmount, Per: c.PackageSize}
		exact.SetFrac(new(big.Int).Mul(big.NewInt(blocks), big.NewInt(c.PackageAmount)), big.NewInt(1))
	case ModelGraduated:
		lo := int64(0) // units below this tier
		for _, t := range c.Tiers {
			if billable <= lo {
				break
			}
			hi := billable
			if t.UpTo != 0 {
				hi = min(hi, t.UpTo)
			}
			units := hi - lo
			exact.Add(exact, new(big.Rat).Mul(t.Unit.rat(), new(big.Rat).SetInt64(units)))
			exact.Add(exact, new(big.Rat).SetInt64(t.Flat))
			l.Tiers = append(l.Tiers, TierLine{From: lo + 1, To: t.UpTo, Units: units, Unit: t.Unit, Flat: t.Flat})
			lo = t.UpTo
			if t.UpTo == 0 {
				break
			}
		}
	case ModelVolume:
		if billable > 0 {
			lo := int64(0)
			for _, t := range c.Tiers {
				if t.UpTo == 0 || billable <= t.UpTo {
					exact.Mul(t.Unit.rat(), new(big.Rat).SetInt64(billable))
					exact.Add(exact, new(big.Rat).SetInt64(t.Flat))
					l.Unit = t.Unit
					l.Tiers = []TierLine{{From: lo + 1, To: t.UpTo, Units: billable, Unit: t.Unit, Flat: t.Flat}}
					break
				}
				lo = t.UpTo
			}
		}
	default:
		return Line{}, opsward.FieldErrorf("model", "charge model %q is unknown", c.Model)
	}
	l.Amount, err = roundRat(exact, string(c.Meter))
	return l, err
}

// roundRat rounds half away from zero to an int64, refusing an amount
// beyond maxAmount (the field names what overflowed).
func roundRat(r *big.Rat, field string) (int64, error) {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() || q.Int64() > maxAmount*8 {
		return 0, errOverflow(field)
	}
	v := q.Int64()
	if neg {
		v = -v
	}
	return v, nil
}

func addChecked(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) || s > math.MaxInt64/2 || s < math.MinInt64/2 {
		return 0, false
	}
	return s, true
}

func errOverflow(field string) error {
	return opsward.FieldErrorf(field, "the amount of %s would overflow: lower the price or the quantity", field)
}
