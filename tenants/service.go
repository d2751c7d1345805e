package tenants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/membership"
	_ "github.com/opsward/opsward/ent/runtime" // ent's defaults, policies and interceptors
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/tenants/authn"
)

// Config configures the tenants service.
type Config struct {
	Tokens         authn.TokenConfig
	Argon2         authn.Argon2Params
	Password       authn.PasswordPolicy
	TOTP           authn.TOTPConfig
	Throttle       authn.ThrottleConfig
	RefreshTTL     time.Duration // lifetime of a session without use
	InvitationTTL  time.Duration
	ActorCacheTTL  time.Duration // how long a resolved actor is reused
	APIKeyTouchGap time.Duration // last_used_at is written at most this often
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	c.Tokens = c.Tokens.WithDefaults()
	c.Argon2 = c.Argon2.WithDefaults()
	c.Password = c.Password.WithDefaults()
	c.TOTP = c.TOTP.WithDefaults()
	c.Throttle = c.Throttle.WithDefaults()
	if c.RefreshTTL == 0 {
		c.RefreshTTL = 30 * 24 * time.Hour
	}
	if c.InvitationTTL == 0 {
		c.InvitationTTL = 7 * 24 * time.Hour
	}
	if c.ActorCacheTTL == 0 {
		c.ActorCacheTTL = 5 * time.Second
	}
	if c.APIKeyTouchGap == 0 {
		c.APIKeyTouchGap = time.Minute
	}
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	for _, v := range []interface{ Validate() error }{c.Tokens, c.Argon2, c.Password, c.TOTP, c.Throttle} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	if c.RefreshTTL < time.Hour {
		return errors.New("tenants: refresh lifetime must be at least an hour")
	}
	return nil
}

// Hooks let other parts of the platform follow tenant changes without
// this package knowing them (billing assigns a plan, dispatch pauses
// schedules).
type Hooks struct {
	// TenantCreated runs in the creating transaction's context after the
	// tenant row is written.
	TenantCreated func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error
	// StatusChanged runs after a tenant is suspended, reactivated or
	// closed, so that background work stops or resumes for it.
	StatusChanged func(ctx context.Context, tenantID, status string)
}

// Service is identity and isolation: tenants, users, memberships,
// invitations, API keys, sessions and the audit log.
type Service struct {
	cfg      Config
	client   *ent.Client
	rdb      redis.UniversalClient
	log      *slog.Logger
	issuer   *authn.Issuer
	keys     *authn.KeyRing
	hasher   *authn.PasswordHasher
	totp     *authn.TOTP
	throttle *authn.Throttle
	sealer   *authn.Sealer
	hooks    Hooks
	mailer   InvitationMailer
	now      func() time.Time
	cache    *actorCache
	dialect  string
	// dummyHash makes a login for an unknown email cost what a real one
	// costs, so timing does not tell which emails exist. It is made on
	// first use, not at start-up, where it would cost a hash's time.
	dummyOnce sync.Once
	dummyHash string
	// paths caches tenant paths: a tenant's place in the tree never
	// changes.
	paths sync.Map
}

// Deps are what the service needs from the process.
type Deps struct {
	Client      *ent.Client
	Dialect     string // dialect.Postgres or dialect.SQLite
	Redis       redis.UniversalClient
	RedisPrefix string
	Logger      *slog.Logger
	Keys        *authn.KeyRing
	Sealer      *authn.Sealer
	Hooks       Hooks
	Now         func() time.Time
	// Mailer sends invitations to the invitee; nil: they are not mailed,
	// and the inviter hands the token over.
	Mailer InvitationMailer
}

// New returns the service.
func New(cfg Config, d Deps) (*Service, error) {
	cfg = cfg.WithDefaults()
	if d.RedisPrefix != "" && cfg.Throttle.Prefix == authn.DefaultThrottlePrefix {
		cfg.Throttle.Prefix = d.RedisPrefix + "authn:"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if cfg.Tokens.Clock == nil {
		cfg.Tokens.Clock = d.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Sealer == nil {
		// Without one the second factor could not be stored.
		return nil, errors.New("tenants: a sealer for secrets at rest is required")
	}
	s := &Service{cfg: cfg, client: d.Client, rdb: d.Redis, log: d.Logger, keys: d.Keys,
		sealer: d.Sealer, hooks: d.Hooks, now: d.Now, dialect: d.Dialect, mailer: d.Mailer}
	var err error
	if s.issuer, err = authn.NewIssuer(cfg.Tokens, d.Keys); err != nil {
		return nil, err
	}
	if s.hasher, err = authn.NewPasswordHasher(cfg.Argon2, 4); err != nil {
		return nil, err
	}
	if s.totp, err = authn.NewTOTP(cfg.TOTP); err != nil {
		return nil, err
	}
	if s.throttle, err = authn.NewThrottle(d.Redis, cfg.Throttle); err != nil {
		return nil, err
	}
	s.cache = newActorCache(cfg.ActorCacheTTL, d.Now)
	return s, nil
}

// Client is the ent client the service uses.
func (s *Service) Client() *ent.Client { return s.client }

// KeyRing is the JWT signing key ring (for the JWKS endpoint).
func (s *Service) KeyRing() *authn.KeyRing { return s.keys }

// Config is the service's configuration with defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// withTx runs fn in a transaction of the service's client.
func (s *Service) withTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return WithTx(ctx, s.client, fn)
}

// WithTx runs fn in a transaction, rolling back on error or panic; errors
// of the storage layer come back as domain errors (see StorageError).
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return storageErr(err)
	}
	defer func() {
		if v := recover(); v != nil {
			_ = tx.Rollback()
			panic(v)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return storageErr(err)
	}
	return nil
}

// StorageError turns an error of the storage layer into a domain error:
// a missing row, and a row the actor may not see, read as not found (so
// the two look alike to a caller who may not see it); a unique or foreign
// key violation is a conflict; a validation failure names its field;
// anything else is internal. Domain errors pass through.
func StorageError(err error) error { return storageErr(err) }

// storageErr turns ent errors into domain errors. A row the actor may not
// see reads as not found, so a forbidden object and a missing one look
// alike to a caller who may not see it.
func storageErr(err error) error {
	var oe *opsward.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &oe):
		return err
	case ent.IsNotFound(err):
		return &opsward.Error{Code: opsward.ENOTFOUND, Message: "not found", Err: err}
	case ent.IsConstraintError(err):
		return &opsward.Error{Code: opsward.ECONFLICT, Message: "conflicts with an existing object", Err: err}
	case errors.Is(err, errPrivacyDeny()):
		return &opsward.Error{Code: opsward.ENOTFOUND, Message: "not found", Err: err}
	}
	var ve *ent.ValidationError
	if errors.As(err, &ve) {
		return &opsward.Error{Code: opsward.EINVALID, Field: ve.Name, Message: fmt.Sprintf("%s is not valid", ve.Name), Err: err}
	}
	return opsward.Internal(err)
}

// SetHooks installs the hooks of the services built after this one
// (billing needs the tenants service to exist first). Call it before
// serving.
func (s *Service) SetHooks(h Hooks) { s.hooks = h }

// dummy returns the hash an unknown email's password is checked against.
func (s *Service) dummy() string {
	s.dummyOnce.Do(func() {
		h, err := authn.HashPassword("not a password of anyone", s.cfg.Argon2)
		if err != nil {
			s.log.Error("hash for unknown logins", "err", err)
		}
		s.dummyHash = h
	})
	return s.dummyHash
}

// Path returns a tenant's path, read once through the privileged path and
// cached. System work uses it to act within one tenant.
func (s *Service) Path(ctx context.Context, tenantID string) (string, error) {
	if p, ok := s.paths.Load(tenantID); ok {
		return p.(string), nil
	}
	t, err := s.client.Tenant.Query().Where(tenant.ID(tenantID)).Select(tenant.FieldPath).
		Only(Privileged(ctx, "tenant path lookup"))
	if err != nil {
		return "", StorageError(err)
	}
	s.paths.Store(tenantID, t.Path)
	return t.Path, nil
}

// Subtree lists the ids of a tenant and of every tenant below it (a
// billing account: a customer and its organizations), through the
// privileged path. System work (quotas, gauges) uses it.
func (s *Service) Subtree(ctx context.Context, tenantID string) ([]string, error) {
	pctx := Privileged(ctx, "tenant subtree")
	path, err := s.Path(pctx, tenantID)
	if err != nil {
		return nil, err
	}
	ids, err := s.client.Tenant.Query().Where(tenant.PathHasPrefix(path)).IDs(pctx)
	return ids, StorageError(err)
}

// AccountUsers lists the distinct users with a membership in a tenant or
// any tenant below it: the seats of a billing account. System work, on
// the privileged path.
func (s *Service) AccountUsers(ctx context.Context, accountID string) ([]string, error) {
	ids, err := s.Subtree(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var users []string
	err = s.client.Membership.Query().Where(membership.TenantIDIn(ids...)).Unique(true).
		Select(membership.FieldUserID).Scan(Privileged(ctx, "account seats"), &users)
	return users, StorageError(err)
}

// SystemContext is the context of work the platform does for one tenant
// (a check, a job, a delivery report): a system actor named name whose
// reach is that tenant alone, so that the storage layer scopes it like any
// request.
func (s *Service) SystemContext(ctx context.Context, tenantID, name string) (context.Context, error) {
	path, err := s.Path(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return NewContext(ctx, &Actor{Kind: ActorSystem, ID: name, TenantID: tenantID, TenantPath: path}), nil
}
