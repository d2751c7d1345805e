// Package dispatch is Opsward's job system on Redis: typed jobs with one
// handler per kind, recurring schedules (one per monitor), per-tenant queues
// served in weighted fair order under a per-tenant concurrency cap,
// retries with backoff, a dead-letter queue, and a transactional outbox for
// jobs that must follow a database write.
//
// The roles:
//
//   - Client: enqueue (Enqueue, EnqueueMany, EnqueueTx), schedules
//     (UpsertSchedule, RemoveSchedule), tenant policies (SetTenantPolicy,
//     PauseTenant, ResumeTenant), the dead-letter queue (DeadJobs, RetryDead,
//     PurgeDead) and Rebuild.
//   - Processor: the worker role; runs handlers registered with AddWorker.
//   - Scheduler: the scheduler role; one leader at a time (a lease in Redis)
//     fires schedules, promotes delayed and retried jobs, reclaims jobs of
//     dead workers, and rebuilds Redis from a Source when it finds it empty.
//   - Relay: moves jobs from the dispatch_outbox table into Redis; runs
//     beside the scheduler.
//
// Guarantees: delivery is at least once (a job taken by a worker that dies
// runs again after the visibility timeout), so handlers must be idempotent.
// A schedule slot is fired at most once, by an atomic script, however many
// schedulers run. Every key carries the tenant's hash tag {t:<tenant>} and
// every script touches a single tenant, so the package works on Redis
// Cluster.
//
// What it must never do:
//
//   - Know a domain: it imports no tenants, billing, noc or ent package. Job
//     kinds, handlers, schedules and policies come from outside.
//   - Hold truth: anything in Redis can be rebuilt from the database through
//     a Source (schedules, policies) or the outbox (jobs that follow writes).
//     A job that matters beyond a lost Redis must be derivable from the
//     database.
//   - Let one tenant starve another: a tenant's backlog never delays another
//     tenant's job by more than about one job's service time per worker.
//   - Run a script across tenants, or add a global lock.
package dispatch
