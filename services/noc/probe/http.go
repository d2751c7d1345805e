package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// HTTPSettings configure an HTTP(S) check.
type HTTPSettings struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"` // default GET
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	// FollowRedirects defaults to true; MaxRedirects to (and at most) 10.
	FollowRedirects *bool `json:"follow_redirects,omitempty"`
	MaxRedirects    int   `json:"max_redirects,omitempty"`
	// ExpectedStatus lists codes and ranges: 200, "200-299", "2xx".
	// Default 200-399.
	ExpectedStatus []StatusRange   `json:"expected_status,omitempty"`
	BodyContains   string          `json:"body_contains,omitempty"`
	BodyRegex      string          `json:"body_regex,omitempty"`
	JSON           []JSONAssertion `json:"json,omitempty"`
	// LatencyLimit: a slower answer is degraded, not down.
	LatencyLimit  Duration `json:"latency_limit,omitempty"`
	SkipTLSVerify bool     `json:"skip_tls_verify,omitempty"`
	// MaxBodyBytes read for assertions; default 1 MiB, at most 10 MiB.
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`
	// KeepAlive reuses an idle connection to the same host and port
	// from an earlier check when there is one, instead of a new
	// connection per check: cheaper for busy endpoints, but connect and
	// TLS are then measured only when a connection is new.
	KeepAlive bool `json:"keep_alive,omitempty"`

	url   *url.URL
	regex *regexp.Regexp
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

func (r StatusRange) contains(code int) bool { return code >= r.Lo && code <= r.Hi }

func (r StatusRange) MarshalJSON() ([]byte, error) {
	if r.Lo == r.Hi {
		return json.Marshal(r.Lo)
	}
	return json.Marshal(fmt.Sprintf("%d-%d", r.Lo, r.Hi))
}

func (r *StatusRange) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := ParseStatusRange(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ParseStatusRange reads "200", "200-299" or "2xx".
func ParseStatusRange(s string) (StatusRange, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a status code, a range such as 200-299, or a class such as 2xx", s)
	if len(s) == 3 && strings.EqualFold(s[1:], "xx") && s[0] >= '1' && s[0] <= '5' {
		base := int(s[0]-'0') * 100
		return StatusRange{base, base + 99}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil {
		return StatusRange{}, bad
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
			return StatusRange{}, bad
		}
	}
	if a < 100 || b > 599 || a > b {
		return StatusRange{}, fmt.Errorf("%q is outside 100-599 or reversed", s)
	}
	return StatusRange{a, b}, nil
}

var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

func (s *HTTPSettings) Validate() error {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return opsward.FieldErrorf("settings.url", "must be an http:// or https:// URL with a host")
	}
	s.url = u
	if s.Method == "" {
		s.Method = http.MethodGet
	}
	s.Method = strings.ToUpper(s.Method)
	if !httpMethods[s.Method] {
		return opsward.FieldErrorf("settings.method", "must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
	}
	for k, v := range s.Headers {
		if !validHeaderName(k) {
			return opsward.FieldErrorf("settings.headers", "%q is not a valid header name", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return opsward.FieldErrorf("settings.headers."+k, "must not contain line breaks")
		}
	}
	if len(s.Body) > 64<<10 {
		return opsward.FieldErrorf("settings.body", "must be at most 64 KiB")
	}
	if s.MaxRedirects < 0 || s.MaxRedirects > egress.MaxRedirects {
		return opsward.FieldErrorf("settings.max_redirects", "must be between 0 and %d", egress.MaxRedirects)
	}
	if s.MaxRedirects == 0 {
		s.MaxRedirects = egress.MaxRedirects
	}
	if len(s.ExpectedStatus) == 0 {
		s.ExpectedStatus = []StatusRange{{200, 399}}
	}
	for i, r := range s.ExpectedStatus {
		if r.Lo < 100 || r.Hi > 599 || r.Lo > r.Hi {
			return opsward.FieldErrorf(fmt.Sprintf("settings.expected_status[%d]", i), "must be a code or range within 100-599")
		}
	}
	if s.BodyRegex != "" {
		if len(s.BodyRegex) > 1024 {
			return opsward.FieldErrorf("settings.body_regex", "must be at most 1024 characters")
		}
		re, err := regexp.Compile(s.BodyRegex)
		if err != nil {
			return opsward.FieldErrorf("settings.body_regex", "is not a valid regular expression: %v", err)
		}
		s.regex = re
	}
	for i := range s.JSON {
		if err := s.JSON[i].compile(); err != nil {
			return opsward.FieldErrorf(fmt.Sprintf("settings.json[%d]", i), "%v", err)
		}
	}
	if s.LatencyLimit < 0 {
		return opsward.FieldErrorf("settings.latency_limit", "must not be negative")
	}
	if s.MaxBodyBytes < 0 || s.MaxBodyBytes > 10<<20 {
		return opsward.FieldErrorf("settings.max_body_bytes", "must be between 0 and 10 MiB")
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = 1 << 20
	}
	return nil
}

func validHeaderName(k string) bool {
	if k == "" || len(k) > 256 {
		return false
	}
	for _, c := range []byte(k) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// HTTPProber checks a URL. By default each run opens its own connection
// so that DNS, connect and TLS are measured every time, as a visitor
// would meet them; a monitor with keep_alive reuses idle connections.
type HTTPProber struct {
	verify, insecure     *http.Transport
	verifyKA, insecureKA *http.Transport // keep-alive
}

// Idle connections the keep-alive transports keep.
const (
	idlePerHost = 4
	idleTimeout = 90 * time.Second
)

// NewHTTP returns the HTTP(S) prober dialing through g.
func NewHTTP(g *egress.Guard) *HTTPProber {
	mk := func(skip, keep bool) *http.Transport {
		t := egress.NewTransport(g, &tls.Config{InsecureSkipVerify: skip, MinVersion: tls.VersionTLS10})
		t.DisableKeepAlives = !keep
		t.DisableCompression = false
		if keep {
			t.MaxIdleConnsPerHost, t.IdleConnTimeout = idlePerHost, idleTimeout
		}
		return t
	}
	return &HTTPProber{verify: mk(false, false), insecure: mk(true, false), verifyKA: mk(false, true), insecureKA: mk(true, true)}
}

func (p *HTTPProber) Kind() Kind { return KindHTTP }

func (p *HTTPProber) Parse(raw []byte) (Settings, error) {
	s := &HTTPSettings{}
	if err := decode(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// httpTimer collects httptrace events; hooks may fire from several
// goroutines (parallel dials to a name's addresses).
type httpTimer struct {
	mu                         sync.Mutex
	start                      time.Time
	dnsStart, connStart, tlsSt time.Time
	t                          Timings
	firstByte                  time.Time
	tlsState                   *tls.ConnectionState
}

func (h *httpTimer) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { h.mu.Lock(); h.dnsStart = time.Now(); h.mu.Unlock() },
		DNSDone: func(httptrace.DNSDoneInfo) {
			h.mu.Lock()
			if !h.dnsStart.IsZero() {
				h.t.DNS += time.Since(h.dnsStart)
			}
			h.mu.Unlock()
		},
		ConnectStart: func(_, _ string) {
			h.mu.Lock()
			if h.connStart.IsZero() {
				h.connStart = time.Now()
			}
			h.mu.Unlock()
		},
		ConnectDone: func(_, _ string, err error) {
			h.mu.Lock()
			if err == nil && !h.connStart.IsZero() {
				h.t.Connect += time.Since(h.connStart)
				h.connStart = time.Time{}
			}
			h.mu.Unlock()
		},
		TLSHandshakeStart: func() { h.mu.Lock(); h.tlsSt = time.Now(); h.mu.Unlock() },
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			h.mu.Lock()
			if !h.tlsSt.IsZero() {
				h.t.TLS += time.Since(h.tlsSt)
			}
			if err == nil {
				h.tlsState = &cs
			}
			h.mu.Unlock()
		},
		GotFirstResponseByte: func() { h.mu.Lock(); h.firstByte = time.Now(); h.mu.Unlock() },
	}
}

func (p *HTTPProber) Probe(ctx context.Context, set Settings, in Input) Result {
	s, ok := set.(*HTTPSettings)
	if !ok {
		return Result{Status: StatusDown, Reason: ReasonInternal, Message: "settings of the wrong kind"}
	}
	res := Result{Status: StatusUp, StartedAt: in.Now}
	tr := p.verify
	switch {
	case s.SkipTLSVerify && s.KeepAlive:
		tr = p.insecureKA
	case s.SkipTLSVerify:
		tr = p.insecure
	case s.KeepAlive:
		tr = p.verifyKA
	}
	redirects := 0
	limit := s.MaxRedirects
	if s.FollowRedirects != nil && !*s.FollowRedirects {
		limit = 0
	}
	check := egress.LimitRedirects(limit)
	client := &http.Client{Transport: tr, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		redirects = len(via)
		return check(r, via)
	}}

	timer := &httpTimer{}
	var body io.Reader
	if s.Body != "" {
		body = strings.NewReader(s.Body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, timer.trace()), s.Method, s.url.String(), body)
	if err != nil {
		return Result{Status: StatusDown, Reason: ReasonBadSetting, Message: err.Error(), StartedAt: in.Now}
	}
	req.Header.Set("User-Agent", "Opsward-Monitor/1")
	for k, v := range s.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	start := time.Now()
	timer.start = start
	resp, err := client.Do(req)
	if err != nil {
		res.Latency = time.Since(start)
		timer.mu.Lock()
		res.Timings = timer.t
		timer.mu.Unlock()
		res.Timings.Total = res.Latency
		reason, msg := classify(err, ctx)
		if errors.Is(err, egress.ErrTooManyRedirects) {
			reason, msg = ReasonStatus, fmt.Sprintf("more than %d redirects", limit)
		} else if reason == ReasonConnect && isTLSError(err) {
			reason = ReasonTLS
		}
		res.fail(StatusDown, reason, "%s", msg)
		return res
	}
	defer resp.Body.Close()
	needBody := s.BodyContains != "" || s.regex != nil || len(s.JSON) > 0
	var buf bytes.Buffer
	n, readErr := io.Copy(&buf, io.LimitReader(resp.Body, s.MaxBodyBytes))
	if !needBody {
		buf.Reset()
	}
	res.Latency = time.Since(start)
	timer.mu.Lock()
	res.Timings = timer.t
	if !timer.firstByte.IsZero() {
		res.Timings.FirstByte = timer.firstByte.Sub(start)
	}
	tlsState := timer.tlsState
	timer.mu.Unlock()
	res.Timings.Total = res.Latency

	res.metric("status_code", float64(resp.StatusCode))
	res.metric("body_bytes", float64(n))
	res.metric("redirects", float64(redirects))
	if tlsState != nil && len(tlsState.PeerCertificates) > 0 {
		days := tlsState.PeerCertificates[0].NotAfter.Sub(in.Now).Hours() / 24
		res.metric("tls_days_left", math.Floor(days*10)/10)
	}

	expected := false
	for _, r := range s.ExpectedStatus {
		if r.contains(resp.StatusCode) {
			expected = true
			break
		}
	}
	if !expected {
		res.fail(StatusDown, ReasonStatus, "status %d is not one of the expected %s", resp.StatusCode, statusList(s.ExpectedStatus))
		return res
	}
	if readErr != nil && needBody {
		reason, msg := classify(readErr, ctx)
		res.fail(StatusDown, reason, "reading the body: %s", msg)
		return res
	}
	if needBody {
		b := buf.Bytes()
		if s.BodyContains != "" && !bytes.Contains(b, []byte(s.BodyContains)) {
			res.fail(StatusDown, ReasonAssertion, "the body does not contain %q", truncate(s.BodyContains, 80))
			return res
		}
		if s.regex != nil && !s.regex.Match(b) {
			res.fail(StatusDown, ReasonAssertion, "the body does not match /%s/", truncate(s.BodyRegex, 80))
			return res
		}
		if len(s.JSON) > 0 {
			doc, err := decodeJSONValue(b)
			if err != nil {
				res.fail(StatusDown, ReasonAssertion, "the body is not JSON (read %d bytes): %v", len(b), err)
				return res
			}
			for i := range s.JSON {
				if ok, msg := s.JSON[i].check(doc); !ok {
					res.fail(StatusDown, ReasonAssertion, "%s", msg)
					return res
				}
			}
		}
	}
	if s.LatencyLimit > 0 && res.Latency > s.LatencyLimit.D() {
		res.fail(StatusDegraded, ReasonLatency, "answered in %s, over the limit of %s", res.Latency.Round(time.Millisecond), s.LatencyLimit.D())
	}
	return res
}

func statusList(rs []StatusRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r.Lo == r.Hi {
			parts[i] = strconv.Itoa(r.Lo)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", r.Lo, r.Hi)
		}
	}
	return strings.Join(parts, ", ")
}

func isTLSError(err error) bool {
	var ce *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	var ae tls.AlertError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ce) || errors.As(err, &rh) || errors.As(err, &ae) ||
		errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}
