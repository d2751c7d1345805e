package authn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/redis/go-redis/v9"
)

// Defaults of ThrottleConfig.
const (
	DefaultThrottlePrefix   = "opsward:authn:"
	DefaultAccountFailures  = 5
	DefaultAccountWindow    = 15 * time.Minute
	DefaultAccountLockBase  = time.Minute
	DefaultAccountLockMax   = time.Hour
	DefaultAccountLockReset = 24 * time.Hour
	DefaultIPFailures       = 30
	DefaultIPWindow         = 15 * time.Minute
	DefaultIPBlock          = 15 * time.Minute
)

// ThrottleConfig configures a Throttle. Windows are fixed: a counter
// starts with the first failure and expires Window later.
type ThrottleConfig struct {
	// Prefix starts every key the Throttle writes.
	Prefix string
	// AccountFailures failures within AccountWindow lock the account.
	AccountFailures int
	AccountWindow   time.Duration
	// The first lock lasts AccountLockBase; each further lock doubles it,
	// up to AccountLockMax. The count of locks is forgotten after
	// AccountLockReset without a new lock, or on a successful login.
	AccountLockBase  time.Duration
	AccountLockMax   time.Duration
	AccountLockReset time.Duration
	// IPFailures failures from one address within IPWindow block it for
	// IPBlock. It is higher than AccountFailures: many users can share
	// one address (an office, a NAT), and an attacker spraying one
	// password over many accounts is caught here, not per account.
	IPFailures int
	IPWindow   time.Duration
	IPBlock    time.Duration
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c ThrottleConfig) WithDefaults() ThrottleConfig {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Prefix == "" {
		c.Prefix = DefaultThrottlePrefix
	}
	if c.AccountFailures == 0 {
		c.AccountFailures = DefaultAccountFailures
	}
	if c.IPFailures == 0 {
		c.IPFailures = DefaultIPFailures
	}
	set(&c.AccountWindow, DefaultAccountWindow)
	set(&c.AccountLockBase, DefaultAccountLockBase)
	set(&c.AccountLockMax, DefaultAccountLockMax)
	set(&c.AccountLockReset, DefaultAccountLockReset)
	set(&c.IPWindow, DefaultIPWindow)
	set(&c.IPBlock, DefaultIPBlock)
	return c
}

// Validate reports the first setting out of range.
func (c ThrottleConfig) Validate() error {
	switch {
	case c.Prefix == "":
		return opsward.FieldErrorf("throttle.prefix", "throttle key prefix must be set")
	case c.AccountFailures < 1:
		return opsward.FieldErrorf("throttle.account_failures", "account failures must be at least 1")
	case c.IPFailures < 1:
		return opsward.FieldErrorf("throttle.ip_failures", "address failures must be at least 1")
	case c.AccountWindow < time.Millisecond || c.IPWindow < time.Millisecond:
		return opsward.FieldErrorf("throttle.window", "throttle windows must be at least 1ms")
	case c.AccountLockBase < time.Millisecond || c.AccountLockMax < c.AccountLockBase:
		return opsward.FieldErrorf("throttle.account_lock_max", "account lock must be at least 1ms and its maximum at least its base")
	case c.AccountLockReset < c.AccountLockMax:
		return opsward.FieldErrorf("throttle.account_lock_reset", "account lock reset must be at least the maximum lock")
	case c.IPBlock < time.Millisecond:
		return opsward.FieldErrorf("throttle.ip_block", "address block must be at least 1ms")
	}
	return nil
}

// RetryAfter is the cause of the ELIMIT errors of a Throttle: when the
// client may try again. The HTTP edge reads it (errors.As) to set a
// Retry-After header.
type RetryAfter struct {
	Delay time.Duration
	// Scope is "account" or "address".
	Scope string
}

func (r *RetryAfter) Error() string {
	return fmt.Sprintf("%s throttled, retry after %s", r.Scope, r.Delay)
}

// Throttle counts failed logins per account and per client address in
// Redis, and refuses logins while an account is locked or an address is
// blocked. Accounts and addresses are hashed in the keys, so that Redis
// holds no email addresses.
//
// Use: Check before verifying the password (so that a locked account
// costs no argon2 hash); then Fail or Succeed.
type Throttle struct {
	rdb redis.Cmdable
	cfg ThrottleConfig
}

// NewThrottle returns a Throttle; cfg gets its defaults and is validated.
func NewThrottle(rdb redis.Cmdable, cfg ThrottleConfig) (*Throttle, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rdb == nil {
		return nil, opsward.Errorf(opsward.EINVALID, "throttle needs a Redis client")
	}
	return &Throttle{rdb: rdb, cfg: cfg}, nil
}

// Config returns the configuration in use, defaults applied.
func (t *Throttle) Config() ThrottleConfig { return t.cfg }

// failScript counts one failure in a fixed window and, at the limit,
// sets the lock with a duration that doubles with each lock up to a cap.
// KEYS: counter, lock, level. ARGV: limit, window ms, base ms, max ms,
// level ttl ms. Returns the lock duration in ms, or 0.
//
// The three keys of one subject share a hash tag, so the script also
// runs on Redis Cluster.
var failScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n < tonumber(ARGV[1]) then return 0 end
local level = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
local d = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local i = 1
while i < level and d < cap do
  d = d * 2
  i = i + 1
end
if d > cap then d = cap end
redis.call('SET', KEYS[2], '1', 'PX', d)
redis.call('DEL', KEYS[1])
return d
`)

type subject struct {
	scope                string
	counter, lock, level string
}

func (t *Throttle) account(account string) subject {
	h := hashKey("a", strings.ToLower(strings.TrimSpace(account)))
	p := t.cfg.Prefix + "{acct:" + h + "}:"
	return subject{scope: "account", counter: p + "fails", lock: p + "lock", level: p + "level"}
}

func (t *Throttle) address(ip string) subject {
	h := hashKey("i", normalizeIP(ip))
	p := t.cfg.Prefix + "{ip:" + h + "}:"
	return subject{scope: "address", counter: p + "fails", lock: p + "lock", level: p + "level"}
}

func hashKey(kind, v string) string {
	sum := sha256.Sum256([]byte(kind + ":" + v))
	return hex.EncodeToString(sum[:16])
}

// normalizeIP maps an address to what is throttled: the address itself
// for IPv4, its /64 for IPv6 (one client usually holds a whole /64, and
// could otherwise change address for each attempt).
func normalizeIP(ip string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "raw:" + ip
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Check returns nil when a login for account from ip may go ahead, or an
// ELIMIT error saying when to retry (its cause is a *RetryAfter). An
// unreachable Redis is an internal error: logins fail closed.
func (t *Throttle) Check(ctx context.Context, account, ip string) error {
	acct, addr := t.account(account), t.address(ip)
	var a, b *redis.DurationCmd
	_, err := t.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		a = p.PTTL(ctx, acct.lock)
		b = p.PTTL(ctx, addr.lock)
		return nil
	})
	if err != nil {
		return opsward.Internal(fmt.Errorf("throttle check: %w", err))
	}
	if d := a.Val(); d > 0 {
		return limitError("account", d)
	}
	if d := b.Val(); d > 0 {
		return limitError("address", d)
	}
	return nil
}

// Fail records a failed login. It returns nil, or an ELIMIT error when
// this failure locked the account or blocked the address, so that the
// caller can say so at once.
func (t *Throttle) Fail(ctx context.Context, account, ip string) error {
	acct, addr := t.account(account), t.address(ip)
	c := t.cfg
	da, err := t.fail(ctx, acct, c.AccountFailures, c.AccountWindow, c.AccountLockBase, c.AccountLockMax, c.AccountLockReset)
	if err != nil {
		return err
	}
	// An address block does not escalate: base and cap are the same.
	db, err := t.fail(ctx, addr, c.IPFailures, c.IPWindow, c.IPBlock, c.IPBlock, c.IPBlock)
	if err != nil {
		return err
	}
	if da > 0 {
		return limitError("account", da)
	}
	if db > 0 {
		return limitError("address", db)
	}
	return nil
}

func (t *Throttle) fail(ctx context.Context, s subject, limit int, window, base, limitMax, reset time.Duration) (time.Duration, error) {
	ms, err := failScript.Run(ctx, t.rdb, []string{s.counter, s.lock, s.level},
		limit, window.Milliseconds(), base.Milliseconds(), limitMax.Milliseconds(), reset.Milliseconds()).Int64()
	if err != nil {
		return 0, opsward.Internal(fmt.Errorf("throttle fail %s: %w", s.scope, err))
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Succeed records a successful login: the account's failures and its
// lock escalation are forgotten. The address counter is kept, so that an
// attacker who owns one account cannot clear the count of an address
// spraying others.
func (t *Throttle) Succeed(ctx context.Context, account, ip string) error {
	acct := t.account(account)
	if err := t.rdb.Del(ctx, acct.counter, acct.level).Err(); err != nil {
		return opsward.Internal(fmt.Errorf("throttle succeed: %w", err))
	}
	return nil
}

// Unlock lifts an account's lock and forgets its failures: for an
// administrator helping a user.
func (t *Throttle) Unlock(ctx context.Context, account string) error {
	acct := t.account(account)
	if err := t.rdb.Del(ctx, acct.counter, acct.level, acct.lock).Err(); err != nil {
		return opsward.Internal(fmt.Errorf("throttle unlock: %w", err))
	}
	return nil
}

func limitError(scope string, d time.Duration) error {
	// Round up to the second: "retry in 0s" helps nobody.
	wait := ((d + time.Second - 1) / time.Second) * time.Second
	msg := "too many failed sign-in attempts for this account; try again in " + wait.String()
	if scope == "address" {
		msg = "too many failed sign-in attempts from this address; try again in " + wait.String()
	}
	return &opsward.Error{Code: opsward.ELIMIT, Message: msg, Err: &RetryAfter{Delay: wait, Scope: scope}}
}

// RetryAfterOf returns how long to wait, when err is a throttle refusal.
func RetryAfterOf(err error) (time.Duration, bool) {
	var ra *RetryAfter
	if errors.As(err, &ra) {
		return ra.Delay, true
	}
	return 0, false
}
