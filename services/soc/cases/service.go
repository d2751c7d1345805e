package cases

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/ent/securitycase"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
)

// Deps are what the service needs from the process.
type Deps struct {
	Client  *ent.Client
	Tenants *tenants.Service
	// Events reads security events for AddEvents and the time to detect;
	// nil refuses AddEvents and counts only events already on timelines.
	Events *events.Store
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnChange, when set, is called after every committed change of a
	// case (the process publishes it to subscribers). It must not block.
	OnChange func(ctx context.Context, tenantID, caseID string)
}

// Service keeps security cases.
type Service struct {
	Deps
	log *slog.Logger
}

// New returns a service.
func New(d Deps) (*Service, error) {
	if d.Client == nil || d.Tenants == nil {
		return nil, errors.New("cases: Client and Tenants are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{Deps: d, log: d.Logger.With("component", "soc.cases")}, nil
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// changed tells the process that a case changed, after the commit.
func (s *Service) changed(ctx context.Context, tenantID, caseID string) {
	if s.OnChange != nil {
		s.OnChange(ctx, tenantID, caseID)
	}
}

// systemCtx is the context of work the platform does for one tenant (a
// playbook): a system actor whose reach is that tenant alone.
func (s *Service) systemCtx(ctx context.Context, tenantID string) (context.Context, error) {
	return s.Tenants.SystemContext(ctx, tenantID, "soc")
}

// checkMember refuses a user who is not a member of the tenant or of a
// tenant above it; field names the input.
func (s *Service) checkMember(ctx context.Context, tenantID, userID, field string) error {
	ok, err := s.Tenants.IsMember(ctx, userID, tenantID)
	if err != nil {
		return err
	}
	if !ok {
		return opsward.FieldErrorf(field, "user %s is not a member of the case's tenant", userID)
	}
	return nil
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

// actorID names who acts, for the timeline and the chain of custody: the
// user or API key, or "system" for the platform's own work.
func actorID(ctx context.Context) string {
	if a, ok := tenants.FromContext(ctx); ok {
		if a.Kind == tenants.ActorUser || a.Kind == tenants.ActorAPIKey {
			return a.ID
		}
	}
	return "system"
}

// lockCase reads a case for a change. It first writes the row (its
// updated_at), which takes the row's lock on Postgres and the database's
// write lock on SQLite, so that changes of one case run one after the
// other and each reads what the previous one committed. A case out of
// the actor's reach is not found.
func (s *Service) lockCase(ctx context.Context, tx *ent.Tx, id string) (*ent.SecurityCase, error) {
	n, err := tx.SecurityCase.Update().Where(securitycase.ID(id)).SetUpdatedAt(s.now()).Save(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if n == 0 {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no case %s", id)
	}
	c, err := tx.SecurityCase.Get(ctx, id)
	return c, storageErr(err)
}

// entry is one line to append to a case's timeline.
type entry struct {
	Kind    caseentry.Kind
	At      time.Time // zero: now
	Message string
	Ref     string
	Detail  any
}

// addEntries appends timeline entries to case c.
func (s *Service) addEntries(ctx context.Context, tx *ent.Tx, c *ent.SecurityCase, es ...entry) error {
	if len(es) == 0 {
		return nil
	}
	now, actor := s.now(), actorID(ctx)
	bulk := make([]*ent.CaseEntryCreate, len(es))
	for k, e := range es {
		at := e.At
		if at.IsZero() {
			at = now
		}
		b := tx.CaseEntry.Create().SetTenantID(c.TenantID).SetCaseID(c.ID).SetAt(at.UTC()).SetKind(e.Kind).
			SetActorID(clip(actor, 40)).SetMessage(clip(e.Message, 8000)).SetRefID(clip(e.Ref, 40))
		if e.Detail != nil {
			d, err := json.Marshal(e.Detail)
			if err != nil {
				return opsward.Internal(err)
			}
			b.SetDetail(d)
		}
		bulk[k] = b
	}
	return storageErr(tx.CaseEntry.CreateBulk(bulk...).Exec(ctx))
}

// clip cuts s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
