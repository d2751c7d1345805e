package intel

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// none marks the end of an entry chain and an empty trie node.
const none = ^uint32(0)

// Entries and arena offsets are 32-bit to keep the per-indicator record
// small; these bounds keep them from wrapping (far above any real list).
const (
	maxEntries = 1<<32 - 2
	maxArena   = 1<<32 - 1<<16
)

// Scope lists the tenants whose own indicators apply to an event, besides
// the global ones (empty TenantID), which always apply. The caller builds
// it: usually the event's tenant and, when the MSP shares lists down the
// tenant tree, that tenant's ancestors. A nil Scope means global
// indicators only; there is no "every tenant" value.
type Scope []string

func (s Scope) has(t string) bool {
	for _, x := range s {
		if x == t {
			return true
		}
	}
	return false
}

// Hit is one indicator found in one event.
type Hit struct {
	// Indicator is the indicator that matched, rebuilt from the Matcher's
	// compact form (valid-from/until at second precision).
	Indicator Indicator
	// Field is the ECS field that carried the value ("" for Lookup).
	Field string
	// Value is the event's value as it appeared in the field.
	Value string

	entry uint32
}

// entry is the Matcher's per-indicator record: 20 bytes plus a 4-byte
// chain link, with the value and id in a shared arena and everything that
// indicators of one feed have in common (source, TLP, tags, ...) interned
// in metas. Exact IPs and hashes keep no value at all: their map key is
// the value.
type entry struct {
	off   uint32 // value then id, in the arena
	meta  uint32
	from  uint32 // unix seconds, 0 = unbounded
	until uint32 // unix seconds, 0 = unbounded
	vlen  uint16
	idlen uint8
	kind  uint8
}

type meta struct {
	source, description, listID, tenantID string
	tlp                                   TLP
	confidence                            int
	tags                                  []string
}

type metaKey struct {
	source, description, listID, tenantID, tlp, tags string
	confidence, ntags                                int
}

// Matcher is an immutable snapshot of indicators indexed for matching.
// It is safe for any number of concurrent readers; to change the
// indicators, build a new one and swap it into a Store.
type Matcher struct {
	seed    maphash.Seed
	entries []entry
	next    []uint32 // chain of entries sharing a map key or trie prefix
	arena   []byte
	metas   []meta

	v4      map[uint32]uint32
	v6      map[[16]byte]uint32
	sha256  map[[32]byte]uint32
	sha1    map[[20]byte]uint32
	md5     map[[16]byte]uint32
	domains map[uint64]uint32 // maphash of the value; verified on hit
	urls    map[uint64]uint32
	emails  map[uint64]uint32
	cidr4   trie
	cidr6   trie

	counts [10]int
}

var emptyMatcher = &Matcher{}

// Len returns how many indicators the matcher holds.
func (m *Matcher) Len() int { return len(m.entries) }

// Counts returns how many indicators of each kind the matcher holds.
func (m *Matcher) Counts() map[Kind]int {
	out := make(map[Kind]int, len(kinds))
	for i, n := range m.counts {
		if n > 0 {
			out[kindOf(uint8(i))] = n
		}
	}
	return out
}

// NewMatcher indexes inds. Values are normalised again on the way in (so a
// list stored before a normalisation rule changed still matches); an
// indicator whose value does not parse for its kind is left out and
// reported as a Rejection with its index, instead of failing the whole
// list: one bad row must not switch off every other indicator. Fields
// that matter only to people (confidence range, tag syntax) are not
// checked here; Validate does that before storing.
func NewMatcher(inds []Indicator) (*Matcher, []Rejection) {
	m := &Matcher{seed: maphash.MakeSeed()}
	var per [10]int
	for i := range inds {
		per[inds[i].Kind.code()]++
	}
	m.v4 = make(map[uint32]uint32, per[1])
	m.v6 = make(map[[16]byte]uint32, per[2])
	m.domains = make(map[uint64]uint32, per[4])
	m.urls = make(map[uint64]uint32, per[5])
	m.sha256 = make(map[[32]byte]uint32, per[6])
	m.sha1 = make(map[[20]byte]uint32, per[7])
	m.md5 = make(map[[16]byte]uint32, per[8])
	m.emails = make(map[uint64]uint32, per[9])
	m.entries = make([]entry, 0, len(inds))
	m.next = make([]uint32, 0, len(inds))

	var rejected []Rejection
	interned := make(map[metaKey]uint32)
	var prev *Indicator
	var prevMeta uint32
	reject := func(i int, why string) {
		rejected = append(rejected, Rejection{Index: i, ObjectID: inds[i].ID, Value: clip(inds[i].Value), Reason: why})
	}
	for i := range inds {
		in := &inds[i]
		if len(in.ID) > MaxIDLen {
			reject(i, "id is longer than 128 bytes")
			continue
		}
		if uint64(len(m.entries)) >= maxEntries || uint64(len(m.arena)) > maxArena {
			reject(i, "the matcher is full")
			continue
		}
		idx := uint32(len(m.entries))
		e := entry{off: uint32(len(m.arena)), kind: in.Kind.code()}
		val := strings.TrimSpace(in.Value)
		var why string
		switch in.Kind {
		case KindIPv4, KindIPv6:
			a, err := parseAddr(val)
			if err != nil || a.Is4() != (in.Kind == KindIPv4) {
				why = "not an " + string(in.Kind) + " address"
				break
			}
			if a.Is4() {
				k := v4key(a)
				m.next = append(m.next, chainHead(m.v4, k))
				m.v4[k] = idx
			} else {
				k := a.As16()
				m.next = append(m.next, chainHead(m.v6, k))
				m.v6[k] = idx
			}
		case KindCIDR:
			p, err := parsePrefix(val)
			if err != nil {
				why = opsward.ErrorMessage(err)
				break
			}
			m.arena = p.AppendTo(m.arena)
			e.vlen = uint16(len(m.arena) - int(e.off))
			m.next = append(m.next, none)
			hi, lo := addrBits(p.Addr())
			if p.Addr().Is4() {
				m.cidr4.insert(hi, lo, uint8(p.Bits()), idx, m.next)
			} else {
				m.cidr6.insert(hi, lo, uint8(p.Bits()), idx, m.next)
			}
		case KindDomain, KindURL, KindEmail:
			var tab map[uint64]uint32
			switch in.Kind {
			case KindDomain:
				m.arena, why = appendDomain(m.arena, val)
				tab = m.domains
			case KindURL:
				m.arena, why = appendURL(m.arena, val)
				tab = m.urls
			default:
				m.arena, why = appendEmail(m.arena, val)
				tab = m.emails
			}
			if why != "" {
				why = string(in.Kind) + " value " + why
				break
			}
			e.vlen = uint16(len(m.arena) - int(e.off))
			h := maphash.Bytes(m.seed, m.arena[e.off:])
			m.next = append(m.next, chainHead(tab, h))
			tab[h] = idx
		case KindSHA256:
			var k [32]byte
			if !decodeHex(k[:], val) {
				why = "not a sha256 hash (64 hex digits)"
				break
			}
			m.next = append(m.next, chainHead(m.sha256, k))
			m.sha256[k] = idx
		case KindSHA1:
			var k [20]byte
			if !decodeHex(k[:], val) {
				why = "not a sha1 hash (40 hex digits)"
				break
			}
			m.next = append(m.next, chainHead(m.sha1, k))
			m.sha1[k] = idx
		case KindMD5:
			var k [16]byte
			if !decodeHex(k[:], val) {
				why = "not an md5 hash (32 hex digits)"
				break
			}
			m.next = append(m.next, chainHead(m.md5, k))
			m.md5[k] = idx
		default:
			why = "unknown kind " + clip(string(in.Kind))
		}
		if why != "" {
			m.arena = m.arena[:e.off]
			reject(i, why)
			continue
		}
		m.arena = append(m.arena, in.ID...)
		e.idlen = uint8(len(in.ID))
		e.from, e.until = fromSec(in.ValidFrom), untilSec(in.ValidUntil)
		// Lists load in order, so neighbours usually share their metadata:
		// comparing with the last one is cheaper than hashing six strings.
		if prev != nil && sameMeta(prev, in) {
			e.meta = prevMeta
		} else {
			e.meta = m.intern(interned, in)
			prev, prevMeta = in, e.meta
		}
		m.entries = append(m.entries, e)
		m.counts[e.kind]++
	}
	if len(m.cidr4.nodes) >= jumpMinNodes {
		m.cidr4.buildJump()
	}
	// Give back what the build over-reserved: the arena grew by appending,
	// and rejected indicators left the entry slices short of their size.
	if cap(m.arena) > len(m.arena)+len(m.arena)/16 {
		m.arena = slices.Clone(m.arena)
	}
	if len(m.entries) < cap(m.entries) {
		m.entries = slices.Clone(m.entries)
		m.next = slices.Clone(m.next)
	}
	return m, rejected
}

func chainHead[K comparable](tab map[K]uint32, k K) uint32 {
	if h, ok := tab[k]; ok {
		return h
	}
	return none
}

func sameMeta(a, b *Indicator) bool {
	return a.Source == b.Source && a.Description == b.Description && a.ListID == b.ListID &&
		a.TenantID == b.TenantID && a.TLP == b.TLP && a.Confidence == b.Confidence && slices.Equal(a.Tags, b.Tags)
}

func (m *Matcher) intern(tab map[metaKey]uint32, in *Indicator) uint32 {
	k := metaKey{source: in.Source, description: in.Description, listID: in.ListID, tenantID: in.TenantID, tlp: string(in.TLP), confidence: in.Confidence, ntags: len(in.Tags)}
	switch len(in.Tags) {
	case 0:
	case 1:
		k.tags = in.Tags[0]
	default:
		// Length-prefixed, so that no tag's content can make two different
		// lists look alike.
		var b strings.Builder
		for _, t := range in.Tags {
			b.WriteString(strconv.Itoa(len(t)))
			b.WriteByte(':')
			b.WriteString(t)
		}
		k.tags = b.String()
	}
	if i, ok := tab[k]; ok {
		return i
	}
	i := uint32(len(m.metas))
	m.metas = append(m.metas, meta{
		source: in.Source, description: in.Description, listID: in.ListID, tenantID: in.TenantID,
		tlp: in.TLP, confidence: in.Confidence, tags: slices.Clone(in.Tags),
	})
	tab[k] = i
	return i
}

func fromSec(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	switch {
	case s <= 0:
		return 0
	case s >= math.MaxUint32:
		return math.MaxUint32 // not valid before the year 2106: never, for us
	}
	return uint32(s)
}

func untilSec(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++ // second precision rounds the window outwards, never inwards
	}
	switch {
	case s <= 0:
		return 1 // expired before 1970: expired
	case s >= math.MaxUint32:
		return 0
	}
	return uint32(s)
}

func nowSec(t time.Time) uint32 {
	s := t.Unix()
	switch {
	case s <= 0:
		return 1
	case s >= math.MaxUint32:
		return math.MaxUint32 - 1
	}
	return uint32(s)
}

func v4key(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func addrBits(a netip.Addr) (hi, lo uint64) {
	if a.Is4() {
		return uint64(v4key(a)) << 32, 0
	}
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// live reports whether entry i applies at now to scope.
func (m *Matcher) live(i uint32, scope Scope, now uint32) bool {
	e := &m.entries[i]
	if e.from != 0 && now < e.from {
		return false
	}
	if e.until != 0 && now >= e.until {
		return false
	}
	t := m.metas[e.meta].tenantID
	return t == "" || scope.has(t)
}

// indicator rebuilds entry i as an Indicator whose value is value.
func (m *Matcher) indicator(i uint32, value string) Indicator {
	e := &m.entries[i]
	md := &m.metas[e.meta]
	in := Indicator{
		Kind:        kindOf(e.kind),
		Value:       value,
		Source:      md.source,
		Confidence:  md.confidence,
		TLP:         md.tlp,
		Tags:        slices.Clone(md.tags),
		Description: md.description,
		ListID:      md.listID,
		TenantID:    md.tenantID,
	}
	if e.idlen > 0 {
		o := e.off + uint32(e.vlen)
		in.ID = string(m.arena[o : o+uint32(e.idlen)])
	}
	if e.from != 0 {
		in.ValidFrom = time.Unix(int64(e.from), 0).UTC()
	}
	if e.until != 0 {
		in.ValidUntil = time.Unix(int64(e.until), 0).UTC()
	}
	return in
}

func (m *Matcher) storedValue(i uint32) []byte {
	e := &m.entries[i]
	return m.arena[e.off : e.off+uint32(e.vlen)]
}

// matchCtx carries one Match call's arguments down the helpers.
//
// The scope is not in here but passed beside it: Hits keep the field and
// the raw value, so the compiler treats what this struct points to as
// escaping, and a Scope literal at the caller would then be allocated on
// every call.
type matchCtx struct {
	now   uint32
	start int // first hit of this call in dst, for de-duplication
	field string
	raw   string
}

// collect appends a Hit for every live, in-scope entry on the chain from
// head that is not already reported, and says whether there was any live,
// in-scope entry at all (reported before or not). want, when not nil, is
// the normalised value the entries must hold (the hash-keyed maps can
// collide); value renders the indicator's value for the Hit.
func (m *Matcher) collect(dst []Hit, c *matchCtx, scope Scope, head uint32, want []byte, value func(i uint32) string) ([]Hit, bool) {
	found := false
	for i := head; i != none; i = m.next[i] {
		if want != nil && !bytes.Equal(m.storedValue(i), want) {
			continue
		}
		if !m.live(i, scope, c.now) {
			continue
		}
		found = true
		if seen(dst[c.start:], i) {
			continue
		}
		dst = append(dst, Hit{Indicator: m.indicator(i, value(i)), Field: c.field, Value: c.raw, entry: i})
	}
	return dst, found
}

func seen(hits []Hit, i uint32) bool {
	for k := range hits {
		if hits[k].entry == i {
			return true
		}
	}
	return false
}

func (m *Matcher) stored(i uint32) string { return string(m.storedValue(i)) }

func (m *Matcher) matchAddr(dst []Hit, c *matchCtx, scope Scope, a netip.Addr) []Hit {
	a = a.WithZone("").Unmap()
	if a.Is4() {
		if head, ok := m.v4[v4key(a)]; ok {
			dst, _ = m.collect(dst, c, scope, head, nil, func(uint32) string { return a.String() })
		}
	} else if head, ok := m.v6[a.As16()]; ok {
		dst, _ = m.collect(dst, c, scope, head, nil, func(uint32) string { return a.String() })
	}
	t := &m.cidr6
	if a.Is4() {
		t = &m.cidr4
	}
	var path [129]uint32
	hi, lo := addrBits(a)
	// Longest prefix first; stop at the first prefix with a live entry.
	// A prefix whose indicators were already reported for another field
	// still stops the walk: the event is about that network, not a wider
	// one.
	for k := t.path(hi, lo, &path) - 1; k >= 0; k-- {
		var found bool
		if dst, found = m.collect(dst, c, scope, t.nodes[path[k]].head, nil, m.stored); found {
			break
		}
	}
	return dst
}

func (m *Matcher) matchIP(dst []Hit, c *matchCtx, scope Scope, s string) []Hit {
	if len(m.v4)+len(m.v6)+len(m.cidr4.nodes)+len(m.cidr6.nodes) == 0 {
		return dst
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return dst
	}
	return m.matchAddr(dst, c, scope, a)
}

// matchHost tests a host name (or an address written as one) against the
// domain indicators, the domain itself and each parent down to two labels.
func (m *Matcher) matchHost(dst []Hit, c *matchCtx, scope Scope, s string) []Hit {
	if a, err := parseIPv4Host(s); err == nil {
		return m.matchAddr(dst, c, scope, a)
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	if strings.IndexByte(s, ':') >= 0 {
		// ECS puts an IPv6 host in url.domain without brackets. A name
		// with a colon is nothing else we could match, so the error
		// (which allocates) is paid only on junk.
		if a, err := netip.ParseAddr(s); err == nil {
			return m.matchAddr(dst, c, scope, a)
		}
		return dst
	}
	if len(m.domains) == 0 {
		return dst
	}
	var buf [MaxDomainLen + 3]byte
	d, why := appendHost(buf[:0], s)
	if why != "" {
		return dst
	}
	for i := 0; ; {
		rest := d[i:]
		dot := bytes.IndexByte(rest, '.')
		if dot < 0 {
			return dst // one label left: no indicator is that short
		}
		if head, ok := m.domains[maphash.Bytes(m.seed, rest)]; ok {
			dst, _ = m.collect(dst, c, scope, head, rest, m.stored)
		}
		i += dot + 1
	}
}

func (m *Matcher) matchURL(dst []Hit, c *matchCtx, scope Scope, s string, hostToo bool) []Hit {
	s = strings.TrimSpace(s)
	if len(m.urls) > 0 {
		var buf [512]byte
		if u, why := appendURL(buf[:0], s); why == "" {
			if head, ok := m.urls[maphash.Bytes(m.seed, u)]; ok {
				dst, _ = m.collect(dst, c, scope, head, u, m.stored)
			}
		}
	}
	if hostToo {
		if sep := strings.Index(s, "://"); sep > 0 {
			auth, _ := splitAuthority(s[sep+3:])
			if at := strings.LastIndexByte(auth, '@'); at >= 0 {
				auth = auth[at+1:]
			}
			if host, _, why := splitHostPort(auth); why == "" {
				dst = m.matchHost(dst, c, scope, host)
			}
		}
	}
	return dst
}

func (m *Matcher) matchEmail(dst []Hit, c *matchCtx, scope Scope, s string) []Hit {
	s = strings.TrimSpace(s)
	if len(m.emails) > 0 {
		var buf [MaxEmailLen + 8]byte
		if e, why := appendEmail(buf[:0], s); why == "" {
			if head, ok := m.emails[maphash.Bytes(m.seed, e)]; ok {
				dst, _ = m.collect(dst, c, scope, head, e, m.stored)
			}
		}
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		dst = m.matchHost(dst, c, scope, s[at+1:])
	}
	return dst
}

func (m *Matcher) matchHash(dst []Hit, c *matchCtx, scope Scope, s string) []Hit {
	s = strings.TrimSpace(s)
	switch len(s) {
	case 64:
		var k [32]byte
		if decodeHex(k[:], s) {
			if head, ok := m.sha256[k]; ok {
				dst, _ = m.collect(dst, c, scope, head, nil, func(uint32) string { return hexString(k[:]) })
			}
		}
	case 40:
		var k [20]byte
		if decodeHex(k[:], s) {
			if head, ok := m.sha1[k]; ok {
				dst, _ = m.collect(dst, c, scope, head, nil, func(uint32) string { return hexString(k[:]) })
			}
		}
	case 32:
		var k [16]byte
		if decodeHex(k[:], s) {
			if head, ok := m.md5[k]; ok {
				dst, _ = m.collect(dst, c, scope, head, nil, func(uint32) string { return hexString(k[:]) })
			}
		}
	}
	return dst
}
