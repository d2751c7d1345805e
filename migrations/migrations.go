// Package migrations holds the versioned SQL of both dialects, embedded in
// the binary, and applies it with goose.
//
// The SQL here and the ent schema in ent/schema describe the same model;
// TestSchemaMatchesEnt keeps them in step. Migrations never run as the
// application's role: on Postgres they run as the role that owns the
// tables.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/opsward/opsward"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialects the platform runs on.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Migrator applies the migrations of one dialect to one database.
type Migrator struct {
	p *goose.Provider
}

// New returns a Migrator for db, which must be a connection as the owner
// of the schema.
func New(db *sql.DB, dialect string) (*Migrator, error) {
	var (
		gd   goose.Dialect
		opts []goose.ProviderOption
	)
	switch dialect {
	case Postgres:
		gd = goose.DialectPostgres
		// A session lock so that two migrators started together take turns.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	case SQLite:
		gd = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(gd, db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{p: p}, nil
}

// Latest is the newest version this binary knows.
func (m *Migrator) Latest() int64 {
	src := m.p.ListSources()
	if len(src) == 0 {
		return 0
	}
	return src[len(src)-1].Version
}

// Version is the version the database is at.
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	return m.p.GetDBVersion(ctx)
}

// Up applies every pending migration and returns the versions applied.
func (m *Migrator) Up(ctx context.Context) ([]int64, error) {
	if err := m.CheckNotNewer(ctx); err != nil {
		return nil, err
	}
	res, err := m.p.Up(ctx)
	return versions(res), err
}

// Down rolls back the newest applied migration.
func (m *Migrator) Down(ctx context.Context) ([]int64, error) {
	res, err := m.p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return nil, opsward.Errorf(opsward.ECONFLICT, "no migration to roll back")
	}
	if res == nil {
		return nil, err
	}
	return []int64{res.Source.Version}, err
}

// Status lists each migration and whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	st, err := m.p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(st))
	for _, s := range st {
		out = append(out, Status{
			Version: s.Source.Version,
			Name:    s.Source.Path,
			Applied: s.State == goose.StateApplied,
			At:      s.AppliedAt,
		})
	}
	return out, nil
}

// CheckNotNewer refuses a database that a newer binary has migrated: this
// binary would not know its tables.
func (m *Migrator) CheckNotNewer(ctx context.Context) error {
	v, err := m.Version(ctx)
	if err != nil {
		return err
	}
	if latest := m.Latest(); v > latest {
		return opsward.Errorf(opsward.ECONFLICT,
			"database schema is at version %d, newer than this binary knows (%d): run a newer opsward", v, latest)
	}
	return nil
}

// CheckCurrent reports whether every migration this binary knows is applied.
func (m *Migrator) CheckCurrent(ctx context.Context) error {
	if err := m.CheckNotNewer(ctx); err != nil {
		return err
	}
	v, err := m.Version(ctx)
	if err != nil {
		return err
	}
	if latest := m.Latest(); v < latest {
		return opsward.Errorf(opsward.ECONFLICT,
			"database schema is at version %d, this binary needs %d: run `opsward migrate up`", v, latest)
	}
	return nil
}

func versions(rs []*goose.MigrationResult) []int64 {
	out := make([]int64, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Source.Version)
	}
	return out
}

// Status is one migration's state.
type Status struct {
	Version int64
	Name    string
	Applied bool
	At      time.Time
}
