package detect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// The day's ingest quota is counted in Redis, where admission reads it,
// and kept in ingest_usage, where it survives Redis: what this process
// admitted is added to the table every usageFlushEvery, and a day's Redis
// counter that is found missing (Redis restarted empty) is seeded from the
// table before it counts on. At most usageFlushEvery of one process's
// admissions is counted in Redis alone.
const usageFlushEvery = 5 * time.Second

// dayUsage is what one process admitted for one tenant on one day and has
// not written yet.
type dayUsage struct{ events, bytes int64 }

type usageKey struct{ tenantID, day string }

// usageBook collects admitted usage until the next flush.
type usageBook struct {
	mu      sync.Mutex
	pending map[usageKey]dayUsage
}

func (b *usageBook) add(tenantID, day string, events, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending == nil {
		b.pending = map[usageKey]dayUsage{}
	}
	k := usageKey{tenantID, day}
	u := b.pending[k]
	u.events += events
	u.bytes += bytes
	b.pending[k] = u
}

func (b *usageBook) take() map[usageKey]dayUsage {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.pending
	b.pending = nil
	return p
}

// putBack returns usage whose write failed, for the next flush.
func (b *usageBook) putBack(p map[usageKey]dayUsage) {
	for k, u := range p {
		b.add(k.tenantID, k.day, u.events, u.bytes)
	}
}

func quotaDay(t time.Time) string { return t.UTC().Format("20060102") }

// seedDayBytes makes sure the day's Redis byte counter includes what the
// table holds, once per life of the counter: the first admission after the
// counter appeared (new day, or Redis emptied) adds the stored bytes,
// guarded by a marker so that concurrent admissions add them once.
func (s *Service) seedDayBytes(ctx context.Context, tenantID, day, byKey string) error {
	marker := byKey + ":seeded"
	ok, err := s.Redis.SetNX(ctx, marker, 1, 48*time.Hour).Result()
	if err != nil || !ok {
		return err
	}
	stored, err := s.storedDayBytes(ctx, tenantID, day)
	if err != nil {
		s.Redis.Del(context.WithoutCancel(ctx), marker) // the next admission tries again
		return err
	}
	if stored == 0 {
		return nil
	}
	_, err = s.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.IncrBy(ctx, byKey, stored)
		p.Expire(ctx, byKey, 48*time.Hour)
		return nil
	})
	return err
}

// storedDayBytes is the day's bytes in ingest_usage.
func (s *Service) storedDayBytes(ctx context.Context, tenantID, day string) (int64, error) {
	pctx := tenants.Privileged(ctx, "ingest quota")
	var n sql.NullInt64
	err := s.DB.QueryRowContext(pctx, `SELECT bytes FROM ingest_usage WHERE tenant_id = $1 AND day = $2`, tenantID, day).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ingest usage of %s on %s: %w", tenantID, day, err)
	}
	return n.Int64, nil
}

// FlushUsage writes the usage admitted since the last flush to
// ingest_usage. What fails to be written is kept for the next flush.
func (s *Service) FlushUsage(ctx context.Context) error {
	p := s.usage.take()
	if len(p) == 0 {
		return nil
	}
	pctx := tenants.Privileged(ctx, "ingest quota")
	now := time.Now().UTC()
	var at any = now
	if s.DB.Dialect == platform.SQLite {
		at = now.UnixMicro()
	}
	for k, u := range p {
		_, err := s.DB.ExecContext(pctx, `INSERT INTO ingest_usage (tenant_id, day, events, bytes, updated_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, day) DO UPDATE SET events = ingest_usage.events + excluded.events,
				bytes = ingest_usage.bytes + excluded.bytes, updated_at = excluded.updated_at`,
			k.tenantID, k.day, u.events, u.bytes, at)
		if err != nil {
			s.usage.putBack(p)
			return fmt.Errorf("write ingest usage: %w", err)
		}
		delete(p, k)
	}
	return nil
}

// RunUsage flushes admitted usage every few seconds until ctx ends, and
// once more then.
func (s *Service) RunUsage(ctx context.Context) {
	t := time.NewTicker(usageFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := s.FlushUsage(fctx); err != nil {
				s.log.Error("ingest usage not written at shutdown", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := s.FlushUsage(ctx); err != nil {
				s.log.WarnContext(ctx, "ingest usage not written; kept for the next try", "err", err)
			}
		}
	}
}

// redisErr is a failure to reach Redis, where admission counts.
func redisErr(err error) error {
	return opsward.Internal(fmt.Errorf("ingest counters in Redis: %w", err))
}
