package noc

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// Response times are kept as a fixed log-scale histogram so that hourly
// and daily rollups merge by adding counts, with no raw samples. The
// layout is the one storage rolls up (services/noc/results), so stored
// bins map one to one: bin i holds [2^(i/4), 2^((i+1)/4)) microseconds,
// bin 0 also everything up to 1 µs and the last bin everything from 2^27.75
// µs (about 3.9 minutes, beyond any check's timeout) up. Four bins per
// doubling, read at their geometric middle, bound the error of a
// percentile to about 9%, finer than network jitter. The edges never
// change, since stored rollups depend on them.
const (
	HistogramBins   = 28 * binsPerDoubling
	binsPerDoubling = 4
)

// Histogram counts response times in the fixed bins above.
type Histogram struct {
	Bins [HistogramBins]int64
}

// HistogramFromBins reads stored bins (trailing empty bins may be left
// off); bins past the last fold into it.
func HistogramFromBins(bins []int64) Histogram {
	var h Histogram
	for i, n := range bins {
		h.Bins[min(i, HistogramBins-1)] += n
	}
	return h
}

func binOf(d time.Duration) int {
	us := d.Microseconds()
	if us <= 1 {
		return 0
	}
	i := int(math.Floor(binsPerDoubling * math.Log2(float64(us))))
	return min(max(i, 0), HistogramBins-1)
}

// binMid is the value bin i stands for: the geometric middle of its edges.
func binMid(i int) time.Duration {
	return time.Duration(math.Round(math.Exp2((float64(i)+0.5)/binsPerDoubling))) * time.Microsecond
}

// Add counts one response time.
func (h *Histogram) Add(d time.Duration) { h.Bins[binOf(d)]++ }

// Merge adds another histogram's counts.
func (h *Histogram) Merge(o Histogram) {
	for i, n := range o.Bins {
		h.Bins[i] += n
	}
}

// Count is the number of samples.
func (h Histogram) Count() int64 {
	var n int64
	for _, c := range h.Bins {
		n += c
	}
	return n
}

// Quantile returns the q-quantile (0 < q ≤ 1) as the geometric middle of
// the bin that holds it; 0 with no samples.
func (h Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := min(max(int64(math.Ceil(q*float64(n))), 1), n)
	var seen int64
	for i, c := range h.Bins {
		seen += c
		if seen >= rank {
			return binMid(i)
		}
	}
	return binMid(HistogramBins - 1)
}

// StateCounts is a number of results by state.
type StateCounts struct {
	Up, Degraded, Down, Maintenance, Unknown int64
}

// StateDurations is time spent in each state.
type StateDurations struct {
	Up, Degraded, Down, Maintenance, Unknown time.Duration
}

// Bucket is one rollup (hourly or daily) as storage provides it.
type Bucket struct {
	Start     time.Time
	Counts    StateCounts
	Durations StateDurations
	Latency   Histogram
}

// UptimeReport sums the buckets of a range.
type UptimeReport struct {
	From, To  time.Time
	Counts    StateCounts
	Durations StateDurations
	Latency   Histogram
}

// Summarize adds up the buckets that start in [from, to). Ranges are
// meant to be aligned to the rollup width; a bucket is taken whole or not
// at all.
func Summarize(buckets []Bucket, from, to time.Time) UptimeReport {
	r := UptimeReport{From: from, To: to}
	for _, b := range buckets {
		if b.Start.Before(from) || !b.Start.Before(to) {
			continue
		}
		c, d := b.Counts, b.Durations
		r.Counts.Up += c.Up
		r.Counts.Degraded += c.Degraded
		r.Counts.Down += c.Down
		r.Counts.Maintenance += c.Maintenance
		r.Counts.Unknown += c.Unknown
		r.Durations.Up += d.Up
		r.Durations.Degraded += d.Degraded
		r.Durations.Down += d.Down
		r.Durations.Maintenance += d.Maintenance
		r.Durations.Unknown += d.Unknown
		r.Latency.Merge(b.Latency)
	}
	return r
}

// Uptime is the percentage of judged time the service was available, and
// false when nothing was judged.
//
// Degraded counts as available: the service answered, slowly or with a
// warning, and SLAs are about availability. Maintenance is left out of
// numerator and denominator: it was agreed. Unknown is left out too: it is
// time we could not judge (a probe fault, a heartbeat not yet due), and
// counting it as down would bill the customer for our gap while counting
// it as up would hide it; the report keeps it so coverage can be shown.
// Durations are used; a report with no durations (count-only rollups)
// falls back to counts of results.
func (r UptimeReport) Uptime() (float64, bool) {
	d := r.Durations
	good, total := float64(d.Up+d.Degraded), float64(d.Up+d.Degraded+d.Down)
	if total == 0 {
		c := r.Counts
		good, total = float64(c.Up+c.Degraded), float64(c.Up+c.Degraded+c.Down)
	}
	if total == 0 {
		return 0, false
	}
	return 100 * good / total, true
}

// SLA is an availability target in percent (99.9).
type SLA struct {
	Target float64
}

// Validate checks the target.
func (s SLA) Validate() error {
	if !(s.Target > 0 && s.Target <= 100) {
		return opsward.FieldErrorf("slaTarget", "the SLA target must be a percentage above 0 and at most 100")
	}
	return nil
}

// SLAResult compares a report with a target.
type SLAResult struct {
	Target, Uptime  float64
	HasData         bool
	Breached        bool
	AllowedDowntime time.Duration // over the judged time of the range, to the millisecond
	Downtime        time.Duration
}

// Evaluate compares a report with the SLA. With no data it is not a
// breach: nothing shows the service was down.
func (s SLA) Evaluate(r UptimeReport) SLAResult {
	u, ok := r.Uptime()
	judged := r.Durations.Up + r.Durations.Degraded + r.Durations.Down
	res := SLAResult{Target: s.Target, Uptime: u, HasData: ok, Downtime: r.Durations.Down,
		AllowedDowntime: time.Duration(math.Round(float64(judged) * (100 - s.Target) / 100)).Round(time.Millisecond)}
	// Compared at a millionth of a percent so that 99.9 computed from
	// durations is not a breach of 99.9 by rounding.
	res.Breached = ok && u < s.Target-1e-6
	return res
}

// SLARiskShare is the share of an SLA's error budget past which a monitor
// is at risk: its downtime so far is more than 80% of what the target
// allows over the time judged so far. Put as uptime, a monitor is at risk
// when its uptime is below target + 0.2 × (100 − target): below 99.92%
// for a 99.9% target, below 99.2% for 99%. A breach is at risk too.
const SLARiskShare = 0.8

// AtRisk reports whether a report puts the SLA at risk: breached, or with
// more than SLARiskShare of its error budget spent. With no data it is
// not at risk, as it is no breach. Uptime is the SLA report's own
// (Uptime), compared at the same millionth of a percent as Evaluate.
func (s SLA) AtRisk(r UptimeReport) bool {
	u, ok := r.Uptime()
	return ok && u < s.RiskThreshold()-1e-6
}

// RiskThreshold is the uptime below which the SLA is at risk.
func (s SLA) RiskThreshold() float64 {
	return s.Target + (1-SLARiskShare)*(100-s.Target)
}

// SLAPeriodStart is the start of the SLA period holding t: SLAs are judged
// per calendar month in UTC.
func SLAPeriodStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// UptimeRow is one line of an uptime report.
type UptimeRow struct {
	MonitorID string
	Name      string
	Report    UptimeReport
	SLA       SLA
}

var uptimeHeader = []string{
	"monitor_id", "name", "from", "to", "uptime_percent", "sla_target_percent", "sla_breached",
	"up_seconds", "degraded_seconds", "down_seconds", "maintenance_seconds", "unknown_seconds",
	"checks", "p50_ms", "p95_ms", "p99_ms",
}

// WriteUptimeCSV writes an uptime report, one monitor per row. Times are
// RFC 3339 in UTC; percentages have three decimals; an empty uptime means
// no data; an empty SLA target means none was set.
func WriteUptimeCSV(w io.Writer, rows []UptimeRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(uptimeHeader); err != nil {
		return err
	}
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	ms := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
	}
	for _, row := range rows {
		r := row.Report
		up, breached, target := "", "", ""
		if u, ok := r.Uptime(); ok {
			up = strconv.FormatFloat(u, 'f', 3, 64)
		}
		if row.SLA.Target > 0 {
			target = strconv.FormatFloat(row.SLA.Target, 'f', -1, 64)
			breached = strconv.FormatBool(row.SLA.Evaluate(r).Breached)
		}
		c := r.Counts
		checks := c.Up + c.Degraded + c.Down + c.Maintenance + c.Unknown
		p50, p95, p99 := "", "", ""
		if r.Latency.Count() > 0 {
			p50, p95, p99 = ms(r.Latency.Quantile(0.5)), ms(r.Latency.Quantile(0.95)), ms(r.Latency.Quantile(0.99))
		}
		d := r.Durations
		if err := cw.Write([]string{
			row.MonitorID, cellText(row.Name), r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339),
			up, target, breached,
			secs(d.Up), secs(d.Degraded), secs(d.Down), secs(d.Maintenance), secs(d.Unknown),
			strconv.FormatInt(checks, 10), p50, p95, p99,
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cellText keeps a user-chosen name from being read as a formula when the
// report is opened in a spreadsheet.
func cellText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
