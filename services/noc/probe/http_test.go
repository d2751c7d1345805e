package probe_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

func httpServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "all systems nominal")
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		io.WriteString(w, "late")
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok","db":{"replicas":[{"lag":0.5,"name":"r1"},{"lag":12,"name":"r2"}]},"version":"1.4.2"}`)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("X-Token"), b)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPStatusAndBody(t *testing.T) {
	t.Parallel()
	srv := httpServer(t)
	cases := []struct {
		name     string
		settings map[string]any
		status   probe.Status
		reason   string
		msg      string
	}{
		{"ok", map[string]any{"url": srv.URL + "/ok"}, probe.StatusUp, "", ""},
		{"500 is down", map[string]any{"url": srv.URL + "/fail"}, probe.StatusDown, probe.ReasonStatus, "status 500"},
		{"500 expected", map[string]any{"url": srv.URL + "/fail", "expected_status": []any{"5xx"}}, probe.StatusUp, "", ""},
		{"404 with range", map[string]any{"url": srv.URL + "/missing", "expected_status": []any{200, "400-404"}}, probe.StatusUp, "", ""},
		{"body contains", map[string]any{"url": srv.URL + "/ok", "body_contains": "nominal"}, probe.StatusUp, "", ""},
		{"body lacks", map[string]any{"url": srv.URL + "/ok", "body_contains": "degraded"}, probe.StatusDown, probe.ReasonAssertion, "does not contain"},
		{"regex", map[string]any{"url": srv.URL + "/json", "body_regex": `"version":"1\.\d+\.\d+"`}, probe.StatusUp, "", ""},
		{"regex fails", map[string]any{"url": srv.URL + "/json", "body_regex": `"version":"2\.`}, probe.StatusDown, probe.ReasonAssertion, "does not match"},
		{"jsonpath eq", map[string]any{"url": srv.URL + "/json", "json": []any{map[string]any{"path": "$.status", "value": "ok"}}}, probe.StatusUp, "", ""},
		{"jsonpath lt", map[string]any{"url": srv.URL + "/json", "json": []any{map[string]any{"path": "$.db.replicas[0].lag", "op": "<", "value": 1}}}, probe.StatusUp, "", ""},
		{"jsonpath lt fails", map[string]any{"url": srv.URL + "/json", "json": []any{map[string]any{"path": "$.db.replicas[1].lag", "op": "<", "value": 1}}}, probe.StatusDown, probe.ReasonAssertion, "$.db.replicas[1].lag is 12"},
		{"jsonpath last", map[string]any{"url": srv.URL + "/json", "json": []any{map[string]any{"path": "$['db'].replicas[-1].name", "value": "r2"}}}, probe.StatusUp, "", ""},
		{"jsonpath missing", map[string]any{"url": srv.URL + "/json", "json": []any{map[string]any{"path": "$.db.primary", "op": "exists"}}}, probe.StatusDown, probe.ReasonAssertion, "missing"},
		{"not json", map[string]any{"url": srv.URL + "/ok", "json": []any{map[string]any{"path": "$.a", "op": "exists"}}}, probe.StatusDown, probe.ReasonAssertion, "not JSON"},
		{"post with headers", map[string]any{"url": srv.URL + "/echo", "method": "post", "headers": map[string]string{"X-Token": "t0k"}, "body": "ping", "body_contains": "POST t0k ping"}, probe.StatusUp, "", ""},
		{"redirect followed", map[string]any{"url": srv.URL + "/redirect", "expected_status": []any{200}}, probe.StatusUp, "", ""},
		{"redirect not followed", map[string]any{"url": srv.URL + "/redirect", "follow_redirects": false, "expected_status": []any{200}}, probe.StatusDown, probe.ReasonStatus, "status 302"},
		{"slow is degraded", map[string]any{"url": srv.URL + "/slow", "latency_limit": "50ms"}, probe.StatusDegraded, probe.ReasonLatency, "over the limit"},
		{"slow within limit", map[string]any{"url": srv.URL + "/slow", "latency_limit": 2000}, probe.StatusUp, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, registry, probe.KindHTTP, c.settings, probe.Input{})
			want(t, r, c.status, c.reason)
			if !strings.Contains(r.Message, c.msg) {
				t.Errorf("message %q does not say %q", r.Message, c.msg)
			}
			if r.Metrics["status_code"] == 0 {
				t.Errorf("no status_code metric: %v", r.Metrics)
			}
			if r.Timings.Connect <= 0 || r.Timings.FirstByte <= 0 || r.Timings.Total < r.Timings.FirstByte {
				t.Errorf("timings not measured: %+v", r.Timings)
			}
		})
	}
}

func TestHTTPTimeoutAndRefused(t *testing.T) {
	t.Parallel()
	srv := httpServer(t)
	r := run(t, registry, probe.KindHTTP, map[string]any{"url": srv.URL + "/slow"}, probe.Input{Timeout: 50 * time.Millisecond})
	want(t, r, probe.StatusDown, probe.ReasonTimeout)

	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	r = run(t, registry, probe.KindHTTP, map[string]any{"url": url}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonConnect)
}

func TestHTTPGuarded(t *testing.T) {
	t.Parallel()
	srv := httpServer(t)
	r := run(t, strictReg, probe.KindHTTP, map[string]any{"url": srv.URL + "/ok"}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonForbidden)
	if !strings.Contains(r.Message, "127.0.0.1 is loopback") {
		t.Errorf("message %q", r.Message)
	}
	r = run(t, strictReg, probe.KindHTTP, map[string]any{"url": "http://169.254.169.254/latest/meta-data/"}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonForbidden)
}

func TestHTTPTLS(t *testing.T) {
	t.Parallel()
	now := time.Now()
	self := makeCert(t, "127.0.0.1", []string{"127.0.0.1", "localhost"}, now.Add(-time.Hour), now.Add(90*24*time.Hour), nil, true)
	host, port := tlsListener(t, self)
	url := fmt.Sprintf("https://%s:%d/", host, port)

	r := run(t, registry, probe.KindHTTP, map[string]any{"url": url}, probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonTLS)
	if !strings.Contains(r.Message, "certificate") {
		t.Errorf("message %q should speak of the certificate", r.Message)
	}

	r = run(t, registry, probe.KindHTTP, map[string]any{"url": url, "skip_tls_verify": true, "body_contains": "ok"}, probe.Input{})
	want(t, r, probe.StatusUp, "")
	if r.Timings.TLS <= 0 {
		t.Errorf("no TLS timing: %+v", r.Timings)
	}
	if d := r.Metrics["tls_days_left"]; d < 89 || d > 90 {
		t.Errorf("tls_days_left = %v", d)
	}
}

func TestHTTPSettingsErrorsNameFields(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"url":"ftp://x"}`:                                    "settings.url",
		`{"url":"http://x","method":"TRACE"}`:                  "settings.method",
		`{"url":"http://x","expected_status":["700"]}`:         "settings",
		`{"url":"http://x","expected_status":["2xx"],"x":1}`:   "settings.x",
		`{"url":"http://x","body_regex":"("}`:                  "settings.body_regex",
		`{"url":"http://x","json":[{"path":"a.b"}]}`:           "settings.json[0]",
		`{"url":"http://x","json":[{"path":"$.a","op":"<"}]}`:  "settings.json[0]",
		`{"url":"http://x","json":[{"path":"$.a","op":"~"}]}`:  "settings.json[0]",
		`{"url":"http://x","latency_limit":"soon"}`:            "settings",
		`{"url":"http://x","max_redirects":11}`:                "settings.max_redirects",
		`{"url":"http://x","headers":{"Bad Name":"v"}}`:        "settings.headers",
		`{"url":"http://x","headers":{"X-A":"v\r\nInjected"}}`: "settings.headers.X-A",
		`{"url":"http://x","method":5}`:                        "settings.method",
	}
	for raw, field := range cases {
		err := registry.Validate(probe.KindHTTP, []byte(raw))
		if err == nil {
			t.Errorf("%s accepted", raw)
			continue
		}
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != field {
			t.Errorf("%s: field %q code %q (%v), want %q", raw, opsward.ErrorField(err), opsward.ErrorCode(err), err, field)
		}
	}
	if err := registry.Validate("gopher", []byte(`{}`)); opsward.ErrorField(err) != "kind" {
		t.Errorf("unknown kind: %v", err)
	}
	r := registry.Run(t.Context(), probe.KindHTTP, []byte(`{"url":"nope"}`), probe.Input{})
	want(t, r, probe.StatusDown, probe.ReasonBadSetting)
}

// A check opens a connection of its own unless its monitor keeps them
// alive; then a later check reuses the idle one.
func TestHTTPKeepAlive(t *testing.T) {
	t.Parallel()
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	reg := probe.NewRegistry(probe.Deps{Guard: loopbackGuard()})
	for _, c := range []struct {
		keep bool
		want int64
	}{{false, 3}, {true, 1}} {
		opened.Store(0)
		for range 3 {
			want(t, run(t, reg, probe.KindHTTP, map[string]any{"url": srv.URL + "/", "keep_alive": c.keep}, probe.Input{}), probe.StatusUp, "")
		}
		if got := opened.Load(); got != c.want {
			t.Errorf("keep_alive %v: 3 checks opened %d connections, want %d", c.keep, got, c.want)
		}
	}
}
