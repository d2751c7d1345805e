package authn

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/opsward/opsward"
)

// Defaults of TokenConfig.
const (
	DefaultTokenIssuer   = "opsward"
	DefaultTokenAudience = "opsward-api"
	DefaultAccessTTL     = 15 * time.Minute
	DefaultTokenLeeway   = 30 * time.Second
)

// maxTokenBytes bounds what Verify parses: an access token is a few
// hundred bytes, and a header of this size is already refused by most
// proxies. Anything longer is refused before it is decoded.
const maxTokenBytes = 8 << 10

// accessTokenType is the JOSE "typ" of access tokens (RFC 9068). Verify
// requires it, so that another JWT signed by the same keys one day (an ID
// token, a link token) cannot be passed off as an access token.
const accessTokenType = "at+jwt"

// TokenConfig configures an Issuer.
type TokenConfig struct {
	// Issuer is the iss claim written and required. Use the public base
	// URL of the deployment in production.
	Issuer string
	// Audience is the aud claim written and required.
	Audience string
	// AccessTTL is the lifetime of an access token. Keep it short: an
	// access token cannot be revoked before it expires, only its session.
	AccessTTL time.Duration
	// Leeway is the clock skew tolerated on exp, nbf and iat.
	Leeway time.Duration
	// Clock returns the current time; nil means time.Now. For tests.
	Clock func() time.Time
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c TokenConfig) WithDefaults() TokenConfig {
	if c.Issuer == "" {
		c.Issuer = DefaultTokenIssuer
	}
	if c.Audience == "" {
		c.Audience = DefaultTokenAudience
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = DefaultAccessTTL
	}
	if c.Leeway == 0 {
		c.Leeway = DefaultTokenLeeway
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Validate reports the first setting that is out of range.
func (c TokenConfig) Validate() error {
	switch {
	case c.Issuer == "":
		return opsward.FieldErrorf("tokens.issuer", "token issuer must be set")
	case c.Audience == "":
		return opsward.FieldErrorf("tokens.audience", "token audience must be set")
	case c.AccessTTL < time.Minute || c.AccessTTL > time.Hour:
		return opsward.FieldErrorf("tokens.access_ttl", "access token lifetime must be between 1m and 1h, got %s", c.AccessTTL)
	case c.Leeway < 0 || c.Leeway > 5*time.Minute:
		return opsward.FieldErrorf("tokens.leeway", "token leeway must be between 0 and 5m, got %s", c.Leeway)
	}
	return nil
}

// AccessGrant is what an access token says: who acts, for which tenant,
// in which session, with which roles and scopes.
type AccessGrant struct {
	UserID    string
	TenantID  string
	SessionID string
	Roles     []string
	Scopes    Scopes
}

// AccessClaims are the claims of an access token. Subject (sub) is the
// user id; ID (jti) is unique per token.
type AccessClaims struct {
	TenantID  string   `json:"tid"`
	SessionID string   `json:"sid"`
	Roles     []string `json:"roles,omitempty"`
	// Scope is the space-separated scope list (RFC 8693 section 4.2).
	Scope string `json:"scope,omitempty"`
	jwt.RegisteredClaims
}

// UserID returns the subject.
func (c *AccessClaims) UserID() string { return c.Subject }

// Scopes returns the scopes of the token. A token whose scope claim holds
// an unknown name yields only the known ones: an unknown scope grants
// nothing.
func (c *AccessClaims) Scopes() Scopes {
	var s Scopes
	for _, f := range strings.Fields(c.Scope) {
		if sc := Scope(f); sc.Valid() {
			s = append(s, sc)
		}
	}
	return s
}

// Issuer issues and verifies access tokens with the keys of a KeyRing.
// It is safe for concurrent use.
type Issuer struct {
	cfg    TokenConfig
	ring   *KeyRing
	parser *jwt.Parser
}

// NewIssuer returns an Issuer; cfg gets its defaults and is validated.
func NewIssuer(cfg TokenConfig, ring *KeyRing) (*Issuer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if ring == nil {
		return nil, opsward.Errorf(opsward.EINVALID, "issuer needs a key ring")
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithNotBeforeRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(cfg.Clock),
		jwt.WithStrictDecoding(),
	)
	return &Issuer{cfg: cfg, ring: ring, parser: p}, nil
}

// Config returns the configuration in use, defaults applied.
func (i *Issuer) Config() TokenConfig { return i.cfg }

// Issue signs an access token for g with the active key and returns it
// with its claims.
func (i *Issuer) Issue(g AccessGrant) (string, *AccessClaims, error) {
	if g.UserID == "" || g.TenantID == "" || g.SessionID == "" {
		return "", nil, opsward.Errorf(opsward.EINVALID, "access token needs a user, a tenant and a session")
	}
	key := i.ring.Active()
	if key.Private == nil {
		return "", nil, opsward.Internal(errors.New("key ring has no active signing key"))
	}
	jti, err := randomID()
	if err != nil {
		return "", nil, err
	}
	now := i.cfg.Clock().Truncate(time.Second)
	c := &AccessClaims{
		TenantID:  g.TenantID,
		SessionID: g.SessionID,
		Roles:     g.Roles,
		Scope:     g.Scopes.String(),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.cfg.Issuer,
			Subject:   g.UserID,
			Audience:  jwt.ClaimStrings{i.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(i.cfg.AccessTTL)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        jti,
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = key.ID
	t.Header["typ"] = accessTokenType
	s, err := t.SignedString(key.Private)
	if err != nil {
		return "", nil, opsward.Internal(fmt.Errorf("sign access token: %w", err))
	}
	return s, c, nil
}

// Verify checks an access token and returns its claims. The algorithm is
// pinned to EdDSA; the key is chosen by kid among the ring's keys, never
// taken from the token; issuer, audience, exp, nbf and iat are checked
// with the configured leeway. Every refusal is an EUNAUTHORIZED error
// saying why.
func (i *Issuer) Verify(token string) (*AccessClaims, error) {
	if token == "" {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "missing access token")
	}
	if len(token) > maxTokenBytes {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "malformed token")
	}
	c := &AccessClaims{}
	t, err := i.parser.ParseWithClaims(token, c, i.keyFunc)
	if err != nil {
		return nil, verifyError(t, err)
	}
	if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, accessTokenType) {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "not an access token")
	}
	if c.Subject == "" || c.TenantID == "" || c.SessionID == "" || c.ID == "" {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "token is missing a required claim")
	}
	return c, nil
}

func (i *Issuer) keyFunc(t *jwt.Token) (any, error) {
	// WithValidMethods has already refused other algorithms; checking the
	// type as well means a change to the parser options cannot open the
	// door to HMAC with a public key as secret.
	if _, ok := t.Method.(*jwt.SigningMethodEd25519); !ok {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "signing algorithm not allowed")
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "token has no key id")
	}
	return i.ring.lookup(kid, i.cfg.Clock())
}

// verifyError turns a parser error into an EUNAUTHORIZED error with a
// message that says what was wrong. The cause is kept for logs; it never
// holds the token.
func verifyError(t *jwt.Token, err error) error {
	var oe *opsward.Error
	if errors.As(err, &oe) {
		return oe
	}
	msg := "invalid token"
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		msg = "malformed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		msg = "invalid token signature"
		if t != nil && t.Method != nil && t.Method.Alg() != jwt.SigningMethodEdDSA.Alg() {
			msg = "signing algorithm not allowed"
		}
	case errors.Is(err, jwt.ErrTokenExpired):
		msg = "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		msg = "token not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		msg = "token issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		msg = "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		msg = "wrong audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		msg = "token is missing a required claim"
	}
	return &opsward.Error{Code: opsward.EUNAUTHORIZED, Message: msg, Err: err}
}

// randomID returns 128 random bits, base64url: a jti.
func randomID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", opsward.Internal(fmt.Errorf("read random: %w", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
