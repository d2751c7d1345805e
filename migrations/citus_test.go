package migrations_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/migrations"
)

var update = flag.Bool("update", false, "rewrite infra/citus/distribute.sql from the migrated catalogue")

// distributeScript is the Citus script, relative to this package.
var distributeScript = filepath.Join("..", "infra", "citus", "distribute.sql")

// The migrated Postgres schema is ready to distribute on Citus by
// tenant_id, and infra/citus/distribute.sql distributes exactly it. Citus
// is not needed: the rules are read from the plain Postgres catalogue.
func TestCitusReadiness(t *testing.T) {
	var pg testenv.Backend
	for _, b := range testenv.Backends() {
		if b.Name == platform.Postgres {
			pg = b
		}
	}
	ctx := context.Background()
	db := testenv.Migrated(t, pg).Owner.DB

	t.Run("catalogue", func(t *testing.T) {
		cat := readCatalogue(t, db, "public")
		problems := cat.problems(migrations.CitusReferenceTables, migrations.CitusLocalTables)
		gaps := knownGaps(t)
		for _, p := range problems {
			if !gaps[p] {
				t.Error(p)
			}
		}
		for g := range gaps {
			if !slices.Contains(problems, g) {
				t.Errorf("%s lists a gap the schema no longer has; delete the line: %s", citusGaps, g)
			}
		}
		if len(cat.tables) < 10 {
			t.Fatalf("only %d tables in the migrated schema", len(cat.tables))
		}
	})

	// The check finds what it is meant to find: a scratch schema of tables
	// that each break one rule, and one that keeps them all.
	t.Run("reports a bad schema", func(t *testing.T) {
		const scratch = `
CREATE SCHEMA citus_scratch;
SET LOCAL search_path = citus_scratch;
CREATE TABLE shared (id text PRIMARY KEY);
CREATE TABLE good (tenant_id text NOT NULL, id text NOT NULL, shared_id text REFERENCES shared (id),
    PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, shared_id));
CREATE UNIQUE INDEX good_code ON good (tenant_id, lower(id));
CREATE TABLE child (tenant_id text NOT NULL, id text NOT NULL, good_id text NOT NULL,
    PRIMARY KEY (tenant_id, id), FOREIGN KEY (tenant_id, good_id) REFERENCES good (tenant_id, id));
CREATE TABLE pk_without_tenant (tenant_id text NOT NULL, id text PRIMARY KEY);
CREATE TABLE no_pk (tenant_id text NOT NULL, id text NOT NULL);
CREATE TABLE bad_unique (tenant_id text NOT NULL, id text NOT NULL, code text,
    PRIMARY KEY (tenant_id, id), CONSTRAINT bad_unique_code UNIQUE (code));
CREATE TABLE bad_index (tenant_id text NOT NULL, id text NOT NULL, code text, PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX bad_index_code ON bad_index (code);
CREATE TABLE bad_fk (tenant_id text NOT NULL, id text NOT NULL, other_id text,
    PRIMARY KEY (tenant_id, id), CONSTRAINT bad_fk_other FOREIGN KEY (other_id) REFERENCES pk_without_tenant (id));
CREATE TABLE crossed_fk (tenant_id text NOT NULL, id text NOT NULL, good_id text NOT NULL,
    PRIMARY KEY (tenant_id, id), CONSTRAINT crossed_fk_good FOREIGN KEY (good_id, tenant_id) REFERENCES good (tenant_id, id));
CREATE TABLE bad_part (tenant_id text NOT NULL, id text NOT NULL, ts timestamptz NOT NULL,
    PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE bad_part_default PARTITION OF bad_part DEFAULT;
CREATE TABLE good_part (tenant_id text NOT NULL, id text NOT NULL, ts timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE good_part_default PARTITION OF good_part DEFAULT;
CREATE TABLE shared_to_tenant (id text PRIMARY KEY, tenant_id_ref text, good_id text,
    CONSTRAINT shared_to_tenant_good FOREIGN KEY (tenant_id_ref, good_id) REFERENCES good (tenant_id, id));
CREATE TABLE stray (id text PRIMARY KEY);
CREATE TABLE wide_tenant (tenant_id varchar(80) NOT NULL, id text NOT NULL, PRIMARY KEY (tenant_id, id));
`
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, scratch); err != nil {
			t.Fatalf("create the scratch schema: %v", err)
		}
		cat := readCatalogue(t, tx, "citus_scratch")
		got := cat.problems([]string{"shared", "shared_to_tenant", "gone"}, nil)
		want := []string{
			"bad_fk: foreign key bad_fk_other to pk_without_tenant does not pair bad_fk.tenant_id with pk_without_tenant.tenant_id",
			"bad_index: unique index bad_index_code does not include tenant_id",
			"bad_part: primary key bad_part_pkey does not include tenant_id",
			"bad_unique: unique constraint bad_unique_code does not include tenant_id",
			"crossed_fk: foreign key crossed_fk_good to good does not pair crossed_fk.tenant_id with good.tenant_id",
			"gone: listed as a reference table, but there is no such table",
			"no_pk: tenant-owned table without a primary key",
			"pk_without_tenant: primary key pk_without_tenant_pkey does not include tenant_id",
			"shared_to_tenant: reference table's foreign key shared_to_tenant_good points at tenant-owned table good",
			"stray: no tenant_id column and not listed as a reference or local table",
			"wide_tenant: tenant_id is character varying(80), the other tenant-owned tables' is text",
		}
		if !slices.Equal(got, want) {
			t.Errorf("problems in the scratch schema:\n got  %s\n want %s",
				strings.Join(got, "\n      "), strings.Join(want, "\n      "))
		}
	})

	// The script names every table exactly once, in an order Citus accepts,
	// and is what the catalogue and the lists give today.
	t.Run("distribute.sql", func(t *testing.T) {
		cat := readCatalogue(t, db, "public")
		want, err := cat.script(migrations.CitusReferenceTables, migrations.CitusLocalTables)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(distributeScript, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(distributeScript)
		if err != nil {
			t.Fatal(err)
		}
		have := string(b)
		named := map[string]int{}
		call := regexp.MustCompile(`(?m)^SELECT (create_reference_table|create_distributed_table)\('([a-z0-9_]+)'`)
		for _, m := range call.FindAllStringSubmatch(have, -1) {
			named[m[2]]++
			if _, ok := cat.tables[m[2]]; !ok {
				t.Errorf("distribute.sql names %s, which is not a table of the migrated schema", m[2])
			}
		}
		for name, tbl := range cat.tables {
			n := named[name]
			switch {
			case slices.Contains(migrations.CitusLocalTables, name):
				if n != 0 {
					t.Errorf("distribute.sql distributes %s, a table that stays on the coordinator", name)
				}
			case n != 1:
				t.Errorf("distribute.sql names %s %d times, want once (tenant-owned: %v)", name, n, tbl.tenant)
			}
		}
		if have != want {
			t.Errorf("%s is not what the migrated catalogue gives; regenerate it with\n"+
				"  OPSWARD_TEST_MODE=external go test ./migrations -run 'TestCitusReadiness/distribute.sql' -update", distributeScript)
		}
	})
}

// citusGaps lists, one a line, the breaches of the Citus rules that the
// schema still has and that are yet to be fixed. Nothing may be added to it:
// a new table or key keeps the rules, and a line goes when its gap closes.
var citusGaps = filepath.Join("testdata", "citus_gaps.txt")

func knownGaps(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(citusGaps)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	return out
}

// queryer is a database or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// catalogue is what the Citus rules look at in one schema: its tables
// (partitioned parents, not their partitions), their key constraints and
// unique indexes, and their foreign keys.
type catalogue struct {
	tables  map[string]*catTable
	uniques []catUnique
	fks     []catFK
}

type catTable struct {
	name       string
	tenant     bool   // has a tenant_id column
	tenantType string // its type
	hasPK      bool
}

type catUnique struct {
	table, name, kind string // kind: "primary key", "unique constraint", "exclusion constraint", "unique index"
	hasTenant         bool
}

type catFK struct {
	table, name, refTable string
	paired                bool // some column pair is (table.tenant_id, refTable.tenant_id)
}

func readCatalogue(t *testing.T, db queryer, schema string) *catalogue {
	t.Helper()
	ctx := context.Background()
	cat := &catalogue{tables: map[string]*catTable{}}
	each := func(q string, scan func(*sql.Rows) error) {
		t.Helper()
		rows, err := db.QueryContext(ctx, q, schema)
		if err != nil {
			t.Fatalf("read the catalogue: %v\n%s", err, q)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	each(`
SELECT c.relname, coalesce(col.data_type, ''), col.column_name IS NOT NULL
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN (SELECT table_name, column_name,
                  format_type(a.atttypid, a.atttypmod) AS data_type
           FROM information_schema.columns ic
           JOIN pg_attribute a ON a.attrelid = format('%I.%I', ic.table_schema, ic.table_name)::regclass
                              AND a.attname = ic.column_name
           WHERE ic.table_schema = $1 AND ic.column_name = 'tenant_id') col ON col.table_name = c.relname
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
		func(r *sql.Rows) error {
			tbl := &catTable{}
			if err := r.Scan(&tbl.name, &tbl.tenantType, &tbl.tenant); err != nil {
				return err
			}
			cat.tables[tbl.name] = tbl
			return nil
		})
	// Primary keys, unique and exclusion constraints, and unique indexes
	// that back no constraint.
	each(`
SELECT c.relname, k.conname,
       CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique constraint' ELSE 'exclusion constraint' END,
       coalesce(ta.attnum = ANY (k.conkey), false)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute ta ON ta.attrelid = c.oid AND ta.attname = 'tenant_id' AND NOT ta.attisdropped
WHERE n.nspname = $1 AND k.contype IN ('p', 'u', 'x') AND k.conparentid = 0 AND NOT c.relispartition
UNION ALL
SELECT c.relname, ic.relname, 'unique index', coalesce(ta.attnum = ANY (i.indkey::int2[]), false)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute ta ON ta.attrelid = c.oid AND ta.attname = 'tenant_id' AND NOT ta.attisdropped
WHERE n.nspname = $1 AND i.indisunique AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))`,
		func(r *sql.Rows) error {
			var u catUnique
			if err := r.Scan(&u.table, &u.name, &u.kind, &u.hasTenant); err != nil {
				return err
			}
			if u.kind == "primary key" {
				if tbl := cat.tables[u.table]; tbl != nil {
					tbl.hasPK = true
				}
			}
			cat.uniques = append(cat.uniques, u)
			return nil
		})
	each(`
SELECT c.relname, k.conname, f.relname,
       coalesce(EXISTS (SELECT 1 FROM unnest(k.conkey, k.confkey) AS p(ck, fk)
                        WHERE p.ck = cta.attnum AND p.fk = fta.attnum), false)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class f ON f.oid = k.confrelid
LEFT JOIN pg_attribute cta ON cta.attrelid = c.oid AND cta.attname = 'tenant_id' AND NOT cta.attisdropped
LEFT JOIN pg_attribute fta ON fta.attrelid = f.oid AND fta.attname = 'tenant_id' AND NOT fta.attisdropped
WHERE n.nspname = $1 AND k.contype = 'f' AND k.conparentid = 0 AND NOT c.relispartition`,
		func(r *sql.Rows) error {
			var fk catFK
			if err := r.Scan(&fk.table, &fk.name, &fk.refTable, &fk.paired); err != nil {
				return err
			}
			cat.fks = append(cat.fks, fk)
			return nil
		})
	return cat
}

// problems are the schema's breaches of the Citus rules, one line each,
// naming the table and the constraint, sorted.
func (c *catalogue) problems(reference, local []string) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	kindOf := func(name string) string {
		switch {
		case slices.Contains(reference, name):
			return "reference"
		case slices.Contains(local, name):
			return "local"
		}
		return ""
	}
	for _, list := range []struct {
		kind  string
		names []string
	}{{"reference", reference}, {"local", local}} {
		for _, name := range list.names {
			tbl, ok := c.tables[name]
			switch {
			case !ok:
				add("%s: listed as a %s table, but there is no such table", name, list.kind)
			case tbl.tenant:
				add("%s: listed as a %s table, but it has tenant_id and is distributed", name, list.kind)
			}
		}
	}
	// One distribution column type, or the tables cannot be colocated.
	types := map[string]int{}
	for _, tbl := range c.tables {
		if tbl.tenant {
			types[tbl.tenantType]++
		}
	}
	common := ""
	for ty, n := range types {
		if common == "" || n > types[common] || (n == types[common] && ty < common) {
			common = ty
		}
	}
	for _, tbl := range c.tables {
		switch {
		case !tbl.tenant && kindOf(tbl.name) == "":
			add("%s: no tenant_id column and not listed as a reference or local table", tbl.name)
		case tbl.tenant && !tbl.hasPK:
			add("%s: tenant-owned table without a primary key", tbl.name)
		}
		if tbl.tenant && tbl.tenantType != common {
			add("%s: tenant_id is %s, the other tenant-owned tables' is %s", tbl.name, tbl.tenantType, common)
		}
	}
	for _, u := range c.uniques {
		if tbl := c.tables[u.table]; tbl != nil && tbl.tenant && !u.hasTenant {
			add("%s: %s %s does not include tenant_id", u.table, u.kind, u.name)
		}
	}
	for _, fk := range c.fks {
		from, to := c.tables[fk.table], c.tables[fk.refTable]
		if from == nil || to == nil {
			continue // a key into another schema is not this schema's
		}
		switch {
		case from.tenant && to.tenant && !fk.paired:
			add("%s: foreign key %s to %s does not pair %s.tenant_id with %s.tenant_id",
				fk.table, fk.name, fk.refTable, fk.table, fk.refTable)
		case !from.tenant && to.tenant:
			add("%s: %s table's foreign key %s points at tenant-owned table %s",
				fk.table, kindOrShared(kindOf(fk.table)), fk.name, fk.refTable)
		case kindOf(fk.table) != "local" && kindOf(fk.refTable) == "local":
			add("%s: foreign key %s points at %s, which stays on the coordinator", fk.table, fk.name, fk.refTable)
		}
	}
	sort.Strings(out)
	return out
}

func kindOrShared(kind string) string {
	if kind == "" {
		return "shared"
	}
	return kind
}

// script is infra/citus/distribute.sql: the reference tables, then the
// tenant-owned ones, each after every table its foreign keys point at. The
// rules themselves are the catalogue subtest's to check.
func (c *catalogue) script(reference, local []string) (string, error) {
	deps := map[string][]string{}
	for _, fk := range c.fks {
		if fk.table != fk.refTable {
			deps[fk.table] = append(deps[fk.table], fk.refTable)
		}
	}
	var ref, dist []string
	for name, tbl := range c.tables {
		switch {
		case tbl.tenant:
			dist = append(dist, name)
		case slices.Contains(reference, name):
			ref = append(ref, name)
		}
	}
	placed := map[string]bool{}
	for _, name := range local {
		placed[name] = true
	}
	ref, err := fkOrder(ref, deps, placed)
	if err != nil {
		return "", err
	}
	dist, err = fkOrder(dist, deps, placed)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`-- Distributes Opsward's Postgres schema on Citus by tenant_id.
--
-- Generated from the catalogue of a freshly migrated database and the lists
-- in migrations/citus.go; TestCitusReadiness checks that it names every table
-- exactly once. Regenerate it after a migration that adds or drops a table:
--   OPSWARD_TEST_MODE=external go test ./migrations -run 'TestCitusReadiness/distribute.sql' -update
--
-- Run it once on the coordinator, as the schema owner, after
-- 'opsward migrate' on an empty database and before the platform starts.
-- Shared tables become reference tables (a copy on every node); each
-- tenant-owned table is distributed by tenant_id and colocated with the
-- first, so that one tenant's rows of every table share a node. Each table
-- comes after the tables its foreign keys point at. Partitioned tables are
-- distributed through their parents; their partitions follow.
--
-- Citus is not served where Opsward is developed, so this script is checked
-- against the Postgres catalogue, not run. Until the gaps listed in
-- migrations/testdata/citus_gaps.txt are closed, Citus refuses the tables
-- named there (a unique key or foreign key without tenant_id).
`)
	fmt.Fprintf(&b, "--\n-- Stay on the coordinator: %s.\n", strings.Join(local, ", "))
	b.WriteString("\n-- Reference tables.\n")
	for _, name := range ref {
		fmt.Fprintf(&b, "SELECT create_reference_table('%s');\n", name)
	}
	b.WriteString("\n-- Tenant-owned tables, distributed by tenant_id and colocated.\n")
	for i, name := range dist {
		with := "'none'"
		if i > 0 {
			with = "'" + dist[0] + "'"
		}
		fmt.Fprintf(&b, "SELECT create_distributed_table('%s', 'tenant_id', colocate_with => %s);\n", name, with)
	}
	return b.String(), nil
}

// fkOrder orders names so that each comes after the tables it depends on,
// alphabetically where the keys leave a choice; placed are tables already
// created. It fails on a cycle.
func fkOrder(names []string, deps map[string][]string, placed map[string]bool) ([]string, error) {
	sort.Strings(names)
	var out []string
	for len(out) < len(names) {
		progress := false
		for _, name := range names {
			if placed[name] {
				continue
			}
			ready := true
			for _, d := range deps[name] {
				ready = ready && (placed[d] || !slices.Contains(names, d))
			}
			if ready {
				out = append(out, name)
				placed[name] = true
				progress = true
				break // restart, so that the alphabetically first ready table goes next
			}
		}
		if !progress {
			var left []string
			for _, name := range names {
				if !placed[name] {
					left = append(left, name)
				}
			}
			return nil, fmt.Errorf("foreign keys form a cycle among %s", strings.Join(left, ", "))
		}
	}
	return out, nil
}
