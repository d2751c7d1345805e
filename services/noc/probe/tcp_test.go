package probe_test

import (
	"net"
	"strings"
	"testing"

	"github.com/opsward/opsward/services/noc/probe"
)

func TestTCP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	r := run(t, registry, probe.KindTCP, map[string]any{"host": "127.0.0.1", "port": port}, probe.Input{})
	want(t, r, probe.StatusUp, "")
	if r.Timings.Connect <= 0 {
		t.Errorf("connect not timed: %+v", r.Timings)
	}
	r = run(t, registry, probe.KindTCP, map[string]any{"host": "localhost", "port": port, "expect": "SSH-2.0"}, probe.Input{})
	want(t, r, probe.StatusUp, "")
	r = run(t, registry, probe.KindTCP, map[string]any{"host": "127.0.0.1", "port": port, "expect": "220 smtp"}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonAssertion)

	r = run(t, registry, probe.KindTCP, map[string]any{"host": "127.0.0.1", "port": port, "expect_closed": true}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonConnect)
	if len(r.Signals) != 1 || r.Signals[0].Kind != probe.SignalPortOpen {
		t.Errorf("signals = %v", r.Signals)
	}
	r = run(t, strictReg, probe.KindTCP, map[string]any{"host": "127.0.0.1", "port": port}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonForbidden)

	ln.Close()
	r = run(t, registry, probe.KindTCP, map[string]any{"host": "127.0.0.1", "port": port}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonConnect)
	if !strings.Contains(r.Message, "refused") {
		t.Errorf("message %q", r.Message)
	}
	r = run(t, registry, probe.KindTCP, map[string]any{"host": "127.0.0.1", "port": port, "expect_closed": true}, probe.Input{})
	want(t, r, probe.StatusUp, "")
}
