package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/opsward/opsward/services/notify/webhook"
	"github.com/opsward/opsward/tenants"
)

// TestNOCEndToEndThroughTheBinary builds the real binary and drives an
// outage through it: a customer's HTTP monitor watches a local server; the
// server stops; after two failed checks an incident opens and a signed
// webhook reaches a local receiver; the server comes back; the incident
// resolves (a second signed webhook) and uptime shows the outage. Checks
// are started with runMonitor, so the test waits for no schedule.
func TestNOCEndToEndThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cfg := testConfig(t)
	bin := filepath.Join(t.TempDir(), "opsward")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port := freePort(t)
	env := append(os.Environ(),
		"OPSWARD_DATA_DIR="+cfg.DataDir, "OPSWARD_HTTP_ADDR=127.0.0.1:"+port, "OPSWARD_LOG_LEVEL=warn", "OPSWARD_DEMO=off",
		// The target and the receiver run on loopback: the MSP allows it.
		"OPSWARD_EGRESS_ALLOW=127.0.0.0/8")
	if !cfg.Embedded() {
		env = append(env, "OPSWARD_DATABASE_URL="+cfg.DatabaseURL, "OPSWARD_REDIS_URL="+cfg.RedisURL,
			"OPSWARD_REDIS_PREFIX="+cfg.RedisPrefix, "OPSWARD_MIGRATE_ON_START=on")
	}

	seed := exec.Command(bin, "seed", "demo", "--json")
	seed.Env = env
	seedOut, err := seed.Output()
	if err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	var demo tenants.Demo
	if err := json.Unmarshal(seedOut, &demo); err != nil {
		t.Fatalf("seed output: %v", err)
	}
	var admin tenants.DemoCredential
	for _, c := range demo.Customers {
		for _, u := range c.Users {
			if c.Slug == "acme" && u.Role == "admin" {
				admin = u
			}
		}
	}

	serve := exec.Command(bin, "serve")
	serve.Env = env
	stderr, _ := serve.StderrPipe()
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = serve.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- serve.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = serve.Process.Kill()
		}
		if t.Failed() {
			logMu.Lock()
			t.Logf("server log:\n%s", logs.String())
			logMu.Unlock()
		}
	})
	base := "http://127.0.0.1:" + port
	eventually(t, 30*time.Second, "the server is ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	tok := isoLogin(t, base, admin.Email, admin.Password)
	gql := func(query string, vars map[string]any) map[string]any {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out gqlResponse
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("%s: %v %+v", firstWord(query), err, out.Errors)
		}
		for _, v := range out.Data {
			if m, ok := v.(map[string]any); ok {
				if ue, ok := m["userErrors"].([]any); ok && len(ue) > 0 {
					t.Fatalf("%s: user errors %v", firstWord(query), ue)
				}
			}
		}
		return out.Data
	}

	const secret = "whsec_end_to_end_0123456789"
	hookURL, hooks := startHookReceiver(t, secret)

	// The monitored site, which the test stops and starts.
	site := newSite(t)

	ch := gql(`mutation($in: NotificationChannelInput!) { createNotificationChannel(input: $in) { notificationChannel { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "on-call hook", "kind": "webhook",
			"config": map[string]any{"url": hookURL, "secret": secret}}})
	chID := ch["createNotificationChannel"].(map[string]any)["notificationChannel"].(map[string]any)["id"].(string)
	as := gql(`mutation($in: AssetInput!) { createAsset(input: $in) { asset { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "shop", "kind": "website", "criticality": "high", "address": site.url()}})
	assetID := as["createAsset"].(map[string]any)["asset"].(map[string]any)["id"].(string)
	mon := gql(`mutation($in: MonitorInput!) { createMonitor(input: $in) { monitor { id status } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"assetId": assetID, "name": "shop front page", "kind": "http",
			"settings":        map[string]any{"url": site.url() + "/", "expected_status": []any{"200"}, "body_contains": "open"},
			"intervalSeconds": 300, "timeoutMs": 2000, "failuresBeforeDown": 2, "channelIds": []any{chID}, "slaTarget": 99.9}})
	monID := mon["createMonitor"].(map[string]any)["monitor"].(map[string]any)["id"].(string)

	lastChecked := ""
	check := func(want string) {
		t.Helper()
		gql(`mutation($id: ID!) { runMonitor(id: $id) { userErrors { message } } }`, map[string]any{"id": monID})
		var got map[string]any
		eventually(t, 30*time.Second, "the check runs", func() bool {
			d := gql(`query($id: ID!) { node(id: $id) { ... on Monitor { status lastCheckedAt lastMessage openIncidentId } } }`, map[string]any{"id": monID})
			got = d["node"].(map[string]any)
			at, _ := got["lastCheckedAt"].(string)
			return at != "" && at != lastChecked
		})
		lastChecked = got["lastCheckedAt"].(string)
		if got["status"] != want {
			t.Fatalf("after a check: status %v (%v), want %s", got["status"], got["lastMessage"], want)
		}
	}
	check("up")
	site.stop()
	check("up") // one failure of two: still up
	check("down")
	trig := waitHook(t, hooks)
	if trig["state"] != "triggered" || trig["severity"] != "high" || !strings.Contains(fmt.Sprint(trig["title"]), "shop front page") {
		t.Fatalf("trigger webhook: %v", trig)
	}
	incs := gql(`query($m: ID!) { incidents(first: 5, where: {monitorId: $m}) { edges { node { id status monitorId severity monitor { id status } } } } }`, map[string]any{"m": monID})
	edges := incs["incidents"].(map[string]any)["edges"].([]any)
	if len(edges) != 1 {
		t.Fatalf("incidents of the monitor: %v", edges)
	}
	first := edges[0].(map[string]any)["node"].(map[string]any)
	if first["status"] != "triggered" || first["monitorId"] != monID || first["severity"] != "HIGH" && first["severity"] != "high" ||
		dig(first, "monitor", "id") != monID {
		t.Fatalf("incident: %v", first)
	}
	incID := first["id"].(string)

	site.start()
	check("up")
	res := waitHook(t, hooks)
	if res["state"] != "resolved" {
		t.Fatalf("resolve webhook: %v", res)
	}
	eventually(t, 30*time.Second, "the deliveries reach the timeline", func() bool {
		d := gql(`query($id: ID!) { node(id: $id) { ... on Incident { status timeline(first: 50) { edges { node { kind } } } } } }`, map[string]any{"id": incID})
		inc := d["node"].(map[string]any)
		sent := 0
		for _, e := range inc["timeline"].(map[string]any)["edges"].([]any) {
			if e.(map[string]any)["node"].(map[string]any)["kind"] == "notification_sent" {
				sent++
			}
		}
		return inc["status"] == "resolved" && sent == 2
	})
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	to := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	eventually(t, 30*time.Second, "uptime shows the outage", func() bool {
		d := gql(`query($id: ID!, $from: Time!, $to: Time!) { node(id: $id) { ... on Monitor { uptime(from: $from, to: $to) { uptimePercent down up checks slaBreached } } } }`,
			map[string]any{"id": monID, "from": from, "to": to})
		u := d["node"].(map[string]any)["uptime"].(map[string]any)
		p, _ := u["uptimePercent"].(float64)
		return u["down"] == float64(2) && u["up"] == float64(2) && p == 50 && u["slaBreached"] == true
	})
	// The CSV export says the same.
	req, _ := http.NewRequest(http.MethodGet, base+"/export/uptime.csv?from="+from+"&to="+to, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(csv), monID+",shop front page,") || !strings.Contains(string(csv), ",50.000,99.9,true,") {
		t.Fatalf("uptime.csv: %d\n%s", resp.StatusCode, csv)
	}
}

// site is a local web server the test can stop and start on one address.
type site struct {
	t    *testing.T
	addr string
	srv  *http.Server
}

func newSite(t *testing.T) *site {
	s := &site{t: t}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	s.serve(l)
	t.Cleanup(s.stop)
	return s
}

func (s *site) url() string { return "http://" + s.addr }

func (s *site) serve(l net.Listener) {
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "the shop is open")
	})}
	go s.srv.Serve(l)
}

func (s *site) stop() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

func (s *site) start() {
	var l net.Listener
	eventually(s.t, 10*time.Second, "the site listens again", func() bool {
		var err error
		l, err = net.Listen("tcp", s.addr)
		return err == nil
	})
	s.serve(l)
}

// startHookReceiver serves signed webhooks on loopback until the test
// ends: it checks each one's signature with secret and passes its JSON
// on. It returns the URL to configure.
func startHookReceiver(t *testing.T, secret string) (string, <-chan map[string]any) {
	t.Helper()
	hooks := make(chan map[string]any, 16)
	receiver := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify([]byte(secret), r.Header.Get(webhook.HeaderTimestamp), body, r.Header.Get(webhook.HeaderSignature), webhook.DefaultTolerance); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var msg map[string]any
		_ = json.Unmarshal(body, &msg)
		hooks <- msg
	})}
	rl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go receiver.Serve(rl)
	t.Cleanup(func() { receiver.Close() })
	return "http://" + rl.Addr().String() + "/hook", hooks
}

func waitHook(t *testing.T, hooks <-chan map[string]any) map[string]any {
	t.Helper()
	select {
	case m := <-hooks:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook arrived within 30s")
		return nil
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// eventually polls cond until it holds or the deadline passes. It waits
// for a condition; it asserts nothing about how long it took.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Subscribers see the incidents of their own tenant change, and nothing of
// another tenant's.
func TestIncidentSubscription(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	acme, globex := s.demo.Customers[0], s.demo.Customers[1]
	acmeTok := s.login(t, s.user(t, acme, "admin"), "")
	globexAuth := "Bearer " + s.login(t, s.user(t, globex, "admin"), "").AccessToken
	acmeAuth := "Bearer " + acmeTok.AccessToken
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(s.base, "http") + "/graphql"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": acmeAuth}}); err != nil {
		t.Fatal(err)
	}
	var ack map[string]any
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack["type"] != "connection_ack" {
		t.Fatalf("init: %v %v", ack, err)
	}
	if err := wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": `subscription { incidentUpdated { id title status tenantId } }`}}); err != nil {
		t.Fatal(err)
	}
	// The subscription is live once a first event can reach it; open
	// globex's incident first, then acme's, and expect acme's alone.
	create := func(auth, title string) string {
		_, body := s.graphql(t, auth, "", fmt.Sprintf(`mutation { createIncident(input: {title: %q, severity: "low"}) { incident { id } userErrors { message } } }`, title))
		id, _ := dig(body, "data", "createIncident", "incident", "id").(string)
		if id == "" {
			t.Fatalf("createIncident: %v", body)
		}
		return id
	}
	msgs := make(chan map[string]any, 16)
	go func() {
		defer close(msgs)
		for {
			var m map[string]any
			if err := wsjson.Read(ctx, c, &m); err != nil {
				return
			}
			if m["type"] != "ping" {
				msgs <- m
			}
		}
	}()
	// The subscription becomes live a moment after it is accepted: open
	// one incident in each tenant until acme's subscriber sees its own.
	mine := map[string]bool{}
	for {
		create(globexAuth, "globex outage")
		mine[create(acmeAuth, "acme outage")] = true
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatal("the subscription ended before an incident event")
			}
			inc, _ := dig(m, "payload", "data", "incidentUpdated").(map[string]any)
			if inc == nil || inc["tenantId"] != acme.ID || !mine[inc["id"].(string)] {
				t.Fatalf("acme's subscriber got %v", m)
			}
			return
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no incident event within 20s")
		}
	}
}
