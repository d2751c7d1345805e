package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants/authn"
)

// logCapture keeps every line the server logs.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
	t   *testing.T
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startEdgeServer is startAuthServer with the log at debug captured.
func startEdgeServer(t *testing.T, adjust ...func(*platform.Config)) (*authServer, *logCapture) {
	t.Helper()
	cfg := testConfig(t)
	for _, f := range adjust {
		f(&cfg)
	}
	s := &authServer{demo: seedDemoCmd(t, cfg)}
	logs := &logCapture{t: t}
	cfg.LogLevel = "debug"
	m := NewMain(cfg, AllRoles, io.Discard, logs)
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("open: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	s.m, s.base = m, m.URL()
	raw, err := os.ReadFile(filepath.Join(cfg.DataDir, "jwt-keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.ring, err = authn.ParseKeyRing(raw); err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func marker(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// send posts body with the given headers; chunked hides the length.
func send(t *testing.T, method, url string, body []byte, chunked bool, headers map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // no length: sent chunked
		}
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, resp.Header, out
}

// No password, token or API key sent in a malformed body (or a path, or
// a header) reaches the log, on any route the running server has, with
// every way of sending it wrong: bad JSON, no Content-Type, another
// Content-Type, gzip declared but not sent, chunked; anonymous, with a bad
// key, and with a good key (so that handlers read the body).
func TestNoSecretsInTheLog(t *testing.T) {
	s, logs := startEdgeServer(t)
	acme := s.demo.Customers[0]
	password, token, apiKey := marker("Pw-"), marker("tok_"), marker("osk_")
	secrets := map[string]string{"password": password, "token": token, "api key": apiKey}

	bodies := []string{
		// The login with a trailing comma of the issue.
		fmt.Sprintf(`{"email":"ann@example.com","password":%q,"tenantId":"ten_x",}`, password),
		fmt.Sprintf(`{"query":"mutation { x(password: \"%s\") }","variables":{"token":%q,"apiKey":%q},}`, password, token, apiKey),
		fmt.Sprintf(`{"refreshToken":%q "key":%q}`, token, apiKey),
		fmt.Sprintf("{\"message\":\"login password=%s\"}\n{not json %s %s\n", password, token, apiKey),
		fmt.Sprintf(`[[[[{"password":%q}`, password),
		fmt.Sprintf(`{"query": 12, "variables": [%q, %q, %q]}`, password, token, apiKey),
	}
	type variant struct {
		name    string
		headers map[string]string
		chunked bool
	}
	variants := []variant{
		{"json", map[string]string{"Content-Type": "application/json"}, false},
		{"no content type", map[string]string{}, false},
		{"text", map[string]string{"Content-Type": "text/plain"}, false},
		{"false gzip", map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, false},
		{"chunked ndjson", map[string]string{"Content-Type": "application/x-ndjson"}, true},
	}
	auths := map[string]string{"anonymous": "", "bad key": "Bearer " + apiKey, "acme key": "Bearer " + acme.APIKey.Secret}

	routes := s.m.Echo.Routes()
	if len(routes) < 8 {
		t.Fatalf("only %d routes: %v", len(routes), routes)
	}
	seen := map[string]bool{}
	sent := 0
	for _, rt := range routes {
		path := rt.Path
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, ":") {
				// A credential in the path (the heartbeat's token) gets the
				// secret; an identifier (a list id) an id.
				v := "lst_01notasecret"
				if platform.SecretName(seg[1:]) {
					v = token
				}
				path = strings.Replace(path, seg, v, 1)
			}
		}
		path = strings.ReplaceAll(path, "*", "x/"+token)
		key := rt.Method + " " + path
		if seen[key] || rt.Method == "CONNECT" || rt.Method == "TRACE" {
			continue
		}
		seen[key] = true
		for authName, auth := range auths {
			for _, v := range variants {
				for _, b := range bodies {
					h := map[string]string{}
					for k, val := range v.headers {
						h[k] = val
					}
					if auth != "" {
						h["Authorization"] = auth
					}
					var body []byte
					if rt.Method != http.MethodGet && rt.Method != http.MethodHead {
						body = []byte(b)
					}
					status, _, _ := send(t, rt.Method, s.base+path+"?token="+token, body, v.chunked, h)
					sent++
					if status >= 500 && status != http.StatusServiceUnavailable {
						t.Errorf("%s %s (%s, %s): status %d", rt.Method, rt.Path, authName, v.name, status)
					}
				}
			}
		}
	}
	t.Logf("%d requests over %d routes", sent, len(seen))

	log := logs.String()
	if !strings.Contains(log, `msg="http request"`) || !strings.Contains(log, platform.Redacted) {
		t.Fatalf("the captured log holds no request lines or no redaction; the test would prove nothing:\n%.2000s", log)
	}
	for what, v := range secrets {
		if i := strings.Index(log, v); i >= 0 {
			lo, hi := max(i-300, 0), min(i+100, len(log))
			t.Errorf("the %s is in the log: …%s…", what, log[lo:hi])
		}
	}
	if strings.Contains(log, "level=ERROR") {
		i := strings.Index(log, "level=ERROR")
		t.Errorf("client mistakes were logged at ERROR: %.500s", log[i:])
	}
	if strings.Contains(log, "transport not supported") || strings.Contains(log, "body:") {
		t.Errorf("the log still describes bodies the old way")
	}
}

// The same mistakes get the same answers on every endpoint, with a status
// and a code that say what is wrong and where.
func TestEdgeErrors(t *testing.T) {
	s, logs := startEdgeServer(t)
	acme := s.demo.Customers[0]
	gql := s.base + "/graphql"
	json := map[string]string{"Content-Type": "application/json"}
	code := func(out map[string]any) (string, string) {
		if e, ok := out["error"].(map[string]any); ok {
			c, _ := e["code"].(string)
			m, _ := e["message"].(string)
			return c, m
		}
		errs, _ := out["errors"].([]any)
		if len(errs) == 0 {
			return "", fmt.Sprint(out)
		}
		e := errs[0].(map[string]any)
		m, _ := e["message"].(string)
		c, _ := dig(e, "extensions", "code").(string)
		return c, m
	}
	check := func(what string, status int, out map[string]any, wantStatus int, wantCode string, wantIn ...string) {
		t.Helper()
		c, m := code(out)
		if status != wantStatus || c != wantCode {
			t.Errorf("%s: %d %q %q, want %d %q", what, status, c, m, wantStatus, wantCode)
			return
		}
		for _, w := range wantIn {
			if !strings.Contains(m, w) {
				t.Errorf("%s: message %q does not say %q", what, m, w)
			}
		}
	}

	// Malformed JSON: 400 naming the position, logged at info without the body.
	status, _, out := send(t, http.MethodPost, gql, []byte(`{"query": "{ serverInfo { version } }",}`), false, json)
	check("trailing comma", status, out, 400, "invalid", "line 1, column 40")
	status, _, out = send(t, http.MethodPost, gql, []byte("{\n  \"query\": \"{ serverInfo { version } }\"\n  \"variables\": {}\n}"), false, json)
	check("missing comma", status, out, 400, "invalid", "line 3, column 3")
	// No Content-Type: read as JSON.
	status, _, out = send(t, http.MethodPost, gql, []byte(`{"query": "{ serverInfo { version } }"}`), false, nil)
	if status != 200 || dig(out, "data", "serverInfo", "version") == nil {
		t.Errorf("no Content-Type: %d %v", status, out)
	}
	status, _, out = send(t, http.MethodPost, gql, []byte(`{"query": "{ serverInfo { version } }"}`), false, map[string]string{"Content-Type": "text/plain"})
	check("text/plain", status, out, 415, "unsupported", "application/json")
	// gzip is accepted, bounded; another encoding is refused by name.
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(`{"query": "{ serverInfo { version } }"}`))
	zw.Close()
	status, _, out = send(t, http.MethodPost, gql, zb.Bytes(), false, map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"})
	if status != 200 || dig(out, "data", "serverInfo", "version") == nil {
		t.Errorf("gzip: %d %v", status, out)
	}
	status, _, out = send(t, http.MethodPost, gql, []byte(`{}`), false, map[string]string{"Content-Type": "application/json", "Content-Encoding": "br"})
	check("br", status, out, 415, "unsupported", `"br"`)
	// A gzip body that expands past the limit is too large, not read whole.
	status, _, out = send(t, http.MethodPost, gql, gzipOf(t, 11<<20), false, map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"})
	check("gzip over the limit", status, out, 413, "too_large", "10 MiB")
	// 50 MB chunked: 413, with and without a length.
	big := bytes.Repeat([]byte("a"), 50<<20)
	status, _, out = send(t, http.MethodPost, gql, big, true, json)
	check("50 MB chunked to /graphql", status, out, 413, "too_large", "10 MiB")
	status, _, out = send(t, http.MethodPost, gql, big, false, json)
	check("50 MB to /graphql", status, out, 413, "too_large")
	// 100,000 nested brackets: a client error naming the depth.
	status, _, out = send(t, http.MethodPost, gql, []byte(`{"query": "`+strings.Repeat("{a", 100_000)+`"}`), false, json)
	check("100,000 nested braces", status, out, 400, "DEPTH_LIMIT_EXCEEDED", "depth limit is 12")
	status, _, out = send(t, http.MethodGet, gql+"?query="+strings.Repeat("%7Ba", 100_000), nil, false, nil)
	check("100,000 nested braces by GET", status, out, 400, "DEPTH_LIMIT_EXCEEDED", "depth limit is 12")
	status, _, out = send(t, http.MethodPost, gql, []byte(`{"query": `+strings.Repeat("[", 100_000)), false, json)
	check("100,000 nested brackets", status, out, 400, "invalid", "deeper than 10000")
	status, _, out = send(t, http.MethodPost, gql, []byte(`{"query": "{ serverInfo { version } }", "variables": "x"}`), false, json)
	check("variables not an object", status, out, 400, "invalid", "variables", "an object")

	// Ingest: a plain 413 with the same code, chunked or not; the encoding named.
	key := map[string]string{"Authorization": "Bearer " + acme.APIKey.Secret, "Content-Type": "application/x-ndjson"}
	status, _, out = send(t, http.MethodPost, s.base+"/ingest/events", big, true, key)
	check("50 MB chunked to ingest", status, out, 413, "too_large")
	status, _, out = send(t, http.MethodPost, s.base+"/ingest/events", big, false, key)
	check("50 MB to ingest", status, out, 413, "too_large")
	zkey := map[string]string{"Authorization": key["Authorization"], "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
	status, _, out = send(t, http.MethodPost, s.base+"/ingest/events", gzipOf(t, 40<<20), true, zkey)
	check("gzip bomb to ingest", status, out, 413, "too_large", "32 MiB")
	zkey["Content-Encoding"] = "br"
	status, _, out = send(t, http.MethodPost, s.base+"/ingest/events", []byte(`{"message":"x"}`), false, zkey)
	check("br to ingest", status, out, 415, "unsupported", `"br"`)
	// And /auth/login, REST: the same code for the same size.
	status, _, out = send(t, http.MethodPost, s.base+"/auth/login", big, true, json)
	check("50 MB chunked to login", status, out, 413, "too_large")

	log := logs.String()
	if strings.Contains(log, "level=ERROR") {
		i := strings.Index(log, "level=ERROR")
		t.Errorf("client mistakes logged at ERROR: %.600s", log[i:])
	}
	if !strings.Contains(log, `msg="graphql request refused"`) || !strings.Contains(log, "offset=") {
		t.Logf("%s", log)
		t.Errorf("the refusal of malformed JSON is not logged at info with its position")
	}
	for _, l := range strings.Split(log, "\n") {
		if len(l) > 4096 {
			t.Errorf("a log line of %d bytes: %.200s", len(l), l)
		}
	}
}

// gzipOf compresses n bytes of one repeated NDJSON line.
func gzipOf(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	line := []byte(`{"message":"` + strings.Repeat("a", 100) + `"}` + "\n")
	for written := 0; written < n; written += len(line) {
		w.Write(line)
	}
	w.Close()
	return b.Bytes()
}
