package monitoring

import (
	"context"
	"sync"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
)

// monitorCache keeps the monitors this process checks, as of their last
// saved version, so that a check reads no row: the UPDATE that saves its
// result is guarded by the version, and a monitor changed elsewhere (an
// edit, a pause, a check by another worker) fails it and is read again.
// It holds at most maxCached monitors; past that it starts over.
//
// A worker that starts (or starts over) meets every monitor at once: on a
// miss it reads the tenant's monitors in one query (at most fillLimit),
// not one row per check, and other misses of that tenant wait for it.
type monitorCache struct {
	mu     sync.Mutex
	m      map[string]*ent.Monitor
	filled map[string]chan struct{} // tenants read (or being read) whole since the last start over
}

const (
	maxCached = 200_000
	fillLimit = 5_000
)

// getFor is get for a check of tenantID: a miss reads the tenant's
// monitors at once.
func (c *monitorCache) getFor(ctx context.Context, client *ent.Client, tenantID, id string) (*ent.Monitor, error) {
	c.mu.Lock()
	m, ok := c.m[id]
	if ok {
		c.mu.Unlock()
		return m, nil
	}
	if c.filled == nil {
		c.filled = map[string]chan struct{}{}
	}
	done, filling := c.filled[tenantID]
	if !filling {
		done = make(chan struct{})
		c.filled[tenantID] = done
	}
	c.mu.Unlock()
	if !filling {
		c.fill(ctx, client, tenantID)
		close(done)
	} else {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c.get(ctx, client, id)
}

// fill caches the tenant's monitors that are not cached yet. A failure
// only costs the single reads that follow.
func (c *monitorCache) fill(ctx context.Context, client *ent.Client, tenantID string) {
	ms, err := client.Monitor.Query().Where(monitor.TenantID(tenantID)).Order(ent.Asc(monitor.FieldID)).Limit(fillLimit).All(ctx)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(ms) > maxCached {
		c.reset()
	}
	for _, m := range ms {
		// What is cached may be newer than the row (a state not written
		// yet): it stays.
		if _, ok := c.m[m.ID]; !ok {
			c.m[m.ID] = m
		}
	}
}

// reset starts over, under c.mu.
func (c *monitorCache) reset() {
	c.m = make(map[string]*ent.Monitor)
	c.filled = map[string]chan struct{}{}
}

func (c *monitorCache) get(ctx context.Context, client *ent.Client, id string) (*ent.Monitor, error) {
	c.mu.Lock()
	m, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := client.Monitor.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	c.put(m)
	return m, nil
}

func (c *monitorCache) put(m *ent.Monitor) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.reset()
	}
	c.m[m.ID] = m
	c.mu.Unlock()
}

func (c *monitorCache) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// peek returns the cached monitor, if any.
func (c *monitorCache) peek(id string) (*ent.Monitor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.m[id]
	return m, ok
}

// parsedCache keeps what a check would otherwise redo every time for a
// monitor that has not changed: its settings opened and parsed, and its
// state machine decoded. Each entry is keyed by the stored form it came
// from, so that a changed monitor is parsed again.
type parsedCache struct {
	mu sync.Mutex
	m  map[string]*parsed
}

type parsed struct {
	sealed   string // the monitor's sealed settings this was parsed from
	prober   probe.Prober
	settings probe.Settings
	machine  []byte // the stored machine state st was decoded from
	st       noc.MonitorState
}

func (c *parsedCache) entry(id string) *parsed {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]*parsed)
	}
	p := c.m[id]
	if p == nil {
		p = &parsed{}
		c.m[id] = p
	}
	return p
}

func (c *parsedCache) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}
