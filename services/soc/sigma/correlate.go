package sigma

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// CorrelationMatch is a correlation rule that fired for one group.
type CorrelationMatch struct {
	RuleID string            `json:"rule_id"`
	Title  string            `json:"title"`
	Level  string            `json:"level,omitempty"`
	Author string            `json:"author,omitempty"`
	Tags   []string          `json:"tags,omitempty"`
	Type   string            `json:"type"`
	Group  map[string]string `json:"group"`
	Count  int               `json:"count"`           // events in the window
	Value  float64           `json:"value,omitempty"` // the aggregate the condition was checked on
	First  time.Time         `json:"first"`
	Last   time.Time         `json:"last"`
	Rule   *Rule             `json:"-"`
}

// Correlator evaluates correlation rules over the detection matches of a
// stream of events. Observe is given each event once, with its time and
// the matches the RuleSet found for it (including CorrelationOnly ones),
// and returns the correlations that fire. An implementation that keeps its
// windows in Redis implements the same interface.
type Correlator interface {
	Observe(ctx context.Context, ev Event, ts time.Time, matches []Match) ([]CorrelationMatch, error)
}

type corrRule struct {
	rule    *Rule
	c       *Correlation
	span    time.Duration
	refIdx  map[string]int // rule id or name -> position in c.Rules
	groups  map[string]*group
	parents []*corrRule // correlations that reference this one
}

type entry struct {
	ts  time.Time
	ref int
	val string
	num float64
	has bool
}

type group struct {
	vals    map[string]string
	entries []entry
}

// MemoryCorrelator keeps the correlation windows in memory.
type MemoryCorrelator struct {
	mu    sync.Mutex
	byRef map[string][]*corrRule // detection/correlation id or name -> correlations using it
	rules []*corrRule
	// MaxEntries bounds the events kept per group (oldest dropped first).
	MaxEntries int
}

var _ Correlator = (*MemoryCorrelator)(nil)

// NewMemoryCorrelator builds a correlator for the correlation rules, which
// may refer to the detection rules and to each other by id or name.
func NewMemoryCorrelator(correlations, detections []*Rule) (*MemoryCorrelator, error) {
	m := &MemoryCorrelator{byRef: map[string][]*corrRule{}, MaxEntries: 100000}
	known := map[string]bool{}
	for _, r := range detections {
		if r.ID != "" {
			known[r.ID] = true
		}
		if r.Name != "" {
			known[r.Name] = true
		}
	}
	byName := map[string]*corrRule{}
	for _, r := range correlations {
		if r.Kind != KindCorrelation {
			return nil, ruleError(r.File, "correlation", "%q is not a correlation rule", r.Title)
		}
		span, err := ParseTimespan(r.Correlation.Timespan)
		if err != nil {
			return nil, ruleError(r.File, "correlation.timespan", "%v", err)
		}
		cr := &corrRule{rule: r, c: r.Correlation, span: span, refIdx: map[string]int{}, groups: map[string]*group{}}
		for i, ref := range r.Correlation.Rules {
			cr.refIdx[ref] = i
			m.byRef[ref] = append(m.byRef[ref], cr)
		}
		m.rules = append(m.rules, cr)
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				byName[k] = cr
				known[k] = true
			}
		}
	}
	for _, cr := range m.rules {
		for i, ref := range cr.c.Rules {
			if !known[ref] {
				return nil, ruleError(cr.rule.File, fmt.Sprintf("correlation.rules[%d]", i), "%q names no loaded rule (by id or name)", ref)
			}
			if child := byName[ref]; child != nil {
				child.parents = append(child.parents, cr)
			}
		}
	}
	return m, nil
}

// Observe implements Correlator.
func (m *MemoryCorrelator) Observe(_ context.Context, ev Event, ts time.Time, matches []Match) ([]CorrelationMatch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []CorrelationMatch
	for _, mt := range matches {
		seen := map[*corrRule]bool{}
		for _, k := range []string{mt.RuleID, mt.RuleName} {
			for _, cr := range m.byRef[k] {
				if seen[cr] {
					continue
				}
				seen[cr] = true
				out = m.feed(cr, k, mt.RuleName, ev, ts, out)
			}
		}
	}
	return out, nil
}

// feed adds one matching event (or fired child correlation) to cr.
func (m *MemoryCorrelator) feed(cr *corrRule, ref, refName string, ev Event, ts time.Time, out []CorrelationMatch) []CorrelationMatch {
	idx := cr.refIdx[ref]
	vals := make(map[string]string, len(cr.c.GroupBy))
	var kb strings.Builder
	for _, g := range cr.c.GroupBy {
		field := g
		if al, ok := cr.c.Aliases[g]; ok {
			if f, ok := al[refName]; ok {
				field = f
			} else if f, ok := al[ref]; ok {
				field = f
			}
		}
		var s string
		if x, ok := lookup(ev, field); ok && x != nil {
			s = toString(x)
		}
		vals[g] = s
		kb.WriteString(s)
		kb.WriteByte(0)
	}
	key := kb.String()
	gr := cr.groups[key]
	if gr == nil {
		gr = &group{vals: vals}
		cr.groups[key] = gr
	}
	e := entry{ts: ts, ref: idx}
	if len(cr.c.Field) > 0 {
		var parts []string
		for _, f := range cr.c.Field {
			if x, ok := lookup(ev, f); ok && x != nil {
				parts = append(parts, toString(x))
			}
		}
		if len(parts) == len(cr.c.Field) {
			e.has = true
			e.val = strings.Join(parts, "\x00")
			e.num, _ = toNumber(e.val)
		}
	}
	// Slide the window: keep what lies within the timespan before ts.
	cut := 0
	for cut < len(gr.entries) && ts.Sub(gr.entries[cut].ts) > cr.span {
		cut++
	}
	gr.entries = append(gr.entries[cut:], e)
	if len(gr.entries) > m.MaxEntries {
		gr.entries = gr.entries[len(gr.entries)-m.MaxEntries:]
	}
	value, fired := cr.check(gr.entries, e)
	if !fired {
		return out
	}
	first := gr.entries[0].ts
	for _, x := range gr.entries {
		if x.ts.Before(first) {
			first = x.ts
		}
	}
	r := cr.rule
	cm := CorrelationMatch{RuleID: r.Ref(), Title: r.Title, Level: r.Level, Author: r.Author, Tags: r.Tags,
		Type: cr.c.Type, Group: vals, Count: len(gr.entries), Value: value, First: first, Last: ts, Rule: r}
	out = append(out, cm)
	// A fired window starts again, so one burst raises one match.
	gr.entries = gr.entries[:0]
	// Chained correlations see the firing as an event of its group.
	chained := Event{}
	for k, v := range vals {
		chained[k] = v
	}
	for _, p := range cr.parents {
		for _, k := range []string{r.ID, r.Name} {
			if _, ok := p.refIdx[k]; ok && k != "" {
				out = m.feed(p, k, r.Name, chained, ts, out)
				break
			}
		}
	}
	return out
}

func (cr *corrRule) cond(x float64) bool {
	for op, n := range cr.c.Condition {
		if !(numCmp{op: op, n: n}).ok(x) {
			return false
		}
	}
	return true
}

// check evaluates the condition over the window; cur is the newest entry.
func (cr *corrRule) check(es []entry, cur entry) (float64, bool) {
	switch cr.c.Type {
	case "event_count":
		n := float64(len(es))
		return n, cr.cond(n)
	case "value_count":
		distinct := map[string]bool{}
		for _, e := range es {
			if e.has {
				distinct[e.val] = true
			}
		}
		n := float64(len(distinct))
		return n, cr.cond(n)
	case "temporal":
		seen := map[int]bool{}
		for _, e := range es {
			seen[e.ref] = true
		}
		n := float64(len(seen))
		if len(cr.c.Condition) == 0 {
			return n, len(seen) == len(cr.c.Rules)
		}
		return n, cr.cond(n)
	case "temporal_ordered":
		sorted := append([]entry(nil), es...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ts.Before(sorted[j].ts) })
		next := 0
		for _, e := range sorted {
			if next < len(cr.c.Rules) && e.ref == next {
				next++
			}
		}
		return float64(next), next == len(cr.c.Rules)
	case "value_sum", "value_avg":
		sum, n := 0.0, 0
		for _, e := range es {
			if e.has {
				sum += e.num
				n++
			}
		}
		if n == 0 {
			return 0, false
		}
		if cr.c.Type == "value_avg" {
			sum /= float64(n)
		}
		return sum, cr.cond(sum)
	case "value_percentile":
		// The share, in percent, of the window's events that carry the
		// newest event's value: "lte: 1" fires on a value seen in at most
		// 1% of the group's events.
		if !cur.has {
			return 0, false
		}
		same, n := 0, 0
		for _, e := range es {
			if e.has {
				n++
				if e.val == cur.val {
					same++
				}
			}
		}
		p := 100 * float64(same) / float64(n)
		return p, cr.cond(p)
	}
	return 0, false
}

// Prune drops groups whose events all lie before now minus the timespan.
func (m *MemoryCorrelator) Prune(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, cr := range m.rules {
		for k, g := range cr.groups {
			if len(g.entries) == 0 || now.Sub(g.entries[len(g.entries)-1].ts) > cr.span {
				delete(cr.groups, k)
			}
		}
	}
}
