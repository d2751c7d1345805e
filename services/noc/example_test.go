package noc_test

import (
	"fmt"
	"time"

	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
)

// A monitor that needs three failures before it is down: the third opens
// one incident, and the first success after it closes it.
func ExampleMonitorConfig_Step() {
	cfg := noc.MonitorConfig{FailuresBeforeDown: 3, Flap: noc.FlapConfig{Disabled: true}}
	var s noc.MonitorState
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, st := range []probe.Status{probe.StatusUp, probe.StatusDown, probe.StatusDown, probe.StatusDown, probe.StatusUp} {
		var tr noc.Transition
		s, tr = cfg.Step(s, probe.Result{Status: st}, at)
		if tr.OpenIncident || tr.CloseIncident {
			fmt.Printf("%s → %s open=%v close=%v\n", tr.From, tr.To, tr.OpenIncident, tr.CloseIncident)
		}
		at = at.Add(time.Minute)
	}
	// Output:
	// up → down open=true close=false
	// down → up open=false close=true
}

// A weekly window in the tenant's zone: Sundays 01:00–04:00 New York time,
// whatever the offset from UTC that day.
func ExampleWindow_Next() {
	w := noc.Window{Recurrence: noc.RecurWeekly, TimeZone: "America/New_York",
		Weekdays: []time.Weekday{time.Sunday}, StartTime: "01:00", Duration: 3 * time.Hour}
	after := time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC)
	for range 2 {
		start, _, _ := w.Next(after)
		fmt.Println(start.UTC().Format(time.RFC3339))
		after = start
	}
	// Output:
	// 2026-11-01T05:00:00Z
	// 2026-11-08T06:00:00Z
}
