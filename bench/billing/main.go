// Command billingbench measures billing on Postgres (a fresh database,
// migrated, the application acting under row-level security):
//
//	go run ./bench/billing -mode usage -events 400000 -writers 4 -batch 1000 -dup 0.25
//	go run ./bench/billing -mode close -customers 1000
//
// usage: idempotent usage events recorded per second through
// billing.UsageStore (each batch one multi-row INSERT … ON CONFLICT DO
// NOTHING); a share -dup of the events is sent again by another writer,
// and the figure counts distinct events stored per second of wall time.
// close: closing one billing period for N customers (each with a few
// hundred events over several meters) with billing.Service.CloseDue.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/tenants"
)

var (
	pgAdmin   = flag.String("pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "Postgres admin URL; a fresh database is made and dropped")
	mode      = flag.String("mode", "usage", "usage or close")
	nEvents   = flag.Int("events", 400000, "usage: distinct events")
	writers   = flag.Int("writers", 4, "usage: concurrent writers")
	batchSize = flag.Int("batch", 1000, "usage: events per Record call")
	dup       = flag.Float64("dup", 0.25, "usage: share of events sent a second time")
	tenantsN  = flag.Int("tenants", 200, "usage: tenants the events spread over")
	customers = flag.Int("customers", 1000, "close: customers whose period closes")
	perCust   = flag.Int("per-customer", 200, "close: usage events per customer")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()
	admin, err := sql.Open("pgx", *pgAdmin)
	if err != nil {
		log.Fatal(err)
	}
	defer admin.Close()
	name := "billingbench_" + strings.ToLower(opsward.NewID("x")[2:14])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		log.Fatal(err)
	}
	defer admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
	u := strings.Replace(*pgAdmin, "/postgres?", "/"+name+"?", 1)
	cfg := platform.Config{DatabaseURL: u, MigrateDatabaseURL: u}.WithDefaults()
	mdb, err := platform.OpenMigrationDatabase(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	mg, err := migrations.New(mdb.DB, mdb.Dialect)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := mg.Up(ctx); err != nil {
		log.Fatal(err)
	}
	mdb.Close()
	db, err := platform.OpenDatabase(ctx, cfg, tenants.SessionSettings)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	switch *mode {
	case "usage":
		benchUsage(ctx, db)
	case "close":
		benchClose(ctx, db)
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}

func benchUsage(ctx context.Context, db *platform.Database) {
	store := billing.NewUsageStore(db)
	pctx := tenants.Privileged(ctx, "bench: the batch writers")
	ts := make([]string, *tenantsN)
	for i := range ts {
		ts[i] = opsward.NewID(opsward.PrefixTenant)
	}
	meters := billing.Meters()
	at := time.Now().Add(-time.Hour)
	events := make([]billing.UsageEvent, *nEvents)
	for i := range events {
		events[i] = billing.UsageEvent{TenantID: ts[i%len(ts)], Meter: meters[i%len(meters)],
			Key: fmt.Sprintf("run-%d-%d", i/50, i), Quantity: int64(1 + i%20), At: at}
	}
	// Each writer takes its share, plus a share of another's again.
	work := make([][]billing.UsageEvent, *writers)
	rng := rand.New(rand.NewPCG(1, 2))
	for i, e := range events {
		w := i % *writers
		work[w] = append(work[w], e)
		if rng.Float64() < *dup {
			o := (w + 1) % *writers
			work[o] = append(work[o], e)
		}
	}
	sent := 0
	for _, w := range work {
		sent += len(w)
	}
	var recorded atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, w := range work {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(w) > 0 {
				k := min(len(w), *batchSize)
				n, err := store.Record(pctx, w[:k])
				if err != nil {
					log.Fatal(err)
				}
				recorded.Add(n)
				w = w[k:]
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var stored int64
	if err := db.QueryRowContext(pctx, "SELECT count(*) FROM usage_events").Scan(&stored); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("billing-usage: sent=%d distinct=%d recorded=%d stored=%d writers=%d batch=%d seconds=%.2f distinct_per_second=%.0f sent_per_second=%.0f\n",
		sent, len(events), recorded.Load(), stored, *writers, *batchSize, el.Seconds(),
		float64(len(events))/el.Seconds(), float64(sent)/el.Seconds())
	if stored != int64(len(events)) || recorded.Load() != stored {
		log.Fatalf("idempotency broken: %d distinct, %d recorded, %d stored", len(events), recorded.Load(), stored)
	}
}
