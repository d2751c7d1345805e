package sigma

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward"
	// The leaf package behind tenants.FromContext: the engine reads the
	// tenant without pulling in the tenants service.
	"github.com/opsward/opsward/tenants/scope"
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
// and returns the correlations that fire.
//
// The tenant travels in ctx (tenants.NewContext): windows are kept per
// tenant, so that one tenant's events never complete another's
// correlation. MemoryCorrelator accepts a context without a tenant (for
// tools that read one file); a shared store such as the Redis one refuses
// it.
type Correlator interface {
	Observe(ctx context.Context, ev Event, ts time.Time, matches []Match) ([]CorrelationMatch, error)
}

// WindowStore keeps the windows of correlation rules: one per tenant,
// correlation rule and group. NewCorrelator does the rest (which rules an
// event feeds, its group, chained correlations), so that the memory and the
// Redis correlators give the same results.
type WindowStore interface {
	// Add slides the window to e.Time (dropping entries more than
	// w.Span older), adds e, evaluates the rule's condition over the
	// window (as CheckWindow does) and, when it holds, empties the window
	// so that one burst fires once. It must do all of that atomically.
	Add(ctx context.Context, w Window, e WindowEntry) (WindowResult, error)
}

// Window names one window: a group of a correlation rule for a tenant.
type Window struct {
	Tenant string // "" only where the store accepts no tenant
	Rule   *Rule  // the correlation rule
	// Key identifies the rule among the loaded correlation rules: its id,
	// else its name, else a hash of its file and title.
	Key string
	// Group is the group-by values joined with NUL bytes.
	Group string
	Span  time.Duration
}

// WindowEntry is one event (or fired child correlation) in a window.
type WindowEntry struct {
	Time time.Time
	Ref  int // position in Correlation.Rules of the rule the event matched
	// Has is set when the event carries the condition's field(s); Value is
	// their values joined with NUL bytes and Num that as a number (0 when
	// it is not one).
	Has   bool
	Value string
	Num   float64
}

// WindowResult is what Add found.
type WindowResult struct {
	Fired bool
	Value float64   // the aggregate the condition was checked on
	Count int       // entries in the window, the new one included
	First time.Time // the oldest entry's time
}

type corrRule struct {
	rule    *Rule
	c       *Correlation
	key     string
	span    time.Duration
	refIdx  map[string]int // rule id or name -> position in c.Rules
	parents []*corrRule    // correlations that reference this one
}

// correlator is the store-independent part of a Correlator.
type correlator struct {
	byRef map[string][]*corrRule // detection/correlation id or name -> correlations using it
	rules []*corrRule
	store WindowStore
	// tenantRequired refuses a context without a tenant.
	tenantRequired bool
}

// NewCorrelator builds a correlator for the correlation rules, which may
// refer to the detection rules and to each other by id or name, keeping its
// windows in store. With tenantRequired, Observe refuses a context that
// carries no tenant.
func NewCorrelator(correlations, detections []*Rule, store WindowStore, tenantRequired bool) (Correlator, error) {
	return newCorrelator(correlations, detections, store, tenantRequired)
}

func newCorrelator(correlations, detections []*Rule, store WindowStore, tenantRequired bool) (*correlator, error) {
	m := &correlator{byRef: map[string][]*corrRule{}, store: store, tenantRequired: tenantRequired}
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
	keys := map[string]bool{}
	for _, r := range correlations {
		if r.Kind != KindCorrelation {
			return nil, ruleError(r.File, "correlation", "%q is not a correlation rule", r.Title)
		}
		span, err := ParseTimespan(r.Correlation.Timespan)
		if err != nil {
			return nil, ruleError(r.File, "correlation.timespan", "%v", err)
		}
		cr := &corrRule{rule: r, c: r.Correlation, key: windowKey(r), span: span, refIdx: map[string]int{}}
		// Two rules with one id keep apart windows; their keys stay stable
		// across processes that load the same rules in the same order.
		for n := 2; keys[cr.key]; n++ {
			cr.key = windowKey(r) + "#" + strconv.Itoa(n)
		}
		keys[cr.key] = true
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

// windowKey is Window.Key for r.
func windowKey(r *Rule) string {
	switch {
	case r.ID != "":
		return r.ID
	case r.Name != "":
		return "name:" + r.Name
	}
	h := sha256.Sum256([]byte(r.File + "\x00" + r.Title))
	return "title:" + hex.EncodeToString(h[:8])
}

// Observe implements Correlator.
func (m *correlator) Observe(ctx context.Context, ev Event, ts time.Time, matches []Match) ([]CorrelationMatch, error) {
	var tenant string
	if a, ok := scope.FromContext(ctx); ok {
		tenant = a.TenantID
	}
	if tenant == "" && m.tenantRequired {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "sigma: correlation windows are kept per tenant and the context carries none")
	}
	var out []CorrelationMatch
	for _, mt := range matches {
		seen := map[*corrRule]bool{}
		for _, k := range []string{mt.RuleID, mt.RuleName} {
			for _, cr := range m.byRef[k] {
				if seen[cr] {
					continue
				}
				seen[cr] = true
				var err error
				if out, err = m.feed(ctx, tenant, cr, k, mt.RuleName, ev, ts, out); err != nil {
					return out, err
				}
			}
		}
	}
	return out, nil
}

// feed adds one matching event (or fired child correlation) to cr.
func (m *correlator) feed(ctx context.Context, tenant string, cr *corrRule, ref, refName string, ev Event, ts time.Time, out []CorrelationMatch) ([]CorrelationMatch, error) {
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
	e := WindowEntry{Time: ts, Ref: cr.refIdx[ref]}
	if len(cr.c.Field) > 0 {
		var parts []string
		for _, f := range cr.c.Field {
			if x, ok := lookup(ev, f); ok && x != nil {
				parts = append(parts, toString(x))
			}
		}
		if len(parts) == len(cr.c.Field) {
			e.Has = true
			e.Value = strings.Join(parts, "\x00")
			e.Num, _ = toNumber(e.Value)
		}
	}
	res, err := m.store.Add(ctx, Window{Tenant: tenant, Rule: cr.rule, Key: cr.key, Group: kb.String(), Span: cr.span}, e)
	if err != nil || !res.Fired {
		return out, err
	}
	r := cr.rule
	out = append(out, CorrelationMatch{RuleID: r.Ref(), Title: r.Title, Level: r.Level, Author: r.Author, Tags: r.Tags,
		Type: cr.c.Type, Group: vals, Count: res.Count, Value: res.Value, First: res.First, Last: ts, Rule: r})
	// Chained correlations see the firing as an event of its group.
	chained := Event{}
	for k, v := range vals {
		chained[k] = v
	}
	for _, p := range cr.parents {
		for _, k := range []string{r.ID, r.Name} {
			if _, ok := p.refIdx[k]; ok && k != "" {
				if out, err = m.feed(ctx, tenant, p, k, r.Name, chained, ts, out); err != nil {
					return out, err
				}
				break
			}
		}
	}
	return out, nil
}

// CheckWindow evaluates a correlation's condition over a window's entries
// (oldest first; cur is the newest, also in entries) and returns the
// aggregate it checked and whether the condition holds. A WindowStore that
// cannot run Go code (a Redis script) must compute the same.
func CheckWindow(c *Correlation, entries []WindowEntry, cur WindowEntry) (float64, bool) {
	cond := func(x float64) bool {
		for op, n := range c.Condition {
			if !(numCmp{op: op, n: n}).ok(x) {
				return false
			}
		}
		return true
	}
	switch c.Type {
	case "event_count":
		n := float64(len(entries))
		return n, cond(n)
	case "value_count":
		distinct := map[string]bool{}
		for _, e := range entries {
			if e.Has {
				distinct[e.Value] = true
			}
		}
		n := float64(len(distinct))
		return n, cond(n)
	case "temporal":
		seen := map[int]bool{}
		for _, e := range entries {
			seen[e.Ref] = true
		}
		n := float64(len(seen))
		if len(c.Condition) == 0 {
			return n, len(seen) == len(c.Rules)
		}
		return n, cond(n)
	case "temporal_ordered":
		sorted := append([]WindowEntry(nil), entries...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time.Before(sorted[j].Time) })
		next := 0
		for _, e := range sorted {
			if next < len(c.Rules) && e.Ref == next {
				next++
			}
		}
		return float64(next), next == len(c.Rules)
	case "value_sum", "value_avg":
		sum, n := 0.0, 0
		for _, e := range entries {
			if e.Has {
				sum += e.Num
				n++
			}
		}
		if n == 0 {
			return 0, false
		}
		if c.Type == "value_avg" {
			sum /= float64(n)
		}
		return sum, cond(sum)
	case "value_percentile":
		// The share, in percent, of the window's events that carry the
		// newest event's value: "lte: 1" fires on a value seen in at most
		// 1% of the group's events.
		if !cur.Has {
			return 0, false
		}
		same, n := 0, 0
		for _, e := range entries {
			if e.Has {
				n++
				if e.Value == cur.Value {
					same++
				}
			}
		}
		p := 100 * float64(same) / float64(n)
		return p, cond(p)
	}
	return 0, false
}

// MemoryCorrelator keeps the correlation windows in memory, per tenant.
type MemoryCorrelator struct {
	*correlator
	mu      sync.Mutex
	windows map[memKey]*memWindow
	// MaxEntries bounds the events kept per group (oldest dropped first).
	MaxEntries int
}

type memKey struct{ tenant, rule, group string }

type memWindow struct {
	span    time.Duration
	entries []WindowEntry
}

var _ Correlator = (*MemoryCorrelator)(nil)

// NewMemoryCorrelator builds a correlator for the correlation rules, which
// may refer to the detection rules and to each other by id or name.
func NewMemoryCorrelator(correlations, detections []*Rule) (*MemoryCorrelator, error) {
	m := &MemoryCorrelator{windows: map[memKey]*memWindow{}, MaxEntries: 100000}
	c, err := newCorrelator(correlations, detections, memStore{m}, false)
	if err != nil {
		return nil, err
	}
	m.correlator = c
	return m, nil
}

// Observe implements Correlator.
func (m *MemoryCorrelator) Observe(ctx context.Context, ev Event, ts time.Time, matches []Match) ([]CorrelationMatch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.correlator.Observe(ctx, ev, ts, matches)
}

// memStore is the WindowStore of a MemoryCorrelator, which holds its lock.
type memStore struct{ m *MemoryCorrelator }

func (s memStore) Add(_ context.Context, w Window, e WindowEntry) (WindowResult, error) {
	k := memKey{w.Tenant, w.Key, w.Group}
	win := s.m.windows[k]
	if win == nil {
		win = &memWindow{span: w.Span}
		s.m.windows[k] = win
	}
	// Slide the window: keep what lies within the timespan before e.Time.
	cut := 0
	for cut < len(win.entries) && e.Time.Sub(win.entries[cut].Time) > w.Span {
		cut++
	}
	win.entries = append(win.entries[cut:], e)
	if len(win.entries) > s.m.MaxEntries {
		win.entries = win.entries[len(win.entries)-s.m.MaxEntries:]
	}
	value, fired := CheckWindow(w.Rule.Correlation, win.entries, e)
	if !fired {
		return WindowResult{}, nil
	}
	res := WindowResult{Fired: true, Value: value, Count: len(win.entries), First: win.entries[0].Time}
	for _, x := range win.entries {
		if x.Time.Before(res.First) {
			res.First = x.Time
		}
	}
	// A fired window starts again, so one burst raises one match.
	win.entries = win.entries[:0]
	return res, nil
}

// Prune drops groups whose events all lie before now minus the timespan.
func (m *MemoryCorrelator) Prune(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, w := range m.windows {
		if len(w.entries) == 0 || now.Sub(w.entries[len(w.entries)-1].Time) > w.span {
			delete(m.windows, k)
		}
	}
}
