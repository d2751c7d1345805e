package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/testenv"
)

// Postgres terminates the application's backends again and again while
// users query and integrators send events: no answer is "internal error";
// a statement that met a dead connection ran again on a live one.
func TestPostgresBackendsTerminatedUnderLoad(t *testing.T) {
	if !testenv.External() {
		t.Skip("terminates Postgres backends: runs with OPSWARD_TEST_MODE=external")
	}
	t.Parallel()
	s := startAuthServer(t)
	acme := s.demo.Customers[0]
	tok := s.login(t, s.user(t, acme, "admin"), "").AccessToken
	admin, err := sql.Open("pgx", s.m.Config.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	stop := make(chan struct{})
	var killed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(150 * time.Millisecond):
			}
			var n int64
			admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND application_name = 'opsward' AND pid <> pg_backend_pid()`).Scan(&n)
			killed.Add(n)
		}
	}()
	var (
		mu       sync.Mutex
		answers  int
		internal []string
		failed   int
	)
	deadline := time.Now().Add(4 * time.Second)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				var req *http.Request
				if w%2 == 0 {
					body, _ := json.Marshal(map[string]any{"query": `{ monitors(first: 5) { totalCount edges { node { id name } } } alerts(first: 5) { totalCount } }`})
					req, _ = http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+tok)
				} else {
					req, _ = http.NewRequest(http.MethodPost, s.base+"/ingest/events", bytes.NewReader([]byte(`{"message":"under fire","host":{"name":"h"}}`)))
					req.Header.Set("Authorization", "Bearer "+acme.APIKey.Secret)
				}
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var b bytes.Buffer
				b.ReadFrom(res.Body)
				res.Body.Close()
				mu.Lock()
				answers++
				if res.StatusCode >= 300 || bytes.Contains(b.Bytes(), []byte(`"errors"`)) {
					failed++
				}
				if bytes.Contains(b.Bytes(), []byte(`"internal"`)) || bytes.Contains(b.Bytes(), []byte("internal error")) || res.StatusCode == http.StatusInternalServerError {
					internal = append(internal, res.Status+" "+b.String())
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Until(deadline))
	close(stop)
	wg.Wait()
	if killed.Load() == 0 {
		t.Fatal("no backend was terminated; the test would prove nothing")
	}
	t.Logf("%d answers while %d backends were terminated; %d were errors (retryable ones allowed)", answers, killed.Load(), failed)
	for i, a := range internal {
		if i == 5 {
			break
		}
		t.Errorf("an internal error while backends were terminated: %.300s", a)
	}
	if len(internal) > 0 {
		t.Errorf("%d of %d answers were internal errors", len(internal), answers)
	}
}
