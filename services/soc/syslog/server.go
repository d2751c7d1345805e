package syslog

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
)

// Sink takes the normalised events of bound messages. It is called
// concurrently from every listener; it should queue, not store, since a
// slow Sink slows the readers (and UDP drops what the kernel cannot hold).
type Sink interface {
	Accept(ctx context.Context, tenantID, sourceID string, ev normalize.Event) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, tenantID, sourceID string, ev normalize.Event) error

func (f SinkFunc) Accept(ctx context.Context, tenantID, sourceID string, ev normalize.Event) error {
	return f(ctx, tenantID, sourceID, ev)
}

// Counters count what one transport received.
type Counters struct {
	Received    uint64 // messages framed
	Accepted    uint64 // handed to the Sink without error
	Unclaimed   uint64 // no source claimed them: dropped
	ParseErrors uint64 // kept as plain events with the parse error
	Oversize    uint64 // cut at MaxMessageSize (and kept)
	SinkErrors  uint64 // the Sink refused them
	// Connections opened and refused for MaxConnections (TCP and TLS).
	Connections         uint64
	RejectedConnections uint64
	// HandshakeErrors counts failed TLS handshakes.
	HandshakeErrors uint64
}

// Stats are the counters of each transport.
type Stats struct {
	UDP, TCP, TLS Counters
}

// Total sums the counters of all transports.
func (s Stats) Total() Counters {
	var t Counters
	for _, c := range []Counters{s.UDP, s.TCP, s.TLS} {
		t.Received += c.Received
		t.Accepted += c.Accepted
		t.Unclaimed += c.Unclaimed
		t.ParseErrors += c.ParseErrors
		t.Oversize += c.Oversize
		t.SinkErrors += c.SinkErrors
		t.Connections += c.Connections
		t.RejectedConnections += c.RejectedConnections
		t.HandshakeErrors += c.HandshakeErrors
	}
	return t
}

type counters struct {
	received, accepted, unclaimed, parseErrors, oversize, sinkErrors atomic.Uint64
	connections, rejected, handshakeErrors                           atomic.Uint64
}

func (c *counters) snapshot() Counters {
	return Counters{
		Received: c.received.Load(), Accepted: c.accepted.Load(), Unclaimed: c.unclaimed.Load(),
		ParseErrors: c.parseErrors.Load(), Oversize: c.oversize.Load(), SinkErrors: c.sinkErrors.Load(),
		Connections: c.connections.Load(), RejectedConnections: c.rejected.Load(), HandshakeErrors: c.handshakeErrors.Load(),
	}
}

// Server receives syslog over UDP, TCP and TLS. Create it with New, then
// Start it; Close stops it.
type Server struct {
	cfg    Config
	binder Binder
	sink   Sink
	log    *slog.Logger

	stats map[Transport]*counters

	ctx    context.Context // given to the Binder and Sink; ends when Close ends
	cancel context.CancelFunc

	mu        sync.Mutex
	started   bool
	closed    bool
	udp       []*net.UDPConn
	listeners []net.Listener
	addrs     map[Transport][]net.Addr
	conns     map[net.Conn]struct{}
	draining  atomic.Bool
	nconns    atomic.Int64

	readers sync.WaitGroup // UDP readers and accept loops
	handler sync.WaitGroup // connection handlers
}

// New returns a Server for cfg (defaults applied, then validated).
func New(cfg Config, binder Binder, sink Sink, log *slog.Logger) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if binder == nil || sink == nil || log == nil {
		return nil, opsward.Errorf(opsward.EINVALID, "syslog server needs a binder, a sink and a logger")
	}
	return &Server{
		cfg: cfg, binder: binder, sink: sink, log: log,
		stats: map[Transport]*counters{UDP: {}, TCP: {}, TLS: {}},
		addrs: map[Transport][]net.Addr{},
		conns: map[net.Conn]struct{}{},
	}, nil
}

// Start opens every configured listener and serves them in the
// background. If one cannot be opened, those already open are closed and
// the error names the address. ctx bounds only the opening.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return opsward.Errorf(opsward.ECONFLICT, "syslog server already started")
	}
	s.started = true
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	var lc net.ListenConfig
	fail := func(err error) error {
		for _, c := range s.udp {
			_ = c.Close()
		}
		for _, l := range s.listeners {
			_ = l.Close()
		}
		s.udp, s.listeners = nil, nil
		s.addrs = map[Transport][]net.Addr{}
		s.cancel()
		return err
	}
	for _, a := range s.cfg.UDPAddrs {
		pc, err := lc.ListenPacket(ctx, "udp", a)
		if err != nil {
			return fail(fmt.Errorf("syslog: listen udp %s: %w", a, err))
		}
		c := pc.(*net.UDPConn)
		_ = c.SetReadBuffer(4 << 20) // bursts; best effort
		s.udp = append(s.udp, c)
		s.addrs[UDP] = append(s.addrs[UDP], c.LocalAddr())
	}
	for _, tr := range []Transport{TCP, TLS} {
		addrs := s.cfg.TCPAddrs
		if tr == TLS {
			addrs = s.cfg.TLSAddrs
		}
		for _, a := range addrs {
			l, err := lc.Listen(ctx, "tcp", a)
			if err != nil {
				return fail(fmt.Errorf("syslog: listen %s %s: %w", tr, a, err))
			}
			s.listeners = append(s.listeners, l)
			s.addrs[tr] = append(s.addrs[tr], l.Addr())
		}
	}
	for _, c := range s.udp {
		port := localPort(c.LocalAddr())
		for range s.cfg.UDPReaders {
			s.readers.Add(1)
			go s.readUDP(c, port)
		}
	}
	n := 0
	for _, tr := range []Transport{TCP, TLS} {
		for range s.addrs[tr] {
			l := s.listeners[n]
			n++
			s.readers.Add(1)
			go s.accept(l, tr)
		}
	}
	s.log.Info("syslog listening", "udp", fmt.Sprint(s.addrs[UDP]), "tcp", fmt.Sprint(s.addrs[TCP]), "tls", fmt.Sprint(s.addrs[TLS]))
	return nil
}

// Addrs returns the bound addresses of a transport's listeners, in the
// order configured.
func (s *Server) Addrs(t Transport) []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Addr(nil), s.addrs[t]...)
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	return Stats{UDP: s.stats[UDP].snapshot(), TCP: s.stats[TCP].snapshot(), TLS: s.stats[TLS].snapshot()}
}

// Close stops accepting, then drains: every connection is read until its
// peer has been silent for DrainIdle (or closes), and each message already
// received is delivered. When ctx ends first, the remaining connections are
// closed at once and ctx's error returned. UDP sockets close at once.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.started || s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.draining.Store(true)
	for _, c := range s.udp {
		_ = c.Close()
	}
	for _, l := range s.listeners {
		_ = l.Close()
	}
	// Wake readers blocked on a long idle deadline.
	wake := time.Now().Add(s.cfg.DrainIdle)
	for c := range s.conns {
		_ = c.SetReadDeadline(wake)
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.readers.Wait()
		s.handler.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.cancel()
		<-done
	}
	s.cancel()
	st := s.Stats().Total()
	s.log.Info("syslog stopped", "received", st.Received, "accepted", st.Accepted, "unclaimed", st.Unclaimed)
	return err
}

func localPort(a net.Addr) uint16 {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Port()
	}
	return 0
}

func peerAddr(a net.Addr) netip.AddrPort {
	switch x := a.(type) {
	case *net.UDPAddr:
		return netip.AddrPortFrom(addrOf(x.IP), uint16(x.Port))
	case *net.TCPAddr:
		return netip.AddrPortFrom(addrOf(x.IP), uint16(x.Port))
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func (s *Server) readUDP(c *net.UDPConn, port uint16) {
	defer s.readers.Done()
	// The largest UDP payload: a datagram longer than MaxMessageSize is
	// read whole, then cut, so that the cut is counted.
	buf := make([]byte, 65536)
	for {
		n, peer, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("syslog udp read", "error", err)
			continue
		}
		msg := trimTrailer(buf[:n])
		truncated := false
		if len(msg) > s.cfg.MaxMessageSize {
			msg, truncated = msg[:s.cfg.MaxMessageSize], true
		}
		if len(msg) == 0 {
			continue
		}
		peer = netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
		s.handle(UDP, port, peer, bytes.Clone(msg), truncated)
	}
}

func trimTrailer(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	return b
}

func (s *Server) accept(l net.Listener, tr Transport) {
	defer s.readers.Done()
	port := localPort(l.Addr())
	st := s.stats[tr]
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("syslog accept", "transport", tr, "error", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if s.nconns.Add(1) > int64(s.cfg.MaxConnections) {
			s.nconns.Add(-1)
			st.rejected.Add(1)
			_ = c.Close()
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			s.nconns.Add(-1)
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.handler.Add(1)
		s.mu.Unlock()
		st.connections.Add(1)
		go s.serveConn(c, tr, port)
	}
}

func (s *Server) serveConn(c net.Conn, tr Transport, port uint16) {
	defer s.handler.Done()
	defer func() {
		_ = c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.nconns.Add(-1)
	}()
	peer := peerAddr(c.RemoteAddr())
	st := s.stats[tr]
	var r net.Conn = c
	if tr == TLS {
		tc := tls.Server(c, s.cfg.TLSConfig)
		_ = c.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
		if err := tc.HandshakeContext(s.ctx); err != nil {
			st.handshakeErrors.Add(1)
			s.log.Debug("syslog tls handshake", "peer", peer.String(), "error", err)
			return
		}
		_ = c.SetDeadline(time.Time{})
		r = tc
	}
	fr := NewFramer(&deadlineReader{c: r, s: s}, s.cfg.MaxMessageSize)
	for {
		msg, truncated, err := fr.Next()
		if len(msg) > 0 {
			s.handle(tr, port, peer, msg, truncated)
		}
		if err != nil {
			var ne net.Error
			if !errors.Is(err, net.ErrClosed) && !(errors.As(err, &ne) && ne.Timeout()) && !errors.Is(err, io.EOF) {
				s.log.Debug("syslog connection ended", "transport", tr, "peer", peer.String(), "error", err)
			}
			return
		}
	}
}

// deadlineReader gives every read the idle timeout, or the drain timeout
// once Close has begun.
type deadlineReader struct {
	c net.Conn
	s *Server
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.s.draining.Load() {
		_ = d.c.SetReadDeadline(time.Now().Add(d.s.cfg.DrainIdle))
		return d.c.Read(p)
	}
	_ = d.c.SetReadDeadline(time.Now().Add(d.s.cfg.IdleTimeout))
	// Close may have set the drain deadline between the check above and
	// this read's deadline, which then overwrote it: check again.
	if d.s.draining.Load() {
		_ = d.c.SetReadDeadline(time.Now().Add(d.s.cfg.DrainIdle))
	}
	return d.c.Read(p)
}

// handle binds, normalises and delivers one message.
func (s *Server) handle(tr Transport, port uint16, peer netip.AddrPort, raw []byte, truncated bool) {
	st := s.stats[tr]
	st.received.Add(1)
	if truncated {
		st.oversize.Add(1)
	}
	received := time.Now()
	meta := Meta{Peer: peer, Transport: tr, LocalPort: port}
	m, perr := normalize.ParseSyslogAt(raw, received)
	if perr == nil {
		meta.StructuredData = m.StructuredData
		meta.Token, _ = m.SDParam(s.cfg.TokenSDID, s.cfg.TokenParam)
	}
	tenant, source, ok := s.binder.Bind(s.ctx, meta)
	if !ok {
		st.unclaimed.Add(1)
		// Debug only: an unregistered sender must not be able to fill the
		// log. Stats count it.
		s.log.Debug("syslog message unclaimed", "transport", tr, "peer", peer.String(), "port", port, "has_token", meta.Token != "")
		return
	}
	var ev normalize.Event
	if perr == nil {
		ev = normalize.FromSyslog(m, raw, received)
	} else {
		// Not syslog: perhaps a bare CEF, JSON or key=value line. What no
		// parser reads is kept with the syslog parse error.
		var err error
		ev, err = normalize.Normalize(raw, normalize.FormatAuto, received)
		if err != nil || ev.Format == normalize.FormatPlain {
			ev = normalize.Fallback(raw, received, perr)
		}
	}
	if ev.ParseError() != "" {
		st.parseErrors.Add(1)
	}
	if truncated {
		if _, has := ev.Fields[normalize.FieldErrorMsg]; !has {
			ev.Fields[normalize.FieldErrorMsg] = fmt.Sprintf("message cut at %d bytes", s.cfg.MaxMessageSize)
		}
	}
	if meta.Token != "" {
		redact(ev, meta.Token, s.cfg.TokenSDID, s.cfg.TokenParam)
	}
	if err := s.sink.Accept(s.ctx, tenant, source, ev); err != nil {
		st.sinkErrors.Add(1)
		s.log.Warn("syslog sink refused event", "tenant_id", tenant, "source_id", source, "error", err)
		return
	}
	st.accepted.Add(1)
}

// redacted replaces a source token wherever the event would keep it.
const redacted = "[REDACTED]"

// redact removes the token from the structured data field and from the
// SD parameter inside event.original, and nowhere else: a short token
// must not blank out the same word in the message text.
func redact(ev normalize.Event, token, sdID, param string) {
	if k := "log.syslog.structured_data." + sdID + "." + param; ev.Fields[k] != nil {
		ev.Fields[k] = redacted
	}
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(token)
	if orig, ok := ev.Fields[normalize.FieldOriginal].(string); ok {
		ev.Fields[normalize.FieldOriginal] = strings.ReplaceAll(orig, param+`="`+esc+`"`, param+`="`+redacted+`"`)
	}
}
