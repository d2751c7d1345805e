package noc_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestHistogram(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		samples []time.Duration
		q       float64
		lo, hi  time.Duration // the answer is within about 9%
	}{
		{"empty", nil, 0.5, 0, 0},
		{"one sample", []time.Duration{100 * time.Millisecond}, 0.5, 91 * time.Millisecond, 109 * time.Millisecond},
		{"sub-microsecond", []time.Duration{time.Nanosecond}, 0.99, time.Microsecond, 2 * time.Microsecond},
		{"p50 of 1..100ms", ms(1, 100), 0.5, 46 * time.Millisecond, 55 * time.Millisecond},
		{"p99 of 1..100ms", ms(1, 100), 0.99, 90 * time.Millisecond, 108 * time.Millisecond},
		{"overflow reads the last bin", []time.Duration{time.Hour}, 0.5, 200 * time.Second, 260 * time.Second},
	}
	for _, tt := range tests {
		var h noc.Histogram
		for _, s := range tt.samples {
			h.Add(s)
		}
		if got := h.Quantile(tt.q); got < tt.lo || got > tt.hi {
			t.Errorf("%s: Quantile(%v) = %s, want in [%s, %s]", tt.name, tt.q, got, tt.lo, tt.hi)
		}
	}
}

func TestHistogramMergeEqualsWhole(t *testing.T) {
	t.Parallel()
	var a, b, whole noc.Histogram
	for i, d := range ms(1, 500) {
		whole.Add(d)
		if i%3 == 0 {
			a.Add(d)
		} else {
			b.Add(d)
		}
	}
	a.Merge(b)
	if a != whole || a.Count() != 500 || noc.HistogramFromBins(whole.Bins[:]) != whole {
		t.Fatalf("merged histogram differs from the whole")
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		if a.Quantile(q) != whole.Quantile(q) {
			t.Errorf("q%v differs", q)
		}
	}
}

func TestHistogramFromStoredBins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bins []int64
		n    int64
		last int64
	}{
		{"empty", nil, 0, 0},
		{"trailing bins left off", []int64{0, 2, 3}, 5, 0},
		{"extra bins fold into the last", append(make([]int64, noc.HistogramBins), 4, 5), 9, 9},
	}
	for _, tt := range tests {
		h := noc.HistogramFromBins(tt.bins)
		if h.Count() != tt.n || h.Bins[noc.HistogramBins-1] != tt.last {
			t.Errorf("%s: count %d last %d", tt.name, h.Count(), h.Bins[noc.HistogramBins-1])
		}
	}
}

func ms(from, to int) []time.Duration {
	var out []time.Duration
	for i := from; i <= to; i++ {
		out = append(out, time.Duration(i)*time.Millisecond)
	}
	return out
}

func hourBucket(h int, up, deg, down, maint, unk time.Duration) noc.Bucket {
	return noc.Bucket{
		Start:     t0.Add(time.Duration(h) * time.Hour),
		Durations: noc.StateDurations{Up: up, Degraded: deg, Down: down, Maintenance: maint, Unknown: unk},
		Counts: noc.StateCounts{Up: int64(up / time.Minute), Degraded: int64(deg / time.Minute), Down: int64(down / time.Minute),
			Maintenance: int64(maint / time.Minute), Unknown: int64(unk / time.Minute)},
	}
}

func TestUptime(t *testing.T) {
	t.Parallel()
	m := time.Minute
	tests := []struct {
		name    string
		buckets []noc.Bucket
		want    float64
		ok      bool
	}{
		{"no data", nil, 0, false},
		{"all up", []noc.Bucket{hourBucket(0, 60*m, 0, 0, 0, 0)}, 100, true},
		{"down quarter", []noc.Bucket{hourBucket(0, 45*m, 0, 15*m, 0, 0)}, 75, true},
		{"degraded counts as up", []noc.Bucket{hourBucket(0, 30*m, 30*m, 0, 0, 0)}, 100, true},
		{"maintenance excluded", []noc.Bucket{hourBucket(0, 30*m, 0, 0, 30*m, 0), hourBucket(1, 30*m, 0, 30*m, 0, 0)}, 66.666, true},
		{"unknown excluded", []noc.Bucket{hourBucket(0, 30*m, 0, 10*m, 0, 20*m)}, 75, true},
		{"only maintenance is no data", []noc.Bucket{hourBucket(0, 0, 0, 0, 60*m, 0)}, 0, false},
		{"outside the range ignored", []noc.Bucket{hourBucket(0, 60*m, 0, 0, 0, 0), hourBucket(5, 0, 0, 60*m, 0, 0)}, 100, true},
		{"counts when no durations", []noc.Bucket{{Start: t0, Counts: noc.StateCounts{Up: 9, Down: 1}}}, 90, true},
	}
	for _, tt := range tests {
		r := noc.Summarize(tt.buckets, t0, t0.Add(2*time.Hour))
		got, ok := r.Uptime()
		if ok != tt.ok || got < tt.want-0.001 || got > tt.want+0.001 {
			t.Errorf("%s: uptime %.4f %v, want %.3f %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSLA(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	tests := []struct {
		name     string
		target   float64
		down     time.Duration
		breached bool
		allowed  time.Duration
	}{
		{"exactly at target", 99.9, 1440 * time.Millisecond * 60, false, 86400 * time.Millisecond},
		{"over budget", 99.9, 2 * time.Minute, true, 86400 * time.Millisecond},
		{"no downtime", 99.99, 0, false, 8640 * time.Millisecond},
	}
	for _, tt := range tests {
		s := noc.SLA{Target: tt.target}
		mustNil(t, s.Validate())
		r := noc.UptimeReport{Durations: noc.StateDurations{Up: day - tt.down, Down: tt.down}}
		res := s.Evaluate(r)
		if res.Breached != tt.breached || res.AllowedDowntime != tt.allowed || res.Downtime != tt.down {
			t.Errorf("%s: %+v", tt.name, res)
		}
	}
	if res := (noc.SLA{Target: 99}).Evaluate(noc.UptimeReport{}); res.Breached || res.HasData {
		t.Errorf("no data: %+v", res)
	}
	for _, bad := range []float64{0, -1, 100.1} {
		if opsward.ErrorField(noc.SLA{Target: bad}.Validate()) != "slaTarget" {
			t.Errorf("target %v accepted", bad)
		}
	}
}

func TestWriteUptimeCSVGolden(t *testing.T) {
	t.Parallel()
	m := time.Minute
	web := hourBucket(0, 50*m, 5*m, 5*m, 0, 0)
	for _, d := range ms(20, 120) {
		web.Latency.Add(d)
	}
	rows := []noc.UptimeRow{
		{MonitorID: "mon_web", Name: "shop, front page", SLA: noc.SLA{Target: 99.9},
			Report: noc.Summarize([]noc.Bucket{web, hourBucket(1, 30*m, 0, 0, 30*m, 0)}, t0, t0.Add(2*time.Hour))},
		{MonitorID: "mon_dns", Name: "=HYPERLINK(\"x\")", SLA: noc.SLA{Target: 90},
			Report: noc.Summarize([]noc.Bucket{hourBucket(0, 60*m, 0, 0, 0, 0)}, t0, t0.Add(2*time.Hour))},
		{MonitorID: "mon_new", Name: "not yet run", Report: noc.UptimeReport{From: t0, To: t0.Add(2 * time.Hour)}},
	}
	var buf bytes.Buffer
	mustNil(t, noc.WriteUptimeCSV(&buf, rows))
	golden := filepath.Join("testdata", "uptime_report.csv")
	if *update {
		mustNil(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	mustNil(t, err)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("CSV differs from %s (run with -update to accept):\n%s", golden, buf.String())
	}
}

func TestSLAAtRisk(t *testing.T) {
	t.Parallel()
	rep := func(up, down time.Duration) noc.UptimeReport {
		return noc.UptimeReport{Durations: noc.StateDurations{Up: up, Down: down, Maintenance: time.Hour, Unknown: time.Hour}}
	}
	for _, c := range []struct {
		name     string
		target   float64
		r        noc.UptimeReport
		risk     bool
		breached bool
	}{
		{"no data", 99.9, noc.UptimeReport{}, false, false},
		{"never down", 100, rep(1000*time.Minute, 0), false, false},
		{"well within", 99, rep(999*time.Minute, time.Minute), false, false},          // 99.9%
		{"budget mostly spent", 99, rep(991*time.Minute, 9*time.Minute), true, false}, // 99.1% < 99.2%
		{"at the threshold", 99, rep(992*time.Minute, 8*time.Minute), false, false},   // 99.2%
		{"breached", 99.9, rep(99*time.Minute, time.Minute), true, true},
		{"any downtime at 100", 100, rep(999*time.Minute, time.Minute), true, true},
	} {
		s := noc.SLA{Target: c.target}
		if got := s.AtRisk(c.r); got != c.risk {
			t.Errorf("%s: at risk %v, want %v", c.name, got, c.risk)
		}
		if got := s.Evaluate(c.r).Breached; got != c.breached {
			t.Errorf("%s: breached %v, want %v", c.name, got, c.breached)
		}
	}
	if got := (noc.SLA{Target: 99.9}).RiskThreshold(); got < 99.92-1e-9 || got > 99.92+1e-9 {
		t.Errorf("threshold of 99.9%% is %v, want 99.92", got)
	}
	if got := noc.SLAPeriodStart(time.Date(2026, 3, 31, 23, 59, 0, 0, time.FixedZone("x", -3600))); !got.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("period start %v", got)
	}
}
