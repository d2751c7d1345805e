package results

import (
	"encoding/json"
	"math"
	"time"
)

// Latency histograms use a fixed log scale: bucket i holds latencies of
// [2^(i/4), 2^((i+1)/4)) microseconds, four buckets per doubling, so an
// estimate from a bucket is within about 9% of the true value. Bucket 0
// also holds everything up to 1 µs and the last bucket everything from
// 2^27.75 µs (about 3.9 minutes, beyond any check's timeout) up. The
// edges never change: stored rollups and services/noc read them.
const (
	histPerDoubling = 4
	histBuckets     = 28 * histPerDoubling
)

func histIndex(us int64) int {
	if us <= 1 {
		return 0
	}
	i := int(math.Floor(histPerDoubling * math.Log2(float64(us))))
	return min(max(i, 0), histBuckets-1)
}

// histMid is the value a bucket stands for: the geometric middle of its
// bounds.
func histMid(i int) float64 {
	return math.Exp2((float64(i) + 0.5) / histPerDoubling)
}

// Summary is what a set of results adds up to: counts by state and the
// latency distribution. Results taken during maintenance are counted in
// Maintenance only.
type Summary struct {
	Up, Degraded, Down, Unknown, Maintenance int64

	LatencyCount int64
	LatencySumUS int64
	LatencyMinUS int64
	LatencyMaxUS int64
	hist         [histBuckets]int64
}

func (s *Summary) add(status string, latencyUS int64, inMaintenance bool) {
	if inMaintenance {
		s.Maintenance++
		return
	}
	switch status {
	case "up":
		s.Up++
	case "degraded":
		s.Degraded++
	case "down":
		s.Down++
	default:
		s.Unknown++
	}
	if latencyUS <= 0 || status == "unknown" {
		return
	}
	if s.LatencyCount == 0 || latencyUS < s.LatencyMinUS {
		s.LatencyMinUS = latencyUS
	}
	if latencyUS > s.LatencyMaxUS {
		s.LatencyMaxUS = latencyUS
	}
	s.LatencyCount++
	s.LatencySumUS += latencyUS
	s.hist[histIndex(latencyUS)]++
}

func (s *Summary) merge(o *Summary) {
	s.Up += o.Up
	s.Degraded += o.Degraded
	s.Down += o.Down
	s.Unknown += o.Unknown
	s.Maintenance += o.Maintenance
	if o.LatencyCount > 0 {
		if s.LatencyCount == 0 || o.LatencyMinUS < s.LatencyMinUS {
			s.LatencyMinUS = o.LatencyMinUS
		}
		s.LatencyMaxUS = max(s.LatencyMaxUS, o.LatencyMaxUS)
	}
	s.LatencyCount += o.LatencyCount
	s.LatencySumUS += o.LatencySumUS
	for i, n := range o.hist {
		s.hist[i] += n
	}
}

// Judged is the number of results that said up, degraded or down outside
// maintenance.
func (s *Summary) Judged() int64 { return s.Up + s.Degraded + s.Down }

// UptimePercent is the share of judged results that were up or degraded,
// in percent; 100 when nothing was judged.
func (s *Summary) UptimePercent() float64 {
	if s.Judged() == 0 {
		return 100
	}
	return 100 * float64(s.Up+s.Degraded) / float64(s.Judged())
}

// Percentile estimates the q-quantile (0 < q <= 1) of latency from the
// histogram, within its precision and never outside the observed min and
// max. Zero when there is no latency.
func (s *Summary) Percentile(q float64) time.Duration {
	if s.LatencyCount == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(s.LatencyCount)))
	rank = min(max(rank, 1), s.LatencyCount)
	var seen int64
	for i, n := range s.hist {
		seen += n
		if seen >= rank {
			v := int64(math.Round(histMid(i)))
			v = min(max(v, s.LatencyMinUS), s.LatencyMaxUS)
			return time.Duration(v) * time.Microsecond
		}
	}
	return time.Duration(s.LatencyMaxUS) * time.Microsecond
}

// Mean is the mean latency.
func (s *Summary) Mean() time.Duration {
	if s.LatencyCount == 0 {
		return 0
	}
	return time.Duration(s.LatencySumUS/s.LatencyCount) * time.Microsecond
}

// LatencyBins returns the latency histogram's counts, bucket by bucket,
// trailing empty buckets left off.
func (s *Summary) LatencyBins() []int64 {
	n := len(s.hist)
	for n > 0 && s.hist[n-1] == 0 {
		n--
	}
	return append([]int64(nil), s.hist[:n]...)
}

// histJSON is the histogram as stored: a JSON array, trailing zero buckets
// left off.
func (s *Summary) histJSON() string {
	b, _ := json.Marshal(s.LatencyBins())
	return string(b)
}

func (s *Summary) setHist(raw []byte) error {
	var v []int64
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	for i, n := range v {
		if i >= histBuckets {
			s.hist[histBuckets-1] += n
			continue
		}
		s.hist[i] = n
	}
	return nil
}
