package compliance

import (
	"time"

	"github.com/opsward/opsward"
)

// MaxPeriod is the longest period one report or run covers.
const MaxPeriod = 400 * 24 * time.Hour

// Period is the half-open range [From, To) a run or report covers.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Validate refuses a period that is empty, ends before it starts, lies
// in the future or is longer than MaxPeriod; the error names the field.
func (p Period) Validate(now time.Time) error {
	switch {
	case p.From.IsZero():
		return opsward.FieldErrorf("from", "a period needs its start")
	case p.To.IsZero():
		return opsward.FieldErrorf("to", "a period needs its end")
	case !p.To.After(p.From):
		return opsward.FieldErrorf("to", "the period ends (%s) before it starts (%s)", p.To.UTC().Format(time.RFC3339), p.From.UTC().Format(time.RFC3339))
	case p.From.After(now):
		return opsward.FieldErrorf("from", "the period starts in the future")
	case p.To.After(now):
		return opsward.FieldErrorf("to", "the period ends in the future: report on time that has passed")
	case p.To.Sub(p.From) > MaxPeriod:
		return opsward.FieldErrorf("to", "a period covers at most %d days", int(MaxPeriod/(24*time.Hour)))
	}
	return nil
}

// UTC returns the period in UTC.
func (p Period) UTC() Period { return Period{p.From.UTC(), p.To.UTC()} }

// MonthOf is the calendar month (UTC) holding t.
func MonthOf(t time.Time) Period {
	t = t.UTC()
	from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return Period{from, from.AddDate(0, 1, 0)}
}

// Months lists the calendar months the period touches, each clipped to
// the period.
func (p Period) Months() []Period {
	var out []Period
	for m := MonthOf(p.From); m.From.Before(p.To); m = MonthOf(m.To) {
		out = append(out, Period{maxTime(m.From, p.From), minTime(m.To, p.To)})
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
