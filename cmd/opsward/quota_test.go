package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opsward/opsward/tenants"
)

// The day's ingest quota outlives Redis: what was admitted is kept in the
// database, and a counter that Redis lost starts again from it, so a
// Redis restart neither hands a tenant a fresh day nor lets one at its
// limit in.
func TestIngestQuotaSurvivesRedis(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	ctx := context.Background()
	pctx := tenants.Privileged(ctx, "test")
	m := s.m
	ingest := func(body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.base+"/ingest/events", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+acme.APIKey.Secret)
		req.Header.Set("Content-Type", "application/x-ndjson")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// Redis loses every ingest counter (the platform's keys, not others').
	loseCounters := func() {
		t.Helper()
		iter := m.Redis.Scan(ctx, 0, m.Redis.Prefix+"ingest:*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) == 0 {
			t.Fatal("no ingest counters in Redis to lose")
		}
		if err := m.Redis.Del(ctx, keys...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	stored := func() int64 {
		t.Helper()
		var n int64
		if err := m.DB.QueryRowContext(pctx, `SELECT bytes FROM ingest_usage WHERE tenant_id = $1`, acme.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := `{"message":"first batch","host":{"name":"h1"}}`
	if code := ingest(first); code != http.StatusAccepted {
		t.Fatalf("first batch: %d", code)
	}
	if err := m.SOC.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if n := stored(); n != int64(len(first)) {
		t.Fatalf("stored %d bytes for the day, want %d", n, len(first))
	}
	loseCounters()
	second := `{"message":"second batch","host":{"name":"h2"}}`
	if code := ingest(second); code != http.StatusAccepted {
		t.Fatalf("second batch: %d", code)
	}
	if err := m.SOC.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if n := stored(); n != int64(len(first)+len(second)) {
		t.Fatalf("stored %d bytes for the day, want %d", n, len(first)+len(second))
	}
	// The tenant reaches its plan's bytes for the day; Redis then forgets.
	plan, err := m.Billing.Plan(pctx, acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.DB.ExecContext(pctx, `UPDATE ingest_usage SET bytes = $1 WHERE tenant_id = $2`, plan.BytesPerDay, acme.ID); err != nil {
		t.Fatal(err)
	}
	loseCounters()
	if code := ingest(`{"message":"over the day's bytes"}`); code != http.StatusTooManyRequests {
		t.Fatalf("a batch over the day's bytes after Redis lost its counters: %d, want 429", code)
	}
}
