package events

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
)

// benchEvent is a Windows logon event of about 1 KiB, the size of a
// typical one, at time at.
func benchEvent(b *testing.B, tenant string, i int64, at time.Time) Event {
	e, err := FromMap(tenant, "key_bench", at, map[string]any{
		FieldTimestamp: at, FieldDataset: "windows.security", FieldCategory: []string{"authentication"},
		FieldAction: "logon-failed", FieldOutcome: "failure", FieldSeverity: int64(i % 10),
		FieldCode: "4625", FieldHostName: fmt.Sprintf("ws-%03d", i%500), FieldUserName: fmt.Sprintf("user%d", i%2000),
		FieldSourceIP: fmt.Sprintf("10.%d.%d.%d", i%8, i%250, i%200), FieldDestIP: "10.0.0.10", FieldDestPort: int64(445),
		FieldExecutable:                    `C:\Windows\System32\lsass.exe`,
		FieldMessage:                       "An account failed to log on.",
		"winlog.channel":                   "Security",
		"winlog.event_data.TargetUserName": fmt.Sprintf("user%d", i%2000),
		"winlog.event_data.LogonType":      "3",
		"winlog.event_data.Status":         "0xc000006d",
		"process.pid":                      int64(i % 4000),
		FieldOriginal: fmt.Sprintf(`{"EventID":4625,"Computer":"ws-%03d.corp.example","Channel":"Security",`+
			`"TargetUserName":"user%d","IpAddress":"10.%d.%d.%d","LogonType":3,"Status":"0xc000006d",`+
			`"SubStatus":"0xc000006a","ProcessName":"C:\\Windows\\System32\\lsass.exe","WorkstationName":"ws-%03d",`+
			`"AuthenticationPackageName":"NTLM","LmPackageName":"-","KeyLength":0,"message":"An account failed to log on."}`,
			i%500, i%2000, i%8, i%250, i%200, i%500),
	})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func benchEnv(b *testing.B) *env {
	u := testenv.PostgresDB(b)
	return newEnv(b, platform.Postgres, platform.Config{DatabaseURL: u, MigrateDatabaseURL: u}.WithDefaults())
}

// BenchmarkWrite compares, on the real Postgres, writing events through
// the Writer (COPY in batches of 1000) with one INSERT a row through the
// same pool and the same privileged path, into today's partition.
func BenchmarkWrite(b *testing.B) {
	e := benchEnv(b)
	day := time.Now().UTC().Truncate(24 * time.Hour)
	if _, err := e.store.EnsurePartitions(system(), day, 2); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	next := func() Event {
		i := seq.Add(1)
		return benchEvent(b, e.tenantA, i, day.Add(time.Duration(i)*time.Millisecond))
	}

	b.Run("copy-batched-1000", func(b *testing.B) {
		w, err := e.store.NewWriter(WriterConfig{BatchSize: 1000, FlushInterval: 100 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ResetTimer()
		for range b.N {
			if err := w.Write(ctx, next()); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})

	b.Run("insert-per-row", func(b *testing.B) {
		ctx := system()
		ps := ""
		for i := range eventColumns {
			ps += fmt.Sprintf(", $%d", i+1)
		}
		q := "INSERT INTO security_events (" + columnList + ") VALUES (" + ps[2:] + ")"
		b.ResetTimer()
		for range b.N {
			ev := next()
			if _, err := e.app.ExecContext(ctx, q, table.Row(&ev, nil)...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkSearch measures one page (100 events, newest first, over seven
// days) of a tenant that holds 100,000 events, beside another tenant's
// 20,000, on the real Postgres.
func BenchmarkSearch(b *testing.B) {
	e := benchEnv(b)
	now := time.Now().UTC()
	from := now.Add(-7 * 24 * time.Hour)
	if _, err := e.store.EnsurePartitions(system(), from, 9); err != nil {
		b.Fatal(err)
	}
	w, err := e.store.NewWriter(WriterConfig{BatchSize: 2000, MaxPending: 20_000})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, t := range []struct {
		id string
		n  int64
	}{{e.tenantA, 100_000}, {e.tenantB, 20_000}} {
		step := 7 * 24 * time.Hour / time.Duration(t.n)
		for i := range t.n {
			if err := w.Write(ctx, benchEvent(b, t.id, i, from.Add(time.Duration(i)*step))); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := e.owner.Exec("ANALYZE security_events"); err != nil {
		b.Fatal(err)
	}
	week := Query{From: from, To: now, Limit: MaxPage}
	with := func(f ...Filter) Query { q := week; q.Filters = f; return q }
	text := week
	text.Text = "ws-123.corp"
	for _, c := range []struct {
		name string
		q    Query
	}{
		{"newest", week},
		{"host-eq", with(Filter{Field: FieldHostName, Op: OpEq, Value: "ws-042"})},
		{"severity-gte", with(Filter{Field: FieldSeverity, Op: OpGte, Value: "9"})},
		{"json-field-eq", with(Filter{Field: "winlog.event_data.TargetUserName", Op: OpEq, Value: "user77"})},
		{"text-contains", text},
	} {
		p, err := e.store.Search(as(e.tenantA), c.q)
		if err != nil || len(p.Events) == 0 {
			b.Fatalf("%s: %d events, %v", c.name, len(p.Events), err)
		}
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				if _, err := e.store.Search(as(e.tenantA), c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("page-10-by-cursor", func(b *testing.B) {
		q := week
		for range 9 {
			p, err := e.store.Search(as(e.tenantA), q)
			if err != nil {
				b.Fatal(err)
			}
			q.Cursor = p.Next
		}
		b.ResetTimer()
		for range b.N {
			if _, err := e.store.Search(as(e.tenantA), q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-20-ids", func(b *testing.B) {
		p, _ := e.store.Search(as(e.tenantA), Query{From: from, To: now, Limit: 20})
		ids := make([]string, len(p.Events))
		for i, ev := range p.Events {
			ids[i] = ev.ID
		}
		b.ResetTimer()
		for range b.N {
			if got, err := e.store.Get(as(e.tenantA), ids); err != nil || len(got) != len(ids) {
				b.Fatal(len(got), err)
			}
		}
	})
	b.Run("count-week", func(b *testing.B) {
		for range b.N {
			if n, err := e.store.Count(as(e.tenantA), week); err != nil || n == 0 {
				b.Fatal(n, err)
			}
		}
	})
}
