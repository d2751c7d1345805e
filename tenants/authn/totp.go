package authn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// Defaults of TOTPConfig: what every authenticator app supports.
const (
	DefaultTOTPDigits = 6
	DefaultTOTPPeriod = 30 * time.Second
	DefaultTOTPSkew   = 1
	DefaultTOTPIssuer = "Opsward"
)

// totpSecretBytes is 160 bits, the HMAC-SHA1 block-friendly size RFC 4226
// recommends (section 4, R6).
const totpSecretBytes = 20

// TOTPConfig configures TOTP (RFC 6238 with HMAC-SHA1).
type TOTPConfig struct {
	// Issuer is shown by authenticator apps next to the account.
	Issuer string
	// Digits is 6 or 8.
	Digits int
	// Period is the time step.
	Period time.Duration
	// Skew is how many steps before and after the current one are
	// accepted, to absorb clock drift and typing time. Zero means the
	// default, 1.
	Skew int
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c TOTPConfig) WithDefaults() TOTPConfig {
	if c.Issuer == "" {
		c.Issuer = DefaultTOTPIssuer
	}
	if c.Digits == 0 {
		c.Digits = DefaultTOTPDigits
	}
	if c.Period == 0 {
		c.Period = DefaultTOTPPeriod
	}
	if c.Skew == 0 {
		c.Skew = DefaultTOTPSkew
	}
	return c
}

// Validate reports the first setting out of range.
func (c TOTPConfig) Validate() error {
	switch {
	case c.Issuer == "" || strings.Contains(c.Issuer, ":"):
		return opsward.FieldErrorf("totp.issuer", "TOTP issuer must be set and must not contain ':'")
	case c.Digits != 6 && c.Digits != 8:
		return opsward.FieldErrorf("totp.digits", "TOTP digits must be 6 or 8, got %d", c.Digits)
	case c.Period < time.Second || c.Period%time.Second != 0 || c.Period > 5*time.Minute:
		return opsward.FieldErrorf("totp.period", "TOTP period must be whole seconds between 1s and 5m, got %s", c.Period)
	case c.Skew < 0 || c.Skew > 3:
		return opsward.FieldErrorf("totp.skew", "TOTP skew must be between 0 and 3 steps, got %d", c.Skew)
	}
	return nil
}

// TOTP generates and checks time-based one-time passwords.
type TOTP struct{ cfg TOTPConfig }

// NewTOTP returns a TOTP with cfg, defaults applied and validated.
func NewTOTP(cfg TOTPConfig) (*TOTP, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &TOTP{cfg: cfg}, nil
}

// totpB32 is the base32 of otpauth URIs: upper case, no padding.
var totpB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// GenerateTOTPSecret returns a new 160-bit secret in base32.
func GenerateTOTPSecret() (string, error) {
	b := make([]byte, totpSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", opsward.Internal(fmt.Errorf("read random: %w", err))
	}
	return totpB32.EncodeToString(b), nil
}

// ParseTOTPSecret decodes a base32 secret as users copy it: any case,
// with or without padding, spaces and dashes. A secret under 80 bits (the
// RFC 4226 minimum) or over 512 is refused as EINVALID on field "secret".
func ParseTOTPSecret(s string) ([]byte, error) {
	if len(s) > 256 {
		return nil, opsward.FieldErrorf("secret", "TOTP secret is too long")
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		return r
	}, strings.ToUpper(s))
	clean = strings.TrimRight(clean, "=")
	b, err := totpB32.DecodeString(clean)
	if err != nil || strings.ContainsAny(clean, "\r\n") {
		return nil, opsward.FieldErrorf("secret", "TOTP secret is not base32")
	}
	if len(b) < 10 || len(b) > 64 {
		return nil, opsward.FieldErrorf("secret", "TOTP secret must be between 80 and 512 bits")
	}
	return b, nil
}

// URI returns the otpauth:// provisioning URI an authenticator app reads
// (usually from a QR code) for account and secret. The URI holds the
// secret: show it to its owner only, never log it.
func (t *TOTP) URI(account, secret string) string {
	// The colon separates issuer and account, so one inside either is
	// escaped too.
	esc := func(s string) string { return strings.ReplaceAll(url.PathEscape(s), ":", "%3A") }
	label := esc(t.cfg.Issuer) + ":" + esc(account)
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", t.cfg.Issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", strconv.Itoa(t.cfg.Digits))
	q.Set("period", strconv.Itoa(int(t.cfg.Period/time.Second)))
	// Spaces as %20, not '+': some authenticator apps show '+' as is.
	return "otpauth://totp/" + label + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// Step returns the time step that contains now.
func (t *TOTP) Step(now time.Time) uint64 {
	u := now.Unix()
	if u < 0 {
		return 0
	}
	return uint64(u) / uint64(t.cfg.Period/time.Second)
}

// Code returns the code of secret for step.
func (t *TOTP) Code(secret []byte, step uint64) string {
	return hotp(secret, step, t.cfg.Digits)
}

// hotp is RFC 4226 section 5.3.
func hotp(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Verify checks code against the base32 secret at now, accepting the
// steps within the configured skew. lastStep is the step of the code last
// accepted for this user (0 if none): a code of that step or an earlier
// one is refused, so that a code seen over a shoulder or in transit
// cannot be used again. On success Verify returns the step accepted;
// store it as the next lastStep, in the same transaction as the login.
func (t *TOTP) Verify(secret, code string, now time.Time, lastStep uint64) (uint64, error) {
	key, err := ParseTOTPSecret(secret)
	if err != nil {
		return 0, opsward.Internal(fmt.Errorf("stored TOTP secret: %w", err))
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != t.cfg.Digits || strings.Trim(code, "0123456789") != "" {
		return 0, opsward.FieldErrorf("code", "verification code must be %d digits", t.cfg.Digits)
	}
	cur := t.Step(now)
	var matched uint64
	found := false
	// Every step of the window is computed and compared, matched or not,
	// so that the time taken says nothing about which step matched.
	for d := -t.cfg.Skew; d <= t.cfg.Skew; d++ {
		if d < 0 && cur < uint64(-d) {
			continue
		}
		step := uint64(int64(cur) + int64(d))
		if subtle.ConstantTimeCompare([]byte(t.Code(key, step)), []byte(code)) == 1 {
			matched, found = step, true // the latest step wins
		}
	}
	if !found {
		return 0, opsward.Errorf(opsward.EUNAUTHORIZED, "invalid verification code")
	}
	if matched <= lastStep {
		return 0, opsward.Errorf(opsward.EUNAUTHORIZED, "verification code already used; wait for the next one")
	}
	return matched, nil
}
