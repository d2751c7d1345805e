package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

func TestRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		at := base.Add(10*time.Hour + 123456*time.Microsecond)
		in := mustEvent(t, e.tenantA, map[string]any{
			FieldTimestamp: at, FieldDataset: "linux.auth", FieldCategory: []string{"authentication"},
			FieldAction: "ssh_login", FieldOutcome: "failure", FieldSeverity: int64(5), FieldCode: "4625",
			FieldHostName: "bastion", FieldUserName: "root", FieldSourceIP: "203.0.113.9",
			FieldDestIP: "10.0.0.1", FieldDestPort: int64(22), FieldExecutable: "/usr/sbin/sshd",
			FieldMessage: "Failed password for root", FieldOriginal: "<38>Mar 28 sshd[1]: Failed password for root",
			"process.pid": int64(1), "big.id": int64(1 << 60), "related.ip": []string{"203.0.113.9", "10.0.0.1"},
			"tls.established": true, "nul": "a\x00b",
		})
		e.write(t, []Event{in})
		// A second write of the same event changes nothing.
		e.write(t, []Event{in})
		got, err := e.store.Get(as(e.tenantA), []string{in.ID})
		if err != nil || len(got) != 1 {
			t.Fatalf("Get = %d events, %v", len(got), err)
		}
		g := got[0]
		if !g.Time.Equal(at) || !g.ReceivedAt.Equal(in.ReceivedAt) || g.ID != in.ID || g.TenantID != e.tenantA {
			t.Errorf("stored %v %v %s %s", g.Time, g.ReceivedAt, g.ID, g.TenantID)
		}
		if *g.Severity != 5 || *g.DestinationPort != 22 || g.SourceIP != "203.0.113.9" || g.SourceID != "key_test" ||
			g.Original != in.Original || g.Message != in.Message || g.Category != "authentication" {
			t.Errorf("stored columns %+v", g)
		}
		// Fields come back whole: the column-only names restored, numbers exact.
		if g.Fields[FieldTimestamp] != at.Format(time.RFC3339Nano) || g.Fields[FieldOriginal] != in.Original ||
			g.Fields["big.id"] != json.Number(fmt.Sprint(int64(1<<60))) || g.Fields["tls.established"] != true ||
			fmt.Sprint(g.Fields["related.ip"]) != "[203.0.113.9 10.0.0.1]" || g.Fields["nul"] != "ab" {
			t.Errorf("stored fields %v", g.Fields)
		}
		if n := e.count(t, "SELECT count(*) FROM security_events"); n != 1 {
			t.Errorf("%d rows after writing one event twice", n)
		}
	})
}

// search runs q as tenant A and returns the ids of every page, newest
// first, checking each page's size.
func search(t *testing.T, e *env, q Query) []string {
	t.Helper()
	var ids []string
	for pages := 0; pages < 1000; pages++ {
		p, err := e.store.Search(as(e.tenantA), q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		if p.Next != "" && len(p.Events) != q.Limit {
			t.Fatalf("a page of %d events with a next page, limit %d", len(p.Events), q.Limit)
		}
		for _, ev := range p.Events {
			ids = append(ids, ev.ID)
		}
		if p.Next == "" {
			return ids
		}
		q.Cursor = p.Next
	}
	t.Fatal("pages never ended")
	return nil
}

func TestSearch(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// 300 events over 300 minutes; every third shares its time with the
		// one before, so that pages break inside ties.
		evs := series(t, e.tenantA, base.Add(-time.Hour), 0, 300, func(i int, m map[string]any) {
			m[FieldTimestamp] = base.Add(-time.Hour).Add(time.Duration(i-i%3/2) * time.Minute)
			m[FieldSeverity] = int64(i % 10)
			m[FieldUserName] = []string{"alice", "bob", "carol"}[i%3]
			m[FieldSourceIP] = fmt.Sprintf("10.0.%d.%d", i%4, i%250)
			m[FieldDestPort] = int64(i % 3 * 1000)
			m["winlog.event_data.TargetUserName"] = fmt.Sprintf("Admin%d", i%5)
			m["process.pid"] = int64(i % 7)
			m["tls.established"] = i%2 == 0
			if i%50 == 0 {
				m[FieldCategory] = []string{"network", "intrusion_detection"}
				m[FieldOriginal] = fmt.Sprintf("ALERT Mimikatz %d", i)
			}
		})
		e.write(t, evs)
		want := func(keep func(i int, ev Event) bool) []string {
			var ids []string
			for i := len(evs) - 1; i >= 0; i-- {
				if keep(i, evs[i]) {
					ids = append(ids, evs[i].ID)
				}
			}
			// Newest first, ties by id descending.
			byTime := map[string]time.Time{}
			for _, ev := range evs {
				byTime[ev.ID] = ev.Time
			}
			for a := 1; a < len(ids); a++ {
				for b := a; b > 0; b-- {
					x, y := ids[b-1], ids[b]
					if byTime[x].Before(byTime[y]) || byTime[x].Equal(byTime[y]) && x < y {
						ids[b-1], ids[b] = y, x
					}
				}
			}
			return ids
		}
		all := Query{From: base.Add(-2 * time.Hour), To: base.Add(10 * time.Hour), Limit: 7}
		with := func(fs ...Filter) Query { q := all; q.Filters = fs; return q }
		for _, c := range []struct {
			name string
			q    Query
			keep func(i int, ev Event) bool
		}{
			{"all", all, func(int, Event) bool { return true }},
			{"column eq", with(Filter{Field: "host.name", Op: OpEq, Value: "web-03"}), func(i int, _ Event) bool { return i%10 == 3 }},
			{"column neq", with(Filter{Field: "user.name", Op: OpNeq, Value: "bob"}), func(i int, _ Event) bool { return i%3 != 1 }},
			{"column in", with(Filter{Field: "user.name", Op: OpIn, Values: []string{"alice", "carol"}}), func(i int, _ Event) bool { return i%3 != 1 }},
			{"column prefix", with(Filter{Field: "source.ip", Op: OpPrefix, Value: "10.0.2."}), func(i int, _ Event) bool { return i%4 == 2 }},
			{"column contains", with(Filter{Field: "message", Op: OpContains, Value: "CONNECTION 29"}), func(i int, _ Event) bool { return i == 29 || i/10 == 29 }},
			{"ip eq canonical", with(Filter{Field: "source.ip", Op: OpEq, Value: "::ffff:10.0.1.5"}), func(i int, _ Event) bool { return i%4 == 1 && i%250 == 5 }},
			{"ip absent", with(Filter{Field: "destination.ip", Op: OpEq, Value: ""}), func(int, Event) bool { return true }},
			{"severity gte", with(Filter{Field: "event.severity", Op: OpGte, Value: "8"}), func(i int, _ Event) bool { return i%10 >= 8 }},
			{"severity range", with(Filter{Field: "event.severity", Op: OpGte, Value: "2"}, Filter{Field: "event.severity", Op: OpLte, Value: "3"}), func(i int, _ Event) bool { return i%10 == 2 || i%10 == 3 }},
			{"port neq", with(Filter{Field: "destination.port", Op: OpNeq, Value: "0"}), func(i int, _ Event) bool { return i%3 != 0 }},
			{"json eq", with(Filter{Field: "winlog.event_data.TargetUserName", Op: OpEq, Value: "Admin3"}), func(i int, _ Event) bool { return i%5 == 3 }},
			{"json neq", with(Filter{Field: "winlog.event_data.TargetUserName", Op: OpNeq, Value: "Admin3"}), func(i int, _ Event) bool { return i%5 != 3 }},
			{"json prefix", with(Filter{Field: "winlog.event_data.TargetUserName", Op: OpPrefix, Value: "Admin"}), func(int, Event) bool { return true }},
			{"json contains", with(Filter{Field: "winlog.event_data.TargetUserName", Op: OpContains, Value: "MIN4"}), func(i int, _ Event) bool { return i%5 == 4 }},
			{"json in", with(Filter{Field: "winlog.event_data.TargetUserName", Op: OpIn, Values: []string{"Admin0", "Admin1"}}), func(i int, _ Event) bool { return i%5 < 2 }},
			{"json number", with(Filter{Field: "process.pid", Op: OpEq, Value: "6"}), func(i int, _ Event) bool { return i%7 == 6 }},
			{"json bool", with(Filter{Field: "tls.established", Op: OpEq, Value: "false"}), func(i int, _ Event) bool { return i%2 == 1 }},
			{"json absent", with(Filter{Field: "no.such.field", Op: OpEq, Value: "x"}), func(int, Event) bool { return false }},
			{"absent neq", with(Filter{Field: "no.such.field", Op: OpNeq, Value: "x"}), func(int, Event) bool { return true }},
			{"list any item", with(Filter{Field: "event.category", Op: OpEq, Value: "intrusion_detection"}), func(i int, _ Event) bool { return i%50 == 0 }},
			{"list first item", with(Filter{Field: "event.category", Op: OpEq, Value: "network"}), func(int, Event) bool { return true }},
			{"text", Query{From: all.From, To: all.To, Limit: 7, Text: "mimikatz"}, func(i int, _ Event) bool { return i%50 == 0 }},
			{"source", Query{From: all.From, To: all.To, Limit: 7, SourceID: "key_other"}, func(int, Event) bool { return false }},
			{"time range", Query{From: base, To: base.Add(time.Hour), Limit: 100}, func(_ int, ev Event) bool {
				return !ev.Time.Before(base) && ev.Time.Before(base.Add(time.Hour))
			}},
			{"filters together", with(Filter{Field: "host.name", Op: OpEq, Value: "web-05"}, Filter{Field: "tls.established", Op: OpEq, Value: "false"},
				Filter{Field: "user.name", Op: OpPrefix, Value: "c"}), func(i int, _ Event) bool { return i%10 == 5 && i%3 == 2 }},
		} {
			got, wantIDs := search(t, e, c.q), want(c.keep)
			if strings.Join(got, ",") != strings.Join(wantIDs, ",") {
				t.Errorf("%s: %d events, want %d (or in another order)", c.name, len(got), len(wantIDs))
			}
			n, err := e.store.Count(as(e.tenantA), c.q)
			if err != nil || n != int64(len(wantIDs)) {
				t.Errorf("%s: Count = %d, %v; want %d", c.name, n, err, len(wantIDs))
			}
		}
		// Get keeps the order asked, drops unknown and repeated ids.
		ids := []string{evs[5].ID, opsward.NewID(IDPrefix), evs[2].ID, evs[5].ID}
		got, err := e.store.Get(as(e.tenantA), ids)
		if err != nil || len(got) != 2 || got[0].ID != evs[5].ID || got[1].ID != evs[2].ID {
			t.Errorf("Get = %d events, %v", len(got), err)
		}
	})
}

// Bad queries are refused with an error that names what is wrong; the
// same on both backends, because the checks run before any SQL.
func TestSearchRefuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ok := Query{From: base, To: base.Add(time.Hour)}
		with := func(f func(q *Query)) Query { q := ok; f(&q); return q }
		filter := func(f Filter) Query {
			return with(func(q *Query) { q.Filters = []Filter{{Field: "host.name", Op: OpEq, Value: "x"}, f} })
		}
		for _, c := range []struct {
			q           Query
			field, text string
		}{
			{Query{}, "from", "time range"},
			{with(func(q *Query) { q.To = q.From }), "to", "after"},
			{with(func(q *Query) { q.From = q.To.Add(-32 * 24 * time.Hour) }), "to", "31 days"},
			{with(func(q *Query) { q.Limit = 101 }), "limit", "1 to 100"},
			{with(func(q *Query) { q.Limit = -1 }), "limit", "1 to 100"},
			{with(func(q *Query) { q.Cursor = "not-a-cursor" }), "cursor", "not one this API gave"},
			{with(func(q *Query) { q.Text = strings.Repeat("x", 257) }), "text", "256"},
			{with(func(q *Query) { q.Filters = make([]Filter, 21) }), "filters", "at most 20"},
			{filter(Filter{Field: "host name", Op: OpEq}), "filters[1].field", `"host name" is not a field name`},
			{filter(Filter{Field: "x') OR 1=1 --", Op: OpEq}), "filters[1].field", "is not a field name"},
			{filter(Filter{Field: "@timestamp", Op: OpEq}), "filters[1].field", "time range"},
			{filter(Filter{Field: "host.name", Op: "like"}), "filters[1].op", `unknown operator "like" for host.name`},
			{filter(Filter{Field: "host.name", Op: OpGte, Value: "a"}), "filters[1].op", "compares numbers"},
			{filter(Filter{Field: "event.severity", Op: OpEq, Value: "high"}), "filters[1].value", "event.severity is a number"},
			{filter(Filter{Field: "event.severity", Op: OpContains, Value: "1"}), "filters[1].op", "is a number"},
			{filter(Filter{Field: "source.ip", Op: OpEq, Value: "10.0.0"}), "filters[1].value", "IP address"},
			{filter(Filter{Field: "user.name", Op: OpIn}), "filters[1].values", "1 to 50 values"},
			{filter(Filter{Field: "user.name", Op: OpEq, Values: []string{"a"}}), "filters[1].values", "go with op in"},
			{filter(Filter{Field: "user.name", Op: OpPrefix}), "filters[1].value", "needs a value"},
			{filter(Filter{Field: "user.name", Op: OpEq, Value: strings.Repeat("u", 257)}), "filters[1].value", "256"},
		} {
			_, err := e.store.Search(as(e.tenantA), c.q)
			var oe *opsward.Error
			if !errors.As(err, &oe) || oe.Code != opsward.EINVALID || oe.Field != c.field || !strings.Contains(oe.Message, c.text) {
				t.Errorf("%+v: %v; want invalid %s saying %q", c.q, err, c.field, c.text)
			}
		}
		for name, ctx := range map[string]context.Context{"no actor": context.Background(), "privileged": system()} {
			if _, err := e.store.Search(ctx, ok); err == nil {
				t.Errorf("search with %s succeeded", name)
			}
			if _, err := e.store.Get(ctx, []string{opsward.NewID(IDPrefix)}); err == nil {
				t.Errorf("Get with %s succeeded", name)
			}
			if _, err := e.store.Count(ctx, ok); err == nil {
				t.Errorf("Count with %s succeeded", name)
			}
		}
		var oe *opsward.Error
		if _, err := e.store.Get(as(e.tenantA), []string{"evt_nope"}); !errors.As(err, &oe) || oe.Field != "ids[0]" {
			t.Errorf("Get of a malformed id: %v", err)
		}
	})
}

func TestDifferentTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		evs := series(t, e.tenantA, base, time.Minute, 20, nil)
		e.write(t, evs)
		q := Query{From: base, To: base.Add(time.Hour)}
		ctxB := as(e.tenantB)
		if p, err := e.store.Search(ctxB, q); err != nil || len(p.Events) != 0 {
			t.Fatalf("tenant B searched %d of A's events (%v)", len(p.Events), err)
		}
		if n, err := e.store.Count(ctxB, q); err != nil || n != 0 {
			t.Fatalf("tenant B counts %d of A's events (%v)", n, err)
		}
		if got, err := e.store.Get(ctxB, []string{evs[0].ID, evs[1].ID}); err != nil || len(got) != 0 {
			t.Fatalf("tenant B got %d of A's events by id (%v)", len(got), err)
		}
		if n, _ := e.store.Count(as(e.tenantA), q); n != 20 {
			t.Fatalf("tenant A counts %d of its events, want 20", n)
		}
		// A cursor of A's pages gives B nothing either.
		p, _ := e.store.Search(as(e.tenantA), Query{From: base, To: base.Add(time.Hour), Limit: 5})
		if pb, err := e.store.Search(ctxB, Query{From: base, To: base.Add(time.Hour), Cursor: p.Next}); err != nil || len(pb.Events) != 0 {
			t.Fatalf("tenant B with A's cursor: %d events (%v)", len(pb.Events), err)
		}
		if !e.pg() {
			return
		}
		// Row-level security alone: raw SQL through the application's
		// pool, with no tenant filter.
		for _, c := range []struct {
			name string
			ctx  context.Context
			want int
		}{{"tenant A", as(e.tenantA), 20}, {"tenant B", ctxB, 0}, {"no actor", context.Background(), 0}} {
			var n int
			if err := e.app.QueryRowContext(c.ctx, "SELECT count(*) FROM security_events").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("%s sees %d events through raw SQL, want %d", c.name, n, c.want)
			}
		}
		// Nor can a partition be named to get around the parent's policy.
		if _, err := e.app.ExecContext(ctxB, "SELECT count(*) FROM security_events_default"); err == nil ||
			!strings.Contains(err.Error(), "permission denied") {
			t.Errorf("reading a partition directly: %v", err)
		}
		_, err := e.app.ExecContext(ctxB, `INSERT INTO security_events (tenant_id, id, ts, received_at)
			VALUES ($1, $2, now(), now())`, e.tenantA, opsward.NewID(IDPrefix))
		if err == nil || !strings.Contains(err.Error(), "row-level security") {
			t.Errorf("tenant B wrote an event of A: %v", err)
		}
		if res, err := e.app.ExecContext(ctxB, "DELETE FROM security_events"); err != nil {
			t.Error(err)
		} else if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("tenant B deleted %d of A's events", n)
		}
	})
}

// A batch is one transaction: a row the database refuses leaves none of
// its batch stored.
func TestBatchIsAtomic(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		evs := series(t, e.tenantA, base, time.Second, 600, nil)
		// Past prepare, so the database refuses it: a dataset too long for
		// its column.
		evs[550].Dataset = strings.Repeat("d", 200)
		if err := e.store.insert(context.Background(), evs); err == nil {
			t.Fatal("a batch with a bad row was written")
		}
		if n := e.count(t, "SELECT count(*) FROM security_events"); n != 0 {
			t.Errorf("%d rows of a failed batch stored", n)
		}
	})
}

func TestRetention(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Five days, one event every 10 minutes, for A and for B. On
		// Postgres they land in the default partition first (their days
		// are far from now), and making the partitions moves them.
		var evs []Event
		for _, ten := range []string{e.tenantA, e.tenantB} {
			evs = append(evs, series(t, ten, base, 10*time.Minute, 5*144, nil)...)
		}
		e.write(t, evs)
		made, err := e.store.EnsurePartitions(system(), base, 5)
		if err != nil {
			t.Fatal(err)
		}
		if e.pg() {
			if made != 5 {
				t.Errorf("made %d partitions, want 5", made)
			}
			if n := e.count(t, "SELECT count(*) FROM security_events_default"); n != 0 {
				t.Errorf("%d events left in the default partition", n)
			}
			// Partitions made at run time belong to the schema owner and
			// are reached only through the parent and its policy.
			var owner string
			if err := e.owner.QueryRow(`SELECT pg_get_userbyid(relowner) FROM pg_class
				WHERE relname = 'security_events_20260330'`).Scan(&owner); err != nil || owner == "opsward_app" {
				t.Errorf("partition owner %q (%v)", owner, err)
			}
			if _, err := e.app.ExecContext(system(), "SELECT count(*) FROM security_events_20260330"); err == nil ||
				!strings.Contains(err.Error(), "permission denied") {
				t.Errorf("reading a new partition directly: %v", err)
			}
		}
		if _, err := e.store.DropBefore(as(e.tenantA), base); err == nil {
			t.Error("a tenant ran retention")
		}
		if _, err := e.store.DeleteTenantBefore(as(e.tenantA), e.tenantA, base); err == nil {
			t.Error("a tenant ran its own retention")
		}
		// The cutoff is inside the third day: Postgres drops two whole days
		// and keeps the third; SQLite deletes the rows up to the cutoff.
		dropped, err := e.store.DropBefore(system(), base.Add(54*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		wantDropped, left := int64(2), 3*144
		if !e.pg() {
			wantDropped, left = 2*54*6, 5*144-54*6
		}
		if dropped != wantDropped {
			t.Errorf("dropped %d, want %d", dropped, wantDropped)
		}
		all := Query{From: base, To: base.Add(5 * 24 * time.Hour)}
		if n, err := e.store.Count(as(e.tenantA), all); err != nil || n != int64(left) {
			t.Errorf("%d events left, want %d (%v)", n, left, err)
		}
		if e.pg() {
			for d := range 5 {
				name := "security_events_" + base.AddDate(0, 0, d).Format("20060102")
				exists := e.count(t, "SELECT count(*) FROM pg_class WHERE relname = ?", name) == 1
				if exists != (d >= 2) {
					t.Errorf("partition %s exists: %v", name, exists)
				}
			}
		}
		// A plan that keeps less: that tenant's events only.
		n, err := e.store.DeleteTenantBefore(system(), e.tenantA, base.Add(96*time.Hour))
		if want := int64(left - 144); err != nil || n != want {
			t.Errorf("DeleteTenantBefore = %d, %v; want %d", n, err, want)
		}
		if n, _ := e.store.Count(as(e.tenantB), all); n != int64(left) {
			t.Errorf("tenant B has %d events after A's retention, want %d", n, left)
		}
	})
}

func TestMaintain(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		now := time.Now().UTC()
		if err := e.store.Maintain(as(e.tenantA), now); err == nil {
			t.Error("a tenant ran the upkeep")
		}
		for range 2 { // idempotent
			if err := e.store.Maintain(system(), now); err != nil {
				t.Fatal(err)
			}
		}
		// Events of today and yesterday go to their partitions.
		e.write(t, series(t, e.tenantA, now.Add(-30*time.Hour), time.Hour, 30, nil))
		if e.pg() {
			if n := e.count(t, "SELECT count(*) FROM security_events_default"); n != 0 {
				t.Errorf("%d recent events in the default partition", n)
			}
			for d := -1; d <= 2; d++ {
				name := "security_events_" + now.AddDate(0, 0, d).Format("20060102")
				if e.count(t, "SELECT count(*) FROM pg_class WHERE relname = ?", name) != 1 {
					t.Errorf("no partition %s", name)
				}
			}
		}
	})
}

// A search that runs out of time says what to do, with a code the edge
// does not hide as internal.
func TestQueryTimeoutError(t *testing.T) {
	t.Parallel()
	err := queryErr("search", fmt.Errorf("read: %w", context.DeadlineExceeded))
	if opsward.ErrorCode(err) != opsward.ELIMIT || !strings.Contains(opsward.ErrorMessage(err), "narrow the time range") {
		t.Errorf("timeout: %v", err)
	}
	if err := queryErr("count", errors.New("connection reset")); opsward.ErrorCode(err) != opsward.EINTERNAL {
		t.Errorf("other failure: %v", err)
	}
}
