package monitoring

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward/ent"
)

// Events carries monitor and incident changes to GraphQL subscribers in
// every API process, through Redis pub/sub on one channel per tenant.
// Delivery is best effort: a subscriber that misses a message reads the
// current state on its next query; nothing is lost from the database.
type Events struct {
	rdb    redis.UniversalClient
	prefix string
	log    *slog.Logger
}

// NewEvents returns the event bus.
func NewEvents(rdb redis.UniversalClient, prefix string, log *slog.Logger) *Events {
	return &Events{rdb: rdb, prefix: prefix, log: log}
}

type eventKind string

const (
	eventMonitor  eventKind = "monitor"
	eventIncident eventKind = "incident"
)

// event names what changed; subscribers read it back through their own
// tenant scope.
type event struct {
	Kind     eventKind `json:"k"`
	TenantID string    `json:"t"`
	ID       string    `json:"id"`
}

func (e *Events) channel(tenantID string) string { return e.prefix + "noc:events:{t:" + tenantID + "}" }

func (s *Service) publish(ctx context.Context, ev event) {
	if s.Events == nil {
		return
	}
	b, _ := json.Marshal(ev)
	if err := s.Events.rdb.Publish(ctx, s.Events.channel(ev.TenantID), b).Err(); err != nil {
		s.log.DebugContext(ctx, "publish a NOC event", "tenant_id", ev.TenantID, "err", err)
	}
}

func (s *Service) publishMonitor(ctx context.Context, m *ent.Monitor) {
	s.publish(ctx, event{Kind: eventMonitor, TenantID: m.TenantID, ID: m.ID})
}

// Subscribe streams the ids of monitors (kind "monitor") or incidents
// (kind "incident") that changed in the given tenants, until ctx ends.
func (e *Events) Subscribe(ctx context.Context, kind string, tenantIDs []string) <-chan string {
	out := make(chan string, 16)
	chans := make([]string, len(tenantIDs))
	for k, t := range tenantIDs {
		chans[k] = e.channel(t)
	}
	sub := e.rdb.Subscribe(ctx, chans...)
	go func() {
		defer close(out)
		defer sub.Close()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case msg, ok := <-ch:
				if !ok {
					return
				}
				var ev event
				if json.Unmarshal([]byte(msg.Payload), &ev) != nil || string(ev.Kind) != kind {
					continue
				}
				select {
				case out <- ev.ID:
				default:
					// A slow subscriber drops changes rather than holding
					// the connection's reader; it sees the state next time.
				}
			}
		}
	}()
	return out
}

// Publish tells subscribers of kind in a tenant that the object id changed.
// Other services (the SOC's alerts and cases) share the bus.
func (e *Events) Publish(ctx context.Context, kind, tenantID, id string) {
	b, _ := json.Marshal(event{Kind: eventKind(kind), TenantID: tenantID, ID: id})
	if err := e.rdb.Publish(ctx, e.channel(tenantID), b).Err(); err != nil {
		e.log.DebugContext(ctx, "publish an event", "tenant_id", tenantID, "err", err)
	}
}
