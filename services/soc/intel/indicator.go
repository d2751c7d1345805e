package intel

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
)

// Kind is what an indicator's value is. The zero value is invalid.
type Kind string

// Kinds of indicator. A CIDR covers both address families.
const (
	KindIPv4   Kind = "ipv4"
	KindIPv6   Kind = "ipv6"
	KindCIDR   Kind = "cidr"
	KindDomain Kind = "domain"
	KindURL    Kind = "url"
	KindSHA256 Kind = "sha256"
	KindSHA1   Kind = "sha1"
	KindMD5    Kind = "md5"
	KindEmail  Kind = "email"
)

// kinds is every kind in code order (code = index + 1).
var kinds = [...]Kind{KindIPv4, KindIPv6, KindCIDR, KindDomain, KindURL, KindSHA256, KindSHA1, KindMD5, KindEmail}

// Kinds returns every kind, in a stable order (for documentation and UIs).
func Kinds() []Kind { return slices.Clone(kinds[:]) }

// Valid reports whether k is one of the kinds.
func (k Kind) Valid() bool { return k.code() != 0 }

// code is the compact form the Matcher stores per indicator.
func (k Kind) code() uint8 {
	switch k {
	case KindIPv4:
		return 1
	case KindIPv6:
		return 2
	case KindCIDR:
		return 3
	case KindDomain:
		return 4
	case KindURL:
		return 5
	case KindSHA256:
		return 6
	case KindSHA1:
		return 7
	case KindMD5:
		return 8
	case KindEmail:
		return 9
	}
	return 0
}

func kindOf(code uint8) Kind {
	if code == 0 || int(code) > len(kinds) {
		return ""
	}
	return kinds[code-1]
}

// ParseKind reads a kind, accepting the names feeds commonly use besides
// the canonical ones (case-insensitive): "ip" is not accepted because it
// does not say which family; use Guess for that.
func ParseKind(s string) (Kind, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ipv4", "ipv4-addr", "ip4":
		return KindIPv4, true
	case "ipv6", "ipv6-addr", "ip6":
		return KindIPv6, true
	case "cidr", "network", "netblock", "subnet":
		return KindCIDR, true
	case "domain", "domain-name", "hostname", "fqdn":
		return KindDomain, true
	case "url", "uri":
		return KindURL, true
	case "sha256", "sha-256", "file-sha256":
		return KindSHA256, true
	case "sha1", "sha-1", "file-sha1":
		return KindSHA1, true
	case "md5", "file-md5":
		return KindMD5, true
	case "email", "email-addr", "email-address":
		return KindEmail, true
	}
	return "", false
}

// TLP is the Traffic Light Protocol marking of an indicator: who it may be
// shared with. The empty TLP means the source did not mark it; callers that
// share indicators onwards should treat that as amber.
type TLP string

// TLP levels (TLP 2.0 names; TLP 1.0 "white" reads as clear).
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// ParseTLP reads a TLP level: "clear", "white", "green", "amber",
// "amber+strict", "red", case-insensitive, with or without a "TLP:"
// prefix. The empty string reads as unmarked.
func ParseTLP(s string) (TLP, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "tlp:")
	s = strings.TrimPrefix(s, "tlp-")
	switch s {
	case "":
		return "", true
	case "clear", "white":
		return TLPClear, true
	case "green":
		return TLPGreen, true
	case "amber":
		return TLPAmber, true
	case "amber+strict", "amber-strict", "amber_strict":
		return TLPAmberStrict, true
	case "red":
		return TLPRed, true
	}
	return "", false
}

// Rank orders TLP levels by how restricted they are: 1 (clear) to 5 (red),
// 0 for unmarked or unknown.
func (t TLP) Rank() int {
	switch t {
	case TLPClear:
		return 1
	case TLPGreen:
		return 2
	case TLPAmber:
		return 3
	case TLPAmberStrict:
		return 4
	case TLPRed:
		return 5
	}
	return 0
}

// Limits on an indicator's fields. Values are bounded so that the Matcher
// can normalise event values in fixed buffers and so that one feed cannot
// blow up memory with a few huge rows.
const (
	MaxURLLen         = 2048
	MaxDomainLen      = 253
	MaxEmailLen       = 254
	MaxSourceLen      = 256
	MaxDescriptionLen = 4096
	MaxTags           = 32
	MaxTagLen         = 64
	MaxIDLen          = 128
	// DefaultConfidence is what importers set when a source gives none:
	// the middle of the 0–100 scale (STIX "Medium").
	DefaultConfidence = 50
)

// Indicator is one indicator of compromise.
type Indicator struct {
	// ID identifies the indicator where it is stored or where it came from
	// (the STIX object id on import). Optional.
	ID string `json:"id,omitempty"`
	// Kind says what Value is.
	Kind Kind `json:"kind"`
	// Value is the normalised value (see ParseValue).
	Value string `json:"value"`
	// Source names the feed or analyst the indicator came from.
	Source string `json:"source,omitempty"`
	// Confidence is 0 (none) to 100 (certain).
	Confidence int `json:"confidence"`
	// TLP is the sharing marking; empty means unmarked.
	TLP TLP `json:"tlp,omitempty"`
	// ValidFrom and ValidUntil bound when the indicator matches: from
	// ValidFrom (inclusive) to ValidUntil (exclusive). Zero means unbounded.
	ValidFrom  time.Time `json:"valid_from,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	Tags       []string  `json:"tags,omitempty"`
	// Description says what the indicator is about, for the analyst.
	Description string `json:"description,omitempty"`
	// ListID names the intel list the indicator belongs to. Optional.
	ListID string `json:"list_id,omitempty"`
	// TenantID owns the indicator; empty means global (MSP-wide): it
	// applies to every tenant's events.
	TenantID string `json:"tenant_id,omitempty"`
}

// Active reports whether the indicator's validity window holds at now.
func (in *Indicator) Active(now time.Time) bool {
	if !in.ValidFrom.IsZero() && now.Before(in.ValidFrom) {
		return false
	}
	if !in.ValidUntil.IsZero() && !now.Before(in.ValidUntil) {
		return false
	}
	return true
}

// Normalize puts Value into normal form for Kind and tidies the other
// fields (trimmed strings, lower-cased unique tags, TLP names), then
// validates. It is what importers and the API call before storing.
func (in *Indicator) Normalize() error {
	if in.Kind.Valid() {
		v, err := ParseValue(in.Kind, in.Value)
		if err != nil {
			return err
		}
		in.Value = v
	}
	in.Source = strings.TrimSpace(in.Source)
	in.Description = strings.TrimSpace(in.Description)
	if t, ok := ParseTLP(string(in.TLP)); ok {
		in.TLP = t
	}
	in.Tags = normTags(in.Tags)
	return in.Validate()
}

func normTags(tags []string) []string {
	if len(tags) == 0 {
		return nil
	}
	out := tags[:0:0]
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if o == t {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Validate reports the first wrong field as an EINVALID *opsward.Error
// naming it. Value must already be in normal form (ParseValue's output).
func (in *Indicator) Validate() error {
	if !in.Kind.Valid() {
		if in.Kind == "" {
			return opsward.FieldErrorf("kind", "kind is required (one of %s)", kindList())
		}
		return opsward.FieldErrorf("kind", "unknown kind %q (one of %s)", in.Kind, kindList())
	}
	v, err := ParseValue(in.Kind, in.Value)
	if err != nil {
		return err
	}
	if v != in.Value {
		return opsward.FieldErrorf("value", "value %q is not in normal form (want %q)", clip(in.Value), v)
	}
	if len(in.ID) > MaxIDLen || !utf8.ValidString(in.ID) {
		return opsward.FieldErrorf("id", "id must be valid UTF-8 of at most %d bytes", MaxIDLen)
	}
	if len(in.Source) > MaxSourceLen || !utf8.ValidString(in.Source) {
		return opsward.FieldErrorf("source", "source must be valid UTF-8 of at most %d bytes", MaxSourceLen)
	}
	if in.Confidence < 0 || in.Confidence > 100 {
		return opsward.FieldErrorf("confidence", "confidence must be from 0 to 100, got %d", in.Confidence)
	}
	if in.TLP != "" && in.TLP.Rank() == 0 {
		return opsward.FieldErrorf("tlp", "unknown TLP %q (clear, green, amber, amber+strict or red)", in.TLP)
	}
	if !in.ValidFrom.IsZero() && !in.ValidUntil.IsZero() && !in.ValidUntil.After(in.ValidFrom) {
		return opsward.FieldErrorf("valid_until", "valid_until (%s) must be after valid_from (%s)",
			in.ValidUntil.UTC().Format(time.RFC3339), in.ValidFrom.UTC().Format(time.RFC3339))
	}
	if len(in.Tags) > MaxTags {
		return opsward.FieldErrorf("tags", "at most %d tags, got %d", MaxTags, len(in.Tags))
	}
	for i, t := range in.Tags {
		if t == "" || len(t) > MaxTagLen || !utf8.ValidString(t) || strings.ContainsAny(t, ";|\n\r") {
			return opsward.FieldErrorf("tags", "tag %d must be 1 to %d bytes of UTF-8 without ';', '|' or line breaks", i+1, MaxTagLen)
		}
	}
	if len(in.Description) > MaxDescriptionLen || !utf8.ValidString(in.Description) {
		return opsward.FieldErrorf("description", "description must be valid UTF-8 of at most %d bytes", MaxDescriptionLen)
	}
	if len(in.ListID) > MaxIDLen || !utf8.ValidString(in.ListID) {
		return opsward.FieldErrorf("list_id", "list_id must be valid UTF-8 of at most %d bytes", MaxIDLen)
	}
	if len(in.TenantID) > MaxIDLen || !utf8.ValidString(in.TenantID) {
		return opsward.FieldErrorf("tenant_id", "tenant_id must be valid UTF-8 of at most %d bytes", MaxIDLen)
	}
	return nil
}

func kindList() string {
	var b strings.Builder
	for i, k := range kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(k))
	}
	return b.String()
}

// clip shortens a value quoted in an error message so that a huge input
// does not become a huge message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// ParseValue checks s as a value of kind k and returns its normal form:
//
//   - ipv4, ipv6: canonical text (IPv4-mapped IPv6 reads as ipv4 and is
//     refused under ipv6); zones are refused.
//   - cidr: the masked prefix ("10.1.2.3/8" → "10.0.0.0/8"); a bare address
//     is a host prefix (/32 or /128); /0 is refused.
//   - domain: lower-case ASCII (punycode for IDNs), no trailing dot, a
//     leading "*." dropped (subdomains match anyway), at least two labels.
//   - url: absolute http(s), ftp or other scheme://host URL; scheme and
//     host lower-case, default port dropped, empty path as "/", fragment
//     dropped; path and query are kept as given.
//   - sha256, sha1, md5: lower-case hex of the right length.
//   - email: lower-case local@domain, the domain as for domain.
//
// Surrounding white space is ignored. Errors are EINVALID and name the
// field "value".
func ParseValue(k Kind, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", opsward.FieldErrorf("value", "value is required")
	}
	switch k {
	case KindIPv4, KindIPv6:
		a, err := parseAddr(s)
		if err != nil {
			return "", err
		}
		if k == KindIPv4 && !a.Is4() {
			return "", opsward.FieldErrorf("value", "%q is an IPv6 address; use kind ipv6", clip(s))
		}
		if k == KindIPv6 && a.Is4() {
			return "", opsward.FieldErrorf("value", "%q is an IPv4 address; use kind ipv4", clip(s))
		}
		return a.String(), nil
	case KindCIDR:
		p, err := parsePrefix(s)
		if err != nil {
			return "", err
		}
		return p.String(), nil
	case KindDomain:
		b, why := appendDomain(nil, s)
		if why != "" {
			return "", opsward.FieldErrorf("value", "domain %q %s", clip(s), why)
		}
		return string(b), nil
	case KindURL:
		b, why := appendURL(nil, s)
		if why != "" {
			return "", opsward.FieldErrorf("value", "URL %q %s", clip(s), why)
		}
		return string(b), nil
	case KindSHA256, KindSHA1, KindMD5:
		want := hashLen(k)
		if len(s) != want {
			return "", opsward.FieldErrorf("value", "a %s hash is %d hex digits, got %d characters", k, want, len(s))
		}
		if !isHex(s) {
			return "", opsward.FieldErrorf("value", "a %s hash is hex digits only (0-9, a-f)", k)
		}
		return strings.ToLower(s), nil
	case KindEmail:
		b, why := appendEmail(nil, s)
		if why != "" {
			return "", opsward.FieldErrorf("value", "email address %q %s", clip(s), why)
		}
		return string(b), nil
	}
	return "", opsward.FieldErrorf("kind", "unknown kind %q (one of %s)", k, kindList())
}

func hashLen(k Kind) int {
	switch k {
	case KindSHA256:
		return 64
	case KindSHA1:
		return 40
	case KindMD5:
		return 32
	}
	return 0
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if fromHex(s[i]) > 15 {
			return false
		}
	}
	return true
}

func fromHex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}

// decodeHex decodes s into dst (len(s) == 2*len(dst)) without allocating.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := fromHex(s[2*i]), fromHex(s[2*i+1])
		if hi > 15 || lo > 15 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, opsward.FieldErrorf("value", "%q is not an IP address", clip(s))
	}
	if a.Zone() != "" {
		return netip.Addr{}, opsward.FieldErrorf("value", "%q has a zone; an indicator cannot be link-local to one interface", clip(s))
	}
	return a.Unmap(), nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := parseAddr(s)
		if err != nil {
			return netip.Prefix{}, opsward.FieldErrorf("value", "%q is not a CIDR (address/length)", clip(s))
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, opsward.FieldErrorf("value", "%q is not a CIDR (address/length)", clip(s))
	}
	a := p.Addr()
	bits := p.Bits()
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	}
	if bits == 0 {
		return netip.Prefix{}, opsward.FieldErrorf("value", "%q would match every address", clip(s))
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// The normalisers below append a value's normal form to dst and return a
// constant reason when it is not valid. They are shared by ParseValue
// (which turns the reason into an error naming the field) and by the
// Matcher, which calls them with stack buffers on every event: a constant
// reason instead of an error value keeps that path free of allocations.

// appendDomain appends the normal form of domain s to dst.
func appendDomain(dst []byte, s string) ([]byte, string) {
	d, why := appendHost(dst, s)
	if why != "" {
		return dst, why
	}
	if bytes.IndexByte(d[len(dst):], '.') < 0 {
		return dst, "needs at least two labels (a top-level domain alone would match too much)"
	}
	// No top-level domain is all digits; such a name is an address (or a
	// piece of one), which the matcher looks up as an address.
	numeric := true
	for _, c := range d[bytes.LastIndexByte(d, '.')+1:] {
		numeric = numeric && c >= '0' && c <= '9'
	}
	if numeric {
		return dst, "ends in an all-numeric label (an IP address is an ipv4 indicator)"
	}
	return d, ""
}

// appendHost is appendDomain without the two-label rule. A wildcard "*."
// prefix and a trailing dot are dropped.
func appendHost(dst []byte, s string) ([]byte, string) {
	s = strings.TrimPrefix(s, "*.")
	s = strings.TrimSuffix(s, ".")
	if len(s) == 0 || len(s) > MaxDomainLen {
		return dst, "must be 1 to 253 characters"
	}
	start := len(dst)
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case c == '-':
			if label == 0 {
				return dst[:start], "has a label that starts with '-'"
			}
		case c == '.':
			if label == 0 {
				return dst[:start], "has an empty label"
			}
			if dst[len(dst)-1] == '-' {
				return dst[:start], "has a label that ends with '-'"
			}
			label = 0
			dst = append(dst, c)
			continue
		case c >= 0x80:
			return dst[:start], "is not ASCII; use its punycode (xn--) form"
		default:
			return dst[:start], "has a character not allowed in a domain name"
		}
		label++
		if label > 63 {
			return dst[:start], "has a label longer than 63 characters"
		}
		dst = append(dst, c)
	}
	if label == 0 {
		return dst[:start], "has an empty label"
	}
	if dst[len(dst)-1] == '-' {
		return dst[:start], "has a label that ends with '-'"
	}
	return dst, ""
}

// appendEmail appends the normal form of address s (lower-case, domain
// normalised) to dst. Local parts are lower-cased too: mail systems treat
// them case-insensitively in practice, and a feed's "Bad@x" must catch an
// event's "bad@x".
func appendEmail(dst []byte, s string) ([]byte, string) {
	if len(s) > MaxEmailLen {
		return dst, "is longer than 254 characters"
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return dst, "is not local@domain"
	}
	local := s[:at]
	if len(local) > 64 {
		return dst, "has a local part longer than 64 characters"
	}
	start := len(dst)
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c == 0x7f || c == '@' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c >= 0x80 {
			return dst[:start], "is not a plain address (quotes, spaces, angle brackets or non-ASCII in the local part)"
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	dst = append(dst, '@')
	d, why := appendDomain(dst, s[at+1:])
	if why != "" {
		return dst[:start], "has a domain that " + why
	}
	return d, ""
}

// defaultPort is the port a scheme implies, which the normal form drops.
func defaultPort(scheme []byte) string {
	switch string(scheme) {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	case "ftp":
		return "21"
	}
	return ""
}

// looksIPv4 reports whether s is only digits and dots, the one shape
// worth handing to netip.ParseAddr on the match path (its errors
// allocate).
func looksIPv4(s string) bool {
	if len(s) < 7 || len(s) > 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// appendURL appends the normal form of URL s to dst: scheme and host
// lower-case, default port dropped, empty path as "/", fragment dropped.
// Path and query are kept byte for byte: re-encoding them could make two
// different requests look the same.
func appendURL(dst []byte, s string) ([]byte, string) {
	if len(s) > 2*MaxURLLen {
		return dst, "is longer than 2048 characters"
	}
	start := len(dst)
	sep := strings.Index(s, "://")
	if sep <= 0 {
		return dst, "is not an absolute URL (scheme://host/...)"
	}
	scheme := s[:sep]
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')
		if !ok {
			return dst[:start], "has an invalid scheme"
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	def := defaultPort(dst[start:])
	dst = append(dst, "://"...)
	authority, tail := splitAuthority(s[sep+3:])
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		// User info stays: a phishing URL with credentials in it is a
		// different string to look for, and dropping it would widen the
		// match.
		for i := 0; i <= at; i++ {
			if c := authority[i]; c <= ' ' || c >= 0x7f {
				return dst[:start], "has a control or non-ASCII character in its user info"
			}
		}
		dst = append(dst, authority[:at+1]...)
		authority = authority[at+1:]
	}
	host, port, why := splitHostPort(authority)
	if why != "" {
		return dst[:start], why
	}
	if strings.HasPrefix(host, "[") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || a.Zone() != "" {
			return dst[:start], "has an invalid IPv6 literal"
		}
		if a = a.Unmap(); a.Is4() {
			dst = a.AppendTo(dst)
		} else {
			dst = append(dst, '[')
			dst = a.AppendTo(dst)
			dst = append(dst, ']')
		}
	} else if a, err := parseIPv4Host(host); err == nil {
		dst = a.AppendTo(dst)
	} else {
		dst, why = appendHost(dst, host)
		if why != "" {
			return dst[:start], "has a host that " + why
		}
	}
	if port != "" {
		if len(port) > 5 {
			return dst[:start], "has an invalid port"
		}
		n := 0
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return dst[:start], "has an invalid port"
			}
			n = n*10 + int(port[i]-'0')
		}
		if n > 65535 {
			return dst[:start], "has an invalid port"
		}
		// Leading zeros dropped so that :080 and :80 are one port.
		for len(port) > 1 && port[0] == '0' {
			port = port[1:]
		}
		if port != def {
			dst = append(dst, ':')
			dst = append(dst, port...)
		}
	}
	if h := strings.IndexByte(tail, '#'); h >= 0 {
		tail = tail[:h] // a fragment is never sent to the server
	}
	if tail == "" || tail[0] == '?' {
		dst = append(dst, '/')
	}
	for i := 0; i < len(tail); i++ {
		if c := tail[i]; c <= ' ' || c == 0x7f {
			return dst[:start], "has a space or control character (percent-encode it)"
		}
	}
	dst = append(dst, tail...)
	if len(dst)-start > MaxURLLen {
		return dst[:start], "is longer than 2048 characters"
	}
	if !utf8.Valid(dst[start:]) {
		return dst[:start], "is not valid UTF-8"
	}
	return dst, ""
}

// splitAuthority splits what follows "scheme://" into the authority and
// the rest (path, query, fragment).
func splitAuthority(rest string) (authority, tail string) {
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		return rest, ""
	}
	return rest[:end], rest[end:]
}

// splitHostPort splits an authority without user info. An IPv6 literal
// keeps its brackets.
func splitHostPort(a string) (host, port, why string) {
	if strings.HasPrefix(a, "[") {
		cl := strings.IndexByte(a, ']')
		if cl < 0 {
			return "", "", "has an unclosed IPv6 literal"
		}
		host, after := a[:cl+1], a[cl+1:]
		if after == "" {
			return host, "", ""
		}
		if after[0] != ':' {
			return "", "", "has text after its IPv6 literal"
		}
		return host, after[1:], ""
	}
	if c := strings.LastIndexByte(a, ':'); c >= 0 {
		a, port = a[:c], a[c+1:]
	}
	if a == "" {
		return "", "", "has no host"
	}
	return a, port, ""
}

var errNotIPv4 = errors.New("not an IPv4 address")

// parseIPv4Host parses a dotted-quad host without allocating on failure.
func parseIPv4Host(s string) (netip.Addr, error) {
	if !looksIPv4(s) {
		return netip.Addr{}, errNotIPv4
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, errNotIPv4
	}
	return a, nil
}

// Guess finds the kind of a bare value and returns it with the value's
// normal form. The order matters: a CIDR before an address, an address
// before a domain (1.2.3.4 is a valid domain name too), a hash before a
// domain (a hex string cannot have a dot, but a 32-digit one could be a
// single-label host).
func Guess(s string) (Kind, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", opsward.FieldErrorf("value", "value is required")
	}
	if strings.Contains(s, "/") && !strings.Contains(s, "://") {
		if v, err := ParseValue(KindCIDR, s); err == nil {
			return KindCIDR, v, nil
		}
	}
	if a, err := parseAddr(s); err == nil {
		if a.Is4() {
			return KindIPv4, a.String(), nil
		}
		return KindIPv6, a.String(), nil
	}
	if strings.Contains(s, "://") {
		v, err := ParseValue(KindURL, s)
		return kindIf(KindURL, v, err)
	}
	if strings.Contains(s, "@") {
		v, err := ParseValue(KindEmail, s)
		return kindIf(KindEmail, v, err)
	}
	if isHex(s) {
		switch len(s) {
		case 64:
			return KindSHA256, strings.ToLower(s), nil
		case 40:
			return KindSHA1, strings.ToLower(s), nil
		case 32:
			return KindMD5, strings.ToLower(s), nil
		}
	}
	if v, err := ParseValue(KindDomain, s); err == nil {
		return KindDomain, v, nil
	}
	return "", "", opsward.FieldErrorf("value", "cannot tell what kind of indicator %q is; give its kind", clip(s))
}

func kindIf(k Kind, v string, err error) (Kind, string, error) {
	if err != nil {
		return "", "", err
	}
	return k, v, nil
}

// hexString is the normal form of a binary hash.
func hexString(b []byte) string { return hex.EncodeToString(b) }
