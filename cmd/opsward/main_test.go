package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/tenants"
)

// testConfig returns the configuration of a server for this test: the
// embedded default, or Postgres and Redis when the suite runs external.
func testConfig(t testing.TB) platform.Config {
	t.Helper()
	env := map[string]string{
		"OPSWARD_HTTP_ADDR": "127.0.0.1:0",
		"OPSWARD_DATA_DIR":  t.TempDir(),
		"OPSWARD_LOG_LEVEL": "warn",
		// Demonstration data stays inert; TestLiveDemo turns it on.
		"OPSWARD_DEMO": "off",
	}
	if testenv.External() {
		env["OPSWARD_DATABASE_URL"] = testenv.PostgresDB(t)
		env["OPSWARD_REDIS_URL"] = testenv.RedisURL()
		_, prefix := testenv.Redis(t)
		env["OPSWARD_REDIS_PREFIX"] = prefix
		env["OPSWARD_MIGRATE_ON_START"] = "on"
	}
	cfg, err := platform.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startMain starts the real Main on port 0 and stops it when the test ends.
func startMain(t testing.TB, cfg platform.Config) *Main {
	t.Helper()
	return startMainLogging(t, cfg, testLogWriter{t})
}

// startMainLogging is startMain with the server's log written to logs.
func startMainLogging(t testing.TB, cfg platform.Config, logs io.Writer) *Main {
	t.Helper()
	m := NewMain(cfg, AllRoles, io.Discard, logs)
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions map[string]any `json:"extensions"`
}

func postGraphQL(t *testing.T, base, query string, vars map[string]any) (int, gqlResponse) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode GraphQL response (status %d): %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func TestServeEndToEnd(t *testing.T) {
	cfg := testConfig(t)
	m := startMain(t, cfg)
	base := m.URL()

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", path, resp.StatusCode, b)
		}
	}

	wantDB, wantRedis := "sqlite", "embedded"
	if testenv.External() {
		wantDB, wantRedis = "postgres", "external"
	}
	status, r := postGraphQL(t, base, `{ serverInfo { version database redis } }`, nil)
	if status != 200 || len(r.Errors) > 0 {
		t.Fatalf("serverInfo: status %d, errors %+v", status, r.Errors)
	}
	info := r.Data["serverInfo"].(map[string]any)
	if info["database"] != wantDB || info["redis"] != wantRedis || info["version"] == "" {
		t.Fatalf("serverInfo = %v, want database %s and redis %s", info, wantDB, wantRedis)
	}

	// GET serves queries too.
	resp, err := http.Get(base + "/graphql?query=" + url.QueryEscape(`{ serverInfo { database } }`))
	if err != nil {
		t.Fatal(err)
	}
	var got gqlResponse
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if got.Data["serverInfo"].(map[string]any)["database"] != wantDB {
		t.Fatalf("GET serverInfo = %v", got.Data)
	}

	// Prometheus metrics name the route and the GraphQL operation.
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`opsward_http_requests_total{method="POST",route="/graphql",status="200"}`,
		`opsward_graphql_operations_total{outcome="ok",type="query"}`,
		`go_sql_open_connections{db_name="opsward"}`, "opsward_redis_pool_connections", "go_goroutines",
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestGraphQLLimits(t *testing.T) {
	cfg := testConfig(t)
	cfg.GraphQLMaxDepth = 3
	cfg.GraphQLMaxCost = 50
	m := startMain(t, cfg)

	cases := []struct {
		name, query, code string
	}{
		{"depth", `{ a: __schema { types { fields { type { name } } } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{"depth through a fragment", `query { __schema { ...T } } fragment T on __Schema { types { fields { name } } }`, "DEPTH_LIMIT_EXCEEDED"},
		{"cost", `{ ` + strings.Repeat(`s: serverInfo { version database redis } `, 1)[0:0] + costlyQuery(20) + ` }`, "COST_LIMIT_EXCEEDED"},
		{"syntax", `{ serverInfo { `, "GRAPHQL_PARSE_FAILED"},
		{"unknown field", `{ nope }`, "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, r := postGraphQL(t, m.URL(), tc.query, nil)
			if len(r.Errors) == 0 {
				t.Fatalf("no error for %s", tc.query)
			}
			if code := r.Errors[0].Extensions["code"]; code != tc.code {
				t.Fatalf("code = %v, want %s (message %q)", code, tc.code, r.Errors[0].Message)
			}
			if r.Data != nil {
				t.Fatalf("data returned with a refused query: %v", r.Data)
			}
		})
	}
	// A connection costs its page size times what each item costs.
	m2 := startMain(t, testConfig(t))
	_, r2 := postGraphQL(t, m2.URL(), `{ tenants(first: 3) { totalCount edges { node { id } } } }`, nil)
	if cost, _ := r2.Extensions["cost"].(float64); cost != 1+3*4 {
		t.Fatalf("cost of a page of 3 = %v, want 13", r2.Extensions["cost"])
	}
	// The server goes on answering, and reports the cost it charged.
	_, r := postGraphQL(t, m.URL(), `{ serverInfo { version } }`, nil)
	if len(r.Errors) > 0 || r.Data["serverInfo"] == nil {
		t.Fatalf("after refusals: %+v", r)
	}
	if cost, _ := r.Extensions["cost"].(float64); cost != 2 {
		t.Fatalf("extensions.cost = %v, want 2", r.Extensions["cost"])
	}
}

// costlyQuery asks for serverInfo n times under aliases: cost 4n.
func costlyQuery(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("s")
		b.WriteString(strings.Repeat("x", i+1))
		b.WriteString(": serverInfo { version database redis } ")
	}
	return b.String()
}

func TestSubscriptionOverWebSocket(t *testing.T) {
	m := startMain(t, testConfig(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(m.URL(), "http") + "/graphql"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	send := func(v any) {
		if err := wsjson.Write(ctx, c, v); err != nil {
			t.Fatal(err)
		}
	}
	read := func() map[string]any {
		var v map[string]any
		if err := wsjson.Read(ctx, c, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	send(map[string]any{"type": "connection_init"})
	if msg := read(); msg["type"] != "connection_ack" {
		t.Fatalf("want connection_ack, got %v", msg)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { serverTime(everySeconds: 1) }`}})
	var times []string
	for len(times) < 2 {
		msg := read()
		if msg["type"] == "ping" {
			continue
		}
		if msg["type"] != "next" {
			t.Fatalf("want next, got %v", msg)
		}
		data := msg["payload"].(map[string]any)["data"].(map[string]any)
		times = append(times, data["serverTime"].(string))
	}
	t0, err0 := time.Parse(time.RFC3339Nano, times[0])
	t1, err1 := time.Parse(time.RFC3339Nano, times[1])
	if err0 != nil || err1 != nil || !t1.After(t0) {
		t.Fatalf("serverTime values %v are not increasing times", times)
	}
	send(map[string]any{"id": "1", "type": "complete"})
	c.Close(websocket.StatusNormalClosure, "")
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	cfg := testConfig(t)
	m := NewMain(cfg, AllRoles, io.Discard, testLogWriter{t})
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	m.Echo.GET("/test/slow", func(c echo.Context) error {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		return c.String(http.StatusOK, "finished")
	})
	var (
		wg     sync.WaitGroup
		body   string
		status int
		reqErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Get(m.URL() + "/test/slow")
		if err != nil {
			reqErr = err
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body, status = string(b), resp.StatusCode
	}()
	<-entered
	addr := m.URL()
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	wg.Wait()
	if reqErr != nil || status != 200 || body != "finished" {
		t.Fatalf("in-flight request: status %d body %q err %v", status, body, reqErr)
	}
	if _, err := http.Get(addr + "/healthz"); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func TestBadConfigurationFailsWithOneLine(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"malformed database URL", []string{"serve"}, map[string]string{"OPSWARD_DATABASE_URL": "postgres://%zz"}, "OPSWARD_DATABASE_URL"},
		{"wrong database scheme", []string{"serve"}, map[string]string{"OPSWARD_DATABASE_URL": "mysql://db/x"}, `OPSWARD_DATABASE_URL: scheme "mysql"`},
		{"unreachable database", []string{"serve"}, map[string]string{"OPSWARD_DATABASE_URL": "postgres://u@127.0.0.1:1/db?connect_timeout=2", "OPSWARD_REDIS_URL": "redis://127.0.0.1:1"}, "database: cannot connect to postgres://u@127.0.0.1:1/db"},
		{"unreachable redis", []string{"serve"}, map[string]string{"OPSWARD_REDIS_URL": "redis://127.0.0.1:1"}, "redis: cannot connect to redis://127.0.0.1:1"},
		{"bad redis scheme", []string{"serve"}, map[string]string{"OPSWARD_REDIS_URL": "http://x"}, "OPSWARD_REDIS_URL"},
		{"bad log level", []string{"serve"}, map[string]string{"OPSWARD_LOG_LEVEL": "loud"}, `OPSWARD_LOG_LEVEL: "loud"`},
		{"bad address", []string{"serve"}, map[string]string{"OPSWARD_HTTP_ADDR": "nowhere"}, "OPSWARD_HTTP_ADDR"},
		{"bad duration flag", []string{"serve", "--read-timeout", "soon"}, nil, "--read-timeout"},
		{"unknown flag", []string{"serve", "--bogus"}, nil, "flag provided but not defined: -bogus"},
		{"unknown command", []string{"fly"}, nil, `unknown command "fly"`},
		{"migrate without action", []string{"migrate"}, nil, "migrate: name an action"},
		{"bad mail scheme", []string{"serve"}, map[string]string{"OPSWARD_SMTP_URL": "http://mail.example.com?from=a@b.example", "OPSWARD_PORTAL_URL": "https://p.example"}, `OPSWARD_SMTP_URL: scheme "http"`},
		{"mail without sender", []string{"serve"}, map[string]string{"OPSWARD_SMTP_URL": "smtp://u:secret@mail.example.com:587", "OPSWARD_PORTAL_URL": "https://p.example"}, "OPSWARD_SMTP_URL: name the sender"},
		{"mail without portal", []string{"serve"}, map[string]string{"OPSWARD_SMTP_URL": "smtp://mail.example.com?from=a@b.example"}, "OPSWARD_PORTAL_URL"},
		{"clear mail off loopback", []string{"serve"}, map[string]string{"OPSWARD_SMTP_URL": "smtp://mail.example.com?from=a@b.example&security=none", "OPSWARD_PORTAL_URL": "https://p.example"}, "OPSWARD_SMTP_URL: security none is allowed only"},
		{"bad portal URL", []string{"serve"}, map[string]string{"OPSWARD_PORTAL_URL": "portal.example"}, "OPSWARD_PORTAL_URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"OPSWARD_DATA_DIR": t.TempDir(), "OPSWARD_HTTP_ADDR": "127.0.0.1:0", "OPSWARD_LOG_LEVEL": "error"}
			for k, v := range tc.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, func(k string) string { return env[k] }, &stdout, &stderr)
			if code == 0 {
				t.Fatalf("exit code 0; stderr %q", stderr.String())
			}
			out := strings.TrimRight(stderr.String(), "\n")
			if strings.Count(out, "\n") != 0 {
				t.Fatalf("want one line, got:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Fatalf("stderr %q does not name %q", out, tc.want)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, os.Getenv, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "opsward ") {
		t.Fatalf("version: code %d, out %q", code, out.String())
	}
	for _, cmd := range []string{"serve", "api", "worker", "scheduler", "migrate", "seed"} {
		var stderr bytes.Buffer
		if code := run(context.Background(), []string{cmd, "--help"}, os.Getenv, io.Discard, &stderr); code != 0 {
			t.Errorf("%s --help: exit %d", cmd, code)
		}
		if !strings.Contains(stderr.String(), "Usage: opsward "+cmd) || !strings.Contains(stderr.String(), "OPSWARD_DATABASE_URL") {
			t.Errorf("%s --help does not show usage and settings: %q", cmd, stderr.String())
		}
	}
}

func TestSeedDemoJSON(t *testing.T) {
	cfg := testConfig(t)
	env := map[string]string{"OPSWARD_DATA_DIR": cfg.DataDir, "OPSWARD_LOG_LEVEL": "warn", "OPSWARD_DEMO": "off"}
	if !cfg.Embedded() {
		env["OPSWARD_DATABASE_URL"] = cfg.DatabaseURL
		env["OPSWARD_REDIS_URL"] = cfg.RedisURL
	}
	getenv := func(k string) string { return env[k] }
	var out, stderr bytes.Buffer
	if code := run(context.Background(), []string{"seed", "demo", "--json"}, getenv, &out, &stderr); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, stderr.String())
	}
	var seeded tenants.Demo
	if err := json.Unmarshal(out.Bytes(), &seeded); err != nil {
		t.Fatalf("seed output is not JSON: %v\n%s", err, out.String())
	}
	if !strings.HasPrefix(seeded.Provider.ID, "ten_") || len(seeded.Customers) != 2 || len(seeded.Provider.Users) != 1 {
		t.Fatalf("seeded %+v", seeded)
	}
	for _, c := range seeded.Customers {
		if len(c.Users) != 2 || c.APIKey == nil || !strings.HasPrefix(c.APIKey.Secret, "opw_") {
			t.Fatalf("customer %s: %+v", c.Slug, c)
		}
	}
	// A second seed refuses to mix demonstration data into a used database.
	stderr.Reset()
	if code := run(context.Background(), []string{"seed", "demo"}, getenv, io.Discard, &stderr); code == 0 || !strings.Contains(stderr.String(), "already holds") {
		t.Fatalf("second seed: exit %d, %q", code, stderr.String())
	}
}

// On an empty database the server creates the provider and its owner and
// prints a generated password once; a restart creates nothing more.
func TestBootstrapOnEmptyDatabase(t *testing.T) {
	cfg := testConfig(t)
	var out bytes.Buffer
	m := NewMain(cfg, AllRoles, &out, testLogWriter{t})
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.Close()
	text := out.String()
	i := strings.Index(text, "shown this once: ")
	if !strings.Contains(text, "admin@opsward.local") || i < 0 {
		t.Fatalf("first start printed:\n%s", text)
	}
	password := strings.Fields(text[i+len("shown this once: "):])[0]

	out.Reset()
	m = startMain(t, cfg)
	if strings.Contains(out.String(), "shown this once") {
		t.Fatal("a restart bootstrapped again")
	}
	status, body := call(t, http.MethodPost, m.URL()+"/auth/login",
		map[string]string{"email": "admin@opsward.local", "password": password}, nil)
	if status != http.StatusOK || body["accessToken"] == nil {
		t.Fatalf("login with the printed password: %d %v", status, body)
	}
}
