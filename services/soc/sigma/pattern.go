package sigma

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a Sigma string value after its modifiers: literal runs,
// "*" (any run), "?" (one character) and, for windash, a dash class. It is
// matched against a field value that is already lower-cased unless the
// value is matched case-sensitively.

type tokKind uint8

const (
	tLit tokKind = iota
	tStar
	tOne
	tDash
)

type tok struct {
	k tokKind
	s string
}

// dashes are the characters the windash modifier accepts for '-' and '/'.
var dashes = [...]string{"-", "/", "\u2013", "\u2014", "\u2015"}

// parseWildcards turns a Sigma string into tokens. A backslash escapes '*',
// '?' and itself; before any other character it is a plain backslash.
func parseWildcards(s string) []tok {
	var out []tok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, tok{k: tLit, s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
			} else {
				lit.WriteByte('\\')
			}
		case '*':
			flush()
			out = append(out, tok{k: tStar})
		case '?':
			flush()
			out = append(out, tok{k: tOne})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

func literalOnly(ts []tok) (string, bool) {
	var b strings.Builder
	for _, t := range ts {
		if t.k != tLit {
			return "", false
		}
		b.WriteString(t.s)
	}
	return b.String(), true
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// windash replaces each '-' or '/' that starts a word after a non-word
// character (pySigma's \B[-/]\b) by the dash class.
func windash(ts []tok) []tok {
	var out []tok
	prevWord := false // start of string counts as non-word
	for _, t := range ts {
		if t.k != tLit {
			out = append(out, t)
			prevWord = t.k == tOne
			continue
		}
		s := t.s
		start := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if (c == '-' || c == '/') && !prevWord && i+1 < len(s) && isWordByte(s[i+1]) {
				if i > start {
					out = append(out, tok{k: tLit, s: s[start:i]})
				}
				out = append(out, tok{k: tDash})
				start = i + 1
			}
			prevWord = isWordByte(c)
		}
		if start < len(s) {
			out = append(out, tok{k: tLit, s: s[start:]})
		}
	}
	return out
}

type patKind uint8

const (
	pExact patKind = iota
	pPrefix
	pSuffix
	pContains
	pAny
	pGlob
)

type segment struct {
	lit  string // set when the segment is one literal
	toks []tok  // otherwise
}

type pattern struct {
	kind        patKind
	lit         string
	lead, trail bool
	segs        []segment
	// need is the longest literal every match contains (for the prefilter).
	need string
}

// compilePattern builds a matcher from tokens; lower lower-cases literals.
func compilePattern(ts []tok, lower bool) *pattern {
	var norm []tok
	for _, t := range ts {
		if t.k == tLit {
			if t.s == "" {
				continue
			}
			if lower {
				t.s = strings.ToLower(t.s)
			}
			if n := len(norm); n > 0 && norm[n-1].k == tLit {
				norm[n-1].s += t.s
				continue
			}
		}
		if t.k == tStar && len(norm) > 0 && norm[len(norm)-1].k == tStar {
			continue
		}
		norm = append(norm, t)
	}
	p := &pattern{}
	for _, t := range norm {
		if t.k == tLit && len(t.s) > len(p.need) {
			p.need = t.s
		}
	}
	if len(norm) == 0 {
		p.kind = pExact
		return p
	}
	p.lead = norm[0].k == tStar
	p.trail = norm[len(norm)-1].k == tStar
	var cur []tok
	for _, t := range norm {
		if t.k == tStar {
			if len(cur) > 0 {
				p.segs = append(p.segs, mkSeg(cur))
				cur = nil
			}
			continue
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		p.segs = append(p.segs, mkSeg(cur))
	}
	switch {
	case len(p.segs) == 0:
		p.kind = pAny
	case len(p.segs) == 1 && p.segs[0].toks == nil:
		p.lit = p.segs[0].lit
		switch {
		case p.lead && p.trail:
			p.kind = pContains
		case p.lead:
			p.kind = pSuffix
		case p.trail:
			p.kind = pPrefix
		default:
			p.kind = pExact
		}
	default:
		p.kind = pGlob
	}
	return p
}

func mkSeg(ts []tok) segment {
	if len(ts) == 1 && ts[0].k == tLit {
		return segment{lit: ts[0].s}
	}
	return segment{toks: append([]tok(nil), ts...)}
}

func (p *pattern) match(s string) bool {
	switch p.kind {
	case pExact:
		return s == p.lit
	case pPrefix:
		return strings.HasPrefix(s, p.lit)
	case pSuffix:
		return strings.HasSuffix(s, p.lit)
	case pContains:
		return strings.Contains(s, p.lit)
	case pAny:
		return true
	}
	segs := p.segs
	pos := 0
	if !p.lead {
		n := segAt(segs[0], s, 0)
		if n < 0 {
			return false
		}
		pos = n
		segs = segs[1:]
		if len(segs) == 0 {
			return p.trail || pos == len(s)
		}
	}
	last := len(segs) - 1
	for i, sg := range segs {
		if i == last && !p.trail {
			return segSuffix(sg, s, pos)
		}
		n := segFind(sg, s, pos)
		if n < 0 {
			return false
		}
		pos = n
	}
	return true
}

// segAt matches sg at s[i:] and returns the end, or -1.
func segAt(sg segment, s string, i int) int {
	if sg.toks == nil {
		if strings.HasPrefix(s[i:], sg.lit) {
			return i + len(sg.lit)
		}
		return -1
	}
	for _, t := range sg.toks {
		switch t.k {
		case tLit:
			if !strings.HasPrefix(s[i:], t.s) {
				return -1
			}
			i += len(t.s)
		case tOne:
			if i >= len(s) {
				return -1
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		case tDash:
			ok := false
			for _, d := range dashes {
				if strings.HasPrefix(s[i:], d) {
					i += len(d)
					ok = true
					break
				}
			}
			if !ok {
				return -1
			}
		}
	}
	return i
}

// segFind returns the end of the leftmost match of sg in s[from:], or -1.
// Every token consumes exactly one character or a fixed literal, so the
// leftmost match also ends first, which is what a greedy glob needs.
func segFind(sg segment, s string, from int) int {
	if sg.toks == nil {
		i := strings.Index(s[from:], sg.lit)
		if i < 0 {
			return -1
		}
		return from + i + len(sg.lit)
	}
	for i := from; i <= len(s); {
		if sg.toks[0].k == tLit {
			j := strings.Index(s[i:], sg.toks[0].s)
			if j < 0 {
				return -1
			}
			i += j
		}
		if n := segAt(sg, s, i); n >= 0 {
			return n
		}
		if i == len(s) {
			break
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return -1
}

// segSuffix reports whether sg matches the end of s, starting at or after from.
func segSuffix(sg segment, s string, from int) bool {
	if sg.toks == nil {
		return len(s)-len(sg.lit) >= from && strings.HasSuffix(s, sg.lit)
	}
	for i := from; i <= len(s); {
		if segAt(sg, s, i) == len(s) {
			return true
		}
		if i == len(s) {
			break
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return false
}
