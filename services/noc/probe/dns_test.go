package probe_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

// dnsServer answers for example.test over UDP and TCP on one port.
func dnsServer(t *testing.T) string {
	t.Helper()
	zone := map[string][]string{
		"www.example.test. A":    {"www.example.test. 60 IN A 192.0.2.10", "www.example.test. 60 IN A 192.0.2.11"},
		"www.example.test. AAAA": {"www.example.test. 60 IN AAAA 2001:db8::10"},
		"example.test. MX":       {"example.test. 60 IN MX 10 mail.example.test."},
		"example.test. TXT":      {`example.test. 60 IN TXT "v=spf1 -all"`},
		"slow.example.test. A":   {"slow.example.test. 60 IN A 192.0.2.99"},
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		if strings.HasPrefix(q.Name, "slow.") {
			time.Sleep(120 * time.Millisecond)
		}
		recs, ok := zone[q.Name+" "+dns.TypeToString[q.Qtype]]
		if !ok {
			known := false
			for k := range zone {
				known = known || strings.HasPrefix(k, q.Name+" ")
			}
			if !known {
				m.Rcode = dns.RcodeNameError
			}
		}
		for _, s := range recs {
			rr, _ := dns.NewRR(s)
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	})
	// UDP and TCP on one port: the port the system gives for UDP may be
	// taken for TCP by another test, so try a few.
	var (
		pc   net.PacketConn
		ln   net.Listener
		port int
	)
	for attempt := 0; ; attempt++ {
		var err error
		if pc, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		port = pc.LocalAddr().(*net.UDPAddr).Port
		if ln, err = net.Listen("tcp4", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if attempt == 20 {
			t.Fatalf("no port free for both UDP and TCP: %v", err)
		}
	}
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

func TestDNS(t *testing.T) {
	t.Parallel()
	server := dnsServer(t)
	cases := []struct {
		name     string
		settings map[string]any
		status   probe.Status
		reason   string
		msg      string
	}{
		{"a", map[string]any{"name": "www.example.test"}, probe.StatusUp, "", ""},
		{"a expected", map[string]any{"name": "www.example.test", "expected_answers": []string{"192.0.2.11"}}, probe.StatusUp, "", ""},
		{"a exact", map[string]any{"name": "www.example.test", "expected_answers": []string{"192.0.2.10", "192.0.2.11"}, "match_all": true}, probe.StatusUp, "", ""},
		{"a exact extra", map[string]any{"name": "www.example.test", "expected_answers": []string{"192.0.2.10"}, "match_all": true}, probe.StatusDown, probe.ReasonAssertion, "unexpected answers"},
		{"a wrong", map[string]any{"name": "www.example.test", "expected_answers": []string{"192.0.2.99"}}, probe.StatusDown, probe.ReasonAssertion, "lacks 192.0.2.99"},
		{"aaaa over tcp", map[string]any{"name": "www.example.test", "record_type": "aaaa", "transport": "tcp", "expected_answers": []string{"2001:DB8::10"}}, probe.StatusUp, "", ""},
		{"mx", map[string]any{"name": "example.test", "record_type": "MX", "expected_answers": []string{"10 MAIL.example.test"}}, probe.StatusUp, "", ""},
		{"txt", map[string]any{"name": "example.test", "record_type": "TXT", "expected_answers": []string{"v=spf1 -all"}}, probe.StatusUp, "", ""},
		{"no record", map[string]any{"name": "example.test", "record_type": "A"}, probe.StatusDown, probe.ReasonAssertion, "no A record"},
		{"nxdomain", map[string]any{"name": "gone.example.test"}, probe.StatusDown, probe.ReasonAssertion, "NXDOMAIN"},
		{"nxdomain expected", map[string]any{"name": "gone.example.test", "expected_rcode": "nxdomain"}, probe.StatusUp, "", ""},
		{"slow", map[string]any{"name": "slow.example.test", "latency_limit": "50ms"}, probe.StatusDegraded, probe.ReasonLatency, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.settings["resolver"] = server
			r := run(t, registry, probe.KindDNS, c.settings, probe.Input{})
			want(t, r, c.status, c.reason)
			if !strings.Contains(r.Message, c.msg) {
				t.Errorf("message %q does not say %q", r.Message, c.msg)
			}
		})
	}
	r := run(t, registry, probe.KindDNS, map[string]any{"name": "slow.example.test", "resolver": server}, probe.Input{Timeout: 30 * time.Millisecond})
	want(t, r, probe.StatusDown, probe.ReasonTimeout)
	r = run(t, strictReg, probe.KindDNS, map[string]any{"name": "www.example.test", "resolver": server}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonForbidden)
	for raw, field := range map[string]string{
		`{"name":"x..y"}`:                           "settings.name",
		`{"name":"a.test","record_type":"BOGUS"}`:   "settings.record_type",
		`{"name":"a.test","resolver":"1.1.1.1:0"}`:  "settings.resolver",
		`{"name":"a.test","expected_rcode":"MAYB"}`: "settings.expected_rcode",
		`{"name":"a.test","transport":"quic"}`:      "settings.transport",
	} {
		if err := registry.Validate(probe.KindDNS, []byte(raw)); opsward.ErrorField(err) != field {
			t.Errorf("%s: %v, want field %s", raw, err, field)
		}
	}
}
