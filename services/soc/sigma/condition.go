package sigma

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// CondNode is a node of a parsed condition.
type CondNode interface{ String() string }

// CondAnd, CondOr, CondNot, CondRef and CondOf are the condition nodes.
type (
	CondAnd struct{ Terms []CondNode }
	CondOr  struct{ Terms []CondNode }
	CondNot struct{ Term CondNode }
	CondRef struct{ Name string }
	// CondOf is "N of pattern" (All for "all of"); Pattern "them" means every
	// search identifier that does not start with an underscore.
	CondOf struct {
		N       int
		All     bool
		Pattern string
	}
)

func (c *CondAnd) String() string { return join(c.Terms, " and ") }
func (c *CondOr) String() string  { return join(c.Terms, " or ") }
func (c *CondNot) String() string { return "not " + c.Term.String() }
func (c *CondRef) String() string { return c.Name }
func (c *CondOf) String() string {
	if c.All {
		return "all of " + c.Pattern
	}
	return strconv.Itoa(c.N) + " of " + c.Pattern
}

func join(ns []CondNode, sep string) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.String()
	}
	return "(" + strings.Join(s, sep) + ")"
}

type condParser struct {
	toks []string
	pos  int
}

// ParseCondition parses a Sigma condition. Precedence, least binding first:
// or, and, not, "x of", parentheses.
func ParseCondition(s string) (CondNode, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty condition")
	}
	p := &condParser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q at token %d of condition %q", p.toks[p.pos], p.pos+1, s)
	}
	return n, nil
}

func lexCondition(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case c == '|':
			return nil, fmt.Errorf("aggregations after '|' are not supported (use a correlation rule): %q", s)
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' && s[j] != '(' && s[j] != ')' && s[j] != '|' {
				j++
			}
			w := s[i:j]
			for _, r := range w {
				if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '*' || r == '-' || r == '.') {
					return nil, fmt.Errorf("invalid character %q in condition %q", r, s)
				}
			}
			toks = append(toks, w)
			i = j
		}
	}
	return toks, nil
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) or() (CondNode, error) {
	var terms []CondNode
	for {
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
		if !strings.EqualFold(p.peek(), "or") {
			break
		}
		p.pos++
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &CondOr{Terms: terms}, nil
}

func (p *condParser) and() (CondNode, error) {
	var terms []CondNode
	for {
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
		if !strings.EqualFold(p.peek(), "and") {
			break
		}
		p.pos++
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &CondAnd{Terms: terms}, nil
}

func (p *condParser) not() (CondNode, error) {
	if strings.EqualFold(p.peek(), "not") {
		p.pos++
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return &CondNot{Term: n}, nil
	}
	return p.primary()
}

func isKeyword(t string) bool {
	switch strings.ToLower(t) {
	case "and", "or", "not", "of", "(", ")":
		return true
	}
	return false
}

func (p *condParser) primary() (CondNode, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, fmt.Errorf("condition ends where an identifier or '(' was expected")
	case t == "(":
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing ')'")
		}
		p.pos++
		return n, nil
	case isKeyword(t):
		return nil, fmt.Errorf("unexpected %q where an identifier or '(' was expected", t)
	}
	p.pos++
	if strings.EqualFold(p.peek(), "of") {
		p.pos++
		pat := p.peek()
		if pat == "" || isKeyword(pat) {
			return nil, fmt.Errorf("%q of: missing identifier pattern or 'them'", t)
		}
		p.pos++
		of := &CondOf{Pattern: pat}
		if strings.EqualFold(t, "all") {
			of.All = true
		} else if strings.EqualFold(t, "any") {
			of.N = 1
		} else {
			n, err := strconv.Atoi(t)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%q of: want a positive number or 'all'", t)
			}
			of.N = n
		}
		return of, nil
	}
	if strings.Contains(t, "*") {
		return nil, fmt.Errorf("wildcard identifier %q is only allowed after '1 of' or 'all of'", t)
	}
	return &CondRef{Name: t}, nil
}

// ParseTimespan parses a correlation timespan such as 30s, 5m, 1h, 7d.
func ParseTimespan(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("%q is not a timespan (want a number and one of s, m, h, d, e.g. 5m)", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a timespan (want a number and one of s, m, h, d, e.g. 5m)", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'M': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("%q is not a timespan (unknown unit %q; want s, m, h or d)", s, s[len(s)-1])
	}
	return time.Duration(n) * unit, nil
}
