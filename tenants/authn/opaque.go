package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"

	"github.com/opsward/opsward"
)

// OpaqueKind is the type of an opaque secret; it is the first part of the
// secret's text, so that a secret found in a log or a repository says what
// it is (and secret scanners can match it).
type OpaqueKind string

// The kinds of opaque secret.
const (
	KindAPIKey       OpaqueKind = "opw"
	KindRefreshToken OpaqueKind = "opr"
	KindInvitation   OpaqueKind = "opi"
)

// Sizes of the parts of an opaque secret. The prefix is a lookup handle,
// shown in the UI and stored in clear; it is not secret and carries no
// security. The secret is 256 bits from crypto/rand.
const (
	opaquePrefixBytes = 5  // 8 base32 characters
	opaqueSecretBytes = 32 // 52 base32 characters
	opaquePrefixLen   = 8
	opaqueSecretLen   = 52
)

// b32 is lower-case RFC 4648 base32 without padding: no '_' (the
// separator), no '-', nothing that a double-click fails to select.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// OpaqueSecret is a newly generated secret: Reveal it to its owner once,
// store Prefix and Hash. It redacts itself when printed or logged.
type OpaqueSecret struct {
	Kind   OpaqueKind
	Prefix string
	// Hash is the SHA-256 of the whole secret text. A fast hash is right
	// here, unlike for passwords: the secret has 256 bits of entropy, so
	// a stolen hash cannot be brute-forced however fast the hash is, and
	// checking a key on every request must stay cheap.
	Hash  []byte
	plain string
}

// Reveal returns the secret text, the one thing to show to the user once.
func (s OpaqueSecret) Reveal() string { return s.plain }

// String returns the secret with its secret part hidden.
func (s OpaqueSecret) String() string { return string(s.Kind) + "_" + s.Prefix + "_…" }

// GoString hides the secret from %#v.
func (s OpaqueSecret) GoString() string { return s.String() }

// LogValue hides the secret from slog.
func (s OpaqueSecret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// NewOpaqueSecret generates a secret of the given kind.
func NewOpaqueSecret(kind OpaqueKind) (OpaqueSecret, error) {
	if !kind.valid() {
		return OpaqueSecret{}, opsward.Errorf(opsward.EINVALID, "unknown secret kind %q", kind)
	}
	var b [opaquePrefixBytes + opaqueSecretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return OpaqueSecret{}, opsward.Internal(fmt.Errorf("read random: %w", err))
	}
	prefix := b32.EncodeToString(b[:opaquePrefixBytes])
	plain := string(kind) + "_" + prefix + "_" + b32.EncodeToString(b[opaquePrefixBytes:])
	sum := sha256.Sum256([]byte(plain))
	return OpaqueSecret{Kind: kind, Prefix: prefix, Hash: sum[:], plain: plain}, nil
}

// NewAPIKey generates an API key (opw_…).
func NewAPIKey() (OpaqueSecret, error) { return NewOpaqueSecret(KindAPIKey) }

// NewRefreshToken generates a refresh token (opr_…).
func NewRefreshToken() (OpaqueSecret, error) { return NewOpaqueSecret(KindRefreshToken) }

// NewInvitationToken generates an invitation token (opi_…).
func NewInvitationToken() (OpaqueSecret, error) { return NewOpaqueSecret(KindInvitation) }

func (k OpaqueKind) valid() bool {
	return k == KindAPIKey || k == KindRefreshToken || k == KindInvitation
}

func (k OpaqueKind) noun() string {
	switch k {
	case KindAPIKey:
		return "API key"
	case KindRefreshToken:
		return "refresh token"
	case KindInvitation:
		return "invitation token"
	}
	return "secret"
}

// PresentedSecret is a secret a client sent, parsed: look the stored row
// up by Prefix, then call Matches with its hash.
type PresentedSecret struct {
	Kind   OpaqueKind
	Prefix string
	hash   [sha256.Size]byte
}

// String hides the secret.
func (p PresentedSecret) String() string { return string(p.Kind) + "_" + p.Prefix + "_…" }

// ParseOpaqueSecret checks the form of a secret a client presented and
// that it is of the kind expected (an invitation token is not an API
// key). A malformed secret is an EUNAUTHORIZED error; the message never
// repeats the input.
func ParseOpaqueSecret(want OpaqueKind, text string) (PresentedSecret, error) {
	bad := opsward.Errorf(opsward.EUNAUTHORIZED, "malformed %s", want.noun())
	if len(text) != len(want)+1+opaquePrefixLen+1+opaqueSecretLen {
		return PresentedSecret{}, bad
	}
	kind, rest, ok := strings.Cut(text, "_")
	if !ok || OpaqueKind(kind) != want {
		return PresentedSecret{}, bad
	}
	prefix, secret, ok := strings.Cut(rest, "_")
	if !ok || len(prefix) != opaquePrefixLen || len(secret) != opaqueSecretLen {
		return PresentedSecret{}, bad
	}
	// Decoding checks the alphabet; encoding again checks the unused
	// trailing bits, so that one secret has exactly one text.
	if !canonicalB32(prefix) || !canonicalB32(secret) {
		return PresentedSecret{}, bad
	}
	return PresentedSecret{Kind: want, Prefix: prefix, hash: sha256.Sum256([]byte(text))}, nil
}

// Matches reports, in constant time, whether the presented secret hashes
// to stored.
func (p PresentedSecret) Matches(stored []byte) bool {
	return len(stored) == sha256.Size && subtle.ConstantTimeCompare(p.hash[:], stored) == 1
}

// CheckOpaqueSecret parses text and compares it with the stored hash: nil
// when it matches, an EUNAUTHORIZED error otherwise.
func CheckOpaqueSecret(want OpaqueKind, text string, stored []byte) error {
	p, err := ParseOpaqueSecret(want, text)
	if err != nil {
		return err
	}
	if !p.Matches(stored) {
		return opsward.Errorf(opsward.EUNAUTHORIZED, "invalid %s", want.noun())
	}
	return nil
}

func canonicalB32(s string) bool {
	b, err := b32.DecodeString(s)
	return err == nil && b32.EncodeToString(b) == s
}

// HashOf returns the SHA-256 of the presented text, for secrets stored by
// hash alone (refresh and invitation tokens are looked up by it: with 256
// bits of entropy, the hash is as unguessable as the secret).
func (p PresentedSecret) HashOf() []byte { return append([]byte(nil), p.hash[:]...) }
