package results_test

import (
	"testing"
	"time"

	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
)

// StateCounts answers for many monitors of many tenants what Uptime
// answers for each, rollups or not, and counts nothing of a tenant out of
// the actor's reach.
func TestStateCounts(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var rs []results.Result
		for i, m := range []struct{ tenant, monitor string }{{e.tenantA, "mon_a1"}, {e.tenantA, "mon_a2"}, {e.tenantB, "mon_b1"}} {
			rs = append(rs, every(m.tenant, m.monitor, base, base.Add(50*time.Hour), time.Minute, func(k int, r *results.Result) {
				switch {
				case k%(7+i) == 0:
					r.Status = probe.StatusDown
				case k%5 == 0:
					r.Status = probe.StatusDegraded
				case k%11 == 0:
					r.Status = probe.StatusUnknown
				}
				r.InMaintenance = k%13 == 0
			})...)
		}
		write(t, e, rs)
		from, to := base.Add(90*time.Minute+30*time.Second), base.Add(50*time.Hour)
		check := func(stage string) {
			t.Helper()
			got, err := e.store.StateCounts(system(), []string{e.tenantA, e.tenantB}, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("%s: counts for %d monitors, want 3", stage, len(got))
			}
			for id, tenant := range map[string]string{"mon_a1": e.tenantA, "mon_a2": e.tenantA, "mon_b1": e.tenantB} {
				u, err := e.store.Uptime(as(tenant), id, from, to)
				if err != nil {
					t.Fatal(err)
				}
				g := got[id]
				if g.Up != u.Up || g.Degraded != u.Degraded || g.Down != u.Down || g.Unknown != u.Unknown || g.Maintenance != u.Maintenance || g.Up == 0 || g.Down == 0 {
					t.Errorf("%s, %s: counts %+v, Uptime %+v", stage, id, g, u.Summary)
				}
			}
			// Acting on tenant A, B's monitor is out of reach even when asked for.
			mine, err := e.store.StateCounts(as(e.tenantA), []string{e.tenantA, e.tenantB}, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := mine["mon_b1"]; ok || len(mine) != 2 {
				t.Errorf("%s: tenant A counted %v", stage, mine)
			}
		}
		check("raw")
		if err := e.store.Rollup(system(), base, base.Add(50*time.Hour)); err != nil {
			t.Fatal(err)
		}
		check("rolled up")
	})
}
