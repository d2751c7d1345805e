package syslog

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
)

// Transport is the protocol a message arrived over.
type Transport string

const (
	UDP Transport = "udp"
	TCP Transport = "tcp"
	TLS Transport = "tls"
)

// Meta is what is known about a message before it is bound to a tenant.
type Meta struct {
	// Peer is the sender's address (IPv4-mapped IPv6 unmapped to IPv4).
	Peer netip.AddrPort
	// Transport and LocalPort name the listener the message came in on.
	Transport Transport
	LocalPort uint16
	// Token is the value of the configured token parameter of the RFC
	// 5424 structured data, "" when the message has none.
	Token string
	// StructuredData is the message's RFC 5424 structured data, nil when
	// it has none or did not parse.
	StructuredData []normalize.SDElement
}

// Binder binds a message to the tenant and log source it belongs to. ok is
// false when no source claims the message; the Server then drops it.
// Binders are called concurrently.
type Binder interface {
	Bind(ctx context.Context, m Meta) (tenantID, sourceID string, ok bool)
}

// Source is one registered log source of a tenant. A source is claimed by
// any of: a token (only its SHA-256 is kept: TokenHash = HashToken(token)),
// listener ports dedicated to it, and CIDRs its devices send from.
type Source struct {
	TenantID  string
	SourceID  string
	TokenHash []byte
	Ports     []uint16
	CIDRs     []netip.Prefix
}

// HashToken returns the hash of a source token that a Source keeps.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Sources is an in-memory Binder over a set of Source registrations,
// following the rules in the package documentation. It is safe for
// concurrent use; Replace swaps the whole set atomically, so that a
// message is always bound against one consistent set.
type Sources struct {
	idx atomic.Pointer[sourceIndex]
}

type sourceIndex struct {
	sources []Source
	tokens  map[[sha256.Size]byte]int
	ports   map[uint16]int
	// prefixes by length, longest first, for longest-prefix matching.
	lengths  []int
	prefixes map[netip.Prefix]int
}

var _ Binder = (*Sources)(nil)

// NewSources returns Sources holding list.
func NewSources(list []Source) (*Sources, error) {
	s := &Sources{}
	if err := s.Replace(list); err != nil {
		return nil, err
	}
	return s, nil
}

// Replace swaps the registered sources for list. On error the previous
// set stays in force.
func (s *Sources) Replace(list []Source) error {
	x := &sourceIndex{
		sources:  slices.Clone(list),
		tokens:   map[[sha256.Size]byte]int{},
		ports:    map[uint16]int{},
		prefixes: map[netip.Prefix]int{},
	}
	lengths := map[int]bool{}
	for i, src := range x.sources {
		field := func(f string) string { return fmt.Sprintf("sources[%d].%s", i, f) }
		if src.TenantID == "" {
			return opsward.FieldErrorf(field("tenant_id"), "is required")
		}
		if src.SourceID == "" {
			return opsward.FieldErrorf(field("source_id"), "is required")
		}
		if len(src.TokenHash) == 0 && len(src.Ports) == 0 && len(src.CIDRs) == 0 {
			return opsward.FieldErrorf(field("cidrs"), "source %s is claimed by nothing: give it a token, a port or a CIDR", src.SourceID)
		}
		if len(src.TokenHash) > 0 {
			if len(src.TokenHash) != sha256.Size {
				return opsward.FieldErrorf(field("token_hash"), "must be a SHA-256 hash (HashToken)")
			}
			k := [sha256.Size]byte(src.TokenHash)
			if j, dup := x.tokens[k]; dup {
				return opsward.FieldErrorf(field("token_hash"), "token already registered for source %s", x.sources[j].SourceID)
			}
			x.tokens[k] = i
		}
		for _, p := range src.Ports {
			if p == 0 {
				return opsward.FieldErrorf(field("ports"), "port 0 is not a port")
			}
			if j, dup := x.ports[p]; dup {
				return opsward.FieldErrorf(field("ports"), "port %d is already dedicated to source %s", p, x.sources[j].SourceID)
			}
			x.ports[p] = i
		}
		for _, p := range src.CIDRs {
			if !p.IsValid() {
				return opsward.FieldErrorf(field("cidrs"), "%v is not a valid CIDR", p)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			p = p.Masked()
			if j, dup := x.prefixes[p]; dup {
				return opsward.FieldErrorf(field("cidrs"), "%v is already registered for source %s", p, x.sources[j].SourceID)
			}
			x.prefixes[p] = i
			lengths[p.Bits()] = true
		}
	}
	for l := range lengths {
		x.lengths = append(x.lengths, l)
	}
	slices.Sort(x.lengths)
	slices.Reverse(x.lengths)
	s.idx.Store(x)
	return nil
}

// Bind implements Binder: token, then port, then longest CIDR prefix.
func (s *Sources) Bind(_ context.Context, m Meta) (string, string, bool) {
	x := s.idx.Load()
	if x == nil {
		return "", "", false
	}
	if m.Token != "" {
		h := sha256.Sum256([]byte(m.Token))
		// The map is keyed by the hash, so its timing says nothing useful
		// about the token; the constant-time compare is the check itself.
		i, ok := x.tokens[h]
		if !ok || subtle.ConstantTimeCompare(h[:], x.sources[i].TokenHash) != 1 {
			return "", "", false
		}
		return x.sources[i].TenantID, x.sources[i].SourceID, true
	}
	if i, ok := x.ports[m.LocalPort]; ok && m.LocalPort != 0 {
		return x.sources[i].TenantID, x.sources[i].SourceID, true
	}
	a := m.Peer.Addr().Unmap().WithZone("")
	if !a.IsValid() {
		return "", "", false
	}
	for _, l := range x.lengths {
		if l > a.BitLen() {
			continue
		}
		p, err := a.Prefix(l)
		if err != nil {
			continue
		}
		if i, ok := x.prefixes[p]; ok {
			return x.sources[i].TenantID, x.sources[i].SourceID, true
		}
	}
	return "", "", false
}
