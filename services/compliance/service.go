package compliance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// Config tunes the service.
type Config struct {
	// Policy holds the limits the automated tests judge against.
	Policy Policy
	// MaxReportBytes bounds one rendered report. Default 50 MiB.
	MaxReportBytes int
	// Clock is the time source (tests set it). Default time.Now.
	Clock func() time.Time
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.Policy.Ack == nil {
		c.Policy = DefaultPolicy()
	}
	if c.MaxReportBytes == 0 {
		c.MaxReportBytes = 50 << 20
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	if c.MaxReportBytes < 1<<20 {
		return fmt.Errorf("compliance: the report size limit %d is below 1 MiB", c.MaxReportBytes)
	}
	for _, t := range c.Policy.Tactics {
		if !containsStr(Tactics, t) {
			return fmt.Errorf("compliance: %q is not an ATT&CK tactic", t)
		}
	}
	return nil
}

func containsStr(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}

// Deps are what the service works with.
type Deps struct {
	DB      *platform.Database
	Client  *ent.Client
	Tenants *tenants.Service
	// Source gathers the facts from the other services.
	Source Source
	// Sealer seals the report key ring at rest.
	Sealer *authn.Sealer
	// Channels checks the notification channels a report is sent to, and
	// Outbox queues the deliveries in the report's transaction; both nil:
	// reports are not sent.
	Channels ChannelLoader
	Outbox   Outbox
	// Usage meters the reports generated (billing's compliance_reports
	// meter), in the transaction that keeps each; nil: not metered.
	Usage billing.ReportRecorder
	// Evidence keeps the manual evidence files of controls; nil: none.
	Evidence EvidenceStore
	Logger   *slog.Logger
}

// Service is compliance: the tenant's control decisions, test runs and
// reports. Every method checks the actor's permission and reach.
type Service struct {
	cfg      Config
	db       *platform.Database
	client   *ent.Client
	tenants  *tenants.Service
	source   Source
	sealer   *authn.Sealer
	usage    billing.ReportRecorder
	chans    ChannelLoader
	outbox   Outbox
	evidence EvidenceStore
	log      *slog.Logger

	ringMu sync.Mutex
	ring   *authn.KeyRing
}

// New returns the service.
func New(cfg Config, d Deps) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.DB == nil || d.Client == nil || d.Tenants == nil || d.Source == nil || d.Sealer == nil {
		return nil, errors.New("compliance: database, ent client, tenants, source and sealer are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, db: d.DB, client: d.Client, tenants: d.Tenants, source: d.Source, sealer: d.Sealer, usage: d.Usage, chans: d.Channels, outbox: d.Outbox, evidence: d.Evidence, log: d.Logger}, nil
}

// ChannelLoader loads a tenant's notification channel (the NOC keeps
// them); an error says it does not exist or is disabled.
type ChannelLoader interface {
	LoadChannel(ctx context.Context, tenantID, channelID string) (notify.Channel, error)
}

// Outbox queues a job in the caller's transaction (dispatch.Client).
type Outbox interface {
	EnqueueTx(ctx context.Context, ex dispatch.Execer, tenantID string, args dispatch.JobArgs, opts *dispatch.EnqueueOpts) (string, error)
}

// Policy is the test policy in force.
func (s *Service) Policy() Policy { return s.cfg.Policy }

func (s *Service) now() time.Time { return s.cfg.Clock().UTC() }

func (s *Service) q(query string) string { return s.db.Q(query) }

func (s *Service) tv(t time.Time) any { return s.db.Time(t) }

// target checks the permission and that tenantID (or the acting tenant
// when empty) is in reach; the error names the field tenantId. It
// returns the tenant and a context narrowed to it.
func (s *Service) target(ctx context.Context, tenantID string, p tenants.Permission) (string, context.Context, error) {
	if err := tenants.Authorize(ctx, p); err != nil {
		return "", nil, err
	}
	id, err := s.tenants.TargetTenant(ctx, tenantID)
	if err != nil {
		return "", nil, err
	}
	nctx, err := s.tenants.Narrow(ctx, id)
	if err != nil {
		return "", nil, opsward.FieldErrorf("tenantId", "no tenant %s in your reach", id)
	}
	return id, nctx, nil
}

func actorID(ctx context.Context) string {
	if a, ok := tenants.FromContext(ctx); ok {
		return a.ID
	}
	return ""
}

func storeErr(err error) error { return tenants.StorageError(err) }

// tx runs fn in a transaction with the audit entry it records.
func (s *Service) tx(ctx context.Context, tenantID, action, target string, fn func(tx *ent.Tx) (string, error)) error {
	return tenants.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		detail, err := fn(tx)
		if err != nil {
			return err
		}
		return s.tenants.Audit(ctx, tx, tenants.AuditRecord{TenantID: tenantID, Action: action, TargetID: target, Detail: detail})
	})
}

// ApplicabilityInput is a tenant's decision on a control.
type ApplicabilityInput struct {
	TenantID      string
	ControlID     string
	Applicable    bool
	Justification string
	OwnerID       string
}

// SetApplicability records the Statement of Applicability entry and the
// owner of a control. Leaving a control out needs a justification; the
// owner must be a member of the tenant (or of a tenant above it).
func (s *Service) SetApplicability(ctx context.Context, in ApplicabilityInput) (ControlState, error) {
	tid, _, err := s.target(ctx, in.TenantID, tenants.PermComplianceWrite)
	if err != nil {
		return ControlState{}, err
	}
	if _, err := ControlByID(in.ControlID); err != nil {
		return ControlState{}, err
	}
	in.Justification = strings.TrimSpace(in.Justification)
	switch {
	case !in.Applicable && in.Justification == "":
		return ControlState{}, opsward.FieldErrorf("justification", "say why the control does not apply")
	case len(in.Justification) > 2000:
		return ControlState{}, opsward.FieldErrorf("justification", "a justification has at most 2000 characters")
	}
	if in.OwnerID != "" {
		ok, err := s.tenants.IsMember(ctx, in.OwnerID, tid)
		if err != nil {
			return ControlState{}, err
		}
		if !ok {
			return ControlState{}, opsward.FieldErrorf("ownerId", "user %s is not a member of the tenant", in.OwnerID)
		}
	}
	st := ControlState{ControlID: in.ControlID, Applicable: in.Applicable, Justification: in.Justification, OwnerID: in.OwnerID,
		UpdatedAt: s.now().Truncate(time.Microsecond), UpdatedBy: actorID(ctx)}
	err = s.tx(ctx, tid, "compliance.applicability", in.ControlID, func(tx *ent.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO compliance_controls (tenant_id, control_id, applicable, justification, owner_id, updated_at, updated_by)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, control_id) DO UPDATE SET applicable = excluded.applicable,
justification = excluded.justification, owner_id = excluded.owner_id, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
			tid, st.ControlID, st.Applicable, st.Justification, st.OwnerID, s.tv(st.UpdatedAt), st.UpdatedBy)
		return fmt.Sprintf("applicable=%t owner=%s", st.Applicable, st.OwnerID), storeErr(err)
	})
	return st, err
}

// States lists the tenant's control decisions.
func (s *Service) States(ctx context.Context, tenantID string) ([]ControlState, error) {
	tid, _, err := s.target(ctx, tenantID, tenants.PermComplianceRead)
	if err != nil {
		return nil, err
	}
	return s.states(ctx, tid)
}

func (s *Service) states(ctx context.Context, tid string) ([]ControlState, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT control_id, applicable, justification, owner_id, updated_at, updated_by
FROM compliance_controls WHERE tenant_id = ? ORDER BY control_id`), tid)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []ControlState
	for rows.Next() {
		var c ControlState
		if err := rows.Scan(&c.ControlID, &c.Applicable, &c.Justification, &c.OwnerID, batch.ScanTime(&c.UpdatedAt), &c.UpdatedBy); err != nil {
			return nil, storeErr(err)
		}
		out = append(out, c)
	}
	return out, storeErr(rows.Err())
}

// ExceptionInput accepts a control's failure for a while.
type ExceptionInput struct {
	TenantID  string
	ControlID string
	Reason    string
	ExpiresAt time.Time
}

// MaxExceptionTerm is the longest an exception lasts.
const MaxExceptionTerm = 366 * 24 * time.Hour

// AddException records an exception; it expires on its own.
func (s *Service) AddException(ctx context.Context, in ExceptionInput) (Exception, error) {
	tid, _, err := s.target(ctx, in.TenantID, tenants.PermComplianceWrite)
	if err != nil {
		return Exception{}, err
	}
	if _, err := ControlByID(in.ControlID); err != nil {
		return Exception{}, err
	}
	now := s.now().Truncate(time.Microsecond)
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Reason == "" || len(in.Reason) > 2000:
		return Exception{}, opsward.FieldErrorf("reason", "a reason has 1 to 2000 characters")
	case !in.ExpiresAt.After(now):
		return Exception{}, opsward.FieldErrorf("expiresAt", "an exception expires in the future")
	case in.ExpiresAt.Sub(now) > MaxExceptionTerm:
		return Exception{}, opsward.FieldErrorf("expiresAt", "an exception lasts at most a year: renew it when it ends")
	}
	e := Exception{ID: opsward.NewID(opsward.PrefixException), TenantID: tid, ControlID: in.ControlID, Reason: in.Reason,
		ExpiresAt: in.ExpiresAt.UTC().Truncate(time.Microsecond), CreatedBy: actorID(ctx), CreatedAt: now}
	err = s.tx(ctx, tid, "compliance.exception", e.ID, func(tx *ent.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO compliance_exceptions (tenant_id, id, control_id, reason, expires_at, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`), tid, e.ID, e.ControlID, e.Reason, s.tv(e.ExpiresAt), e.CreatedBy, s.tv(e.CreatedAt))
		return fmt.Sprintf("control=%s expires=%s", e.ControlID, e.ExpiresAt.Format(time.RFC3339)), storeErr(err)
	})
	return e, err
}

// Exceptions lists the tenant's exceptions, expired ones included,
// newest first.
func (s *Service) Exceptions(ctx context.Context, tenantID string) ([]Exception, error) {
	tid, _, err := s.target(ctx, tenantID, tenants.PermComplianceRead)
	if err != nil {
		return nil, err
	}
	return s.exceptions(ctx, tid)
}

func (s *Service) exceptions(ctx context.Context, tid string) ([]Exception, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, control_id, reason, expires_at, created_by, created_at
FROM compliance_exceptions WHERE tenant_id = ? ORDER BY created_at DESC, id`), tid)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []Exception
	for rows.Next() {
		e := Exception{TenantID: tid}
		if err := rows.Scan(&e.ID, &e.ControlID, &e.Reason, batch.ScanTime(&e.ExpiresAt), &e.CreatedBy, batch.ScanTime(&e.CreatedAt)); err != nil {
			return nil, storeErr(err)
		}
		out = append(out, e)
	}
	return out, storeErr(rows.Err())
}

// AttestationInput is a person's statement about a control.
type AttestationInput struct {
	TenantID   string
	ControlID  string
	Kind       string // KindAttestation (default) or KindAccessReview
	Name       string // who attests, as they sign ("Jane Roe, CISO")
	Statement  string
	AttestedAt time.Time // zero: now
}

// Attest records an attestation. An access review is an attestation on
// CTL-IAM-03 by a person (an API key cannot review access).
func (s *Service) Attest(ctx context.Context, in AttestationInput) (Attestation, error) {
	tid, _, err := s.target(ctx, in.TenantID, tenants.PermComplianceWrite)
	if err != nil {
		return Attestation{}, err
	}
	a, _ := tenants.FromContext(ctx)
	if a.Kind != tenants.ActorUser {
		return Attestation{}, opsward.Errorf(opsward.EFORBIDDEN, "an attestation is made by a signed-in person")
	}
	if in.Kind == "" {
		in.Kind = KindAttestation
	}
	if in.Kind == KindAccessReview && in.ControlID == "" {
		in.ControlID = "CTL-IAM-03"
	}
	now := s.now().Truncate(time.Microsecond)
	if in.AttestedAt.IsZero() {
		in.AttestedAt = now
	}
	in.Name, in.Statement = strings.TrimSpace(in.Name), strings.TrimSpace(in.Statement)
	if _, err := ControlByID(in.ControlID); err != nil {
		return Attestation{}, err
	}
	switch {
	case in.Kind != KindAttestation && in.Kind != KindAccessReview:
		return Attestation{}, opsward.FieldErrorf("kind", "unknown attestation kind %q (attestation or access_review)", in.Kind)
	case in.Kind == KindAccessReview && in.ControlID != "CTL-IAM-03":
		return Attestation{}, opsward.FieldErrorf("controlId", "an access review is recorded on CTL-IAM-03")
	case in.Name == "" || len(in.Name) > 200:
		return Attestation{}, opsward.FieldErrorf("name", "the name of the person attesting has 1 to 200 characters")
	case len(in.Statement) > 4000:
		return Attestation{}, opsward.FieldErrorf("statement", "a statement has at most 4000 characters")
	case in.AttestedAt.After(now):
		return Attestation{}, opsward.FieldErrorf("attestedAt", "an attestation cannot be dated in the future")
	case now.Sub(in.AttestedAt) > AttestationValidity:
		return Attestation{}, opsward.FieldErrorf("attestedAt", "an attestation older than a year proves nothing today")
	}
	at := Attestation{ID: opsward.NewID(opsward.PrefixAttestation), TenantID: tid, ControlID: in.ControlID, Kind: in.Kind,
		Name: in.Name, Statement: in.Statement, AttestedAt: in.AttestedAt.UTC().Truncate(time.Microsecond), UserID: a.ID}
	err = s.tx(ctx, tid, "compliance."+in.Kind, at.ID, func(tx *ent.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO compliance_attestations (tenant_id, id, control_id, kind, name, statement, attested_at, user_id, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), tid, at.ID, at.ControlID, at.Kind, at.Name, at.Statement, s.tv(at.AttestedAt), at.UserID, s.tv(now))
		return fmt.Sprintf("control=%s name=%s", at.ControlID, at.Name), storeErr(err)
	})
	return at, err
}

// Attestations lists the tenant's attestations, newest first.
func (s *Service) Attestations(ctx context.Context, tenantID string) ([]Attestation, error) {
	tid, _, err := s.target(ctx, tenantID, tenants.PermComplianceRead)
	if err != nil {
		return nil, err
	}
	return s.attestations(ctx, tid)
}

func (s *Service) attestations(ctx context.Context, tid string) ([]Attestation, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, control_id, kind, name, statement, attested_at, user_id
FROM compliance_attestations WHERE tenant_id = ? ORDER BY attested_at DESC, id`), tid)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []Attestation
	for rows.Next() {
		a := Attestation{TenantID: tid}
		if err := rows.Scan(&a.ID, &a.ControlID, &a.Kind, &a.Name, &a.Statement, batch.ScanTime(&a.AttestedAt), &a.UserID); err != nil {
			return nil, storeErr(err)
		}
		out = append(out, a)
	}
	return out, storeErr(rows.Err())
}

// facts gathers the tenant's facts and adds what this package keeps.
func (s *Service) facts(ctx, nctx context.Context, tid string, p Period) (*Facts, []Attestation, error) {
	f, err := s.source.Facts(nctx, tid, p)
	if err != nil {
		return nil, nil, err
	}
	f.TenantID = tid
	if f.Now.IsZero() {
		f.Now = s.now()
	}
	atts, err := s.attestations(ctx, tid)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range atts {
		if a.Kind == KindAccessReview && (f.LastAccessReview == nil || a.AttestedAt.After(*f.LastAccessReview)) {
			t := a.AttestedAt
			f.LastAccessReview = &t
		}
	}
	return f, atts, nil
}

// Run is one stored automated test run.
type Run struct {
	ID       string   `json:"id"`
	TenantID string   `json:"tenantId"`
	Snapshot Snapshot `json:"snapshot"`
	SHA256   string   `json:"sha256"`
}

// RunTests runs every automated test for the tenant over the period and
// stores each run's evidence snapshot (immutable, hashed).
func (s *Service) RunTests(ctx context.Context, tenantID string, p Period) ([]Run, error) {
	tid, nctx, err := s.target(ctx, tenantID, tenants.PermComplianceWrite)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(s.now()); err != nil {
		return nil, err
	}
	f, _, err := s.facts(ctx, nctx, tid, p)
	if err != nil {
		return nil, err
	}
	var runs []Run
	err = s.tx(ctx, tid, "compliance.tests_run", "", func(tx *ent.Tx) (string, error) {
		var err error
		if runs, err = s.insertRuns(ctx, tx, tid, f, p, s.now().Truncate(time.Microsecond)); err != nil {
			return "", err
		}
		failed := 0
		for _, r := range runs {
			if r.Snapshot.Status == StatusFailing {
				failed++
			}
		}
		return fmt.Sprintf("tests=%d failing=%d from=%s to=%s", len(runs), failed, p.From.UTC().Format(time.RFC3339), p.To.UTC().Format(time.RFC3339)), nil
	})
	if err != nil {
		return nil, err
	}
	return runs, nil
}

// insertRuns runs every automated test over the facts and stores each
// run's snapshot in tx.
func (s *Service) insertRuns(ctx context.Context, tx *ent.Tx, tid string, f *Facts, p Period, ranAt time.Time) ([]Run, error) {
	var runs []Run
	for _, t := range Tests() {
		snap := t.Snapshot(f, s.cfg.Policy, p, ranAt)
		body, sum := snap.Encode()
		r := Run{ID: opsward.NewID(opsward.PrefixTestRun), TenantID: tid, Snapshot: snap, SHA256: sum}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO compliance_runs (tenant_id, id, test_id, control_id, period_from, period_to, ran_at, status, passed, failed, sha256, snapshot)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), tid, r.ID, t.ID, t.Control, s.tv(snap.Period.From), s.tv(snap.Period.To), s.tv(snap.RanAt),
			snap.Status, snap.Passed, snap.Failed, sum, string(body)); err != nil {
			return nil, storeErr(err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// Runs lists the tenant's latest runs, newest first (of one test when
// testID is set), at most limit (1 to 100).
func (s *Service) Runs(ctx context.Context, tenantID, testID string, limit int) ([]Run, error) {
	tid, _, err := s.target(ctx, tenantID, tenants.PermComplianceRead)
	if err != nil {
		return nil, err
	}
	if testID != "" {
		if _, err := TestByID(testID); err != nil {
			return nil, err
		}
	}
	if limit < 1 || limit > 100 {
		return nil, opsward.FieldErrorf("first", "a page holds 1 to 100 runs")
	}
	q := `SELECT id, sha256, snapshot FROM compliance_runs WHERE tenant_id = ?`
	args := []any{tid}
	if testID != "" {
		q += ` AND test_id = ?`
		args = append(args, testID)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY ran_at DESC, id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r := Run{TenantID: tid}
		var body string
		if err := rows.Scan(&r.ID, &r.SHA256, &body); err != nil {
			return nil, storeErr(err)
		}
		if err := jsonUnmarshal([]byte(body), &r.Snapshot); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, storeErr(rows.Err())
}

// ControlView is a control as one tenant sees it.
type ControlView struct {
	Control    Control      `json:"control"`
	State      ControlState `json:"state"`
	Status     string       `json:"status"`
	Exceptions []Exception  `json:"exceptions,omitempty"`
}

// Controls lists the library with the tenant's decisions and the status
// of each control from its latest runs.
func (s *Service) Controls(ctx context.Context, tenantID string) ([]ControlView, error) {
	tid, _, err := s.target(ctx, tenantID, tenants.PermComplianceRead)
	if err != nil {
		return nil, err
	}
	states, err := s.states(ctx, tid)
	if err != nil {
		return nil, err
	}
	latest, err := s.latestStatuses(ctx, []string{tid})
	if err != nil {
		return nil, err
	}
	excs, err := s.exceptions(ctx, tid)
	if err != nil {
		return nil, err
	}
	atts, err := s.attestations(ctx, tid)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []ControlView
	for _, c := range Library() {
		v := ControlView{Control: c, State: ControlState{ControlID: c.ID, Applicable: true}}
		for _, st := range states {
			if st.ControlID == c.ID {
				v.State = st
			}
		}
		v.Status = controlStatus(c, v.State, latest[tid], atts, now)
		for _, e := range excs {
			if e.ControlID == c.ID && e.ExpiresAt.After(now) {
				v.Exceptions = append(v.Exceptions, e)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// controlStatus is a control's status from its tests' latest statuses.
func controlStatus(c Control, st ControlState, latest map[string]string, atts []Attestation, now time.Time) string {
	if !st.Applicable {
		return StatusNA
	}
	if len(c.Tests) == 0 {
		for _, a := range atts {
			if a.ControlID == c.ID && now.Sub(a.AttestedAt) <= AttestationValidity {
				return StatusPassing
			}
		}
		return StatusNotTested
	}
	out := StatusPassing
	for _, t := range c.Tests {
		switch latest[t] {
		case "":
			return StatusNotTested
		case StatusFailing:
			out = StatusFailing
		}
	}
	return out
}

// latestStatuses reads the status of each test's latest run per tenant.
func (s *Service) latestStatuses(ctx context.Context, tids []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if len(tids) == 0 {
		return out, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(tids)), ", ")
	args := make([]any, len(tids))
	for i, t := range tids {
		args[i] = t
		out[t] = map[string]string{}
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.tenant_id, r.test_id, r.status FROM compliance_runs r
JOIN (SELECT tenant_id, test_id, max(ran_at) AS ran_at FROM compliance_runs WHERE tenant_id IN (`+ph+`) GROUP BY tenant_id, test_id) l
ON l.tenant_id = r.tenant_id AND l.test_id = r.test_id AND l.ran_at = r.ran_at`), args...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tid, test, st string
		if err := rows.Scan(&tid, &test, &st); err != nil {
			return nil, storeErr(err)
		}
		out[tid][test] = st
	}
	return out, storeErr(rows.Err())
}

// PostureRow is one customer's line in the provider's posture table.
type PostureRow struct {
	TenantID      string `json:"tenantId"`
	TenantName    string `json:"tenantName"`
	Passing       int    `json:"passing"`
	Failing       int    `json:"failing"`
	NotApplicable int    `json:"notApplicable"`
	NotTested     int    `json:"notTested"`
}

// Posture is the provider's table of every customer in reach: controls by
// status from their latest runs.
func (s *Service) Posture(ctx context.Context) ([]PostureRow, error) {
	if err := tenants.Authorize(ctx, tenants.PermComplianceRead); err != nil {
		return nil, err
	}
	a, _ := tenants.FromContext(ctx)
	if !a.Provider && !a.IsPrivileged() {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "the posture table of every customer is the provider's")
	}
	ts, err := s.client.Tenant.Query().Where(tenant.KindNEQ(tenant.KindProvider), tenant.StatusNEQ(tenant.StatusClosed)).
		Order(ent.Asc(tenant.FieldName), ent.Asc(tenant.FieldID)).Limit(10_000).All(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	latest, err := s.latestStatuses(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []PostureRow
	for _, t := range ts {
		states, err := s.states(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		atts, err := s.attestations(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		row := PostureRow{TenantID: t.ID, TenantName: t.Name}
		for _, c := range Library() {
			st := ControlState{ControlID: c.ID, Applicable: true}
			for _, x := range states {
				if x.ControlID == c.ID {
					st = x
				}
			}
			switch controlStatus(c, st, latest[t.ID], atts, now) {
			case StatusPassing:
				row.Passing++
			case StatusFailing:
				row.Failing++
			case StatusNA:
				row.NotApplicable++
			default:
				row.NotTested++
			}
		}
		out = append(out, row)
	}
	return out, nil
}
