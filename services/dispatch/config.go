package dispatch

import (
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opsward/opsward"
)

// Policy is what a tenant's plan buys from the job system. Billing sets it
// with Client.SetTenantPolicy; workers read it on every fetch, so a change
// takes effect without a restart.
type Policy struct {
	// Weight is the tenant's share of worker time relative to other tenants
	// with ready work (weighted fair order). At least 1.
	Weight int
	// MaxConcurrency caps the tenant's jobs in flight across all workers.
	// 0 means no cap.
	MaxConcurrency int
	// Paused stops the tenant's schedules from firing and its ready jobs from
	// being taken (suspension). Jobs stay queued and run after resuming.
	Paused bool
}

// Validate reports a policy that cannot be applied.
func (p Policy) Validate() error {
	if p.Weight < 1 || p.Weight > 10000 {
		return opsward.FieldErrorf("policy.weight", "weight must be between 1 and 10000, got %d", p.Weight)
	}
	if p.MaxConcurrency < 0 {
		return opsward.FieldErrorf("policy.maxConcurrency", "max concurrency must not be negative, got %d", p.MaxConcurrency)
	}
	return nil
}

// Config configures a Client, the handle every role shares.
type Config struct {
	// Prefix starts every key, so that installations (and tests) sharing a
	// Redis stay apart. Default "opsward:dispatch".
	Prefix string
	// Logger receives the package's logs. Default: discard.
	Logger *slog.Logger
	// Registerer receives the metrics. Nil: metrics are kept but not
	// registered anywhere.
	Registerer prometheus.Registerer
	// DefaultPolicy applies to tenants with no policy set. Default weight 1,
	// no cap.
	DefaultPolicy Policy
	// MaxAttempts is the retry limit of jobs that do not set their own.
	// Default 25.
	MaxAttempts int
	// RetryBase and RetryMax bound the exponential backoff between attempts
	// (RetryBase * 2^(attempt-1), capped at RetryMax, with jitter).
	// Defaults 1s and 1h.
	RetryBase, RetryMax time.Duration
}

// WithDefaults returns c with unset fields filled in.
func (c Config) WithDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = "opsward:dispatch"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.DefaultPolicy.Weight == 0 {
		c.DefaultPolicy.Weight = 1
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 25
	}
	if c.RetryBase == 0 {
		c.RetryBase = time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = time.Hour
	}
	return c
}

// Validate names the first setting that is wrong.
func (c Config) Validate() error {
	if c.Prefix == "" || strings.ContainsAny(c.Prefix, "{} ") {
		return opsward.FieldErrorf("dispatch.prefix", "prefix must be non-empty and contain no braces or spaces: %q", c.Prefix)
	}
	if err := c.DefaultPolicy.Validate(); err != nil {
		return opsward.FieldErrorf("dispatch.defaultPolicy", "default policy: %s", opsward.ErrorMessage(err))
	}
	if c.MaxAttempts < 1 {
		return opsward.FieldErrorf("dispatch.maxAttempts", "max attempts must be at least 1, got %d", c.MaxAttempts)
	}
	if c.RetryBase <= 0 || c.RetryMax < c.RetryBase {
		return opsward.FieldErrorf("dispatch.retryBase", "retry base must be positive and not above retry max (%s, %s)", c.RetryBase, c.RetryMax)
	}
	return nil
}

// ProcessorConfig configures the worker role.
type ProcessorConfig struct {
	// Concurrency is the number of jobs run at once by this process.
	// Default 16.
	Concurrency int
	// VisibilityTimeout is how long a job taken by a worker that stops
	// answering stays invisible before it is reclaimed. Running jobs have
	// their deadline extended every third of it. Default 30s.
	VisibilityTimeout time.Duration
	// PollInterval is how often the set of tenants with ready work is read
	// again, and how long an idle worker waits. Default 100ms.
	PollInterval time.Duration
	// ShutdownTimeout is how long running jobs may finish after shutdown
	// begins; the rest are handed back. Default 10s.
	ShutdownTimeout time.Duration
	// FetchBatch caps the jobs taken from one tenant in one round trip.
	// Default 64.
	FetchBatch int
	// OnStart, when set, is called as the first attempt of each job with
	// a due time starts, with how late it starts (the schedule lag that
	// the opsward_dispatch_schedule_lag_seconds histogram counts), on the
	// job's goroutine: per-tenant measurements for benchmarks and tests.
	// It must return quickly.
	OnStart func(row *JobRow, lag time.Duration)
}

// WithDefaults returns c with unset fields filled in.
func (c ProcessorConfig) WithDefaults() ProcessorConfig {
	if c.Concurrency == 0 {
		c.Concurrency = 16
	}
	if c.VisibilityTimeout == 0 {
		c.VisibilityTimeout = 30 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.FetchBatch == 0 {
		c.FetchBatch = 64
	}
	return c
}

// Validate names the first setting that is wrong.
func (c ProcessorConfig) Validate() error {
	switch {
	case c.Concurrency < 1 || c.Concurrency > 10000:
		return opsward.FieldErrorf("worker.concurrency", "concurrency must be between 1 and 10000, got %d", c.Concurrency)
	case c.VisibilityTimeout < 100*time.Millisecond:
		return opsward.FieldErrorf("worker.visibilityTimeout", "visibility timeout must be at least 100ms, got %s", c.VisibilityTimeout)
	case c.PollInterval <= 0:
		return opsward.FieldErrorf("worker.pollInterval", "poll interval must be positive, got %s", c.PollInterval)
	case c.ShutdownTimeout < 0:
		return opsward.FieldErrorf("worker.shutdownTimeout", "shutdown timeout must not be negative, got %s", c.ShutdownTimeout)
	case c.FetchBatch < 1:
		return opsward.FieldErrorf("worker.fetchBatch", "fetch batch must be at least 1, got %d", c.FetchBatch)
	}
	return nil
}

// SchedulerConfig configures the scheduler role.
type SchedulerConfig struct {
	// InstanceID names this scheduler in the lease. Default: a new ID.
	InstanceID string
	// Tick is how often the leader looks for due work. Default 50ms.
	Tick time.Duration
	// LeaseTTL is how long leadership lasts without renewal; a standby takes
	// over at most this long after the leader dies. Default 5s.
	LeaseTTL time.Duration
	// SweepEvery is how often the leader looks at every tenant, not only
	// those its index says are due (a backstop). Default 30s.
	SweepEvery time.Duration
	// IdleRecheck is how long a tenant with nothing pending waits before the
	// scheduler looks at it again. Default 60s.
	IdleRecheck time.Duration
	// BatchLimit caps the entries moved per tenant per step. Default 500.
	BatchLimit int
	// MaxCatchUp caps the missed runs of one schedule fired late in one step
	// (after an outage); older missed runs are skipped. Default 10.
	MaxCatchUp int
	// EphemeralRedis says Redis starts empty on every start (the embedded,
	// in-process Redis): finding no dispatch data at the first look is then
	// expected and logged at info; Redis emptied while running stays a
	// warning.
	EphemeralRedis bool
}

// WithDefaults returns c with unset fields filled in.
func (c SchedulerConfig) WithDefaults() SchedulerConfig {
	if c.InstanceID == "" {
		c.InstanceID = opsward.NewID("sch")
	}
	if c.Tick == 0 {
		c.Tick = 50 * time.Millisecond
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 5 * time.Second
	}
	if c.SweepEvery == 0 {
		c.SweepEvery = 30 * time.Second
	}
	if c.IdleRecheck == 0 {
		c.IdleRecheck = 60 * time.Second
	}
	if c.BatchLimit == 0 {
		c.BatchLimit = 500
	}
	if c.MaxCatchUp == 0 {
		c.MaxCatchUp = 10
	}
	return c
}

// Validate names the first setting that is wrong.
func (c SchedulerConfig) Validate() error {
	switch {
	case c.Tick <= 0:
		return opsward.FieldErrorf("scheduler.tick", "tick must be positive, got %s", c.Tick)
	case c.LeaseTTL < 3*c.Tick || c.LeaseTTL < 300*time.Millisecond:
		return opsward.FieldErrorf("scheduler.leaseTTL", "lease TTL must be at least 300ms and three ticks, got %s", c.LeaseTTL)
	case c.SweepEvery <= 0:
		return opsward.FieldErrorf("scheduler.sweepEvery", "sweep interval must be positive, got %s", c.SweepEvery)
	case c.IdleRecheck <= 0:
		return opsward.FieldErrorf("scheduler.idleRecheck", "idle recheck must be positive, got %s", c.IdleRecheck)
	case c.BatchLimit < 1:
		return opsward.FieldErrorf("scheduler.batchLimit", "batch limit must be at least 1, got %d", c.BatchLimit)
	case c.MaxCatchUp < 1:
		return opsward.FieldErrorf("scheduler.maxCatchUp", "max catch-up must be at least 1, got %d", c.MaxCatchUp)
	}
	return nil
}
