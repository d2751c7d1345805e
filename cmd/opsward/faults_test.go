package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/tenants"
)

// A worker process is killed (SIGKILL) while it checks monitors every
// second; another takes over. Every slot from the first check to shortly
// after the kill has its result stored, and exactly once: a check whose
// job the dead worker took but never acknowledged runs again, and one
// whose result was already stored is recognised and not stored twice.
func TestWorkerKilledLosesNoResult(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if !testenv.External() {
		t.Skip("a worker in its own process shares Postgres and Redis: runs with OPSWARD_TEST_MODE=external")
	}
	t.Parallel()
	cfg := testConfig(t)
	cfg.EgressAllow = []string{"127.0.0.0/8"}
	env := map[string]string{"OPSWARD_DATA_DIR": cfg.DataDir, "OPSWARD_LOG_LEVEL": "warn", "OPSWARD_DEMO": "off",
		"OPSWARD_DATABASE_URL": cfg.DatabaseURL, "OPSWARD_REDIS_URL": cfg.RedisURL, "OPSWARD_REDIS_PREFIX": cfg.RedisPrefix}
	demo := seedDemoCmd(t, cfg)
	bin := filepath.Join(t.TempDir(), "opsward")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer target.Close()

	// The api and the scheduler in this process; workers apart.
	m := NewMain(cfg, Roles{API: true, Scheduler: true}, io.Discard, testLogWriter{t})
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	// Monitors are made once the scheduler has built its data (a rebuild
	// streaming meanwhile could miss them until the next).
	eventually(t, 20*time.Second, "the scheduler's first build", m.Scheduler.Built)
	acme := demo.Customers[0].ID
	pctx := tenants.Privileged(ctx, "test")
	if _, err := m.Billing.ChangePlan(pctx, acme, billing.PlanEnterprise); err != nil {
		t.Fatal(err)
	}
	name, kind := "fault target", "website"
	asset, err := m.NOC.CreateAsset(pctx, monitoring.AssetInput{TenantID: acme, Name: &name, Kind: &kind})
	if err != nil {
		t.Fatal(err)
	}
	const monitors = 20
	var ids []string
	for i := range monitors {
		n, k, iv := fmt.Sprintf("fault %02d", i), "http", 30*time.Second
		nm, err := m.NOC.CreateMonitor(pctx, monitoring.MonitorInput{AssetID: asset.ID, Name: &n, Kind: &k, Interval: &iv,
			Settings: json.RawMessage(`{"url":"` + target.URL + `/","expected_status":["2xx"]}`)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, nm.Monitor.ID)
		// Every second: the pace the test needs, past the plan's floor.
		payload, _ := json.Marshal(monitoring.CheckArgs{MonitorID: nm.Monitor.ID})
		if _, err := m.Dispatch.UpsertSchedule(ctx, dispatch.Schedule{ID: nm.Monitor.ID, TenantID: acme,
			Kind: monitoring.CheckArgs{}.Kind(), Interval: time.Second, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	var workerEnv []string
	for k, v := range env {
		workerEnv = append(workerEnv, k+"="+v)
	}
	workerEnv = append(workerEnv, "OPSWARD_WORKER_ADDR=127.0.0.1:0", "OPSWARD_EGRESS_ALLOW=127.0.0.0/8",
		"OPSWARD_WORKER_VISIBILITY_TIMEOUT=2s", "OPSWARD_SHUTDOWN_TIMEOUT=5s", "PATH="+os.Getenv("PATH"))
	var logMu sync.Mutex
	var logs bytes.Buffer
	startWorker := func() *exec.Cmd {
		t.Helper()
		w := exec.Command(bin, "worker")
		w.Env = workerEnv
		w.Stderr = writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logs.Write(p) })
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		return w
	}
	defer func() {
		if t.Failed() {
			logMu.Lock()
			t.Logf("worker logs:\n%s", logs.String())
			logMu.Unlock()
		}
	}()
	stored := func() map[string][]string {
		t.Helper()
		rows, err := m.DB.QueryContext(pctx, `SELECT monitor_id, run_id FROM check_results WHERE tenant_id = $1 AND run_id IS NOT NULL`, acme)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string][]string{}
		for rows.Next() {
			var mon, run string
			if err := rows.Scan(&mon, &run); err != nil {
				t.Fatal(err)
			}
			out[mon] = append(out[mon], run)
		}
		return out
	}
	first := startWorker()
	eventually(t, 60*time.Second, "every monitor checked three times", func() bool {
		s := stored()
		for _, id := range ids {
			if len(s[id]) < 3 {
				return false
			}
		}
		return true
	})
	// Killed at a moment unrelated to the writer's batches (the condition
	// above is seen just after one was written).
	time.Sleep(700 * time.Millisecond)
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	killed := time.Now()
	second := startWorker()
	// Past the visibility timeout, so the dead worker's jobs are run again.
	time.Sleep(8 * time.Second)
	second.Process.Signal(syscall.SIGTERM)
	second.Wait()

	cutoff := killed.Add(time.Second).UnixMilli()
	for mon, runs := range stored() {
		seen := map[string]int{}
		var slots []int64
		for _, r := range runs {
			seen[r]++
			if seen[r] == 2 {
				t.Errorf("%s: run %s stored twice", mon, r)
			}
			i := strings.LastIndexByte(r, '@')
			ms, err := strconv.ParseInt(r[i+1:], 10, 64)
			if err != nil {
				t.Fatalf("run id %q carries no slot", r)
			}
			if seen[r] == 1 {
				slots = append(slots, ms)
			}
		}
		sort.Slice(slots, func(i, j int) bool { return slots[i] < slots[j] })
		for i := 1; i < len(slots) && slots[i] <= cutoff; i++ {
			if gap := slots[i] - slots[i-1]; gap != 1000 {
				t.Errorf("%s: slots %d and %d are %d ms apart: a check was lost", mon, slots[i-1], slots[i], gap)
			}
		}
		if len(slots) == 0 || slots[len(slots)-1] < cutoff {
			t.Errorf("%s: no check stored after the kill", mon)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
