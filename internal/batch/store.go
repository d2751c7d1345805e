package batch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
}

// Store writes and keeps the rows of one Table on the application's pool:
// COPY through a staging table on Postgres, multi-row INSERTs on SQLite
// (and in a caller's transaction), daily partitions made ahead and
// dropped by age, and per-tenant deletion for plans that keep less.
type Store[T any] struct {
	db       *sql.DB
	dialect  string
	t        Table[T]
	cols     string // Columns joined
	move     string // staging table to table, on Postgres
	rowSQL   string // "(?, ?, …)"
	perStmt  int    // rows a multi-row INSERT carries
	conflict string // " ON CONFLICT … DO NOTHING"
}

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
	return s
}

// Postgres reports whether the store is on Postgres.
func (s *Store[T]) Postgres() bool { return s.dialect == platform.Postgres }

// Q turns ? placeholders into Postgres's $n (the query must hold no
// literal question mark).
func (s *Store[T]) Q(query string) string {
	if !s.Postgres() {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Time is t as the dialect stores it: timestamptz on Postgres, Unix
// microseconds on SQLite.
func (s *Store[T]) Time(t time.Time) any {
	if s.Postgres() {
		return t.UTC()
	}
	return t.UTC().UnixMicro()
}

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
// so that they commit with the caller's work. A row already stored is
// kept as it is. It returns how many rows were new.
func (s *Store[T]) InsertTx(ctx context.Context, tx *sql.Tx, rows []T) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	var total int64
	var b strings.Builder
	for len(rows) > 0 {
		n := min(len(rows), s.perStmt)
		b.Reset()
		b.Grow(32 + len(s.cols) + n*(len(s.rowSQL)+2))
		b.WriteString("INSERT INTO " + s.t.Name + " (" + s.cols + ") VALUES ")
		args := make([]any, 0, n*len(s.t.Columns))
		for i := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.rowSQL)
			start := len(args)
			args = s.t.Row(&rows[i], args)
			s.sqlValues(args[start:])
		}
		b.WriteString(s.conflict)
		res, err := tx.ExecContext(ctx, s.Q(b.String()), args...)
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
	tag, err := tx.Exec(ctx, s.move)
	if err != nil {
		return 0, fmt.Errorf("move %s: %w", s.t.What, err)
	}
	return tag.RowsAffected(), tx.Commit(ctx)
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
