package noc_test

import (
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no tzdata for %s: %v", name, err)
	}
	return l
}

func TestMaintenanceWindowValidate(t *testing.T) {
	t.Parallel()
	ok := noc.Window{Recurrence: noc.RecurDaily, TimeZone: "Europe/Paris", StartTime: "02:00", Duration: time.Hour}
	tests := []struct {
		name  string
		mut   func(*noc.Window)
		field string
	}{
		{"valid daily", func(w *noc.Window) {}, ""},
		{"one-off without start", func(w *noc.Window) { *w = noc.Window{End: t0} }, "start"},
		{"one-off end before start", func(w *noc.Window) { *w = noc.Window{Start: t0, End: t0} }, "end"},
		{"valid one-off", func(w *noc.Window) { *w = noc.Window{Start: t0, End: t0.Add(time.Hour)} }, ""},
		{"bad recurrence", func(w *noc.Window) { w.Recurrence = "yearly" }, "recurrence"},
		{"bad zone", func(w *noc.Window) { w.TimeZone = "Mars/Olympus" }, "timeZone"},
		{"bad start time", func(w *noc.Window) { w.StartTime = "25:00" }, "startTime"},
		{"zero duration", func(w *noc.Window) { w.Duration = 0 }, "duration"},
		{"too long", func(w *noc.Window) { w.Duration = 8 * 24 * time.Hour }, "duration"},
		{"weekly without days", func(w *noc.Window) { w.Recurrence = noc.RecurWeekly }, "weekdays"},
		{"weekly bad day", func(w *noc.Window) { w.Recurrence = noc.RecurWeekly; w.Weekdays = []time.Weekday{9} }, "weekdays"},
		{"monthly day 0", func(w *noc.Window) { w.Recurrence = noc.RecurMonthly }, "monthDay"},
	}
	for _, tt := range tests {
		w := ok
		tt.mut(&w)
		err := w.Validate()
		if got := opsward.ErrorField(err); got != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("%s: err %v, want field %q", tt.name, err, tt.field)
		}
	}
}

// TestMaintenanceWindowsAcrossDST is the "maintenance windows" behaviour:
// recurring windows follow the tenant's wall clock through DST changes.
func TestMaintenanceWindowsAcrossDST(t *testing.T) {
	t.Parallel()
	paris := mustLoc(t, "Europe/Paris")
	ny := mustLoc(t, "America/New_York")
	parisDaily := noc.Window{Recurrence: noc.RecurDaily, TimeZone: "Europe/Paris", StartTime: "01:00", Duration: 2 * time.Hour}
	nyWeekly := noc.Window{Recurrence: noc.RecurWeekly, TimeZone: "America/New_York", Weekdays: []time.Weekday{time.Sunday}, StartTime: "01:00", Duration: 3 * time.Hour}
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		w    noc.Window
		at   time.Time
		want bool
	}{
		// Paris springs forward on 2026-03-29: 01:00 local is 00:00Z the
		// day before, 23:00Z the day after.
		{"paris winter start", parisDaily, utc("2026-03-28T00:00:00Z"), true},
		{"paris winter before", parisDaily, utc("2026-03-27T23:59:00Z"), false},
		{"paris change day 01:30 CET", parisDaily, utc("2026-03-29T00:30:00Z"), true},
		// 2 elapsed hours from 01:00 CET end at 04:00 CEST = 02:00Z.
		{"paris change day still in", parisDaily, utc("2026-03-29T01:59:00Z"), true},
		{"paris change day ended", parisDaily, utc("2026-03-29T02:00:00Z"), false},
		{"paris summer start", parisDaily, utc("2026-03-29T23:00:00Z"), true},
		{"paris summer 00:00Z is 02:00 local", parisDaily, utc("2026-03-30T00:00:00Z"), true},
		{"paris summer ended", parisDaily, utc("2026-03-30T01:00:00Z"), false},
		{"paris in zone", parisDaily, time.Date(2026, 7, 14, 1, 30, 0, 0, paris), true},
		// New York falls back on Sunday 2026-11-01: 01:00 EDT is 05:00Z.
		{"ny sunday before change", nyWeekly, utc("2026-10-25T05:00:00Z"), true},
		{"ny change day start EDT", nyWeekly, utc("2026-11-01T05:00:00Z"), true},
		{"ny change day 3h elapsed", nyWeekly, utc("2026-11-01T07:59:00Z"), true},
		{"ny change day ended", nyWeekly, utc("2026-11-01T08:00:00Z"), false},
		{"ny sunday after EST", nyWeekly, utc("2026-11-08T06:00:00Z"), true},
		{"ny sunday after, 05:00Z is 00:00 EST", nyWeekly, utc("2026-11-08T05:00:00Z"), false},
		{"ny monday", nyWeekly, time.Date(2026, 11, 9, 1, 30, 0, 0, ny), false},
	}
	for _, tt := range tests {
		if err := tt.w.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := tt.w.Active(tt.at); got != tt.want {
			t.Errorf("%s: Active(%s) = %v, want %v", tt.name, tt.at.UTC().Format(time.RFC3339), got, tt.want)
		}
	}
}

func TestMaintenanceWindowNext(t *testing.T) {
	t.Parallel()
	ny := mustLoc(t, "America/New_York")
	paris := mustLoc(t, "Europe/Paris")
	tests := []struct {
		name   string
		w      noc.Window
		after  time.Time
		start  time.Time
		wantOK bool
	}{
		{"one-off ahead", noc.Window{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}, t0, t0.Add(time.Hour), true},
		{"one-off past", noc.Window{Start: t0, End: t0.Add(time.Hour)}, t0, time.Time{}, false},
		{"daily across spring forward in New York",
			noc.Window{Recurrence: noc.RecurDaily, TimeZone: "America/New_York", StartTime: "03:00", Duration: time.Hour},
			time.Date(2026, 3, 7, 4, 0, 0, 0, ny), time.Date(2026, 3, 8, 3, 0, 0, 0, ny), true},
		{"weekly next tuesday",
			noc.Window{Recurrence: noc.RecurWeekly, TimeZone: "Europe/Paris", Weekdays: []time.Weekday{time.Tuesday, time.Friday}, StartTime: "22:00", Duration: time.Hour},
			time.Date(2026, 10, 23, 23, 0, 0, 0, paris), time.Date(2026, 10, 27, 22, 0, 0, 0, paris), true},
		{"monthly 31st skips short months",
			noc.Window{Recurrence: noc.RecurMonthly, TimeZone: "UTC", MonthDay: 31, StartTime: "00:00", Duration: time.Hour},
			time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC), true},
		{"until stops it",
			noc.Window{Recurrence: noc.RecurDaily, StartTime: "00:00", Duration: time.Hour, Until: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
			time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), time.Time{}, false},
	}
	for _, tt := range tests {
		s, e, ok := tt.w.Next(tt.after)
		if ok != tt.wantOK || !s.Equal(tt.start) {
			t.Errorf("%s: Next = %s, %v; want %s, %v", tt.name, s, ok, tt.start, tt.wantOK)
		}
		if ok && !e.Equal(s.Add(tt.w.End.Sub(tt.w.Start)+tt.w.Duration)) {
			t.Errorf("%s: end %s", tt.name, e)
		}
	}
}

func TestInMaintenanceSuppressesAlertingNotChecking(t *testing.T) {
	t.Parallel()
	ws := []noc.Window{
		{Start: t0, End: t0.Add(time.Hour)},
		{Recurrence: noc.RecurDaily, StartTime: "03:00", Duration: time.Hour},
	}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{t0.Add(-time.Minute), false},
		{t0, true},
		{t0.Add(time.Hour), false},
		{time.Date(2026, 3, 5, 3, 30, 0, 0, time.UTC), true},
		{time.Date(2026, 3, 5, 4, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		if got := noc.InMaintenance(ws, tt.at); got != tt.want {
			t.Errorf("InMaintenance(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	if noc.InMaintenance(nil, t0) {
		t.Error("no windows, yet in maintenance")
	}
}

func TestMaintenanceWindowStartInSpringForwardGap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone  string
		after time.Time
		want  string // RFC 3339 in UTC
	}{
		// 02:30 does not exist on these days; both zones move it to 03:30.
		{"Europe/Paris", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), "2026-03-29T01:30:00Z"},
		{"America/New_York", time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC), "2026-03-08T07:30:00Z"},
		// The day after, 02:30 is 02:30 summer time again.
		{"Europe/Paris", time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC), "2026-03-30T00:30:00Z"},
		// 01:30 happens twice when New York falls back: the first counts.
		{"America/New_York", time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC), "2026-11-01T05:30:00Z"}, // 01:30 EDT
	}
	for _, tt := range tests {
		mustLoc(t, tt.zone)
		st := "02:30"
		if tt.zone == "America/New_York" && tt.after.Month() == time.October {
			st = "01:30"
		}
		w := noc.Window{Recurrence: noc.RecurDaily, TimeZone: tt.zone, StartTime: st, Duration: 30 * time.Minute}
		s, _, ok := w.Next(tt.after)
		if got := s.UTC().Format(time.RFC3339); !ok || got != tt.want {
			t.Errorf("%s %s after %s: %s, want %s", tt.zone, st, tt.after, got, tt.want)
		}
		if !w.Active(s) || w.Active(s.Add(-time.Second)) {
			t.Errorf("%s: Active disagrees with Next at %s", tt.zone, s)
		}
	}
}

func FuzzWindowNextIsActive(f *testing.F) {
	f.Add("Europe/Paris", "02:30", int64(90), uint8(0), int64(1774656000))
	f.Add("America/New_York", "01:00", int64(180), uint8(1), int64(1793491200))
	f.Add("UTC", "23:59", int64(1), uint8(2), int64(0))
	f.Fuzz(func(t *testing.T, zone, start string, minutes int64, kind uint8, after int64) {
		w := noc.Window{TimeZone: zone, StartTime: start, Duration: time.Duration(minutes) * time.Minute,
			Weekdays: []time.Weekday{time.Sunday, time.Wednesday}, MonthDay: 15}
		w.Recurrence = []noc.Recurrence{noc.RecurDaily, noc.RecurWeekly, noc.RecurMonthly}[int(kind)%3]
		if w.Validate() != nil {
			return
		}
		at := time.Unix(after%(1<<33), 0)
		s, e, ok := w.Next(at)
		if !ok {
			t.Fatalf("no next occurrence of %+v after %s", w, at)
		}
		if !s.After(at) || !e.After(s) || !w.Active(s) || !w.Active(e.Add(-time.Nanosecond)) {
			t.Fatalf("%+v: Next(%s) = %s..%s inconsistent with Active", w, at, s, e)
		}
	})
}
