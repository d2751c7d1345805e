// Package testenv gives tests the real servers they run against (a fresh
// Postgres database per test, the Redis server, the mode the suite runs
// in) and what every store and service test repeats: the backends a test
// runs on, a migrated database with the application's pool, the tenants
// service with a provider, and the actors tests act as. It is imported by
// tests only.
//
// OPSWARD_TEST_MODE=external runs end-to-end tests against Postgres and
// Redis instead of the embedded default. Store tests run on SQLite and, when
// a Postgres server answers, on Postgres too. With
// OPSWARD_TEST_REQUIRE_SERVERS=1 (CI sets it) a server that does not answer
// fails the test instead of skipping it.
package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
)

// External reports whether end-to-end tests run against the real servers.
func External() bool { return os.Getenv("OPSWARD_TEST_MODE") == "external" }

// requireServers reports whether a missing server fails the test.
func requireServers() bool {
	return os.Getenv("OPSWARD_TEST_REQUIRE_SERVERS") == "1" || External()
}

// PostgresAdminURL is the URL tests create their databases through.
func PostgresAdminURL() string {
	if u := os.Getenv("OPSWARD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisURL is the Redis server tests use.
func RedisURL() string {
	if u := os.Getenv("OPSWARD_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Unavailable skips the test because a server (what) does not answer, or
// fails it when the suite requires every server (CI).
func Unavailable(t testing.TB, what string, err error) { unavailable(t, what, err) }

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if requireServers() {
		t.Fatalf("%s is not reachable: %v", what, err)
	}
	t.Skipf("%s is not reachable (%v); set OPSWARD_TEST_REQUIRE_SERVERS=1 to make this a failure", what, err)
}

var dbSeq atomic.Int64

// PostgresDB creates an empty database for this test and drops it when the
// test ends. It returns the database's URL, connecting as the admin user.
func PostgresDB(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresAdminURL())
	if err != nil {
		unavailable(t, "Postgres", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unavailable(t, "Postgres", err)
	}
	name := fmt.Sprintf("opsward_test_%d_%d_%s", os.Getpid(), dbSeq.Add(1),
		strings.ToLower(opsward.NewID("x")[len("x_")+20:]))
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(PostgresAdminURL())
	if err != nil {
		t.Fatalf("OPSWARD_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Redis returns a client of the real Redis server and a key prefix unique
// to this test; every key under the prefix is deleted when the test ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opts, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("OPSWARD_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		unavailable(t, "Redis", err)
	}
	prefix := "test:" + strings.ToLower(opsward.NewID("r")[2:]) + ":"
	t.Cleanup(func() {
		DeleteRedisPrefix(t, c, prefix)
		c.Close()
	})
	return c, prefix
}

// DeleteRedisPrefix deletes every key that starts with prefix.
func DeleteRedisPrefix(t testing.TB, c *redis.Client, prefix string) {
	ctx := context.Background()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			c.Unlink(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		c.Unlink(ctx, keys...)
	}
	if err := iter.Err(); err != nil {
		t.Errorf("clean Redis keys %s*: %v", prefix, err)
	}
}
