package sigma

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// FieldMapping renames Sigma field names to event field names for the rules
// whose logsource fits LogSource (empty members are wildcards). Later
// mappings override earlier ones.
//
// With Event set, the mapping is scoped to events as well: it applies only
// to events one of whose logsources Event fits (for Windows Security 4688,
// {windows, service security}), and other events still meet the rule under
// its own field names. A rule it applies to is compiled twice, once with
// and once without it, and the router picks the variant per event. An
// event-scoped mapping falls back to the Sigma field name where the event
// lacks the mapped one, so that an event normalised upstream to the Sigma
// names still matches. Of several event-scoped mappings that fit a rule and
// an event, the last one applies.
type FieldMapping struct {
	LogSource LogSource
	Event     LogSource
	Fields    map[string]string
}

// LogSourceFunc tells which logsources an event belongs to (for a Sysmon
// process creation: windows/process_creation and windows/sysmon).
type LogSourceFunc func(Event) []LogSource

// PlaceholderPolicy says what to do with a %placeholder% that has no values.
type PlaceholderPolicy int

const (
	// PlaceholderReject refuses the rule, as the specification asks.
	PlaceholderReject PlaceholderPolicy = iota
	// PlaceholderMatchNothing makes the value match nothing.
	PlaceholderMatchNothing
)

// Config configures compilation.
type Config struct {
	// FieldMappings default to WindowsFieldMappings (Windows Security
	// events read as Sysmon ones); a caller that sets its own and wants
	// those too appends them.
	FieldMappings       []FieldMapping
	LogSources          LogSourceFunc       // default: WindowsLogSources
	Placeholders        map[string][]string // values of %name% for the expand modifier
	UnknownPlaceholders PlaceholderPolicy
	KeywordFields       []string // fields keywords are searched in; default every field

	// DisableRouting and DisablePrefilter turn the index off; they exist to
	// measure what the index is worth and to test that it changes nothing.
	// Without routing every rule's logsource is checked in turn and the
	// prefilter is not used either.
	DisableRouting   bool
	DisablePrefilter bool
}

// WithDefaults fills unset members.
func (c Config) WithDefaults() Config {
	if c.LogSources == nil {
		c.LogSources = WindowsLogSources
	}
	if c.FieldMappings == nil {
		c.FieldMappings = WindowsFieldMappings()
	}
	return c
}

// Match is one rule that matched an event. Author must be shown with it.
type Match struct {
	RuleID   string   `json:"rule_id"`
	Title    string   `json:"title"`
	Level    string   `json:"level,omitempty"`
	Author   string   `json:"author,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	RuleName string   `json:"rule_name,omitempty"`
	// CorrelationOnly is set for rules that only feed correlation rules
	// (generate: false); they should not raise an alert of their own.
	CorrelationOnly bool  `json:"correlation_only,omitempty"`
	Rule            *Rule `json:"-"`
}

// Refusal is a rule that could not be used, and why.
type Refusal struct {
	Rule *Rule
	Err  error
}

type cRule struct {
	idx   int32
	rule  *Rule
	cond  cond
	keys  [][]atom // clauses the literal index requires, all of them
	match Match
	// variants are the rule compiled under event-scoped field mappings.
	variants []variant
}

type variant struct {
	mapping int   // index in Config.FieldMappings
	idx     int32 // the compiled variant in RuleSet.rules
}

// RuleSet is a compiled rule library. It is safe for concurrent use.
type RuleSet struct {
	cfg    Config
	rules  []*cRule // the detection rules in load order, then their variants
	nbase  int      // rules[:nbase] are the detection rules themselves
	byLS   map[LogSource][]int32
	fields map[string]int
	names  []string
	alts   []string // per field id, the field read when names[id] is absent
	routes sync.Map // route key -> *route
	// small maps up to four logsources to their route without building a
	// key string; it is replaced, never modified, under routeMu.
	small   atomic.Pointer[map[smallKey]*route]
	routeMu sync.Mutex
	pool    sync.Pool
	all     *route
	anyOnce sync.Once
	anyRt   *route // every rule, for events of unknown logsource
	Refused []Refusal
	// Correlations are the correlation rules of the library, for a Correlator.
	Correlations []*Rule
	// Detections are the compiled detection rules.
	Detections []*Rule
}

func (rs *RuleSet) fieldID(name string) int {
	if id, ok := rs.fields[name]; ok {
		return id
	}
	id := len(rs.names)
	rs.fields[name] = id
	// "primary\x00fallback" is a field of an event-scoped mapping.
	primary, alt, _ := strings.Cut(name, "\x00")
	rs.names = append(rs.names, primary)
	rs.alts = append(rs.alts, alt)
	return id
}

// Compile compiles rules (detections, filters, correlations) into a RuleSet.
// Rules that cannot be compiled are listed in RuleSet.Refused with the
// reason; the others are usable.
func Compile(rules []*Rule, cfg Config) *RuleSet {
	cfg = cfg.WithDefaults()
	rs := &RuleSet{cfg: cfg, byLS: map[LogSource][]int32{}, fields: map[string]int{}}
	var filters []*Rule
	referenced := map[string]bool{}
	for _, r := range rules {
		switch r.Kind {
		case KindFilter:
			filters = append(filters, r)
		case KindCorrelation:
			rs.Correlations = append(rs.Correlations, r)
			if !r.Correlation.Generate {
				for _, ref := range r.Correlation.Rules {
					referenced[ref] = true
				}
			}
		}
	}
	for _, r := range rules {
		if r.Kind != KindDetection {
			continue
		}
		fields := rs.mappingFor(r.LogSource)
		cnd, err := rs.compileRule(r, fields, filters)
		if err != nil {
			rs.Refused = append(rs.Refused, Refusal{Rule: r, Err: err})
			continue
		}
		cr := &cRule{idx: int32(len(rs.rules)), rule: r, cond: cnd, keys: indexKeys(cnd.need())}
		cr.match = Match{RuleID: r.ID, Title: r.Title, Level: r.Level, Author: r.Author, Tags: r.Tags, RuleName: r.Name, Rule: r,
			CorrelationOnly: (r.ID != "" && referenced[r.ID]) || (r.Name != "" && referenced[r.Name])}
		rs.rules = append(rs.rules, cr)
		rs.Detections = append(rs.Detections, r)
		rs.byLS[r.LogSource] = append(rs.byLS[r.LogSource], cr.idx)
	}
	rs.nbase = len(rs.rules)
	for _, cr := range rs.rules[:rs.nbase] {
		for i, m := range cfg.FieldMappings {
			if m.Event == (LogSource{}) || !m.LogSource.Fits(cr.rule.LogSource) {
				continue
			}
			base := rs.mappingFor(cr.rule.LogSource)
			fields := make(map[string]string, len(base)+len(m.Fields))
			for k, v := range base {
				fields[k] = v
			}
			for k, v := range m.Fields {
				fallback := k
				if b, ok := base[k]; ok {
					fallback = b
				}
				fields[k] = v + "\x00" + fallback
			}
			cnd, err := rs.compileRule(cr.rule, fields, filters)
			if err != nil {
				continue // renaming fields cannot make a rule invalid; keep the base
			}
			v := &cRule{idx: int32(len(rs.rules)), rule: cr.rule, cond: cnd, keys: indexKeys(cnd.need()), match: cr.match}
			rs.rules = append(rs.rules, v)
			cr.variants = append(cr.variants, variant{mapping: i, idx: v.idx})
		}
	}
	if cfg.DisableRouting {
		all := make([]int32, rs.nbase)
		for i := range all {
			all[i] = int32(i)
		}
		rs.cfg.DisablePrefilter = true
		rs.all = rs.buildRoute(all)
	}
	rs.pool.New = func() any { return &evalCtx{} }
	return rs
}

// Len is the number of compiled detection rules.
func (rs *RuleSet) Len() int { return rs.nbase }

// compileRule compiles r's detection and the filters that apply to it,
// with fields renamed by fields.
func (rs *RuleSet) compileRule(r *Rule, fields map[string]string, filters []*Rule) (cond, error) {
	c := &compiler{rs: rs, file: r.File, fields: fields}
	cnd, err := c.detection(r.Detection, "detection")
	if err != nil {
		return nil, err
	}
	return rs.applyFilters(r, cnd, filters, fields)
}

// pick is the variant of rule ri that events of sources meet: the one of
// the last event-scoped mapping that fits them, else the rule itself.
func (rs *RuleSet) pick(ri int32, sources []LogSource) int32 {
	out := ri
	for _, v := range rs.rules[ri].variants {
		ev := rs.cfg.FieldMappings[v.mapping].Event
		for _, s := range sources {
			if ev.Fits(s) {
				out = v.idx
				break
			}
		}
	}
	return out
}

// mappingFor merges the mappings that are not scoped to events.
func (rs *RuleSet) mappingFor(ls LogSource) map[string]string {
	var out map[string]string
	for _, m := range rs.cfg.FieldMappings {
		if !m.LogSource.Fits(ls) || m.Event != (LogSource{}) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		for k, v := range m.Fields {
			out[k] = v
		}
	}
	return out
}

// applyFilters adds "and not <filter>" for each filter that names the rule
// and whose logsource fits it.
func (rs *RuleSet) applyFilters(r *Rule, cnd cond, filters []*Rule, fields map[string]string) (cond, error) {
	out := cAnd{cnd}
	for _, f := range filters {
		applies := len(f.Filter.Rules) == 0
		for _, ref := range f.Filter.Rules {
			if (r.ID != "" && ref == r.ID) || (r.Name != "" && ref == r.Name) {
				applies = true
			}
		}
		if !applies || !f.LogSource.Fits(r.LogSource) {
			continue
		}
		c := &compiler{rs: rs, file: f.File, fields: fields}
		fc, err := c.detection(f.Detection, "filter")
		if err != nil {
			return nil, err
		}
		out = append(out, cNot{fc})
	}
	if len(out) == 1 {
		return cnd, nil
	}
	return out, nil
}

// maxKeys is how many clauses of a rule's need the index may require.
const maxKeys = 3

// indexKeys chooses the clauses of n the literal index requires of a rule:
// the maxKeys most selective ones, so that a short common literal, or a long
// one that most events carry, does not alone make the rule a candidate.
func indexKeys(n *need) [][]atom {
	if n == nil {
		return nil
	}
	seen := map[string]bool{}
	var cls [][]atom
	for _, cl := range n.clauses {
		var kb strings.Builder
		for _, a := range cl {
			kb.WriteString(a.field)
			kb.WriteByte(0)
			kb.WriteString(a.lit)
			kb.WriteByte(0)
		}
		if k := kb.String(); !seen[k] {
			seen[k] = true
			cls = append(cls, cl)
		}
	}
	sort.SliceStable(cls, func(i, j int) bool { return clauseScore(cls[i]) > clauseScore(cls[j]) })
	return cls[:min(len(cls), maxKeys)]
}

// route is the rules an event class can match, with their literal index.
type route struct {
	rules  []int32
	always []int32      // rules the prefilter knows nothing about
	full   []uint8      // per rule position, the mask of all its keys
	fields []fieldIndex // per event field, an automaton over its atoms
	anyAC  *fieldIndex  // atoms that may be in any field (keywords)
	// covered are the event fields whose automata also hold the keyword
	// atoms: the keyword automaton does not scan them again.
	covered map[string]bool
	npat    int
	nstate  int
}

type fieldIndex struct {
	fid   int
	ac    *acMatcher
	pats  [][]int32 // pattern -> rule position in route.rules << 2 | key number
	base  int32     // pattern ids of this index start here in the stamp table
	sbase int32     // automaton states start here in the state stamp table
}

func (rs *RuleSet) buildRoute(rules []int32) *route {
	rt := &route{rules: rules}
	if rs.cfg.DisablePrefilter {
		rt.always = make([]int32, len(rules))
		for i := range rules {
			rt.always[i] = int32(i)
		}
		return rt
	}
	byField := map[string]map[string][]int32{}
	rt.full = make([]uint8, len(rules))
	for pos, ri := range rules {
		keys := rs.rules[ri].keys
		if keys == nil {
			rt.always = append(rt.always, int32(pos))
			continue
		}
		rt.full[pos] = uint8(1)<<len(keys) - 1
		for k, cl := range keys {
			e := int32(pos)<<2 | int32(k)
			for _, a := range cl {
				m := byField[a.field]
				if m == nil {
					m = map[string][]int32{}
					byField[a.field] = m
				}
				if l := m[a.lit]; len(l) == 0 || l[len(l)-1] != e {
					m[a.lit] = append(l, e)
				}
			}
		}
	}
	fields := make([]string, 0, len(byField))
	for f := range byField {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	kw := byField[""]
	for _, f := range fields {
		m := byField[f]
		if f != "" && kw != nil {
			// The keyword atoms ride along in the automaton of each indexed
			// field, so that the values of these fields are scanned once;
			// the keyword automaton then skips them (covered).
			merged := make(map[string][]int32, len(m)+len(kw))
			for l, es := range m {
				merged[l] = es
			}
			for l, es := range kw {
				merged[l] = append(merged[l][:len(merged[l]):len(merged[l])], es...)
			}
			m = merged
			if rt.covered == nil {
				rt.covered = map[string]bool{}
			}
			// A field of an event-scoped mapping reads its first name when
			// the event has it, the only case in which that key is covered.
			primary, _, _ := strings.Cut(f, "\x00")
			rt.covered[primary] = true
		}
		lits := make([]string, 0, len(m))
		for l := range m {
			lits = append(lits, l)
		}
		sort.Strings(lits)
		fi := fieldIndex{ac: newAC(lits), base: int32(rt.npat)}
		for _, l := range lits {
			fi.pats = append(fi.pats, m[l])
		}
		rt.npat += len(lits)
		fi.sbase = int32(rt.nstate)
		rt.nstate += len(fi.ac.fail)
		if f == "" {
			fi.fid = -1
			rt.anyAC = &fi
			continue
		}
		fi.fid = rs.fieldID(f)
		rt.fields = append(rt.fields, fi)
	}
	return rt
}

// smallKey is a list of up to four logsources.
type smallKey struct {
	n  int
	ls [4]LogSource
}

func (rs *RuleSet) route(sources []LogSource) *route {
	if rs.cfg.DisableRouting {
		return rs.all
	}
	if len(sources) > len(smallKey{}.ls) {
		return rs.routeByString(sources)
	}
	k := smallKey{n: len(sources)}
	copy(k.ls[:], sources)
	if m := rs.small.Load(); m != nil {
		if r, ok := (*m)[k]; ok {
			return r
		}
	}
	r := rs.routeByString(sources)
	rs.routeMu.Lock()
	defer rs.routeMu.Unlock()
	next := map[smallKey]*route{k: r}
	if m := rs.small.Load(); m != nil {
		for k2, r2 := range *m {
			next[k2] = r2
		}
	}
	rs.small.Store(&next)
	return r
}

func (rs *RuleSet) routeByString(sources []LogSource) *route {
	var kb strings.Builder
	for _, s := range sources {
		kb.WriteString(s.Product)
		kb.WriteByte('|')
		kb.WriteString(s.Category)
		kb.WriteByte('|')
		kb.WriteString(s.Service)
		kb.WriteByte(';')
	}
	key := kb.String()
	if r, ok := rs.routes.Load(key); ok {
		return r.(*route)
	}
	rs.routeMu.Lock()
	defer rs.routeMu.Unlock()
	if r, ok := rs.routes.Load(key); ok {
		return r.(*route)
	}
	var idx []int32
	for _, s := range sources {
		for mask := 0; mask < 8; mask++ {
			k := LogSource{}
			if mask&1 != 0 {
				k.Product = s.Product
			}
			if mask&2 != 0 {
				k.Category = s.Category
			}
			if mask&4 != 0 {
				k.Service = s.Service
			}
			if (mask&1 != 0 && s.Product == "") || (mask&2 != 0 && s.Category == "") || (mask&4 != 0 && s.Service == "") {
				continue
			}
			idx = append(idx, rs.byLS[k]...)
		}
	}
	if len(sources) == 0 {
		idx = append(idx, rs.byLS[LogSource{}]...)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	// In place: a variant keeps the position, so the order, of its rule.
	for i, ri := range idx {
		idx[i] = rs.pick(ri, sources)
	}
	r := rs.buildRoute(idx)
	rs.routes.Store(key, r)
	return r
}

// Evaluate returns the rules that match ev, routed by the logsources the
// configured LogSourceFunc gives for it.
func (rs *RuleSet) Evaluate(ev Event) []Match {
	return rs.EvaluateIn(ev, rs.cfg.LogSources(ev))
}

// EvaluateIn is Evaluate for an event whose logsources the caller knows.
func (rs *RuleSet) EvaluateIn(ev Event, sources []LogSource) []Match {
	var out []Match
	rs.each(ev, sources, func(r *cRule) { out = append(out, r.match) })
	return out
}

// Matches calls f for each rule that matches ev; it does not allocate.
func (rs *RuleSet) Matches(ev Event, sources []LogSource, f func(*Match)) {
	rs.each(ev, sources, func(r *cRule) { f(&r.match) })
}

// MatchesAnySource calls f for each rule that matches ev whatever the
// rule's logsource says: the detection of every rule is tried (through the
// literal index). It is for events whose logsource is not known, where
// leaving a rule out would hide a match from the rule's author.
func (rs *RuleSet) MatchesAnySource(ev Event, f func(*Match)) {
	rs.anyOnce.Do(func() {
		if rs.cfg.DisableRouting {
			rs.anyRt = rs.all
			return
		}
		all := make([]int32, rs.nbase)
		for i := range all {
			all[i] = int32(i)
		}
		rs.routeMu.Lock()
		defer rs.routeMu.Unlock()
		rs.anyRt = rs.buildRoute(all)
	})
	rs.eval(ev, rs.anyRt, nil, false, func(r *cRule) { f(&r.match) })
}

func (rs *RuleSet) each(ev Event, sources []LogSource, f func(*cRule)) {
	rs.eval(ev, rs.route(sources), sources, rs.cfg.DisableRouting, f)
}

// eval evaluates the rules of rt; with checkSources, each rule's logsource
// is checked against sources first (the naive evaluator).
func (rs *RuleSet) eval(ev Event, rt *route, sources []LogSource, checkSources bool, f func(*cRule)) {
	c := rs.pool.Get().(*evalCtx)
	c.reset(ev, rs.names, rs.alts) // field ids are all assigned by Compile
	if rs.cfg.DisableRouting {
		for _, pos := range rt.always {
			r := rs.rules[rt.rules[pos]]
			if checkSources {
				if !fitsAny(r.rule.LogSource, sources) {
					continue
				}
				r = rs.rules[rs.pick(r.idx, sources)]
			}
			if r.cond.eval(c) {
				f(r)
			}
		}
		rs.pool.Put(c)
		return
	}
	cands := rs.candidates(c, rt)
	for _, pos := range cands {
		r := rs.rules[rt.rules[pos]]
		if r.cond.eval(c) {
			f(r)
		}
	}
	rs.pool.Put(c)
}

func fitsAny(ls LogSource, sources []LogSource) bool {
	for _, s := range sources {
		if ls.Fits(s) {
			return true
		}
	}
	return len(sources) == 0 && ls == LogSource{}
}

// scan appends the patterns of ac found in strings.ToLower(s).
func (c *evalCtx) scan(ac *acMatcher, dst []int32, s string, marks []uint32, stamp uint32) []int32 {
	dst, ok := ac.appendHitsFold(dst, s, marks, stamp)
	if !ok {
		dst = ac.appendHits(dst, c.lower(s), marks, stamp)
	}
	return dst
}

// candidates runs the literal index: one automaton pass per indexed field.
func (rs *RuleSet) candidates(c *evalCtx, rt *route) []int32 {
	if rt.npat == 0 {
		return rt.always
	}
	c.stamp++
	if c.stamp == 0 {
		clear(c.marks)
		clear(c.patMarks)
		clear(c.stateMarks)
		c.stamp = 1
	}
	if len(c.marks) < len(rt.rules) {
		c.marks = make([]uint32, len(rt.rules))
		c.masks = make([]uint8, len(rt.rules))
	}
	if len(c.patMarks) < rt.npat {
		c.patMarks = make([]uint32, rt.npat)
	}
	if len(c.stateMarks) < rt.nstate {
		c.stateMarks = make([]uint32, rt.nstate)
	}
	c.cands = append(c.cands[:0], rt.always...)
	stamp := c.stamp
	take := func(fi *fieldIndex) {
		for _, pid := range c.hits {
			g := fi.base + pid
			if c.patMarks[g] == stamp {
				continue
			}
			c.patMarks[g] = stamp
			for _, e := range fi.pats[pid] {
				pos, bit := e>>2, uint8(1)<<(e&3)
				if c.marks[pos] != stamp {
					c.marks[pos] = stamp
					c.masks[pos] = 0
				}
				m := c.masks[pos]
				if m&bit != 0 {
					continue
				}
				m |= bit
				c.masks[pos] = m
				if m == rt.full[pos] {
					c.cands = append(c.cands, pos)
				}
			}
		}
		c.hits = c.hits[:0]
	}
	for i := range rt.fields {
		fi := &rt.fields[i]
		v := c.get(fi.fid)
		if !v.present || v.null {
			continue
		}
		sm := c.stateMarks[fi.sbase:]
		if v.ms == nil {
			c.hits = c.scan(fi.ac, c.hits, v.s, sm, stamp)
		} else {
			for _, l := range v.ml {
				c.hits = fi.ac.appendHits(c.hits, l, sm, stamp)
			}
		}
		take(fi)
	}
	if fi := rt.anyAC; fi != nil {
		// Every value of every field, lower-cased into scratch space.
		sm := c.stateMarks[fi.sbase:]
		for k, raw := range c.ev {
			if rt.covered[k] {
				continue
			}
			switch x := raw.(type) {
			case nil:
			case []any:
				for _, e := range x {
					if e != nil {
						c.hits = c.scan(fi.ac, c.hits, toString(e), sm, stamp)
					}
				}
			case []string:
				for _, e := range x {
					c.hits = c.scan(fi.ac, c.hits, e, sm, stamp)
				}
			case string:
				c.hits = c.scan(fi.ac, c.hits, x, sm, stamp)
			default:
				c.hits = c.scan(fi.ac, c.hits, toString(raw), sm, stamp)
			}
		}
		take(fi)
	}
	slices.Sort(c.cands)
	return c.cands
}
