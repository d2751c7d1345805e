package probe

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// TCPSettings configure a TCP connect check.
type TCPSettings struct {
	Host string `json:"host"`
	Port int    `json:"port"`
	// ExpectClosed inverts the check: the port should refuse. An answer
	// is down and raises a port_open signal.
	ExpectClosed bool `json:"expect_closed,omitempty"`
	// Send is written after connecting; Expect must then appear in what
	// the peer sends within the timeout (a banner such as "SSH-2.0").
	Send         string   `json:"send,omitempty"`
	Expect       string   `json:"expect,omitempty"`
	LatencyLimit Duration `json:"latency_limit,omitempty"`
}

func (s *TCPSettings) Validate() error {
	if err := validHost("settings.host", s.Host); err != nil {
		return err
	}
	if err := validPort("settings.port", s.Port); err != nil {
		return err
	}
	if len(s.Send) > 4096 || len(s.Expect) > 4096 {
		return opsward.FieldErrorf("settings.send", "send and expect must be at most 4 KiB")
	}
	if s.ExpectClosed && (s.Send != "" || s.Expect != "") {
		return opsward.FieldErrorf("settings.expect_closed", "cannot be combined with send or expect")
	}
	if s.LatencyLimit < 0 {
		return opsward.FieldErrorf("settings.latency_limit", "must not be negative")
	}
	return nil
}

// TCPProber checks that a port accepts connections (or refuses them).
type TCPProber struct{ g *egress.Guard }

func NewTCP(g *egress.Guard) *TCPProber { return &TCPProber{g: g} }

func (p *TCPProber) Kind() Kind { return KindTCP }

func (p *TCPProber) Parse(raw []byte) (Settings, error) {
	s := &TCPSettings{}
	if err := decode(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *TCPProber) Probe(ctx context.Context, set Settings, in Input) Result {
	s, ok := set.(*TCPSettings)
	if !ok {
		return wrongKind(set)
	}
	res := Result{Status: StatusUp, StartedAt: in.Now}
	addr := joinHostPort(s.Host, s.Port)
	start := time.Now()
	conn, err := p.g.DialContext(ctx, "tcp", addr)
	res.Timings.Connect = time.Since(start)
	res.Latency = res.Timings.Connect
	res.Timings.Total = res.Latency
	if s.ExpectClosed {
		if err == nil {
			conn.Close()
			res.fail(StatusDown, ReasonConnect, "port %d on %s accepts connections but should be closed", s.Port, s.Host)
			res.Signals = append(res.Signals, Signal{Kind: SignalPortOpen, Detail: addr + " answered"})
			return res
		}
		if egress.IsBlocked(err) {
			reason, msg := classify(err, ctx)
			res.fail(StatusDown, reason, "%s", msg)
		}
		return res
	}
	if err != nil {
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "%s", msg)
		return res
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if s.Send != "" {
		if _, err := io.WriteString(conn, s.Send); err != nil {
			reason, msg := classify(err, ctx)
			res.fail(StatusDown, reason, "sending: %s", msg)
			return res
		}
	}
	if s.Expect != "" {
		if err := readUntil(conn, []byte(s.Expect), 64<<10); err != nil {
			reason, msg := classify(err, ctx)
			if reason == ReasonConnect || err == io.EOF {
				reason = ReasonAssertion
			}
			res.fail(StatusDown, reason, "did not receive %q: %s", truncate(s.Expect, 80), msg)
			return res
		}
		res.Timings.FirstByte = time.Since(start)
		res.Latency = res.Timings.FirstByte
		res.Timings.Total = res.Latency
	}
	if s.LatencyLimit > 0 && res.Latency > s.LatencyLimit.D() {
		res.fail(StatusDegraded, ReasonLatency, "answered in %s, over the limit of %s", res.Latency.Round(time.Millisecond), s.LatencyLimit.D())
	}
	return res
}

func readUntil(r io.Reader, want []byte, max int) error {
	var buf bytes.Buffer
	chunk := make([]byte, 4096)
	for buf.Len() < max {
		n, err := r.Read(chunk)
		buf.Write(chunk[:n])
		if bytes.Contains(buf.Bytes(), want) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrShortBuffer
}
