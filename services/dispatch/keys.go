package dispatch

// keyspace names every Redis key of one dispatch installation. Tenant keys
// carry the hash tag {t:<tenant>} so that each tenant lives in one Redis
// Cluster slot and every script stays inside it.
type keyspace struct {
	prefix string
}

// Global indexes. Each is its own key, updated by separate commands.
func (k keyspace) readySet() string { return k.prefix + ":ready" }  // SET of tenants with ready jobs
func (k keyspace) dueIndex() string { return k.prefix + ":due" }    // ZSET tenant -> when the scheduler must look again
func (k keyspace) deadSet() string  { return k.prefix + ":dead" }   // SET of tenants with dead jobs
func (k keyspace) leader() string   { return k.prefix + ":leader" } // scheduler lease
func (k keyspace) epoch() string    { return k.prefix + ":epoch" }  // marker; its absence means Redis lost its data
func (k keyspace) tenantTag(t string) string {
	return k.prefix + ":{t:" + t + "}:"
}

// tenantKeys are the keys of one tenant.
type tenantKeys struct {
	ready, inflight, jobs, attempts, errors, delayed, dead, dedup, sched, scheddef, policy, depth string
}

func (k keyspace) tenant(t string) tenantKeys {
	p := k.tenantTag(t)
	return tenantKeys{
		ready:    p + "ready",    // LIST of job ids
		inflight: p + "inflight", // ZSET job id -> visibility deadline (ms)
		jobs:     p + "jobs",     // HASH job id -> message
		attempts: p + "attempts", // HASH job id -> failed attempts so far
		errors:   p + "errors",   // HASH job id -> last error
		delayed:  p + "delayed",  // ZSET job id -> run at (ms)
		dead:     p + "dead",     // ZSET job id -> died at (ms)
		dedup:    p + "dedup",    // HASH dedup key -> job id
		sched:    p + "sched",    // ZSET schedule id -> next due (ms)
		scheddef: p + "scheddef", // HASH schedule id -> "intervalMs|kind|payload"
		policy:   p + "policy",   // HASH weight, maxc, paused
		depth:    p + "depth",    // HASH kind -> jobs not yet finished
	}
}

func (t tenantKeys) all() []string {
	return []string{t.ready, t.inflight, t.jobs, t.attempts, t.errors, t.delayed, t.dead, t.dedup, t.sched, t.scheddef, t.policy, t.depth}
}
