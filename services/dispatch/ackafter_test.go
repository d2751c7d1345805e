package dispatch_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward/services/dispatch"
)

type durableArgs struct{ N int }

func (durableArgs) Kind() string { return "test.durable" }

// A job done with JobAckAfter frees its worker's slot at once but stays in
// flight until its work is durable, and is acknowledged then.
func TestJobAckAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := realRedis(t, sharedRedis)
	c, _ := testClient(t, rdb, nil)
	var (
		mu      sync.Mutex
		durable = map[int]chan struct{}{}
		ran     = map[int]int{}
	)
	ws := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(ws, func(ctx context.Context, j *dispatch.Job[durableArgs]) error {
		mu.Lock()
		defer mu.Unlock()
		ran[j.Args.N]++
		ch := make(chan struct{})
		durable[j.Args.N] = ch
		return dispatch.JobAckAfter(ch)
	})
	sys := newSystem(t)
	sys.processor(c, ws, dispatch.ProcessorConfig{Concurrency: 1, VisibilityTimeout: 2 * time.Second})
	first, err := c.Enqueue(ctx, "ten_a", durableArgs{N: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Enqueue(ctx, "ten_a", durableArgs{N: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One slot: the second job runs while the first waits for durability.
	waitFor(t, 10*time.Second, "both jobs to run on one slot", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return ran[1] == 1 && ran[2] == 1
	})
	// Past the visibility timeout: still in flight (the heartbeat keeps
	// it), not reclaimed, not run again.
	time.Sleep(3 * time.Second)
	for _, id := range []string{first.ID, second.ID} {
		if st, _ := c.JobState(ctx, "ten_a", id); st != dispatch.StateRunning {
			t.Fatalf("job %s before its work is durable: %s, want running", id, st)
		}
	}
	mu.Lock()
	if ran[1] != 1 || ran[2] != 1 {
		t.Fatalf("runs before durability: %v", ran)
	}
	close(durable[1])
	mu.Unlock()
	waitFor(t, 10*time.Second, "the first job acknowledged", func() bool {
		st, _ := c.JobState(ctx, "ten_a", first.ID)
		return st == dispatch.StateGone
	})
	if st, _ := c.JobState(ctx, "ten_a", second.ID); st != dispatch.StateRunning {
		t.Fatalf("the second job, not yet durable: %s", st)
	}
	mu.Lock()
	close(durable[2])
	mu.Unlock()
	waitFor(t, 10*time.Second, "the second job acknowledged", func() bool {
		st, _ := c.JobState(ctx, "ten_a", second.ID)
		return st == dispatch.StateGone
	})
}
