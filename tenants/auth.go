package tenants

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/apikey"
	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/ent/refreshtoken"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/ent/user"
	"github.com/opsward/opsward/tenants/authn"
)

// Request is what the edge knows about the caller.
type Request struct {
	IP        string
	UserAgent string
}

// LoginInput is a password login.
type LoginInput struct {
	Email    string
	Password string
	TOTPCode string
	TenantID string // the acting tenant; empty: the highest tenant the user belongs to
	Request
}

// Tokens are what a login or a refresh hands out.
type Tokens struct {
	AccessToken  string    `json:"accessToken"`
	RefreshToken string    `json:"refreshToken"`
	TokenType    string    `json:"tokenType"`
	ExpiresAt    time.Time `json:"expiresAt"`
	TenantID     string    `json:"tenantId"`
	SessionID    string    `json:"sessionId"`
}

var errBadLogin = opsward.Errorf(opsward.EUNAUTHORIZED, "the email or the password is wrong")

// Login checks a password (and a one-time code when the user has one) and
// opens a session. Failures are throttled per account and per address.
func (s *Service) Login(ctx context.Context, in LoginInput) (*Tokens, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if email == "" || in.Password == "" {
		return nil, opsward.FieldErrorf("email", "email and password are required")
	}
	if err := s.throttle.Check(ctx, email, in.IP); err != nil {
		return nil, err
	}
	pctx := Privileged(ctx, "login")
	u, err := s.client.User.Query().Where(user.Email(email)).Only(pctx)
	if ent.IsNotFound(err) {
		_, _, _ = s.hasher.Verify(ctx, in.Password, s.dummy())
		s.log.InfoContext(ctx, "login failed", "reason", "unknown email", "ip", in.IP)
		return nil, s.loginFailed(ctx, email, in.Request, nil)
	}
	if err != nil {
		return nil, storageErr(err)
	}
	ok, rehash, err := s.hasher.Verify(ctx, in.Password, u.PasswordHash)
	if err != nil || !ok {
		return nil, s.loginFailed(ctx, email, in.Request, u)
	}
	if u.Status != user.StatusActive {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "this account is disabled")
	}
	var totpStep uint64
	if u.TotpEnabled {
		if in.TOTPCode == "" {
			return nil, &opsward.Error{Code: opsward.EUNAUTHORIZED, Field: "totpCode", Message: "a one-time code is required for this account"}
		}
		secret, err := s.openTOTPSecret(u)
		if err != nil {
			return nil, err
		}
		if totpStep, err = s.totp.Verify(secret, in.TOTPCode, s.now(), uint64(u.TotpLastStep)); err != nil {
			return nil, s.loginFailed(ctx, email, in.Request, u)
		}
	}
	t, roles, err := s.actingTenant(pctx, u.ID, in.TenantID)
	if err != nil {
		return nil, err
	}
	_ = s.throttle.Succeed(ctx, email, in.IP)
	var tokens *Tokens
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		upd := tx.User.UpdateOne(u).SetLastLoginAt(s.now())
		if totpStep > 0 {
			upd.SetTotpLastStep(int64(totpStep))
		}
		if rehash {
			if h, err := s.hasher.Hash(ctx, in.Password); err == nil {
				upd.SetPasswordHash(h)
			}
		}
		if err := upd.Exec(pctx); err != nil {
			return storageErr(err)
		}
		ses, err := tx.Session.Create().SetTenantID(t.ID).SetUserID(u.ID).SetIP(clip(in.IP, 64)).
			SetUserAgent(clip(in.UserAgent, 512)).SetExpiresAt(s.now().Add(s.cfg.RefreshTTL)).Save(pctx)
		if err != nil {
			return storageErr(err)
		}
		if tokens, err = s.issue(pctx, tx, ses, u.ID, t.ID, roles); err != nil {
			return err
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: t.ID, Action: "auth.login", TargetID: ses.ID,
			ActorType: ActorUser, ActorID: u.ID, ActorTenantID: t.ID, IP: in.IP, UserAgent: in.UserAgent})
	})
	return tokens, err
}

// loginFailed counts the failure, writes it to the audit log of the
// user's home tenant when the user exists, and returns the error to show:
// the same for an unknown email and a wrong password.
func (s *Service) loginFailed(ctx context.Context, email string, r Request, u *ent.User) error {
	ferr := s.throttle.Fail(ctx, email, r.IP)
	if u != nil {
		if home, err := s.homeTenant(Privileged(ctx, "login failure"), u.ID); err == nil {
			if err := s.Audit(ctx, nil, AuditRecord{TenantID: home, Action: "auth.login_failed", TargetID: u.ID,
				ActorType: "anonymous", IP: r.IP, UserAgent: r.UserAgent}); err != nil {
				s.log.ErrorContext(ctx, "audit of a failed login", "err", err)
			}
		}
	}
	if ferr != nil && opsward.ErrorCode(ferr) == opsward.ELIMIT {
		return ferr
	}
	return errBadLogin
}

// homeTenant is the highest tenant a user belongs to.
func (s *Service) homeTenant(pctx context.Context, userID string) (string, error) {
	t, _, err := s.actingTenant(pctx, userID, "")
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// actingTenant resolves the tenant a user acts on and the user's roles
// there: the roles of memberships on that tenant and on its ancestors.
// With no tenant asked for, the highest tenant of the user's memberships.
func (s *Service) actingTenant(pctx context.Context, userID, want string) (*ent.Tenant, []opsward.Role, error) {
	ms, err := s.client.Membership.Query().Where(membership.UserID(userID)).All(pctx)
	if err != nil {
		return nil, nil, storageErr(err)
	}
	if len(ms) == 0 {
		return nil, nil, opsward.Errorf(opsward.EFORBIDDEN, "this account belongs to no tenant")
	}
	if want == "" {
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.TenantID
		}
		top, err := s.client.Tenant.Query().Where(tenant.IDIn(ids...)).All(pctx)
		if err != nil || len(top) == 0 {
			return nil, nil, storageErr(err)
		}
		best := top[0]
		for _, t := range top[1:] {
			if len(t.Path) < len(best.Path) || (len(t.Path) == len(best.Path) && t.ID < best.ID) {
				best = t
			}
		}
		want = best.ID
	}
	notMember := opsward.Errorf(opsward.EFORBIDDEN, "you are not a member of tenant %s or of any tenant above it", want)
	if !opsward.ValidID(want, opsward.PrefixTenant) {
		return nil, nil, notMember
	}
	t, err := s.client.Tenant.Get(pctx, want)
	if ent.IsNotFound(err) {
		return nil, nil, notMember
	}
	if err != nil {
		return nil, nil, storageErr(err)
	}
	var roles []opsward.Role
	for _, m := range ms {
		if strings.Contains(t.Path, "/"+m.TenantID+"/") {
			roles = append(roles, m.Role)
		}
	}
	if len(roles) == 0 {
		return nil, nil, notMember
	}
	if err := s.checkActive(pctx, t); err != nil {
		return nil, nil, err
	}
	return t, roles, nil
}

// checkActive refuses a tenant that is suspended or closed, or that sits
// below one that is.
func (s *Service) checkActive(pctx context.Context, t *ent.Tenant) error {
	ids := pathIDs(t.Path)
	bad, err := s.client.Tenant.Query().Where(tenant.IDIn(ids...), tenant.StatusNEQ(tenant.StatusActive)).First(pctx)
	switch {
	case ent.IsNotFound(err):
		return nil
	case err != nil:
		return storageErr(err)
	case bad.ID == t.ID:
		return opsward.Errorf(opsward.EFORBIDDEN, "tenant %s is %s: its users and keys are refused until it is reactivated", t.ID, bad.Status)
	}
	return opsward.Errorf(opsward.EFORBIDDEN, "tenant %s sits below tenant %s, which is %s", t.ID, bad.ID, bad.Status)
}

func pathIDs(path string) []string {
	return strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
}

// issue writes a new refresh token of ses and signs an access token.
func (s *Service) issue(pctx context.Context, tx *ent.Tx, ses *ent.Session, userID, tenantID string, roles []opsward.Role) (*Tokens, error) {
	rt, err := authn.NewRefreshToken()
	if err != nil {
		return nil, opsward.Internal(err)
	}
	if err := tx.RefreshToken.Create().SetTenantID(ses.TenantID).SetSessionID(ses.ID).
		SetTokenHash(hex.EncodeToString(rt.Hash)).SetExpiresAt(s.now().Add(s.cfg.RefreshTTL)).Exec(pctx); err != nil {
		return nil, storageErr(err)
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	at, claims, err := s.issuer.Issue(authn.AccessGrant{UserID: userID, TenantID: tenantID, SessionID: ses.ID, Roles: names})
	if err != nil {
		return nil, opsward.Internal(err)
	}
	return &Tokens{AccessToken: at, RefreshToken: rt.Reveal(), TokenType: "Bearer",
		ExpiresAt: claims.ExpiresAt.Time, TenantID: tenantID, SessionID: ses.ID}, nil
}

var errBadRefresh = opsward.Errorf(opsward.EUNAUTHORIZED, "the refresh token is unknown, expired or revoked: log in again")

// Refresh trades a refresh token for a new pair. A refresh token works
// once: presenting it again means it was stolen, and the whole session is
// revoked.
func (s *Service) Refresh(ctx context.Context, token, tenantID string, r Request) (*Tokens, error) {
	p, err := authn.ParseOpaqueSecret(authn.KindRefreshToken, token)
	if err != nil {
		return nil, err
	}
	pctx := Privileged(ctx, "refresh")
	rt, err := s.client.RefreshToken.Query().Where(refreshtoken.TokenHash(hex.EncodeToString(p.HashOf()))).Only(pctx)
	if err != nil {
		return nil, errBadRefresh
	}
	ses, err := s.client.Session.Get(pctx, rt.SessionID)
	if err != nil || ses.RevokedAt != nil || s.now().After(ses.ExpiresAt) || s.now().After(rt.ExpiresAt) {
		return nil, errBadRefresh
	}
	// Mark the token used; only one presenter can win.
	n, err := s.client.RefreshToken.Update().Where(refreshtoken.ID(rt.ID), refreshtoken.UsedAtIsNil()).SetUsedAt(s.now()).Save(pctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if n == 0 {
		if err := s.revokeSession(ctx, ses, "refresh token reused", r); err != nil {
			s.log.ErrorContext(ctx, "revoke session after reuse", "err", err, "session_id", ses.ID)
		}
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "this refresh token was already used, so it may be stolen: the session is revoked, log in again")
	}
	if tenantID == "" {
		tenantID = ses.TenantID
	}
	t, roles, err := s.actingTenant(pctx, ses.UserID, tenantID)
	if err != nil {
		return nil, err
	}
	var tokens *Tokens
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		if err := tx.Session.UpdateOne(ses).SetExpiresAt(s.now().Add(s.cfg.RefreshTTL)).Exec(pctx); err != nil {
			return storageErr(err)
		}
		var err error
		tokens, err = s.issue(pctx, tx, ses, ses.UserID, t.ID, roles)
		return err
	})
	return tokens, err
}

// Logout revokes the actor's session, or the session of a refresh token.
func (s *Service) Logout(ctx context.Context, refreshToken string, r Request) error {
	pctx := Privileged(ctx, "logout")
	var sid string
	if a, ok := FromContext(ctx); ok && a.SessionID != "" {
		sid = a.SessionID
	} else if refreshToken != "" {
		p, err := authn.ParseOpaqueSecret(authn.KindRefreshToken, refreshToken)
		if err != nil {
			return err
		}
		rt, err := s.client.RefreshToken.Query().Where(refreshtoken.TokenHash(hex.EncodeToString(p.HashOf()))).Only(pctx)
		if err != nil {
			return errBadRefresh
		}
		sid = rt.SessionID
	} else {
		return opsward.Errorf(opsward.EUNAUTHORIZED, "log out with a bearer token or a refresh token")
	}
	ses, err := s.client.Session.Get(pctx, sid)
	if err != nil {
		return storageErr(err)
	}
	if ses.RevokedAt != nil {
		return nil
	}
	return s.revokeSession(ctx, ses, "logout", r)
}

func (s *Service) revokeSession(ctx context.Context, ses *ent.Session, reason string, r Request) error {
	pctx := Privileged(ctx, "revoke session")
	err := s.withTx(pctx, func(tx *ent.Tx) error {
		if err := tx.Session.UpdateOne(ses).SetRevokedAt(s.now()).SetRevokedReason(reason).Exec(pctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: ses.TenantID, Action: "auth.session_revoked", TargetID: ses.ID,
			ActorType: ActorUser, ActorID: ses.UserID, ActorTenantID: ses.TenantID, IP: r.IP, UserAgent: r.UserAgent, Detail: "reason=" + reason})
	})
	s.cache.purgeSession(ses.ID)
	s.publishInvalidation(ctx)
	return err
}

func (s *Service) openTOTPSecret(u *ent.User) (string, error) {
	if u.TotpSecret == nil || s.sealer == nil {
		return "", opsward.Internal(errors.New("TOTP enabled without a sealed secret"))
	}
	plain, err := s.sealer.Open(string(*u.TotpSecret), authn.SealContext("users", u.ID, "totp_secret"))
	if err != nil {
		return "", opsward.Internal(err)
	}
	return string(plain), nil
}

// Authenticate turns the Authorization header and the chosen tenant of a
// request into an actor. A bearer value that starts with "opw_" is an API
// key; anything else must be an access token. The result is cached for a
// few seconds and dropped at once on revocation, suspension or a role
// change.
func (s *Service) Authenticate(ctx context.Context, authorization, tenantID string, r Request) (*Actor, error) {
	scheme, cred, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token or API key>\"")
	}
	var (
		a   *Actor
		err error
	)
	if strings.HasPrefix(cred, string(authn.KindAPIKey)+"_") {
		a, err = s.authenticateKey(ctx, cred, tenantID)
	} else {
		a, err = s.authenticateToken(ctx, cred, tenantID)
	}
	if err != nil {
		return nil, err
	}
	out := *a
	out.IP, out.UserAgent = r.IP, r.UserAgent
	return &out, nil
}

func (s *Service) authenticateToken(ctx context.Context, token, tenantID string) (*Actor, error) {
	claims, err := s.cache.verified(token, s.now())
	if err != nil || claims == nil {
		if claims, err = s.issuer.Verify(token); err != nil {
			return nil, err
		}
		s.cache.rememberVerified(token, claims)
	}
	if tenantID == "" {
		tenantID = claims.TenantID
	}
	key := "s|" + claims.SessionID + "|" + tenantID
	if a := s.cache.get(key); a != nil {
		return a, nil
	}
	pctx := Privileged(ctx, "authenticate")
	ses, err := s.client.Session.Get(pctx, claims.SessionID)
	if err != nil || ses.UserID != claims.UserID() {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "the session of this token does not exist")
	}
	if ses.RevokedAt != nil {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "the session of this token was revoked (%s): log in again", ses.RevokedReason)
	}
	if s.now().After(ses.ExpiresAt) {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "the session of this token expired: log in again")
	}
	u, err := s.client.User.Get(pctx, ses.UserID)
	if err != nil || u.Status != user.StatusActive {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "this account is disabled")
	}
	t, roles, err := s.actingTenant(pctx, ses.UserID, tenantID)
	if err != nil {
		return nil, err
	}
	a := &Actor{Kind: ActorUser, ID: u.ID, TenantID: t.ID, TenantPath: t.Path, Roles: roles,
		Provider: t.Kind == tenant.KindProvider, SessionID: ses.ID}
	s.cache.put(key, a, claims.SessionID, t.Path, "")
	return a, nil
}

var errBadKey = opsward.Errorf(opsward.EUNAUTHORIZED, "the API key is unknown, expired or revoked")

func (s *Service) authenticateKey(ctx context.Context, secret, tenantID string) (*Actor, error) {
	p, err := authn.ParseOpaqueSecret(authn.KindAPIKey, secret)
	if err != nil {
		return nil, err
	}
	key := "k|" + p.Prefix + "|" + tenantID
	if a := s.cache.get(key); a != nil && s.cache.keyMatches(p) {
		return a, nil
	}
	pctx := Privileged(ctx, "authenticate")
	k, err := s.client.APIKey.Query().Where(apikey.Prefix(p.Prefix)).Only(pctx)
	if err != nil {
		return nil, errBadKey
	}
	stored, err := hex.DecodeString(k.SecretHash)
	if err != nil || !p.Matches(stored) || k.RevokedAt != nil || (k.ExpiresAt != nil && s.now().After(*k.ExpiresAt)) {
		return nil, errBadKey
	}
	own, err := s.client.Tenant.Get(pctx, k.TenantID)
	if err != nil {
		return nil, errBadKey
	}
	t := own
	if tenantID != "" && tenantID != own.ID {
		if !opsward.ValidID(tenantID, opsward.PrefixTenant) {
			return nil, opsward.Errorf(opsward.EFORBIDDEN, "%q is not a tenant id", tenantID)
		}
		if t, err = s.client.Tenant.Get(pctx, tenantID); err != nil || !strings.HasPrefix(t.Path, own.Path) {
			return nil, opsward.Errorf(opsward.EFORBIDDEN, "this API key cannot act on tenant %s", tenantID)
		}
	}
	if err := s.checkActive(pctx, t); err != nil {
		return nil, err
	}
	a := &Actor{Kind: ActorAPIKey, ID: k.ID, TenantID: t.ID, TenantPath: t.Path, Scopes: k.Scopes,
		Provider: t.Kind == tenant.KindProvider}
	s.cache.put(key, a, "", t.Path, p.Prefix)
	s.cache.rememberKey(p)
	s.touchKey(ctx, k)
	return a, nil
}

// touchKey records a key's last use, at most once per APIKeyTouchGap.
func (s *Service) touchKey(ctx context.Context, k *ent.APIKey) {
	if k.LastUsedAt != nil && s.now().Sub(*k.LastUsedAt) < s.cfg.APIKeyTouchGap {
		return
	}
	pctx := Privileged(context.WithoutCancel(ctx), "api key last use")
	if err := s.client.APIKey.UpdateOneID(k.ID).SetLastUsedAt(s.now()).Exec(pctx); err != nil {
		s.log.WarnContext(ctx, "record API key use", "err", err)
	}
}

// actorCache keeps resolved actors for a few seconds. Revocations,
// suspensions and role changes drop entries at once in this process and,
// through Redis, in the others.
type actorCache struct {
	mu    sync.Mutex
	ttl   time.Duration
	now   func() time.Time
	items map[string]cached
	jwts  map[string]*authn.AccessClaims
	keys  map[string][]byte // prefix → hash of the secret last accepted
}

type cached struct {
	a             *Actor
	exp           time.Time
	session, path string
	prefix        string
}

const maxCached = 50000

func newActorCache(ttl time.Duration, now func() time.Time) *actorCache {
	return &actorCache{ttl: ttl, now: now, items: map[string]cached{}, jwts: map[string]*authn.AccessClaims{}, keys: map[string][]byte{}}
}

func (c *actorCache) get(key string) *Actor {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok || c.now().After(e.exp) {
		return nil
	}
	return e.a
}

func (c *actorCache) put(key string, a *Actor, session, path, prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) >= maxCached {
		c.items = map[string]cached{}
	}
	c.items[key] = cached{a: a, exp: c.now().Add(c.ttl), session: session, path: path, prefix: prefix}
}

// verified returns the claims of a token whose signature was checked
// before and that has not expired since.
func (c *actorCache) verified(token string, now time.Time) (*authn.AccessClaims, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.jwts[token]
	if !ok || cl.ExpiresAt == nil || !now.Before(cl.ExpiresAt.Time) {
		return nil, nil
	}
	return cl, nil
}

func (c *actorCache) rememberVerified(token string, cl *authn.AccessClaims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.jwts) >= maxCached {
		c.jwts = map[string]*authn.AccessClaims{}
	}
	c.jwts[token] = cl
}

func (c *actorCache) rememberKey(p authn.PresentedSecret) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys[p.Prefix] = p.HashOf()
}

// keyMatches reports whether p is the very secret accepted for its prefix.
func (c *actorCache) keyMatches(p authn.PresentedSecret) bool {
	c.mu.Lock()
	h := c.keys[p.Prefix]
	c.mu.Unlock()
	return h != nil && p.Matches(h)
}

func (c *actorCache) purge(match func(cached) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.items {
		if match(e) {
			delete(c.items, k)
		}
	}
}

func (c *actorCache) purgeAll() { c.purge(func(cached) bool { return true }) }

func (c *actorCache) purgeSession(id string) { c.purge(func(e cached) bool { return e.session == id }) }

func (c *actorCache) purgeKey(prefix string) {
	c.purge(func(e cached) bool { return e.prefix == prefix })
	c.mu.Lock()
	delete(c.keys, prefix)
	c.mu.Unlock()
}

func (c *actorCache) purgeTenant(id string) {
	c.purge(func(e cached) bool { return strings.Contains(e.path, "/"+id+"/") })
}

// invalidationChannel carries "drop your cached actors" between processes.
func (s *Service) invalidationChannel() string { return s.cfg.Throttle.Prefix + "actors:invalidate" }

func (s *Service) publishInvalidation(ctx context.Context) {
	if s.rdb == nil {
		return
	}
	if err := s.rdb.Publish(context.WithoutCancel(ctx), s.invalidationChannel(), "all").Err(); err != nil {
		s.log.WarnContext(ctx, "publish actor cache invalidation", "err", err)
	}
}

// Run listens for invalidations from other processes until ctx ends. If
// Redis is unreachable the cache's short lifetime bounds the staleness.
func (s *Service) Run(ctx context.Context) {
	for ctx.Err() == nil {
		sub := s.rdb.Subscribe(ctx, s.invalidationChannel())
		ch := sub.Channel()
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case _, ok := <-ch:
				if !ok {
					break loop
				}
				s.cache.purgeAll()
			}
		}
		_ = sub.Close()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
