package authn

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/opsward/opsward"
	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id parameters of new password hashes.
//
// The defaults (m=64 MiB, t=1, p=2) are chosen for the 2-core servers
// Opsward runs on. Memory is what makes a GPU or ASIC attack expensive,
// so it is the parameter kept high: 64 MiB is RFC 9106's recommendation
// for machines that cannot spare 2 GiB per hash, and above OWASP's
// 46 MiB/t=1 option. p=2 uses both cores; more lanes than cores only add
// waiting. t=1 keeps a login affordable: on a 2-core test machine at load
// average 10 one hash took 130-250 ms (BenchmarkHashPassword), well
// under 100 ms when idle. Raise t, not lower m, on faster hardware. Each
// hash in flight holds m of memory: bound concurrent hashes with a
// PasswordHasher.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Default parameters, and the cheap ones for tests (never for users).
var (
	DefaultArgon2Params = Argon2Params{Memory: 64 << 10, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}
	TestArgon2Params    = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
)

// Bounds on parameters read from a stored hash, so that a corrupted or
// planted hash cannot make a login allocate gigabytes or spin for minutes.
const (
	maxArgonMemory  = 1 << 20 // 1 GiB in KiB
	maxArgonTime    = 32
	maxArgonSaltLen = 64
	maxArgonKeyLen  = 128
	minArgonSaltLen = 8
	minArgonKeyLen  = 16
)

// WithDefaults returns p with its zero fields set from DefaultArgon2Params.
func (p Argon2Params) WithDefaults() Argon2Params {
	d := DefaultArgon2Params
	if p.Memory == 0 {
		p.Memory = d.Memory
	}
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.SaltLen == 0 {
		p.SaltLen = d.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = d.KeyLen
	}
	return p
}

// Validate reports the first parameter out of range. It accepts the test
// parameters; production configuration should not go below the defaults.
func (p Argon2Params) Validate() error {
	switch {
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgonMemory:
		return opsward.FieldErrorf("password.argon2.memory", "argon2 memory must be between 8×threads KiB and 1 GiB, got %d KiB", p.Memory)
	case p.Time < 1 || p.Time > maxArgonTime:
		return opsward.FieldErrorf("password.argon2.time", "argon2 time must be between 1 and %d, got %d", maxArgonTime, p.Time)
	case p.Threads < 1:
		return opsward.FieldErrorf("password.argon2.threads", "argon2 threads must be at least 1")
	case p.SaltLen < minArgonSaltLen || p.SaltLen > maxArgonSaltLen:
		return opsward.FieldErrorf("password.argon2.salt_len", "argon2 salt length must be between %d and %d bytes, got %d", minArgonSaltLen, maxArgonSaltLen, p.SaltLen)
	case p.KeyLen < minArgonKeyLen || p.KeyLen > maxArgonKeyLen:
		return opsward.FieldErrorf("password.argon2.key_len", "argon2 key length must be between %d and %d bytes, got %d", minArgonKeyLen, maxArgonKeyLen, p.KeyLen)
	}
	return nil
}

// HashPassword returns the argon2id hash of password in PHC string form:
// $argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash> (base64 without padding).
func HashPassword(password string, p Argon2Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", opsward.Internal(fmt.Errorf("read random: %w", err))
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches encoded. A wrong
// password is (false, nil); an encoded hash that cannot be read is an
// internal error, since it comes from storage, not from the user.
func VerifyPassword(password, encoded string) (bool, error) {
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return false, opsward.Internal(err)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with other parameters
// than p (or cannot be read): after a successful login, hash the password
// again with p and store the new hash.
func NeedsRehash(encoded string, p Argon2Params) bool {
	got, _, _, err := parsePHC(encoded)
	return err != nil || got != p
}

// parsePHC reads an argon2id PHC string. It bounds every parameter.
func parsePHC(encoded string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, fmt.Errorf("password hash: not a PHC string")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("password hash: algorithm %q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("password hash: unsupported argon2 version")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return p, nil, nil, fmt.Errorf("password hash: want m, t and p parameters")
	}
	m, err1 := phcUint(params[0], "m=", 32)
	t, err2 := phcUint(params[1], "t=", 32)
	th, err3 := phcUint(params[2], "p=", 8)
	if err1 != nil || err2 != nil || err3 != nil {
		return p, nil, nil, fmt.Errorf("password hash: bad parameters")
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("password hash: salt is not base64")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, fmt.Errorf("password hash: hash is not base64")
	}
	p = Argon2Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := p.Validate(); err != nil {
		return Argon2Params{}, nil, nil, fmt.Errorf("password hash: parameters out of range")
	}
	return p, salt, key, nil
}

func phcUint(s, name string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, fmt.Errorf("want %s<number>", name)
	}
	return strconv.ParseUint(v, 10, bits)
}

// PasswordHasher hashes and verifies passwords with a bound on how many
// hashes run at once: each holds Argon2Params.Memory, and a burst of
// logins must not exhaust the server's memory. Callers beyond the bound
// wait (or give up when their context ends).
type PasswordHasher struct {
	params Argon2Params
	slots  chan struct{}
}

// NewPasswordHasher returns a hasher using p (defaults applied) that runs
// at most maxConcurrent hashes at once (default 4: 256 MiB at the
// default memory).
func NewPasswordHasher(p Argon2Params, maxConcurrent int) (*PasswordHasher, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if maxConcurrent <= 0 {
		maxConcurrent = 4
	}
	return &PasswordHasher{params: p, slots: make(chan struct{}, maxConcurrent)}, nil
}

// Params returns the parameters of new hashes.
func (h *PasswordHasher) Params() Argon2Params { return h.params }

func (h *PasswordHasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return opsward.Internal(fmt.Errorf("wait for password hashing: %w", ctx.Err()))
	}
}

// Hash hashes password with the hasher's parameters.
func (h *PasswordHasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-h.slots }()
	return HashPassword(password, h.params)
}

// Verify checks password against encoded and reports whether the stored
// hash should be replaced (see NeedsRehash).
func (h *PasswordHasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer func() { <-h.slots }()
	ok, err = VerifyPassword(password, encoded)
	if err != nil || !ok {
		return false, false, err
	}
	return true, NeedsRehash(encoded, h.params), nil
}
