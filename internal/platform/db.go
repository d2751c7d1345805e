package platform

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the embedded database driver, "sqlite"
)

// Database dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// AppRole is the Postgres role the application acts as. It owns nothing,
// so row-level security applies to it; migrations create it.
const AppRole = "opsward_app"

// Database is an open database and its dialect.
type Database struct {
	*sql.DB
	Dialect string
	// Where says where the database is, without credentials, for logs.
	Where string
}

// Rebind turns ? placeholders into $n on Postgres (the query must hold no
// literal question mark); SQLite takes them as they are.
func Rebind(dialect, query string) string {
	if dialect != Postgres {
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

// TimeValue is t as the dialect stores it: timestamptz on Postgres, Unix
// microseconds on SQLite.
func TimeValue(dialect string, t time.Time) any {
	if dialect == Postgres {
		return t.UTC()
	}
	return t.UTC().UnixMicro()
}

// Q is Rebind in the database's dialect.
func (d *Database) Q(query string) string { return Rebind(d.Dialect, query) }

// Time is TimeValue in the database's dialect.
func (d *Database) Time(t time.Time) any { return TimeValue(d.Dialect, t) }

// OpenDatabase opens the application's connection pool: Postgres when
// OPSWARD_DATABASE_URL is set, acting as AppRole; otherwise SQLite in the
// data folder. It fails with one line when the database cannot be reached.
//
// On Postgres, session (may be nil) gives each statement the settings of
// its context; see SessionFunc.
func OpenDatabase(ctx context.Context, c Config, session SessionFunc) (*Database, error) {
	if c.Embedded() {
		return openSQLite(ctx, c.DataDir)
	}
	return openPostgres(ctx, c.DatabaseURL, true, session)
}

// OpenMigrationDatabase opens a connection as the owner of the schema, for
// migrations and for nothing else.
func OpenMigrationDatabase(ctx context.Context, c Config) (*Database, error) {
	if c.Embedded() {
		return openSQLite(ctx, c.DataDir)
	}
	return openPostgres(ctx, c.MigrateDatabaseURL, false, nil)
}

// SQLitePath is where the embedded database lives.
func SQLitePath(dataDir string) string { return filepath.Join(dataDir, "opsward.db") }

func openSQLite(ctx context.Context, dataDir string) (*Database, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("OPSWARD_DATA_DIR: cannot create %s: %v", dataDir, err)
	}
	path := SQLitePath(dataDir)
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("database: %v", err)
	}
	// One writer at a time is SQLite's rule; a small pool keeps readers
	// concurrent without piling up lock waits.
	db.SetMaxOpenConns(8)
	if err := pingDB(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: cannot open %s: %v", path, err)
	}
	return &Database{DB: db, Dialect: SQLite, Where: path}, nil
}

func openPostgres(ctx context.Context, rawURL string, asApp bool, session SessionFunc) (*Database, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("OPSWARD_DATABASE_URL: %v", firstLine(err.Error()))
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "opsward"
	var opts []stdlib.OptionOpenDB
	if asApp {
		opts = append(opts, stdlib.OptionAfterConnect(func(ctx context.Context, conn *pgx.Conn) error {
			// Act as the role that owns nothing. A login that is that role
			// already, or a member of it, both work.
			var exists bool
			if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", AppRole).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return fmt.Errorf("role %s does not exist: run `opsward migrate up` first", AppRole)
			}
			_, err := conn.Exec(ctx, "SET ROLE "+AppRole)
			return err
		}))
	}
	connector := stdlib.GetConnector(*cfg, opts...)
	if session != nil {
		connector = sessionConnector{Connector: connector, session: session}
	}
	db := sql.OpenDB(connector)
	// As many idle as open: a busy pool that closes what it cannot keep
	// idle reconnects (TLS, SET ROLE) on every burst.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxLifetime(30 * time.Minute)
	where := redactURL(rawURL)
	if err := pingDB(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: cannot connect to %s: %v", where, firstLine(err.Error()))
	}
	return &Database{DB: db, Dialect: Postgres, Where: where}, nil
}

func pingDB(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := db.PingContext(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("no answer within 5s")
	}
	return err
}

// redactURL drops the password from a connection URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return u.String()
}

// firstLine folds a multi-line driver message into one line.
func firstLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
