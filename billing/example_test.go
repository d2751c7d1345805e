package billing_test

import (
	"fmt"

	"github.com/opsward/opsward/billing"
)

// The catalogue with the numbers dispatch, the NOC and the SOC enforce.
func ExampleCatalogue() {
	for _, p := range billing.Catalogue() {
		fmt.Printf("%-12s %5d monitors, every %-5s at most, weight %2d, %2d at once, %3d days, %4d events/s, %3d GiB/day, %s %d.%02d/month\n",
			p.Name, p.MaxMonitors, p.MinInterval, p.Weight, p.MaxConcurrency, p.RetentionDays,
			p.EventsPerSecond, p.BytesPerDay>>30, billing.Currency, p.MonthlyPrice/100, p.MonthlyPrice%100)
	}
	// Output:
	// Essentials      50 monitors, every 5m0s  at most, weight  1,  2 at once,  30 days,   50 events/s,   1 GiB/day, EUR 49.00/month
	// Professional   500 monitors, every 1m0s  at most, weight  4,  8 at once,  90 days,  500 events/s,  10 GiB/day, EUR 299.00/month
	// Enterprise   10000 monitors, every 30s   at most, weight 16, 32 at once, 365 days, 5000 events/s, 100 GiB/day, EUR 1490.00/month
}
