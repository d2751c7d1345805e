package results_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
)

// BenchmarkWriteMetering measures, on the real Postgres, what metering
// adds to a write of results: batches as the pipeline makes them (a few
// dozen results of ten tenants, group-committed; and full batches of
// 1000), written through the Writer with check_runs metered
// (Store.Meter, as cmd/opsward wires it) and unmetered, in alternating
// rounds of 20 batches:
//
//	go test ./services/noc/results -run '^$' -bench WriteMetering -count 6
func BenchmarkWriteMetering(b *testing.B) {
	u := testenv.PostgresDB(b)
	d := testenv.MigratedConfig(b, "postgres", platform.Config{DatabaseURL: u, MigrateDatabaseURL: u}.WithDefaults())
	tens := make([]string, 10)
	for i := range tens {
		tens[i] = opsward.NewID(opsward.PrefixTenant)
	}
	d.AddTenants(b, tens...)
	store := results.New(d.App, nil)
	usage := billing.NewUsageStore(d.App)
	day := time.Now().UTC().Truncate(24 * time.Hour)
	if _, err := store.EnsurePartitions(system(), day, 2); err != nil {
		b.Fatal(err)
	}
	seq := 0
	next := func() results.Result {
		seq++
		return results.Result{TenantID: tens[seq%len(tens)], MonitorID: fmt.Sprintf("mon_%03d", seq%1000),
			CheckedAt: day.Add(time.Duration(seq) * time.Microsecond), Status: probe.StatusUp,
			Latency: time.Duration(seq%500) * time.Millisecond, Message: "200 OK",
			Metrics: map[string]float64{"status_code": 200}}
	}
	for _, size := range []int{40, 1000} {
		b.Run(fmt.Sprintf("batch-%d", size), func(b *testing.B) {
			ctx := context.Background()
			w, err := store.NewWriter(results.WriterConfig{BatchSize: size, FlushInterval: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close(ctx)
			// Rounds of 20 batches each way, alternating which goes
			// first, so that both see the same machine.
			var spent [2]time.Duration
			var done [2]int
			var ratios []float64
			b.ResetTimer()
			for round := 0; done[0]+done[1] < b.N; round++ {
				var pair [2]time.Duration
				for k := range 2 {
					metered := (round+k)%2 == 1
					mode := 0
					if metered {
						mode = 1
						store.Meter(usage)
					} else {
						store.Meter(nil)
					}
					t0 := time.Now()
					for range 20 * size {
						if err := w.Write(ctx, next()); err != nil {
							b.Fatal(err)
						}
					}
					if err := w.Flush(ctx); err != nil {
						b.Fatal(err)
					}
					pair[mode] = time.Since(t0)
					spent[mode] += pair[mode]
					done[mode] += 20 * size
				}
				ratios = append(ratios, float64(pair[1])/float64(pair[0]))
			}
			off := float64(spent[0].Nanoseconds()) / float64(done[0])
			on := float64(spent[1].Nanoseconds()) / float64(done[1])
			b.ReportMetric(off, "ns/result-unmetered")
			b.ReportMetric(on, "ns/result-metered")
			b.ReportMetric(100*(on/off-1), "%added")
			// The figure to quote: the median of the rounds' own ratios, as
			// the two halves of a round ran next to each other; a shared
			// machine's slow swings of load cancel in it.
			slices.Sort(ratios)
			b.ReportMetric(100*(ratios[len(ratios)/2]-1), "%added-median-round")
		})
	}
}
