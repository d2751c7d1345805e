package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// StripeMockURL is the stripe-mock (v0.162.0) tests talk to, from
// OPSWARD_TEST_STRIPE_MOCK_URL (default http://127.0.0.1:12111, where
// .ci/run starts it).
func StripeMockURL() string {
	if u := os.Getenv("OPSWARD_TEST_STRIPE_MOCK_URL"); u != "" {
		return strings.TrimRight(u, "/")
	}
	return "http://127.0.0.1:12111"
}

// requireStripeMock reports whether a missing stripe-mock fails the test:
// in CI (CI=1, or OPSWARD_REQUIRE_STRIPE_MOCK=1, which .ci/run sets).
func requireStripeMock() bool {
	return os.Getenv("CI") == "1" || os.Getenv("CI") == "true" || os.Getenv("OPSWARD_REQUIRE_STRIPE_MOCK") == "1"
}

// StripeMock checks that stripe-mock answers and returns its URL. When it
// does not, the test is skipped with the reason, or fails in CI.
func StripeMock(t testing.TB) string {
	t.Helper()
	u := StripeMockURL()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u+"/v1/customers", nil)
	req.SetBasicAuth("sk_test_123", "")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return u
		}
		err = &url.Error{Op: "GET", URL: u, Err: io.ErrUnexpectedEOF}
	}
	if requireStripeMock() {
		t.Fatalf("stripe-mock is not reachable at %s (%v): CI starts it (.ci/run); run `stripe-mock -http-addr 127.0.0.1:12111 -https-addr 127.0.0.1:12112`", u, err)
	}
	t.Skipf("stripe-mock is not reachable at %s (%v): start it with `go run github.com/stripe/stripe-mock@v0.162.0 -http-addr 127.0.0.1:12111 -https-addr 127.0.0.1:12112`; CI=1 makes this a failure", u, err)
	return ""
}

// StripeRequest is one request the recorder forwarded to stripe-mock.
type StripeRequest struct {
	Method, Path   string
	IdempotencyKey string
	Form           url.Values
	Status         int
}

// StripeRecorder is a proxy in front of stateless stripe-mock that keeps
// every request Opsward sent, so that tests assert what was sent. It gives
// each created customer an id of its own (stripe-mock answers every
// create with the same fixture id), derived from the idempotency key, so
// that webhooks can name one customer. Down makes it refuse connections
// as a stopped Stripe would; AfterForward runs after Stripe answered and
// before the answer is passed on (a test cancels its job there, as a
// process killed between Stripe's answer and saving it).
type StripeRecorder struct {
	URL string

	mu   sync.Mutex
	reqs []StripeRequest
	down atomic.Bool
	// AfterForward, when set, sees each forwarded request.
	AfterForward func(StripeRequest)
}

// NewStripeRecorder starts the proxy in front of stripe-mock (skipping or
// failing as StripeMock does when it is not up).
func NewStripeRecorder(t testing.TB) *StripeRecorder {
	t.Helper()
	target, err := url.Parse(StripeMock(t))
	if err != nil {
		t.Fatal(err)
	}
	r := &StripeRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(res *http.Response) error {
		req := res.Request
		if req.Method != http.MethodPost || req.URL.Path != "/v1/customers" || res.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		var obj map[string]any
		if json.Unmarshal(body, &obj) == nil {
			obj["id"] = "cus_" + strings.NewReplacer("-", "", "_", "").Replace(req.Header.Get("Idempotency-Key"))
			body, _ = json.Marshal(obj)
		}
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Del("Content-Length")
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			// As a stopped server: the connection closes unanswered.
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		sr := StripeRequest{Method: req.Method, Path: req.URL.Path, IdempotencyKey: req.Header.Get("Idempotency-Key"), Form: form}
		proxy.ServeHTTP(&deferredWriter{rec: rec, before: func(status int) {
			sr.Status = status
			r.mu.Lock()
			r.reqs = append(r.reqs, sr)
			hook := r.AfterForward
			r.mu.Unlock()
			if hook != nil {
				hook(sr)
			}
		}}, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// SetDown stops or restarts the proxy's Stripe.
func (r *StripeRecorder) SetDown(down bool) { r.down.Store(down) }

// Requests returns the forwarded requests whose path starts with prefix.
func (r *StripeRecorder) Requests(prefix string) []StripeRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []StripeRequest
	for _, q := range r.reqs {
		if strings.HasPrefix(q.Path, prefix) {
			out = append(out, q)
		}
	}
	return out
}

// SetAfterForward sets the hook under the recorder's lock.
func (r *StripeRecorder) SetAfterForward(fn func(StripeRequest)) {
	r.mu.Lock()
	r.AfterForward = fn
	r.mu.Unlock()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// deferredWriter calls before once, with the status, before the answer's
// header is written.
type deferredWriter struct {
	rec    *statusRecorder
	before func(status int)
	once   sync.Once
}

func (d *deferredWriter) Header() http.Header { return d.rec.Header() }

func (d *deferredWriter) WriteHeader(status int) {
	d.once.Do(func() { d.before(status) })
	d.rec.WriteHeader(status)
}

func (d *deferredWriter) Write(b []byte) (int, error) {
	d.once.Do(func() { d.before(http.StatusOK) })
	return d.rec.Write(b)
}
