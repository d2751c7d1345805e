package sigma

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// rule builds a one-rule set from a detection body (indented YAML).
func ruleSet(t *testing.T, detection string, cfg Config) *RuleSet {
	t.Helper()
	doc := "title: t\nid: r1\nauthor: someone\nlogsource: {product: test}\ndetection:\n" + detection
	rules, err := Parse("t.yml", []byte(doc))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, doc)
	}
	rs := Compile(rules, cfg)
	if len(rs.Refused) > 0 {
		t.Fatalf("compile: %v", rs.Refused[0].Err)
	}
	return rs
}

var testSource = []LogSource{{Product: "test"}}

func TestModifiersAndConditions(t *testing.T) {
	t.Parallel()
	type ev = Event
	cases := []struct {
		name string
		det  string
		cfg  Config
		yes  []ev
		no   []ev
	}{
		{"exact is case-insensitive", "  s: {Image: 'C:\\Windows\\cmd.exe'}\n  condition: s",
			Config{}, []ev{{"Image": `c:\windows\CMD.EXE`}}, []ev{{"Image": `c:\windows\cmd.exe2`}, {}}},
		{"contains", "  s: {CommandLine|contains: 'Invoke-'}\n  condition: s",
			Config{}, []ev{{"CommandLine": "x invoke-mimikatz"}}, []ev{{"CommandLine": "invoke"}}},
		{"startswith endswith", "  s:\n    A|startswith: ab\n    B|endswith: yz\n  condition: s",
			Config{}, []ev{{"A": "ABc", "B": "xYZ"}}, []ev{{"A": "cab", "B": "xyz"}, {"A": "ab", "B": "yza"}}},
		{"list is or, all is and", "  s: {C|contains: [a1, b2]}\n  t: {C|contains|all: [a1, b2]}\n  condition: s and t",
			Config{}, []ev{{"C": "b2 a1"}}, []ev{{"C": "a1"}}},
		{"wildcards", "  s: {F: 'a*c?e'}\n  condition: s",
			Config{}, []ev{{"F": "abbbcde"}, {"F": "ACxE"}, {"F": "acée"}}, []ev{{"F": "ace"}, {"F": "abcdef"}}},
		{"wildcard inside contains", "  s: {F|contains: 'net*user'}\n  condition: s",
			Config{}, []ev{{"F": "c:\\> net.exe user bob"}}, []ev{{"F": "user net"}}},
		{"escaped wildcards", "  s: {F: 'a\\*b\\?'}\n  condition: s",
			Config{}, []ev{{"F": "a*b?"}}, []ev{{"F": "axb?"}, {"F": "a*bc"}}},
		{"escaped backslash then wildcard", "  s: {F: 'c:\\\\*'}\n  condition: s",
			Config{}, []ev{{"F": `c:\temp`}}, []ev{{"F": `c:temp`}}},
		{"plain backslash", "  s: {F|endswith: '\\cmd.exe'}\n  condition: s",
			Config{}, []ev{{"F": `C:\x\cmd.exe`}}, []ev{{"F": `C:/x/cmd.exe`}}},
		{"cased", "  s: {F|cased: Secret}\n  condition: s",
			Config{}, []ev{{"F": "Secret"}}, []ev{{"F": "secret"}}},
		{"numbers match numbers and text", "  s: {EventID: [1, 4688]}\n  condition: s",
			Config{}, []ev{{"EventID": 1}, {"EventID": float64(4688)}, {"EventID": "4688"}}, []ev{{"EventID": 46880}}},
		{"null", "  s: {A: x}\n  f: {B: null}\n  condition: s and f",
			Config{}, []ev{{"A": "x"}, {"A": "x", "B": nil}}, []ev{{"A": "x", "B": ""}, {"A": "x", "B": "y"}}},
		{"not null", "  s: {A: x}\n  f: {B: null}\n  condition: s and not f",
			Config{}, []ev{{"A": "x", "B": "y"}, {"A": "x", "B": ""}}, []ev{{"A": "x"}}},
		{"empty value", "  s: {B: ''}\n  condition: s",
			Config{}, []ev{{"B": ""}}, []ev{{}, {"B": "x"}}},
		{"exists", "  s: {B|exists: true}\n  n: {C|exists: false}\n  condition: s and n",
			Config{}, []ev{{"B": nil}, {"B": ""}}, []ev{{}, {"B": 1, "C": 2}}},
		{"neq", "  s: {A|neq: [x, y]}\n  condition: s",
			Config{}, []ev{{"A": "z"}}, []ev{{"A": "X"}, {"A": "y"}, {}}},
		{"windash", "  s: {C|windash|contains: ' -enc '}\n  condition: s",
			Config{}, []ev{{"C": "ps -enc x"}, {"C": "ps /enc x"}, {"C": "ps –enc x"}, {"C": "ps —enc x"}, {"C": "ps ―enc x"}}, []ev{{"C": "ps +enc x"}, {"C": "ps enc x"}}},
		{"windash keeps inner dashes", "  s: {C|windash: 'a-b'}\n  condition: s",
			Config{}, []ev{{"C": "a-b"}}, []ev{{"C": "a/b"}}},
		{"re and flags", "  s: {C|re: '^Ab+c$'}\n  i: {D|re|i: 'x.y'}\n  condition: s and i",
			Config{}, []ev{{"C": "Abbc", "D": "X-Y"}}, []ev{{"C": "abbc", "D": "x-y"}, {"C": "Abbc", "D": "xy"}}},
		{"re m and s", "  m: {C|re|m: '^two$'}\n  s: {D|re|s: 'a.b'}\n  condition: m and s",
			Config{}, []ev{{"C": "one\ntwo\nthree", "D": "a\nb"}}, []ev{{"C": "one two", "D": "a\nb"}}},
		{"base64", "  s: {C|base64: 'cmd'}\n  condition: s",
			Config{}, []ev{{"C": "Y21k"}}, []ev{{"C": "x"}}},
		{"base64offset", "  s: {C|base64offset|contains: 'http://'}\n  condition: s", Config{},
			[]ev{{"C": b64("http://x")}, {"C": b64("ahttp://x")}, {"C": b64("abhttp://x")}}, []ev{{"C": b64("htp://x")}}},
		{"utf16 then base64offset", "  s: {C|wide|base64offset|contains: 'ping'}\n  condition: s", Config{},
			[]ev{{"C": b64(utf16le("xx ping y"))}, {"C": b64(utf16le("ping"))}}, []ev{{"C": b64("ping")}}},
		{"utf16le utf16be utf16", "  a: {A|utf16le: 'ab'}\n  b: {B|utf16be: 'ab'}\n  c: {C|utf16: 'ab'}\n  condition: all of them", Config{},
			[]ev{{"A": "a\x00b\x00", "B": "\x00a\x00b", "C": "\xff\xfea\x00b\x00"}}, []ev{{"A": "ab", "B": "\x00a\x00b", "C": "\xff\xfea\x00b\x00"}}},
		{"lt gte", "  s: {N|lt: 10}\n  t: {N|gte: 5}\n  condition: s and t",
			Config{}, []ev{{"N": 5}, {"N": "9.5"}}, []ev{{"N": 10}, {"N": 4}, {"N": "x"}}},
		{"gt lte", "  s: {N|gt: 1}\n  t: {N|lte: 2}\n  condition: s and t",
			Config{}, []ev{{"N": 2}}, []ev{{"N": 1}, {"N": 3}}},
		{"time parts", "  s: {T|hour: 3}\n  m: {T|month: 2}\n  d: {T|day: 28}\n  y: {T|year: 2026}\n  w: {T|week: 9}\n  i: {T|minute: 4}\n  condition: all of them",
			Config{}, []ev{{"T": "2026-02-28T03:04:05Z"}, {"T": time.Date(2026, 2, 28, 3, 4, 0, 0, time.UTC)}}, []ev{{"T": "2026-02-28T04:04:05Z"}, {"T": "nonsense"}}},
		{"time part compared", "  s: {T|hour|gte: 22}\n  condition: s",
			Config{}, []ev{{"T": "2026-02-28 23:00:00"}}, []ev{{"T": "2026-02-28 21:59:59"}}},
		{"cidr v4 and v6", "  s: {IP|cidr: ['10.0.0.0/8', 'fd00::/8', '192.168.1.1']}\n  condition: s",
			Config{}, []ev{{"IP": "10.1.2.3"}, {"IP": "fd12::1"}, {"IP": "192.168.1.1"}, {"IP": "::ffff:10.0.0.1"}}, []ev{{"IP": "11.0.0.1"}, {"IP": "fe80::1"}, {"IP": "x"}}},
		{"expand", "  s: {Host|expand: '%Servers%'}\n  condition: s",
			Config{Placeholders: map[string][]string{"Servers": {"srv*", "dc01"}}}, []ev{{"Host": "SRV12"}, {"Host": "dc01"}}, []ev{{"Host": "ws1"}}},
		{"expand escaped percent", "  s: {Host|expand: '\\%a%B%'}\n  condition: s",
			Config{Placeholders: map[string][]string{"B": {"1"}}}, []ev{{"Host": "%a1"}}, []ev{{"Host": "%a%B%"}}},
		{"unconfigured placeholder matches nothing when asked", "  s: {Host|expand: '%nope%'}\n  f: {A: x}\n  condition: f and not s",
			Config{UnknownPlaceholders: PlaceholderMatchNothing}, []ev{{"A": "x", "Host": "y"}}, []ev{{"A": "y"}}},
		{"fieldref", "  s: {A|fieldref: B}\n  condition: s",
			Config{}, []ev{{"A": "X", "B": "x"}}, []ev{{"A": "x", "B": "y"}, {"A": "x"}}},
		{"fieldref neq and endswith", "  s: {A|fieldref|neq: B}\n  e: {C|fieldref|endswith: B}\n  condition: s and e",
			Config{}, []ev{{"A": "1", "B": "2", "C": "x2"}}, []ev{{"A": "2", "B": "2", "C": "x2"}, {"A": "1", "B": "2", "C": "2x"}}},
		{"keywords", "  keywords: ['event::clear', 'sekurlsa']\n  condition: keywords",
			Config{}, []ev{{"Msg": "mimikatz # event::CLEAR"}, {"Other": "x sekurlsa y"}}, []ev{{"Msg": "event:clear"}}},
		{"keywords all", "  k:\n    '|all': [Oab, ' -ExternalUrl ']\n  condition: k",
			Config{}, []ev{{"A": "set-oabvirtualdirectory", "B": "x -externalurl y"}}, []ev{{"A": "oab"}}},
		{"keyword fields", "  k: [secret]\n  condition: k",
			Config{KeywordFields: []string{"message"}}, []ev{{"message": "a secret"}}, []ev{{"other": "a secret"}}},
		{"list of maps", "  s:\n    - A: x\n    - B|contains: y\n  condition: s",
			Config{}, []ev{{"A": "x"}, {"B": "ayb"}}, []ev{{"A": "xx"}}},
		{"1 of pattern", "  sel_a: {A: x}\n  sel_b: {B: y}\n  filter_1: {C: z}\n  condition: 1 of sel_* and not 1 of filter_*",
			Config{}, []ev{{"A": "x"}, {"B": "y"}}, []ev{{"A": "x", "C": "z"}, {"C": "z"}}},
		{"all of pattern", "  sel_a: {A: x}\n  sel_b: {B: y}\n  condition: all of sel_*",
			Config{}, []ev{{"A": "x", "B": "y"}}, []ev{{"A": "x"}}},
		{"1 of them skips underscores", "  a: {A: x}\n  _b: {B: y}\n  condition: 1 of them",
			Config{}, []ev{{"A": "x"}}, []ev{{"B": "y"}}},
		{"all of them", "  a: {A: x}\n  b: {B: y}\n  condition: all of them",
			Config{}, []ev{{"A": "x", "B": "y"}}, []ev{{"B": "y"}}},
		{"precedence and parentheses", "  a: {A: 1}\n  b: {B: 1}\n  c: {C: 1}\n  condition: a or b and not c",
			Config{}, []ev{{"A": 1, "C": 1}, {"B": 1}}, []ev{{"B": 1, "C": 1}}},
		{"parentheses", "  a: {A: 1}\n  b: {B: 1}\n  c: {C: 1}\n  condition: (a or b) and not c",
			Config{}, []ev{{"B": 1}}, []ev{{"A": 1, "C": 1}}},
		{"condition list is or", "  a: {A: 1}\n  b: {B: 1}\n  condition:\n    - a\n    - b",
			Config{}, []ev{{"A": 1}, {"B": 1}}, []ev{{"C": 1}}},
		{"multi-line condition", "  a: {A: 1}\n  b: {B: 1}\n  condition: >\n    a and\n    not b",
			Config{}, []ev{{"A": 1}}, []ev{{"A": 1, "B": 1}}},
		{"list field values", "  s: {Tags|contains: evil}\n  condition: s",
			Config{}, []ev{{"Tags": []any{"good", "EVIL-x"}}}, []ev{{"Tags": []any{"good"}}}},
		{"nested lookup", "  s: {process.name: cmd.exe}\n  condition: s",
			Config{}, []ev{{"process.name": "cmd.exe"}, {"process": map[string]any{"name": "CMD.exe"}}}, []ev{{"process": "cmd.exe"}}},
		{"field mapping", "  s: {Image|endswith: '\\cmd.exe'}\n  condition: s",
			Config{FieldMappings: []FieldMapping{{LogSource: LogSource{Product: "test"}, Fields: map[string]string{"Image": "process.executable"}}}},
			[]ev{{"process.executable": `c:\cmd.exe`}}, []ev{{"Image": `c:\cmd.exe`}}},
	}
	for _, tc := range cases {
		for _, prefilter := range []bool{true, false} {
			cfg := tc.cfg
			cfg.DisablePrefilter = !prefilter
			rs := ruleSet(t, tc.det, cfg)
			for i, e := range tc.yes {
				if len(rs.EvaluateIn(e, testSource)) != 1 {
					t.Errorf("%s (prefilter %v): event %d %v should match", tc.name, prefilter, i, e)
				}
			}
			for i, e := range tc.no {
				if len(rs.EvaluateIn(e, testSource)) != 0 {
					t.Errorf("%s (prefilter %v): event %d %v should not match", tc.name, prefilter, i, e)
				}
			}
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func utf16le(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(0)
	}
	return b.String()
}

func TestMatchCarriesRuleMetadata(t *testing.T) {
	rules, err := Parse("m.yml", []byte(`title: Whoami
id: abc
author: Jane Doe
level: high
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
  s: {Image|endswith: '\whoami.exe'}
  condition: s
`))
	if err != nil {
		t.Fatal(err)
	}
	rs := Compile(rules, Config{})
	ms := rs.Evaluate(Event{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": `C:\Windows\System32\whoami.exe`})
	if len(ms) != 1 || ms[0].RuleID != "abc" || ms[0].Author != "Jane Doe" || ms[0].Level != "high" || len(ms[0].Tags) != 2 || ms[0].Title != "Whoami" {
		t.Fatalf("got %+v", ms)
	}
	// Routing: the same fields in a file event do not reach the rule.
	if ms := rs.Evaluate(Event{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 11, "Image": `C:\x\whoami.exe`}); len(ms) != 0 {
		t.Fatalf("routed to the wrong logsource: %+v", ms)
	}
	// Security 4688 is a process creation too.
	if ms := rs.Evaluate(Event{"Channel": "Security", "EventID": 4688, "Image": `C:\x\whoami.exe`}); len(ms) != 1 {
		t.Fatalf("4688 not routed to process_creation")
	}
}

func TestFilters(t *testing.T) {
	rules, err := Parse("f.yml", []byte(`title: Rar
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
author: x
logsource: {product: windows, category: process_creation}
detection:
  s: {Image|endswith: '\rar.exe'}
  condition: s
---
title: Filter Administrator account
logsource: {product: windows, category: process_creation}
filter:
  rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
  selection:
    User|startswith: 'adm_'
  condition: selection
`))
	if err != nil {
		t.Fatal(err)
	}
	if rules[1].Kind != KindFilter {
		t.Fatalf("kind %v", rules[1].Kind)
	}
	rs := Compile(rules, Config{})
	src := []LogSource{{Product: "windows", Category: "process_creation"}}
	if len(rs.EvaluateIn(Event{"Image": `c:\rar.exe`, "User": "bob"}, src)) != 1 {
		t.Fatal("rule should match a normal user")
	}
	if len(rs.EvaluateIn(Event{"Image": `c:\rar.exe`, "User": "adm_bob"}, src)) != 0 {
		t.Fatal("filter should suppress the administrator account")
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"no title":          "logsource: {product: x}\ndetection: {s: {A: 1}, condition: s}\n",
		"no condition":      "title: t\nlogsource: {product: x}\ndetection: {s: {A: 1}}\n",
		"bad condition":     "title: t\nlogsource: {product: x}\ndetection: {s: {A: 1}, condition: s and}\n",
		"aggregation":       "title: t\nlogsource: {product: x}\ndetection: {s: {A: 1}, condition: s | count() > 5}\n",
		"nested map value":  "title: t\nlogsource: {product: x}\ndetection: {s: {A: {B: 1}}, condition: s}\n",
		"bad corr type":     "title: t\ncorrelation: {type: nope, rules: [a], group-by: [x], timespan: 1h}\n",
		"bad timespan":      "title: t\ncorrelation: {type: temporal, rules: [a], group-by: [x], timespan: 1x}\n",
		"missing condition": "title: t\ncorrelation: {type: event_count, rules: [a], group-by: [x], timespan: 1h}\n",
		"missing field":     "title: t\ncorrelation: {type: value_sum, rules: [a], group-by: [x], timespan: 1h, condition: {gt: 1}}\n",
		"not yaml":          "title: [",
	}
	for name, doc := range cases {
		_, err := Parse("bad.yml", []byte(doc))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), "bad.yml") {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
	compileCases := map[string]string{
		"unknown modifier":  "  s: {A|nope: 1}\n  condition: s",
		"unknown search":    "  s: {A: 1}\n  condition: t",
		"bad regex":         "  s: {A|re: '(?<=x)y'}\n  condition: s",
		"bad cidr":          "  s: {A|cidr: 'x/33'}\n  condition: s",
		"lt needs number":   "  s: {A|lt: abc}\n  condition: s",
		"placeholder":       "  s: {A|expand: '%nope%'}\n  condition: s",
		"of matches none":   "  s: {A: 1}\n  condition: 1 of x*",
		"base64 wildcards":  "  s: {A|base64: 'a*'}\n  condition: s",
		"flag without re":   "  s: {A|i: x}\n  condition: s",
		"exists needs bool": "  s: {A|exists: x}\n  condition: s",
	}
	for name, det := range compileCases {
		rules, err := Parse("bad.yml", []byte("title: t\nlogsource: {product: x}\ndetection:\n"+det+"\n"))
		if err != nil {
			t.Errorf("%s: parse: %v", name, err)
			continue
		}
		rs := Compile(rules, Config{})
		if len(rs.Refused) != 1 || !strings.Contains(rs.Refused[0].Err.Error(), "bad.yml: detection.") {
			t.Errorf("%s: want one refusal naming file and field, got %v", name, rs.Refused)
		}
	}
}

func TestConditionParse(t *testing.T) {
	cases := map[string]string{
		"a or b and not c":           "(a or (b and not c))",
		"(a or b) and c":             "((a or b) and c)",
		"1 of sel* and not all of f": "(1 of sel* and not all of f)",
		"not not a":                  "not not a",
		"all of them":                "all of them",
		"a AND b":                    "(a and b)",
	}
	for in, want := range cases {
		n, err := ParseCondition(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := n.String(); got != want {
			t.Errorf("%q: got %s want %s", in, got, want)
		}
	}
	for _, bad := range []string{"", "a and", "(a", "a)", "sel*", "x of y", "a | count()", "of them", "a b"} {
		if _, err := ParseCondition(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestPatterns(t *testing.T) {
	cases := []struct {
		pat  string
		in   string
		want bool
	}{
		{"*", "", true}, {"", "", true}, {"", "a", false}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*a*b*", "xaxbx", true}, {"*a*b*", "xbxax", false}, {"a*a", "a", false}, {"a*a", "aa", true},
		{"*ab?", "xabab", false}, {"*ab?", "xabc", true}, {"?", "é", true}, {"a*?*b", "ab", false}, {"a*?*b", "axb", true},
	}
	for _, c := range cases {
		p := compilePattern(parseWildcards(c.pat), true)
		if got := p.match(c.in); got != c.want {
			t.Errorf("%q ~ %q: got %v want %v", c.pat, c.in, got, c.want)
		}
	}
}

func TestAhoCorasick(t *testing.T) {
	ac := newAC([]string{"he", "she", "his", "hers", "s"})
	got := map[int32]int{}
	ac.scan("ushers", func(p int32) { got[p]++ })
	want := map[int32]int{0: 1, 1: 1, 3: 1, 4: 2}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("got %v want %v", got, want)
		}
	}
	if got[2] != 0 {
		t.Fatalf("false hit: %v", got)
	}
}

// appendHits reports the same patterns as scan, each once per stamp, also
// for automata deeper than the flat tables and values with bytes in no
// pattern.
func TestAhoCorasickAppendHits(t *testing.T) {
	pats := []string{"he", "she", "his", "hers", "s", "\\windows\\system32\\", "system", "32\\c", ".exe", "é"}
	ac := newAC(pats)
	marks := make([]uint32, len(ac.fail))
	for stamp, in := range []string{"ushers", "c:\\windows\\system32\\cmd.exe", "xxhisyyéé", "", "\x00\xff.ex.exe"} {
		want := map[int32]bool{}
		ac.scan(in, func(p int32) { want[p] = true })
		got := map[int32]bool{}
		for _, p := range ac.appendHits(nil, in, marks, uint32(stamp+1)) {
			if got[p] {
				t.Fatalf("%q: pattern %d reported twice", in, p)
			}
			got[p] = true
		}
		if len(got) != len(want) {
			t.Fatalf("%q: got %v want %v", in, got, want)
		}
		for p := range want {
			if !got[p] {
				t.Fatalf("%q: got %v want %v", in, got, want)
			}
		}
		for i, p := range pats {
			if strings.Contains(in, p) != want[int32(i)] {
				t.Fatalf("%q: scan disagrees with strings.Contains on %q", in, p)
			}
		}
	}
}

// MatchesAnySource tries every rule whatever its logsource, for events whose
// logsource is unknown.
func TestMatchesAnySource(t *testing.T) {
	rules, err := Parse("any.yml", []byte(`title: a
id: a
logsource: {product: windows, category: process_creation}
detection: {s: {Image|endswith: '\whoami.exe'}, condition: s}
---
title: b
id: b
logsource: {product: linux, service: auditd}
detection: {s: {exe|contains: whoami}, condition: s}
---
title: c
id: c
logsource: {product: windows, service: security}
detection: {s: {EventID: 4625}, n: {User: bob}, condition: s and not n}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{{}, {DisablePrefilter: true}, {DisableRouting: true}} {
		rs := Compile(rules, cfg)
		var got []string
		rs.MatchesAnySource(Event{"Image": `C:\x\WHOAMI.exe`, "exe": "/usr/bin/whoami", "EventID": 4625}, func(m *Match) { got = append(got, m.RuleID) })
		if strings.Join(got, ",") != "a,b,c" {
			t.Errorf("%+v: got %v", cfg, got)
		}
		if ms := rs.Evaluate(Event{"Image": `C:\x\whoami.exe`}); len(ms) != 0 {
			t.Errorf("an event without a logsource is routed to no rule: %v", ms)
		}
	}
}

// appendHitsFold finds in a text what appendHits finds in the lower-cased
// text, and hands texts it cannot fold (non-ASCII) back to the caller.
func TestAhoCorasickFold(t *testing.T) {
	pats := []string{"\\windows\\system32\\", "cmd.exe", "é", "ß", "-enc", "x"}
	ac := newAC(pats)
	if !ac.lowerOnly || newAC([]string{"Abc"}).lowerOnly {
		t.Fatal("lowerOnly")
	}
	marks := make([]uint32, len(ac.fail))
	stamp := uint32(0)
	for _, in := range []string{"C:\\WINDOWS\\System32\\CMD.EXE -ENC", "", "ÉCOLE cmd.exe", "nothing", "STRASSE straße X"} {
		stamp++
		want := map[int32]bool{}
		for _, p := range ac.appendHits(nil, strings.ToLower(in), marks, stamp) {
			want[p] = true
		}
		stamp++
		got, ok := ac.appendHitsFold(nil, in, marks, stamp)
		if !ok {
			got = ac.appendHits(got, strings.ToLower(in), marks, stamp)
		}
		seen := map[int32]bool{}
		for _, p := range got {
			if seen[p] {
				t.Fatalf("%q: pattern %d twice", in, p)
			}
			seen[p] = true
		}
		if len(seen) != len(want) {
			t.Fatalf("%q: got %v want %v", in, seen, want)
		}
		for p := range want {
			if !seen[p] {
				t.Fatalf("%q: got %v want %v", in, seen, want)
			}
		}
	}
}
