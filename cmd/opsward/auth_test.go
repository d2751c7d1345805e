package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/golang-jwt/jwt/v5"

	"github.com/opsward/opsward/internal/httpapi"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

var seedMu sync.Mutex

// authServer is the real Main with the demonstration data in it.
type authServer struct {
	m    *Main
	base string
	demo tenants.Demo
	ring *authn.KeyRing // the server's own signing keys, read from its data folder
	logs *syncBuffer    // everything the server logged
}

// syncBuffer is a bytes.Buffer that several goroutines write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// seedDemoCmd runs `opsward seed demo --json` (inert data) on cfg's
// database and returns what it printed.
func seedDemoCmd(t *testing.T, cfg platform.Config) tenants.Demo {
	t.Helper()
	env := map[string]string{"OPSWARD_DATA_DIR": cfg.DataDir, "OPSWARD_LOG_LEVEL": "warn", "OPSWARD_DEMO": "off"}
	if !cfg.Embedded() {
		env["OPSWARD_DATABASE_URL"] = cfg.DatabaseURL
		env["OPSWARD_REDIS_URL"] = cfg.RedisURL
		env["OPSWARD_REDIS_PREFIX"] = cfg.RedisPrefix
	}
	var out, stderr bytes.Buffer
	// run registers each flag set's usage in a package-level map without a
	// lock, so two runs at once race: parallel tests take turns here.
	seedMu.Lock()
	code := run(context.Background(), []string{"seed", "demo", "--json"}, func(k string) string { return env[k] }, &out, &stderr)
	seedMu.Unlock()
	if code != 0 {
		t.Fatalf("seed: exit %d: %s", code, stderr.String())
	}
	var demo tenants.Demo
	if err := json.Unmarshal(out.Bytes(), &demo); err != nil {
		t.Fatalf("seed output: %v", err)
	}
	return demo
}

// startAuthServer seeds the demonstration data with `opsward seed demo
// --json` and starts the real Main on the same database.
func startAuthServer(t *testing.T, adjust ...func(*platform.Config)) *authServer {
	t.Helper()
	cfg := testConfig(t)
	for _, f := range adjust {
		f(&cfg)
	}
	s := &authServer{logs: &syncBuffer{}, demo: seedDemoCmd(t, cfg)}
	s.m = startMainLogging(t, cfg, io.MultiWriter(testLogWriter{t}, s.logs))
	s.base = s.m.URL()
	raw, err := os.ReadFile(filepath.Join(cfg.DataDir, "jwt-keys.json"))
	if err != nil {
		t.Fatalf("the server's key ring: %v", err)
	}
	if s.ring, err = authn.ParseKeyRing(raw); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *authServer) user(t *testing.T, tenant tenants.DemoTenant, role string) tenants.DemoCredential {
	t.Helper()
	for _, u := range tenant.Users {
		if string(u.Role) == role {
			return u
		}
	}
	t.Fatalf("no %s in %s", role, tenant.Slug)
	return tenants.DemoCredential{}
}

// call sends a JSON body (nil: none) with headers and returns the status
// and the decoded JSON answer.
func call(t *testing.T, method, url string, body any, headers map[string]string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: status %d, body is not JSON: %q", method, url, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

func (s *authServer) login(t *testing.T, c tenants.DemoCredential, tenantID string) tenants.Tokens {
	t.Helper()
	status, body := call(t, http.MethodPost, s.base+"/auth/login",
		map[string]string{"email": c.Email, "password": c.Password, "tenantId": tenantID}, nil)
	if status != http.StatusOK {
		t.Fatalf("login %s: %d %v", c.Email, status, body)
	}
	return tenants.Tokens{AccessToken: body["accessToken"].(string), RefreshToken: body["refreshToken"].(string),
		TenantID: body["tenantId"].(string), SessionID: body["sessionId"].(string)}
}

const viewerQuery = `{ viewer { actingTenant { id slug } roles } }`

// graphql posts query with an Authorization header (and a tenant header
// when tenantID is set).
func (s *authServer) graphql(t *testing.T, auth, tenantID, query string) (int, map[string]any) {
	t.Helper()
	h := map[string]string{}
	if auth != "" {
		h["Authorization"] = auth
	}
	if tenantID != "" {
		h[httpapi.TenantHeader] = tenantID
	}
	return call(t, http.MethodPost, s.base+"/graphql", map[string]any{"query": query}, h)
}

// wantRefused fails unless the answer is 401 with a JSON error whose
// message holds want.
func wantRefused(t *testing.T, what string, status int, body map[string]any, want string) {
	t.Helper()
	if status != http.StatusUnauthorized {
		t.Errorf("%s: status %d (%v), want 401", what, status, body)
		return
	}
	e, _ := body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if e["code"] != "unauthenticated" || !strings.Contains(msg, want) {
		t.Errorf("%s: error %v, want code unauthenticated and a message with %q", what, body, want)
	}
}

// claimsFor returns valid access claims for a user of the server, to be
// spoiled by each attack.
func claimsFor(tok tenants.Tokens, userID string) *authn.AccessClaims {
	now := time.Now()
	return &authn.AccessClaims{
		TenantID:  tok.TenantID,
		SessionID: tok.SessionID,
		Roles:     []string{"admin"},
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    authn.DefaultTokenIssuer,
			Subject:   userID,
			Audience:  jwt.ClaimStrings{authn.DefaultTokenAudience},
			ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        "forged-" + tok.SessionID,
		},
	}
}

func sign(t *testing.T, method jwt.SigningMethod, kid string, c jwt.Claims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	tok.Header["typ"] = "at+jwt"
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every classic JWT attack is refused with 401 and a message saying what
// is wrong, on /graphql and on /auth/logout.
func TestJWTAttacksAreRefused(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	acme, globex := s.demo.Customers[0], s.demo.Customers[1]
	admin := s.user(t, acme, "admin")
	tok := s.login(t, admin, "")
	if status, body := s.graphql(t, "Bearer "+tok.AccessToken, "", viewerQuery); status != 200 || body["errors"] != nil {
		t.Fatalf("the genuine token: %d %v", status, body)
	}

	// The server's public key, as anyone can read it.
	status, jwks := call(t, http.MethodGet, s.base+"/.well-known/jwks.json", nil, nil)
	keys, _ := jwks["keys"].([]any)
	if status != 200 || len(keys) == 0 {
		t.Fatalf("jwks: %d %v", status, jwks)
	}
	jwk := keys[0].(map[string]any)
	kid, _ := jwk["kid"].(string)
	pub, err := base64.RawURLEncoding.DecodeString(jwk["x"].(string))
	if err != nil || len(pub) != ed25519.PublicKeySize || kid != s.ring.Active().ID {
		t.Fatalf("jwks key %v (%v), server key %s", jwk, err, s.ring.Active().ID)
	}
	real := s.ring.Active().Private
	_, mine, _ := ed25519.GenerateKey(rand.Reader)

	good := func() *authn.AccessClaims { return claimsFor(tok, admin.UserID) }
	// The forging itself works: the same claims signed with the server's
	// key are accepted, so each refusal below is the attack's doing.
	if status, body := s.graphql(t, "Bearer "+sign(t, jwt.SigningMethodEdDSA, kid, good(), real), "", viewerQuery); status != 200 || body["errors"] != nil {
		t.Fatalf("claims signed with the server's key are refused (%d %v): the attacks below would prove nothing", status, body)
	}

	tampered := func() string {
		parts := strings.Split(tok.AccessToken, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(payload, &m)
		m["tid"] = globex.ID
		b, _ := json.Marshal(m)
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
	}

	past := time.Now().Add(-2 * time.Hour)
	attacks := []struct {
		name  string
		token string
		want  string
	}{
		{"alg none", func() string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodNone, good()).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}(), "algorithm"},
		{"HS256 keyed with the public key", sign(t, jwt.SigningMethodHS256, kid, good(), pub), "algorithm"},
		{"unknown kid", sign(t, jwt.SigningMethodEdDSA, "no-such-key", good(), mine), "unknown signing key"},
		{"no kid", sign(t, jwt.SigningMethodEdDSA, "", good(), real), "key id"},
		{"the server's kid, another key", sign(t, jwt.SigningMethodEdDSA, kid, good(), mine), "signature"},
		{"expired", func() string {
			c := good()
			c.IssuedAt, c.NotBefore, c.ExpiresAt = jwt.NewNumericDate(past), jwt.NewNumericDate(past), jwt.NewNumericDate(past.Add(15*time.Minute))
			return sign(t, jwt.SigningMethodEdDSA, kid, c, real)
		}(), "expired"},
		{"not yet valid", func() string {
			c := good()
			c.NotBefore = jwt.NewNumericDate(time.Now().Add(10 * time.Minute))
			return sign(t, jwt.SigningMethodEdDSA, kid, c, real)
		}(), "not valid yet"},
		{"wrong issuer", func() string {
			c := good()
			c.Issuer = "https://evil.example"
			return sign(t, jwt.SigningMethodEdDSA, kid, c, real)
		}(), "wrong issuer"},
		{"wrong audience", func() string {
			c := good()
			c.Audience = jwt.ClaimStrings{"another-api"}
			return sign(t, jwt.SigningMethodEdDSA, kid, c, real)
		}(), "wrong audience"},
		{"tampered payload (tid of another tenant)", tampered(), "signature"},
		{"garbage", "not.a.token", "malformed"},
	}
	for _, a := range attacks {
		status, body := s.graphql(t, "Bearer "+a.token, "", viewerQuery)
		wantRefused(t, a.name+" on /graphql", status, body, a.want)
		status, body = call(t, http.MethodPost, s.base+"/auth/logout", nil, map[string]string{"Authorization": "Bearer " + a.token})
		wantRefused(t, a.name+" on /auth/logout", status, body, a.want)
	}

	// With the real key stolen, a token naming a tenant the user is no
	// member of still does not cross: the memberships decide.
	c := good()
	c.TenantID = globex.ID
	status, body := s.graphql(t, "Bearer "+sign(t, jwt.SigningMethodEdDSA, kid, c, real), "", viewerQuery)
	if status != http.StatusForbidden {
		t.Errorf("validly signed token for another tenant: %d %v, want 403", status, body)
	}

	// A revoked session: logout, then the access token is refused.
	tok2 := s.login(t, admin, "")
	if status, body := call(t, http.MethodPost, s.base+"/auth/logout", nil, map[string]string{"Authorization": "Bearer " + tok2.AccessToken}); status != http.StatusNoContent {
		t.Fatalf("logout: %d %v", status, body)
	}
	status, body = s.graphql(t, "Bearer "+tok2.AccessToken, "", viewerQuery)
	wantRefused(t, "access token of a logged-out session", status, body, "revoked")
	status, body = call(t, http.MethodPost, s.base+"/auth/refresh", map[string]string{"refreshToken": tok2.RefreshToken}, nil)
	wantRefused(t, "refresh token of a logged-out session", status, body, "log in again")

	// A reused refresh token: refused, and its whole family goes.
	tok3 := s.login(t, admin, "")
	status, first := call(t, http.MethodPost, s.base+"/auth/refresh", map[string]string{"refreshToken": tok3.RefreshToken}, nil)
	if status != http.StatusOK {
		t.Fatalf("first refresh: %d %v", status, first)
	}
	newAccess, newRefresh := first["accessToken"].(string), first["refreshToken"].(string)
	if status, body := s.graphql(t, "Bearer "+newAccess, "", viewerQuery); status != 200 || body["errors"] != nil {
		t.Fatalf("refreshed access token: %d %v", status, body)
	}
	status, body = call(t, http.MethodPost, s.base+"/auth/refresh", map[string]string{"refreshToken": tok3.RefreshToken}, nil)
	wantRefused(t, "reused refresh token", status, body, "already used")
	status, body = call(t, http.MethodPost, s.base+"/auth/refresh", map[string]string{"refreshToken": newRefresh}, nil)
	wantRefused(t, "the family's newer refresh token", status, body, "log in again")
	status, body = s.graphql(t, "Bearer "+newAccess, "", viewerQuery)
	wantRefused(t, "the family's newer access token", status, body, "revoked")

	// A logout needs credentials.
	status, body = call(t, http.MethodPost, s.base+"/auth/logout", nil, nil)
	wantRefused(t, "logout without credentials", status, body, "log out with")
}

// The acting tenant is chosen per request with X-Opsward-Tenant, always
// within the memberships.
func TestTenantHeader(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	acme, globex := s.demo.Customers[0], s.demo.Customers[1]
	admin := s.user(t, acme, "admin")
	owner := s.user(t, s.demo.Provider, "owner")

	adminTok := s.login(t, admin, "")
	for _, id := range []string{globex.ID, s.demo.Provider.ID, "ten_01notarealtenant000000000", "garbage"} {
		status, body := s.graphql(t, "Bearer "+adminTok.AccessToken, id, viewerQuery)
		if status != http.StatusForbidden {
			t.Errorf("customer admin with %s: %s: %d %v, want 403", httpapi.TenantHeader, id, status, body)
			continue
		}
		if e, _ := body["error"].(map[string]any); e["code"] != "forbidden" || e["message"] == "" {
			t.Errorf("customer admin with %s: %s: error %v", httpapi.TenantHeader, id, body)
		}
	}
	// The customer's API key cannot be pointed elsewhere either.
	status, body := s.graphql(t, "Bearer "+acme.APIKey.Secret, globex.ID, viewerQuery)
	if status != http.StatusForbidden {
		t.Errorf("customer API key with the header set to a sibling: %d %v, want 403", status, body)
	}

	ownerTok := s.login(t, owner, "")
	status, body = s.graphql(t, "Bearer "+ownerTok.AccessToken, acme.ID, viewerQuery)
	if status != 200 || body["errors"] != nil {
		t.Fatalf("provider owner acting on a customer: %d %v", status, body)
	}
	v := body["data"].(map[string]any)["viewer"].(map[string]any)
	if slug := v["actingTenant"].(map[string]any)["slug"]; slug != acme.Slug {
		t.Fatalf("provider owner with the header set to %s acts on %v", acme.Slug, slug)
	}
	if roles, _ := v["roles"].([]any); len(roles) == 0 || !strings.EqualFold(roles[0].(string), "owner") {
		t.Fatalf("provider owner's roles on the customer: %v", v["roles"])
	}
	// Without the header, the token's own tenant.
	status, body = s.graphql(t, "Bearer "+ownerTok.AccessToken, "", viewerQuery)
	if status != 200 || body["data"].(map[string]any)["viewer"].(map[string]any)["actingTenant"].(map[string]any)["slug"] != s.demo.Provider.Slug {
		t.Fatalf("provider owner without the header: %d %v", status, body)
	}
}

// A GraphQL WebSocket authenticates from its connection_init payload.
func TestWebSocketAuthentication(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	tok := s.login(t, s.user(t, acme, "admin"), "")
	wsURL := "ws" + strings.TrimPrefix(s.base, "http") + "/graphql"

	open := func(payload map[string]any) (*websocket.Conn, map[string]any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": payload}); err != nil {
			t.Fatal(err)
		}
		var msg map[string]any
		err = wsjson.Read(ctx, c, &msg)
		return c, msg, err
	}

	c, msg, err := open(map[string]any{"Authorization": "Bearer " + tok.AccessToken})
	if err != nil || msg["type"] != "connection_ack" {
		t.Fatalf("valid token: %v %v", msg, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": viewerQuery}}); err != nil {
		t.Fatal(err)
	}
	for {
		var m map[string]any
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatalf("viewer over the socket: %v", err)
		}
		if m["type"] == "ping" {
			continue
		}
		if m["type"] != "next" {
			t.Fatalf("viewer over the socket: %v", m)
		}
		data, _ := m["payload"].(map[string]any)["data"].(map[string]any)
		v, _ := data["viewer"].(map[string]any)
		if v == nil || v["actingTenant"].(map[string]any)["slug"] != acme.Slug {
			t.Fatalf("the socket does not act as the token's user: %v", m)
		}
		break
	}
	c.Close(websocket.StatusNormalClosure, "")

	for name, payload := range map[string]map[string]any{
		"bad token":           {"Authorization": "Bearer " + tok.AccessToken[:len(tok.AccessToken)-6] + "AAAAAA"},
		"unknown API key":     {"Authorization": "Bearer opw_notakey_000000000000000000000000"},
		"not a bearer":        {"Authorization": "Basic dXNlcjpwYXNz"},
		"tenant not a member": {"Authorization": "Bearer " + tok.AccessToken, httpapi.TenantHeader: s.demo.Customers[1].ID},
	} {
		c, msg, err := open(payload)
		if err == nil && msg["type"] == "connection_ack" {
			t.Errorf("%s: the socket was acknowledged", name)
		}
		// The server closes the socket instead of acknowledging it.
		if err == nil || websocket.CloseStatus(err) != 4403 {
			t.Errorf("%s: want the socket closed by the server with 4403, got message %v, error %v", name, msg, err)
		}
		c.CloseNow()
	}
}

// BenchmarkServerInfoCredentials measures `{ serverInfo { version } }`
// through the real Main in the embedded default, without credentials, with
// an access token and with an API key. Run it with -cpuprofile to see
// where authentication spends its time; bench/auth measures the same over
// real connections against the opsward binary.
func BenchmarkServerInfoCredentials(b *testing.B) {
	dir := b.TempDir()
	env := map[string]string{"OPSWARD_HTTP_ADDR": "127.0.0.1:0", "OPSWARD_DATA_DIR": dir, "OPSWARD_LOG_LEVEL": "warn", "OPSWARD_DEMO": "off"}
	getenv := func(k string) string { return env[k] }
	var out, stderr bytes.Buffer
	if code := run(context.Background(), []string{"seed", "demo", "--json"}, getenv, &out, &stderr); code != 0 {
		b.Fatalf("seed: %s", stderr.String())
	}
	var demo tenants.Demo
	if err := json.Unmarshal(out.Bytes(), &demo); err != nil {
		b.Fatal(err)
	}
	cfg, err := platform.Load(getenv, nil)
	if err != nil {
		b.Fatal(err)
	}
	m := NewMain(cfg, AllRoles, io.Discard, io.Discard)
	if err := m.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	var admin tenants.DemoCredential
	for _, u := range demo.Customers[0].Users {
		if u.Role == "admin" {
			admin = u
		}
	}
	lb, _ := json.Marshal(map[string]string{"email": admin.Email, "password": admin.Password})
	resp, err := http.Post(m.URL()+"/auth/login", "application/json", bytes.NewReader(lb))
	if err != nil {
		b.Fatal(err)
	}
	var tok tenants.Tokens
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		b.Fatalf("login: %s", resp.Status)
	}
	body := []byte(`{"query":"{ serverInfo { version } }"}`)
	for _, v := range []struct{ name, auth string }{
		{"none", ""}, {"jwt", "Bearer " + tok.AccessToken}, {"apikey", "Bearer " + demo.Customers[0].APIKey.Secret},
	} {
		b.Run(v.name, func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, m.URL()+"/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					if v.auth != "" {
						req.Header.Set("Authorization", v.auth)
					}
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s: status %d", v.name, resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
