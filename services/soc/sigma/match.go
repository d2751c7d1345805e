package sigma

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Event is one flattened event: field name to value. Values are strings,
// numbers, booleans, nil, time.Time or lists of those.
type Event = map[string]any

// fval is an event field as the matchers see it, computed once per event.
type fval struct {
	gen     uint32
	present bool
	null    bool
	hasL    bool     // l is set: strings are lower-cased when first needed
	s, l    string   // text and lower-cased text of a scalar
	ms, ml  []string // the same for a list
	raw     any
}

// each calls f with (text, lower-cased text) of every value until f is true.
func (v *fval) each(f func(s, l string) bool) bool {
	if !v.present || v.null {
		return false
	}
	if v.ms != nil {
		for i := range v.ms {
			if f(v.ms[i], v.ml[i]) {
				return true
			}
		}
		return false
	}
	return f(v.s, v.l)
}

type evalCtx struct {
	ev    Event
	gen   uint32
	cache []fval
	names []string
	alts  []string
	// prefilter scratch
	stamp      uint32
	marks      []uint32
	masks      []uint8
	patMarks   []uint32
	stateMarks []uint32
	cands      []int32
	hits       []int32
	low        []byte
	arena      []byte // lower-cased field values of the current event
}

// lower returns strings.ToLower(s); for ASCII text the result lives in
// scratch space and is valid only until the next call.
func (c *evalCtx) lower(s string) string {
	c.low = c.low[:0]
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		c.low = append(c.low, b)
	}
	return unsafe.String(unsafe.SliceData(c.low), len(c.low))
}

func (c *evalCtx) reset(ev Event, names, alts []string) {
	c.ev = ev
	c.names = names
	c.alts = alts
	c.gen++
	if c.gen == 0 { // wrapped: clear stale generations
		for i := range c.cache {
			c.cache[i].gen = 0
		}
		c.gen = 1
	}
	if len(c.cache) < len(names) {
		c.cache = make([]fval, len(names))
	}
	c.arena = c.arena[:0]
}

// lowerKeep returns strings.ToLower(s); for ASCII text with upper-case
// letters the result lives in the event's arena, valid until the next reset.
func (c *evalCtx) lowerKeep(s string) string {
	up := false
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		up = up || ('A' <= b && b <= 'Z')
	}
	if !up {
		return s
	}
	if cap(c.arena)-len(c.arena) < len(s) {
		// Strings already handed out keep the old buffer alive.
		c.arena = make([]byte, 0, max(4096, 2*cap(c.arena), len(s)))
	}
	start := len(c.arena)
	for i := 0; i < len(s); i++ {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		c.arena = append(c.arena, b)
	}
	return unsafe.String(&c.arena[start], len(s))
}

func (c *evalCtx) get(fid int) *fval {
	v := &c.cache[fid]
	if v.gen == c.gen {
		return v
	}
	*v = fval{gen: c.gen}
	raw, ok := lookup(c.ev, c.names[fid])
	if !ok {
		if alt := c.alts[fid]; alt != "" {
			raw, ok = lookup(c.ev, alt)
		}
		if !ok {
			return v
		}
	}
	v.present = true
	if str, ok := raw.(string); ok {
		// The literal index reads s; l waits for a matcher that needs it.
		v.raw, v.s = raw, str
		return v
	}
	fill(v, raw)
	return v
}

// getL is get with the lower-cased text set, for the matchers that read it.
func (c *evalCtx) getL(fid int) *fval {
	v := c.get(fid)
	if !v.hasL {
		v.l, v.hasL = c.lowerKeep(v.s), true
	}
	return v
}

func lookup(ev Event, name string) (any, bool) {
	if x, ok := ev[name]; ok {
		return x, true
	}
	if !strings.Contains(name, ".") {
		return nil, false
	}
	// Nested objects: "a.b.c" walks maps when the event is not flat.
	var cur any = ev
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func fill(v *fval, raw any) {
	v.raw = raw
	v.hasL = true
	switch x := raw.(type) {
	case nil:
		v.null = true
	case []any:
		for _, e := range x {
			if e == nil {
				continue
			}
			s := toString(e)
			v.ms = append(v.ms, s)
			v.ml = append(v.ml, strings.ToLower(s))
		}
		if v.ms == nil {
			v.ms, v.ml = []string{}, []string{}
		}
	case []string:
		v.ms = x
		v.ml = make([]string, len(x))
		for i, s := range x {
			v.ml[i] = strings.ToLower(s)
		}
	default:
		v.s = toString(raw)
		v.l = strings.ToLower(v.s)
	}
}

func toString(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case uint32:
		return strconv.FormatUint(uint64(v), 10)
	case uint16:
		return strconv.FormatUint(uint64(v), 10)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case []byte:
		return string(v)
	}
	return fmt.Sprint(x)
}

func toNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, true
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		if i, err := strconv.ParseInt(s[2:], 16, 64); err == nil {
			return float64(i), true
		}
	}
	return 0, false
}

// matcher is one compiled field item.
type matcher interface {
	match(c *evalCtx) bool
}

// strMatcher: the field matches any (or, with all, every) pattern.
type strMatcher struct {
	fid   int
	pats  []*pattern
	all   bool
	cased bool
	neq   bool
}

func (m *strMatcher) match(c *evalCtx) bool {
	var v *fval
	if m.cased {
		v = c.get(m.fid)
	} else {
		v = c.getL(m.fid)
	}
	if !v.present || v.null {
		return false
	}
	if m.neq {
		// The value differs from every listed value.
		for _, p := range m.pats {
			if m.one(v, p) {
				return false
			}
		}
		return true
	}
	if m.all {
		for _, p := range m.pats {
			if !m.one(v, p) {
				return false
			}
		}
		return true
	}
	for _, p := range m.pats {
		if m.one(v, p) {
			return true
		}
	}
	return false
}

func (m *strMatcher) one(v *fval, p *pattern) bool {
	if m.cased {
		return v.each(func(s, _ string) bool { return p.match(s) })
	}
	return v.each(func(_, l string) bool { return p.match(l) })
}

// keywordMatcher searches every field (or the configured keyword fields).
type keywordMatcher struct {
	pats   []*pattern
	all    bool
	cased  bool
	fields []int // empty: every field of the event
}

func (m *keywordMatcher) match(c *evalCtx) bool {
	one := func(p *pattern) bool {
		if len(m.fields) > 0 {
			for _, fid := range m.fields {
				v := c.getL(fid)
				if v.each(func(s, l string) bool {
					if m.cased {
						return p.match(s)
					}
					return p.match(l)
				}) {
					return true
				}
			}
			return false
		}
		for _, raw := range c.ev {
			var v fval
			v.present = true
			fill(&v, raw)
			if v.each(func(s, l string) bool {
				if m.cased {
					return p.match(s)
				}
				return p.match(l)
			}) {
				return true
			}
		}
		return false
	}
	if m.all {
		for _, p := range m.pats {
			if !one(p) {
				return false
			}
		}
		return true
	}
	for _, p := range m.pats {
		if one(p) {
			return true
		}
	}
	return false
}

// nullMatcher: the field is absent or null ("Field: null").
type nullMatcher struct{ fid int }

func (m *nullMatcher) match(c *evalCtx) bool {
	v := c.get(m.fid)
	return !v.present || v.null
}

// existsMatcher: "Field|exists: true/false".
type existsMatcher struct {
	fid  int
	want bool
}

func (m *existsMatcher) match(c *evalCtx) bool { return c.get(m.fid).present == m.want }

// anyOf is an OR of matchers on one field (a list mixing null and strings).
type anyOf []matcher

func (a anyOf) match(c *evalCtx) bool {
	for _, m := range a {
		if m.match(c) {
			return true
		}
	}
	return false
}

type numCmp struct {
	op string
	n  float64
}

func (n numCmp) ok(x float64) bool {
	switch n.op {
	case "lt":
		return x < n.n
	case "lte":
		return x <= n.n
	case "gt":
		return x > n.n
	case "gte":
		return x >= n.n
	case "neq":
		return x != n.n
	}
	return x == n.n
}

// numMatcher: lt/lte/gt/gte, optionally on a date part (hour, day, …).
type numMatcher struct {
	fid      int
	cmps     []numCmp
	all      bool
	timePart string
}

func (m *numMatcher) match(c *evalCtx) bool {
	v := c.get(m.fid)
	return v.each(func(s, _ string) bool {
		var x float64
		if m.timePart != "" {
			t, ok := toTime(v.raw, s)
			if !ok {
				return false
			}
			x = timePart(t, m.timePart)
		} else {
			var ok bool
			if x, ok = toNumber(s); !ok {
				return false
			}
		}
		if m.all {
			for _, cmp := range m.cmps {
				if !cmp.ok(x) {
					return false
				}
			}
			return true
		}
		for _, cmp := range m.cmps {
			if cmp.ok(x) {
				return true
			}
		}
		return false
	})
}

var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02",
}

func toTime(raw any, s string) (time.Time, bool) {
	if t, ok := raw.(time.Time); ok {
		return t, true
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func timePart(t time.Time, part string) float64 {
	switch part {
	case "minute":
		return float64(t.Minute())
	case "hour":
		return float64(t.Hour())
	case "day":
		return float64(t.Day())
	case "week":
		_, w := t.ISOWeek()
		return float64(w)
	case "month":
		return float64(t.Month())
	}
	return float64(t.Year())
}

// cidrMatcher: the field is an IP address inside one of the prefixes.
type cidrMatcher struct {
	fid      int
	prefixes []netip.Prefix
	neq      bool
}

func (m *cidrMatcher) match(c *evalCtx) bool {
	v := c.get(m.fid)
	if !v.present || v.null {
		return false
	}
	in := v.each(func(s, _ string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range m.prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	})
	return in != m.neq
}

// reMatcher: the field matches one (or every) regular expression.
type reMatcher struct {
	fid int
	res []*regexp.Regexp
	all bool
	neq bool
}

func (m *reMatcher) match(c *evalCtx) bool {
	v := c.get(m.fid)
	if !v.present || v.null {
		return false
	}
	var hit bool
	if m.all {
		hit = true
		for _, re := range m.res {
			if !v.each(func(s, _ string) bool { return re.MatchString(s) }) {
				hit = false
				break
			}
		}
	} else {
		for _, re := range m.res {
			if v.each(func(s, _ string) bool { return re.MatchString(s) }) {
				hit = true
				break
			}
		}
	}
	return hit != m.neq
}

// fieldrefMatcher compares a field with another field of the same event.
type fieldrefMatcher struct {
	fid   int
	refs  []int
	pos   string // "", contains, startswith, endswith
	cased bool
	all   bool
	neq   bool
}

func (m *fieldrefMatcher) match(c *evalCtx) bool {
	v := c.getL(m.fid)
	if !v.present || v.null {
		return false
	}
	one := func(ref int) bool {
		r := c.getL(ref)
		if !r.present || r.null {
			return false
		}
		return r.each(func(rs, rl string) bool {
			return v.each(func(s, l string) bool {
				a, b := l, rl
				if m.cased {
					a, b = s, rs
				}
				switch m.pos {
				case "contains":
					return strings.Contains(a, b)
				case "startswith":
					return strings.HasPrefix(a, b)
				case "endswith":
					return strings.HasSuffix(a, b)
				}
				return a == b
			})
		})
	}
	var hit bool
	if m.all {
		hit = true
		for _, r := range m.refs {
			if !one(r) {
				hit = false
				break
			}
		}
	} else {
		for _, r := range m.refs {
			if one(r) {
				hit = true
				break
			}
		}
	}
	return hit != m.neq
}

// never matches nothing (a placeholder that expands to no value).
type never struct{}

func (never) match(*evalCtx) bool { return false }
