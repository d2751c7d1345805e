package billing

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// Pages of the price book and of usage histories.
const (
	DefaultPage = 20
	MaxPage     = 100
)

// PageArgs asks for a page of a list, Relay style: the First items after
// After, or the Last items before Before. After and Before are cursors
// this package gave ("" for none); First and Last are nil when not given.
// With neither First nor Last, a page holds DefaultPage items.
type PageArgs struct {
	First, Last   *int
	After, Before string
	// Count asks for the number of items in the whole list (TotalCount).
	Count bool
}

// Page is one page of a list, in the list's order, and the cursor of
// each item.
type Page[T any] struct {
	Items   []T
	Cursors []string
	// HasNext: items follow the page (known when paging forwards);
	// HasPrevious: items precede it (known when paging backwards).
	HasNext, HasPrevious bool
	// TotalCount is the number of items in the whole list, when asked for.
	TotalCount int
}

// pageQuery is PageArgs checked: the limit and direction of the read and
// the decoded positions.
type pageQuery struct {
	limit         int
	backward      bool
	after, before []any // positions; nil: none
}

// checkPage checks args against the list whose cursors are bound to
// scope, and decodes their cursors into positions of the given shape.
func checkPage(args PageArgs, scope, shape string) (pageQuery, error) {
	var q pageQuery
	for _, a := range []struct {
		name string
		v    *int
	}{{"first", args.First}, {"last", args.Last}} {
		if a.v != nil && (*a.v < 0 || *a.v > MaxPage) {
			return q, opsward.FieldErrorf(a.name, "%s must be between 0 and %d, got %d", a.name, MaxPage, *a.v)
		}
	}
	switch {
	case args.First != nil && args.Last != nil:
		return q, opsward.FieldErrorf("last", "ask for first or last, not both")
	case args.Last != nil:
		q.limit, q.backward = *args.Last, true
	case args.First != nil:
		q.limit = *args.First
	default:
		q.limit = DefaultPage
	}
	var err error
	if args.After != "" {
		if q.after, err = decodeCursor(args.After, scope, shape); err != nil {
			return q, opsward.FieldErrorf("after", "%s", opsward.ErrorMessage(err))
		}
	}
	if args.Before != "" {
		if q.before, err = decodeCursor(args.Before, scope, shape); err != nil {
			return q, opsward.FieldErrorf("before", "%s", opsward.ErrorMessage(err))
		}
	}
	return q, nil
}

// cursorVersion starts every cursor of this package.
const cursorVersion = "b1"

// pageScope binds cursors to one list as one tenant sees it: the kind of
// list, the acting tenant and the list's parameters. A cursor of another
// list, or of the same list for another tenant, is refused. A cursor only
// says where a page starts: what a page may hold is decided by the
// actor's reach, whatever the cursor says.
func pageScope(ctx context.Context, kind string, params ...string) (string, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(strings.Join(append([]string{kind, a.TenantID}, params...), "\x00")))
	return base64.RawURLEncoding.EncodeToString(h[:9]), nil
}

// encodeCursor is the cursor of the item at pos in the list of scope.
func encodeCursor(scope string, pos ...any) string {
	b, _ := json.Marshal(append([]any{cursorVersion, scope}, pos...))
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor that encodeCursor made for scope, whose
// values have the shape given: one letter a value, s for a string, i for
// an integer in [0, 2^31).
func decodeCursor(s, scope, shape string) ([]any, error) {
	bad := opsward.Errorf(opsward.EINVALID, "the cursor is not one this API gave for this list: start again without it")
	if len(s) > 400 {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var vs []any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&vs); err != nil || len(vs) != len(shape)+2 || vs[0] != cursorVersion || vs[1] != scope {
		return nil, bad
	}
	out := vs[2:]
	for i, v := range out {
		switch v := v.(type) {
		case string:
			if shape[i] != 's' || len(v) > 100 {
				return nil, bad
			}
		case json.Number:
			x, err := v.Int64()
			if shape[i] != 'i' || err != nil || x < 0 || x >= 1<<31 {
				return nil, bad
			}
			out[i] = x
		default:
			return nil, bad
		}
	}
	return out, nil
}

// finishPage trims rows read with one more than the limit into the page, in
// the list's order.
func finishPage[T any](q pageQuery, items []T, cursors []string) Page[T] {
	p := Page[T]{Items: items, Cursors: cursors}
	if len(p.Items) > q.limit {
		p.Items, p.Cursors = p.Items[:q.limit], p.Cursors[:q.limit]
		if q.backward {
			p.HasPrevious = true
		} else {
			p.HasNext = true
		}
	}
	if q.backward {
		slices.Reverse(p.Items)
		slices.Reverse(p.Cursors)
	}
	if p.Items == nil {
		p.Items, p.Cursors = []T{}, []string{}
	}
	return p
}

// collate makes text compare byte by byte on Postgres, as on SQLite, so
// that a list has one order whatever the database's locale.
func (l *Ledger) collate(col string) string {
	if l.usage.dialect == platform.Postgres {
		return col + ` COLLATE "C"`
	}
	return col
}

// BookPage is a page of the price book of the provider in ctx
// (billing:read), by plan then version. A customer sees only the versions
// its own account was or is on: the provider's book may hold other
// customers' contracted prices.
func (l *Ledger) BookPage(ctx context.Context, args PageArgs) (Page[PriceVersion], error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return Page[PriceVersion]{}, err
	}
	a, err := tenants.Require(ctx)
	if err != nil {
		return Page[PriceVersion]{}, err
	}
	scope, err := pageScope(ctx, "price_book")
	if err != nil {
		return Page[PriceVersion]{}, err
	}
	q, err := checkPage(args, scope, "si")
	if err != nil {
		return Page[PriceVersion]{}, err
	}
	rctx, where, wargs := ctx, "tenant_id = ?", []any{a.TenantID}
	if !a.Provider {
		rctx = tenants.Privileged(ctx, "billing: the versions of the acting tenant's own account")
		where = "id IN (SELECT version_id FROM subscription_phases WHERE tenant_id = ?)"
	}
	plan := l.collate("plan_id")
	var total int
	if args.Count {
		if err := l.db.QueryRowContext(rctx, l.q("SELECT count(*) FROM price_versions WHERE "+where), wargs...).Scan(&total); err != nil {
			return Page[PriceVersion]{}, storeErr(err)
		}
	}
	cond, cargs := where, slices.Clone(wargs)
	if q.after != nil {
		cond += fmt.Sprintf(" AND (%s > ? OR (plan_id = ? AND version > ?))", plan)
		cargs = append(cargs, q.after[0], q.after[0], q.after[1])
	}
	if q.before != nil {
		cond += fmt.Sprintf(" AND (%s < ? OR (plan_id = ? AND version < ?))", plan)
		cargs = append(cargs, q.before[0], q.before[0], q.before[1])
	}
	dir := "ASC"
	if q.backward {
		dir = "DESC"
	}
	rows, err := l.db.QueryContext(rctx, l.q(fmt.Sprintf("SELECT doc FROM price_versions WHERE %s ORDER BY %s %s, version %s LIMIT %d",
		cond, plan, dir, dir, q.limit+1)), cargs...)
	if err != nil {
		return Page[PriceVersion]{}, storeErr(err)
	}
	vs, err := scanVersions(rows)
	if err != nil {
		return Page[PriceVersion]{}, err
	}
	cursors := make([]string, len(vs))
	for i, v := range vs {
		cursors[i] = encodeCursor(scope, v.PlanID, v.Version)
	}
	p := finishPage(q, vs, cursors)
	p.TotalCount = total
	return p, nil
}

// historyBounds checks a usage history's range and returns it, from
// truncated to its UTC day.
func historyBounds(from, to time.Time) (time.Time, time.Time, error) {
	from, to = from.UTC().Truncate(24*time.Hour), to.UTC()
	if !to.After(from) {
		return from, to, opsward.FieldErrorf("to", "to must be after from")
	}
	if to.Sub(from) > maxHistoryDays*24*time.Hour {
		return from, to, opsward.FieldErrorf("to", "a usage history covers at most %d days", maxHistoryDays)
	}
	return from, to, nil
}

// UsageHistoryPage is a page of a tenant's usage per UTC day and meter in
// [from, to), by day then meter (billing:read, a tenant in the actor's
// reach). The days are summed by the database and the page read with a
// limit.
func (l *Ledger) UsageHistoryPage(ctx context.Context, tenantID string, from, to time.Time, args PageArgs) (Page[DailyUsage], error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingRead); err != nil {
		return Page[DailyUsage]{}, err
	}
	from, to, err := historyBounds(from, to)
	if err != nil {
		return Page[DailyUsage]{}, err
	}
	if err := l.inReach(ctx, tenantID); err != nil {
		return Page[DailyUsage]{}, err
	}
	scope, err := pageScope(ctx, "usage_history", tenantID, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	if err != nil {
		return Page[DailyUsage]{}, err
	}
	q, err := checkPage(args, scope, "is")
	if err != nil {
		return Page[DailyUsage]{}, err
	}
	pctx := tenants.Privileged(ctx, "billing: usage of a tenant in reach")
	var total int
	if args.Count {
		if total, err = l.usage.countDays(pctx, tenantID, from, to); err != nil {
			return Page[DailyUsage]{}, err
		}
	}
	days, err := l.usage.days(pctx, tenantID, from, to, q)
	if err != nil {
		return Page[DailyUsage]{}, err
	}
	cursors := make([]string, len(days))
	for i, d := range days {
		cursors[i] = encodeCursor(scope, d.Day.Unix()/86400, string(d.Meter))
	}
	p := finishPage(q, days, cursors)
	p.TotalCount = total
	return p, nil
}

// dayExpr is the UTC day number (days since 1970-01-01) of occurred_at.
func (s *UsageStore) dayExpr() string {
	if s.dialect == platform.Postgres {
		return "CAST(floor(extract(epoch FROM occurred_at) / 86400) AS bigint)"
	}
	return "(occurred_at / 86400000000)" // Unix microseconds
}

// meterCol is the meter column compared byte by byte on both databases.
func (s *UsageStore) meterCol() string {
	if s.dialect == platform.Postgres {
		return `meter COLLATE "C"`
	}
	return "meter"
}

// dayStart is the first instant of day number d, as the dialect stores it.
func (s *UsageStore) dayStart(d int64) any { return s.tv(time.Unix(d*86400, 0)) }

// countDays counts the (day, meter) pairs of a tenant's usage in [from, to).
func (s *UsageStore) countDays(ctx context.Context, tenantID string, from, to time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 AS one FROM usage_events
		WHERE tenant_id = ? AND occurred_at >= ? AND occurred_at < ? GROUP BY %s, meter) AS g`, s.dayExpr())),
		tenantID, s.tv(from), s.tv(to)).Scan(&n)
	return n, storeErr(err)
}

// days sums a tenant's usage in [from, to) per UTC day and meter, the
// page q asks for (limit+1 rows, so that the caller knows whether more
// follow; q.limit < 0: every row, by day then meter).
func (s *UsageStore) days(ctx context.Context, tenantID string, from, to time.Time, q pageQuery) ([]DailyUsage, error) {
	cond, args := "tenant_id = ? AND occurred_at >= ? AND occurred_at < ?", []any{tenantID, s.tv(from), s.tv(to)}
	meter := s.meterCol()
	// A position (day d, meter m) bounds the rows before they are summed:
	// the days after d, or day d with the meters after m.
	if q.after != nil {
		d, m := q.after[0].(int64), q.after[1]
		cond += fmt.Sprintf(" AND (occurred_at >= ? OR (occurred_at >= ? AND %s > ?))", meter)
		args = append(args, s.dayStart(d+1), s.dayStart(d), m)
	}
	if q.before != nil {
		d, m := q.before[0].(int64), q.before[1]
		cond += fmt.Sprintf(" AND (occurred_at < ? OR (occurred_at < ? AND %s < ?))", meter)
		args = append(args, s.dayStart(d), s.dayStart(d+1), m)
	}
	dir := "ASC"
	if q.backward {
		dir = "DESC"
	}
	query := fmt.Sprintf(`SELECT %s AS day, meter, count(*), CAST(coalesce(sum(quantity), 0) AS bigint), CAST(coalesce(max(quantity), 0) AS bigint)
		FROM usage_events WHERE %s GROUP BY %s, meter ORDER BY day %s, %s %s`, s.dayExpr(), cond, s.dayExpr(), dir, meter, dir)
	if q.limit >= 0 {
		query += fmt.Sprintf(" LIMIT %d", q.limit+1)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, storeErr(err)
	}
	return scanDays(rows)
}

func scanDays(rows *sql.Rows) ([]DailyUsage, error) {
	defer rows.Close()
	var out []DailyUsage
	for rows.Next() {
		var d DailyUsage
		var day int64
		var meter string
		if err := rows.Scan(&day, &meter, &d.Events, &d.Quantity, &d.Max); err != nil {
			return nil, storeErr(err)
		}
		d.Day, d.Meter = time.Unix(day*86400, 0).UTC(), Meter(meter)
		out = append(out, d)
	}
	return out, storeErr(rows.Err())
}
