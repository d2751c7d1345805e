package main

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// A batch sent with an Idempotency-Key is stored once however often it is
// sent, one after the other or at the same time, and each repeat gets the
// first answer; the key sent with another batch is refused, naming it.
func TestIngestIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	pctx := tenants.Privileged(t.Context(), "test")
	send := func(key, body string) (int, string, string) {
		t.Helper()
		return sendEvents(t, s.base, acme.APIKey.Secret, key, body)
	}
	stored := func() int {
		t.Helper()
		var n int
		if err := s.m.DB.QueryRowContext(pctx, `SELECT count(*) FROM security_events WHERE tenant_id = $1`, acme.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	batch := `{"message":"one","host":{"name":"h"}}` + "\n" + `{"message":"two","host":{"name":"h"}}` + "\n" + `{"message":"three","host":{"name":"h"}}`
	code, first, replayed := send("batch-0001", batch)
	if code != http.StatusAccepted || replayed != "" || !strings.Contains(first, `"accepted":3`) {
		t.Fatalf("first send: %d %s (replayed %q)", code, first, replayed)
	}
	if n := stored(); n != 3 {
		t.Fatalf("%d events stored, want 3", n)
	}
	code, again, replayed := send("batch-0001", batch)
	if code != http.StatusAccepted || again != first || replayed != "true" {
		t.Fatalf("the same batch again: %d %s (replayed %q), want the first answer %s", code, again, replayed, first)
	}
	if n := stored(); n != 3 {
		t.Fatalf("%d events stored after a repeat, want 3", n)
	}
	code, body, _ := send("batch-0001", `{"message":"other"}`)
	if code != http.StatusConflict || !strings.Contains(body, "batch-0001") || !strings.Contains(body, "Idempotency-Key") {
		t.Fatalf("the key with another batch: %d %s, want 409 naming the key and the header", code, body)
	}
	if code, body, _ := send(strings.Repeat("k", 256), batch); code != http.StatusBadRequest || !strings.Contains(body, "255") {
		t.Fatalf("a key of 256 characters: %d %s", code, body)
	}
	// Eight at once with one key: stored once, every answer the same.
	var wg sync.WaitGroup
	answers := make([]string, 8)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, b, _ := send("batch-0002", batch)
			if code != http.StatusAccepted {
				t.Errorf("concurrent send %d: %d %s", i, code, b)
			}
			answers[i] = b
		}()
	}
	wg.Wait()
	if n := stored(); n != 6 {
		t.Fatalf("%d events stored after eight concurrent sends of one batch, want 6", n)
	}
	for i, a := range answers {
		if a != answers[0] {
			t.Errorf("answer %d %s differs from %s", i, a, answers[0])
		}
	}
	// Without a key, as before: each send is stored.
	if code, _, _ := send("", batch); code != http.StatusAccepted || stored() != 9 {
		t.Fatalf("a batch without a key: %d, %d stored", code, stored())
	}
}

// With Redis down, ingest says so: 503 with Retry-After, not "internal
// error".
func TestIngestRedisDownIs503(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	s := startAuthServer(t, func(c *platform.Config) { c.RedisURL = "redis://" + mr.Addr() })
	acme := s.demo.Customers[0]
	mr.Close()
	req, _ := http.NewRequest(http.MethodPost, s.base+"/ingest/events", strings.NewReader(`{"message":"x"}`))
	req.Header.Set("Authorization", "Bearer "+acme.APIKey.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("ingest with Redis down: %d (Retry-After %q), want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
}
