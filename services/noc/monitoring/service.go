package monitoring

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/tenants"
)

// Deps are what the service needs from the process.
type Deps struct {
	Client   *ent.Client
	DB       *platform.Database
	Tenants  *tenants.Service
	Billing  *billing.Service
	Dispatch *dispatch.Client
	// Probes runs checks; its guard decides which addresses tenants reach.
	Probes *probe.Registry
	// Results stores check results; Writer batches the checks' writes.
	ResultStore *results.Store
	Writer      *results.Writer
	// Channels decodes notification channels; Sealer seals their secrets
	// and the monitors' settings.
	Channels *notify.Registry
	Sealer   notify.Sealer
	// Signals receives what the NOC notices that may matter to security.
	// Nil records signals on the incident timeline only.
	Signals noc.SignalSink
	// Events publishes monitor and incident changes to subscribers; nil
	// publishes nothing.
	Events *Events
	Logger *slog.Logger
	// PublicURL is where the portal and the heartbeat endpoint are reached.
	PublicURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service keeps assets, monitors, incidents, maintenance windows,
// escalation policies and channels, and runs checks.
type Service struct {
	Deps
	log *slog.Logger

	windows  windowCache
	monitors monitorCache
	parsed   parsedCache
	states   stateWriter
}

// New returns a service.
func New(d Deps) (*Service, error) {
	switch {
	case d.Client == nil || d.DB == nil || d.Tenants == nil || d.Billing == nil:
		return nil, errors.New("monitoring: Client, DB, Tenants and Billing are required")
	case d.Dispatch == nil || d.Probes == nil || d.ResultStore == nil:
		return nil, errors.New("monitoring: Dispatch, Probes and ResultStore are required")
	case d.Channels == nil || d.Sealer == nil:
		return nil, errors.New("monitoring: Channels and Sealer are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Service{Deps: d, log: d.Logger.With("component", "noc")}
	s.states.s = s
	return s, nil
}

// FlushStates saves the monitor states the batched writer still holds.
func (s *Service) FlushStates(ctx context.Context) {
	s.states.start()
	s.states.flush(ctx)
}

// Close saves what the batched state writer holds and stops it.
func (s *Service) Close() { s.states.Close() }

// edited drops what this process holds of a monitor changed here: the
// next check reads it again.
func (s *Service) edited(id string) {
	s.monitors.forget(id)
	s.parsed.forget(id)
	s.states.drop(id)
}

// SetWriter sets the results writer once the process has made it.
func (s *Service) SetWriter(w *results.Writer) { s.Writer = w }

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// systemCtx is the context of work the platform does for one tenant (a
// check, an escalation): a system actor whose reach is that tenant alone,
// so that the storage layer scopes it like any request.
func (s *Service) systemCtx(ctx context.Context, tenantID string) (context.Context, error) {
	return s.Tenants.SystemContext(ctx, tenantID, "noc")
}

// audit records a change in the tenant's log, inside tx.
func (s *Service) audit(ctx context.Context, tx *ent.Tx, tenantID, action, target, detail string) error {
	return s.Tenants.Audit(ctx, tx, tenants.AuditRecord{TenantID: tenantID, Action: action, TargetID: target, Detail: detail})
}

// withTx runs fn in a transaction and maps storage errors.
func (s *Service) withTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return tenants.WithTx(ctx, s.Client, fn)
}

func storageErr(err error) error { return tenants.StorageError(err) }

func actorID(ctx context.Context) string {
	if a, ok := tenants.FromContext(ctx); ok {
		if a.Kind == tenants.ActorUser || a.Kind == tenants.ActorAPIKey {
			return a.ID
		}
	}
	return ""
}
