package probe_test

import (
	"testing"

	"github.com/opsward/opsward/services/noc/probe"
)

func TestPingLoopback(t *testing.T) {
	t.Parallel()
	p := probe.NewPing(loopbackGuard())
	s, err := p.Parse([]byte(`{"host":"127.0.0.1","count":3,"interval":"50ms"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := probe.Run(t.Context(), p, s, probe.Input{})
	if r.Status == probe.StatusDown && r.Reason == probe.ReasonInternal {
		t.Skipf("ICMP is not permitted here (neither unprivileged ping nor a raw socket): %s", r.Message)
	}
	want(t, r, probe.StatusUp, "")
	if r.Metrics["packets_sent"] != 3 || r.Metrics["packets_received"] != 3 || r.Metrics["packet_loss_percent"] != 0 {
		t.Errorf("metrics = %v", r.Metrics)
	}
	if r.Metrics["rtt_min_ms"] <= 0 || r.Metrics["rtt_min_ms"] > r.Metrics["rtt_avg_ms"] || r.Metrics["rtt_avg_ms"] > r.Metrics["rtt_max_ms"] {
		t.Errorf("rtt = %v", r.Metrics)
	}
	t.Logf("ping used a raw socket: %v", p.Privileged())

	// The guard judges the address before any echo is sent.
	r = run(t, strictReg, probe.KindPing, map[string]any{"host": "127.0.0.1"}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonForbidden)
	r = run(t, strictReg, probe.KindPing, map[string]any{"host": "localhost"}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonForbidden)
}
