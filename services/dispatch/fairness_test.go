package dispatch_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/services/dispatch"
)

func flood(t *testing.T, c *dispatch.Client, tenant string, n int) {
	t.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 5000 {
		var ps []dispatch.EnqueueParams
		for i := start; i < min(start+5000, n); i++ {
			ps = append(ps, dispatch.EnqueueParams{TenantID: tenant, Args: echoArgs{N: i}})
		}
		if _, err := c.EnqueueMany(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
}

// Tenant A floods 50,000 jobs; tenant B's 100 jobs all finish while A's
// backlog is still large.
func TestFairnessFloodDoesNotStarveOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := testClient(t, realRedis(t, sharedRedis), nil)
	var doneA, doneB atomic.Int64
	var aAtB atomic.Int64
	ws := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
		time.Sleep(200 * time.Microsecond) // a little service time
		if j.TenantID == "ten_a" {
			doneA.Add(1)
		} else if doneB.Add(1) == 100 {
			aAtB.Store(doneA.Load())
		}
		return nil
	})
	flood(t, c, "ten_a", 50_000)
	sys := newSystem(t)
	sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 8})
	waitFor(t, 20*time.Second, "A to be under way", func() bool { return doneA.Load() >= 1000 })
	aBefore := doneA.Load()
	bStart := time.Now()
	flood(t, c, "ten_b", 100)
	waitFor(t, 30*time.Second, "B's 100 jobs", func() bool { return doneB.Load() == 100 })
	bTook := time.Since(bStart)
	servedA := aAtB.Load() - aBefore
	depth, _ := c.QueueDepth(ctx, "ten_a")
	t.Logf("B's 100 jobs took %s; A ran %d jobs meanwhile; A's backlog %d", bTook, servedA, depth["test.echo"])
	// Equal weights: while B has work, A gets about as many turns as B.
	if servedA > 400 {
		t.Fatalf("A ran %d jobs while B ran 100; B was not served fairly", servedA)
	}
	if depth["test.echo"] < 40_000 {
		t.Fatalf("A's backlog is %d: B finished only after A drained", depth["test.echo"])
	}
}

// Three saturated tenants with weights 1, 2 and 4 get shares that follow
// their weights within 10%.
func TestFairnessWeightedShares(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := testClient(t, realRedis(t, sharedRedis), nil)
	weights := map[string]int{"ten_w1": 1, "ten_w2": 2, "ten_w4": 4}
	for tn, w := range weights {
		if err := c.SetTenantPolicy(ctx, tn, dispatch.Policy{Weight: w}); err != nil {
			t.Fatal(err)
		}
	}
	const window = 7000
	var mu sync.Mutex
	counts := map[string]int{}
	total := 0
	ws := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
		mu.Lock()
		if total < window {
			counts[j.TenantID]++
			total++
		}
		mu.Unlock()
		return nil
	})
	for tn := range weights {
		flood(t, c, tn, 6000) // more than any tenant's share of the window
	}
	sys := newSystem(t)
	sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 8})
	sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 8})
	waitFor(t, 30*time.Second, "the measuring window", func() bool { mu.Lock(); defer mu.Unlock(); return total >= window })
	mu.Lock()
	defer mu.Unlock()
	for tn, w := range weights {
		want := float64(window) * float64(w) / 7
		got := float64(counts[tn])
		t.Logf("%s weight %d: %d jobs, %.1f%% of its fair share", tn, w, counts[tn], 100*got/want)
		if math.Abs(got-want)/want > 0.10 {
			t.Errorf("%s (weight %d) ran %d of %d jobs; fair share %.0f", tn, w, counts[tn], window, want)
		}
	}
}

// A weight change applies without a restart.
func TestFairnessWeightChangeApplies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := testClient(t, realRedis(t, sharedRedis), nil)
	var mu sync.Mutex
	counts := map[string]int{}
	var total atomic.Int64
	var measuring atomic.Bool
	ws := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[echoArgs]) error {
		if measuring.Load() {
			mu.Lock()
			counts[j.TenantID]++
			mu.Unlock()
		}
		total.Add(1)
		return nil
	})
	flood(t, c, "ten_x", 20000)
	flood(t, c, "ten_y", 20000)
	sys := newSystem(t)
	sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 8})
	waitFor(t, 10*time.Second, "work under way", func() bool { return total.Load() > 500 })
	if err := c.SetTenantPolicy(ctx, "ten_y", dispatch.Policy{Weight: 3}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the change to be seen", func() bool { return total.Load() > 1500 })
	measuring.Store(true)
	start := total.Load()
	waitFor(t, 20*time.Second, "the measuring window", func() bool { return total.Load() > start+4000 })
	measuring.Store(false)
	mu.Lock()
	defer mu.Unlock()
	ratio := float64(counts["ten_y"]) / float64(counts["ten_x"])
	t.Logf("after the change: x %d, y %d (ratio %.2f)", counts["ten_x"], counts["ten_y"], ratio)
	if ratio < 2.7 || ratio > 3.3 {
		t.Fatalf("ratio %.2f after setting weights 1:3", ratio)
	}
}
