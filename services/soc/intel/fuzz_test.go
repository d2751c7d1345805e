package intel

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opsward/opsward"
)

// FuzzParseSTIXPattern: the parser never panics; what it accepts is a
// non-empty list of values in normal form (ParseValue is a fixed point on
// them); what it refuses comes with an error naming the pattern field.
func FuzzParseSTIXPattern(f *testing.F) {
	for _, s := range []string{
		"[ipv4-addr:value = '198.51.100.7']",
		"[ipv4-addr:value = '10.0.0.0/8' OR ipv6-addr:value = '2001:db8::/32']",
		"[domain-name:value = 'evil.example'] OR [url:value = 'http://evil.example/a\\'b']",
		"[file:hashes.'SHA-256' = '" + strings.Repeat("ab", 32) + "']",
		"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'x']",
		"([email-addr:value = 'a@b.example']) FOLLOWEDBY [domain-name:value = 'c.example'] WITHIN 5 SECONDS",
		"[url:value MATCHES '^x'] REPEATS 2 TIMES",
		"[file:hashes.MD5 = h'00ff']",
		"[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]",
		"[email-message:to_refs[*].value = 'x@y.example']",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		vals, err := ParseSTIXPattern(p)
		if err != nil {
			if vals != nil || opsward.ErrorField(err) != "pattern" {
				t.Fatalf("error %v with values %v", err, vals)
			}
			return
		}
		if len(vals) == 0 || len(vals) > maxPatternValues {
			t.Fatalf("accepted %q with %d values", p, len(vals))
		}
		for _, v := range vals {
			n, err := ParseValue(v.Kind, v.Value)
			if err != nil || n != v.Value {
				t.Fatalf("value %s %q is not in normal form: %q %v", v.Kind, v.Value, n, err)
			}
		}
	})
}

// FuzzImportSTIX: the importer never panics; every indicator it returns
// validates and comes from an indicator object; every rejection has a
// reason; the whole result builds a matcher without rejections, and each
// indicator is found again by Lookup at a time inside its window.
func FuzzImportSTIX(f *testing.F) {
	f.Add([]byte(testBundle))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix"}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = 'a.example']","confidence":-1,"labels":["x;y","X Y"]}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[null, 1, "x", {"type":"indicator"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := ImportSTIX(bytes.NewReader(doc), ImportOptions{MaxBytes: 1 << 20, MaxItems: 1000})
		if err != nil {
			if c := opsward.ErrorCode(err); res != nil || c != opsward.EINVALID && c != opsward.ELIMIT {
				t.Fatalf("error %v with a result", err)
			}
			return
		}
		for _, r := range res.Rejected {
			if r.Reason == "" || !utf8.ValidString(r.Reason) {
				t.Fatalf("rejection without a readable reason: %+v", r)
			}
		}
		for _, in := range res.Indicators {
			if err := in.Validate(); err != nil {
				t.Fatalf("imported %+v does not validate: %v", in, err)
			}
			if in.ID == "" {
				t.Fatalf("imported indicator without an id: %+v", in)
			}
		}
		checkMatcherFinds(t, res.Indicators)
	})
}

// FuzzImportCSV: as FuzzImportSTIX, for CSV; in addition every rejection
// names a line inside the file.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("type,value,confidence,tlp,expires,source,tags,description\nipv4,198.51.100.7,90,amber,2026-12-31,,c2;x,d\n,evil.example,,,,,,\nsha256,abc,,,,,,\n"))
	f.Add([]byte("TYPE,VALUE\nurl,HTTP://A.example:80\nemail,A@B.example\ncidr,10.1.2.3/8\nipv6,2001:db8::1\n"))
	f.Add([]byte("value,type,valid_from\n1.2.3.4,,2026-01-01\n\"x\"\"y\",domain,\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := ImportCSV(bytes.NewReader(doc), ImportOptions{MaxBytes: 1 << 20, MaxItems: 1000})
		if err != nil {
			if c := opsward.ErrorCode(err); res != nil || c != opsward.EINVALID && c != opsward.ELIMIT {
				t.Fatalf("error %v with a result", err)
			}
			return
		}
		lines := bytes.Count(doc, []byte("\n")) + 1
		for _, r := range res.Rejected {
			if r.Reason == "" || r.Line < 2 || r.Line > lines {
				t.Fatalf("rejection %+v outside the file's %d lines", r, lines)
			}
		}
		seen := map[string]bool{}
		for _, in := range res.Indicators {
			if err := in.Validate(); err != nil {
				t.Fatalf("imported %+v does not validate: %v", in, err)
			}
			k := string(in.Kind) + " " + in.Value
			if seen[k] {
				t.Fatalf("%s imported twice", k)
			}
			seen[k] = true
		}
		checkMatcherFinds(t, res.Indicators)
	})
}

// checkMatcherFinds builds a matcher from valid indicators and looks each
// one up: nothing may be rejected and nothing may be lost.
func checkMatcherFinds(t *testing.T, inds []Indicator) {
	t.Helper()
	m, rej := NewMatcher(inds)
	if len(rej) != 0 {
		t.Fatalf("valid indicators rejected by the matcher: %v", rej)
	}
	for _, in := range inds {
		at := t0
		if !in.ValidFrom.IsZero() {
			at = in.ValidFrom.Add(1e9)
		}
		if !in.Active(at) || at.Unix() <= 0 || at.Year() > 2100 {
			continue
		}
		value := in.Value
		if in.Kind == KindCIDR {
			value = value[:strings.IndexByte(value, '/')]
		}
		found := false
		for _, h := range m.Lookup(value, Scope{in.TenantID}, at) {
			if h.Indicator.ID == in.ID && h.Indicator.Kind == in.Kind && h.Indicator.Value == in.Value {
				found = true
			}
		}
		if !found && in.Kind != KindCIDR { // a CIDR can be shadowed by a longer one
			t.Fatalf("indicator %s %q not found by Lookup", in.Kind, in.Value)
		}
	}
}

// FuzzMatch: whatever a value is, Match and Lookup do not panic; normal
// forms are fixed points of ParseValue and Guess agrees with it; and a
// value that ParseValue accepts for a kind is found by Match in that
// kind's fields once its normal form is an indicator: the match path's
// own normalisers (stack buffers, no errors) must agree with ParseValue.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "::ffff:10.0.0.1", "fe80::1%eth0", "Evil.Example.", "*.evil.example",
		"HTTP://User@Evil.Example:80/a?b#c", "http://[2001:db8::1]:443/", "Bad@Evil.Example", strings.Repeat("A", 64), strings.Repeat("f", 40), strings.Repeat("0", 32)} {
		f.Add(s)
	}
	fields := map[Kind]string{KindIPv4: "source.ip", KindIPv6: "destination.ip", KindDomain: "dns.question.name", KindURL: "url.full",
		KindEmail: "email.from.address", KindSHA256: "file.hash.sha256", KindSHA1: "process.hash.sha1", KindMD5: "file.hash.md5"}
	f.Fuzz(func(t *testing.T, s string) {
		for k, field := range fields {
			v, err := ParseValue(k, s)
			if err != nil {
				continue
			}
			if again, err := ParseValue(k, v); err != nil || again != v {
				t.Fatalf("%s %q: normal form %q is not a fixed point (%q, %v)", k, s, v, again, err)
			}
			m, rej := NewMatcher([]Indicator{{ID: "x", Kind: k, Value: v}})
			if len(rej) != 0 {
				t.Fatalf("%s %q (from %q) rejected: %v", k, v, s, rej)
			}
			hits := m.Match(map[string]any{field: s}, nil, t0)
			if len(hits) != 1 || hits[0].Indicator.Value != v || hits[0].Value != s {
				t.Fatalf("%s %q in %s: hits %+v, want the indicator %q", k, s, field, hits, v)
			}
		}
		if k, v, err := Guess(s); err == nil {
			if pv, err := ParseValue(k, s); err != nil || pv != v {
				t.Fatalf("Guess(%q) = %s %q but ParseValue says %q, %v", s, k, v, pv, err)
			}
		}
		m, _ := NewMatcher(testIndicators())
		ev := map[string]any{}
		for _, fl := range matchFields {
			ev[fl.name] = s
		}
		m.Match(ev, Scope{"ten_a"}, t0)
		m.Lookup(s, nil, t0)
	})
}
