package probe_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

func TestSNMPv2c(t *testing.T) {
	t.Parallel()
	agent := startSNMPAgent(t, "s3cret", nil)
	base := func(rules ...map[string]any) map[string]any {
		return map[string]any{"host": "127.0.0.1", "port": agent.port(), "community": "s3cret", "rules": rules}
	}
	ifUp := map[string]any{"name": "if1_up", "oid": "1.3.6.1.2.1.2.2.1.8.1", "op": "!=", "crit": 1}
	r := run(t, registry, probe.KindSNMP, base(ifUp, map[string]any{"name": "uptime", "oid": ".1.3.6.1.2.1.1.3.0", "op": "<", "warn": 1}), probe.Input{})
	want(t, r, probe.StatusUp, "")
	if r.Metrics["if1_up"] != 1 || r.Metrics["uptime"] != 123456 {
		t.Errorf("metrics = %v", r.Metrics)
	}

	r = run(t, registry, probe.KindSNMP, base(ifUp, map[string]any{"name": "if2_up", "oid": "1.3.6.1.2.1.2.2.1.8.2", "op": "!=", "crit": 1}), probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonThreshold)
	if !strings.Contains(r.Message, "if2_up is 2 != 1") {
		t.Errorf("message %q", r.Message)
	}

	// A walk (GETBULK) over the processor table: average 25 %.
	r = run(t, registry, probe.KindSNMP, base(map[string]any{"name": "cpu", "oid": "1.3.6.1.2.1.25.3.3.1.2", "walk": true, "aggregate": "avg", "op": ">", "warn": 20, "crit": 90}), probe.Input{})
	want(t, r, probe.StatusDegraded, probe.ReasonThreshold)
	if r.Metrics["cpu"] != 25 {
		t.Errorf("cpu = %v", r.Metrics["cpu"])
	}

	// Traffic: a 64-bit counter and a 32-bit one that wraps between polls.
	traffic := base(
		map[string]any{"name": "hc_in_bps", "oid": "1.3.6.1.2.1.31.1.1.1.6.1", "kind": "rate", "scale": 8, "op": ">", "warn": 1e9},
		map[string]any{"name": "in_bps", "oid": "1.3.6.1.2.1.2.2.1.10.1", "kind": "rate", "scale": 8, "op": ">", "warn": 1e9},
	)
	t0 := time.Now()
	first := run(t, registry, probe.KindSNMP, traffic, probe.Input{Now: t0})
	want(t, first, probe.StatusUp, "")
	if !strings.Contains(first.Message, "second poll") {
		t.Errorf("first poll message %q", first.Message)
	}
	agent.set(".1.3.6.1.2.1.31.1.1.1.6.1", gosnmp.Counter64, uint64(1e12+5e8))
	agent.set(".1.3.6.1.2.1.2.2.1.10.1", gosnmp.Counter32, uint32(704)) // wrapped: +1000
	second := run(t, registry, probe.KindSNMP, traffic, probe.Input{Now: t0.Add(10 * time.Second), Previous: first.State})
	if second.Metrics["hc_in_bps"] != 4e8 || second.Metrics["in_bps"] != 800 {
		t.Errorf("rates = %v", second.Metrics)
	}
	want(t, second, probe.StatusUp, "")
	agent.set(".1.3.6.1.2.1.31.1.1.1.6.1", gosnmp.Counter64, uint64(1e12+5e8+2e10))
	third := run(t, registry, probe.KindSNMP, traffic, probe.Input{Now: t0.Add(20 * time.Second), Previous: second.State})
	want(t, third, probe.StatusDegraded, probe.ReasonThreshold)

	// A missing OID and a wrong community.
	r = run(t, registry, probe.KindSNMP, base(map[string]any{"oid": "1.3.6.1.4.1.9999.1.0", "op": ">", "warn": 1}), probe.Input{})
	want(t, r, probe.StatusDegraded, probe.ReasonThreshold)
	wrong := base(ifUp)
	wrong["community"] = "guess"
	wrong["retries"] = 0
	r = run(t, registry, probe.KindSNMP, wrong, probe.Input{Timeout: 400 * time.Millisecond})
	want(t, r, probe.StatusDown, probe.ReasonTimeout)

	r = run(t, strictReg, probe.KindSNMP, base(ifUp), probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonForbidden)
}

func TestSNMPv3(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		user *gosnmp.UsmSecurityParameters
		v3   map[string]any
	}{
		{"noAuthNoPriv", &gosnmp.UsmSecurityParameters{UserName: "monitor"}, map[string]any{"username": "monitor"}},
		{"authNoPriv SHA256", &gosnmp.UsmSecurityParameters{UserName: "monitor", AuthenticationProtocol: gosnmp.SHA256, AuthenticationPassphrase: "auth-pass-123"},
			map[string]any{"username": "monitor", "level": "authNoPriv", "auth_protocol": "SHA256", "auth_passphrase": "auth-pass-123"}},
		{"authPriv SHA AES", &gosnmp.UsmSecurityParameters{UserName: "monitor", AuthenticationProtocol: gosnmp.SHA, AuthenticationPassphrase: "auth-pass-123", PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: "priv-pass-456"},
			map[string]any{"username": "monitor", "level": "authPriv", "auth_protocol": "SHA", "auth_passphrase": "auth-pass-123", "priv_protocol": "AES", "priv_passphrase": "priv-pass-456"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			agent := startSNMPAgent(t, "unused", c.user)
			settings := map[string]any{"host": "127.0.0.1", "port": agent.port(), "version": "3", "v3": c.v3,
				"rules": []map[string]any{
					{"name": "if1_up", "oid": "1.3.6.1.2.1.2.2.1.8.1", "op": "!=", "crit": 1},
					{"name": "cpu", "oid": "1.3.6.1.2.1.25.3.3.1.2", "walk": true, "aggregate": "max", "op": ">", "warn": 90},
				}}
			r := run(t, registry, probe.KindSNMP, settings, probe.Input{})
			want(t, r, probe.StatusUp, "")
			if r.Metrics["if1_up"] != 1 || r.Metrics["cpu"] != 40 {
				t.Errorf("metrics = %v", r.Metrics)
			}
		})
	}
}

func TestSNMPSettings(t *testing.T) {
	t.Parallel()
	for raw, field := range map[string]string{
		`{"host":"h","rules":[{"oid":"1.3.6","op":">","warn":1}]}`:                                               "settings.community",
		`{"host":"h","community":"c","rules":[{"oid":"1.3.x","op":">","warn":1}]}`:                               "settings.rules[0].oid",
		`{"host":"h","community":"c","rules":[]}`:                                                                "settings.rules",
		`{"host":"h","version":"1","community":"c","rules":[{"oid":"1.3","op":">","warn":1}]}`:                   "settings.version",
		`{"host":"h","version":"3","rules":[{"oid":"1.3","op":">","warn":1}]}`:                                   "settings.v3.username",
		`{"host":"h","version":"3","v3":{"username":"u","level":"authNoPriv","auth_protocol":"SHA"},"rules":[]}`: "settings.v3.auth_passphrase",
		`{"host":"h","community":"c","rules":[{"oid":"1.3","kind":"delta","op":">","warn":1}]}`:                  "settings.rules[0].kind",
	} {
		if err := registry.Validate(probe.KindSNMP, []byte(raw)); opsward.ErrorField(err) != field {
			t.Errorf("%s: %v, want field %s", raw, err, field)
		}
	}
}
