package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of Verify; compare with errors.Is.
var (
	ErrMalformed    = errors.New("webhook signature or timestamp is malformed")
	ErrStale        = errors.New("webhook timestamp is outside the tolerance")
	ErrBadSignature = errors.New("webhook signature does not match")
)

// DefaultTolerance is the clock difference Verify accepts when given none.
const DefaultTolerance = 5 * time.Minute

// Sign returns the hex HMAC-SHA256 of "<timestamp>.<body>" under secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received request: timestamp is the X-Opsward-Timestamp
// header (Unix seconds), signature the X-Opsward-Signature header
// ("v1=<hex>", several separated by commas while a secret rotates), body
// the raw request body. It refuses timestamps more than tolerance away
// from now (DefaultTolerance when tolerance is not positive) and compares
// in constant time.
func Verify(secret []byte, timestamp string, body []byte, signature string, tolerance time.Duration) error {
	return VerifyAt(time.Now(), secret, timestamp, body, signature, tolerance)
}

// VerifyAt is Verify at the given time.
func VerifyAt(now time.Time, secret []byte, timestamp string, body []byte, signature string, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if len(timestamp) == 0 || len(timestamp) > 12 || timestamp[0] == '+' || timestamp[0] == '-' {
		return ErrMalformed
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrMalformed
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want, _ := hex.DecodeString(Sign(secret, timestamp, body))
	found := false
	for part := range strings.SplitSeq(signature, ",") {
		v, sig, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v != "v1" {
			continue
		}
		got, err := hex.DecodeString(sig)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		found = true
		if hmac.Equal(got, want) {
			return nil
		}
	}
	if !found {
		return ErrMalformed
	}
	return ErrBadSignature
}
