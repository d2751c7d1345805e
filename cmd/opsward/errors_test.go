package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Client mistakes come back as client errors that name the argument or
// input field with the input's own names, never as internal errors or
// as an object out of reach.
func TestClientMistakesNameTheField(t *testing.T) {
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	auth := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	gql := func(q string, vars map[string]any) map[string]any {
		t.Helper()
		_, body := s.graphqlVars(t, auth, q, vars)
		return body
	}
	r := gql(`mutation { createAsset(input: {name: "shop", kind: "website"}) { asset { id } userErrors { field message } } }`, nil)
	asset, _ := dig(r, "data", "createAsset", "asset", "id").(string)
	if asset == "" {
		t.Fatalf("createAsset: %v", r)
	}
	r = gql(`mutation { createCase(input: {title: "x", severity: "low"}) { case { id } userErrors { field message } } }`, nil)
	caseID, _ := dig(r, "data", "createCase", "case", "id").(string)
	if caseID == "" {
		t.Fatalf("createCase: %v", r)
	}

	// Empty IDs, in arguments, input fields and lists.
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"input field", `mutation { createMonitor(input: {assetId: "", name: "shop", kind: "http", settings: {url: "https://shop.example.com"}, intervalSeconds: 60}) { monitor { id } userErrors { field message } } }`, nil, "input.assetId"},
		{"argument", `{ node(id: "") { id } }`, nil, "id"},
		{"variable", `mutation($id: ID!) { deleteMonitor(id: $id) { userErrors { field message } } }`, map[string]any{"id": ""}, "id"},
		{"blank", `{ tenant(id: "  ") { id } }`, nil, "id"},
		{"list element", `mutation($id: ID!) { addAlertsToCase(id: $id, alertIds: [""]) { userErrors { field message } } }`, map[string]any{"id": caseID}, "alertIds[0]"},
	} {
		t.Run("empty id in "+tc.name, func(t *testing.T) {
			r := gql(tc.query, tc.vars)
			errs, _ := r["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", r)
			}
			msg, _ := dig(errs[0], "message").(string)
			if code := dig(errs[0], "extensions", "code"); code != "invalid" {
				t.Fatalf("code %v (message %q), want invalid", code, msg)
			}
			if f := dig(errs[0], "extensions", "field"); f != tc.field || !strings.Contains(msg, tc.field+" is empty") {
				t.Fatalf("field %v, message %q; want both to name %s", f, msg, tc.field)
			}
		})
	}

	// Arguments that do not decode (a cursor, a time) are refused before
	// any resolver runs; they are still the client's, named.
	for _, tc := range []struct {
		name, query string
		field, msg  string
	}{
		{"ent connection cursor", `{ monitors(after: "bm90IGEgY3Vyc29y") { totalCount } }`, "after", "not a cursor this API gave"},
		{"cursor that is not base64", `{ alerts(before: "%%%", last: 1) { totalCount } }`, "before", "not a cursor this API gave"},
		{"billing cursor", `{ priceBook(after: "x") { totalCount } }`, "after", "not a cursor this API gave"},
		{"time", `{ securityEvents(from: "yesterday", to: "2026-01-01T00:00:00Z") { endCursor } }`, "from", "from is not a valid Time"},
		{"billing time", `{ usageHistory(tenantId: "` + acme.ID + `", from: "yesterday", to: "2026-01-01T00:00:00Z") { totalCount } }`, "from", "from is not a valid Time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(tc.query, nil)
			errs, _ := r["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", r)
			}
			msg, _ := dig(errs[0], "message").(string)
			if code := dig(errs[0], "extensions", "code"); code != "invalid" || dig(errs[0], "extensions", "field") != tc.field || !strings.Contains(msg, tc.msg) {
				t.Fatalf("code %v, field %v, message %q; want invalid, %s, %q", code, dig(errs[0], "extensions", "field"), msg, tc.field, tc.msg)
			}
		})
	}

	// An empty escalation policy id is documented to clear it on update.
	r = gql(`mutation($a: ID!) { createMonitor(input: {assetId: $a, name: "shop", kind: "http", settings: {url: "https://93.184.215.14/"}, intervalSeconds: 300}) { monitor { id } userErrors { field message } } }`,
		map[string]any{"a": asset})
	mon, _ := dig(r, "data", "createMonitor", "monitor", "id").(string)
	if mon == "" {
		t.Fatalf("createMonitor: %v", r)
	}
	r = gql(`mutation($id: ID!) { updateMonitor(id: $id, input: {escalationPolicyId: ""}) { monitor { id } userErrors { field message } } }`, map[string]any{"id": mon})
	if errs, _ := r["errors"].([]any); len(errs) > 0 || dig(r, "data", "updateMonitor", "monitor", "id") != mon {
		t.Fatalf("clearing the escalation policy: %v", r)
	}

	// userErrors' paths use the input's names, not the domain's.
	start := time.Now().Add(time.Hour).UTC()
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		mutation    string
		field       string
	}{
		{"monitor interval", `mutation($a: ID!) { createMonitor(input: {assetId: $a, name: "x", kind: "http", settings: {url: "https://93.184.215.14/"}, intervalSeconds: 172800}) { userErrors { field message } } }`,
			map[string]any{"a": asset}, "createMonitor", "input.intervalSeconds"},
		{"monitor target the guard refuses", `mutation($a: ID!) { createMonitor(input: {assetId: $a, name: "x", kind: "http", settings: {url: "http://169.254.169.254/latest/meta-data/"}, intervalSeconds: 300}) { userErrors { field message } } }`,
			map[string]any{"a": asset}, "createMonitor", "input.settings.url"},
		{"monitor timeout", `mutation($id: ID!) { updateMonitor(id: $id, input: {timeoutMs: 5}) { userErrors { field message } } }`,
			map[string]any{"id": mon}, "updateMonitor", "input.timeoutMs"},
		{"window end", `mutation($s: Time!, $e: Time!) { createMaintenanceWindow(input: {name: "w", startsAt: $s, endsAt: $e}) { userErrors { field message } } }`,
			map[string]any{"s": start.Format(time.RFC3339), "e": start.Add(-time.Minute).Format(time.RFC3339)}, "createMaintenanceWindow", "input.endsAt"},
		{"channel severity", `mutation { createNotificationChannel(input: {name: "c", kind: "webhook", config: {url: "https://hooks.example.com/x", secret: "0123456789abcdef"}, minSeverity: "loud"}) { userErrors { field message } } }`,
			nil, "createNotificationChannel", "input.minSeverity"},
		{"channel secret", `mutation { createNotificationChannel(input: {name: "c", kind: "webhook", config: {url: "https://hooks.example.com/x", secret: "short"}}) { userErrors { field message } } }`,
			nil, "createNotificationChannel", "input.config.secret"},
		{"window time zone", `mutation { createMaintenanceWindow(input: {name: "w", recurrence: "daily", timezone: "Mars/Olympus", startTime: "02:00", durationSeconds: 600}) { userErrors { field message } } }`,
			nil, "createMaintenanceWindow", "input.timezone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(tc.query, tc.vars)
			ue, _ := dig(r, "data", tc.mutation, "userErrors").([]any)
			if len(ue) != 1 {
				t.Fatalf("want one user error, got %v", r)
			}
			var path []string
			for _, p := range dig(ue[0], "field").([]any) {
				path = append(path, fmt.Sprint(p))
			}
			if got := strings.Join(path, "."); got != tc.field {
				t.Fatalf("field %s (message %v), want %s", got, dig(ue[0], "message"), tc.field)
			}
		})
	}
}

// Every channel kind's settings are documented where integrators look:
// the description of the channel input's config.
func TestChannelSettingsAreDocumented(t *testing.T) {
	cfg := testConfig(t)
	cfg.GraphQLIntrospection = "on"
	m := startMain(t, cfg)
	_, r := postGraphQL(t, m.URL(), `{ __type(name: "NotificationChannelInput") { inputFields { name description } } }`, nil)
	fields, _ := dig(r.Data, "__type", "inputFields").([]any)
	if len(fields) == 0 {
		t.Fatalf("introspection: %+v", r)
	}
	var doc string
	for _, f := range fields {
		if f := f.(map[string]any); f["name"] == "config" {
			doc, _ = f["description"].(string)
		}
	}
	for _, want := range []string{"- email:", "`host` (required", "`from` (required", "`to` (required",
		"- webhook:", "`secret`* (required: 16 to 256 bytes)", "X-Opsward-Signature",
		"- slack: `webhook_url`*", "- teams: `webhook_url`*", "- pagerduty: `routing_key`*"} {
		if !strings.Contains(doc, want) {
			t.Errorf("NotificationChannelInput.config does not document %q:\n%s", want, doc)
		}
	}
}
