package probe

import (
	"encoding/json"
	"testing"
)

func TestJSONPath(t *testing.T) {
	t.Parallel()
	doc, err := decodeJSONValue([]byte(`{"a":{"b":[{"c":1},{"c":"x y"}],"k.e":true},"n":null,"big":12345678901234567890}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path  string
		op    string
		value string
		ok    bool
	}{
		{"$.a.b[0].c", "==", "1", true},
		{"$.a.b[0].c", "==", "1.0", true},
		{"$.a.b[0].c", ">=", "1", true},
		{"$.a.b[0].c", ">", "1", false},
		{"$.a.b[-1].c", "==", `"x y"`, true},
		{"$.a.b[1].c", "contains", `"x "`, true},
		{"$.a.b[2].c", "exists", "", false},
		{"$.a['k.e']", "==", "true", true},
		{`$["a"]["b"][0]`, "==", `{"c":1}`, true},
		{"$.n", "==", "null", true},
		{"$.n", "exists", "", true},
		{"$.missing", "not_exists", "", true},
		{"$.a.b", "!=", "[]", true},
		{"$.big", ">", "1e19", true},
		{"$.a.b[0].c", "<", `"2"`, false}, // compile error: needs a number
	}
	for _, c := range cases {
		a := JSONAssertion{Path: c.path, Op: c.op}
		if c.value != "" {
			a.Value = json.RawMessage(c.value)
		}
		if err := a.compile(); err != nil {
			if c.ok {
				t.Errorf("%s %s %s: compile: %v", c.path, c.op, c.value, err)
			}
			continue
		}
		if ok, msg := a.check(doc); ok != c.ok {
			t.Errorf("%s %s %s = %v (%s), want %v", c.path, c.op, c.value, ok, msg, c.ok)
		}
	}
	for _, bad := range []string{"", "a.b", "$.", "$..a", "$.a[", "$.a[x]", "$.*", "$[?(@.a)]", "$['a'", "$.a b"} {
		if _, err := parseJSONPath(bad); err == nil {
			t.Errorf("parseJSONPath(%q) accepted", bad)
		}
	}
}

func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$.a.b[0].c", "$['x'][-1]", "$", "$.a[", `$["q"]`} {
		f.Add(s, `{"a":{"b":[{"c":1}]},"x":[1,2]}`)
	}
	f.Fuzz(func(t *testing.T, path, body string) {
		p, err := parseJSONPath(path)
		if err != nil {
			return
		}
		if len(p) > maxPathSteps {
			t.Fatalf("%q has %d steps", path, len(p))
		}
		doc, err := decodeJSONValue([]byte(body))
		if err != nil {
			return
		}
		p.lookup(doc) // must not panic
	})
}
