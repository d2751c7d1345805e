package results_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
)

// A monitor checked from its workers (stored without a location), from
// "local" and from two probe locations, with every status: the sums by
// location match a recomputation from the rows written, to the
// microsecond; the range is half-open and other monitors and tenants do
// not count.
func TestLocationStats(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		rng := rand.New(rand.NewPCG(7, 17))
		statuses := []probe.Status{probe.StatusUp, probe.StatusUp, probe.StatusUp, probe.StatusDegraded, probe.StatusDown, probe.StatusUnknown}
		locations := []string{"", "local", "plc_branch", "plc_dc"}
		from := base.Add(2 * time.Hour)
		var rs []results.Result
		for i, at := 0, from.Add(-time.Minute); at.Before(from.Add(3 * time.Hour)); i, at = i+1, at.Add(7*time.Second) {
			r := results.Result{TenantID: e.tenantA, MonitorID: "mon_l", CheckedAt: at, Location: locations[i%len(locations)],
				Status: statuses[rng.IntN(len(statuses))], Latency: time.Duration(rng.IntN(900_000)+1) * time.Microsecond}
			rs = append(rs, r)
		}
		// Other monitors and tenants at the same times.
		rs = append(rs, results.Result{TenantID: e.tenantA, MonitorID: "mon_other", CheckedAt: from, Location: "plc_dc", Status: probe.StatusDown},
			results.Result{TenantID: e.tenantB, MonitorID: "mon_l", CheckedAt: from, Location: "plc_dc", Status: probe.StatusDown})
		write(t, e, rs)
		to := from.Add(2 * time.Hour)

		want := map[string]*results.LocationStat{}
		for _, r := range rs {
			if r.TenantID != e.tenantA || r.MonitorID != "mon_l" || r.CheckedAt.Before(from) || !r.CheckedAt.Before(to) {
				continue
			}
			loc := r.Location
			if loc == "" {
				loc = "local"
			}
			w := want[loc]
			if w == nil {
				w = &results.LocationStat{Location: loc}
				want[loc] = w
			}
			w.Checks++
			switch r.Status {
			case probe.StatusUp:
				w.Up++
			case probe.StatusDegraded:
				w.Degraded++
			case probe.StatusDown:
				w.Down++
			default:
				w.Unknown++
			}
			if r.Status == probe.StatusUp || r.Status == probe.StatusDegraded {
				if w.Answered == 0 || r.Latency < w.MinLatency {
					w.MinLatency = r.Latency
				}
				w.MaxLatency = max(w.MaxLatency, r.Latency)
				w.Answered++
				w.SumLatency += r.Latency
			}
			if r.CheckedAt.After(w.Last) {
				w.Last = r.CheckedAt
			}
		}
		got, err := e.store.LocationStats(as(e.tenantA), "mon_l", from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || !slices.IsSortedFunc(got, func(a, b results.LocationStat) int { return strings.Compare(a.Location, b.Location) }) {
			t.Fatalf("locations %v, want local, plc_branch, plc_dc in order", got)
		}
		for _, g := range got {
			w := want[g.Location]
			if w == nil {
				t.Fatalf("location %q not written", g.Location)
			}
			if g.Checks != w.Checks || g.Up != w.Up || g.Degraded != w.Degraded || g.Down != w.Down || g.Unknown != w.Unknown ||
				g.Answered != w.Answered || g.SumLatency != w.SumLatency || g.MinLatency != w.MinLatency ||
				g.MaxLatency != w.MaxLatency || !g.Last.Equal(w.Last) {
				t.Errorf("location %s:\n got %+v\nwant %+v", g.Location, g, *w)
			}
			if avg := g.AvgLatency(); avg != (w.SumLatency/time.Microsecond/time.Duration(w.Answered))*time.Microsecond {
				t.Errorf("location %s: average %v", g.Location, avg)
			}
		}
		if want["local"].Checks < 2*want["plc_dc"].Checks-1 {
			t.Errorf("results without a location did not count as local's: %+v", want["local"])
		}
		// Another tenant sees none of them; a range with no results is empty.
		if other, err := e.store.LocationStats(as(e.tenantB), "mon_l", from, to); err != nil || len(other) != 1 || other[0].Checks != 1 {
			t.Errorf("the other tenant's monitor of the same id: %+v, %v", other, err)
		}
		if none, err := e.store.LocationStats(as(e.tenantA), "mon_l", to.Add(24*time.Hour), to.Add(25*time.Hour)); err != nil || len(none) != 0 {
			t.Errorf("an empty range: %+v, %v", none, err)
		}
		if _, err := e.store.LocationStats(system(), "mon_l", from, to); err == nil {
			t.Error("a read with no acting tenant succeeded")
		}
	})
}
