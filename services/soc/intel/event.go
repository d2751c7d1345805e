package intel

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

type fieldClass uint8

const (
	classIP fieldClass = iota
	classHost
	classURL
	classHash
	classEmail
)

// matchFields are the ECS fields Match reads, in the order that decides
// which field reports an indicator seen in several. Related.* fields are
// left out: they repeat the others and would only add work.
var matchFields = []struct {
	name  string
	class fieldClass
}{
	{"source.ip", classIP},
	{"destination.ip", classIP},
	{"client.ip", classIP},
	{"server.ip", classIP},
	{"host.ip", classIP},
	{"source.nat.ip", classIP},
	{"destination.nat.ip", classIP},
	{"dns.question.name", classHost},
	{"url.domain", classHost},
	{"destination.domain", classHost},
	{"server.domain", classHost},
	{"source.domain", classHost},
	{"client.domain", classHost},
	{"tls.client.server_name", classHost},
	{"url.full", classURL},
	{"url.original", classURL},
	{"file.hash.sha256", classHash},
	{"file.hash.sha1", classHash},
	{"file.hash.md5", classHash},
	{"process.hash.sha256", classHash},
	{"process.hash.sha1", classHash},
	{"process.hash.md5", classHash},
	{"process.parent.hash.sha256", classHash},
	{"process.parent.hash.sha1", classHash},
	{"process.parent.hash.md5", classHash},
	{"dll.hash.sha256", classHash},
	{"dll.hash.sha1", classHash},
	{"dll.hash.md5", classHash},
	{"email.from.address", classEmail},
	{"email.sender.address", classEmail},
	{"email.reply_to.address", classEmail},
	{"email.to.address", classEmail},
	{"email.cc.address", classEmail},
	{"user.email", classEmail},
	{"source.user.email", classEmail},
	{"destination.user.email", classEmail},
}

// Fields returns the ECS fields Match reads, in the order it reads them.
func Fields() []string {
	out := make([]string, len(matchFields))
	for i, f := range matchFields {
		out[i] = f.name
	}
	return out
}

// Match returns the indicators found in event ev (a flat map keyed by
// dotted ECS names, values a string or a list of strings) that apply to
// scope at now. It returns nil, without allocating, when nothing matches.
func (m *Matcher) Match(ev map[string]any, scope Scope, now time.Time) []Hit {
	return m.AppendMatch(nil, ev, scope, now)
}

// AppendMatch is Match appending to dst, for callers that reuse a slice.
func (m *Matcher) AppendMatch(dst []Hit, ev map[string]any, scope Scope, now time.Time) []Hit {
	if len(m.entries) == 0 || len(ev) == 0 {
		return dst
	}
	c := matchCtx{now: nowSec(now), start: len(dst)}
	// url.full's host is tested as a domain only when the event lacks
	// url.domain, which would otherwise report the same thing twice.
	_, hasDomain := ev["url.domain"]
	for _, f := range matchFields {
		v, ok := ev[f.name]
		if !ok {
			continue
		}
		c.field = f.name
		switch x := v.(type) {
		case string:
			dst = m.matchOne(dst, &c, scope, f.class, x, !hasDomain)
		case []any:
			for _, y := range x {
				if s, ok := y.(string); ok {
					dst = m.matchOne(dst, &c, scope, f.class, s, !hasDomain)
				}
			}
		case []string:
			for _, s := range x {
				dst = m.matchOne(dst, &c, scope, f.class, s, !hasDomain)
			}
		}
	}
	return dst
}

func (m *Matcher) matchOne(dst []Hit, c *matchCtx, scope Scope, class fieldClass, s string, hostToo bool) []Hit {
	if s == "" {
		return dst
	}
	c.raw = s
	switch class {
	case classIP:
		return m.matchIP(dst, c, scope, s)
	case classHost:
		return m.matchHost(dst, c, scope, strings.TrimSpace(s))
	case classURL:
		return m.matchURL(dst, c, scope, s, hostToo)
	case classHash:
		return m.matchHash(dst, c, scope, s)
	case classEmail:
		return m.matchEmail(dst, c, scope, s)
	}
	return dst
}

// Lookup finds the indicators that a bare value hits (an analyst's "is
// this known?"): the kind is guessed as Guess does, and the same rules as
// Match apply (a subdomain hits its parent's indicator, an address hits
// the most specific CIDR). Hits carry an empty Field.
func (m *Matcher) Lookup(value string, scope Scope, now time.Time) []Hit {
	value = strings.TrimSpace(value)
	if value == "" || len(m.entries) == 0 {
		return nil
	}
	c := matchCtx{now: nowSec(now), raw: value}
	if a, err := netip.ParseAddr(value); err == nil {
		return m.matchAddr(nil, &c, scope, a)
	}
	k, _, err := Guess(value)
	if err != nil {
		return nil
	}
	switch k {
	case KindURL:
		return m.matchURL(nil, &c, scope, value, true)
	case KindEmail:
		return m.matchEmail(nil, &c, scope, value)
	case KindSHA256, KindSHA1, KindMD5:
		return m.matchHash(nil, &c, scope, value)
	case KindDomain:
		return m.matchHost(nil, &c, scope, value)
	}
	return nil
}

// Store holds the Matcher in use. Ingest goroutines call Match (or Load)
// without locks; whoever rebuilds the lists calls Swap with a new Matcher.
// The zero Store is ready and matches nothing.
type Store struct {
	cur atomic.Pointer[Matcher]
}

// Load returns the current Matcher (an empty one before the first Swap).
func (s *Store) Load() *Matcher {
	if m := s.cur.Load(); m != nil {
		return m
	}
	return emptyMatcher
}

// Swap publishes m and returns the Matcher it replaces (nil at first).
// Readers that loaded the old one finish with it; it is freed once they
// are done.
func (s *Store) Swap(m *Matcher) *Matcher {
	if m == nil {
		m = emptyMatcher
	}
	return s.cur.Swap(m)
}

// Match runs the current Matcher; see Matcher.Match.
func (s *Store) Match(ev map[string]any, scope Scope, now time.Time) []Hit {
	return s.Load().Match(ev, scope, now)
}
