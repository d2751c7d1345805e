package tenants

import (
	"context"
	"database/sql"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Driver is ent's driver over db with one change: an entity read or
// written inside a transaction keeps reading through the pool once the
// transaction has ended. Services return such entities to GraphQL, which
// loads their edges lazily, after the commit; without this every edge of a
// mutation's result (an evidence file's case, an incident's monitor) would
// fail with "transaction has already been committed". Only reads go to the
// pool: a write through an ended transaction still fails, as it must.
func Driver(dialectName string, db *sql.DB) dialect.Driver {
	return detachingDriver{entsql.OpenDB(dialectName, db)}
}

type detachingDriver struct{ *entsql.Driver }

func (d detachingDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx is what ent's Client.BeginTx asks the driver for.
func (d detachingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &detachingTx{Tx: tx.(*entsql.Tx), pool: d.Driver}, nil
}

type detachingTx struct {
	*entsql.Tx
	pool  *entsql.Driver
	ended atomic.Bool
}

// Query runs in the transaction while it is open, on the pool after.
func (t *detachingTx) Query(ctx context.Context, query string, args, v any) error {
	if t.ended.Load() {
		return t.pool.Query(ctx, query, args, v)
	}
	return t.Tx.Query(ctx, query, args, v)
}

func (t *detachingTx) Commit() error {
	defer t.ended.Store(true)
	return t.Tx.Commit()
}

func (t *detachingTx) Rollback() error {
	defer t.ended.Store(true)
	return t.Tx.Rollback()
}
