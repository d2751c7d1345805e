package dispatch_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward/services/dispatch"
)

// SendReportArgs is the payload of one job kind.
type SendReportArgs struct {
	ReportID string `json:"report_id"`
}

// Kind names the job kind.
func (SendReportArgs) Kind() string { return "report.send" }

// Example shows the whole cycle: a typed handler, an enqueue, a worker.
func Example() {
	mr, _ := miniredis.Run()
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()

	client, err := dispatch.NewClient(rdb, dispatch.Config{Prefix: "example"})
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	workers := dispatch.NewWorkers()
	dispatch.AddWorkerFunc(workers, func(ctx context.Context, job *dispatch.Job[SendReportArgs]) error {
		fmt.Printf("tenant %s: sending report %s (attempt %d)\n", job.TenantID, job.Args.ReportID, job.Attempt)
		close(done)
		return nil
	})
	proc, err := dispatch.NewProcessor(client, workers, dispatch.ProcessorConfig{Concurrency: 2})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { proc.Run(ctx); close(stopped) }()

	if _, err := client.Enqueue(ctx, "ten_acme", SendReportArgs{ReportID: "rep_42"}, nil); err != nil {
		panic(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		fmt.Println("timed out")
	}
	cancel()
	<-stopped
	// Output: tenant ten_acme: sending report rep_42 (attempt 1)
}
