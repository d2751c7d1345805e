package dispatch

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opsward/opsward"
)

// Execer is what EnqueueTx needs of the caller's transaction (*sql.Tx,
// *sql.Conn and *sql.DB all have it).
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// EnqueueTx records a job in the table dispatch_outbox through ex, the
// caller's open transaction, so that the job exists if and only if the
// caller's write commits. A Relay moves it to Redis moments later; the
// job's id is fixed now, so a relay interrupted after writing to Redis and
// before deleting the row does not create a second job while the first is
// pending.
func (c *Client) EnqueueTx(ctx context.Context, ex Execer, tenantID string, args JobArgs, opts *EnqueueOpts) (string, error) {
	if ex == nil || args == nil {
		return "", opsward.Errorf(opsward.EINVALID, "dispatch: a transaction and job arguments are required")
	}
	payload, err := json.Marshal(args)
	if err != nil {
		return "", opsward.FieldErrorf("args", "job arguments of kind %s do not encode as JSON: %v", args.Kind(), err)
	}
	now := time.Now()
	j, err := c.prepare(now, tenantID, args.Kind(), payload, opts)
	if err != nil {
		return "", err
	}
	var o EnqueueOpts
	if opts != nil {
		o = *opts
	}
	_, err = ex.ExecContext(ctx, `INSERT INTO dispatch_outbox
		(id, tenant_id, kind, payload, run_at_ms, dedup_key, max_attempts, created_at_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		j.id, j.tenant, j.kind, string(payload), j.runAt, j.dedup, o.MaxAttempts, ms(now))
	if err != nil {
		return "", opsward.Internal(fmt.Errorf("dispatch: outbox insert: %w", err))
	}
	return j.id, nil
}

// Dialect names the SQL database an outbox lives in.
type Dialect string

// Supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// RelayConfig configures a Relay.
type RelayConfig struct {
	Dialect Dialect
	// Interval is the pause between polls when the outbox is empty.
	// Default 200ms.
	Interval time.Duration
	// Batch is the rows moved per transaction. Default 500.
	Batch int
}

// WithDefaults returns c with unset fields filled in.
func (c RelayConfig) WithDefaults() RelayConfig {
	if c.Interval == 0 {
		c.Interval = 200 * time.Millisecond
	}
	if c.Batch == 0 {
		c.Batch = 500
	}
	return c
}

// Validate names the first setting that is wrong.
func (c RelayConfig) Validate() error {
	switch {
	case c.Dialect != Postgres && c.Dialect != SQLite:
		return opsward.FieldErrorf("relay.dialect", "dialect must be %q or %q, got %q", Postgres, SQLite, c.Dialect)
	case c.Interval <= 0:
		return opsward.FieldErrorf("relay.interval", "interval must be positive, got %s", c.Interval)
	case c.Batch < 1 || c.Batch > 10000:
		return opsward.FieldErrorf("relay.batch", "batch must be between 1 and 10000, got %d", c.Batch)
	}
	return nil
}

// Relay moves jobs from dispatch_outbox into Redis. It runs in the
// scheduler role; several may run on one database: each claims rows by
// deleting them in its transaction (on Postgres skipping rows another relay
// has locked; on SQLite the database's single writer serialises them),
// writes them to Redis, then commits. A relay that dies before committing
// leaves the rows for the next one.
type Relay struct {
	c   *Client
	db  *sql.DB
	cfg RelayConfig
}

// NewRelay checks cfg and returns a Relay on db.
func NewRelay(c *Client, db *sql.DB, cfg RelayConfig) (*Relay, error) {
	if c == nil || db == nil {
		return nil, opsward.Errorf(opsward.EINVALID, "dispatch: a client and a database are required")
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Relay{c: c, db: db, cfg: cfg}, nil
}

// Run relays until ctx is cancelled.
func (r *Relay) Run(ctx context.Context) error {
	wait := r.cfg.Interval
	for {
		n, err := r.RelayOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case err != nil:
			r.c.log.Warn("dispatch: outbox relay failed", "err", err)
			wait = min(2*wait, 10*time.Second)
		case n == r.cfg.Batch:
			continue // more waiting
		default:
			wait = r.cfg.Interval
		}
		sleepCtx(ctx, wait)
	}
}

// RelayOnce moves one batch and returns how many jobs it moved.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	q := `DELETE FROM dispatch_outbox WHERE seq IN (
		SELECT seq FROM dispatch_outbox ORDER BY seq LIMIT $1`
	if r.cfg.Dialect == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	q += `) RETURNING id, tenant_id, kind, payload, run_at_ms, dedup_key, max_attempts, created_at_ms`

	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, opsward.Internal(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, q, r.cfg.Batch)
	if err != nil {
		return 0, opsward.Internal(fmt.Errorf("dispatch: outbox claim: %w", err))
	}
	var jobs []rawJob
	for rows.Next() {
		var (
			id, tenant, kind, payload, dedup string
			runAt, created                   int64
			maxAtt                           int
		)
		if err := rows.Scan(&id, &tenant, &kind, &payload, &runAt, &dedup, &maxAtt, &created); err != nil {
			rows.Close()
			return 0, opsward.Internal(err)
		}
		env := envelope{Kind: kind, Payload: json.RawMessage(payload), Enqueued: created, Max: maxAtt, Dedup: dedup, Due: runAt}
		msg, err := json.Marshal(env)
		if err != nil {
			r.c.log.Error("dispatch: outbox row with invalid payload dropped", "tenant_id", tenant, "job_id", id, "err", err)
			continue
		}
		jobs = append(jobs, rawJob{tenant: tenant, id: id, kind: kind, msg: string(msg), dedup: dedup, runAt: runAt})
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return 0, opsward.Internal(err)
	}
	rows.Close()
	if len(jobs) == 0 {
		return 0, nil
	}
	if _, err := r.c.enqueueRaw(ctx, time.Now(), jobs); err != nil {
		return 0, err // rolled back: the rows stay
	}
	if err := tx.Commit(); err != nil {
		return 0, opsward.Internal(fmt.Errorf("dispatch: outbox commit: %w", err))
	}
	return len(jobs), nil
}
