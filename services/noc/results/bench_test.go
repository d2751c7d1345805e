package results_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
)

// BenchmarkWrite compares, on the real Postgres, writing results through
// the Writer (COPY in batches of 1000) with one INSERT a row through the
// same pool and the same privileged path. Results go to 1,000 monitors,
// into today's partition.
func BenchmarkWrite(b *testing.B) {
	u := testenv.PostgresDB(b)
	e := newEnv(b, "postgres", platform.Config{DatabaseURL: u, MigrateDatabaseURL: u}.WithDefaults())
	day := time.Now().UTC().Truncate(24 * time.Hour)
	if _, err := e.store.EnsurePartitions(system(), day, 2); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	next := func() results.Result {
		i := seq.Add(1)
		return results.Result{TenantID: e.tenantA, MonitorID: fmt.Sprintf("mon_%03d", i%1000),
			CheckedAt: day.Add(time.Duration(i) * time.Microsecond), Status: probe.StatusUp,
			Latency: time.Duration(i%500) * time.Millisecond, Reason: "", Message: "200 OK",
			Metrics: map[string]float64{"status_code": 200}}
	}

	b.Run("copy-batched-1000", func(b *testing.B) {
		w, err := e.store.NewWriter(results.WriterConfig{BatchSize: 1000, FlushInterval: 100 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ResetTimer()
		for range b.N {
			if err := w.Write(ctx, next()); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "results/s")
	})

	b.Run("insert-per-row", func(b *testing.B) {
		ctx := system()
		b.ResetTimer()
		for range b.N {
			r := next()
			if _, err := e.app.ExecContext(ctx, `INSERT INTO check_results (tenant_id, monitor_id,
				checked_at, status, latency_us, reason, message, metrics, in_maintenance)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.TenantID, r.MonitorID, r.CheckedAt,
				string(r.Status), r.Latency.Microseconds(), r.Reason, r.Message, `{"status_code":200}`, false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "results/s")
	})
}
