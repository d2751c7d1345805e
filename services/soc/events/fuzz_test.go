package events

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
)

// FuzzFilter feeds any field, operator and value to the filter compiler on
// the real SQLite: a filter is refused with an invalid error naming a
// field, or runs; it never reaches the database as broken SQL, and a field
// name never reaches the SQL text at all.
func FuzzFilter(f *testing.F) {
	for _, s := range [][3]string{
		{"host.name", "eq", "web"}, {"source.ip", "eq", "::ffff:10.0.0.1"}, {"source.ip", "prefix", "10."},
		{"event.severity", "gte", "3"}, {"event.severity", "contains", "3"}, {"destination.port", "in", "22,443"},
		{"winlog.event_data.TargetUserName", "contains", "adm"}, {"a.b", "neq", "'; DROP TABLE x; --"},
		{"x') OR 1=1 --", "eq", "x"}, {`a."b`, "eq", ""}, {"@timestamp", "eq", "now"}, {"message", "prefix", "%_"},
		{"event.category", "in", ","}, {"é.ü", "eq", "\x00"}, {"a.b", "like", "x"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	e := newEnv(f, platform.SQLite, testenv.Backends()[0].Config(f))
	f.Fuzz(func(t *testing.T, field, op, value string) {
		fl := Filter{Field: field, Op: op, Value: value}
		if op == OpIn {
			fl.Value, fl.Values = "", strings.Split(value, ",")
		}
		b := &sqlBuilder{}
		err := fl.compile(b, 0)
		if err != nil {
			oe, ok := err.(*opsward.Error)
			if !ok || oe.Code != opsward.EINVALID || !strings.HasPrefix(oe.Field, "filters[0].") {
				t.Fatalf("%+v: %v is not an invalid error naming the filter", fl, err)
			}
			return
		}
		if !ValidFieldName(field) || !utf8.ValidString(value) {
			t.Fatalf("%+v accepted", fl)
		}
		if strings.Count(b.where(), "?") != len(b.args) {
			t.Fatalf("%d placeholders, %d arguments: %s", strings.Count(b.where(), "?"), len(b.args), b.where())
		}
		if _, isColumn := columns[field]; !isColumn {
			// The SQL is the same whatever the name: it travels as an argument.
			other, same := fl, &sqlBuilder{}
			other.Field = "z.z"
			if err := other.compile(same, 0); err != nil || same.where() != b.where() {
				t.Fatalf("field name %q shapes the SQL: %s", field, b.where())
			}
		}
		q := Query{From: base, To: base.Add(time.Hour), Filters: []Filter{fl}}
		if _, err := e.store.Search(as(e.tenantA), q); err != nil {
			t.Fatalf("%+v compiled but failed: %v", fl, err)
		}
	})
}

// FuzzCursor: the decoder refuses what encode did not make, and what it
// accepts encodes back to the same text.
func FuzzCursor(f *testing.F) {
	f.Add(cursor{ts: base, id: opsward.NewID(IDPrefix)}.encode())
	f.Add("")
	f.Add("ZTE6MTIzOmV2dF8wMQ")
	f.Add("e1:1:evt_01")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		if !opsward.ValidID(c.id, IDPrefix) || c.ts.Location() != time.UTC {
			t.Fatalf("%q decoded to %+v", s, c)
		}
		if again, err := decodeCursor(c.encode()); err != nil || again != c {
			t.Fatalf("%q: %+v does not survive encoding (%v)", s, c, err)
		}
	})
}
