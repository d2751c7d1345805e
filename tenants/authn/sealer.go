package authn

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/opsward/opsward"
)

// sealVersion starts every sealed value, so that the format can change
// and old values still open.
const sealVersion = "sv1"

// SealKeySize is the size of a seal key: AES-256.
const SealKeySize = 32

// Errors of Open, wrapped in an internal *opsward.Error: a value that
// does not open is corrupt storage or a missing key, never the user's
// fault. Compare with errors.Is.
var (
	ErrSealedMalformed  = errors.New("sealed value is malformed")
	ErrSealedUnknownKey = errors.New("sealed value names an unknown key")
	ErrSealedForged     = errors.New("sealed value does not authenticate (wrong key, altered, or moved from another row)")
)

// SealerConfig configures a Sealer.
type SealerConfig struct {
	// Keys maps a key id (1-32 of A-Z a-z 0-9 - _) to a 32-byte key in
	// standard base64. Keep retired keys here until every value sealed
	// with them has been sealed again (see Sealer.NeedsReseal).
	Keys map[string]string
	// Active is the id of the key that seals new values.
	Active string
}

// WithDefaults returns c unchanged: seal keys have no default. It exists
// so that every configuration struct reads the same.
func (c SealerConfig) WithDefaults() SealerConfig {
	if c.Active == "" && len(c.Keys) == 1 {
		for id := range c.Keys {
			c.Active = id
		}
	}
	return c
}

// Validate reports a missing, malformed or short key.
func (c SealerConfig) Validate() error {
	if len(c.Keys) == 0 {
		return opsward.FieldErrorf("seal.keys", "at least one seal key is required")
	}
	ids := make([]string, 0, len(c.Keys))
	for id := range c.Keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !validSealKeyID(id) {
			return opsward.FieldErrorf("seal.keys", "seal key id %q must be 1-32 letters, digits, '-' or '_'", id)
		}
		if _, err := decodeSealKey(c.Keys[id]); err != nil {
			return opsward.FieldErrorf("seal.keys", "seal key %s must be %d bytes of standard base64", id, SealKeySize)
		}
	}
	if _, ok := c.Keys[c.Active]; !ok {
		return opsward.FieldErrorf("seal.active", "active seal key %q is not among the seal keys", c.Active)
	}
	return nil
}

func validSealKeyID(id string) bool {
	if len(id) == 0 || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func decodeSealKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != SealKeySize {
		return nil, fmt.Errorf("want %d bytes of base64", SealKeySize)
	}
	return k, nil
}

// ParseSealKeys reads keys written as "id:base64,id:base64", the form of
// a single environment variable. The first key is the active one.
func ParseSealKeys(s string) (SealerConfig, error) {
	c := SealerConfig{Keys: map[string]string{}}
	for i, item := range strings.Split(s, ",") {
		id, key, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return SealerConfig{}, opsward.FieldErrorf("seal.keys", "seal key %d must be written id:base64", i+1)
		}
		if _, dup := c.Keys[id]; dup {
			return SealerConfig{}, opsward.FieldErrorf("seal.keys", "seal key id %q appears twice", id)
		}
		c.Keys[id] = key
		if i == 0 {
			c.Active = id
		}
	}
	return c, c.Validate()
}

// GenerateSealKey returns a new random key in standard base64, for the
// configuration or for the embedded default's first start.
func GenerateSealKey() (string, error) {
	k := make([]byte, SealKeySize)
	if _, err := rand.Read(k); err != nil {
		return "", opsward.Internal(fmt.Errorf("read random: %w", err))
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// DeriveSealKey derives a key in standard base64 from a master secret of
// at least 32 bytes with HKDF-SHA256, one key per purpose: an embedded
// deployment that keeps one secret file can derive its seal key from it
// without using the same bytes for two things.
func DeriveSealKey(master []byte, purpose string) (string, error) {
	if len(master) < 32 {
		return "", opsward.FieldErrorf("seal.master", "master secret must be at least 32 bytes")
	}
	k, err := hkdf.Key(sha256.New, master, nil, "opsward seal key: "+purpose, SealKeySize)
	if err != nil {
		return "", opsward.Internal(fmt.Errorf("derive seal key: %w", err))
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// Sealer encrypts secrets stored in the database (notification channel
// secrets, the JWT key ring) with AES-256-GCM. A sealed value reads
// "sv1.<key id>.<base64url(nonce || ciphertext)>": the key id lets keys
// rotate. Nonces are random (96 bits): safe for far more values than a
// key will ever seal (NIST's bound is 2^32 per key).
//
// Associated data binds a value to where it is stored (see SealContext):
// a value copied to another row or column does not open there.
type Sealer struct {
	active string
	aeads  map[string]cipher.AEAD
}

// NewSealer returns a Sealer for cfg (defaults applied, validated).
func NewSealer(cfg SealerConfig) (*Sealer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sealer{active: cfg.Active, aeads: make(map[string]cipher.AEAD, len(cfg.Keys))}
	for id, enc := range cfg.Keys {
		k, _ := decodeSealKey(enc)
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, opsward.Internal(err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, opsward.Internal(err)
		}
		s.aeads[id] = aead
	}
	return s, nil
}

// ActiveKeyID returns the id of the key that seals new values.
func (s *Sealer) ActiveKeyID() string { return s.active }

// SealContext builds associated data from parts (for example the table,
// the column, the tenant id and the row id), each length-prefixed so that
// ("ab", "c") and ("a", "bc") differ.
func SealContext(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

func gcmAD(kid string, ad []byte) []byte {
	b := make([]byte, 0, len(sealVersion)+len(kid)+len(ad)+2)
	b = append(b, sealVersion...)
	b = append(b, '.')
	b = append(b, kid...)
	b = append(b, '.')
	return append(b, ad...)
}

// Seal encrypts plaintext with the active key, bound to associatedData.
func (s *Sealer) Seal(plaintext, associatedData []byte) (string, error) {
	aead := s.aeads[s.active]
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", opsward.Internal(fmt.Errorf("read random: %w", err))
	}
	buf = aead.Seal(buf, buf[:aead.NonceSize()], plaintext, gcmAD(s.active, associatedData))
	return sealVersion + "." + s.active + "." + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open decrypts a value made by Seal with the same associated data.
func (s *Sealer) Open(sealed string, associatedData []byte) ([]byte, error) {
	kid, body, err := splitSealed(sealed)
	if err != nil {
		return nil, opsward.Internal(err)
	}
	aead, ok := s.aeads[kid]
	if !ok {
		return nil, opsward.Internal(fmt.Errorf("%w: %q", ErrSealedUnknownKey, kid))
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, opsward.Internal(ErrSealedMalformed)
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], gcmAD(kid, associatedData))
	if err != nil {
		return nil, opsward.Internal(ErrSealedForged)
	}
	return pt, nil
}

// NeedsReseal reports whether sealed was made with another key than the
// active one: a rotation job opens and seals such values again, after
// which the old key can leave the configuration.
func (s *Sealer) NeedsReseal(sealed string) bool {
	kid, _, err := splitSealed(sealed)
	return err != nil || kid != s.active
}

func splitSealed(sealed string) (kid, body string, err error) {
	v, rest, ok := strings.Cut(sealed, ".")
	if !ok || v != sealVersion {
		return "", "", ErrSealedMalformed
	}
	kid, body, ok = strings.Cut(rest, ".")
	if !ok || !validSealKeyID(kid) {
		return "", "", ErrSealedMalformed
	}
	return kid, body, nil
}
