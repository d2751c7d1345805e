package detect

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/services/soc/intel"
	"github.com/opsward/opsward/services/soc/syslog"
	"github.com/opsward/opsward/services/soc/ueba"
	"github.com/opsward/opsward/tenants"
)

// IndicatorMatcher finds threat-intelligence indicators in an event of a
// tenant (services/soc/response implements it).
type IndicatorMatcher interface {
	Match(ctx context.Context, tenantID string, ev map[string]any, now time.Time) []intel.Hit
}

// AlertHook is told, inside the transaction, of every alert raised or
// updated (playbooks start from it).
type AlertHook interface {
	OnAlert(ctx context.Context, tx *ent.Tx, a *ent.Alert) error
}

// Deps are what the service needs from the process.
type Deps struct {
	Client  *ent.Client
	DB      *platform.Database
	Tenants *tenants.Service
	Billing *billing.Service
	// Redis holds the per-tenant ingest counters; Prefix goes before them.
	Redis  redis.UniversalClient
	Prefix string
	// Events stores security events; Writer batches the stores of syslog
	// and HTTP ingest.
	Events *events.Store
	Writer *events.Writer
	// Indicators, Playbooks and Behaviour are optional.
	Indicators IndicatorMatcher
	Playbooks  AlertHook
	// Behaviour learns each user's logins and privileged actions and
	// raises an alert (source behaviour) on what departs from them; its
	// baselines live in this process's memory (see services/soc/ueba).
	Behaviour *ueba.Detector
	// Publish tells subscribers that an alert changed; nil tells nobody.
	Publish func(ctx context.Context, kind, tenantID, id string)
	Logger  *slog.Logger
	Now     func() time.Time
	// MaxRuleBytes is the largest rule saved or imported (0:
	// DefaultMaxRuleBytes).
	MaxRuleBytes int
}

// Service runs detection and keeps log sources, rules and alerts.
type Service struct {
	Deps
	log *slog.Logger

	rules   ruleCache
	sources *syslog.Sources
	stats   ingestStats
	usage   usageBook
}

// New returns a service.
func New(d Deps) (*Service, error) {
	if d.Client == nil || d.DB == nil || d.Tenants == nil || d.Billing == nil || d.Redis == nil || d.Events == nil {
		return nil, errors.New("detect: Client, DB, Tenants, Billing, Redis and Events are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MaxRuleBytes <= 0 {
		d.MaxRuleBytes = DefaultMaxRuleBytes
	}
	src, _ := syslog.NewSources(nil)
	s := &Service{Deps: d, log: d.Logger.With("component", "soc"), sources: src}
	s.rules.s = s
	return s, nil
}

// SetWriter sets the events writer once the process has made it.
func (s *Service) SetWriter(w *events.Writer) { s.Writer = w }

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// systemCtx is the context of work the platform does for one tenant.
func (s *Service) systemCtx(ctx context.Context, tenantID string) (context.Context, error) {
	return s.Tenants.SystemContext(ctx, tenantID, "soc")
}

func (s *Service) audit(ctx context.Context, tx *ent.Tx, tenantID, action, target, detail string) error {
	return s.Tenants.Audit(ctx, tx, tenants.AuditRecord{TenantID: tenantID, Action: action, TargetID: target, Detail: detail})
}

func (s *Service) withTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return tenants.WithTx(ctx, s.Client, fn)
}

func storageErr(err error) error { return tenants.StorageError(err) }
