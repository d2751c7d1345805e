package billing

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
)

// Meter names a kind of measured work. Meters are code: each is recorded
// where its work happens; which of them cost money, and how, is the price
// book's (data).
type Meter string

// The meters.
const (
	MeterCheckRuns         Meter = "check_runs"         // one event per check result batch, quantity = results
	MeterActiveMonitors    Meter = "active_monitors"    // a gauge: monitors enabled
	MeterAssets            Meter = "assets"             // a gauge: assets
	MeterSecurityEvents    Meter = "security_events"    // one event per ingest batch, quantity = events
	MeterSecurityBytes     Meter = "security_bytes"     // one event per ingest batch, quantity = bytes
	MeterStoredEventBytes  Meter = "stored_event_bytes" // a gauge: bytes of events kept
	MeterComplianceReports Meter = "compliance_reports" // one event per report generated
	MeterSeats             Meter = "seats"              // one event per active user per day, value = user id
)

var meters = []struct {
	m     Meter
	title string
	agg   Aggregation // the aggregation a price usually picks
}{
	{MeterCheckRuns, "Check runs", AggSum},
	{MeterActiveMonitors, "Active monitors", AggMax},
	{MeterAssets, "Assets", AggLatest},
	{MeterSecurityEvents, "Security events ingested", AggSum},
	{MeterSecurityBytes, "Security event bytes ingested", AggSum},
	{MeterStoredEventBytes, "Stored event volume (bytes)", AggMax},
	{MeterComplianceReports, "Compliance reports generated", AggCount},
	{MeterSeats, "Seats", AggUniqueCount},
}

// Meters lists every meter.
func Meters() []Meter {
	out := make([]Meter, len(meters))
	for i, m := range meters {
		out[i] = m.m
	}
	return out
}

// Known reports whether m is a meter.
func (m Meter) Known() bool {
	for _, x := range meters {
		if x.m == m {
			return true
		}
	}
	return false
}

// DefaultAggregation is the aggregation usually used with m.
func (m Meter) DefaultAggregation() Aggregation {
	for _, x := range meters {
		if x.m == m {
			return x.agg
		}
	}
	return AggSum
}

// Title is the meter's name for people ("Check runs").
func (m Meter) Title() string { return meterTitle(m) }

func meterTitle(m Meter) string {
	for _, x := range meters {
		if x.m == m {
			return x.title
		}
	}
	return string(m)
}

func meterNames() string {
	s := make([]string, len(meters))
	for i, m := range meters {
		s[i] = string(m.m)
	}
	return strings.Join(s, ", ")
}

// MaxKeyLen is the longest idempotency key, in characters.
const MaxKeyLen = 255

// Validate checks an event before it is recorded; the error names the
// field (prefix, such as "events[3]", is put before it).
func (e UsageEvent) Validate(prefix string) error {
	f := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	switch {
	case !opsward.ValidID(e.TenantID, opsward.PrefixTenant):
		return opsward.FieldErrorf(f("tenantId"), "%q is not a tenant id", e.TenantID)
	case !e.Meter.Known():
		return opsward.FieldErrorf(f("meter"), "there is no meter %q: choose one of %s", e.Meter, meterNames())
	case e.Key == "":
		return opsward.FieldErrorf(f("idempotencyKey"), "an idempotency key is required")
	case utf8.RuneCountInString(e.Key) > MaxKeyLen || !utf8.ValidString(e.Key):
		return opsward.FieldErrorf(f("idempotencyKey"), "an idempotency key is valid UTF-8 of at most %d characters, got %d", MaxKeyLen, utf8.RuneCountInString(e.Key))
	case e.Quantity < 0:
		return opsward.FieldErrorf(f("quantity"), "a quantity cannot be negative, got %d", e.Quantity)
	case e.Quantity > maxQuantity:
		return opsward.FieldErrorf(f("quantity"), "a quantity is at most %d, got %d", maxQuantity, e.Quantity)
	case len(e.Value) > MaxKeyLen:
		return opsward.FieldErrorf(f("value"), "a value is at most %d bytes", MaxKeyLen)
	case e.At.IsZero():
		return opsward.FieldErrorf(f("at"), "the time of the work is required")
	case e.At.Year() < 2000 || e.At.After(time.Now().Add(24*time.Hour)):
		return opsward.FieldErrorf(f("at"), "time %s is not plausible", e.At.Format(time.RFC3339))
	}
	return nil
}

func (e UsageEvent) String() string {
	return fmt.Sprintf("%s/%s/%s=%d", e.TenantID, e.Meter, e.Key, e.Quantity)
}
