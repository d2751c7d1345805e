package authn

import (
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/opsward/opsward"
)

// SigningKey is one Ed25519 key of a KeyRing. Private is nil for a key
// that may only verify (a ring given to a service that never issues).
// A key past NotAfter no longer verifies; a zero NotAfter means the key
// has no end yet (it is the active key, or was added without one).
type SigningKey struct {
	ID        string
	Private   ed25519.PrivateKey
	Public    ed25519.PublicKey
	CreatedAt time.Time
	NotAfter  time.Time
}

// String names the key without its key material, so that a SigningKey
// printed by mistake leaks nothing.
func (k SigningKey) String() string { return "SigningKey(" + k.ID + ")" }

// GoString keeps %#v from dumping the private key.
func (k SigningKey) GoString() string { return k.String() }

// LogValue keeps slog from dumping the private key.
func (k SigningKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.ID), slog.Time("not_after", k.NotAfter))
}

// usable reports whether the key verifies at now.
func (k SigningKey) usable(now time.Time) bool {
	return k.NotAfter.IsZero() || now.Before(k.NotAfter)
}

// GenerateSigningKey returns a new Ed25519 key whose ID is its RFC 7638
// JWK thumbprint, so that the same key always has the same kid and a kid
// never names two keys.
func GenerateSigningKey(now time.Time) (SigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, opsward.Internal(fmt.Errorf("generate ed25519 key: %w", err))
	}
	return SigningKey{ID: thumbprint(pub), Private: priv, Public: pub, CreatedAt: now.UTC()}, nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of an Ed25519 public key
// (RFC 8037 section 2 gives the members: crv, kty, x, in that order).
func thumbprint(pub ed25519.PublicKey) string {
	canon := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// KeyRing holds the keys that sign and verify access tokens: one active
// key that signs, and older keys that still verify until their NotAfter.
// It is safe for concurrent use. Its JSON form holds private keys: persist
// it sealed (see Sealer) or give it through a secret configuration value.
type KeyRing struct {
	mu     sync.RWMutex
	active string
	keys   map[string]SigningKey
}

// NewKeyRing returns a ring holding keys, with active as the signing key.
func NewKeyRing(active string, keys ...SigningKey) (*KeyRing, error) {
	r := &KeyRing{keys: make(map[string]SigningKey, len(keys))}
	for _, k := range keys {
		if err := r.add(k); err != nil {
			return nil, err
		}
	}
	if err := r.setActive(active); err != nil {
		return nil, err
	}
	return r, nil
}

// GenerateKeyRing returns a ring with one new active key: what the
// embedded default creates on first start.
func GenerateKeyRing(now time.Time) (*KeyRing, error) {
	k, err := GenerateSigningKey(now)
	if err != nil {
		return nil, err
	}
	return NewKeyRing(k.ID, k)
}

func (r *KeyRing) add(k SigningKey) error {
	if k.ID == "" {
		return opsward.Errorf(opsward.EINVALID, "signing key has no id")
	}
	if len(k.Public) != ed25519.PublicKeySize {
		return opsward.Errorf(opsward.EINVALID, "signing key %s: public key must be %d bytes", k.ID, ed25519.PublicKeySize)
	}
	if k.Private != nil {
		if len(k.Private) != ed25519.PrivateKeySize {
			return opsward.Errorf(opsward.EINVALID, "signing key %s: private key must be %d bytes", k.ID, ed25519.PrivateKeySize)
		}
		if !k.Public.Equal(k.Private.Public()) {
			return opsward.Errorf(opsward.EINVALID, "signing key %s: public key does not match private key", k.ID)
		}
	}
	if _, dup := r.keys[k.ID]; dup {
		return opsward.Errorf(opsward.EINVALID, "signing key %s is in the ring twice", k.ID)
	}
	r.keys[k.ID] = k
	return nil
}

func (r *KeyRing) setActive(kid string) error {
	k, ok := r.keys[kid]
	if !ok {
		return opsward.Errorf(opsward.EINVALID, "active signing key %q is not in the ring", kid)
	}
	if k.Private == nil {
		return opsward.Errorf(opsward.EINVALID, "active signing key %s has no private key", kid)
	}
	if !k.NotAfter.IsZero() {
		return opsward.Errorf(opsward.EINVALID, "active signing key %s is retired", kid)
	}
	r.active = kid
	return nil
}

// Add puts a key into the ring without making it active: a verify-only
// key, or a key published ahead of its activation.
func (r *KeyRing) Add(k SigningKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.add(k)
}

// Active returns the signing key.
func (r *KeyRing) Active() SigningKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[r.active]
}

// Rotate generates a new key, makes it the signing key and retires the
// previous one: it keeps verifying until now+overlap. The overlap must
// be at least the access token lifetime, or tokens issued just before
// the rotation are refused before they expire. Rotate returns the new key.
func (r *KeyRing) Rotate(now time.Time, overlap time.Duration) (SigningKey, error) {
	if overlap < 0 {
		return SigningKey{}, opsward.Errorf(opsward.EINVALID, "key rotation overlap must not be negative")
	}
	k, err := GenerateSigningKey(now)
	if err != nil {
		return SigningKey{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.add(k); err != nil {
		return SigningKey{}, err
	}
	if old, ok := r.keys[r.active]; ok {
		old.NotAfter = now.Add(overlap).UTC()
		r.keys[old.ID] = old
	}
	r.active = k.ID
	return k, nil
}

// Prune removes the keys that no longer verify at now and returns how
// many it removed. The active key is never removed.
func (r *KeyRing) Prune(now time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for id, k := range r.keys {
		if id != r.active && !k.usable(now) {
			delete(r.keys, id)
			n++
		}
	}
	return n
}

// lookup returns the public key for kid if it verifies at now.
func (r *KeyRing) lookup(kid string, now time.Time) (ed25519.PublicKey, error) {
	r.mu.RLock()
	k, ok := r.keys[kid]
	r.mu.RUnlock()
	if !ok {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "unknown signing key")
	}
	if !k.usable(now) {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "signing key retired")
	}
	return k.Public, nil
}

// SignDetached signs msg with the active key and returns the key's id
// with the signature, for documents signed outside a token (reports).
func (r *KeyRing) SignDetached(msg []byte) (kid string, sig []byte, err error) {
	k := r.Active()
	if k.Private == nil {
		return "", nil, opsward.Errorf(opsward.EINTERNAL, "the key ring has no private signing key")
	}
	return k.ID, ed25519.Sign(k.Private, msg), nil
}

// VerifyDetached checks a signature made by SignDetached: kid must be a
// key of the ring that still verifies at now.
func (r *KeyRing) VerifyDetached(kid string, msg, sig []byte, now time.Time) error {
	pub, err := r.lookup(kid, now)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, msg, sig) {
		return opsward.Errorf(opsward.EUNAUTHORIZED, "the signature does not match")
	}
	return nil
}

// sorted returns the keys, the newest first, for stable output.
func (r *KeyRing) sorted() []SigningKey {
	ks := make([]SigningKey, 0, len(r.keys))
	for _, k := range r.keys {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b SigningKey) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return ks
}

// keyRingJSON is the persisted form. Private keys are stored as their
// 32-byte RFC 8032 seed, base64 (standard, padded) like other binary
// configuration values.
type keyRingJSON struct {
	Active string        `json:"active"`
	Keys   []signingJSON `json:"keys"`
}

type signingJSON struct {
	ID        string     `json:"kid"`
	Seed      string     `json:"seed,omitempty"`
	Public    string     `json:"public"`
	CreatedAt time.Time  `json:"created_at"`
	NotAfter  *time.Time `json:"not_after,omitempty"`
}

// MarshalJSON returns the ring with its private keys. Seal it before
// storing it.
func (r *KeyRing) MarshalJSON() ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := keyRingJSON{Active: r.active}
	for _, k := range r.sorted() {
		j := signingJSON{ID: k.ID, Public: base64.StdEncoding.EncodeToString(k.Public), CreatedAt: k.CreatedAt}
		if k.Private != nil {
			j.Seed = base64.StdEncoding.EncodeToString(k.Private.Seed())
		}
		if !k.NotAfter.IsZero() {
			na := k.NotAfter
			j.NotAfter = &na
		}
		out.Keys = append(out.Keys, j)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the form MarshalJSON writes and checks it: every
// key well formed, its public half matching its seed, the active key
// present and able to sign.
func (r *KeyRing) UnmarshalJSON(data []byte) error {
	var in keyRingJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return opsward.Errorf(opsward.EINVALID, "key ring is not valid JSON")
	}
	nr := &KeyRing{keys: make(map[string]SigningKey, len(in.Keys))}
	for i, j := range in.Keys {
		pub, err := base64.StdEncoding.DecodeString(j.Public)
		if err != nil {
			return opsward.Errorf(opsward.EINVALID, "key ring: key %d: public key is not base64", i)
		}
		k := SigningKey{ID: j.ID, Public: pub, CreatedAt: j.CreatedAt}
		if j.Seed != "" {
			seed, err := base64.StdEncoding.DecodeString(j.Seed)
			if err != nil || len(seed) != ed25519.SeedSize {
				return opsward.Errorf(opsward.EINVALID, "key ring: key %d: seed must be %d bytes of base64", i, ed25519.SeedSize)
			}
			k.Private = ed25519.NewKeyFromSeed(seed)
		}
		if j.NotAfter != nil {
			k.NotAfter = *j.NotAfter
		}
		if err := nr.add(k); err != nil {
			return err
		}
	}
	if err := nr.setActive(in.Active); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active, r.keys = nr.active, nr.keys
	return nil
}

// ParseKeyRing reads a ring in the form MarshalJSON writes.
func ParseKeyRing(data []byte) (*KeyRing, error) {
	r := &KeyRing{}
	if err := r.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return r, nil
}

// JWK is one public key in the RFC 7517 form, with the RFC 8037 members
// for Ed25519 (kty OKP, crv Ed25519, x the raw public key, base64url).
type JWK struct {
	KeyType   string `json:"kty"`
	Curve     string `json:"crv"`
	X         string `json:"x"`
	KeyID     string `json:"kid"`
	Use       string `json:"use"`
	Algorithm string `json:"alg"`
}

// JWKS is a JWK set, the document served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS returns the public keys that verify at now, the newest first.
// Retired keys stay published until their NotAfter so that other
// verifiers accept tokens issued before a rotation.
func (r *KeyRing) JWKS(now time.Time) JWKS {
	r.mu.RLock()
	defer r.mu.RUnlock()
	set := JWKS{Keys: []JWK{}}
	for _, k := range r.sorted() {
		if !k.usable(now) {
			continue
		}
		set.Keys = append(set.Keys, JWK{
			KeyType:   "OKP",
			Curve:     "Ed25519",
			X:         base64.RawURLEncoding.EncodeToString(k.Public),
			KeyID:     k.ID,
			Use:       "sig",
			Algorithm: "EdDSA",
		})
	}
	return set
}
