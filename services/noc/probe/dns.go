package probe

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// DNSSettings configure a DNS lookup check.
type DNSSettings struct {
	Name       string `json:"name"`
	RecordType string `json:"record_type,omitempty"` // default A
	// Resolver is "host" or "host:port" of the server to ask; empty means
	// the worker's own resolver (from /etc/resolv.conf).
	Resolver  string `json:"resolver,omitempty"`
	Transport string `json:"transport,omitempty"` // udp (default) or tcp
	// ExpectedAnswers must each appear among the answers' values (an
	// address, a host name, TXT text). With MatchAll the answers must be
	// exactly these, no more.
	ExpectedAnswers []string `json:"expected_answers,omitempty"`
	MatchAll        bool     `json:"match_all,omitempty"`
	// ExpectedRcode defaults to NOERROR; NXDOMAIN checks that a name is
	// absent.
	ExpectedRcode string   `json:"expected_rcode,omitempty"`
	LatencyLimit  Duration `json:"latency_limit,omitempty"`

	qtype uint16
	rcode int
}

func (s *DNSSettings) Validate() error {
	if s.Name == "" || len(s.Name) > 253 {
		return opsward.FieldErrorf("settings.name", "must be a domain name")
	}
	if _, ok := dns.IsDomainName(s.Name); !ok {
		return opsward.FieldErrorf("settings.name", "must be a domain name")
	}
	if s.RecordType == "" {
		s.RecordType = "A"
	}
	s.RecordType = strings.ToUpper(s.RecordType)
	t, ok := dns.StringToType[s.RecordType]
	if !ok || t == dns.TypeANY || t == dns.TypeAXFR || t == dns.TypeIXFR {
		return opsward.FieldErrorf("settings.record_type", "%q is not a record type that can be checked", s.RecordType)
	}
	s.qtype = t
	if s.Resolver != "" {
		host, port := s.Resolver, "53"
		if h, p, err := net.SplitHostPort(s.Resolver); err == nil {
			host, port = h, p
		}
		if err := validHost("settings.resolver", host); err != nil {
			return err
		}
		var n int
		if _, err := fmt.Sscanf(port, "%d", &n); err != nil || validPort("settings.resolver", n) != nil || fmt.Sprint(n) != port {
			return opsward.FieldErrorf("settings.resolver", "has a bad port %q", port)
		}
		s.Resolver = net.JoinHostPort(host, port)
	}
	switch s.Transport {
	case "":
		s.Transport = "udp"
	case "udp", "tcp":
	default:
		return opsward.FieldErrorf("settings.transport", "must be udp or tcp")
	}
	if len(s.ExpectedAnswers) > 50 {
		return opsward.FieldErrorf("settings.expected_answers", "must list at most 50 answers")
	}
	if s.ExpectedRcode == "" {
		s.ExpectedRcode = "NOERROR"
	}
	s.ExpectedRcode = strings.ToUpper(s.ExpectedRcode)
	rc, ok := dns.StringToRcode[s.ExpectedRcode]
	if !ok {
		return opsward.FieldErrorf("settings.expected_rcode", "%q is not an rcode such as NOERROR or NXDOMAIN", s.ExpectedRcode)
	}
	s.rcode = rc
	if s.LatencyLimit < 0 {
		return opsward.FieldErrorf("settings.latency_limit", "must not be negative")
	}
	return nil
}

// DNSProber asks one resolver one question and checks the answer.
type DNSProber struct {
	g *egress.Guard
	// systemResolvers reads the worker's resolvers; replaceable in tests.
	systemResolvers func() ([]string, error)
}

func NewDNS(g *egress.Guard) *DNSProber {
	return &DNSProber{g: g, systemResolvers: func() ([]string, error) {
		cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil {
			return nil, err
		}
		out := make([]string, len(cc.Servers))
		for i, s := range cc.Servers {
			out[i] = net.JoinHostPort(s, cc.Port)
		}
		return out, nil
	}}
}

func (p *DNSProber) Kind() Kind { return KindDNS }

func (p *DNSProber) Parse(raw []byte) (Settings, error) {
	s := &DNSSettings{}
	if err := decode(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *DNSProber) Probe(ctx context.Context, set Settings, in Input) Result {
	s, ok := set.(*DNSSettings)
	if !ok {
		return wrongKind(set)
	}
	res := Result{Status: StatusUp, StartedAt: in.Now}
	start := time.Now()
	var conn net.Conn
	var err error
	server := s.Resolver
	if server != "" {
		// A tenant-chosen resolver goes through the guard.
		conn, err = p.g.DialContext(ctx, s.Transport, server)
	} else {
		// The worker's own resolver is the platform's, not the tenant's:
		// it is often on loopback and is not judged by the guard.
		var servers []string
		if servers, err = p.systemResolvers(); err == nil && len(servers) == 0 {
			err = fmt.Errorf("this worker has no resolver configured")
		}
		if err == nil {
			server = servers[0]
			var d net.Dialer
			conn, err = d.DialContext(ctx, s.Transport, server)
		}
	}
	if err != nil {
		res.Latency = time.Since(start)
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "%s", msg)
		return res
	}
	defer conn.Close()
	res.Timings.Connect = time.Since(start)

	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(s.Name), s.qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	client := &dns.Client{Net: s.Transport, Timeout: in.withDefaults().Timeout}
	reply, _, err := client.ExchangeWithConnContext(ctx, m, &dns.Conn{Conn: conn})
	res.Latency = time.Since(start)
	res.Timings.Total = res.Latency
	if err != nil {
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "asking %s: %s", server, msg)
		return res
	}
	res.metric("rcode", float64(reply.Rcode))
	res.metric("answers", float64(len(reply.Answer)))
	if reply.Rcode != s.rcode {
		res.fail(StatusDown, ReasonAssertion, "%s answered %s for %s %s, expected %s", server, dns.RcodeToString[reply.Rcode], s.RecordType, s.Name, s.ExpectedRcode)
		return res
	}
	var values []string
	for _, rr := range reply.Answer {
		if rr.Header().Rrtype != s.qtype {
			continue // CNAMEs on the way
		}
		values = append(values, rrValue(rr))
	}
	if len(s.ExpectedAnswers) > 0 {
		have := map[string]bool{}
		for _, v := range values {
			have[normAnswer(v)] = true
		}
		var missing []string
		for _, want := range s.ExpectedAnswers {
			if !have[normAnswer(want)] {
				missing = append(missing, want)
			}
		}
		if len(missing) > 0 {
			sort.Strings(values)
			res.fail(StatusDown, ReasonAssertion, "%s %s lacks %s (answers: %s)", s.RecordType, s.Name, strings.Join(missing, ", "), orNone(values))
			return res
		}
		if s.MatchAll && len(have) != len(uniq(s.ExpectedAnswers)) {
			sort.Strings(values)
			res.fail(StatusDown, ReasonAssertion, "%s %s has unexpected answers (answers: %s)", s.RecordType, s.Name, orNone(values))
			return res
		}
	} else if s.rcode == dns.RcodeSuccess && len(values) == 0 {
		res.fail(StatusDown, ReasonAssertion, "no %s record for %s", s.RecordType, s.Name)
		return res
	}
	if s.LatencyLimit > 0 && res.Latency > s.LatencyLimit.D() {
		res.fail(StatusDegraded, ReasonLatency, "answered in %s, over the limit of %s", res.Latency.Round(time.Millisecond), s.LatencyLimit.D())
	}
	return res
}

// rrValue is the part of a record people compare: the data after the
// header ("192.0.2.1", "10 mail.example.com.", "\"v=spf1 -all\"").
func rrValue(rr dns.RR) string {
	switch r := rr.(type) {
	case *dns.TXT:
		return strings.Join(r.Txt, "")
	}
	hdr := rr.Header().String()
	return strings.TrimSpace(strings.TrimPrefix(rr.String(), hdr))
}

// normAnswer compares names without the trailing dot and case, and
// addresses in canonical form.
func normAnswer(s string) string {
	s = strings.TrimSpace(s)
	if ip := net.ParseIP(s); ip != nil {
		return ip.String()
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

func uniq(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[normAnswer(x)] = true
	}
	return m
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
