package agents

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

// Limits of a pushed batch.
const (
	MaxBatchResults = 1000
	MaxBatchBytes   = 4 << 20
	maxMetrics      = 64
)

// Result is one check an agent ran, as it pushes it.
type Result struct {
	// JobID is the job it answers: the idempotency key.
	JobID     string             `json:"job_id"`
	MonitorID string             `json:"monitor_id"`
	Status    probe.Status       `json:"status"`
	Reason    string             `json:"reason,omitempty"`
	Message   string             `json:"message,omitempty"`
	StartedAt time.Time          `json:"started_at"`
	LatencyUs int64              `json:"latency_us"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
}

// Latency is the check's duration.
func (r Result) Latency() time.Duration { return time.Duration(r.LatencyUs) * time.Microsecond }

// Batch is the body of a push.
type Batch struct {
	Results []Result `json:"results"`
}

// FromProbe is the pushed form of a probe's result for a job.
func FromProbe(j Job, r probe.Result) Result {
	// Clipped to what ParseBatch takes, so that a spooled result is never
	// refused for its size.
	return Result{JobID: j.ID, MonitorID: j.MonitorID, Status: r.Status, Reason: clip(r.Reason, 64), Message: clip(r.Message, 4096),
		StartedAt: r.StartedAt.UTC(), LatencyUs: min(max(r.Latency.Microseconds(), 0), int64(time.Hour/time.Microsecond)), Metrics: r.Metrics}
}

// ParseBatch reads a pushed batch strictly: unknown fields, a second
// value, more than MaxBatchResults results or a result that is not
// complete are refused with an error that names the field.
func ParseBatch(body []byte) ([]Result, error) {
	if len(body) > MaxBatchBytes {
		return nil, opsward.Errorf(opsward.ETOOLARGE, "a batch has at most %d bytes", MaxBatchBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var b Batch
	if err := dec.Decode(&b); err != nil {
		return nil, opsward.FieldErrorf("results", "the batch is not valid JSON of results: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, opsward.FieldErrorf("results", "the body holds more than one batch")
	}
	if len(b.Results) > MaxBatchResults {
		return nil, opsward.FieldErrorf("results", "a batch has at most %d results", MaxBatchResults)
	}
	seen := map[string]bool{}
	for i, r := range b.Results {
		field := func(name string) string { return fmt.Sprintf("results.%d.%s", i, name) }
		switch {
		case !opsward.ValidID(r.JobID, opsward.PrefixJob):
			return nil, opsward.FieldErrorf(field("job_id"), "not a job ID this server gave")
		case seen[r.JobID]:
			return nil, opsward.FieldErrorf(field("job_id"), "job %s is twice in the batch", r.JobID)
		case !opsward.ValidID(r.MonitorID, opsward.PrefixMonitor):
			return nil, opsward.FieldErrorf(field("monitor_id"), "not a monitor ID")
		case r.StartedAt.IsZero() || r.StartedAt.Year() < 2000 || r.StartedAt.Year() > 9999:
			return nil, opsward.FieldErrorf(field("started_at"), "the time the check started is missing or out of range")
		case r.LatencyUs < 0 || r.LatencyUs > int64(time.Hour/time.Microsecond):
			return nil, opsward.FieldErrorf(field("latency_us"), "a latency is 0 to one hour")
		case len(r.Reason) > 64:
			return nil, opsward.FieldErrorf(field("reason"), "a reason has at most 64 bytes")
		case len(r.Message) > 4096:
			return nil, opsward.FieldErrorf(field("message"), "a message has at most 4096 bytes")
		case len(r.Metrics) > maxMetrics:
			return nil, opsward.FieldErrorf(field("metrics"), "at most %d metrics", maxMetrics)
		}
		switch r.Status {
		case probe.StatusUp, probe.StatusDegraded, probe.StatusDown, probe.StatusUnknown:
		default:
			return nil, opsward.FieldErrorf(field("status"), "the status is up, degraded, down or unknown, not %q", r.Status)
		}
		for k, v := range r.Metrics {
			if k == "" || len(k) > 64 || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, opsward.FieldErrorf(field("metrics"), "a metric has a name of 1 to 64 bytes and a finite value")
			}
		}
		seen[r.JobID] = true
		b.Results[i].StartedAt = r.StartedAt.UTC()
	}
	return b.Results, nil
}
