package platform

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// serverGone reports whether err says the server ended the connection
// (an operator terminated the backend, the server shut down or crashed,
// or the socket is gone): the connection is dead and the statement did
// not complete. Outside a transaction such a statement is retried on
// another connection (database/sql does so for driver.ErrBadConn), so one
// terminated backend does not fail a request. A cancelled statement
// (57014) is not among them.
func serverGone(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03", "57P05", "08000", "08003", "08006":
			return true
		}
		return false
	}
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		(errors.As(err, &ne) && !ne.Timeout())
}

// retryable turns the error of a statement outside a transaction on a
// connection the server ended into driver.ErrBadConn, which makes
// database/sql close the connection and run the statement again on
// another.
func (c *sessionConn) retryable(err error) error {
	if err == nil || c.inTx || !serverGone(err) {
		return err
	}
	c.bad = true
	return driver.ErrBadConn
}

// SessionFunc says which session settings a statement run with ctx needs
// on Postgres. key names the settings (a connection that has them already
// is not set again); stmt and args set them. Tenant isolation uses it to
// give row-level security the acting tenant of every statement.
type SessionFunc func(ctx context.Context) (key, stmt string, args []any)

// sessionConnector wraps a driver.Connector so that every statement and
// transaction runs with the session settings of its context. The settings
// are applied on the connection just before use, and only when they differ
// from what the connection has, so a run of statements for one tenant
// costs one extra round trip at most.
type sessionConnector struct {
	driver.Connector
	session SessionFunc
}

func (c sessionConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := conn.(innerConn); !ok {
		conn.Close()
		return nil, fmt.Errorf("database driver connection %T lacks what session settings need", conn)
	}
	return &sessionConn{inner: conn, session: c.session}, nil
}

// inner is what the pgx stdlib connection offers.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.NamedValueChecker
}

type sessionConn struct {
	inner   driver.Conn
	session SessionFunc
	key     string // the settings the connection has
	inTx    bool
	dirtyTx bool // settings changed inside the open transaction
	bad     bool // the server ended the connection
}

func (c *sessionConn) in() innerConn { return c.inner.(innerConn) }

// apply brings the connection's settings in line with ctx.
func (c *sessionConn) apply(ctx context.Context) error {
	key, stmt, args := c.session(ctx)
	if key == c.key {
		return nil
	}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	if _, err := c.in().ExecContext(ctx, stmt, named); err != nil {
		c.key = ""
		return c.retryable(err)
	}
	c.key = key
	if c.inTx {
		// A transaction that rolls back takes the settings with it.
		c.dirtyTx = true
	}
	return nil
}

func (c *sessionConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *sessionConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.apply(ctx); err != nil {
		return nil, err
	}
	st, err := c.in().PrepareContext(ctx, query)
	return st, c.retryable(err)
}

func (c *sessionConn) Close() error { return c.inner.Close() }

func (c *sessionConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *sessionConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.apply(ctx); err != nil {
		return nil, err
	}
	tx, err := c.in().BeginTx(ctx, opts)
	if err != nil {
		return nil, c.retryable(err)
	}
	c.inTx, c.dirtyTx = true, false
	return &sessionTx{Tx: tx, c: c}, nil
}

func (c *sessionConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.apply(ctx); err != nil {
		return nil, err
	}
	res, err := c.in().ExecContext(ctx, query, args)
	return res, c.retryable(err)
}

func (c *sessionConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.apply(ctx); err != nil {
		return nil, err
	}
	rows, err := c.in().QueryContext(ctx, query, args)
	return rows, c.retryable(err)
}

func (c *sessionConn) Ping(ctx context.Context) error { return c.retryable(c.in().Ping(ctx)) }

func (c *sessionConn) ResetSession(ctx context.Context) error {
	if c.bad {
		return driver.ErrBadConn
	}
	return c.in().ResetSession(ctx)
}

// IsValid tells the pool to drop a connection the server ended.
func (c *sessionConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok && !v.IsValid() {
		return false
	}
	return !c.bad
}

func (c *sessionConn) CheckNamedValue(v *driver.NamedValue) error { return c.in().CheckNamedValue(v) }

// Raw returns the driver's own connection, for bulk paths (COPY) that
// need it. The caller must have run a statement with its context first, or
// call ApplySession, so that the settings are in place.
func (c *sessionConn) Raw() driver.Conn { return c.inner }

// ApplySession sets the settings of ctx on the connection now.
func (c *sessionConn) ApplySession(ctx context.Context) error { return c.apply(ctx) }

type sessionTx struct {
	driver.Tx
	c *sessionConn
}

func (t *sessionTx) end(err error) error {
	if t.c.dirtyTx {
		t.c.key = "" // unknown after the transaction: set again next time
	}
	t.c.inTx, t.c.dirtyTx = false, false
	return err
}

func (t *sessionTx) Commit() error   { return t.end(t.Tx.Commit()) }
func (t *sessionTx) Rollback() error { return t.end(t.Tx.Rollback()) }

// UnwrapConn returns the driver connection under a session wrapper, for
// code that needs the pgx connection itself (database/sql's Conn.Raw hands
// out the wrapper).
func UnwrapConn(dc any) (driver.Conn, error) {
	if c, ok := dc.(*sessionConn); ok {
		return c.inner, nil
	}
	if c, ok := dc.(driver.Conn); ok {
		return c, nil
	}
	return nil, errors.New("not a database connection")
}
