package results_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/tenants"
)

// Results go in through a Writer on the privileged path and come out within
// the acting tenant.
func Example() {
	dir, _ := os.MkdirTemp("", "results-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	cfg := platform.Config{DataDir: dir}.WithDefaults()
	db, err := platform.OpenDatabase(ctx, cfg, tenants.SessionSettings)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	m, _ := migrations.New(db.DB, db.Dialect)
	if _, err := m.Up(ctx); err != nil {
		panic(err)
	}

	store := results.New(db, nil)
	w, _ := store.NewWriter(results.WriterConfig{})
	at := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		status := probe.StatusUp
		if i%20 == 0 {
			status = probe.StatusDown
		}
		_ = w.Write(ctx, results.Result{TenantID: "ten_acme", MonitorID: "mon_web",
			CheckedAt: at.Add(time.Duration(i) * time.Minute), Status: status, Latency: 40 * time.Millisecond})
	}
	if err := w.Close(ctx); err != nil {
		panic(err)
	}

	acme := tenants.NewContext(ctx, &tenants.Actor{Kind: tenants.ActorUser, ID: "usr_1",
		TenantID: "ten_acme", TenantPath: "/ten_acme/"})
	page, next, _ := store.Results(acme, "mon_web", at, at.Add(time.Hour), 10, "")
	fmt.Println(len(page), page[0].CheckedAt.Format(time.TimeOnly), next != "")
	u, _ := store.Uptime(acme, "mon_web", at, at.Add(time.Hour))
	fmt.Printf("%.1f%% up, p95 %v\n", u.Percent, u.P95.Round(time.Millisecond))
	// Output:
	// 10 00:59:00 true
	// 95.0% up, p95 40ms
}
