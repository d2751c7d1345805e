package batch

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// Table describes a bulk table to a Store: its name, the columns a row
// writes, the time it is kept by, and how a row is encoded.
type Table[T any] struct {
	// Name is the table ("check_results").
	Name string
	// What names its rows in messages ("check results").
	What string
	// Columns are written in this order.
	Columns []string
	// TimeColumn is the time the table is kept by: its partition key on
	// Postgres, what retention compares.
	TimeColumn string
	// Partitioned says that, on Postgres, the table is partitioned by UTC
	// day on TimeColumn, with partitions made by the SECURITY DEFINER
	// function opsward_<Name>_partitions(date, integer) and dropped by
	// opsward_<Name>_drop_before(timestamptz) (see migration 00004).
	Partitioned bool
	// Key is the unique key a row already stored is recognised by (kept
	// as it is, so a batch can be retried); empty: any unique key. When
	// set, COPY moves rows in its order, so that two batches that share
	// keys wait for each other instead of deadlocking; callers of InsertTx
	// pass rows in that order for the same reason.
	Key []string
	// Row appends r's values to dst in the order of Columns: times as
	// time.Time (UTC), JSON as []byte (nil for NULL), the rest as
	// database/sql takes them. The store turns times and JSON into what
	// the dialect stores.
	Row func(r *T, dst []any) []any
	// RowTime is r's time in TimeColumn; needed when Partitioned.
	RowTime func(r *T) time.Time
	// Identity are the columns that tell one row from another (its
	// primary key), among Columns; default Key. A Store with an OnAdded
	// hook reads them back from the rows a write added, to tell the hook
	// which rows were new.
	Identity []string
}

// Tx is a transaction as the work that commits with a write sees it: a
// *sql.Tx, or the pgx transaction that a COPY runs in. Its queries take
// the dialect's placeholders (Q).
type Tx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Added is work done in the transaction of a write, after its rows:
// added are the rows that were new (a row stored before, by a batch
// retried after its commit was not confirmed, is not among them), so
// that what is measured from them commits, or not, with them, and once.
// An error rolls the write back.
type Added[T any] func(ctx context.Context, tx Tx, added []T) error

// pgxTx is a pgx transaction as a Tx.
type pgxTx struct{ tx pgx.Tx }

func (t pgxTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tag, err := t.tx.Exec(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

// Store writes and keeps the rows of one Table on the application's pool:
// COPY through a staging table on Postgres, multi-row INSERTs on SQLite
// (and in a caller's transaction), daily partitions made ahead and
// dropped by age, and per-tenant deletion for plans that keep less.
type Store[T any] struct {
	db        *sql.DB
	dialect   string
	t         Table[T]
	cols      string // Columns joined
	move      string // staging table to table, on Postgres
	rowSQL    string // "(?, ?, …)"
	perStmt   int    // rows a multi-row INSERT carries
	conflict  string // " ON CONFLICT … DO NOTHING"
	ident     []int  // positions of Identity in Columns
	returning string // " RETURNING <Identity>"

	added    atomic.Pointer[Added[T]]
	addedSQL atomic.Pointer[AddedSQL]
}

// AddedSQL is work done on Postgres in the very statement that moves a
// COPY's rows in, so that it costs no statement of its own: a
// data-modifying statement (an INSERT … SELECT) that reads the rows the
// move added from the WITH query "added" (their Identity columns), with
// its arguments ($1, $2, …). It is asked for each write.
type AddedSQL func() (query string, args []any)

// NewStore returns the store of t on db, the application's pool (on
// Postgres it acts as the application role with each statement's actor
// from its context).
func NewStore[T any](db *platform.Database, t Table[T]) *Store[T] {
	s := &Store[T]{db: db.DB, dialect: db.Dialect, t: t, cols: strings.Join(t.Columns, ", ")}
	conflict := " ON CONFLICT DO NOTHING"
	order := ""
	if len(t.Key) > 0 {
		key := strings.Join(t.Key, ", ")
		conflict = " ON CONFLICT (" + key + ") DO NOTHING"
		order = " ORDER BY " + key
	}
	// Columns by name: a connection's staging table may predate a column
	// added to the table.
	s.move = "INSERT INTO " + t.Name + " (" + s.cols + ") SELECT " + s.cols + " FROM " + t.Name + "_stage" + order + conflict
	s.rowSQL = "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.Columns)), ", ") + ")"
	// SQLite allows 32,766 variables a statement, Postgres 65,535.
	s.perStmt = min(1000, 32_000/max(len(t.Columns), 1))
	s.conflict = conflict
	ident := t.Identity
	if len(ident) == 0 {
		ident = t.Key
	}
	for _, c := range ident {
		i := slices.Index(t.Columns, c)
		if i < 0 {
			panic("batch: identity column " + c + " of " + t.Name + " is not among its columns")
		}
		s.ident = append(s.ident, i)
	}
	if len(ident) > 0 {
		s.returning = " RETURNING " + strings.Join(ident, ", ")
	}
	return s
}

// OnAdded sets the work that runs in the transaction of every write
// (Insert, InsertTx, the Writer's batches), after the rows; nil removes
// it. The table needs an Identity (or a Key). It may be set while writes
// run: each write uses the hook set when it began.
func (s *Store[T]) OnAdded(fn Added[T]) {
	if fn == nil {
		s.added.Store(nil)
		return
	}
	if len(s.ident) == 0 {
		panic("batch: " + s.t.Name + " has no identity columns for OnAdded")
	}
	s.added.Store(&fn)
}

// OnAddedSQL sets work done in the statement that moves a COPY's rows in
// (Postgres), in place of the OnAdded work on that path: the writes of
// the Writer and Insert. Other writes (SQLite, InsertTx) keep running the
// OnAdded work, which should do the same. nil removes it.
func (s *Store[T]) OnAddedSQL(fn AddedSQL) {
	if fn != nil && len(s.ident) == 0 {
		panic("batch: " + s.t.Name + " has no identity columns for OnAddedSQL")
	}
	if fn == nil {
		s.addedSQL.Store(nil)
		return
	}
	s.addedSQL.Store(&fn)
}

// hook is the OnAdded work of a write beginning now, or nil.
func (s *Store[T]) hook() Added[T] {
	if p := s.added.Load(); p != nil {
		return *p
	}
	return nil
}

// identOf is the identity of a row from its values (Row's output): the
// identity columns' values as text, times in Unix microseconds, as
// identValue reads them back.
func (s *Store[T]) identOf(vals []any) string {
	var b strings.Builder
	for _, i := range s.ident {
		writeIdent(&b, vals[i])
	}
	return b.String()
}

func writeIdent(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		b.WriteString(v)
	case time.Time:
		b.WriteString(strconv.FormatInt(v.UnixMicro(), 10))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case []byte:
		b.Write(v)
	default:
		fmt.Fprint(b, v)
	}
	b.WriteByte(0)
}

// newRows picks the rows whose identities the write returned. When every
// row came back, they are all new.
func (s *Store[T]) newRows(rows []T, returned []string) []T {
	if len(returned) == len(rows) {
		return rows
	}
	if len(returned) == 0 {
		return nil
	}
	isNew := make(map[string]bool, len(returned))
	for _, k := range returned {
		isNew[k] = true
	}
	out := make([]T, 0, len(returned))
	var vals []any
	for i := range rows {
		vals = s.t.Row(&rows[i], vals[:0])
		if isNew[s.identOf(vals)] {
			out = append(out, rows[i])
		}
	}
	return out
}

// Postgres reports whether the store is on Postgres.
func (s *Store[T]) Postgres() bool { return s.dialect == platform.Postgres }

// Q turns ? placeholders into Postgres's $n (the query must hold no
// literal question mark).
func (s *Store[T]) Q(query string) string { return platform.Rebind(s.dialect, query) }

// Time is t as the dialect stores it: timestamptz on Postgres, Unix
// microseconds on SQLite.
func (s *Store[T]) Time(t time.Time) any { return platform.TimeValue(s.dialect, t) }

// ScanTime reads a time in either dialect's form into t (NULL: the zero
// time).
func ScanTime(t *time.Time) sql.Scanner { return scanTime{t} }

type scanTime struct{ t *time.Time }

func (st scanTime) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*st.t = time.UnixMicro(v).UTC()
	case time.Time:
		*st.t = v.UTC()
	case nil:
		*st.t = time.Time{}
	default:
		return fmt.Errorf("a time of type %T", src)
	}
	return nil
}

// ActorTenant is the tenant a read is scoped to: the acting tenant. what
// names the rows ("check results") in the refusal.
func ActorTenant(ctx context.Context, what string) (string, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return "", err
	}
	if a.TenantID == "" {
		return "", opsward.Errorf(opsward.EFORBIDDEN, "%s are read within a tenant", what)
	}
	return a.TenantID, nil
}

// RequirePrivileged refuses work (what) across tenants off the privileged
// path.
func RequirePrivileged(ctx context.Context, what string) error {
	a, ok := tenants.FromContext(ctx)
	if !ok || !a.IsPrivileged() {
		return opsward.Errorf(opsward.EFORBIDDEN, "%s is system work and needs the privileged path", what)
	}
	return nil
}

// Insert writes rows now, in one transaction of its own, with ctx's actor
// (the writer passes the privileged path): COPY on Postgres, multi-row
// INSERT on SQLite. A row already stored is kept as it is. It returns how
// many rows were new.
func (s *Store[T]) Insert(ctx context.Context, rows []T) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if s.Postgres() {
		return s.copyRows(ctx, rows)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := s.InsertTx(ctx, tx, rows)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// InsertTx writes rows in tx with multi-row INSERTs, on either dialect,
// so that they commit with the caller's work (and the OnAdded work with
// them). A row already stored is kept as it is. It returns how many rows
// were new. With an OnAdded hook tx must be able to query (a *sql.Tx).
func (s *Store[T]) InsertTx(ctx context.Context, tx Tx, rows []T) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if fn := s.hook(); fn != nil {
		return s.insertAdded(ctx, tx, rows, fn)
	}
	var total int64
	var b strings.Builder
	for len(rows) > 0 {
		n := min(len(rows), s.perStmt)
		args := s.insertStmt(&b, rows[:n], "")
		res, err := tx.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return 0, fmt.Errorf("insert %s: %w", s.t.What, err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		total += k
		rows = rows[n:]
	}
	return total, nil
}

// insertStmt writes into b the multi-row INSERT of rows (with the
// dialect's placeholders), ending in tail, and returns its arguments.
func (s *Store[T]) insertStmt(b *strings.Builder, rows []T, tail string) []any {
	b.Reset()
	b.Grow(32 + len(s.cols) + len(rows)*(len(s.rowSQL)+2))
	b.WriteString("INSERT INTO " + s.t.Name + " (" + s.cols + ") VALUES ")
	args := make([]any, 0, len(rows)*len(s.t.Columns))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.rowSQL)
		start := len(args)
		args = s.t.Row(&rows[i], args)
		s.sqlValues(args[start:])
	}
	b.WriteString(s.conflict + tail)
	q := s.Q(b.String())
	b.Reset()
	b.WriteString(q)
	return args
}

type queryTx interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// insertAdded is InsertTx with OnAdded work: each INSERT returns the
// identities of the rows it added, and fn gets those rows.
func (s *Store[T]) insertAdded(ctx context.Context, tx Tx, rows []T, fn Added[T]) (int64, error) {
	qtx, ok := tx.(queryTx)
	if !ok {
		return 0, fmt.Errorf("insert %s: the transaction cannot read back the rows added (%T)", s.t.What, tx)
	}
	var returned []string
	var b strings.Builder
	all := rows
	vals := make([]any, len(s.ident))
	ptrs := make([]any, len(s.ident))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for len(rows) > 0 {
		n := min(len(rows), s.perStmt)
		args := s.insertStmt(&b, rows[:n], s.returning)
		res, err := qtx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return 0, fmt.Errorf("insert %s: %w", s.t.What, err)
		}
		for res.Next() {
			if err := res.Scan(ptrs...); err != nil {
				res.Close()
				return 0, fmt.Errorf("insert %s: %w", s.t.What, err)
			}
			returned = append(returned, s.identRead(vals))
		}
		if err := res.Close(); err != nil {
			return 0, fmt.Errorf("insert %s: %w", s.t.What, err)
		}
		if err := res.Err(); err != nil {
			return 0, fmt.Errorf("insert %s: %w", s.t.What, err)
		}
		rows = rows[n:]
	}
	if err := fn(ctx, tx, s.newRows(all, returned)); err != nil {
		return 0, err
	}
	return int64(len(returned)), nil
}

// identRead is the identity of a row read back (identOf's form): SQLite
// gives times as Unix microseconds and text as text, Postgres times as
// times.
func (s *Store[T]) identRead(vals []any) string {
	var b strings.Builder
	for _, v := range vals {
		writeIdent(&b, v)
	}
	return b.String()
}

// sqlValues turns times and JSON into the dialect's parameters, in place.
func (s *Store[T]) sqlValues(vs []any) {
	for i, v := range vs {
		switch v := v.(type) {
		case time.Time:
			vs[i] = s.Time(v)
		case []byte:
			if v == nil {
				vs[i] = nil
			} else {
				vs[i] = string(v)
			}
		}
	}
}

// copyRows copies into a temporary staging table and moves the rows on
// with INSERT … SELECT: Postgres does not allow COPY FROM into a table
// under row-level security, and the INSERT keeps the policy's check.
func (s *Store[T]) copyRows(ctx context.Context, rows []T) (int64, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var moved int64
	err = conn.Raw(func(dc any) error {
		if a, ok := dc.(interface{ ApplySession(context.Context) error }); ok {
			if err := a.ApplySession(ctx); err != nil {
				return err
			}
		}
		inner, err := platform.UnwrapConn(dc)
		if err != nil {
			return err
		}
		sc, ok := inner.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("%s: COPY needs a pgx connection, not %T", s.t.What, inner)
		}
		// The staging table lives as long as the connection; a mark on
		// the connection saves asking for it on every batch. The mark is
		// set once a commit has kept the table. Should the table be gone
		// all the same (DISCARD TEMP), the batch runs again and makes it.
		pc := sc.Conn()
		marks, mark := pc.PgConn().CustomData(), "opsward.stage."+s.t.Name
		staged := marks[mark] != nil
		delete(marks, mark)
		moved, err = s.copyTx(ctx, pc, rows, staged)
		var pe *pgconn.PgError
		if staged && errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
			moved, err = s.copyTx(ctx, pc, rows, false)
		}
		if err == nil {
			marks[mark] = true
		}
		return err
	})
	return moved, err
}

// copyTx is one transaction of copyRows; staged says the staging table is
// known to exist on pc.
func (s *Store[T]) copyTx(ctx context.Context, pc *pgx.Conn, rows []T, staged bool) (int64, error) {
	tx, err := pc.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	if !staged {
		if _, err := tx.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS "+s.t.Name+"_stage (LIKE "+s.t.Name+
			" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"); err != nil {
			return 0, err
		}
	}
	vals := make([]any, 0, len(s.t.Columns))
	_, err = tx.CopyFrom(ctx, pgx.Identifier{s.t.Name + "_stage"}, s.t.Columns,
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			// CopyFrom encodes a row before it asks for the next, so one
			// slice serves every row.
			vals = s.t.Row(&rows[i], vals[:0])
			for j, v := range vals {
				if t, ok := v.(time.Time); ok {
					vals[j] = t.UTC()
				}
			}
			return vals, nil
		}))
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", s.t.What, err)
	}
	if p := s.addedSQL.Load(); p != nil {
		query, args := (*p)()
		var moved int64
		if err := tx.QueryRow(ctx, "WITH added AS ("+s.move+s.returning+"), work AS ("+query+
			") SELECT count(*) FROM added", args...).Scan(&moved); err != nil {
			return 0, fmt.Errorf("move %s: %w", s.t.What, err)
		}
		return moved, tx.Commit(ctx)
	}
	if fn := s.hook(); fn != nil {
		moved, err := s.moveAdded(ctx, tx, rows, fn)
		if err != nil {
			return 0, err
		}
		return moved, tx.Commit(ctx)
	}
	tag, err := tx.Exec(ctx, s.move)
	if err != nil {
		return 0, fmt.Errorf("move %s: %w", s.t.What, err)
	}
	return tag.RowsAffected(), tx.Commit(ctx)
}

// moveAdded moves the staged rows on, reading back the identities of
// those added, and runs fn with them in the same transaction.
func (s *Store[T]) moveAdded(ctx context.Context, tx pgx.Tx, rows []T, fn Added[T]) (int64, error) {
	res, err := tx.Query(ctx, s.move+s.returning)
	if err != nil {
		return 0, fmt.Errorf("move %s: %w", s.t.What, err)
	}
	var returned []string
	for res.Next() {
		vals, err := res.Values()
		if err != nil {
			res.Close()
			return 0, fmt.Errorf("move %s: %w", s.t.What, err)
		}
		returned = append(returned, s.identRead(vals))
	}
	res.Close()
	if err := res.Err(); err != nil {
		return 0, fmt.Errorf("move %s: %w", s.t.What, err)
	}
	if err := fn(ctx, pgxTx{tx}, s.newRows(rows, returned)); err != nil {
		return 0, err
	}
	return int64(len(returned)), nil
}

// Writer returns the write function of a Batcher that fills this table:
// each batch first makes the partitions of days near now that it needs
// (rows of other days land in the default partition), then is inserted on
// the privileged path. It belongs to that Batcher's one goroutine.
func (s *Store[T]) Writer() func(context.Context, []T) error {
	parts := &Partitions{Make: s.EnsurePartitions}
	return func(ctx context.Context, rows []T) error {
		if s.t.Partitioned && s.Postgres() {
			now := time.Now().UTC()
			for i := range rows {
				if err := parts.Ensure(ctx, s.t.RowTime(&rows[i]), now); err != nil {
					return err
				}
			}
		}
		_, err := s.Insert(tenants.Privileged(ctx, s.t.What+" writer"), rows)
		return err
	}
}

// EnsurePartitions makes the daily partitions of the days days from the
// UTC day of from, moving in any of their rows that landed in the default
// partition, and returns how many it made. Nothing on SQLite or for a
// table that is not partitioned.
func (s *Store[T]) EnsurePartitions(ctx context.Context, from time.Time, days int) (int, error) {
	if !s.Postgres() || !s.t.Partitioned {
		return 0, nil
	}
	var made int
	for attempt := 1; ; attempt++ {
		err := s.db.QueryRowContext(tenants.Privileged(ctx, s.t.What+" partitions"),
			"SELECT opsward_"+s.t.Name+"_partitions($1::date, $2)", from.UTC().Format(time.DateOnly), days).Scan(&made)
		if err == nil {
			return made, nil
		}
		// Two processes making the same day's partition at once: one
		// wins, the other meets it half made (42P07 duplicate table, or
		// 23505 on the catalogue); asked again, it finds it there.
		var pe *pgconn.PgError
		if attempt < 3 && errors.As(err, &pe) && (pe.Code == "42P07" || pe.Code == "23505") {
			continue
		}
		return 0, fmt.Errorf("make %s partitions: %w", s.t.What, err)
	}
}

// DropBefore removes rows older than cutoff for every tenant: on a
// partitioned Postgres table it drops each daily partition that ends at
// or before cutoff (and deletes older rows from the default partition)
// and returns the number of partitions dropped; otherwise it deletes the
// rows and returns their number. Use the longest retention of any plan as
// cutoff and DeleteTenantBefore for tenants whose plan keeps less. It
// needs the privileged path.
func (s *Store[T]) DropBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	if err := RequirePrivileged(ctx, s.t.What+" retention"); err != nil {
		return 0, err
	}
	if s.Postgres() && s.t.Partitioned {
		var n int64
		err := s.db.QueryRowContext(ctx, "SELECT opsward_"+s.t.Name+"_drop_before($1)", cutoff.UTC()).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("drop %s partitions: %w", s.t.What, err)
		}
		return n, nil
	}
	res, err := s.db.ExecContext(ctx, s.Q("DELETE FROM "+s.t.Name+" WHERE "+s.t.TimeColumn+" < ?"), s.Time(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete %s: %w", s.t.What, err)
	}
	return res.RowsAffected()
}

// DeleteTenantBefore deletes one tenant's rows older than cutoff, for a
// plan that keeps less than the partitions do, and returns their number.
// It needs the privileged path.
func (s *Store[T]) DeleteTenantBefore(ctx context.Context, tenantID string, cutoff time.Time) (int64, error) {
	if err := RequirePrivileged(ctx, s.t.What+" retention"); err != nil {
		return 0, err
	}
	if tenantID == "" {
		return 0, opsward.FieldErrorf("tenant_id", "retention of one tenant needs the tenant")
	}
	res, err := s.db.ExecContext(ctx, s.Q("DELETE FROM "+s.t.Name+" WHERE tenant_id = ? AND "+s.t.TimeColumn+" < ?"),
		tenantID, s.Time(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete %s: %w", s.t.What, err)
	}
	return res.RowsAffected()
}
