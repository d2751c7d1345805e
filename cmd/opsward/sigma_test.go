package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/opsward/opsward/services/soc/sigma"
)

// sigmaShared is ../shared/sigma beside the module root, or "" (the test
// then skips, saying so).
func sigmaShared(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "sigma"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(p, "rules")); err != nil {
		msg := fmt.Sprintf("SigmaHQ library not found at %s (tests read it from ../shared/sigma beside the module root)", p)
		// One line whatever the verbosity: a skip alone shows only with -v.
		sigmaMissingOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "opsward: SKIPPED the sigma match tests on the SigmaHQ library: %s\n", msg)
		})
		t.Skip(msg)
	}
	return p
}

var sigmaMissingOnce sync.Once

type sigmaRun struct {
	code    int
	stdout  string
	stderr  string
	matches []struct {
		RuleID string `json:"rule_id"`
		Event  int    `json:"event"`
	}
}

func runSigmaCmd(t *testing.T, args ...string) sigmaRun {
	t.Helper()
	var out, errb bytes.Buffer
	r := sigmaRun{code: run(context.Background(), append([]string{"sigma", "match"}, args...), func(string) string { return "" }, &out, &errb)}
	r.stdout, r.stderr = out.String(), errb.String()
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if l == "" {
			continue
		}
		var m struct {
			RuleID string `json:"rule_id"`
			Event  int    `json:"event"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stdout line %q is not a match: %v", l, err)
		}
		r.matches = append(r.matches, m)
	}
	return r
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const sigmaTestRules = `title: Whoami
id: 00000000-0000-0000-0000-00000000000a
author: Opsward tests
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\whoami.exe'}
  condition: sel
---
title: Encoded PowerShell
id: 00000000-0000-0000-0000-00000000000b
author: Opsward tests
logsource: {product: windows, category: process_creation}
detection:
  sel: {CommandLine|windash|contains: ' -enc '}
  condition: sel
`

func TestSigmaMatchLayouts(t *testing.T) {
	dir := t.TempDir()
	rules := writeFile(t, dir, "rules/a/procs.yml", sigmaTestRules)
	// A refused rule beside the good ones: reported, and the rest run.
	writeFile(t, dir, "rules/b/bad.yaml", "title: bad\nlogsource: {product: windows}\ndetection:\n  s: {A|nope: 1}\n  condition: s\n")
	evtx := writeFile(t, dir, "evtx.json", `{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}}},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"}}}
{"Event":{"System":{"EventID":{"#text":1},"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\Windows\\System32\\cmd.exe"}}}
{"Event":{"System":{"EventID":11,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\x\\whoami.exe"}}}
{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\x\\whoami.exe","CommandLine":"powershell /enc AAAA"}}}`)
	flat := writeFile(t, dir, "flat.ndjson", `{"Image":"C:\\Windows\\System32\\whoami.exe"}
{"Image":"C:\\x\\calc.exe","CommandLine":"calc"}
{"CommandLine":"powershell -enc AAAA","Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1}
{"CommandLine":"powershell -enc AAAA","Channel":"Microsoft-Windows-Sysmon/Operational","EventID":11}
`)
	array := writeFile(t, dir, "array.json", `[
  {"Image":"C:\\Windows\\System32\\whoami.exe"},
  {"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"CommandLine":"x -enc y"}}}
]`)
	// Windows Security 4688: read through the engine's field mapping when
	// routed as Security, by its Channel or by --logsource.
	security := writeFile(t, dir, "security.ndjson", `{"Channel":"Security","EventID":4688,"NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami"}
{"EventID":4688,"NewProcessName":"C:\\Windows\\System32\\whoami.exe"}
`)
	a, b := "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
	cases := []struct {
		name   string
		args   []string
		events int
		want   string // rule:event ...
	}{
		// Event 2 is a file event: routing keeps it from a process_creation rule.
		{"evtx", []string{"--rules", dir + "/rules", "--events", evtx}, 4, a + ":0 " + a + ":3 " + b + ":3"},
		// Flat events are routed as ingest routes them: with a Channel and
		// an EventID as Windows events; without anything that names a
		// logsource they meet no rule of one.
		{"ndjson", []string{"--rules", dir + "/rules", "--events", flat}, 4, b + ":2"},
		{"array of both layouts", []string{"--rules", rules, "--events", array}, 2, b + ":1"},
		{"logsource by slashes", []string{"--rules", rules, "--events", flat, "--logsource", "windows/process_creation"}, 4, a + ":0 " + b + ":2 " + b + ":3"},
		// A fixed logsource that no rule has: nothing can match.
		{"logsource override", []string{"--rules", rules, "--events", flat, "--logsource", "product=windows,category=file_event"}, 4, ""},
		{"security 4688", []string{"--rules", rules, "--events", security}, 2, a + ":0"},
		{"security 4688 by logsource", []string{"--rules", rules, "--events", security, "--logsource", "product=windows,category=process_creation,service=security"}, 2, a + ":0 " + a + ":1"},
		{"logsource override fits", []string{"--rules", rules, "--events", evtx, "--logsource", "product=windows,category=process_creation"}, 4, a + ":0 " + a + ":2 " + a + ":3 " + b + ":3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runSigmaCmd(t, tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var got []string
			for _, m := range r.matches {
				got = append(got, m.RuleID+":"+itoa(m.Event))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("matches %q, want %q", g, tc.want)
			}
			if !strings.Contains(r.stderr, "events="+itoa(tc.events)+" ") {
				t.Errorf("summary does not count %d events: %s", tc.events, r.stderr)
			}
			if tc.args[1] == dir+"/rules" && !strings.Contains(r.stderr, "refused: "+dir+"/rules/b/bad.yaml") {
				t.Errorf("refused rule not reported with its file: %s", r.stderr)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSigmaMatchCorrelation(t *testing.T) {
	shared := sigmaShared(t)
	dir := t.TempDir()
	spec, err := os.ReadFile(filepath.Join(shared, "spec-examples", "correlation", "temporal_ordered.yml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "rules/corr.yml", string(spec)) // recon a, b, c in order within 5m per ComputerName and User
	var det strings.Builder
	for _, x := range []string{"a", "b", "c"} {
		det.WriteString("---\ntitle: recon " + x + "\nname: recon_cmd_" + x + "\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s: {CommandLine: recon_" + x + "}\n  condition: s\n")
	}
	writeFile(t, dir, "rules/recon.yml", det.String()[4:])
	ev := func(ts, cmd string) string {
		return `{"@timestamp":"2026-01-01T00:` + ts + `:00Z","ComputerName":"pc","User":"bob","CommandLine":"` + cmd + `"}` + "\n"
	}
	events := writeFile(t, dir, "events.ndjson",
		ev("00", "recon_c")+ev("01", "recon_b")+ev("02", "recon_a")+ // all three, wrong order
			ev("03", "recon_b")+ev("04", "recon_c")+ // a(2) b(3) c(4): fires at event 4
			ev("10", "recon_a")+ev("13", "recon_b")+ev("16", "recon_c")) // in order, but over 5m
	r := runSigmaCmd(t, "--rules", dir+"/rules", "--events", events, "--logsource", "windows/process_creation")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var fired []int
	for _, m := range r.matches {
		if m.RuleID == "Recon ordered" { // no id, no name: the title
			fired = append(fired, m.Event)
		}
	}
	if len(fired) != 1 || fired[0] != 4 {
		t.Fatalf("correlation fired at events %v, want [4]\n%s", fired, r.stdout)
	}
	if !strings.Contains(r.stderr, "correlations=1") {
		t.Errorf("summary: %s", r.stderr)
	}
	// A correlation naming a rule that is not loaded is refused, not fatal.
	writeFile(t, dir, "rules/orphan.yml", "title: orphan\nid: orphan\ncorrelation: {type: temporal, rules: [nope], group-by: [x], timespan: 1m}\n")
	r = runSigmaCmd(t, "--rules", dir+"/rules", "--events", events, "--logsource", "windows/process_creation")
	if r.code != 0 || !strings.Contains(r.stderr, "orphan.yml") || !strings.Contains(r.stderr, `"nope"`) {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

func TestSigmaMatchPlaceholder(t *testing.T) {
	dir := t.TempDir()
	rules := writeFile(t, dir, "p.yml", "title: p\nid: p1\nlogsource: {product: windows}\ndetection:\n  s: {Host|expand: '%servers%'}\n  condition: s\n")
	events := writeFile(t, dir, "e.json", `{"Host":"DC01"} {"Host":"ws1"}`)
	r := runSigmaCmd(t, "--rules", rules, "--events", events)
	if r.code != 0 || len(r.matches) != 0 || !strings.Contains(r.stderr, "refused: "+rules) || !strings.Contains(r.stderr, "%servers%") {
		t.Fatalf("unconfigured placeholder: exit %d %v %s", r.code, r.matches, r.stderr)
	}
	r = runSigmaCmd(t, "--rules", rules, "--events", events, "--placeholder", "servers=dc*,srv1", "--logsource", "windows")
	if r.code != 0 || len(r.matches) != 1 || r.matches[0].Event != 0 {
		t.Fatalf("with values: exit %d %v %s", r.code, r.matches, r.stderr)
	}
}

func TestSigmaMatchErrors(t *testing.T) {
	dir := t.TempDir()
	rules := writeFile(t, dir, "r.yml", sigmaTestRules)
	bad := writeFile(t, dir, "bad.ndjson", "{\"Image\":\"a\"}\n{\"Image\": \"b\",,}\n")
	notObj := writeFile(t, dir, "num.json", "{\"a\":1}\n42\n")
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad JSON", []string{"match", "--rules", rules, "--events", bad}, 1, bad + ": line 2, column 15"},
		{"not an object", []string{"match", "--rules", rules, "--events", notObj}, 1, "event 1 is not a JSON object"},
		{"missing events file", []string{"match", "--rules", rules, "--events", dir + "/none.json"}, 1, "--events " + dir + "/none.json: no such file"},
		{"missing rules", []string{"match", "--rules", dir + "/none", "--events", bad}, 1, "--rules " + dir + "/none: no such file"},
		{"bad flag", []string{"match", "--nope"}, 1, "flag provided but not defined"},
		{"bad logsource", []string{"match", "--rules", rules, "--events", bad, "--logsource", "os=x"}, 1, "unknown member"},
		{"no flags", []string{"match"}, 2, "--rules and --events are required"},
		{"no subcommand", nil, 2, "Usage: opsward sigma match"},
		{"unknown subcommand", []string{"grep"}, 2, "unknown subcommand"},
		{"help", []string{"match", "--help"}, 0, ""},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"sigma"}, tc.args...), func(string) string { return "" }, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%s: exit %d (want %d), stderr %q (want %q)", tc.name, code, tc.code, errb.String(), tc.msg)
		}
		if tc.name == "help" && !strings.Contains(out.String(), "-placeholder") {
			t.Errorf("help: %q", out.String())
		}
		if code == 1 && strings.Count(strings.TrimSpace(errb.String()), "\n") > 1 {
			t.Errorf("%s: want one error line (and the summary), got %q", tc.name, errb.String())
		}
	}
}

// TestSigmaMatchRegression runs every regression test of the shared
// SigmaHQ data through the command and requires the pass count of the
// engine itself on the same events.
func TestSigmaMatchRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the whole SigmaHQ library")
	}
	shared := sigmaShared(t)
	type tcase struct {
		ruleID      string
		first, n    int // the case's events in the combined file
		want        int
		description string
	}
	var cases []tcase
	var all bytes.Buffer
	var events []sigma.Event
	err := filepath.WalkDir(filepath.Join(shared, "regression_data"), func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || de.Name() != "info.yml" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var info struct {
			RuleMetadata []struct {
				ID string `yaml:"id"`
			} `yaml:"rule_metadata"`
			Tests []struct {
				Type       string `yaml:"type"`
				MatchCount int    `yaml:"match_count"`
				Path       string `yaml:"path"`
			} `yaml:"regression_tests_info"`
		}
		if err := yaml.Unmarshal(data, &info); err != nil {
			return err
		}
		if len(info.RuleMetadata) == 0 {
			return nil
		}
		for _, tc := range info.Tests {
			if tc.Type != "evtx" {
				continue
			}
			file := filepath.Join(filepath.Dir(p), strings.TrimSuffix(filepath.Base(tc.Path), ".evtx")+".json")
			body, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			c := tcase{ruleID: info.RuleMetadata[0].ID, first: len(events), want: max(tc.MatchCount, 1), description: file}
			if err := readEvents(bytes.NewReader(body), file, func(_ int, ev sigma.Event) error {
				events = append(events, ev)
				return nil
			}); err != nil {
				return err
			}
			c.n = len(events) - c.first
			cases = append(cases, c)
			all.Write(body)
			all.WriteByte('\n')
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(shared, "rules*"))

	// The engine's own count, as its regression test computes it.
	lib, _ := sigma.LoadDir(dirs...)
	set := sigma.Compile(lib, sigma.Config{})
	enginePassed := 0
	for _, c := range cases {
		got := 0
		for _, ev := range events[c.first : c.first+c.n] {
			for _, m := range set.Evaluate(toEvent(ev)) {
				if m.RuleID == c.ruleID {
					got++
					break
				}
			}
		}
		if got >= c.want {
			enginePassed++
		}
	}

	combined := writeFile(t, t.TempDir(), "regression.json", all.String())
	args := []string{"--events", combined}
	for _, d := range dirs {
		args = append(args, "--rules", d)
	}
	r := runSigmaCmd(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	hit := map[string]map[int]bool{}
	for _, m := range r.matches {
		if hit[m.RuleID] == nil {
			hit[m.RuleID] = map[int]bool{}
		}
		hit[m.RuleID][m.Event] = true
	}
	passed := 0
	for _, c := range cases {
		got := 0
		for i := c.first; i < c.first+c.n; i++ {
			if hit[c.ruleID][i] {
				got++
			}
		}
		if got >= c.want {
			passed++
		} else {
			t.Logf("FAIL %s: rule %s matched %d of %d events, want %d", c.description, c.ruleID, got, c.n, c.want)
		}
	}
	t.Logf("sigma match regression: passed=%d total=%d (engine: %d); %s", passed, len(cases), enginePassed, strings.TrimSpace(r.stderr[strings.LastIndex(strings.TrimSpace(r.stderr), "\n")+1:]))
	if len(cases) == 0 || passed != enginePassed {
		t.Errorf("the command passed %d of %d regression tests, the engine %d", passed, len(cases), enginePassed)
	}
}

// FuzzSigmaReadEvents: the events reader never panics, and a position it
// reports lies inside the input.
func FuzzSigmaReadEvents(f *testing.F) {
	for _, s := range []string{`{"a":1}`, "[{\"a\":1},\n{\"Event\":{\"System\":{\"EventID\":1}}}]", "{\"a\":\n1,,}", "[1]", "\xef\xbb\xbf{}", "[", "{} x", "[] {}", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := readEvents(bytes.NewReader(data), "f", func(int, sigma.Event) error { n++; return nil })
		if err == nil {
			return
		}
		var line, col int
		var off int64
		if _, serr := fmt.Sscanf(err.Error(), "f: line %d, column %d (byte %d)", &line, &col, &off); serr == nil {
			if line < 1 || col < 1 || off < 0 || off > int64(len(data)) {
				t.Fatalf("%q: position out of the input: %v", data, err)
			}
		}
	})
}

// A bad line far into a long file is still named by its line.
func TestSigmaReadEventsLongFile(t *testing.T) {
	var b strings.Builder
	for range 3*keepLines + 5 {
		b.WriteString("{\"a\":1}\n")
	}
	b.WriteString("{\"a\":,}\n")
	err := readEvents(strings.NewReader(b.String()), "long.ndjson", func(int, sigma.Event) error { return nil })
	want := "long.ndjson: line " + itoa(3*keepLines+6) + ", column 6 "
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}

// A rule whose condition is "not selection" on the fields of another
// product must not fire on every event: ordinary firewall and SSH events
// in flat NDJSON are routed as ingest routes them, so a Zeek RDP rule
// (after SigmaHQ's net_zeek_rdp_public_listener) meets only Zeek RDP logs.
func TestSigmaMatchNegatedRuleOfAnotherProduct(t *testing.T) {
	dir := t.TempDir()
	rules := writeFile(t, dir, "zeek_rdp.yml", `title: Publicly Accessible RDP Service
id: 1fc0809e-06bf-4de3-ad52-25e5263b7623
author: Josh Brower @DefensiveDepth
logsource: {product: zeek, service: rdp}
detection:
  selection:
    id.orig_h|cidr: ['::1/128', '10.0.0.0/8', '127.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10']
  condition: not selection
level: high
`)
	events := writeFile(t, dir, "mixed.ndjson", `{"@timestamp":"2026-12-01T10:00:00Z","src_ip":"203.0.113.7","dst_ip":"10.0.0.5","dst_port":443,"proto":"tcp","action":"allow"}
{"@timestamp":"2026-12-01T10:00:01Z","src_ip":"10.0.0.8","dst_ip":"198.51.100.2","dst_port":53,"proto":"udp","action":"deny"}
{"@timestamp":"2026-12-01T10:00:02Z","host":{"name":"web1","os":{"type":"linux"}},"process":{"name":"sshd"},"event":{"category":"authentication","outcome":"failure"},"user":{"name":"root"},"source":{"ip":"203.0.113.9"}}
{"@timestamp":"2026-12-01T10:00:03Z","message":"Accepted publickey for deploy from 10.0.0.3 port 50122 ssh2","process.name":"sshd","event.category":"authentication","event.outcome":"success","user.name":"deploy"}
{"ts":1764583204.1,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"198.51.100.77","id.orig_p":51000,"id.resp_h":"10.0.0.20","id.resp_p":3389,"cookie":"admin","security_protocol":"HYBRID"}
{"ts":1764583205.1,"uid":"CHhAvVGS1DHFjwGMa","id.orig_h":"10.0.0.9","id.orig_p":51001,"id.resp_h":"10.0.0.20","id.resp_p":3389,"cookie":"ops","security_protocol":"HYBRID"}
`)
	r := runSigmaCmd(t, "--rules", rules, "--events", events)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(r.matches) != 1 || r.matches[0].Event != 4 {
		t.Fatalf("matches %+v, want only event 4 (the Zeek RDP log from a public address)\n%s", r.matches, r.stderr)
	}
}

// An event ingest would refuse (over 64 KiB) is reported and skipped; the
// others are evaluated.
func TestSigmaMatchSkipsWhatIngestRefuses(t *testing.T) {
	dir := t.TempDir()
	rules := writeFile(t, dir, "r.yml", sigmaTestRules)
	big := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\x\\whoami.exe","pad":"` + strings.Repeat("x", 70<<10) + `"}`
	ok := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\x\\whoami.exe"}`
	events := writeFile(t, dir, "e.ndjson", big+"\n"+ok+"\n")
	r := runSigmaCmd(t, "--rules", rules, "--events", events)
	if r.code != 0 || len(r.matches) != 1 || r.matches[0].Event != 1 {
		t.Fatalf("exit %d, matches %+v: %s", r.code, r.matches, r.stderr)
	}
	if !strings.Contains(r.stderr, "skipped: "+events+": event 0: ") || !strings.Contains(r.stderr, "skipped=1 ") {
		t.Fatalf("the skipped event is not reported: %s", r.stderr)
	}
}
