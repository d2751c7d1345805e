package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// A JSONPath here is the subset monitors need: a root "$" followed by
// member names (".name" or "['name']") and array indexes ("[0]", "[-1]"
// from the end). Filters, wildcards and recursion are not supported: an
// assertion must name one value.
type jsonPath []pathStep

type pathStep struct {
	name  string
	index int
	isIdx bool
}

const maxPathSteps = 64

func parseJSONPath(s string) (jsonPath, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("must start with $")
	}
	var p jsonPath
	i := 1
	for i < len(s) {
		if len(p) >= maxPathSteps {
			return nil, fmt.Errorf("has more than %d steps", maxPathSteps)
		}
		switch s[i] {
		case '.':
			i++
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("has an empty member name at offset %d", i)
			}
			name := s[i:j]
			if name == "*" || strings.ContainsAny(name, "]'\" ") {
				return nil, fmt.Errorf("member %q is not supported (wildcards and quotes need ['...'])", name)
			}
			p = append(p, pathStep{name: name})
			i = j
		case '[':
			end := -1
			if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"') {
				q := s[i+1]
				k := strings.IndexByte(s[i+2:], q)
				if k < 0 || i+2+k+1 >= len(s) || s[i+2+k+1] != ']' {
					return nil, fmt.Errorf("has an unterminated ['name'] at offset %d", i)
				}
				p = append(p, pathStep{name: s[i+2 : i+2+k]})
				end = i + 2 + k + 1
			} else {
				k := strings.IndexByte(s[i:], ']')
				if k < 0 {
					return nil, fmt.Errorf("has an unterminated [ at offset %d", i)
				}
				n, err := strconv.Atoi(s[i+1 : i+k])
				if err != nil || n > 1<<20 || n < -(1<<20) {
					return nil, fmt.Errorf("index %q is not a number (filters and wildcards are not supported)", s[i+1:i+k])
				}
				p = append(p, pathStep{index: n, isIdx: true})
				end = i + k
			}
			i = end + 1
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", s[i], i)
		}
	}
	return p, nil
}

// lookup returns the value at p in doc (decoded with UseNumber).
func (p jsonPath) lookup(doc any) (any, bool) {
	cur := doc
	for _, st := range p {
		if st.isIdx {
			arr, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			i := st.index
			if i < 0 {
				i += len(arr)
			}
			if i < 0 || i >= len(arr) {
				return nil, false
			}
			cur = arr[i]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[st.name]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// JSONAssertion checks one value of a JSON response body.
type JSONAssertion struct {
	Path string `json:"path"`
	// Op is ==, !=, <, <=, >, >=, "exists", "not_exists" or "contains"
	// (substring of a string value). Default ==.
	Op    string          `json:"op,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`

	path  jsonPath
	value any
}

func (a *JSONAssertion) compile() error {
	p, err := parseJSONPath(a.Path)
	if err != nil {
		return fmt.Errorf("path %s", err)
	}
	a.path = p
	if a.Op == "" {
		a.Op = "=="
	}
	switch a.Op {
	case "exists", "not_exists":
		return nil
	case "==", "!=", "<", "<=", ">", ">=", "contains":
	default:
		return fmt.Errorf("op %q is not one of ==, !=, <, <=, >, >=, exists, not_exists, contains", a.Op)
	}
	if len(a.Value) == 0 {
		return fmt.Errorf("op %s needs a value", a.Op)
	}
	v, err := decodeJSONValue(a.Value)
	if err != nil {
		return fmt.Errorf("value is not JSON: %v", err)
	}
	a.value = v
	switch a.Op {
	case "<", "<=", ">", ">=":
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("op %s needs a number value", a.Op)
		}
	case "contains":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("op contains needs a string value")
		}
	}
	return nil
}

func decodeJSONValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

// check evaluates the assertion against a decoded document and returns a
// message when it fails.
func (a *JSONAssertion) check(doc any) (bool, string) {
	got, ok := a.path.lookup(doc)
	switch a.Op {
	case "exists":
		if !ok {
			return false, fmt.Sprintf("%s is missing", a.Path)
		}
		return true, ""
	case "not_exists":
		if ok {
			return false, fmt.Sprintf("%s is present", a.Path)
		}
		return true, ""
	}
	if !ok {
		return false, fmt.Sprintf("%s is missing", a.Path)
	}
	show := func() string { b, _ := json.Marshal(got); return truncate(string(b), 80) }
	switch a.Op {
	case "==", "!=":
		eq := jsonEqual(got, a.value)
		if eq != (a.Op == "==") {
			return false, fmt.Sprintf("%s is %s, want %s %s", a.Path, show(), a.Op, truncate(string(a.Value), 80))
		}
		return true, ""
	case "contains":
		s, isStr := got.(string)
		if !isStr || !strings.Contains(s, a.value.(string)) {
			return false, fmt.Sprintf("%s is %s, which does not contain %s", a.Path, show(), string(a.Value))
		}
		return true, ""
	}
	gn, isNum := got.(json.Number)
	if !isNum {
		return false, fmt.Sprintf("%s is %s, not a number", a.Path, show())
	}
	g, err1 := gn.Float64()
	w, err2 := a.value.(json.Number).Float64()
	if err1 != nil || err2 != nil || !compare(a.Op, g, w) {
		return false, fmt.Sprintf("%s is %s, want %s %s", a.Path, show(), a.Op, string(a.Value))
	}
	return true, ""
}

// jsonEqual compares decoded JSON values; numbers compare by value so that
// 1, 1.0 and 1e0 are equal.
func jsonEqual(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		af, e1 := an.Float64()
		bf, e2 := bn.Float64()
		if e1 == nil && e2 == nil {
			return af == bf
		}
		return an == bn
	}
	if aok != bok {
		return false
	}
	switch av := a.(type) {
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !jsonEqual(av[i], bv[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !jsonEqual(x, y) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
