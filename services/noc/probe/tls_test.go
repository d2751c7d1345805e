package probe_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/services/noc/probe"
)

func TestTLSCertificate(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ca := makeCert(t, "Opsward Test CA", nil, now.Add(-time.Hour), now.Add(365*24*time.Hour), nil, true)
	good := makeCert(t, "localhost", []string{"localhost", "127.0.0.1"}, now.Add(-time.Hour), now.Add(60*24*time.Hour), ca, false)
	nearly := makeCert(t, "localhost", []string{"localhost", "127.0.0.1"}, now.Add(-80*24*time.Hour), now.Add(3*24*time.Hour), ca, false)
	expired := makeCert(t, "localhost", []string{"localhost", "127.0.0.1"}, now.Add(-80*24*time.Hour), now.Add(-24*time.Hour), ca, false)
	self := makeCert(t, "localhost", []string{"localhost", "127.0.0.1"}, now.Add(-time.Hour), now.Add(60*24*time.Hour), nil, false)
	other := makeCert(t, "other.example", []string{"other.example"}, now.Add(-time.Hour), now.Add(60*24*time.Hour), ca, false)
	roots := string(ca.pem)

	settings := func(port int, extra map[string]any) map[string]any {
		s := map[string]any{"host": "127.0.0.1", "port": port, "roots_pem": roots}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	cases := []struct {
		name   string
		cert   *testCert
		extra  map[string]any
		status probe.Status
		msg    string
	}{
		{"valid", good, nil, probe.StatusUp, ""},
		{"nearly expired", nearly, nil, probe.StatusDegraded, "expires in 3.0 days"},
		{"nearly expired under crit", nearly, map[string]any{"crit_days": 7}, probe.StatusDown, "expires in"},
		{"expired", expired, nil, probe.StatusDown, "expired on"},
		{"self-signed", self, nil, probe.StatusDown, "chain is not valid"},
		{"self-signed allowed", self, map[string]any{"skip_chain_verify": true}, probe.StatusUp, ""},
		{"wrong name", other, nil, probe.StatusDown, "does not match 127.0.0.1"},
		{"wrong name ignored", other, map[string]any{"skip_hostname_check": true}, probe.StatusUp, ""},
		{"sni name", good, map[string]any{"server_name": "localhost"}, probe.StatusUp, ""},
		{"pinned other", good, map[string]any{"expected_fingerprint": strings.Repeat("ab", 32)}, probe.StatusDown, "not the pinned one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, port := tlsListener(t, c.cert)
			r := run(t, registry, probe.KindTLS, settings(port, c.extra), probe.Input{})
			want(t, r, c.status, "")
			if c.status != probe.StatusUp && r.Reason != probe.ReasonCert {
				t.Errorf("reason = %s", r.Reason)
			}
			if !strings.Contains(r.Message, c.msg) {
				t.Errorf("message %q does not say %q", r.Message, c.msg)
			}
			if _, ok := r.Metrics["days_left"]; !ok {
				t.Errorf("no days_left: %v", r.Metrics)
			}
		})
	}
}

func TestTLSCertificateChange(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ca1 := makeCert(t, "CA one", nil, now.Add(-time.Hour), now.Add(365*24*time.Hour), nil, true)
	ca2 := makeCert(t, "CA two", nil, now.Add(-time.Hour), now.Add(365*24*time.Hour), nil, true)
	a := makeCert(t, "localhost", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(60*24*time.Hour), ca1, false)
	renewed := makeCert(t, "localhost", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(90*24*time.Hour), ca1, false)
	foreign := makeCert(t, "localhost", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(90*24*time.Hour), ca2, false)
	roots := string(ca1.pem) + string(ca2.pem)
	check := func(c *testCert, prev []byte) probe.Result {
		_, port := tlsListener(t, c)
		return run(t, registry, probe.KindTLS, map[string]any{"host": "127.0.0.1", "port": port, "roots_pem": roots}, probe.Input{Previous: prev})
	}
	first := check(a, nil)
	want(t, first, probe.StatusUp, "")
	if len(first.Signals) != 0 || len(first.State) == 0 {
		t.Fatalf("first run: signals %v state %s", first.Signals, first.State)
	}
	same := check(a, first.State)
	if len(same.Signals) != 0 || same.Metrics["changed"] != 0 {
		t.Errorf("unchanged certificate raised %v", same.Signals)
	}
	ren := check(renewed, first.State)
	want(t, ren, probe.StatusUp, "")
	if len(ren.Signals) != 1 || ren.Signals[0].Kind != probe.SignalCertificateChanged {
		t.Errorf("renewal signals = %v", ren.Signals)
	}
	swapped := check(foreign, first.State)
	want(t, swapped, probe.StatusDegraded, probe.ReasonCert)
	if len(swapped.Signals) != 1 || !strings.Contains(swapped.Signals[0].Detail, "issuer changed") {
		t.Errorf("issuer change signals = %v", swapped.Signals)
	}
	// A previous fingerprint given in the settings stands in for state.
	_, port := tlsListener(t, renewed)
	r := run(t, registry, probe.KindTLS, map[string]any{"host": "127.0.0.1", "port": port, "roots_pem": roots, "previous_fingerprint": strings.Repeat("AB:", 31) + "AB"}, probe.Input{})
	if len(r.Signals) != 1 {
		t.Errorf("previous_fingerprint in settings: signals %v", r.Signals)
	}
}
