package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/opsward/opsward/frontend"
	"github.com/opsward/opsward/internal/httpapi"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestPortalIsServedByTheBinary(t *testing.T) {
	m := startMain(t, testConfig(t))
	base := m.URL()
	index, err := fs.ReadFile(frontend.Dist(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	// The built page loads its scripts from files only: the CSP forbids
	// inline scripts, so one in the build would break the portal.
	if regexp.MustCompile(`<script(?:\s+type="module")?\s*>`).Match(index) || bytes.Contains(index, []byte("<script>")) {
		t.Fatalf("index.html has an inline script:\n%s", index)
	}
	asset := regexp.MustCompile(`/assets/[^"]+\.js`).Find(index)
	if asset == nil {
		t.Fatalf("index.html names no script asset:\n%s", index)
	}

	for _, path := range []string{"/", "/monitors/mon_01abc", "/status/acme"} {
		resp, body := get(t, base+path)
		if resp.StatusCode != http.StatusOK || body != string(index) {
			t.Errorf("GET %s: %d, want the portal's page", path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe-inline") {
			t.Errorf("GET %s: CSP %q", path, got)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, got)
		}
		if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q", path, got)
		}
	}

	resp, body := get(t, base+string(asset))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || len(body) == 0 {
		t.Errorf("GET %s: %d %s", asset, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
		t.Errorf("hashed asset Cache-Control %q, want a year, immutable", got)
	}

	// A missing file and an unknown API path are 404s, never the page.
	for _, path := range []string{"/assets/missing-0000.js", "/favicon-nope.png", "/auth/nope", "/graphqlx", "/ingest/nope"} {
		resp, body := get(t, base+path)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "<div id=\"root\">") {
			t.Errorf("GET %s: %d %q, want 404 without the page", path, resp.StatusCode, body)
		}
	}
	// The API's own routes still answer as before.
	if resp, _ := get(t, base+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
}

// cookieNamed returns the Set-Cookie of name in resp.
func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestPortalSessionCookieAndCSRF(t *testing.T) {
	s := startAuthServer(t)
	u := s.user(t, s.demo.Customers[0], "admin")
	post := func(path string, body any, h map[string]string, cookies ...*http.Cookie) (*http.Response, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, s.base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		for _, c := range cookies {
			if c != nil {
				req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &out)
		return resp, out
	}

	resp, body := post("/auth/login", map[string]string{"email": u.Email, "password": u.Password}, map[string]string{httpapi.SessionModeHeader: "cookie"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	if body["refreshToken"] != "" || body["accessToken"] == "" {
		t.Fatalf("cookie login body: refresh token %q must stay out of the body, access token %q in it", body["refreshToken"], body["accessToken"])
	}
	rc, cc := cookieNamed(resp, httpapi.RefreshCookie), cookieNamed(resp, httpapi.CSRFCookie)
	if rc == nil || cc == nil {
		t.Fatalf("login set cookies %v", resp.Cookies())
	}
	if !rc.HttpOnly || !rc.Secure || rc.SameSite != http.SameSiteStrictMode || rc.Path != "/auth" || rc.Value == "" {
		t.Fatalf("refresh cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/auth", rc)
	}
	if cc.HttpOnly || !cc.Secure || cc.SameSite != http.SameSiteStrictMode || len(cc.Value) < 20 {
		t.Fatalf("CSRF cookie %+v: want readable, Secure, SameSite=Strict, random", cc)
	}

	// Without the CSRF header, with a wrong one, or from another origin:
	// refused, and the cookie still works afterwards (nothing was spent).
	for name, h := range map[string]map[string]string{
		"no header":     {},
		"wrong header":  {httpapi.CSRFHeader: cc.Value + "x"},
		"other origin":  {httpapi.CSRFHeader: cc.Value, "Origin": "https://evil.example"},
		"empty header":  {httpapi.CSRFHeader: ""},
		"other's token": {httpapi.CSRFHeader: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
	} {
		resp, body := post("/auth/refresh", map[string]string{}, h, rc, cc)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("refresh, %s: %d %v, want 403", name, resp.StatusCode, body)
		}
	}

	resp, body = post("/auth/refresh", map[string]string{}, map[string]string{httpapi.CSRFHeader: cc.Value, "Origin": s.base}, rc, cc)
	if resp.StatusCode != http.StatusOK || body["accessToken"] == "" || body["refreshToken"] != "" {
		t.Fatalf("refresh with the CSRF token: %d %v", resp.StatusCode, body)
	}
	rc2, cc2 := cookieNamed(resp, httpapi.RefreshCookie), cookieNamed(resp, httpapi.CSRFCookie)
	if rc2 == nil || cc2 == nil || rc2.Value == rc.Value || cc2.Value == cc.Value {
		t.Fatalf("refresh must rotate both cookies: %v", resp.Cookies())
	}
	if status, out := s.graphql(t, "Bearer "+body["accessToken"].(string), "", viewerQuery); status != http.StatusOK || out["errors"] != nil {
		t.Fatalf("the refreshed access token: %d %v", status, out)
	}

	// The spent refresh token is refused and its cookies are cleared.
	resp, _ = post("/auth/refresh", map[string]string{}, map[string]string{httpapi.CSRFHeader: cc.Value}, rc, cc)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reused refresh cookie: %d, want 401", resp.StatusCode)
	}
	if c := cookieNamed(resp, httpapi.RefreshCookie); c == nil || c.MaxAge >= 0 {
		t.Fatalf("a refused refresh cookie must be cleared: %v", resp.Cookies())
	}

	// Logout through the cookie ends the session.
	resp, _ = post("/auth/logout", map[string]string{}, map[string]string{httpapi.CSRFHeader: cc2.Value}, rc2, cc2)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	resp, _ = post("/auth/refresh", map[string]string{}, map[string]string{httpapi.CSRFHeader: cc2.Value}, rc2, cc2)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("refresh after logout: %d, want 401", resp.StatusCode)
	}

	// A login without the cookie mode answers as before, for API clients.
	resp, body = post("/auth/login", map[string]string{"email": u.Email, "password": u.Password}, nil)
	if resp.StatusCode != http.StatusOK || body["refreshToken"] == "" || cookieNamed(resp, httpapi.RefreshCookie) != nil {
		t.Fatalf("plain login: %d, refresh token in body %v, cookies %v", resp.StatusCode, body["refreshToken"] != "", resp.Cookies())
	}
}

func TestStatusPageShowsOnlyWhatWasPublished(t *testing.T) {
	s := startAuthServer(t)
	acme, globex := s.demo.Customers[0], s.demo.Customers[1]
	if acme.Slug != "acme" || globex.Slug != "globex" {
		t.Fatalf("demo customers %s, %s", acme.Slug, globex.Slug)
	}
	aTok := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	vTok := "Bearer " + s.login(t, s.user(t, acme, "viewer"), "").AccessToken
	gTok := "Bearer " + s.login(t, s.user(t, globex, "admin"), "").AccessToken
	gql := func(auth, q string, vars map[string]any) map[string]any {
		t.Helper()
		status, out := call(t, http.MethodPost, s.base+"/graphql", map[string]any{"query": q, "variables": vars}, map[string]string{"Authorization": auth})
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", q, status, out)
		}
		return out
	}
	type mon struct{ ID, Name string }
	monitors := func(auth string) []mon {
		out := gql(auth, `{ monitors(first: 100) { edges { node { id name } } } }`, nil)
		var ms []mon
		for _, e := range out["data"].(map[string]any)["monitors"].(map[string]any)["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			ms = append(ms, mon{n["id"].(string), n["name"].(string)})
		}
		return ms
	}
	am, gm := monitors(aTok), monitors(gTok)
	// (The demonstration customers' monitors have the same names: ids
	// tell them apart.)
	if len(am) < 3 || am[1].Name == am[0].Name || len(gm) < 1 {
		t.Fatalf("demo monitors: acme %v, globex %v", am, gm)
	}
	const publish = `mutation($in: StatusPageInput!) { publishStatusPage(input: $in) { statusPage { id slug } userErrors { field message code } } }`
	userErrs := func(out map[string]any) []any {
		return out["data"].(map[string]any)["publishStatusPage"].(map[string]any)["userErrors"].([]any)
	}
	pageCount := func(auth string) int {
		out := gql(auth, `{ statusPages { totalCount } }`, nil)
		return int(out["data"].(map[string]any)["statusPages"].(map[string]any)["totalCount"].(float64))
	}

	// Bad input: a userError naming the field, and nothing written.
	for name, tc := range map[string]struct {
		auth  string
		in    map[string]any
		field string
	}{
		"bad slug":              {aTok, map[string]any{"slug": "Not A Slug!", "title": "x", "monitorIds": []string{am[0].ID}}, "slug"},
		"no title":              {aTok, map[string]any{"slug": "acme-x", "title": " ", "monitorIds": []string{am[0].ID}}, "title"},
		"no monitor":            {aTok, map[string]any{"slug": "acme-x", "title": "x", "monitorIds": []string{}}, "monitorIds"},
		"another's monitor":     {aTok, map[string]any{"slug": "acme-x", "title": "x", "monitorIds": []string{am[0].ID, gm[0].ID}}, "monitorIds"},
		"a made-up monitor":     {aTok, map[string]any{"slug": "acme-x", "title": "x", "monitorIds": []string{"mon_01aaaaaaaaaaaaaaaaaaaaaaaa"}}, "monitorIds"},
		"too long a slug (64)":  {aTok, map[string]any{"slug": strings.Repeat("a", 64), "title": "x", "monitorIds": []string{am[0].ID}}, "slug"},
		"a hyphen at the start": {aTok, map[string]any{"slug": "-acme", "title": "x", "monitorIds": []string{am[0].ID}}, "slug"},
	} {
		ue := userErrs(gql(tc.auth, publish, map[string]any{"in": tc.in}))
		if len(ue) != 1 || fmt.Sprint(ue[0].(map[string]any)["field"]) != fmt.Sprint([]any{"input", tc.field}) {
			t.Errorf("%s: userErrors %v, want one on input.%s", name, ue, tc.field)
		}
	}
	if n := pageCount(aTok); n != 0 {
		t.Fatalf("refused input wrote %d pages", n)
	}
	// A viewer may not publish.
	if out := gql(vTok, publish, map[string]any{"in": map[string]any{"slug": "acme-v", "title": "x", "monitorIds": []string{am[0].ID}}}); out["errors"] == nil {
		t.Fatalf("a viewer published: %v", out)
	}

	ok := gql(aTok, publish, map[string]any{"in": map[string]any{"slug": "acme-status", "title": "Acme service status", "monitorIds": []string{am[0].ID}}})
	if ue := userErrs(ok); len(ue) != 0 {
		t.Fatalf("publish: %v", ue)
	}
	// The slug is global: another tenant cannot take it, and learns only that.
	taken := userErrs(gql(gTok, publish, map[string]any{"in": map[string]any{"slug": "acme-status", "title": "mine", "monitorIds": []string{gm[0].ID}}}))
	if len(taken) != 1 || !strings.Contains(taken[0].(map[string]any)["message"].(string), "taken") {
		t.Fatalf("a taken slug: %v", taken)
	}
	if n := pageCount(gTok); n != 0 {
		t.Fatalf("globex sees %d status pages", n)
	}

	// Anyone reads the page, and it holds the published monitor only, with
	// none of the tenant's ids.
	resp, raw := get(t, s.base+"/public/status/acme-status")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("public page: %d %s", resp.StatusCode, raw)
	}
	var page struct {
		Title    string `json:"title"`
		Days     []string
		Monitors []struct {
			Name, Status string
			Uptime       []*float64
		}
		Incidents []map[string]any
	}
	if err := json.Unmarshal([]byte(raw), &page); err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	_ = json.Unmarshal([]byte(raw), &top)
	for k := range top {
		switch k {
		case "title", "days", "monitors", "incidents", "updatedAt":
		default:
			t.Errorf("the public page has a field %q", k)
		}
	}
	if page.Title != "Acme service status" || len(page.Monitors) != 1 || page.Monitors[0].Name != am[0].Name || len(page.Days) != 90 || len(page.Monitors[0].Uptime) != 90 {
		t.Fatalf("public page: %+v", page)
	}
	for _, leak := range []string{acme.ID, "ten_", "mon_", "inc_", "usr_", "stp_", am[1].Name, am[2].Name, acme.Slug + ".example"} {
		if strings.Contains(raw, leak) {
			t.Errorf("the public page shows %q: %s", leak, raw)
		}
	}
	// Unpublished or never published: not found.
	second := gql(aTok, publish, map[string]any{"in": map[string]any{"slug": "acme-second", "title": "Second", "monitorIds": []string{am[1].ID}}})
	id := second["data"].(map[string]any)["publishStatusPage"].(map[string]any)["statusPage"].(map[string]any)["id"].(string)
	if out := gql(gTok, `mutation($id: ID!) { unpublishStatusPage(id: $id) { userErrors { message } } }`, map[string]any{"id": id}); out["errors"] == nil {
		t.Fatalf("globex unpublished acme's page: %v", out)
	}
	gql(aTok, `mutation($id: ID!) { unpublishStatusPage(id: $id) { userErrors { message } } }`, map[string]any{"id": id})
	for _, slug := range []string{"acme-second", "no-such-page", "UPPER", "a"} {
		if resp, body := get(t, s.base+"/public/status/"+slug); resp.StatusCode != http.StatusNotFound {
			t.Errorf("/public/status/%s: %d %s, want 404", slug, resp.StatusCode, body)
		}
	}
}
