package detect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
)

// MaxIdempotencyKey is the longest Idempotency-Key taken.
const MaxIdempotencyKey = 255

// IdempotencyKeep is how long a batch's key is remembered.
const IdempotencyKeep = 24 * time.Hour

func validIdempotencyKey(k string) error {
	if len(k) > MaxIdempotencyKey {
		return opsward.FieldErrorf("Idempotency-Key", "an idempotency key is at most %d characters, this one has %d", MaxIdempotencyKey, len(k))
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return opsward.FieldErrorf("Idempotency-Key", "an idempotency key is printable ASCII without spaces (character %d is not)", i+1)
		}
	}
	return nil
}

func (s *Service) at(t time.Time) any {
	if s.DB.Dialect == platform.SQLite {
		return t.UTC().UnixMicro()
	}
	return t.UTC()
}

// replay returns the first answer to a batch sent before with key, nil if
// the key is new, or a conflict if it came with another body.
func (s *Service) replay(ctx context.Context, tenantID, key, sum string) (*IngestResult, error) {
	var (
		was              string
		accepted, alerts int
	)
	err := s.DB.QueryRowContext(ctx, `SELECT body_sha256, accepted, alerts FROM ingest_requests WHERE tenant_id = $1 AND key = $2`,
		tenantID, key).Scan(&was, &accepted, &alerts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, opsward.Internal(fmt.Errorf("read the idempotency key: %w", err))
	}
	if was != sum {
		return nil, &opsward.Error{Code: opsward.ECONFLICT, Field: "Idempotency-Key",
			Message: fmt.Sprintf("idempotency key %q was used in the last day for a different batch: send a new key for new events", key)}
	}
	return &IngestResult{Accepted: accepted, Alerts: alerts, Replayed: true}, nil
}

// storeOnce writes the batch's events and its key in one transaction. It
// returns nil, nil when they committed; the first answer when the same key
// committed first meanwhile; or the error, with nothing stored.
func (s *Service) storeOnce(ctx context.Context, tenantID, key, sum string, evs []events.Event, now time.Time) (*IngestResult, error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, opsward.Internal(fmt.Errorf("store a keyed batch: %w", err))
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO ingest_requests (tenant_id, key, body_sha256, accepted, alerts, created_at)
		VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (tenant_id, key) DO NOTHING`, tenantID, key, sum, len(evs), s.at(now))
	if err != nil {
		return nil, opsward.Internal(fmt.Errorf("store the idempotency key: %w", err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		tx.Rollback()
		return s.replay(ctx, tenantID, key, sum)
	}
	if _, err := s.Events.InsertTx(ctx, tx, evs); err != nil {
		return nil, opsward.Internal(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, opsward.Internal(fmt.Errorf("store a keyed batch: %w", err))
	}
	return nil, nil
}

// recordAlerts keeps the alerts a keyed batch raised, for its replays.
func (s *Service) recordAlerts(ctx context.Context, tenantID, key string, n int) {
	if n == 0 {
		return
	}
	if _, err := s.DB.ExecContext(ctx, `UPDATE ingest_requests SET alerts = $1 WHERE tenant_id = $2 AND key = $3`, n, tenantID, key); err != nil {
		s.log.WarnContext(ctx, "record the alerts of a keyed batch", "tenant_id", tenantID, "err", err)
	}
}

// PurgeIngestRequests forgets batch keys older than IdempotencyKeep. It is
// system work across tenants.
func (s *Service) PurgeIngestRequests(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.DB.ExecContext(tenants.Privileged(ctx, "forget old ingest keys"),
		`DELETE FROM ingest_requests WHERE created_at < $1`, s.at(now.Add(-IdempotencyKeep)))
	if err != nil {
		return 0, fmt.Errorf("forget old ingest keys: %w", err)
	}
	return res.RowsAffected()
}
