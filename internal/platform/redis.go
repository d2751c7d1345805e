package platform

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Redis is the one Redis connection of the process.
type Redis struct {
	redis.UniversalClient
	// Embedded is true when Redis runs inside this process.
	Embedded bool
	Where    string
	// Prefix goes before every key the platform writes (OPSWARD_REDIS_PREFIX).
	Prefix string
	mini   *miniredis.Miniredis
}

// OpenRedis connects to OPSWARD_REDIS_URL, or starts an in-process Redis
// on a loopback port when it is empty. It fails with one line when Redis
// cannot be reached.
func OpenRedis(ctx context.Context, c Config) (*Redis, error) {
	quietOnce.Do(func() { redis.SetLogger(quietRedisLog{}) })
	r := &Redis{Prefix: c.RedisPrefix}
	var opts *redis.Options
	if c.EmbeddedRedis() {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("redis: cannot start the embedded Redis: %v", err)
		}
		r.mini, r.Embedded, r.Where = m, true, "embedded at "+m.Addr()
		opts = &redis.Options{Addr: m.Addr()}
	} else {
		var err error
		opts, err = redis.ParseURL(c.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("OPSWARD_REDIS_URL: %v", err)
		}
		r.Where = redactURL(c.RedisURL)
	}
	opts.ClientName = "opsward"
	opts.DialTimeout = 5 * time.Second
	opts.ReadTimeout = 5 * time.Second
	opts.WriteTimeout = 5 * time.Second
	opts.PoolSize = 50
	r.UniversalClient = redis.NewClient(opts)

	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.Ping(pctx).Err(); err != nil {
		r.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			err = errors.New("no answer within 5s")
		}
		return nil, fmt.Errorf("redis: cannot connect to %s: %v", r.Where, firstLine(err.Error()))
	}
	return r, nil
}

// Close closes the client and stops the embedded server.
func (r *Redis) Close() error {
	err := r.UniversalClient.Close()
	if r.mini != nil {
		r.mini.Close()
	}
	return err
}

var quietOnce sync.Once

// quietRedisLog drops go-redis's own log lines, which it writes to the
// process's stderr: connection failures reach the platform as errors and
// are reported where they matter.
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}
