package probe_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

// exporter serves node_exporter text whose counters the test moves.
type exporter struct {
	mu                  sync.Mutex
	idle, user, system  [2]float64 // per cpu
	rx                  float64
	memAvail, rootAvail float64
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.")
	fmt.Fprintln(w, "# TYPE node_cpu_seconds_total counter")
	for cpu := 0; cpu < 2; cpu++ {
		fmt.Fprintf(w, "node_cpu_seconds_total{cpu=\"%d\",mode=\"idle\"} %g\n", cpu, e.idle[cpu])
		fmt.Fprintf(w, "node_cpu_seconds_total{cpu=\"%d\",mode=\"user\"} %g\n", cpu, e.user[cpu])
		fmt.Fprintf(w, "node_cpu_seconds_total{cpu=\"%d\",mode=\"system\"} %g\n", cpu, e.system[cpu])
	}
	fmt.Fprintln(w, "# TYPE node_memory_MemTotal_bytes gauge")
	fmt.Fprintln(w, "node_memory_MemTotal_bytes 8e+09")
	fmt.Fprintln(w, "# TYPE node_memory_MemAvailable_bytes gauge")
	fmt.Fprintf(w, "node_memory_MemAvailable_bytes %g\n", e.memAvail)
	fmt.Fprintln(w, "# TYPE node_filesystem_size_bytes gauge")
	fmt.Fprintln(w, `node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1e+11`)
	fmt.Fprintln(w, `node_filesystem_size_bytes{device="/dev/sdb1",fstype="xfs",mountpoint="/data"} 1e+12`)
	fmt.Fprintln(w, `node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1e+09`)
	fmt.Fprintln(w, "# TYPE node_filesystem_avail_bytes gauge")
	fmt.Fprintf(w, "node_filesystem_avail_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"} %g\n", e.rootAvail)
	fmt.Fprintln(w, `node_filesystem_avail_bytes{device="/dev/sdb1",fstype="xfs",mountpoint="/data"} 9e+11`)
	fmt.Fprintln(w, `node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1`)
	fmt.Fprintln(w, "# TYPE node_network_receive_bytes_total counter")
	fmt.Fprintf(w, "node_network_receive_bytes_total{device=\"eth0\"} %g\n", e.rx)
	fmt.Fprintln(w, `node_network_receive_bytes_total{device="lo"} 123456789`)
	fmt.Fprintln(w, "# TYPE node_load1 gauge")
	fmt.Fprintln(w, "node_load1 0.42")
}

func TestServerHealth(t *testing.T) {
	t.Parallel()
	e := &exporter{idle: [2]float64{1000, 2000}, memAvail: 6e9, rootAvail: 5e10, rx: 1e6}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	settings := map[string]any{
		"url": srv.URL + "/metrics",
		"rules": []map[string]any{
			{"kind": "cpu_busy_percent", "op": ">", "warn": 80, "crit": 95},
			{"kind": "memory_used_percent", "op": ">", "warn": 90},
			{"kind": "disk_used_percent", "op": ">", "warn": 80, "crit": 95},
			{"name": "eth0_rx_bits", "kind": "rate", "metric": "node_network_receive_bytes_total", "labels": []map[string]any{{"label": "device", "op": "=~", "value": "eth.*"}}, "scale": 8, "op": ">", "warn": 1e6},
			{"kind": "value", "metric": "node_load1", "op": ">", "crit": 4},
		},
	}
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	first := run(t, registry, probe.KindServerHealth, settings, probe.Input{Now: t0})
	want(t, first, probe.StatusUp, "")
	if !strings.Contains(first.Message, "need a second scrape") {
		t.Errorf("first scrape message %q", first.Message)
	}
	if got := first.Metrics["memory_used_percent"]; got != 25 {
		t.Errorf("memory_used_percent = %v, want 25", got)
	}
	if got := first.Metrics["disk_used_percent"]; got != 50 { // / at 50 %, /data at 10 %, tmpfs ignored
		t.Errorf("disk_used_percent = %v, want 50", got)
	}
	if got := first.Metrics["value:node_load1"]; got != 0.42 {
		t.Errorf("load = %v", got)
	}
	if _, ok := first.Metrics["cpu_busy_percent"]; ok {
		t.Error("cpu busy computed from a single scrape")
	}

	// 10 s later: each CPU spent 3 s idle and 7 s busy; eth0 moved 1 MB.
	e.mu.Lock()
	for c := 0; c < 2; c++ {
		e.idle[c] += 3
		e.user[c] += 5
		e.system[c] += 2
	}
	e.rx += 1e6
	e.mu.Unlock()
	second := run(t, registry, probe.KindServerHealth, settings, probe.Input{Now: t0.Add(10 * time.Second), Previous: first.State})
	if got := second.Metrics["cpu_busy_percent"]; got < 69.99 || got > 70.01 {
		t.Errorf("cpu_busy_percent = %v, want 70", got)
	}
	if got := second.Metrics["eth0_rx_bits"]; got != 8e5 {
		t.Errorf("eth0_rx_bits = %v, want 800000", got)
	}
	want(t, second, probe.StatusUp, "")

	// Busy CPUs, a full disk and heavy traffic.
	e.mu.Lock()
	for c := 0; c < 2; c++ {
		e.user[c] += 10
	}
	e.rootAvail = 2e9
	e.rx += 5e6
	e.mu.Unlock()
	third := run(t, registry, probe.KindServerHealth, settings, probe.Input{Now: t0.Add(20 * time.Second), Previous: second.State})
	want(t, third, probe.StatusDown, probe.ReasonThreshold)
	if !strings.Contains(third.Message, "cpu_busy_percent is 100 > 95") && !strings.Contains(third.Message, "disk_used_percent is 98 > 95") {
		t.Errorf("message %q", third.Message)
	}
	if third.Metrics["cpu_busy_percent"] != 100 || third.Metrics["disk_used_percent"] != 98 || third.Metrics["eth0_rx_bits"] != 4e6 {
		t.Errorf("metrics = %v", third.Metrics)
	}

	// A counter reset (exporter restart) is not a negative rate.
	e.mu.Lock()
	e.rx = 1000
	e.mu.Unlock()
	fourth := run(t, registry, probe.KindServerHealth, settings, probe.Input{Now: t0.Add(30 * time.Second), Previous: third.State})
	if got := fourth.Metrics["eth0_rx_bits"]; got != 800 {
		t.Errorf("rate after reset = %v, want 800", got)
	}
}

func TestServerHealthFailures(t *testing.T) {
	t.Parallel()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "<html>not metrics{</html>")
	}))
	t.Cleanup(garbage.Close)
	rules := []map[string]any{{"kind": "memory_used_percent", "op": ">", "warn": 90}}
	r := run(t, registry, probe.KindServerHealth, map[string]any{"url": garbage.URL, "rules": rules}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonProtocol)

	e := httptest.NewServer(&exporter{memAvail: 1e9})
	t.Cleanup(e.Close)
	r = run(t, registry, probe.KindServerHealth, map[string]any{"url": e.URL, "rules": []map[string]any{{"kind": "value", "metric": "nope", "op": ">", "warn": 1}}}, probe.Input{})
	want(t, r, probe.StatusDegraded, probe.ReasonThreshold)
	r = run(t, strictReg, probe.KindServerHealth, map[string]any{"url": e.URL, "rules": rules}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonForbidden)

	for raw, field := range map[string]string{
		`{"url":"http://h"}`: "settings.rules",
		`{"url":"http://h","rules":[{"kind":"bogus","op":">","warn":1}]}`:                                                             "settings.rules[0].kind",
		`{"url":"http://h","rules":[{"kind":"value","metric":"1bad","op":">","warn":1}]}`:                                             "settings.rules[0].metric",
		`{"url":"http://h","rules":[{"kind":"value","metric":"m","op":"~","warn":1}]}`:                                                "settings.rules[0].op",
		`{"url":"http://h","rules":[{"kind":"value","metric":"m","op":">"}]}`:                                                         "settings.rules[0]",
		`{"url":"http://h","rules":[{"kind":"value","metric":"m","op":">","warn":1,"labels":[{"label":"a","op":"=~","value":"("}]}]}`: "settings.rules[0].labels[0].value",
	} {
		if err := registry.Validate(probe.KindServerHealth, []byte(raw)); opsward.ErrorField(err) != field {
			t.Errorf("%s: %v, want field %s", raw, err, field)
		}
	}
}
