package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
)

// sendEvents posts an ingest batch (NDJSON) with an API key and an
// Idempotency-Key (empty: none) and returns the status, the answer and
// its Idempotent-Replayed header.
func sendEvents(t *testing.T, base, secret, key, body string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/ingest/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/x-ndjson")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, "", ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b)), res.Header.Get("Idempotent-Replayed")
}

// usageSum is a tenant's recorded quantity of one meter, and its events.
func usageSum(t *testing.T, db *sql.DB, q func(string) string, tenantID string, m billing.Meter) (sum, n int64) {
	t.Helper()
	if err := db.QueryRowContext(tenants.Privileged(t.Context(), "test"), q(`SELECT coalesce(sum(quantity), 0), count(*)
		FROM usage_events WHERE tenant_id = ? AND meter = ?`), tenantID, string(m)).Scan(&sum, &n); err != nil {
		t.Fatal(err)
	}
	return sum, n
}

func pgq(s string) string {
	for i := 1; strings.Contains(s, "?"); i++ {
		s = strings.Replace(s, "?", fmt.Sprintf("$%d", i), 1)
	}
	return s
}

// Ingest meters what it stores, once: a keyed batch sent again, the same
// key sent eight times at once, unkeyed batches each time; the events and
// bytes recorded equal a count of the stored events and of the bytes sent.
func TestIngestMetersOnce(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	lines := []string{`{"message":"one","host":{"name":"h"}}`, `{"message":"two","user":{"name":"ü"}}`, `{"message":"three"}`}
	body := strings.Join(lines, "\n")
	size := int64(0)
	for _, l := range lines {
		size += int64(len(l))
	}
	for range 2 {
		if code, b, _ := sendEvents(t, s.base, acme.APIKey.Secret, "meter-1", body); code != http.StatusAccepted {
			t.Fatalf("keyed send: %d %s", code, b)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if code, b, _ := sendEvents(t, s.base, acme.APIKey.Secret, "meter-2", body); code != http.StatusAccepted {
				t.Errorf("concurrent keyed send: %d %s", code, b)
			}
		})
	}
	wg.Wait()
	for range 2 {
		if code, b, _ := sendEvents(t, s.base, acme.APIKey.Secret, "", body); code != http.StatusAccepted {
			t.Fatalf("unkeyed send: %d %s", code, b)
		}
	}
	// A refused batch meters nothing.
	if code, _, _ := sendEvents(t, s.base, acme.APIKey.Secret, "", body+"\nnot json"); code != http.StatusBadRequest {
		t.Fatalf("a bad batch: %d, want 400", code)
	}
	q := func(s string) string { return s }
	if s.m.DB.Dialect == "postgres" {
		q = pgq
	}
	var stored int64
	if err := s.m.DB.QueryRowContext(tenants.Privileged(t.Context(), "test"), q(`SELECT count(*) FROM security_events WHERE tenant_id = ?`), acme.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	evs, _ := usageSum(t, s.m.DB.DB, q, acme.ID, billing.MeterSecurityEvents)
	bytes, _ := usageSum(t, s.m.DB.DB, q, acme.ID, billing.MeterSecurityBytes)
	if stored != 4*3 || evs != stored {
		t.Errorf("%d events stored, %d metered; want 12 and 12 (one keyed batch, the concurrent one, two unkeyed)", stored, evs)
	}
	if bytes != 4*size {
		t.Errorf("%d bytes metered, want %d (four batches of %d bytes of events)", bytes, 4*size, size)
	}
	// The current period's usage reads what was metered at once (its
	// price version charges security_bytes).
	if err := s.m.closeBillingPeriods(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	cur, _, err := s.m.Ledger.CurrentUsage(tenants.Privileged(t.Context(), "test"), acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range cur {
		if u.Meter == billing.MeterSecurityBytes {
			found = true
			if u.Quantity != bytes {
				t.Errorf("current usage of security_bytes %d, want the %d metered", u.Quantity, bytes)
			}
		}
	}
	if !found {
		t.Errorf("current usage %v has no security_bytes", cur)
	}
}

// failingCounter fails every count, as a crash between the work and its
// metering would.
type failingCounter struct{}

func (failingCounter) AddTx(context.Context, batch.Tx, []billing.UsageEvent) error {
	return errors.New("metering is down")
}

// Check results meter check_runs in their own transaction: the results
// a write added, once, whether a batch is written again or twice at the
// same time; when the metering fails, the results are not stored either,
// and the writer's retry stores both. The recorded quantities equal a
// count of the stored results per tenant.
func TestCheckRunsMeteredWithResults(t *testing.T) {
	t.Parallel()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		d := testenv.Migrated(t, b)
		tenA, tenB := opsward.NewID(opsward.PrefixTenant), opsward.NewID(opsward.PrefixTenant)
		d.AddTenants(t, tenA, tenB)
		ctx := testenv.System("test: metering")
		usage := billing.NewUsageStore(d.App)
		st := results.New(d.App, nil)
		st.Meter(usage)
		at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		batchOf := func(tenant string, from, n int) []results.Result {
			out := make([]results.Result, n)
			for i := range out {
				out[i] = results.Result{TenantID: tenant, MonitorID: fmt.Sprintf("mon_%d", (from+i)%5),
					CheckedAt: at.Add(time.Duration(from+i) * time.Second), Status: probe.StatusUp}
			}
			return out
		}
		w, err := st.NewWriter(results.WriterConfig{BatchSize: 500, FlushInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		write := func(rs []results.Result) {
			t.Helper()
			for _, r := range rs {
				if err := w.Write(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		write(append(batchOf(tenA, 0, 1200), batchOf(tenB, 0, 30)...))
		// The same results again, with a few new ones: only those count.
		write(append(batchOf(tenA, 1000, 210), batchOf(tenB, 0, 30)...))
		// The same batch written by two writers at once counts once.
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				w2, err := st.NewWriter(results.WriterConfig{})
				if err != nil {
					t.Error(err)
					return
				}
				for _, r := range batchOf(tenB, 100, 400) {
					w2.Write(ctx, r)
				}
				if err := w2.Close(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		// Metering down: the batch fails whole and nothing is stored.
		st.Meter(nil)
		st.OnAdded(results.MeterCheckRuns(failingCounter{}))
		for _, r := range batchOf(tenA, 5000, 50) {
			w.Write(ctx, r)
		}
		if err := w.Flush(ctx); err == nil {
			t.Fatal("a write whose metering failed succeeded")
		}
		count := func(tenant string) int64 {
			var n int64
			if err := d.Owner.QueryRow(d.Q(`SELECT count(*) FROM check_results WHERE tenant_id = ?`), tenant).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(tenA); n != 1210 {
			t.Fatalf("tenant A has %d results after a failed metering, want 1210", n)
		}
		// Metering back: the writer's retry stores the results and their usage.
		st.Meter(usage)
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
		for tenant, want := range map[string]int64{tenA: 1260, tenB: 430} {
			raw := count(tenant)
			got, _ := usageSum(t, d.App.DB, d.Q, tenant, billing.MeterCheckRuns)
			if raw != want || got != raw {
				t.Errorf("%s: %d results stored, %d check runs metered; want %d and %d", tenant, raw, got, want, want)
			}
		}
		// One usage event per tenant and minute, not per write or result.
		if _, n := usageSum(t, d.App.DB, d.Q, tenA, billing.MeterCheckRuns); n > 2 {
			t.Errorf("tenant A has %d usage events, want one per minute of writes", n)
		}
	})
}

// A keyed ingest batch meters in its own transaction: when metering
// fails nothing is stored; the events a write added are metered once.
func TestEventsMeteredInTheBatchTransaction(t *testing.T) {
	t.Parallel()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) {
		d := testenv.Migrated(t, b)
		tenA := opsward.NewID(opsward.PrefixTenant)
		d.AddTenants(t, tenA)
		ctx := testenv.AsTenant(tenA)
		st := events.New(d.App, nil)
		now := time.Now().UTC()
		evs := make([]events.Event, 20)
		size := int64(0)
		for i := range evs {
			e, err := events.FromMap(tenA, "src", now, map[string]any{"message": fmt.Sprintf("event %d", i), "@timestamp": now.Add(-time.Duration(i) * time.Minute).Format(time.RFC3339Nano)})
			if err != nil {
				t.Fatal(err)
			}
			e.Size = int64(100 + i)
			size += e.Size
			evs[i] = e
		}
		insert := func(evs []events.Event) error {
			tx, err := d.App.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := st.InsertTx(ctx, tx, evs); err != nil {
				return err
			}
			return tx.Commit()
		}
		st.OnAdded(events.MeterIngest(failingCounter{}))
		if err := insert(evs); err == nil {
			t.Fatal("a batch whose metering failed was stored")
		}
		st.OnAdded(events.MeterIngest(billing.NewUsageStore(d.App)))
		if err := insert(evs[:10]); err != nil {
			t.Fatal(err)
		}
		if err := insert(evs); err != nil { // ten again, ten new
			t.Fatal(err)
		}
		var raw int64
		if err := d.Owner.QueryRow(d.Q(`SELECT count(*) FROM security_events WHERE tenant_id = ?`), tenA).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		n, _ := usageSum(t, d.App.DB, d.Q, tenA, billing.MeterSecurityEvents)
		by, _ := usageSum(t, d.App.DB, d.Q, tenA, billing.MeterSecurityBytes)
		if raw != 20 || n != raw || by != size {
			t.Errorf("%d events stored, %d and %d bytes metered; want 20, 20 and %d", raw, n, by, size)
		}
	})
}

// A customer reaching 80% and then 100% of an included allowance (the
// default book's five compliance reports) is warned once at each through
// its notification channel, however often the job runs.
func TestAllowanceWarningsThroughChannels(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t, func(c *platform.Config) { c.EgressAllow = []string{"127.0.0.0/8"} })
	acme := s.demo.Customers[0]
	const secret = "whsec_allowance_0123456789"
	hookURL, hooks := startHookReceiver(t, secret)
	tok := s.login(t, s.user(t, acme, "admin"), "")
	isoMust(t, s.base, isoActor{Name: "acme admin", Auth: "Bearer " + tok.AccessToken},
		`mutation($in: NotificationChannelInput!) { createNotificationChannel(input: $in) { notificationChannel { id } userErrors { message } } }`,
		map[string]any{"in": map[string]any{"name": "billing hook", "kind": "webhook",
			"config": map[string]any{"url": hookURL, "secret": secret}}})
	ctx := t.Context()
	// The accounts exist once the period-close job has run.
	if err := s.m.closeBillingPeriods(ctx, nil); err != nil {
		t.Fatal(err)
	}
	sys := tenants.Privileged(ctx, "test: the compliance service")
	// The scheduler's first round makes last month's two compliance
	// reports of every customer (ISO 27001 and SOC 2), metered too: wait
	// for acme's, and count from them.
	var kept int
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if err := s.m.DB.QueryRowContext(sys, s.m.DB.Q(`SELECT count(*) FROM compliance_reports WHERE tenant_id = ?`), acme.ID).Scan(&kept); err != nil {
			t.Fatal(err)
		}
		if kept >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acme has %d of last month's two compliance reports after 90 s", kept)
		}
	}
	base, _ := usageSum(t, s.m.DB.DB, s.m.DB.Q, acme.ID, billing.MeterComplianceReports)
	if base != 2 {
		t.Fatalf("the monthly reports metered %d, want 2", base)
	}
	made := 0
	report := func(n int) {
		t.Helper()
		for range n {
			made++
			if err := s.m.Ledger.Usage().ReportGenerated(sys, nil, acme.ID, fmt.Sprintf("rpt_test_%d", made), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	warn := func() {
		t.Helper()
		if err := s.m.warnAllowances(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	report(1)
	warn()
	report(1) // 2 monthly + 2: 4 of 5, 80%
	warn()
	warn()
	got := waitHook(t, hooks)
	if got["severity"] != "medium" || !strings.Contains(fmt.Sprint(got["title"]), "80%") || !strings.Contains(fmt.Sprint(got["summary"]), "4 of 5") {
		t.Fatalf("the 80%% warning: %v", got)
	}
	report(2) // 6 of 5
	warn()
	got = waitHook(t, hooks)
	if got["severity"] != "high" || !strings.Contains(fmt.Sprint(got["summary"]), "6 of 5") {
		t.Fatalf("the 100%% warning: %v", got)
	}
	warn()
	select {
	case m := <-hooks:
		t.Fatalf("a warning sent again: %v", m)
	case <-time.After(2 * time.Second):
	}
}
