package events

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/batch"
)

// Bounds of a search: every read is a bounded piece of work.
const (
	MaxRange       = 31 * 24 * time.Hour // the longest time range of one query
	MaxPage        = 100
	DefaultPage    = 50
	MaxFilters     = 20
	MaxFilterValue = 256 // characters of one filter value or of Text
	MaxInValues    = 50
	MaxGet         = 100
	// QueryTimeout ends a search or count that runs longer, whatever the
	// caller's context allows: a free-text or JSON filter over a month of
	// a busy tenant reads every row in range.
	QueryTimeout = 30 * time.Second
)

// Filter operators.
const (
	OpEq       = "eq"       // equal; on a list, any item equal
	OpNeq      = "neq"      // not eq: an event without the field matches
	OpPrefix   = "prefix"   // starts with, case-sensitive
	OpContains = "contains" // contains, case-insensitive
	OpIn       = "in"       // equal to one of Values
	OpGte      = "gte"      // at least (event.severity, destination.port)
	OpLte      = "lte"      // at most (event.severity, destination.port)
)

// Filter is one condition on a field of the event, named by its dotted ECS
// name ("host.name", "winlog.event_data.TargetUserName"). Fields with a
// column are matched on the column; any other on the stored JSON, where a
// list matches when one of its items does and values compare as text
// (numbers in decimal, true and false).
type Filter struct {
	Field  string   `json:"field"`
	Op     string   `json:"op"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"` // for in
}

// Query is a search of the acting tenant's events, newest first.
type Query struct {
	From, To time.Time // required: [From, To), at most MaxRange long
	Filters  []Filter  // all must hold
	// Text is found, case-insensitively, in the message or the original.
	Text string
	// SourceID keeps the events of one log source or API key.
	SourceID string
	Limit    int    // 1 to MaxPage; DefaultPage when 0
	Cursor   string // Page.Next of the page before; "" for the first
}

// Page is one page of a search.
type Page struct {
	Events []Event
	Next   string // the cursor of the next page; "" at the end
}

// column is a field stored in a column and how its values are checked.
type column struct {
	name string
	kind byte // 's' text, 'n' integer, 'i' IP address
}

var columns = map[string]column{
	FieldDataset: {"dataset", 's'}, FieldAction: {"action", 's'}, FieldOutcome: {"outcome", 's'},
	FieldSeverity: {"severity", 'n'}, FieldCode: {"event_code", 's'}, FieldHostName: {"host_name", 's'},
	FieldUserName: {"user_name", 's'}, FieldSourceIP: {"source_ip", 'i'}, FieldDestIP: {"destination_ip", 'i'},
	FieldDestPort: {"destination_port", 'n'}, FieldExecutable: {"process_executable", 's'},
	FieldMessage: {"message", 's'}, FieldOriginal: {"original", 's'},
	// event.category is a list: its filters use Fields so that every
	// category counts, not only the first that the column keeps.
}

// sqlBuilder collects a WHERE clause and its arguments for one dialect.
type sqlBuilder struct {
	pg    bool
	conds []string
	args  []any
}

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	if b.pg {
		return "$" + strconv.Itoa(len(b.args))
	}
	return "?"
}

func (b *sqlBuilder) where() string { return strings.Join(b.conds, " AND ") }

// contains is SQL for "x contains the text of p", case-insensitively.
func (b *sqlBuilder) contains(x, p string) string {
	if b.pg {
		return "strpos(lower(" + x + "), lower(" + p + ")) > 0"
	}
	return "instr(lower(" + x + "), lower(" + p + ")) > 0"
}

// ValidFieldName reports whether name is a dotted identifier that a filter
// may name: segments of letters, digits, '_' and '-', each starting with a
// letter, '_' or '@', at most MaxFieldName characters.
func ValidFieldName(name string) bool {
	if name == "" || len(name) > MaxFieldName {
		return false
	}
	for _, seg := range strings.Split(name, ".") {
		if seg == "" {
			return false
		}
		for i, c := range seg {
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '@'
			if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-')) {
				return false
			}
		}
	}
	return true
}

// compile adds f, the i-th filter, to b, or says what is wrong with it.
func (f Filter) compile(b *sqlBuilder, i int) error {
	path := fmt.Sprintf("filters[%d]", i)
	switch {
	case !ValidFieldName(f.Field):
		return opsward.FieldErrorf(path+".field", "%q is not a field name: use a dotted name such as host.name", clip(f.Field, MaxFieldName+2))
	case f.Field == FieldTimestamp:
		return opsward.FieldErrorf(path+".field", "%s is searched through the time range (from, to), not a filter", f.Field)
	}
	vals := []string{f.Value}
	switch f.Op {
	case OpIn:
		if len(f.Values) == 0 || len(f.Values) > MaxInValues {
			return opsward.FieldErrorf(path+".values", "%s in takes 1 to %d values, not %d", f.Field, MaxInValues, len(f.Values))
		}
		vals = f.Values
	case OpEq, OpNeq, OpPrefix, OpContains, OpGte, OpLte:
		if len(f.Values) > 0 {
			return opsward.FieldErrorf(path+".values", "values go with op in; %s takes value", f.Op)
		}
	default:
		return opsward.FieldErrorf(path+".op", "unknown operator %q for %s: use eq, neq, prefix, contains, in, gte or lte", clip(f.Op, 20), f.Field)
	}
	for _, v := range vals {
		if utf8.RuneCountInString(v) > MaxFilterValue || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return opsward.FieldErrorf(path+".value", "the value for %s must be valid text of at most %d characters", f.Field, MaxFilterValue)
		}
		if (f.Op == OpPrefix || f.Op == OpContains) && v == "" {
			return opsward.FieldErrorf(path+".value", "%s %s needs a value", f.Field, f.Op)
		}
	}
	c, isColumn := columns[f.Field]
	if (f.Op == OpGte || f.Op == OpLte) && c.kind != 'n' {
		return opsward.FieldErrorf(path+".op", "%s compares numbers: it applies to %s and %s, not %s", f.Op, FieldSeverity, FieldDestPort, f.Field)
	}
	if !isColumn {
		return f.compileJSON(b, vals)
	}
	args := make([]any, len(vals))
	for j, v := range vals {
		args[j] = v
		switch {
		case c.kind == 'n' && (f.Op == OpPrefix || f.Op == OpContains):
			return opsward.FieldErrorf(path+".op", "%s is a number: use eq, neq, in, gte or lte", f.Field)
		case c.kind == 'n':
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return opsward.FieldErrorf(path+".value", "%s is a number, and %q is not one", f.Field, v)
			}
			args[j] = n
		case c.kind == 'i' && v != "" && f.Op != OpPrefix && f.Op != OpContains: // "" is no address
			a, err := netip.ParseAddr(strings.TrimSpace(v))
			if err != nil {
				return opsward.FieldErrorf(path+".value", "%s is an IP address, and %q is not one", f.Field, v)
			}
			args[j] = a.Unmap().WithZone("").String()
		}
	}
	if f.Op == OpNeq { // the column's NULL (no value) is not equal either
		b.conds = append(b.conds, "NOT COALESCE("+b.cond(OpEq, c.name, args)+", false)")
	} else {
		b.conds = append(b.conds, b.cond(f.Op, c.name, args))
	}
	return nil
}

// cond is SQL for "item op args"; neq is NOT eq, built by the caller.
func (b *sqlBuilder) cond(op, item string, args []any) string {
	switch op {
	case OpIn:
		ps := make([]string, len(args))
		for j, a := range args {
			ps[j] = b.arg(a)
		}
		return item + " IN (" + strings.Join(ps, ", ") + ")"
	case OpPrefix:
		s, _ := args[0].(string)
		return "substr(" + item + ", 1, " + b.arg(utf8.RuneCountInString(s)) + ") = " + b.arg(s)
	case OpContains:
		return b.contains(item, b.arg(args[0]))
	case OpGte:
		return item + " >= " + b.arg(args[0])
	case OpLte:
		return item + " <= " + b.arg(args[0])
	default: // OpEq, OpNeq
		return item + " = " + b.arg(args[0])
	}
}

// compileJSON matches a field kept only in the JSON: a list matches when
// one of its items does, everything compares as text. The field name
// travels as an argument, never as SQL.
func (f Filter) compileJSON(b *sqlBuilder, vals []string) error {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	var match string
	if b.pg {
		// Scalars read with ->> (cheap); only lists pay for expanding.
		k := b.arg(f.Field) + "::text"
		items := "EXISTS (SELECT 1 FROM jsonb_array_elements_text(fields->(" + k + ")) AS x(v) WHERE " +
			b.cond(f.Op, "x.v", args) + ")"
		match = "COALESCE(CASE WHEN jsonb_typeof(fields->(" + k + ")) = 'array' THEN " + items +
			" ELSE " + b.cond(f.Op, "(fields->>("+k+"))", args) + " END, false)"
	} else {
		// json_each of a scalar is one row; true and false read as in JSON.
		match = "EXISTS (SELECT 1 FROM json_each(fields, " + b.arg(`$."`+f.Field+`"`) + ") AS x WHERE " +
			b.cond(f.Op, "(CASE x.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(x.value AS TEXT) END)", args) + ")"
	}
	if f.Op == OpNeq {
		match = "NOT " + match
	}
	b.conds = append(b.conds, match)
	return nil
}

// cursor is the position after the last event of a page.
type cursor struct {
	ts time.Time
	id string
}

const cursorVersion = "e1"

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + ":" +
		strconv.FormatInt(c.ts.UnixMicro(), 10) + ":" + c.id))
}

// decodeCursor reads a cursor that encode made, and refuses anything else.
func decodeCursor(s string) (cursor, error) {
	bad := opsward.FieldErrorf("cursor", "the cursor is not one this API gave")
	if len(s) > 200 {
		return cursor{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != cursorVersion || !opsward.ValidID(parts[2], IDPrefix) {
		return cursor{}, bad
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || us < 0 || us > 253402300799999999 { // 9999-12-31
		return cursor{}, bad
	}
	return cursor{ts: time.UnixMicro(us).UTC(), id: parts[2]}, nil
}

// build checks q and returns its WHERE clause within tenantID, and the
// cursor position when there is one.
func (s *Store) build(tenantID string, q Query) (*sqlBuilder, error) {
	switch {
	case q.From.IsZero() || q.To.IsZero():
		return nil, opsward.FieldErrorf("from", "a search needs a time range: from and to")
	case !q.To.After(q.From):
		return nil, opsward.FieldErrorf("to", "to must be after from")
	case q.To.Sub(q.From) > MaxRange:
		return nil, opsward.FieldErrorf("to", "a search covers at most %d days; narrow the time range", int(MaxRange/(24*time.Hour)))
	case len(q.Filters) > MaxFilters:
		return nil, opsward.FieldErrorf("filters", "at most %d filters, not %d", MaxFilters, len(q.Filters))
	case utf8.RuneCountInString(q.Text) > MaxFilterValue || !utf8.ValidString(q.Text) || strings.IndexByte(q.Text, 0) >= 0:
		return nil, opsward.FieldErrorf("text", "the text searched for must be valid text of at most %d characters", MaxFilterValue)
	case len(q.SourceID) > 40:
		return nil, opsward.FieldErrorf("source_id", "%q is not a source id", clip(q.SourceID, 50))
	}
	b := &sqlBuilder{pg: s.pg()}
	b.conds = append(b.conds, "tenant_id = "+b.arg(tenantID),
		"ts >= "+b.arg(s.tv(q.From)), "ts < "+b.arg(s.tv(q.To)))
	if q.SourceID != "" {
		b.conds = append(b.conds, "source_id = "+b.arg(q.SourceID))
	}
	if q.Text != "" {
		// An argument a use: SQLite's "?" cannot be named twice.
		b.conds = append(b.conds, "("+b.contains("message", b.arg(q.Text))+" OR "+
			b.contains("original", b.arg(q.Text))+")")
	}
	for i, f := range q.Filters {
		if err := f.compile(b, i); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Search returns a page of the acting tenant's events that match q,
// newest first (ties by id).
func (s *Store) Search(ctx context.Context, q Query) (Page, error) {
	tenantID, err := actorTenant(ctx)
	if err != nil {
		return Page{}, err
	}
	if q.Limit == 0 {
		q.Limit = DefaultPage
	}
	if q.Limit < 0 || q.Limit > MaxPage {
		return Page{}, opsward.FieldErrorf("limit", "a page holds 1 to %d events", MaxPage)
	}
	b, err := s.build(tenantID, q)
	if err != nil {
		return Page{}, err
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, err
		}
		b.conds = append(b.conds, "(ts, id) < ("+b.arg(s.tv(c.ts))+", "+b.arg(c.id)+")")
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, "SELECT "+columnList+" FROM security_events WHERE "+b.where()+
		" ORDER BY ts DESC, id DESC LIMIT "+b.arg(q.Limit+1), b.args...)
	if err != nil {
		return Page{}, queryErr("search", err)
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return Page{}, queryErr("search", err)
	}
	p := Page{Events: evs}
	if len(evs) > q.Limit {
		p.Events = evs[:q.Limit]
		last := p.Events[q.Limit-1]
		p.Next = cursor{ts: last.Time, id: last.ID}.encode()
	}
	return p, nil
}

// queryErr tells a user whose search ran out of time what to do.
func queryErr(what string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &opsward.Error{Code: opsward.ELIMIT, Err: err, Message: fmt.Sprintf(
			"the %s ran longer than %v: narrow the time range or add a filter on an indexed field", what, QueryTimeout)}
	}
	return fmt.Errorf("%s security events: %w", what, err)
}

// Count returns how many of the acting tenant's events match q (its Limit
// and Cursor are ignored).
func (s *Store) Count(ctx context.Context, q Query) (int64, error) {
	tenantID, err := actorTenant(ctx)
	if err != nil {
		return 0, err
	}
	b, err := s.build(tenantID, q)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM security_events WHERE "+b.where(), b.args...).Scan(&n); err != nil {
		return 0, queryErr("count", err)
	}
	return n, nil
}

// Get returns the acting tenant's events with the given ids, in the order
// asked; an id of no event of this tenant is left out. It is how an alert
// shows the events it links to.
func (s *Store) Get(ctx context.Context, ids []string) ([]Event, error) {
	tenantID, err := actorTenant(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) > MaxGet {
		return nil, opsward.FieldErrorf("ids", "at most %d events at once, not %d", MaxGet, len(ids))
	}
	if len(ids) == 0 {
		return nil, nil
	}
	b := &sqlBuilder{pg: s.pg()}
	b.conds = append(b.conds, "tenant_id = "+b.arg(tenantID))
	ps := make([]string, len(ids))
	for i, id := range ids {
		if !opsward.ValidID(id, IDPrefix) {
			return nil, opsward.FieldErrorf(fmt.Sprintf("ids[%d]", i), "%q is not an event id (evt_…)", clip(id, 50))
		}
		ps[i] = b.arg(id)
	}
	b.conds = append(b.conds, "id IN ("+strings.Join(ps, ", ")+")")
	rows, err := s.db.QueryContext(ctx, "SELECT "+columnList+" FROM security_events WHERE "+b.where(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("get security events: %w", err)
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("get security events: %w", err)
	}
	byID := make(map[string]Event, len(evs))
	for _, e := range evs {
		byID[e.ID] = e
	}
	out := make([]Event, 0, len(evs))
	for _, id := range ids {
		if e, ok := byID[id]; ok {
			out = append(out, e)
			delete(byID, id) // an id asked twice is returned once
		}
	}
	return out, nil
}

// LastSeenByHost returns, for each host that sent the acting tenant an
// event since since, when its latest event happened (host names as
// stored). Compliance reads log collection coverage through it.
func (s *Store) LastSeenByHost(ctx context.Context, since time.Time) (map[string]time.Time, error) {
	tenantID, err := actorTenant(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, s.rows.Q("SELECT host_name, max(ts) FROM security_events WHERE tenant_id = ? AND ts >= ? AND host_name <> '' GROUP BY host_name"),
		tenantID, s.tv(since))
	if err != nil {
		return nil, queryErr("last seen", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var host string
		var at time.Time
		if err := rows.Scan(&host, batch.ScanTime(&at)); err != nil {
			return nil, queryErr("last seen", err)
		}
		out[host] = at
	}
	if err := rows.Err(); err != nil {
		return nil, queryErr("last seen", err)
	}
	return out, nil
}
