package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// benchClose opens N accounts on the default book whose first period
// ended two hours ago, records -per-customer events each over every
// meter, and times one CloseDue.
func benchClose(ctx context.Context, db *platform.Database) {
	led, err := billing.NewLedger(db, billing.LedgerConfig{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	pctx := tenants.Privileged(ctx, "bench: setup")
	provider := opsward.NewID(opsward.PrefixTenant)
	if _, err := led.EnsureDefaultBook(ctx, provider); err != nil {
		log.Fatal(err)
	}
	book, err := led.PriceBook(pctx, provider)
	if err != nil {
		log.Fatal(err)
	}
	now := time.Now().UTC()
	start := now.AddDate(0, -1, 0).Add(-2 * time.Hour)
	meters := billing.Meters()
	var batch []billing.UsageEvent
	for i := range *customers {
		tn := opsward.NewID(opsward.PrefixTenant)
		if err := led.OpenAccount(ctx, tn, provider, book[i%len(book)].ID, start, billing.Terms{TaxBP: 2000, DiscountBP: int64(i%3) * 500}); err != nil {
			log.Fatal(err)
		}
		for j := range *perCust {
			batch = append(batch, billing.UsageEvent{TenantID: tn, Meter: meters[j%len(meters)], Key: fmt.Sprintf("e%d", j),
				Quantity: int64(1 + j%1000), Value: fmt.Sprintf("u%d", j%7), At: start.Add(time.Duration(j) * time.Minute)})
		}
		if len(batch) >= 5000 || i == *customers-1 {
			if _, err := led.Usage().Record(pctx, batch); err != nil {
				log.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	t0 := time.Now()
	n, err := led.CloseDue(ctx, now)
	if err != nil {
		log.Fatal(err)
	}
	el := time.Since(t0)
	var lines int
	if err := db.QueryRowContext(pctx, "SELECT count(*) FROM invoices").Scan(&lines); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("billing-close: customers=%d events_per_customer=%d invoices=%d stored=%d seconds=%.2f\n",
		*customers, *perCust, n, lines, el.Seconds())
	if n != *customers {
		log.Fatalf("closed %d of %d", n, *customers)
	}
}
