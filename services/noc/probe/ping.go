package probe

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// PingSettings configure an ICMP echo check.
type PingSettings struct {
	Host     string   `json:"host"`
	Count    int      `json:"count,omitempty"`    // default 3, at most 20
	Interval Duration `json:"interval,omitempty"` // between echoes; default 200ms, at least 50ms
	// LossWarnPercent: more loss than this is degraded (default 0: any
	// loss). LossCritPercent: this much or more is down (default 100).
	LossWarnPercent *float64 `json:"loss_warn_percent,omitempty"`
	LossCritPercent *float64 `json:"loss_crit_percent,omitempty"`
	// RTTLimit: a higher average round trip is degraded.
	RTTLimit Duration `json:"rtt_limit,omitempty"`
}

func (s *PingSettings) Validate() error {
	if err := validHost("settings.host", s.Host); err != nil {
		return err
	}
	if s.Count == 0 {
		s.Count = 3
	}
	if s.Count < 1 || s.Count > 20 {
		return opsward.FieldErrorf("settings.count", "must be between 1 and 20")
	}
	if s.Interval == 0 {
		s.Interval = Duration(200 * time.Millisecond)
	}
	if s.Interval < Duration(50*time.Millisecond) || s.Interval > Duration(10*time.Second) {
		return opsward.FieldErrorf("settings.interval", "must be between 50ms and 10s")
	}
	if s.LossWarnPercent == nil {
		z := 0.0
		s.LossWarnPercent = &z
	}
	if s.LossCritPercent == nil {
		h := 100.0
		s.LossCritPercent = &h
	}
	if w := *s.LossWarnPercent; w < 0 || w > 100 || w != w {
		return opsward.FieldErrorf("settings.loss_warn_percent", "must be between 0 and 100")
	}
	if c := *s.LossCritPercent; c <= 0 || c > 100 || c < *s.LossWarnPercent || c != c {
		return opsward.FieldErrorf("settings.loss_crit_percent", "must be above loss_warn_percent and at most 100")
	}
	if s.RTTLimit < 0 {
		return opsward.FieldErrorf("settings.rtt_limit", "must not be negative")
	}
	return nil
}

// PingProber sends ICMP echoes. It uses an unprivileged ICMP datagram
// socket where the kernel allows it (net.ipv4.ping_group_range), and a raw
// socket otherwise, which needs root or CAP_NET_RAW.
type PingProber struct {
	g *egress.Guard
	// mode: 0 not yet known, 1 unprivileged works, 2 raw socket needed.
	mode atomic.Int32
}

func NewPing(g *egress.Guard) *PingProber { return &PingProber{g: g} }

func (p *PingProber) Kind() Kind { return KindPing }

func (p *PingProber) Parse(raw []byte) (Settings, error) {
	s := &PingSettings{}
	if err := decode(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Privileged reports whether the last run needed a raw socket.
func (p *PingProber) Privileged() bool { return p.mode.Load() == 2 }

func (p *PingProber) Probe(ctx context.Context, set Settings, in Input) Result {
	s, ok := set.(*PingSettings)
	if !ok {
		return wrongKind(set)
	}
	res := Result{Status: StatusUp, StartedAt: in.Now}
	start := time.Now()
	// pro-bing opens its own socket, so the guard judges the address here
	// and the pinger is handed exactly that address.
	addrs, err := p.g.Resolve(ctx, s.Host)
	res.Timings.DNS = time.Since(start)
	if err != nil {
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "%s", msg)
		return res
	}
	target := &net.IPAddr{IP: addrs[0].AsSlice()}

	run := func(privileged bool) (*probing.Statistics, error) {
		pg := probing.New("")
		pg.SetLogger(probing.NoopLogger{})
		pg.SetIPAddr(target)
		pg.SetPrivileged(privileged)
		pg.Count = s.Count
		pg.Interval = s.Interval.D()
		pg.Timeout = time.Duration(s.Count)*s.Interval.D() + 2*time.Second
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pg.Timeout {
			pg.Timeout = time.Until(dl)
		}
		if err := pg.RunWithContext(ctx); err != nil {
			return nil, err
		}
		return pg.Statistics(), nil
	}
	var stats *probing.Statistics
	switch p.mode.Load() {
	case 2:
		stats, err = run(true)
	default:
		stats, err = run(false)
		if err != nil && errors.Is(err, os.ErrPermission) {
			stats, err = run(true)
			if err == nil {
				p.mode.Store(2)
			}
		} else if err == nil {
			p.mode.Store(1)
		}
	}
	res.Latency = time.Since(start)
	res.Timings.Total = res.Latency
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			res.fail(StatusDown, ReasonInternal, "ICMP is not permitted on this worker: allow unprivileged ping (net.ipv4.ping_group_range) or grant CAP_NET_RAW")
			return res
		}
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "ping %s: %s", target.IP, msg)
		return res
	}
	res.metric("packets_sent", float64(stats.PacketsSent))
	res.metric("packets_received", float64(stats.PacketsRecv))
	loss := 100.0
	if stats.PacketsSent > 0 {
		loss = 100 * float64(stats.PacketsSent-stats.PacketsRecv) / float64(stats.PacketsSent)
		if loss < 0 { // duplicates
			loss = 0
		}
	}
	res.metric("packet_loss_percent", loss)
	if stats.PacketsRecv > 0 {
		res.metric("rtt_min_ms", ms(stats.MinRtt))
		res.metric("rtt_avg_ms", ms(stats.AvgRtt))
		res.metric("rtt_max_ms", ms(stats.MaxRtt))
		res.Latency = stats.AvgRtt
	}
	switch {
	case loss >= *s.LossCritPercent:
		res.fail(StatusDown, ReasonLoss, "%.0f%% packet loss to %s (%d of %d answered)", loss, target.IP, stats.PacketsRecv, stats.PacketsSent)
	case loss > *s.LossWarnPercent:
		res.fail(StatusDegraded, ReasonLoss, "%.0f%% packet loss to %s (%d of %d answered)", loss, target.IP, stats.PacketsRecv, stats.PacketsSent)
	}
	if s.RTTLimit > 0 && stats.PacketsRecv > 0 && stats.AvgRtt > s.RTTLimit.D() {
		res.fail(StatusDegraded, ReasonLatency, "average round trip %s is over the limit of %s", stats.AvgRtt.Round(time.Microsecond), s.RTTLimit.D())
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
