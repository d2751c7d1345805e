package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// A Sigma rule of the global library, on Windows process creation.
const mimikatzRule = `title: Mimikatz command line
id: 6d1ad7ad-7d5c-4c5e-9a3c-0b7c1f1c2a11
status: test
description: Detects mimikatz keywords on a process command line.
author: Opsward tests
level: high
tags:
  - attack.credential-access
  - attack.t1003.001
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains:
      - 'sekurlsa::logonpasswords'
      - 'mimikatz'
  condition: selection
`

func evtx(host, user, cmd string) string {
	ev := map[string]any{"Event": map[string]any{
		"System": map[string]any{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
			"Provider_Name": "Microsoft-Windows-Sysmon", "Computer": host,
			"TimeCreated": map[string]any{"SystemTime": time.Now().UTC().Format(time.RFC3339Nano)}},
		"EventData": map[string]any{"Image": `C:\Windows\System32\cmd.exe`, "CommandLine": cmd, "User": user,
			"ParentImage": `C:\Windows\explorer.exe`}}}
	b, _ := json.Marshal(ev)
	return string(b)
}

// Events sent over HTTP and over syslog (the real logger client) arrive
// normalised, stored for the tenant they are bound to, and examined by
// the rule library; matches become deduplicated alerts that show the
// rule's author. Bad batches and batches over the plan are refused whole.
func TestSOCIngestAndDetection(t *testing.T) {
	if _, err := exec.LookPath("logger"); err != nil {
		t.Skip("logger (util-linux) is not installed")
	}
	s := startAuthServer(t, func(c *platform.Config) {
		c.SyslogUDP, c.SyslogTCP = []string{"127.0.0.1:0"}, []string{"127.0.0.1:0"}
	})
	acme, globex := s.demo.Customers[0], s.demo.Customers[1]
	owner := "Bearer " + s.login(t, s.user(t, s.demo.Provider, "owner"), "").AccessToken
	acmeAdmin := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	globexAdmin := "Bearer " + s.login(t, s.user(t, globex, "admin"), "").AccessToken
	gql := func(auth, q string, vars map[string]any) map[string]any {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if errs, _ := out["errors"].([]any); len(errs) > 0 {
			t.Fatalf("%s: %v", firstWord(q), errs)
		}
		return out
	}

	// The MSP adds a rule to the global library; customers run it.
	r := gql(owner, `mutation($y: String!) { saveDetectionRule(input: {yaml: $y}) { rule { id global author } userErrors { field message } } }`,
		map[string]any{"y": mimikatzRule})
	if g, _ := dig(r, "data", "saveDetectionRule", "rule", "global").(bool); !g {
		t.Fatalf("saveDetectionRule: %v", r)
	}
	// A customer may not change the global library.
	r = gql(acmeAdmin, `mutation($y: String!) { saveDetectionRule(input: {yaml: $y, tenantId: "`+s.demo.Provider.ID+`"}) { rule { id } userErrors { field message } } }`,
		map[string]any{"y": mimikatzRule})
	if dig(r, "data", "saveDetectionRule", "rule") != nil {
		t.Fatalf("a customer wrote a global rule: %v", r)
	}

	ingest := func(body []byte, gz bool) (int, map[string]any) {
		t.Helper()
		if gz {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(body)
			w.Close()
			body = b.Bytes()
		}
		req, _ := http.NewRequest(http.MethodPost, s.base+"/ingest/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+acme.APIKey.Secret)
		req.Header.Set("Content-Type", "application/x-ndjson")
		if gz {
			req.Header.Set("Content-Encoding", "gzip")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	batch := strings.Join([]string{
		evtx("ws-7", `ACME\bob`, `mimikatz.exe "sekurlsa::logonpasswords" exit`),
		evtx("ws-7", `ACME\bob`, `C:\temp\mimikatz.exe privilege::debug`),
		evtx("ws-9", `ACME\ann`, `notepad.exe report.txt`),
	}, "\n")
	status, out := ingest([]byte(batch), true)
	if status != http.StatusAccepted || out["accepted"] != float64(3) || out["alerts"] != float64(1) {
		t.Fatalf("ingest: %d %v", status, out)
	}
	// Two matches on one host and user: one alert, counted twice.
	r = gql(acmeAdmin, `{ alerts(first: 10, where: {ruleId: "6d1ad7ad-7d5c-4c5e-9a3c-0b7c1f1c2a11"}) { edges { node { id title severity count ruleAuthor tags eventIds tenantId rule { ruleId title author } events { hostName processExecutable fields } } } } }`, nil)
	edges, _ := dig(r, "data", "alerts", "edges").([]any)
	if len(edges) != 1 {
		t.Fatalf("alerts: %v", r)
	}
	al := dig(edges[0], "node").(map[string]any)
	evs, _ := al["events"].([]any)
	if al["count"] != float64(2) || al["ruleAuthor"] != "Opsward tests" || (al["severity"] != "high" && al["severity"] != "HIGH") || len(evs) != 2 ||
		dig(evs[0], "hostName") != "ws-7" {
		t.Fatalf("alert: %v", al)
	}
	// The rule that raised it is the library's, which the customer reads.
	if dig(al, "rule", "ruleId") != "6d1ad7ad-7d5c-4c5e-9a3c-0b7c1f1c2a11" || dig(al, "rule", "title") != "Mimikatz command line" ||
		dig(al, "rule", "author") != "Opsward tests" {
		t.Fatalf("alert's rule: %v", al["rule"])
	}
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	countEvents := func(auth string) int {
		r := gql(auth, `query($f: Time!, $t: Time!) { securityEvents(from: $f, to: $t, first: 100) { nodes { id tenantId } } }`, map[string]any{"f": from, "t": to})
		nodes, _ := dig(r, "data", "securityEvents", "nodes").([]any)
		return len(nodes)
	}
	if countEvents(acmeAdmin) != 3 || countEvents(globexAdmin) != 0 {
		t.Fatalf("stored events: acme %d, globex %d", countEvents(acmeAdmin), countEvents(globexAdmin))
	}
	// A bad line refuses the batch whole, naming it.
	status, out = ingest([]byte(evtx("h", "u", "x")+"\n{not json\n"), false)
	if status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(dig(out, "error", "message")), "line 2") || countEvents(acmeAdmin) != 3 {
		t.Fatalf("bad batch: %d %v", status, out)
	}
	// Over the plan (essentials: 50 events/s, 500 per 10 s): 429, nothing stored.
	var big []string
	for i := 0; i < 501; i++ {
		big = append(big, `{"message":"flood","host":{"name":"h"}}`)
	}
	status, out = ingest([]byte(strings.Join(big, "\n")), false)
	if status != http.StatusTooManyRequests || !strings.Contains(fmt.Sprint(dig(out, "error", "message")), "events per second") || countEvents(acmeAdmin) != 3 {
		t.Fatalf("over the plan: %d %v", status, out)
	}
	// Without the scope: a viewer may not send events.
	req, _ := http.NewRequest(http.MethodPost, s.base+"/ingest/events", strings.NewReader(`{"message":"x"}`))
	req.Header.Set("Authorization", "Bearer "+s.login(t, s.user(t, acme, "viewer"), "").AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a viewer sends events: %v %v", resp.StatusCode, err)
	}

	// Syslog. Before any source is registered, messages are dropped and counted.
	udp := s.m.Syslog.Addrs("udp")[0].(*net.UDPAddr)
	tcp := s.m.Syslog.Addrs("tcp")[0].(*net.TCPAddr)
	logger := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("logger", args...).CombinedOutput(); err != nil {
			t.Fatalf("logger %v: %v %s", args, err, out)
		}
	}
	logger("--server", "127.0.0.1", "--port", fmt.Sprint(udp.Port), "--udp", "--rfc5424", "-t", "sshd", "nobody claims this")
	eventually(t, 10*time.Second, "the unclaimed message is counted", func() bool { return s.m.Syslog.Stats().Total().Unclaimed >= 1 })
	// acme's devices send from 127.0.0.1; globex's carry a token.
	r = gql(acmeAdmin, `mutation { createLogSource(input: {name: "branch firewall", cidrs: ["127.0.0.1"]}) { logSource { id } userErrors { field message } } }`, nil)
	if dig(r, "data", "createLogSource", "logSource", "id") == nil {
		t.Fatalf("createLogSource: %v", r)
	}
	r = gql(globexAdmin, `mutation { createLogSource(input: {name: "dc", newToken: true}) { logSource { id hasToken } token userErrors { field message } } }`, nil)
	token, _ := dig(r, "data", "createLogSource", "token").(string)
	if token == "" {
		t.Fatalf("createLogSource with a token: %v", r)
	}
	logger("--server", "127.0.0.1", "--port", fmt.Sprint(udp.Port), "--udp", "--rfc5424", "-t", "sshd",
		"Failed password for invalid user admin from 203.0.113.9 port 52211 ssh2")
	logger("--server", "127.0.0.1", "--port", fmt.Sprint(tcp.Port), "--tcp", "--octet-count", "--rfc5424", "-t", "app",
		"--sd-id", "opsward@32473", "--sd-param", `token="`+token+`"`, "globex application started")
	byText := func(auth, text string) []any {
		r := gql(auth, `query($f: Time!, $t: Time!, $x: String) { securityEvents(from: $f, to: $t, text: $x, first: 10) { nodes { tenantId userName sourceIp fields original } } }`,
			map[string]any{"f": from, "t": to, "x": text})
		nodes, _ := dig(r, "data", "securityEvents", "nodes").([]any)
		return nodes
	}
	eventually(t, 15*time.Second, "the syslog messages are stored", func() bool {
		return len(byText(acmeAdmin, "Failed password")) == 1 && len(byText(globexAdmin, "application started")) == 1
	})
	ssh := byText(acmeAdmin, "Failed password")[0].(map[string]any)
	if ssh["userName"] != "admin" || ssh["sourceIp"] != "203.0.113.9" || ssh["tenantId"] != acme.ID {
		t.Fatalf("the sshd message is not normalised: %v", ssh)
	}
	if len(byText(acmeAdmin, "application started")) != 0 || len(byText(globexAdmin, "Failed password")) != 0 {
		t.Fatal("a syslog message reached the wrong tenant")
	}
	if strings.Contains(fmt.Sprint(byText(globexAdmin, "application started")[0]), token) {
		t.Fatal("the source token is stored in clear")
	}
	// The MSP sees the counters.
	r = gql(owner, `{ ingestStats { syslogReceived syslogAccepted syslogUnclaimed eventsStored } }`, nil)
	if u, _ := dig(r, "data", "ingestStats", "syslogUnclaimed").(float64); u < 1 {
		t.Fatalf("ingestStats: %v", r)
	}
	_ = io.Discard
}

// The rule library: a rule's new text is its next version; a tenant turns
// a global rule off for itself alone; testDetectionRule shows what would
// match; a correlation rule of a tenant fires over global rules' matches.
func TestRuleLibrary(t *testing.T) {
	s := startAuthServer(t)
	acme, globex := s.demo.Customers[0], s.demo.Customers[1]
	owner := "Bearer " + s.login(t, s.user(t, s.demo.Provider, "owner"), "").AccessToken
	acmeAdmin := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	gql := func(auth, q string, vars map[string]any) map[string]any {
		t.Helper()
		_, body := s.graphqlVars(t, auth, q, vars)
		if errs, _ := body["errors"].([]any); len(errs) > 0 {
			t.Fatalf("%s: %v", firstWord(q), errs)
		}
		return body
	}
	save := func(auth, yaml string) map[string]any {
		t.Helper()
		r := gql(auth, `mutation($y: String!) { saveDetectionRule(input: {yaml: $y}) { rule { id version enabledForMe } userErrors { field message } } }`, map[string]any{"y": yaml})
		return dig(r, "data", "saveDetectionRule").(map[string]any)
	}
	first := save(owner, mimikatzRule)
	id := dig(first, "rule", "id").(string)
	second := save(owner, strings.Replace(mimikatzRule, "level: high", "level: critical", 1))
	if dig(second, "rule", "id") != id || dig(second, "rule", "version") != float64(2) {
		t.Fatalf("a new text is the next version: %v then %v", first, second)
	}
	if ue := dig(save(owner, "title: x\nlogsource: {product: windows}\n"), "userErrors").([]any); len(ue) == 0 {
		t.Fatal("a rule without detection was accepted")
	}
	r := gql(acmeAdmin, `mutation($y: String!, $e: [JSON!]!) { testDetectionRule(rule: $y, events: $e) { ruleId matches error } }`,
		map[string]any{"y": mimikatzRule, "e": []any{
			json.RawMessage(evtx("h", "u", "mimikatz.exe")), json.RawMessage(evtx("h", "u", "calc.exe"))}})
	if m, _ := dig(r, "data", "testDetectionRule", "matches").([]any); len(m) != 1 || m[0] != float64(0) {
		t.Fatalf("testDetectionRule: %v", r)
	}
	send := func(key string, evs ...string) float64 {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.base+"/ingest/events", strings.NewReader(strings.Join(evs, "\n")))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("ingest: %d %v", resp.StatusCode, out)
		}
		return out["alerts"].(float64)
	}
	// acme turns the global rule off for itself; globex still runs it.
	r = gql(acmeAdmin, `mutation($id: ID!) { setDetectionRuleEnabled(id: $id, enabled: false) { rule { enabledForMe } userErrors { message } } }`, map[string]any{"id": id})
	if dig(r, "data", "setDetectionRuleEnabled", "rule", "enabledForMe") != false {
		t.Fatalf("override: %v", r)
	}
	if n := send(acme.APIKey.Secret, evtx("a1", "u", "mimikatz.exe")); n != 0 {
		t.Fatalf("acme turned the rule off and still got %v alerts", n)
	}
	if n := send(globex.APIKey.Secret, evtx("g1", "u", "mimikatz.exe")); n != 1 {
		t.Fatalf("globex runs the global rule: %v alerts", n)
	}
	gql(acmeAdmin, `mutation($id: ID!) { setDetectionRuleEnabled(id: $id, enabled: true) { userErrors { message } } }`, map[string]any{"id": id})
	// acme's own correlation over the global rule: three on one host within 5 minutes.
	corr := `title: Repeated mimikatz on one host
id: 3c2b1a09-8f7e-4d6c-b5a4-938271605f4e
author: acme SOC
level: critical
correlation:
  type: event_count
  rules:
    - 6d1ad7ad-7d5c-4c5e-9a3c-0b7c1f1c2a11
  group-by:
    - Computer
  timespan: 5m
  condition:
    gte: 3
`
	if ue := dig(save(acmeAdmin, corr), "userErrors").([]any); len(ue) > 0 {
		t.Fatalf("save the correlation: %v", ue)
	}
	send(acme.APIKey.Secret, evtx("c1", "u", "mimikatz.exe"), evtx("c1", "u", "mimikatz.exe"))
	send(acme.APIKey.Secret, evtx("c1", "u", "mimikatz.exe"))
	r = gql(acmeAdmin, `{ alerts(first: 20, where: {ruleId: "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e"}) { edges { node { title ruleAuthor severity } } } }`, nil)
	if e, _ := dig(r, "data", "alerts", "edges").([]any); len(e) != 1 || dig(e[0], "node", "ruleAuthor") != "acme SOC" {
		t.Fatalf("the correlation alert: %v", r)
	}
}

func (s *authServer) graphqlVars(t *testing.T, auth, query string, vars map[string]any) (int, map[string]any) {
	t.Helper()
	return call(t, http.MethodPost, s.base+"/graphql", map[string]any{"query": query, "variables": vars}, map[string]string{"Authorization": auth})
}

// A STIX bundle imported into a tenant's intel list makes its indicators
// match at ingest; the indicator alert starts a playbook that adds the
// value to a block list, which the External Dynamic List then serves.
func TestIntelPlaybookAndEDL(t *testing.T) {
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	admin := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	gql := func(q string, vars map[string]any) map[string]any {
		t.Helper()
		_, body := s.graphqlVars(t, admin, q, vars)
		if errs, _ := body["errors"].([]any); len(errs) > 0 {
			t.Fatalf("%s: %v", firstWord(q), errs)
		}
		return body
	}
	r := gql(`mutation { createIndicatorList(input: {name: "threat feed", kind: "intel"}) { list { id } userErrors { message } } }`, nil)
	intelID, _ := dig(r, "data", "createIndicatorList", "list", "id").(string)
	r = gql(`mutation { createIndicatorList(input: {name: "perimeter block", kind: "blocklist"}) { list { id edlPath } edlToken userErrors { message } } }`, nil)
	blockID, _ := dig(r, "data", "createIndicatorList", "list", "id").(string)
	token, _ := dig(r, "data", "createIndicatorList", "edlToken").(string)
	if intelID == "" || blockID == "" || token == "" {
		t.Fatalf("lists: %v", r)
	}
	bundle := `{"type":"bundle","id":"bundle--1","objects":[
	  {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z",
	   "name":"C2 server","pattern":"[ipv4-addr:value = '203.0.113.77']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z","confidence":90},
	  {"type":"indicator","spec_version":"2.1","id":"indicator--1b2c3d4e-0000-4cbf-938f-98ee46b3cd40","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z",
	   "pattern":"[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.example']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"}]}`
	r = gql(`mutation($l: ID!, $b: String!) { importStixBundle(listId: $l, bundle: $b, source: "partner") { imported rejected { objectId reason } userErrors { message } } }`,
		map[string]any{"l": intelID, "b": bundle})
	if dig(r, "data", "importStixBundle", "imported") != float64(1) || len(dig(r, "data", "importStixBundle", "rejected").([]any)) != 1 {
		t.Fatalf("STIX import: %v", r)
	}
	r = gql(`mutation($in: PlaybookInput!) { createPlaybook(input: $in) { playbook { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"name": "block C2", "trigger": map[string]any{"sources": []any{"indicator"}},
			"steps": []any{map[string]any{"type": "block_indicator", "list_id": blockID, "field": "indicator"}}}})
	if dig(r, "data", "createPlaybook", "playbook", "id") == nil {
		t.Fatalf("createPlaybook: %v", r)
	}
	// The matcher is rebuilt when lists change; wait until it knows the value.
	var alerts float64
	eventually(t, 20*time.Second, "the indicator matches at ingest", func() bool {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/ingest/events",
			strings.NewReader(`{"@timestamp":"`+time.Now().UTC().Format(time.RFC3339)+`","source":{"ip":"10.1.1.5"},"destination":{"ip":"203.0.113.77","port":443},"event":{"category":["network"]}}`))
		req.Header.Set("Authorization", "Bearer "+acme.APIKey.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		alerts, _ = out["alerts"].(float64)
		return alerts >= 1
	})
	// The playbook runs as a job; then the EDL serves the value.
	eventually(t, 30*time.Second, "the EDL serves the blocked value", func() bool {
		resp, err := http.Get(s.base + "/edl/" + blockID + ".txt?token=" + token)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200 && strings.Contains(string(b), "203.0.113.77")
	})
	resp, err := http.Get(s.base + "/edl/" + blockID + ".txt?token=wrong")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Fatal("the EDL answered a wrong token")
	}
	r = gql(`{ playbookRuns(first: 5) { edges { node { status log } } } }`, nil)
	if e, _ := dig(r, "data", "playbookRuns", "edges").([]any); len(e) == 0 || dig(e[0], "node", "status") != "succeeded" {
		t.Fatalf("playbook runs: %v", r)
	}
}

// opsward rules import loads a folder into the global library, refusing
// each broken rule with its reason; importing again changes nothing.
func TestRulesImportCommand(t *testing.T) {
	cfg := testConfig(t)
	env := map[string]string{"OPSWARD_DATA_DIR": cfg.DataDir, "OPSWARD_LOG_LEVEL": "warn", "OPSWARD_DEMO": "off"}
	if !cfg.Embedded() {
		env["OPSWARD_DATABASE_URL"], env["OPSWARD_REDIS_URL"], env["OPSWARD_REDIS_PREFIX"] = cfg.DatabaseURL, cfg.RedisURL, cfg.RedisPrefix
	}
	getenv := func(k string) string { return env[k] }
	seedMu.Lock()
	code := run(context.Background(), []string{"seed", "demo"}, getenv, io.Discard, io.Discard)
	seedMu.Unlock()
	if code != 0 {
		t.Fatalf("seed: exit %d", code)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "windows"), 0o755)
	os.WriteFile(filepath.Join(dir, "windows", "mimikatz.yml"), []byte(mimikatzRule), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("title: broken\nid: 1\nlogsource: {product: windows}\ndetection:\n  condition: nothing\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a rule"), 0o644)
	importRules := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errs bytes.Buffer
		if code := run(context.Background(), append([]string{"rules", "import"}, args...), getenv, &out, &errs); code != want {
			t.Fatalf("rules import %v: exit %d, want %d: %s", args, code, want, errs.String())
		}
		return out.String(), errs.String()
	}
	// A refused rule fails the command, though the others are saved.
	out, errs := importRules(1, dir)
	if !strings.Contains(out, "2 files, 1 rules saved, 0 unchanged, 1 refused") || !strings.Contains(errs, "broken.yaml") || !strings.Contains(errs, "--allow-refused") {
		t.Fatalf("first import: %q / %q", out, errs)
	}
	// --allow-refused accepts a partial import.
	if out, errs = importRules(0, dir, "--allow-refused"); !strings.Contains(out, "0 rules saved, 1 unchanged, 1 refused") || !strings.Contains(errs, "broken.yaml") {
		t.Fatalf("second import: %q / %q", out, errs)
	}
	os.Remove(filepath.Join(dir, "broken.yaml"))
	if out, _ = importRules(0, dir); !strings.Contains(out, "0 rules saved, 1 unchanged, 0 refused") {
		t.Fatalf("third import: %q", out)
	}
	// A folder that is not there is the operator's mistake, named as such.
	missing := filepath.Join(dir, "no-such-folder")
	_, errs = importRules(1, missing)
	if !strings.Contains(errs, "there is no file or folder "+missing) || strings.Contains(errs, "internal error") {
		t.Fatalf("missing folder: %q", errs)
	}
}

// Alert subscribers hear of their own tenant's alerts.
func TestAlertSubscription(t *testing.T) {
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	auth := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	_, body := s.graphqlVars(t, auth, `{ alerts(first: 1) { edges { node { id } } } }`, nil)
	edges, _ := dig(body, "data", "alerts", "edges").([]any)
	if len(edges) != 1 {
		t.Fatalf("the demo alert: %v", body)
	}
	alertID := dig(edges[0], "node", "id").(string)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": auth}})
	var ack map[string]any
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack["type"] != "connection_ack" {
		t.Fatalf("init: %v %v", ack, err)
	}
	wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { alertUpdated { id status } }`}})
	msgs := make(chan map[string]any, 16)
	go func() {
		defer close(msgs)
		for {
			var m map[string]any
			if wsjson.Read(ctx, c, &m) != nil {
				return
			}
			if m["type"] != "ping" {
				msgs <- m
			}
		}
	}()
	for {
		s.graphqlVars(t, auth, `mutation($id: ID!) { acknowledgeAlert(id: $id) { userErrors { message } } }`, map[string]any{"id": alertID})
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatal("the subscription ended")
			}
			if dig(m, "payload", "data", "alertUpdated", "id") != alertID {
				t.Fatalf("alert event: %v", m)
			}
			return
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no alert event within 20s")
		}
	}
}

// A case through the API: opened from an alert, moved along, a task, a
// note, evidence whose reads enter its chain of custody, the timeline.
func TestCaseThroughTheAPI(t *testing.T) {
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	auth := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	gql := func(q string, vars map[string]any) map[string]any {
		t.Helper()
		_, body := s.graphqlVars(t, auth, q, vars)
		if errs, _ := body["errors"].([]any); len(errs) > 0 {
			t.Fatalf("%s: %v", firstWord(q), errs)
		}
		return body
	}
	// An alert first seen before the case is opened, added later: on the
	// timeline it comes before "opened", although its line is written after.
	seen := time.Now().Add(-20 * time.Second).UTC().Truncate(time.Millisecond)
	al, err := s.m.Client.Alert.Create().SetTenantID(acme.ID).SetSource("manual").SetTitle("Logon at night").
		SetSeverity("high").SetDedupKey("night-logon").SetFirstSeen(seen).SetLastSeen(seen).
		Save(tenants.Privileged(context.Background(), "test: an alert to put in a case"))
	if err != nil {
		t.Fatal(err)
	}
	r := gql(`mutation { createCase(input: {title: "Suspicious logons", severity: "high", description: "from the night shift"}) { case { id status severity } userErrors { field message } } }`, nil)
	id, _ := dig(r, "data", "createCase", "case", "id").(string)
	if id == "" {
		t.Fatalf("createCase: %v", r)
	}
	r = gql(`mutation($id: ID!) { setCaseStatus(id: $id, status: "triage") { case { status acknowledgedAt } userErrors { message } } }`, map[string]any{"id": id})
	if dig(r, "data", "setCaseStatus", "case", "acknowledgedAt") == nil {
		t.Fatalf("setCaseStatus: %v", r)
	}
	r = gql(`mutation($id: ID!) { setCaseStatus(id: $id, status: "new") { case { status } userErrors { field message } } }`, map[string]any{"id": id})
	if ue, _ := dig(r, "data", "setCaseStatus", "userErrors").([]any); len(ue) == 0 {
		t.Fatalf("a case went back to new: %v", r)
	}
	gql(`mutation($id: ID!) { addCaseNote(id: $id, text: "called the user") { userErrors { message } } }`, map[string]any{"id": id})
	r = gql(`mutation($id: ID!, $a: [ID!]!) { addAlertsToCase(id: $id, alertIds: $a) { userErrors { message } } }`, map[string]any{"id": id, "a": []string{al.ID}})
	if ue, _ := dig(r, "data", "addAlertsToCase", "userErrors").([]any); len(ue) > 0 {
		t.Fatalf("addAlertsToCase: %v", r)
	}
	gql(`mutation($id: ID!) { addCaseTask(caseId: $id, title: "reset the password") { task { id } userErrors { message } } }`, map[string]any{"id": id})
	content := "Nov 26 02:13:07 host sshd[811]: Accepted password for root from 198.51.100.66\n"
	r = gql(`mutation($id: ID!, $c: String!) { addEvidence(caseId: $id, name: "auth.log", contentType: "text/plain", contentBase64: $c) { evidence { id sha256 size } userErrors { message } } }`,
		map[string]any{"id": id, "c": base64.StdEncoding.EncodeToString([]byte(content))})
	ev, _ := dig(r, "data", "addEvidence", "evidence").(map[string]any)
	sum := sha256.Sum256([]byte(content))
	if ev == nil || ev["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("addEvidence: %v", r)
	}
	r = gql(`query($id: ID!) { evidenceContent(id: $id) { contentBase64 evidence { case { id } custody { action actorId sha256 } } } }`, map[string]any{"id": ev["id"]})
	got, _ := base64.StdEncoding.DecodeString(fmt.Sprint(dig(r, "data", "evidenceContent", "contentBase64")))
	custody, _ := dig(r, "data", "evidenceContent", "evidence", "custody").([]any)
	if string(got) != content || len(custody) != 2 || dig(custody[1], "action") != "read" ||
		dig(r, "data", "evidenceContent", "evidence", "case", "id") != id {
		t.Fatalf("evidenceContent: %v", r)
	}
	r = gql(`query($id: ID!) { node(id: $id) { ... on SecurityCase { status timeToAcknowledgeSeconds tasks { title } timeline(first: 20) { edges { node { kind message at refId } } } } } }`, map[string]any{"id": id})
	edges, _ := dig(r, "data", "node", "timeline", "edges").([]any)
	kinds := map[string]bool{}
	var last time.Time
	for k, e := range edges {
		kinds[fmt.Sprint(dig(e, "node", "kind"))] = true
		at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(dig(e, "node", "at")))
		if err != nil || at.Before(last) {
			t.Fatalf("timeline entry %d at %v (%v) comes after one at %v: %v", k, at, err, last, r)
		}
		last = at
	}
	if len(edges) == 0 || dig(edges[0], "node", "refId") != al.ID {
		t.Fatalf("the alert first seen before the case opened is not first on its timeline: %v", r)
	}
	for _, k := range []string{"status_change", "note", "task", "evidence", "alert"} {
		if !kinds[k] && !kinds[strings.ToUpper(k)] {
			t.Fatalf("timeline lacks %s: %v", k, r)
		}
	}
}
