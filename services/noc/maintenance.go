package noc

import (
	"time"

	"github.com/opsward/opsward"
)

// Recurrence says how a maintenance window repeats.
type Recurrence string

const (
	RecurNone    Recurrence = ""        // one-off: Start and End
	RecurDaily   Recurrence = "daily"   // every day at StartTime
	RecurWeekly  Recurrence = "weekly"  // on Weekdays at StartTime
	RecurMonthly Recurrence = "monthly" // on MonthDay at StartTime
)

// maxWindow bounds a recurring window's duration so that Active looks back
// a bounded number of days.
const maxWindow = 7 * 24 * time.Hour

// Window is a maintenance window. Windows suppress alerting, never
// checking: results taken inside one are stored and marked.
//
// Recurring windows are computed in TimeZone: "daily at 02:00" is 02:00 on
// the tenant's wall clock in winter and in summer. Duration is elapsed
// time, so a 4-hour window that spans a DST change still lasts 4 hours. A
// StartTime that does not exist on a spring-forward day is moved forward by
// the gap (02:30 becomes 03:30); one that occurs twice on a fall-back day
// is the first of the two. A MonthDay of 31 skips months that have no 31st.
type Window struct {
	ID string
	// One-off.
	Start, End time.Time
	// Recurring.
	Recurrence Recurrence
	TimeZone   string // IANA name; "" means UTC
	Weekdays   []time.Weekday
	MonthDay   int
	StartTime  string // "15:04"
	Duration   time.Duration
	// Until, when set, ends the recurrence: no occurrence starts at or
	// after it.
	Until time.Time
}

// Validate checks a window; errors name the field.
func (w Window) Validate() error {
	if w.Recurrence == RecurNone {
		switch {
		case w.Start.IsZero():
			return opsward.FieldErrorf("start", "a one-off window needs a start")
		case !w.End.After(w.Start):
			return opsward.FieldErrorf("end", "the end must be after the start")
		}
		return nil
	}
	switch w.Recurrence {
	case RecurDaily, RecurWeekly, RecurMonthly:
	default:
		return opsward.FieldErrorf("recurrence", "recurrence must be daily, weekly or monthly")
	}
	if _, err := time.LoadLocation(w.TimeZone); err != nil {
		return opsward.FieldErrorf("timeZone", "unknown time zone %q", w.TimeZone)
	}
	if _, err := time.Parse("15:04", w.StartTime); err != nil {
		return opsward.FieldErrorf("startTime", "start time must be HH:MM")
	}
	if w.Duration <= 0 || w.Duration > maxWindow {
		return opsward.FieldErrorf("duration", "duration must be positive and at most 7 days")
	}
	if w.Recurrence == RecurWeekly {
		if len(w.Weekdays) == 0 {
			return opsward.FieldErrorf("weekdays", "a weekly window needs at least one weekday")
		}
		for _, d := range w.Weekdays {
			if d < time.Sunday || d > time.Saturday {
				return opsward.FieldErrorf("weekdays", "unknown weekday %d", d)
			}
		}
	}
	if w.Recurrence == RecurMonthly && (w.MonthDay < 1 || w.MonthDay > 31) {
		return opsward.FieldErrorf("monthDay", "day of month must be between 1 and 31")
	}
	return nil
}

func (w Window) loc() *time.Location {
	l, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return time.UTC
	}
	return l
}

// occurrence returns the occurrence starting on the local date (y, m, d),
// if the window has one there.
func (w Window) occurrence(loc *time.Location, y int, m time.Month, d int) (time.Time, bool) {
	day := time.Date(y, m, d, 12, 0, 0, 0, loc)
	if day.Day() != d { // 31st of a short month, normalised away
		return time.Time{}, false
	}
	switch w.Recurrence {
	case RecurWeekly:
		ok := false
		for _, wd := range w.Weekdays {
			ok = ok || wd == day.Weekday()
		}
		if !ok {
			return time.Time{}, false
		}
	case RecurMonthly:
		if d != w.MonthDay {
			return time.Time{}, false
		}
	}
	hm, _ := time.Parse("15:04", w.StartTime)
	start := time.Date(y, m, d, hm.Hour(), hm.Minute(), 0, 0, loc)
	if start.Hour() != hm.Hour() || start.Minute() != hm.Minute() {
		// The wall time falls in a spring-forward gap, where time.Date's
		// choice differs between zones. Read it with the offset in force
		// before the gap, which lands as far after the gap as the time was
		// into it: 02:30 becomes 03:30 in Paris and in New York alike.
		naive := time.Date(y, m, d, hm.Hour(), hm.Minute(), 0, 0, time.UTC)
		_, before := naive.Add(-24 * time.Hour).In(loc).Zone()
		start = naive.Add(-time.Duration(before) * time.Second).In(loc)
	}
	if !w.Until.IsZero() && !start.Before(w.Until) {
		return time.Time{}, false
	}
	return start, true
}

// Active reports whether at falls inside the window (start inclusive, end
// exclusive).
func (w Window) Active(at time.Time) bool {
	if w.Recurrence == RecurNone {
		return !at.Before(w.Start) && at.Before(w.End)
	}
	loc := w.loc()
	local := at.In(loc)
	back := int(w.Duration/(24*time.Hour)) + 1
	for i := -back; i <= 0; i++ {
		y, m, d := local.AddDate(0, 0, i).Date()
		if s, ok := w.occurrence(loc, y, m, d); ok && !at.Before(s) && at.Before(s.Add(w.Duration)) {
			return true
		}
	}
	return false
}

// Next returns the first occurrence that starts strictly after after, and
// false when there is none (a past one-off, or past Until).
func (w Window) Next(after time.Time) (start, end time.Time, ok bool) {
	if w.Recurrence == RecurNone {
		if w.Start.After(after) {
			return w.Start, w.End, true
		}
		return time.Time{}, time.Time{}, false
	}
	loc := w.loc()
	local := after.In(loc)
	// A monthly window on the 31st recurs at least every two months; a
	// bit over a year covers every rule.
	for i := 0; i <= 400; i++ {
		y, m, d := local.AddDate(0, 0, i).Date()
		s, ok := w.occurrence(loc, y, m, d)
		if ok && s.After(after) {
			return s, s.Add(w.Duration), true
		}
		if !w.Until.IsZero() && time.Date(y, m, d, 0, 0, 0, 0, loc).After(w.Until) {
			break
		}
	}
	return time.Time{}, time.Time{}, false
}

// InMaintenance reports whether at is inside any of the windows: the mark
// a result taken at that time carries, and whether alerting is held back.
func InMaintenance(windows []Window, at time.Time) bool {
	for _, w := range windows {
		if w.Active(at) {
			return true
		}
	}
	return false
}
