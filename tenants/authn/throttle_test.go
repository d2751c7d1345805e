package authn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/opsward/opsward"
	"github.com/redis/go-redis/v9"
)

// throttleBackend is a Redis to run the throttle tests on. expireLocks
// makes locks of duration d lapse: miniredis moves its clock by d, the
// real Redis has its lock keys deleted (the other keys stay, as they
// would after d).
type throttleBackend struct {
	name        string
	rdb         redis.Cmdable
	prefix      string
	expireLocks func(t *testing.T, d time.Duration)
}

const realRedisAddr = "127.0.0.1:6379"

func throttleBackends(t *testing.T) []throttleBackend {
	t.Helper()
	var out []throttleBackend

	mr := miniredis.RunT(t)
	mc := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { mc.Close() })
	out = append(out, throttleBackend{
		name: "miniredis", rdb: mc, prefix: "test:",
		expireLocks: func(_ *testing.T, d time.Duration) { mr.FastForward(d) },
	})

	rc := redis.NewClient(&redis.Options{Addr: realRedisAddr, DialTimeout: time.Second})
	t.Cleanup(func() { rc.Close() })
	if err := rc.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("OPSWARD_TEST_REQUIRE_SERVERS") == "1" {
			t.Fatalf("real Redis at %s unreachable: %v", realRedisAddr, err)
		}
		t.Logf("real Redis at %s unreachable, running on miniredis only: %v", realRedisAddr, err)
		return out
	}
	// The real Redis is shared with other tests: a prefix of our own,
	// and every key under it deleted at the end.
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "test:authn:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() { deleteKeys(t, rc, prefix+"*") })
	out = append(out, throttleBackend{
		name: "redis", rdb: rc, prefix: prefix,
		expireLocks: func(t *testing.T, _ time.Duration) { deleteKeys(t, rc, prefix+"*lock") },
	})
	return out
}

func deleteKeys(t *testing.T, rdb *redis.Client, pattern string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, pattern, 100).Iterator()
	for iter.Next(ctx) {
		if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
			t.Errorf("delete %s: %v", iter.Val(), err)
		}
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s: %v", pattern, err)
	}
}

func newTestThrottle(t *testing.T, b throttleBackend, sub string) *Throttle {
	t.Helper()
	th, err := NewThrottle(b.rdb, ThrottleConfig{
		Prefix:          b.prefix + sub + ":",
		AccountFailures: 3,
		AccountLockBase: time.Minute,
		AccountLockMax:  3 * time.Minute,
		IPFailures:      5,
		IPBlock:         10 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func wantLimit(t *testing.T, err error, scope string, min, max time.Duration) {
	t.Helper()
	if opsward.ErrorCode(err) != opsward.ELIMIT {
		t.Fatalf("err = %v; want %s", err, opsward.ELIMIT)
	}
	msg := opsward.ErrorMessage(err)
	if !strings.Contains(msg, "this "+scope) || !strings.Contains(msg, "try again in") {
		t.Fatalf("message %q does not name the %s and when to retry", msg, scope)
	}
	d, ok := RetryAfterOf(err)
	if !ok || d < min || d > max {
		t.Fatalf("retry after %s (%v); want between %s and %s", d, ok, min, max)
	}
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, b := range throttleBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Run("account lock, others unaffected", func(t *testing.T) {
				th := newTestThrottle(t, b, "lock")
				for i := range 2 {
					if err := th.Check(ctx, "alice@example.com", "192.0.2.1"); err != nil {
						t.Fatalf("check %d: %v", i, err)
					}
					if err := th.Fail(ctx, "alice@example.com", "192.0.2.1"); err != nil {
						t.Fatalf("fail %d: %v", i, err)
					}
				}
				// The third failure locks, and says so.
				wantLimit(t, th.Fail(ctx, "alice@example.com", "192.0.2.1"), "account", time.Minute, time.Minute)
				wantLimit(t, th.Check(ctx, "alice@example.com", "192.0.2.1"), "account", 59*time.Second, time.Minute)
				// Case and spaces do not make another account.
				wantLimit(t, th.Check(ctx, " Alice@Example.COM", "192.0.2.1"), "account", 59*time.Second, time.Minute)
				// Changing address does not help the locked account.
				wantLimit(t, th.Check(ctx, "alice@example.com", "198.51.100.7"), "account", 59*time.Second, time.Minute)
				// Another account logs in, from another address or the same.
				if err := th.Check(ctx, "bob@example.com", "198.51.100.7"); err != nil {
					t.Fatalf("other account, other address: %v", err)
				}
				if err := th.Check(ctx, "bob@example.com", "192.0.2.1"); err != nil {
					t.Fatalf("other account, same address: %v", err)
				}
			})

			t.Run("lock doubles up to the cap", func(t *testing.T) {
				th := newTestThrottle(t, b, "escalate")
				for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute} {
					// A new address each round, below the address limit.
					ip := "192.0.2." + string(rune('1'+i))
					var err error
					for range 3 {
						err = th.Fail(ctx, "carol@example.com", ip)
					}
					wantLimit(t, err, "account", want, want)
					b.expireLocks(t, want)
					if err := th.Check(ctx, "carol@example.com", ip); err != nil {
						t.Fatalf("after the lock lapsed: %v", err)
					}
				}
			})

			t.Run("success clears the account counter", func(t *testing.T) {
				th := newTestThrottle(t, b, "succeed")
				for range 2 {
					_ = th.Fail(ctx, "dave@example.com", "192.0.2.9")
				}
				if err := th.Succeed(ctx, "dave@example.com", "192.0.2.9"); err != nil {
					t.Fatal(err)
				}
				for range 2 {
					if err := th.Fail(ctx, "dave@example.com", "192.0.2.9"); err != nil {
						t.Fatalf("counter not cleared: %v", err)
					}
				}
				if err := th.Check(ctx, "dave@example.com", "192.0.2.9"); err != nil {
					t.Fatalf("locked after success: %v", err)
				}
			})

			t.Run("address blocked across accounts", func(t *testing.T) {
				th := newTestThrottle(t, b, "ip")
				var err error
				for i := range 5 {
					// A spray: one failure per account, so no account locks.
					err = th.Fail(ctx, "user"+string(rune('a'+i))+"@example.com", "203.0.113.5")
				}
				wantLimit(t, err, "address", 10*time.Minute, 10*time.Minute)
				wantLimit(t, th.Check(ctx, "zed@example.com", "203.0.113.5"), "address", 9*time.Minute, 10*time.Minute)
				if err := th.Check(ctx, "zed@example.com", "203.0.113.6"); err != nil {
					t.Fatalf("other address: %v", err)
				}
				b.expireLocks(t, 10*time.Minute)
				if err := th.Check(ctx, "zed@example.com", "203.0.113.5"); err != nil {
					t.Fatalf("after the block lapsed: %v", err)
				}
			})

			t.Run("IPv6 counted per /64", func(t *testing.T) {
				th := newTestThrottle(t, b, "v6")
				var err error
				for i := range 5 {
					err = th.Fail(ctx, "v6user"+string(rune('a'+i)), "2001:db8:1:2::"+string(rune('1'+i)))
				}
				wantLimit(t, err, "address", 10*time.Minute, 10*time.Minute)
				wantLimit(t, th.Check(ctx, "other", "2001:db8:1:2:ffff::1"), "address", time.Minute, 10*time.Minute)
				if err := th.Check(ctx, "other", "2001:db8:1:3::1"); err != nil {
					t.Fatalf("other /64: %v", err)
				}
			})

			t.Run("unlock", func(t *testing.T) {
				th := newTestThrottle(t, b, "unlock")
				for range 3 {
					_ = th.Fail(ctx, "erin@example.com", "192.0.2.20")
				}
				if th.Check(ctx, "erin@example.com", "192.0.2.20") == nil {
					t.Fatal("not locked")
				}
				if err := th.Unlock(ctx, "erin@example.com"); err != nil {
					t.Fatal(err)
				}
				if err := th.Check(ctx, "erin@example.com", "192.0.2.20"); err != nil {
					t.Fatalf("after unlock: %v", err)
				}
			})

			t.Run("keys carry the prefix and no email address", func(t *testing.T) {
				th := newTestThrottle(t, b, "keys")
				_ = th.Fail(ctx, "frank@example.com", "192.0.2.30")
				var keys []string
				iter := b.rdb.Scan(ctx, 0, "*", 1000).Iterator()
				for iter.Next(ctx) {
					if strings.HasPrefix(iter.Val(), b.prefix+"keys:") {
						keys = append(keys, iter.Val())
					}
				}
				if len(keys) != 2 { // the account and the address counters
					t.Fatalf("keys = %v", keys)
				}
				for _, k := range keys {
					if strings.Contains(k, "frank") || strings.Contains(k, "192.0.2.30") {
						t.Errorf("key %s holds the account or address in clear", k)
					}
					if ttl := b.rdb.PTTL(ctx, k).Val(); ttl <= 0 {
						t.Errorf("key %s has no expiry (%s)", k, ttl)
					}
				}
			})
		})
	}
}

func TestThrottleRedisDown(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	defer rdb.Close()
	th, err := NewThrottle(rdb, ThrottleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	mr.Close()
	ctx := context.Background()
	for name, err := range map[string]error{
		"check":   th.Check(ctx, "a", "192.0.2.1"),
		"fail":    th.Fail(ctx, "a", "192.0.2.1"),
		"succeed": th.Succeed(ctx, "a", "192.0.2.1"),
	} {
		if opsward.ErrorCode(err) != opsward.EINTERNAL {
			t.Errorf("%s with Redis down: %v; want internal (fail closed)", name, err)
		}
	}
}

func TestThrottleConfig(t *testing.T) {
	t.Parallel()
	if err := (ThrottleConfig{}).WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]ThrottleConfig{
		"negative failures": {AccountFailures: -1},
		"cap below base":    {AccountLockBase: time.Hour, AccountLockMax: time.Minute},
		"reset below cap":   {AccountLockMax: 48 * time.Hour},
	} {
		if err := c.WithDefaults().Validate(); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewThrottle(nil, ThrottleConfig{}); err == nil {
		t.Error("nil client accepted")
	}
	var ra *RetryAfter
	if !errors.As(limitError("account", 1500*time.Millisecond), &ra) || ra.Delay != 2*time.Second {
		t.Errorf("retry not rounded up to the second: %v", ra)
	}
}
