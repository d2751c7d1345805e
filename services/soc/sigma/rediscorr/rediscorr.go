// Package rediscorr keeps the windows of Sigma correlation rules in Redis,
// so that a correlation whose events are handled by different worker
// processes still fires: it is a sigma.WindowStore, and NewCorrelator gives
// the sigma.Correlator built on it.
//
// Each window (tenant, correlation rule, group) is a sorted set of its
// entries scored by event time, beside a sequence counter that orders
// entries of one instant by arrival and, for value_count, temporal and
// value_percentile, a hash of counts (per value, per rule) kept as entries
// enter and leave, so that those types cost O(log n) per event, not O(n);
// event_count is the set's size; temporal_ordered, value_sum and value_avg
// read the window. One Lua script slides the window, adds the entry,
// evaluates the condition exactly as sigma.CheckWindow does and empties the
// window when it fires, atomically, so that two workers cannot both fire
// on one burst. For events that arrive in time order the results are those
// of sigma.MemoryCorrelator; a late event is placed by its time, where the
// memory correlator keeps arrival order. Keys carry the tenant in a hash tag
// ({t:<tenant>}) so that they spread over a Redis Cluster by tenant, and
// expire a timespan after their last event. Redis holds no truth here:
// losing it loses windows in progress, not alerts already raised.
//
// The package must never keep a window without a tenant: a context that
// carries none is refused.
package rediscorr

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/sigma"
)

// Config configures a Store.
type Config struct {
	// Prefix starts every key (for example "opsward:"); it must not hold
	// a brace, which would move the Redis Cluster hash tag.
	Prefix string
	// MaxEntries bounds the entries kept per window, oldest dropped
	// first, as MemoryCorrelator.MaxEntries does. Default 100,000.
	MaxEntries int
}

// WithDefaults fills unset members.
func (c Config) WithDefaults() Config {
	if c.MaxEntries == 0 {
		c.MaxEntries = 100000
	}
	return c
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	if strings.ContainsAny(c.Prefix, "{}") {
		return opsward.Errorf(opsward.EINVALID, "rediscorr: Prefix %q must not contain a brace (the tenant's hash tag follows it)", c.Prefix)
	}
	if c.MaxEntries < 1 {
		return opsward.Errorf(opsward.EINVALID, "rediscorr: MaxEntries must be positive, got %d", c.MaxEntries)
	}
	return nil
}

// Store is a sigma.WindowStore in Redis. It is safe for concurrent use, in
// one process and across processes.
type Store struct {
	rdb redis.Scripter
	cfg Config
}

var _ sigma.WindowStore = (*Store)(nil)

// New returns a Store on rdb.
func New(rdb redis.Scripter, cfg Config) (*Store, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Store{rdb: rdb, cfg: cfg}, nil
}

// NewCorrelator returns a correlator for the correlation rules (which may
// refer to the detection rules and to each other) with its windows in
// Redis. Its Observe needs the tenant in the context (tenants.NewContext).
func NewCorrelator(correlations, detections []*sigma.Rule, rdb redis.Scripter, cfg Config) (sigma.Correlator, error) {
	s, err := New(rdb, cfg)
	if err != nil {
		return nil, err
	}
	return sigma.NewCorrelator(correlations, detections, s, true)
}

//go:embed window.lua
var windowLua string

var windowScript = redis.NewScript(windowLua)

// Key is the sorted set of a window; its sequence counter is Key+":seq"
// and its counts Key+":agg".
func (s *Store) Key(w sigma.Window) string {
	g := sha256.Sum256([]byte(w.Group))
	return s.cfg.Prefix + "{t:" + w.Tenant + "}:sigma:corr:" + w.Key + ":" + hex.EncodeToString(g[:16])
}

// Add implements sigma.WindowStore. Times are kept to the microsecond.
func (s *Store) Add(ctx context.Context, w sigma.Window, e sigma.WindowEntry) (sigma.WindowResult, error) {
	if w.Tenant == "" {
		return sigma.WindowResult{}, opsward.Errorf(opsward.EUNAUTHORIZED, "rediscorr: a correlation window needs a tenant")
	}
	if strings.ContainsAny(w.Tenant, "{}") {
		return sigma.WindowResult{}, opsward.Errorf(opsward.EINVALID, "rediscorr: tenant %q holds a brace", w.Tenant)
	}
	c := w.Rule.Correlation
	key := s.Key(w)
	span := w.Span.Microseconds()
	// The keys live a timespan after the last event, at least a second.
	ttl := max(w.Span.Milliseconds(), 1000)
	has := "0"
	if e.Has {
		has = "1"
	}
	ts := e.Time.UnixMicro()
	args := []any{
		ts, "(" + strconv.FormatInt(ts-span, 10), s.cfg.MaxEntries, ttl, c.Type, len(c.Rules),
		strconv.Itoa(e.Ref) + "|" + has + "|" + strconv.FormatFloat(e.Num, 'g', -1, 64) + "|" + e.Value,
		len(c.Condition),
	}
	for op, n := range c.Condition {
		args = append(args, op, strconv.FormatFloat(n, 'g', -1, 64))
	}
	res, err := windowScript.Run(ctx, s.rdb, []string{key, key + ":seq", key + ":agg"}, args...).Slice()
	if err != nil {
		return sigma.WindowResult{}, fmt.Errorf("rediscorr: correlation %s: %w", w.Key, err)
	}
	if len(res) == 0 || res[0] != int64(1) {
		return sigma.WindowResult{}, nil
	}
	if len(res) != 4 {
		return sigma.WindowResult{}, fmt.Errorf("rediscorr: correlation %s: unexpected script reply %v", w.Key, res)
	}
	value, err1 := strconv.ParseFloat(fmt.Sprint(res[1]), 64)
	count, ok := res[2].(int64)
	first, err2 := strconv.ParseFloat(fmt.Sprint(res[3]), 64)
	if err1 != nil || !ok || err2 != nil {
		return sigma.WindowResult{}, fmt.Errorf("rediscorr: correlation %s: unexpected script reply %v", w.Key, res)
	}
	return sigma.WindowResult{Fired: true, Value: value, Count: int(count), First: time.UnixMicro(int64(first)).In(e.Time.Location())}, nil
}
