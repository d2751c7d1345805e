package authn

import (
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/opsward/opsward"
)

// Defaults of PasswordPolicy.
const (
	DefaultPasswordMinLength = 12
	DefaultPasswordMaxLength = 128
)

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool)
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
})

// PasswordPolicy is what a new password must satisfy. The rules follow
// NIST SP 800-63B: a length floor, a list of known-bad passwords, and no
// composition rules (they make passwords harder to remember, not to
// guess).
type PasswordPolicy struct {
	// MinLength is counted in characters, so that a passphrase in any
	// script counts as long as it looks.
	MinLength int
	// MaxLength is counted in bytes: it bounds what the server hashes.
	MaxLength int
}

// WithDefaults returns p with its zero fields set to the defaults.
func (p PasswordPolicy) WithDefaults() PasswordPolicy {
	if p.MinLength == 0 {
		p.MinLength = DefaultPasswordMinLength
	}
	if p.MaxLength == 0 {
		p.MaxLength = DefaultPasswordMaxLength
	}
	return p
}

// Validate reports a policy that would let weak passwords through or
// refuse every password.
func (p PasswordPolicy) Validate() error {
	switch {
	case p.MinLength < 8:
		return opsward.FieldErrorf("password_policy.min_length", "minimum password length must be at least 8, got %d", p.MinLength)
	case p.MaxLength < p.MinLength*4 || p.MaxLength > 1024:
		// ×4: a password of MinLength characters may take 4 bytes each.
		return opsward.FieldErrorf("password_policy.max_length", "maximum password length must be between 4×min_length and 1024 bytes, got %d", p.MaxLength)
	}
	return nil
}

// Check returns nil when password satisfies the policy, or an EINVALID
// error on the field "password" that says which rule failed. identities
// are the user's email address, user name and the like: the password may
// not be one of them (nor the local part of an email address).
func (p PasswordPolicy) Check(password string, identities ...string) error {
	p = p.WithDefaults()
	if !utf8.ValidString(password) {
		return opsward.FieldErrorf("password", "password must be valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(password); n < p.MinLength {
		return opsward.FieldErrorf("password", "password must be at least %d characters long", p.MinLength)
	}
	if len(password) > p.MaxLength {
		return opsward.FieldErrorf("password", "password must be at most %d bytes long", p.MaxLength)
	}
	if allSame(password) {
		return opsward.FieldErrorf("password", "password must not repeat a single character")
	}
	lower := strings.ToLower(password)
	trimmed := strings.TrimSpace(lower)
	for _, id := range identities {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" {
			continue
		}
		local, _, _ := strings.Cut(id, "@")
		if trimmed == id || trimmed == local {
			return opsward.FieldErrorf("password", "password must not be your email address or user name")
		}
	}
	if commonPasswords()[lower] {
		return opsward.FieldErrorf("password", "password is too common; choose another")
	}
	return nil
}

func allSame(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}
