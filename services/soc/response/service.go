package response

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/soc/intel"
	"github.com/opsward/opsward/tenants"
)

// CaseOpener opens a security case from an alert; the cases service
// implements it. It returns the case id.
type CaseOpener interface {
	OpenFromAlert(ctx context.Context, alertID, title string) (string, error)
}

// Deps are what the service needs from the process.
type Deps struct {
	Client   *ent.Client
	Tenants  *tenants.Service
	Dispatch *dispatch.Client
	// HTTP is the egress-guarded client the webhook step posts through.
	HTTP notify.Doer
	// Sealer seals webhook secrets kept in playbook steps.
	Sealer notify.Sealer
	// Cases opens cases for the open_case step; nil makes that step fail
	// with a clear reason (and refuses it when a playbook is saved).
	Cases  CaseOpener
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PublicURL is where the portal is reached (links in notifications).
	PublicURL string
}

// Service keeps indicator lists, indicators and playbooks, matches events
// against the intel lists and runs playbooks.
type Service struct {
	Deps
	log *slog.Logger

	store   intel.Store
	scopes  sync.Map      // tenant id → intel.Scope; a tenant's place in the tree never changes
	dirty   chan struct{} // a list changed here: the Run loop rebuilds at once
	buildMu sync.Mutex    // one build at a time
	built   fingerprint   // what the current matcher was built from (under buildMu)
	builtAt time.Time     // when (under buildMu)
	stale   atomic.Bool   // a list changed here since the last build
}

// New returns a service.
func New(d Deps) (*Service, error) {
	switch {
	case d.Client == nil || d.Tenants == nil || d.Dispatch == nil:
		return nil, errors.New("response: Client, Tenants and Dispatch are required")
	case d.HTTP == nil || d.Sealer == nil:
		return nil, errors.New("response: HTTP (the guarded client) and Sealer are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.PublicURL = strings.TrimRight(d.PublicURL, "/")
	return &Service{Deps: d, log: d.Logger.With("component", "soc.response"), dirty: make(chan struct{}, 1)}, nil
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// systemCtx is the context of work the platform does for one tenant (a
// playbook run): a system actor whose reach is that tenant alone.
func (s *Service) systemCtx(ctx context.Context, tenantID string) (context.Context, error) {
	return s.Tenants.SystemContext(ctx, tenantID, "soc.playbook")
}

func (s *Service) audit(ctx context.Context, tx *ent.Tx, tenantID, action, target, detail string) error {
	return s.Tenants.Audit(ctx, tx, tenants.AuditRecord{TenantID: tenantID, Action: action, TargetID: target, Detail: detail})
}

func (s *Service) withTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return tenants.WithTx(ctx, s.Client, fn)
}

func storageErr(err error) error { return tenants.StorageError(err) }

// notFound maps ent's not-found to the domain's, naming what is missing.
func notFound(err error, what, id string) error {
	if ent.IsNotFound(err) {
		return opsward.Errorf(opsward.ENOTFOUND, "no %s %s", what, id)
	}
	return storageErr(err)
}
