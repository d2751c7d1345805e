package billing_test

import (
	"fmt"
	"time"

	"github.com/opsward/opsward/billing"
)

// A write of check results tallies what it added per tenant; the tally
// becomes one usage event per tenant and meter, keyed by the minute, which
// every write of that minute adds to.
func ExampleTally() {
	var t billing.Tally
	for range 3 {
		t.Add("ten_01JF0000000000000000000001", billing.MeterCheckRuns, 1)
	}
	t.Add("ten_01JF0000000000000000000002", billing.MeterCheckRuns, 1)
	now := time.Date(2026, 12, 3, 14, 5, 30, 0, time.UTC)
	for _, e := range t.Events("checks", now) {
		fmt.Println(e.TenantID, e.Meter, e.Key, e.Quantity)
	}
	// Output:
	// ten_01JF0000000000000000000001 check_runs checks:202612031405 3
	// ten_01JF0000000000000000000002 check_runs checks:202612031405 1
}
