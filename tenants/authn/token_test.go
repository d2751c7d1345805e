package authn

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/opsward/opsward"
)

// clock is a settable time for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestIssuer(t testing.TB) (*Issuer, *KeyRing, *clock) {
	t.Helper()
	clk := newClock()
	ring, err := GenerateKeyRing(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuer(TokenConfig{Issuer: "https://opsward.test", Audience: "opsward-api", Clock: clk.Now}, ring)
	if err != nil {
		t.Fatal(err)
	}
	return iss, ring, clk
}

var testGrant = AccessGrant{
	UserID:    "usr_01",
	TenantID:  "ten_01",
	SessionID: "ses_01",
	Roles:     []string{"admin"},
	Scopes:    Scopes{ScopeNOCRead, ScopeSOCWrite},
}

// wantUnauthorized fails unless err is EUNAUTHORIZED with a message that
// contains want.
func wantUnauthorized(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want refusal %q", want)
	}
	if code := opsward.ErrorCode(err); code != opsward.EUNAUTHORIZED {
		t.Fatalf("code = %q (%v); want %q", code, err, opsward.EUNAUTHORIZED)
	}
	if msg := opsward.ErrorMessage(err); !strings.Contains(msg, want) {
		t.Fatalf("message = %q; want it to contain %q", msg, want)
	}
}

func TestIssueVerify(t *testing.T) {
	t.Parallel()
	iss, ring, _ := newTestIssuer(t)
	tok, issued, err := iss.Issue(testGrant)
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.UserID() != "usr_01" || c.TenantID != "ten_01" || c.SessionID != "ses_01" {
		t.Errorf("claims = %+v", c)
	}
	if c.ID == "" || c.ID != issued.ID {
		t.Errorf("jti = %q, issued %q", c.ID, issued.ID)
	}
	if got := c.Scopes(); !got.Allows(ScopeSOCRead) || got.Allows(ScopeAdmin) {
		t.Errorf("scopes = %v", got)
	}
	if c.Issuer != "https://opsward.test" || len(c.Audience) != 1 || c.Audience[0] != "opsward-api" {
		t.Errorf("iss/aud = %q %q", c.Issuer, c.Audience)
	}
	if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != DefaultAccessTTL {
		t.Errorf("lifetime = %s; want %s", got, DefaultAccessTTL)
	}
	hdr := decodeSegment(t, tok, 0)
	if hdr["alg"] != "EdDSA" || hdr["kid"] != ring.Active().ID || hdr["typ"] != "at+jwt" {
		t.Errorf("header = %v", hdr)
	}
	_, second, _ := iss.Issue(testGrant)
	if second.ID == issued.ID {
		t.Error("two tokens share a jti")
	}
}

func TestIssueRequiresSubjectTenantSession(t *testing.T) {
	t.Parallel()
	iss, _, _ := newTestIssuer(t)
	for _, g := range []AccessGrant{
		{TenantID: "t", SessionID: "s"},
		{UserID: "u", SessionID: "s"},
		{UserID: "u", TenantID: "t"},
	} {
		if _, _, err := iss.Issue(g); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("Issue(%+v) err = %v; want invalid", g, err)
		}
	}
}

func decodeSegment(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encodeSegment(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// validClaims returns claims that would pass every check, for hand-made
// tokens.
func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "https://opsward.test", "aud": []string{"opsward-api"},
		"sub": "usr_01", "tid": "ten_01", "sid": "ses_01", "jti": "j1",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
}

func signWith(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	tok.Header["typ"] = "at+jwt"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefusesAttacks(t *testing.T) {
	t.Parallel()
	iss, ring, clk := newTestIssuer(t)
	active := ring.Active()
	now := clk.Now()
	good, _, err := iss.Issue(testGrant)
	if err != nil {
		t.Fatal(err)
	}
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	mod := func(f func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims(now)
		f(c)
		return c
	}

	cases := []struct {
		name  string
		token func(t *testing.T) string
		want  string
	}{
		{"alg none", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, active.ID, validClaims(now))
		}, "signing algorithm not allowed"},
		{"alg none with the real signature", func(t *testing.T) string {
			parts := strings.Split(good, ".")
			h := decodeSegment(t, good, 0)
			h["alg"] = "none"
			return encodeSegment(t, h) + "." + parts[1] + "."
		}, "signing algorithm not allowed"},
		{"HS256 with the public key as secret", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodHS256, []byte(active.Public), active.ID, validClaims(now))
		}, "signing algorithm not allowed"},
		{"HS256 with the base64 public key as secret", func(t *testing.T) string {
			secret := []byte(base64.RawURLEncoding.EncodeToString(active.Public))
			return signWith(t, jwt.SigningMethodHS256, secret, active.ID, validClaims(now))
		}, "signing algorithm not allowed"},
		{"unknown kid", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, stranger, "not-a-key", validClaims(now))
		}, "unknown signing key"},
		{"missing kid", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, active.Private, "", validClaims(now))
		}, "no key id"},
		{"expired", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, active.Private, active.ID, mod(func(c jwt.MapClaims) {
				c["iat"], c["nbf"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
			}))
		}, "token expired"},
		{"no expiry", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, active.Private, active.ID, mod(func(c jwt.MapClaims) { delete(c, "exp") }))
		}, "missing a required claim"},
		{"not yet valid", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, active.Private, active.ID, mod(func(c jwt.MapClaims) {
				c["nbf"] = now.Add(5 * time.Minute).Unix()
			}))
		}, "not valid yet"},
		{"issued in the future", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, active.Private, active.ID, mod(func(c jwt.MapClaims) {
				c["iat"] = now.Add(5 * time.Minute).Unix()
			}))
		}, "issued in the future"},
		{"wrong issuer", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, active.Private, active.ID, mod(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" }))
		}, "wrong issuer"},
		{"wrong audience", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, active.Private, active.ID, mod(func(c jwt.MapClaims) { c["aud"] = "other-api" }))
		}, "wrong audience"},
		{"no tenant", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, active.Private, active.ID, mod(func(c jwt.MapClaims) { delete(c, "tid") }))
		}, "missing a required claim"},
		{"tampered payload", func(t *testing.T) string {
			parts := strings.Split(good, ".")
			p := decodeSegment(t, good, 1)
			p["tid"] = "ten_other"
			return parts[0] + "." + encodeSegment(t, p) + "." + parts[2]
		}, "invalid token signature"},
		{"signed by another key under a known kid", func(t *testing.T) string {
			return signWith(t, jwt.SigningMethodEdDSA, stranger, active.ID, validClaims(now))
		}, "invalid token signature"},
		{"not an access token", func(t *testing.T) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, validClaims(now))
			tok.Header["kid"] = active.ID
			s, err := tok.SignedString(active.Private)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, "not an access token"},
		{"garbage", func(*testing.T) string { return "a.b.c" }, "malformed token"},
		{"empty", func(*testing.T) string { return "" }, "missing access token"},
		{"huge", func(*testing.T) string { return strings.Repeat("a", maxTokenBytes+1) }, "malformed token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := iss.Verify(tc.token(t))
			if c != nil {
				t.Errorf("returned claims %+v with error", c)
			}
			wantUnauthorized(t, err, tc.want)
		})
	}
}

func TestVerifyLeeway(t *testing.T) {
	t.Parallel()
	iss, _, clk := newTestIssuer(t)
	tok, _, err := iss.Issue(testGrant)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultAccessTTL + DefaultTokenLeeway - time.Second)
	if _, err := iss.Verify(tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	clk.Advance(2 * time.Second)
	_, err = iss.Verify(tok)
	wantUnauthorized(t, err, "token expired")
}

func TestRotationOverlap(t *testing.T) {
	t.Parallel()
	iss, ring, clk := newTestIssuer(t)
	oldKey := ring.Active()
	oldTok, _, err := iss.Issue(testGrant)
	if err != nil {
		t.Fatal(err)
	}
	// A longer token life than the overlap would make the old key retire
	// before the token expires; use a short overlap to see the retirement.
	overlap := 5 * time.Minute
	newKey, err := ring.Rotate(clk.Now(), overlap)
	if err != nil {
		t.Fatal(err)
	}
	if newKey.ID == oldKey.ID || ring.Active().ID != newKey.ID {
		t.Fatalf("active key not replaced")
	}
	newTok, _, err := iss.Issue(testGrant)
	if err != nil {
		t.Fatal(err)
	}
	if kid := decodeSegment(t, newTok, 0)["kid"]; kid != newKey.ID {
		t.Fatalf("new token kid = %v; want %s", kid, newKey.ID)
	}
	if len(ring.JWKS(clk.Now()).Keys) != 2 {
		t.Errorf("JWKS during overlap should publish both keys")
	}

	clk.Advance(overlap - time.Second)
	if _, err := iss.Verify(oldTok); err != nil {
		t.Fatalf("old token during overlap: %v", err)
	}
	clk.Advance(2 * time.Second)
	_, err = iss.Verify(oldTok)
	wantUnauthorized(t, err, "signing key retired")
	if _, err := iss.Verify(newTok); err != nil {
		t.Fatalf("new token after overlap: %v", err)
	}
	if keys := ring.JWKS(clk.Now()).Keys; len(keys) != 1 || keys[0].KeyID != newKey.ID {
		t.Errorf("JWKS after overlap = %+v", keys)
	}
	if n := ring.Prune(clk.Now()); n != 1 {
		t.Errorf("Prune removed %d keys; want 1", n)
	}
	_, err = iss.Verify(oldTok)
	wantUnauthorized(t, err, "unknown signing key")
}

func TestKeyRingJSONRoundTrip(t *testing.T) {
	t.Parallel()
	iss, ring, clk := newTestIssuer(t)
	tok, _, err := iss.Issue(testGrant)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Rotate(clk.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(ring)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKeyRing(data)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	if back.Active().ID != ring.Active().ID {
		t.Errorf("active = %s; want %s", back.Active().ID, ring.Active().ID)
	}
	iss2, err := NewIssuer(iss.Config(), back)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss2.Verify(tok); err != nil {
		t.Errorf("token of the retired key after round trip: %v", err)
	}
	tok2, _, err := iss2.Issue(testGrant)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Verify(tok2); err != nil {
		t.Errorf("token of the restored ring: %v", err)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(data) {
		t.Errorf("marshal not stable:\n%s\n%s", data, again)
	}
}

func TestParseKeyRingRefuses(t *testing.T) {
	t.Parallel()
	k, _ := GenerateSigningKey(time.Now())
	other, _ := GenerateSigningKey(time.Now())
	seed := base64.StdEncoding.EncodeToString(k.Private.Seed())
	pub := base64.StdEncoding.EncodeToString(k.Public)
	otherPub := base64.StdEncoding.EncodeToString(other.Public)
	cases := map[string]string{
		"not json":           `{`,
		"no active":          `{"active":"","keys":[{"kid":"a","seed":"` + seed + `","public":"` + pub + `"}]}`,
		"active missing":     `{"active":"b","keys":[{"kid":"a","seed":"` + seed + `","public":"` + pub + `"}]}`,
		"active verify-only": `{"active":"a","keys":[{"kid":"a","public":"` + pub + `"}]}`,
		"mismatched public":  `{"active":"a","keys":[{"kid":"a","seed":"` + seed + `","public":"` + otherPub + `"}]}`,
		"short seed":         `{"active":"a","keys":[{"kid":"a","seed":"AAAA","public":"` + pub + `"}]}`,
		"duplicate kid":      `{"active":"a","keys":[{"kid":"a","seed":"` + seed + `","public":"` + pub + `"},{"kid":"a","public":"` + pub + `"}]}`,
		"active retired":     `{"active":"a","keys":[{"kid":"a","seed":"` + seed + `","public":"` + pub + `","not_after":"2026-01-01T00:00:00Z"}]}`,
	}
	for name, in := range cases {
		if _, err := ParseKeyRing([]byte(in)); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("%s: err = %v; want invalid", name, err)
		}
	}
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	_, ring, clk := newTestIssuer(t)
	set := ring.JWKS(clk.Now())
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 1 {
		t.Fatalf("keys = %d", len(doc.Keys))
	}
	k := doc.Keys[0]
	active := ring.Active()
	x, err := base64.RawURLEncoding.DecodeString(k["x"])
	if err != nil || !ed25519.PublicKey(x).Equal(active.Public) {
		t.Errorf("x does not decode to the public key")
	}
	if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" || k["kid"] != active.ID {
		t.Errorf("jwk = %v", k)
	}
	if _, ok := k["d"]; ok || strings.Contains(string(b), base64.RawURLEncoding.EncodeToString(active.Private.Seed())) {
		t.Fatal("JWKS leaks the private key")
	}
	// RFC 8037 appendix A.3: the thumbprint of the example key.
	pub, _ := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if got := thumbprint(pub); got != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Errorf("thumbprint = %s", got)
	}
}

func TestSigningKeyRedacts(t *testing.T) {
	t.Parallel()
	k, _ := GenerateSigningKey(time.Now())
	for _, s := range []string{k.String(), k.GoString(), k.LogValue().String()} {
		if strings.Contains(s, string(k.Private)) || strings.Contains(s, base64.StdEncoding.EncodeToString(k.Private.Seed())) || !strings.Contains(s, k.ID) {
			t.Errorf("formatted key = %q", s)
		}
	}
}

func TestTokenConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (TokenConfig{}).WithDefaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	for name, c := range map[string]TokenConfig{
		"ttl too long":   {AccessTTL: 2 * time.Hour},
		"ttl too short":  {AccessTTL: time.Second},
		"leeway too big": {Leeway: time.Hour},
	} {
		err := c.WithDefaults().Validate()
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) == "" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
