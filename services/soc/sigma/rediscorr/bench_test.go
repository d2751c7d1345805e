package rediscorr_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/soc/sigma"
	"github.com/opsward/opsward/services/soc/sigma/rediscorr"
)

// BenchmarkObserve feeds events that match one detection rule to the
// specification's event_count (gte 100 per host in 1h) and value_count
// (100 distinct users per host and workstation in 1d) examples, through the
// Redis correlator: one script call per event, over 50 hosts.
func BenchmarkObserve(b *testing.B) {
	rdb, prefix := testenv.Redis(b)
	for _, file := range []string{"event_count.yml", "value_count.yml"} {
		b.Run(file, func(b *testing.B) {
			rules, err := sigma.ParseFile(specDirB(b) + "/" + file)
			if err != nil {
				b.Fatal(err)
			}
			ref := rules[0].Correlation.Rules[0]
			c, err := rediscorr.NewCorrelator(rules, []*sigma.Rule{{ID: ref, Title: ref}}, rdb, rediscorr.Config{Prefix: prefix + file + ":"})
			if err != nil {
				b.Fatal(err)
			}
			ctx := tenantCtx("ten_bench")
			ms := []sigma.Match{{RuleID: ref}}
			evs := make([]sigma.Event, 50)
			for i := range evs {
				evs[i] = sigma.Event{"ComputerName": "h" + strconv.Itoa(i), "WorkstationName": "w", "User": "u" + strconv.Itoa(i%7)}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Observe(ctx, evs[i%len(evs)], t0.Add(time.Duration(i)*time.Millisecond), ms); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
