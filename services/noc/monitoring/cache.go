package monitoring

import (
	"context"
	"sync"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
)

// monitorCache keeps the monitors this process checks, as of their last
// saved version, so that a check reads no row: the UPDATE that saves its
// result is guarded by the version, and a monitor changed elsewhere (an
// edit, a pause, a check by another worker) fails it and is read again.
// It holds at most maxCached monitors; past that it starts over.
type monitorCache struct {
	mu sync.Mutex
	m  map[string]*ent.Monitor
}

const maxCached = 200_000

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
		c.m = make(map[string]*ent.Monitor)
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
