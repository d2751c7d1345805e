package sigma

import (
	"testing"
)

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"a and not b", "1 of sel* or (all of them)", "not (a or b) and c", "x | count() > 5", "((a)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseCondition(s)
		if err != nil {
			return
		}
		// A parsed condition prints to a condition that parses to itself.
		again, err := ParseCondition(n.String())
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, n.String(), err)
		}
		if again.String() != n.String() {
			t.Fatalf("%q: %q then %q", s, n.String(), again.String())
		}
	})
}

func FuzzParseRule(f *testing.F) {
	f.Add([]byte("title: t\nlogsource: {product: x}\ndetection:\n  s: {A|contains|all: [a, b], B|re|i: 'x.*'}\n  k: [kw]\n  condition: s or k\n"))
	f.Add([]byte("title: t\ncorrelation: {type: value_count, rules: [a], group-by: [x], timespan: 1h, condition: {field: u, gte: 3}}\n"))
	f.Add([]byte("title: f\nlogsource: {product: x}\nfilter: {rules: [a], sel: {U|startswith: adm_}, condition: sel}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := Parse("fuzz.yml", data)
		if err != nil {
			return
		}
		rs := Compile(rules, Config{})
		// Whatever compiled must evaluate without panicking.
		rs.EvaluateIn(Event{"A": "ab", "B": "xyz", "x": 1}, []LogSource{{Product: "x"}})
	})
}
