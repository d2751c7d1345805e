package agents_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/agents"
)

func validBatch() string {
	b, _ := json.Marshal(agents.Batch{Results: []agents.Result{{
		JobID: opsward.NewID(opsward.PrefixJob), MonitorID: opsward.NewID(opsward.PrefixMonitor),
		Status: "down", Reason: "connect", StartedAt: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC), LatencyUs: 1500,
		Metrics: map[string]float64{"status_code": 503},
	}}})
	return string(b)
}

func TestParseBatch(t *testing.T) {
	t.Parallel()
	rs, err := agents.ParseBatch([]byte(validBatch()))
	if err != nil || len(rs) != 1 || rs[0].Status != "down" || rs[0].Latency() != 1500*time.Microsecond {
		t.Fatalf("valid batch: %+v, %v", rs, err)
	}
	job := opsward.NewID(opsward.PrefixJob)
	mon := opsward.NewID(opsward.PrefixMonitor)
	one := func(extra string) string {
		return `{"results":[{"job_id":"` + job + `","monitor_id":"` + mon + `","status":"up","started_at":"2026-12-06T12:00:00Z"` + extra + `}]}`
	}
	for _, tc := range []struct{ name, body, field string }{
		{"not JSON", `{`, "results"},
		{"unknown field", one(`,"tenant_id":"ten_x"`), "results"},
		{"two values", one("") + one(""), "results"},
		{"bad job", strings.Replace(one(""), job, "job_nope", 1), "results.0.job_id"},
		{"bad monitor", strings.Replace(one(""), mon, "ast_01", 1), "results.0.monitor_id"},
		{"bad status", strings.Replace(one(""), `"up"`, `"sideways"`, 1), "results.0.status"},
		{"no time", `{"results":[{"job_id":"` + job + `","monitor_id":"` + mon + `","status":"up"}]}`, "results.0.started_at"},
		{"negative latency", one(`,"latency_us":-1`), "results.0.latency_us"},
		{"job twice", `{"results":[` + one("")[12:len(one(""))-2] + `,` + one("")[12:len(one(""))-2] + `]}`, "results.1.job_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := agents.ParseBatch([]byte(tc.body))
			if err == nil {
				t.Fatalf("accepted %s", tc.body)
			}
			if f := opsward.ErrorField(err); f != tc.field {
				t.Fatalf("field %q, want %q (%v)", f, tc.field, err)
			}
		})
	}
}

func FuzzParseBatch(f *testing.F) {
	f.Add([]byte(validBatch()))
	f.Add([]byte(`{"results":[]}`))
	f.Add([]byte(`{"results":[{"job_id":"job_01","status":"up","metrics":{"x":1e308}}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rs, err := agents.ParseBatch(body)
		if err != nil {
			if opsward.ErrorCode(err) == opsward.EINTERNAL {
				t.Fatalf("an internal error for outside input: %v", err)
			}
			return
		}
		if len(rs) > agents.MaxBatchResults {
			t.Fatalf("%d results accepted", len(rs))
		}
		seen := map[string]bool{}
		for _, r := range rs {
			if !opsward.ValidID(r.JobID, opsward.PrefixJob) || seen[r.JobID] || r.StartedAt.IsZero() || r.LatencyUs < 0 {
				t.Fatalf("accepted an invalid result %+v", r)
			}
			seen[r.JobID] = true
		}
	})
}
