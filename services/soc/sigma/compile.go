package sigma

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf16"
)

// need is what the prefilter knows about a sub-expression, as clauses that
// all hold: for each clause, at least one of its atoms is present in every
// event the expression matches. A nil *need means "nothing is known" (the
// expression may match without any literal).
type need struct{ clauses [][]atom }

type atom struct {
	field string // event field name; "" for any field (keywords)
	lit   string // lower-cased literal
}

// litNeed is the need of one literal in one field.
func litNeed(field, lit string) *need {
	return &need{clauses: [][]atom{{{field: field, lit: lit}}}}
}

// clauseScore ranks clauses: longer shortest literal first, then fewer
// atoms.
func clauseScore(cl []atom) int {
	minLen := 1 << 30
	for _, a := range cl {
		minLen = min(minLen, len(a.lit))
	}
	return min(minLen, 12)*1000 - len(cl)
}

// top is the most selective clause of n.
func (n *need) top() []atom {
	var b []atom
	for _, cl := range n.clauses {
		if b == nil || clauseScore(cl) > clauseScore(b) {
			b = cl
		}
	}
	return b
}

// best is the need of an AND: every clause of every known need holds.
func best(ns ...*need) *need {
	var out *need
	for _, n := range ns {
		if n == nil {
			continue
		}
		if out == nil {
			out = &need{}
		}
		out.clauses = append(out.clauses, n.clauses...)
	}
	return out
}

// union is the need of an OR: known only when every branch is known; one
// clause made of each branch's most selective clause.
func union(ns ...*need) *need {
	var cl []atom
	for _, n := range ns {
		if n == nil {
			return nil
		}
		cl = append(cl, n.top()...)
	}
	if len(cl) == 0 {
		return nil
	}
	return &need{clauses: [][]atom{cl}}
}

// compiler compiles the detection of one rule.
type compiler struct {
	rs     *RuleSet
	file   string
	fields map[string]string // Sigma field -> event field for this rule
}

func (c *compiler) fid(sigmaField string) (int, string) {
	name := sigmaField
	if m, ok := c.fields[sigmaField]; ok {
		name = m
	}
	return c.rs.fieldID(name), name
}

var knownModifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true, "exists": true, "cased": true,
	"neq": true, "windash": true, "re": true, "i": true, "m": true, "s": true, "base64": true,
	"base64offset": true, "utf16le": true, "utf16be": true, "utf16": true, "wide": true,
	"lt": true, "lte": true, "gt": true, "gte": true, "minute": true, "hour": true, "day": true,
	"week": true, "month": true, "year": true, "cidr": true, "expand": true, "fieldref": true,
}

func (c *compiler) err(it FieldItem, format string, args ...any) error {
	return ruleError(c.file, it.Path, format, args...)
}

func (c *compiler) item(it FieldItem) (matcher, *need, error) {
	mods := map[string]bool{}
	for _, m := range it.Modifiers {
		if !knownModifiers[m] {
			return nil, nil, c.err(it, "unknown modifier %q", m)
		}
		mods[m] = true
	}
	if (mods["i"] || mods["m"] || mods["s"]) && !mods["re"] {
		return nil, nil, c.err(it, "modifiers i, m and s only apply after re")
	}
	all := mods["all"]
	keyword := it.Field == ""
	var fid int
	var evName string
	if !keyword {
		fid, evName = c.fid(it.Field)
	}

	switch {
	case mods["exists"]:
		if keyword || len(it.Values) != 1 || it.Values[0].Kind != VBool {
			return nil, nil, c.err(it, "exists takes a field and true or false")
		}
		return &existsMatcher{fid: fid, want: it.Values[0].S == "true"}, nil, nil

	case mods["fieldref"]:
		if keyword {
			return nil, nil, c.err(it, "fieldref needs a field")
		}
		m := &fieldrefMatcher{fid: fid, cased: mods["cased"], all: all, neq: mods["neq"]}
		for _, p := range []string{"contains", "startswith", "endswith"} {
			if mods[p] {
				m.pos = p
			}
		}
		for _, v := range it.Values {
			if v.Kind != VString || v.S == "" {
				return nil, nil, c.err(it, "fieldref values are field names")
			}
			ref, _ := c.fid(v.S)
			m.refs = append(m.refs, ref)
		}
		return m, nil, nil

	case mods["re"]:
		if keyword {
			return nil, nil, c.err(it, "re needs a field")
		}
		flags := ""
		for _, f := range []string{"i", "m", "s"} {
			if mods[f] {
				flags += f
			}
		}
		m := &reMatcher{fid: fid, all: all, neq: mods["neq"]}
		var needs []*need
		for _, v := range it.Values {
			if v.Kind == VNull {
				return nil, nil, c.err(it, "a regular expression cannot be null")
			}
			expr := v.S
			if flags != "" {
				expr = "(?" + flags + ")" + expr
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, nil, c.err(it, "regular expression %q is not supported: %v", v.S, err)
			}
			m.res = append(m.res, re)
			needs = append(needs, regexNeed(evName, expr))
		}
		if m.neq {
			return m, nil, nil
		}
		if all {
			return m, best(needs...), nil
		}
		return m, union(needs...), nil

	case mods["cidr"]:
		if keyword {
			return nil, nil, c.err(it, "cidr needs a field")
		}
		m := &cidrMatcher{fid: fid, neq: mods["neq"]}
		for _, v := range it.Values {
			p, err := parsePrefix(v.S)
			if err != nil {
				return nil, nil, c.err(it, "%q is not a CIDR range: %v", v.S, err)
			}
			m.prefixes = append(m.prefixes, p)
		}
		return m, nil, nil
	}

	timePart := ""
	for _, p := range []string{"minute", "hour", "day", "week", "month", "year"} {
		if mods[p] {
			timePart = p
		}
	}
	cmpOp := ""
	for _, p := range []string{"lt", "lte", "gt", "gte"} {
		if mods[p] {
			if cmpOp != "" {
				return nil, nil, c.err(it, "only one of lt, lte, gt, gte per field")
			}
			cmpOp = p
		}
	}
	if cmpOp != "" || timePart != "" {
		if keyword {
			return nil, nil, c.err(it, "numeric comparison needs a field")
		}
		op := cmpOp
		if op == "" && mods["neq"] {
			op = "neq"
		}
		m := &numMatcher{fid: fid, all: all, timePart: timePart}
		for _, v := range it.Values {
			n, ok := toNumber(v.S)
			if v.Kind == VNull || !ok {
				return nil, nil, c.err(it, "%q is not a number", v.S)
			}
			m.cmps = append(m.cmps, numCmp{op: op, n: n})
		}
		if op == "neq" {
			m.all = true
		}
		return m, nil, nil
	}

	// String values.
	var nullM matcher
	var pats []*pattern
	cased := mods["cased"]
	for _, v := range it.Values {
		if v.Kind == VNull {
			if keyword {
				return nil, nil, c.err(it, "a keyword cannot be null")
			}
			nullM = &nullMatcher{fid: fid}
			continue
		}
		vals := []string{v.S}
		if mods["expand"] {
			var err error
			if vals, err = c.expand(v.S); err != nil {
				return nil, nil, c.err(it, "%v", err)
			}
		}
		for _, s := range vals {
			seqs := [][]tok{parseWildcards(s)}
			if v.Kind != VString {
				seqs = [][]tok{{{k: tLit, s: s}}}
			}
			for _, mod := range it.Modifiers {
				var err error
				if seqs, err = applyModifier(mod, seqs); err != nil {
					return nil, nil, c.err(it, "%v", err)
				}
			}
			if keyword && !mods["contains"] && !mods["startswith"] && !mods["endswith"] {
				// A keyword is searched anywhere in the event.
				for i, sq := range seqs {
					seqs[i] = wrap(sq, true, true)
				}
			}
			for _, sq := range seqs {
				pats = append(pats, compilePattern(sq, !cased))
			}
		}
	}
	var needs []*need
	for _, p := range pats {
		if p.need == "" {
			needs = append(needs, nil)
			continue
		}
		needs = append(needs, litNeed(evName, strings.ToLower(p.need)))
	}
	if keyword {
		m := &keywordMatcher{pats: pats, all: all, cased: cased}
		for _, f := range c.rs.cfg.KeywordFields {
			m.fields = append(m.fields, c.rs.fieldID(f))
		}
		// Keyword atoms are looked for in every field of the event, a
		// superset of the keyword fields, so the prefilter stays sound.
		for _, n := range needs {
			if n != nil {
				n.clauses[0][0].field = ""
			}
		}
		if all {
			return m, best(needs...), nil
		}
		return m, union(needs...), nil
	}
	if mods["neq"] {
		if nullM != nil {
			return nil, nil, c.err(it, "neq cannot be combined with null")
		}
		return &strMatcher{fid: fid, pats: pats, cased: cased, neq: true}, nil, nil
	}
	var m matcher
	if len(pats) > 0 {
		m = &strMatcher{fid: fid, pats: pats, all: all, cased: cased}
	}
	switch {
	case nullM != nil && m != nil:
		return anyOf{nullM, m}, nil, nil
	case nullM != nil:
		return nullM, nil, nil
	case m == nil:
		return never{}, nil, nil // a placeholder that expanded to nothing
	}
	if all {
		return m, best(needs...), nil
	}
	return m, union(needs...), nil
}

func wrap(ts []tok, lead, trail bool) []tok {
	out := make([]tok, 0, len(ts)+2)
	if lead && (len(ts) == 0 || ts[0].k != tStar) {
		out = append(out, tok{k: tStar})
	}
	out = append(out, ts...)
	if trail && (len(out) == 0 || out[len(out)-1].k != tStar) {
		out = append(out, tok{k: tStar})
	}
	return out
}

// applyModifier transforms each token sequence; encodings need literals.
func applyModifier(mod string, seqs [][]tok) ([][]tok, error) {
	var out [][]tok
	for _, sq := range seqs {
		switch mod {
		case "contains":
			out = append(out, wrap(sq, true, true))
		case "startswith":
			out = append(out, wrap(sq, false, true))
		case "endswith":
			out = append(out, wrap(sq, true, false))
		case "windash":
			out = append(out, windash(sq))
		case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
			lit, ok := literalOnly(sq)
			if !ok {
				return nil, fmt.Errorf("%s cannot encode a value with wildcards", mod)
			}
			for _, e := range encode(mod, lit) {
				out = append(out, []tok{{k: tLit, s: e}})
			}
		default:
			out = append(out, sq)
		}
	}
	return out, nil
}

func encode(mod, s string) []string {
	switch mod {
	case "base64":
		return []string{base64.StdEncoding.EncodeToString([]byte(s))}
	case "base64offset":
		// The value at offsets 0, 1 and 2 of a base64 stream; the characters
		// that depend on the neighbouring bytes are cut (as pySigma does).
		starts := [3]int{0, 2, 3}
		ends := [3]int{0, -3, -2}
		var out []string
		for i := 0; i < 3; i++ {
			enc := base64.StdEncoding.EncodeToString(append([]byte(strings.Repeat(" ", i)), s...))
			end := len(enc)
			if e := ends[(len(s)+i)%3]; e != 0 {
				end += e
			}
			if starts[i] <= end {
				out = append(out, enc[starts[i]:end])
			}
		}
		return out
	case "utf16le", "wide":
		return []string{utf16Bytes(s, binary.LittleEndian, false)}
	case "utf16be":
		return []string{utf16Bytes(s, binary.BigEndian, false)}
	case "utf16":
		return []string{utf16Bytes(s, binary.LittleEndian, true)}
	}
	return []string{s}
}

func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) string {
	var b []byte
	if bom {
		b = order.AppendUint16(b, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return string(b)
}

// expand replaces %placeholders% with the configured values. "\%" is a
// plain percent sign.
func (c *compiler) expand(s string) ([]string, error) {
	out := []string{""}
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '%' {
			for j := range out {
				out[j] += "%"
			}
			i++
			continue
		}
		if s[i] == '%' {
			end := strings.IndexByte(s[i+1:], '%')
			if end > 0 {
				name := s[i+1 : i+1+end]
				vals, ok := c.rs.cfg.Placeholders[name]
				if !ok {
					if c.rs.cfg.UnknownPlaceholders == PlaceholderMatchNothing {
						vals = nil
					} else {
						return nil, fmt.Errorf("placeholder %%%s%% has no values configured (Config.Placeholders)", name)
					}
				}
				var next []string
				for _, o := range out {
					for _, v := range vals {
						next = append(next, o+v)
					}
				}
				out = next
				i += end + 1
				continue
			}
		}
		for j := range out {
			out[j] += string(s[i])
		}
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, err
	}
	return p.Masked(), nil
}

// regexNeed finds a literal every match of expr contains.
func regexNeed(field, expr string) *need {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	var walk func(r *syntax.Regexp) *need
	walk = func(r *syntax.Regexp) *need {
		switch r.Op {
		case syntax.OpLiteral:
			lit := strings.ToLower(string(r.Rune))
			if lit == "" {
				return nil
			}
			return litNeed(field, lit)
		case syntax.OpCapture, syntax.OpPlus:
			return walk(r.Sub[0])
		case syntax.OpRepeat:
			if r.Min >= 1 {
				return walk(r.Sub[0])
			}
		case syntax.OpConcat:
			var ns []*need
			for _, s := range r.Sub {
				ns = append(ns, walk(s))
			}
			return best(ns...)
		case syntax.OpAlternate:
			var ns []*need
			for _, s := range r.Sub {
				ns = append(ns, walk(s))
			}
			return union(ns...)
		}
		return nil
	}
	return walk(re)
}

// search compiles one search identifier: an OR of ANDs.
type cSearch struct {
	name string
	maps [][]matcher
	need *need
}

func (s *cSearch) eval(c *evalCtx) bool {
	for _, m := range s.maps {
		ok := true
		for _, x := range m {
			if !x.match(c) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c *compiler) search(s *Search) (*cSearch, error) {
	cs := &cSearch{name: s.Name}
	var orNeeds []*need
	for _, sm := range s.Maps {
		var ms []matcher
		var andNeeds []*need
		for _, it := range sm {
			m, n, err := c.item(it)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
			andNeeds = append(andNeeds, n)
		}
		cs.maps = append(cs.maps, ms)
		orNeeds = append(orNeeds, best(andNeeds...))
	}
	cs.need = union(orNeeds...)
	return cs, nil
}

// cond is an evaluable condition.
type cond interface {
	eval(c *evalCtx) bool
	need() *need
}

type cAnd []cond
type cOr []cond
type cNot struct{ t cond }
type cRef struct{ s *cSearch }
type cOf struct {
	n   int
	all bool
	ss  []*cSearch
}

func (a cAnd) eval(c *evalCtx) bool {
	for _, t := range a {
		if !t.eval(c) {
			return false
		}
	}
	return true
}
func (a cAnd) need() *need {
	var ns []*need
	for _, t := range a {
		ns = append(ns, t.need())
	}
	return best(ns...)
}
func (o cOr) eval(c *evalCtx) bool {
	for _, t := range o {
		if t.eval(c) {
			return true
		}
	}
	return false
}
func (o cOr) need() *need {
	var ns []*need
	for _, t := range o {
		ns = append(ns, t.need())
	}
	return union(ns...)
}
func (n cNot) eval(c *evalCtx) bool { return !n.t.eval(c) }
func (n cNot) need() *need          { return nil }
func (r cRef) eval(c *evalCtx) bool { return r.s.eval(c) }
func (r cRef) need() *need          { return r.s.need }
func (o cOf) eval(c *evalCtx) bool {
	hits := 0
	for _, s := range o.ss {
		if s.eval(c) {
			hits++
			if !o.all && hits >= o.n {
				return true
			}
		} else if o.all {
			return false
		}
	}
	return o.all
}
func (o cOf) need() *need {
	var ns []*need
	for _, s := range o.ss {
		ns = append(ns, s.need)
	}
	if o.all {
		return best(ns...)
	}
	return union(ns...)
}

func (c *compiler) condition(n CondNode, ss map[string]*cSearch, order []string, field string) (cond, error) {
	switch x := n.(type) {
	case *CondAnd:
		var out cAnd
		for _, t := range x.Terms {
			e, err := c.condition(t, ss, order, field)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case *CondOr:
		var out cOr
		for _, t := range x.Terms {
			e, err := c.condition(t, ss, order, field)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case *CondNot:
		e, err := c.condition(x.Term, ss, order, field)
		if err != nil {
			return nil, err
		}
		return cNot{e}, nil
	case *CondRef:
		s, ok := ss[x.Name]
		if !ok {
			return nil, ruleError(c.file, field, "condition names %q, which is not a search identifier of the rule", x.Name)
		}
		return cRef{s}, nil
	case *CondOf:
		o := cOf{n: x.N, all: x.All}
		for _, name := range order {
			if x.Pattern == "them" {
				if strings.HasPrefix(name, "_") {
					continue
				}
			} else if ok, _ := path.Match(x.Pattern, name); !ok {
				continue
			}
			o.ss = append(o.ss, ss[name])
		}
		if len(o.ss) == 0 {
			return nil, ruleError(c.file, field, "%q matches no search identifier", x.String())
		}
		if !o.all && o.n > len(o.ss) {
			return nil, ruleError(c.file, field, "%q: only %d search identifiers match", x.String(), len(o.ss))
		}
		return o, nil
	}
	return nil, ruleError(c.file, field, "unsupported condition")
}

// detection compiles a whole detection section into one condition.
func (c *compiler) detection(d *Detection, section string) (cond, error) {
	ss := map[string]*cSearch{}
	for _, name := range d.Order {
		s, err := c.search(d.Searches[name])
		if err != nil {
			return nil, err
		}
		ss[name] = s
	}
	var conds cOr
	for i, text := range d.Conditions {
		field := section + ".condition"
		if len(d.Conditions) > 1 {
			field += "[" + strconv.Itoa(i) + "]"
		}
		n, err := ParseCondition(text)
		if err != nil {
			return nil, ruleError(c.file, field, "%v", err)
		}
		e, err := c.condition(n, ss, d.Order, field)
		if err != nil {
			return nil, err
		}
		conds = append(conds, e)
	}
	if len(conds) == 1 {
		return conds[0], nil
	}
	return conds, nil
}
