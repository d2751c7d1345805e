package probe

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// HeartbeatSettings configure a push monitor: the customer's job calls a
// secret URL at least every Interval; a beat later than Interval + Grace
// means down.
type HeartbeatSettings struct {
	Interval Duration `json:"interval"`
	Grace    Duration `json:"grace,omitempty"`
}

func (s *HeartbeatSettings) Validate() error {
	if s.Interval < Duration(time.Second) || s.Interval > Duration(31*24*time.Hour) {
		return opsward.FieldErrorf("settings.interval", "must be between 1s and 31 days")
	}
	if s.Grace < 0 || s.Grace > Duration(7*24*time.Hour) {
		return opsward.FieldErrorf("settings.grace", "must be between 0 and 7 days")
	}
	return nil
}

// HeartbeatProber judges a push monitor from when it last heard a beat. It
// makes no connection; the ingest endpoint records beats.
type HeartbeatProber struct{}

func NewHeartbeat() *HeartbeatProber { return &HeartbeatProber{} }

func (p *HeartbeatProber) Kind() Kind { return KindHeartbeat }

func (p *HeartbeatProber) Parse(raw []byte) (Settings, error) {
	s := &HeartbeatSettings{}
	if err := decode(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *HeartbeatProber) Probe(_ context.Context, set Settings, in Input) Result {
	s, ok := set.(*HeartbeatSettings)
	if !ok {
		return wrongKind(set)
	}
	in = in.withDefaults()
	res := Result{Status: StatusUp, StartedAt: in.Now}
	ref, what := in.LastBeat, "the last beat"
	if ref.IsZero() {
		ref, what = in.Since, "monitoring started"
	}
	if ref.IsZero() {
		res.Status, res.Reason, res.Message = StatusUnknown, ReasonNoBeat, "no beat received yet"
		return res
	}
	due := ref.Add(s.Interval.D() + s.Grace.D())
	if !in.LastBeat.IsZero() {
		res.metric("seconds_since_beat", in.Now.Sub(in.LastBeat).Seconds())
	}
	if in.Now.After(due) {
		res.fail(StatusDown, ReasonNoBeat, "no beat for %s since %s (expected every %s, grace %s)",
			in.Now.Sub(ref).Round(time.Second), what, s.Interval.D(), s.Grace.D())
	}
	return res
}

// NextDue says when a heartbeat monitor should next be judged: just after
// its deadline, so that a missed beat is noticed on time.
func (s *HeartbeatSettings) NextDue(lastBeat time.Time) time.Time {
	return lastBeat.Add(s.Interval.D() + s.Grace.D() + time.Second)
}

const heartbeatTokenPrefix = "hb_"

// NewHeartbeatToken returns a secret for a heartbeat URL and the hash to
// store. The token is shown to the customer once; only the hash is kept.
func NewHeartbeatToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = heartbeatTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashHeartbeatToken(token), nil
}

// HashHeartbeatToken returns the stored form of a token. Tokens carry 256
// random bits, so a fast hash is enough: nothing can be guessed offline.
func HashHeartbeatToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ParseHeartbeatToken checks the shape of a token taken from a URL before
// any lookup is made with it.
func ParseHeartbeatToken(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, heartbeatTokenPrefix)
	if !ok || len(rest) != 43 {
		return "", opsward.Errorf(opsward.ENOTFOUND, "unknown heartbeat token")
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) != 32 {
		return "", opsward.Errorf(opsward.ENOTFOUND, "unknown heartbeat token")
	}
	return s, nil
}

// VerifyHeartbeatToken reports whether token hashes to hash, in constant
// time.
func VerifyHeartbeatToken(token, hash string) bool {
	got := HashHeartbeatToken(token)
	return subtle.ConstantTimeCompare([]byte(got), []byte(hash)) == 1
}
