package intel

import (
	"net/netip"
	"strings"

	"github.com/opsward/opsward"
)

// PatternValue is one value a STIX pattern tests for.
type PatternValue struct {
	Kind  Kind
	Value string // normal form
}

// Limits on one pattern: real feeds use a handful of comparisons; a
// pattern past these is an attack or a mistake.
const (
	maxPatternLen    = 64 << 10
	maxPatternDepth  = 32
	maxPatternValues = 1000
)

// ParseSTIXPattern reads a STIX 2.1 pattern and returns the values it
// tests for, when the pattern is one the Matcher can express exactly: one
// or more `object:path = 'value'` comparisons joined by OR (inside one
// observation expression or across several). Anything else is refused
// with the reason, as an EINVALID error naming the field "pattern":
//
//   - AND, inside or across observations (it needs several values of one
//     object, or several objects, at once; the matcher tests single
//     values) and FOLLOWEDBY (order in time);
//   - operators other than '=' (!=, <, >, IN, LIKE, MATCHES, ISSUBSET,
//     ISSUPERSET, EXISTS) and NOT;
//   - qualifiers (WITHIN, REPEATS, START/STOP);
//   - object paths other than ipv4-addr:value, ipv6-addr:value,
//     domain-name:value, url:value, email-addr:value,
//     email-message:from_ref.value, email-message:sender_ref.value,
//     file:hashes.(SHA-256|SHA-1|MD5);
//   - non-string constants (numbers, booleans, h”, b”, t”).
func ParseSTIXPattern(p string) ([]PatternValue, error) {
	if len(p) > maxPatternLen {
		return nil, patternErr("is longer than %d bytes", maxPatternLen)
	}
	toks, err := lexPattern(p)
	if err != nil {
		return nil, err
	}
	ps := &patternParser{toks: toks}
	vals, err := ps.observationOr(0)
	if err != nil {
		return nil, err
	}
	if t := ps.peek(); t.kind != tEOF {
		return nil, patternErr("unexpected %s at offset %d", t.describe(), t.pos)
	}
	return vals, nil
}

func patternErr(format string, args ...any) error {
	return opsward.FieldErrorf("pattern", "pattern "+format, args...)
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tLBracket
	tRBracket
	tLParen
	tRParen
	tString // text holds the unescaped value
	tTyped  // h'..', b'..', t'..'
	tPath   // text holds the normalised object path
	tWord   // keyword, text upper-case
	tOp     // comparison operator
	tNumber
	tComma
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tString:
		return "string constant"
	}
	return "'" + clip(t.text) + "'"
}

var patternKeywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "FOLLOWEDBY": true, "LIKE": true, "MATCHES": true,
	"IN": true, "ISSUBSET": true, "ISSUPERSET": true, "EXISTS": true, "WITHIN": true,
	"REPEATS": true, "TIMES": true, "START": true, "STOP": true, "SECONDS": true,
	"TRUE": true, "FALSE": true,
}

func lexPattern(p string) ([]token, error) {
	var toks []token
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '[':
			toks = append(toks, token{tLBracket, "[", i})
			i++
		case c == ']':
			toks = append(toks, token{tRBracket, "]", i})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", i}) // only in IN (...) lists, which are refused
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == '\'':
			s, n, err := lexString(p, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, s, i})
			i = n
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(p) && p[j] == '=' {
				j++
			}
			op := p[i:j]
			if op == "!" {
				return nil, patternErr("has a stray '!' at offset %d", i)
			}
			toks = append(toks, token{tOp, op, i})
			i = j
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(p) && (p[j] >= '0' && p[j] <= '9' || p[j] == '.') {
				j++
			}
			toks = append(toks, token{tNumber, p[i:j], i})
			i = j
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			// A typed constant, a keyword or an object path.
			if (c == 'h' || c == 'b' || c == 't') && i+1 < len(p) && p[i+1] == '\'' {
				_, n, err := lexString(p, i+1)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{tTyped, p[i:n], i})
				i = n
				continue
			}
			j := i
			for j < len(p) && isWordByte(p[j]) {
				j++
			}
			if j < len(p) && p[j] == ':' {
				path, n, err := lexPath(p, i)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{tPath, path, i})
				i = n
				continue
			}
			w := strings.ToUpper(p[i:j])
			if !patternKeywords[w] {
				return nil, patternErr("has an unknown word %q at offset %d", clip(p[i:j]), i)
			}
			toks = append(toks, token{tWord, w, i})
			i = j
		default:
			return nil, patternErr("has an unexpected character %q at offset %d", rune(c), i)
		}
	}
	toks = append(toks, token{tEOF, "", len(p)})
	return toks, nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// lexString reads a quoted constant starting at p[i] == '\” and returns
// it unescaped (\' and \\ are the only escapes STIX defines) and the
// offset after it.
func lexString(p string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(p); j++ {
		switch p[j] {
		case '\\':
			if j+1 < len(p) && (p[j+1] == '\'' || p[j+1] == '\\') {
				b.WriteByte(p[j+1])
				j++
				continue
			}
			return "", 0, patternErr("has an invalid escape at offset %d (only \\' and \\\\)", j)
		case '\'':
			return b.String(), j + 1, nil
		}
		b.WriteByte(p[j])
	}
	return "", 0, patternErr("has an unterminated string starting at offset %d", i)
}

// lexPath reads an object path such as file:hashes.'SHA-256' or
// email-message:to_refs[*].value and returns it lower-cased, without
// quotes, list indexes written as [*] or [n] kept.
func lexPath(p string, i int) (string, int, error) {
	var b strings.Builder
	j := i
	for j < len(p) && isWordByte(p[j]) {
		j++
	}
	b.WriteString(strings.ToLower(p[i:j]))
	b.WriteByte(':')
	j++ // ':'
	first := true
	for {
		if !first {
			if j >= len(p) || p[j] != '.' {
				break
			}
			b.WriteByte('.')
			j++
		}
		first = false
		switch {
		case j < len(p) && p[j] == '\'':
			s, n, err := lexString(p, j)
			if err != nil {
				return "", 0, err
			}
			b.WriteString(strings.ToLower(s))
			j = n
		case j < len(p) && isWordByte(p[j]):
			k := j
			for k < len(p) && isWordByte(p[k]) {
				k++
			}
			b.WriteString(strings.ToLower(p[j:k]))
			j = k
		default:
			return "", 0, patternErr("has an incomplete object path at offset %d", i)
		}
		for j < len(p) && p[j] == '[' {
			k := strings.IndexByte(p[j:], ']')
			if k < 0 {
				return "", 0, patternErr("has an unclosed list index at offset %d", j)
			}
			b.WriteString(p[j : j+k+1])
			j += k + 1
		}
	}
	return b.String(), j, nil
}

type patternParser struct {
	toks []token
	i    int
	n    int // values so far
}

func (ps *patternParser) peek() token { return ps.toks[ps.i] }

func (ps *patternParser) next() token {
	t := ps.toks[ps.i]
	if t.kind != tEOF {
		ps.i++
	}
	return t
}

func (ps *patternParser) isWord(w string) bool {
	t := ps.peek()
	return t.kind == tWord && t.text == w
}

// observationOr: observation ( OR observation )*
func (ps *patternParser) observationOr(depth int) ([]PatternValue, error) {
	if depth > maxPatternDepth {
		return nil, patternErr("nests deeper than %d levels", maxPatternDepth)
	}
	vals, err := ps.observationAnd(depth)
	if err != nil {
		return nil, err
	}
	for ps.isWord("OR") {
		ps.next()
		more, err := ps.observationAnd(depth)
		if err != nil {
			return nil, err
		}
		vals = append(vals, more...)
	}
	return vals, nil
}

func (ps *patternParser) observationAnd(depth int) ([]PatternValue, error) {
	vals, err := ps.observation(depth)
	if err != nil {
		return nil, err
	}
	switch {
	case ps.isWord("AND"):
		return nil, patternErr("joins observations with AND (several objects seen together); the matcher tests single values")
	case ps.isWord("FOLLOWEDBY"):
		return nil, patternErr("uses FOLLOWEDBY (observations in sequence); the matcher tests single values")
	}
	return vals, nil
}

func (ps *patternParser) observation(depth int) ([]PatternValue, error) {
	var vals []PatternValue
	var err error
	switch t := ps.next(); t.kind {
	case tLParen:
		if vals, err = ps.observationOr(depth + 1); err != nil {
			return nil, err
		}
		if t := ps.next(); t.kind != tRParen {
			return nil, patternErr("expects ')' at offset %d, found %s", t.pos, t.describe())
		}
	case tLBracket:
		if vals, err = ps.comparisonOr(depth + 1); err != nil {
			return nil, err
		}
		if t := ps.next(); t.kind != tRBracket {
			return nil, patternErr("expects ']' at offset %d, found %s", t.pos, t.describe())
		}
	default:
		return nil, patternErr("expects '[' at offset %d, found %s", t.pos, t.describe())
	}
	if t := ps.peek(); t.kind == tWord && (t.text == "WITHIN" || t.text == "REPEATS" || t.text == "START") {
		return nil, patternErr("has a %s qualifier (a condition on time or count); the matcher tests single values", t.text)
	}
	return vals, nil
}

// comparisonOr: comparison ( OR comparison )*
func (ps *patternParser) comparisonOr(depth int) ([]PatternValue, error) {
	if depth > maxPatternDepth {
		return nil, patternErr("nests deeper than %d levels", maxPatternDepth)
	}
	vals, err := ps.comparisonAnd(depth)
	if err != nil {
		return nil, err
	}
	for ps.isWord("OR") {
		ps.next()
		more, err := ps.comparisonAnd(depth)
		if err != nil {
			return nil, err
		}
		vals = append(vals, more...)
	}
	return vals, nil
}

func (ps *patternParser) comparisonAnd(depth int) ([]PatternValue, error) {
	vals, err := ps.comparison(depth)
	if err != nil {
		return nil, err
	}
	if ps.isWord("AND") {
		return nil, patternErr("joins comparisons with AND (several properties of one object at once); the matcher tests single values")
	}
	return vals, nil
}

func (ps *patternParser) comparison(depth int) ([]PatternValue, error) {
	t := ps.next()
	switch t.kind {
	case tLParen:
		vals, err := ps.comparisonOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if t := ps.next(); t.kind != tRParen {
			return nil, patternErr("expects ')' at offset %d, found %s", t.pos, t.describe())
		}
		return vals, nil
	case tWord:
		if t.text == "EXISTS" {
			return nil, patternErr("uses EXISTS; the matcher tests values, not presence")
		}
		return nil, patternErr("expects an object path at offset %d, found %s", t.pos, t.describe())
	case tPath:
	default:
		return nil, patternErr("expects an object path at offset %d, found %s", t.pos, t.describe())
	}
	path := t.text
	op := ps.next()
	switch {
	case op.kind == tWord && op.text == "NOT":
		return nil, patternErr("negates a comparison with NOT; only '=' can be matched")
	case op.kind == tWord && (op.text == "LIKE" || op.text == "MATCHES" || op.text == "IN" || op.text == "ISSUBSET" || op.text == "ISSUPERSET"):
		return nil, patternErr("uses %s on %s; only '=' can be matched", op.text, path)
	case op.kind == tOp && op.text != "=":
		return nil, patternErr("uses %q on %s; only '=' can be matched", op.text, path)
	case op.kind != tOp:
		return nil, patternErr("expects a comparison operator at offset %d, found %s", op.pos, op.describe())
	}
	v := ps.next()
	switch v.kind {
	case tString:
	case tTyped:
		return nil, patternErr("compares %s with a typed constant (%s…); only string constants can be matched", path, v.text[:1])
	case tNumber, tWord:
		return nil, patternErr("compares %s with %s; only string constants can be matched", path, v.describe())
	default:
		return nil, patternErr("expects a constant at offset %d, found %s", v.pos, v.describe())
	}
	k, ok := pathKind(path)
	if !ok {
		return nil, patternErr("tests %s, which the matcher does not look for", clip(path))
	}
	if k == KindIPv4 || k == KindIPv6 {
		// STIX ipv4-addr/ipv6-addr values may be CIDR blocks.
		if strings.Contains(v.text, "/") {
			cv, err := ParseValue(KindCIDR, v.text)
			if err != nil {
				return nil, patternErr("value for %s: %s", path, opsward.ErrorMessage(err))
			}
			if strings.Contains(cv, ":") != (k == KindIPv6) {
				return nil, patternErr("value for %s: %q is a block of the other address family", path, clip(v.text))
			}
			if pr := netip.MustParsePrefix(cv); pr.Bits() < pr.Addr().BitLen() {
				return ps.add(PatternValue{KindCIDR, cv})
			}
			v.text = cv[:strings.IndexByte(cv, '/')] // a host prefix is an address
		}
	}
	val, err := ParseValue(k, v.text)
	if err != nil {
		return nil, patternErr("value for %s: %s", path, opsward.ErrorMessage(err))
	}
	return ps.add(PatternValue{k, val})
}

func (ps *patternParser) add(v PatternValue) ([]PatternValue, error) {
	ps.n++
	if ps.n > maxPatternValues {
		return nil, patternErr("tests more than %d values", maxPatternValues)
	}
	return []PatternValue{v}, nil
}

func pathKind(path string) (Kind, bool) {
	switch path {
	case "ipv4-addr:value":
		return KindIPv4, true
	case "ipv6-addr:value":
		return KindIPv6, true
	case "domain-name:value":
		return KindDomain, true
	case "url:value":
		return KindURL, true
	case "email-addr:value", "email-message:from_ref.value", "email-message:sender_ref.value":
		return KindEmail, true
	case "file:hashes.sha-256", "file:hashes.sha256":
		return KindSHA256, true
	case "file:hashes.sha-1", "file:hashes.sha1":
		return KindSHA1, true
	case "file:hashes.md5":
		return KindMD5, true
	}
	return "", false
}
