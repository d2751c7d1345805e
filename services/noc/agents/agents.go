package agents

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/probeagent"
	"github.com/opsward/opsward/ent/probecheck"
	"github.com/opsward/opsward/ent/probelocation"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/tenants"
)

// Protocol is the version of the pull and push exchange. An agent that
// speaks an older one is told to upgrade.
const Protocol = 1

// Token prefixes make a leaked secret easy to recognise.
const (
	enrolPrefix      = "opsward_enrol_"
	credentialPrefix = "opsward_agent_"
)

// Defaults of Config.
const (
	DefaultEnrolTTL     = 24 * time.Hour
	DefaultPollInterval = 5 * time.Second
	DefaultOfflineAfter = 3 // poll intervals
	DefaultMaxJobs      = 100
)

// Config says how agents are kept.
type Config struct {
	// EnrolTTL is how long an enrolment token may be exchanged.
	EnrolTTL time.Duration
	// PollInterval is how often agents are told to ask for checks.
	PollInterval time.Duration
	// OfflineAfter is how many poll intervals without contact make an
	// agent offline.
	OfflineAfter int
	// MaxJobs bounds the checks one pull hands out.
	MaxJobs int
}

// WithDefaults fills what is unset.
func (c Config) WithDefaults() Config {
	if c.EnrolTTL <= 0 {
		c.EnrolTTL = DefaultEnrolTTL
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.OfflineAfter <= 0 {
		c.OfflineAfter = DefaultOfflineAfter
	}
	if c.MaxJobs <= 0 {
		c.MaxJobs = DefaultMaxJobs
	}
	return c
}

// SilentAfter is how long an agent may go unheard before it shows
// offline: OfflineAfter poll intervals.
func (c Config) SilentAfter() time.Duration {
	c = c.WithDefaults()
	return time.Duration(c.OfflineAfter) * c.PollInterval
}

// Settings opens a monitor's sealed probe settings.
type Settings func(m *ent.Monitor) (json.RawMessage, error)

// Deps are what the service needs.
type Deps struct {
	Client   *ent.Client
	Tenants  *tenants.Service
	Settings Settings
	// Writer stores the results agents push.
	Writer *results.Writer
	Config Config
	Logger *slog.Logger
	Now    func() time.Time
}

// Service keeps locations and agents.
type Service struct {
	Deps
	log *slog.Logger
}

// New returns a service.
func New(d Deps) (*Service, error) {
	if d.Client == nil || d.Tenants == nil || d.Settings == nil || d.Writer == nil {
		return nil, errors.New("agents: Client, Tenants, Settings and Writer are required")
	}
	d.Config = d.Config.WithDefaults()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{Deps: d, log: d.Logger.With("component", "probe_agents")}, nil
}

// Online reports whether an agent was heard from within OfflineAfter poll
// intervals.
func (s *Service) Online(a *ent.ProbeAgent) bool {
	if a.RevokedAt != nil || a.LastSeenAt == nil {
		return false
	}
	return s.Now().Sub(*a.LastSeenAt) <= s.Config.SilentAfter()
}

// CreateLocation makes a probe location of a tenant (default: the acting
// one).
func (s *Service) CreateLocation(ctx context.Context, tenantID, name string) (*ent.ProbeLocation, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, opsward.FieldErrorf("name", "a location's name has 1 to 100 characters")
	}
	if strings.EqualFold(name, noc.LocalLocation) {
		return nil, opsward.FieldErrorf("name", "%q names Opsward's own workers", noc.LocalLocation)
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out *ent.ProbeLocation
	err = tenants.WithTx(ctx, s.Client, func(tx *ent.Tx) error {
		out, err = tx.ProbeLocation.Create().SetTenantID(tenantID).SetName(name).Save(ctx)
		if ent.IsConstraintError(err) {
			return opsward.FieldErrorf("name", "the tenant has a location named %q", name)
		}
		if err != nil {
			return tenants.StorageError(err)
		}
		return s.Tenants.Audit(ctx, tx, tenants.AuditRecord{TenantID: tenantID, Action: "probe_location.create", TargetID: out.ID, Detail: name})
	})
	return out, err
}

// Enrol makes an agent of a location and returns it with its one-time
// enrolment token, shown this once; only its hash is kept.
func (s *Service) Enrol(ctx context.Context, locationID, name string) (*ent.ProbeAgent, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, "", opsward.FieldErrorf("name", "an agent's name has 1 to 100 characters")
	}
	token := enrolPrefix + secret()
	var out *ent.ProbeAgent
	err := tenants.WithTx(ctx, s.Client, func(tx *ent.Tx) error {
		loc, err := tx.ProbeLocation.Get(ctx, locationID)
		if ent.IsNotFound(err) {
			return opsward.FieldErrorf("locationId", "no location %s", locationID)
		}
		if err != nil {
			return tenants.StorageError(err)
		}
		out, err = tx.ProbeAgent.Create().SetTenantID(loc.TenantID).SetLocationID(loc.ID).SetName(name).
			SetEnrolTokenHash(hash(token)).SetEnrolExpiresAt(s.Now().Add(s.Config.EnrolTTL)).Save(ctx)
		if err != nil {
			return tenants.StorageError(err)
		}
		return s.Tenants.Audit(ctx, tx, tenants.AuditRecord{TenantID: loc.TenantID, Action: "probe_agent.enrol", TargetID: out.ID, Detail: name})
	})
	if err != nil {
		return nil, "", err
	}
	return out, token, nil
}

// Revoke ends an agent's credential (or its unused enrolment token): its
// next request is refused.
func (s *Service) Revoke(ctx context.Context, id string) (*ent.ProbeAgent, error) {
	var out *ent.ProbeAgent
	err := tenants.WithTx(ctx, s.Client, func(tx *ent.Tx) error {
		a, err := tx.ProbeAgent.Get(ctx, id)
		if err != nil {
			return tenants.StorageError(err)
		}
		if a.RevokedAt != nil {
			out = a
			return nil
		}
		if out, err = a.Update().SetRevokedAt(s.Now()).ClearEnrolTokenHash().Save(ctx); err != nil {
			return tenants.StorageError(err)
		}
		// Checks it held go back to the location's other agents.
		if _, err := tx.ProbeCheck.Update().Where(probecheck.LeasedBy(a.ID), probecheck.LeasedAtNotNil()).
			ClearLeasedAt().ClearLeasedBy().Save(ctx); err != nil {
			return tenants.StorageError(err)
		}
		return s.Tenants.Audit(ctx, tx, tenants.AuditRecord{TenantID: a.TenantID, Action: "probe_agent.revoke", TargetID: a.ID, Detail: a.Name})
	})
	return out, err
}

// Enrolment is what an agent gets for its token.
type Enrolment struct {
	AgentID    string `json:"agent_id"`
	TenantID   string `json:"tenant_id"`
	LocationID string `json:"location_id"`
	Credential string `json:"credential"`
	// PollSeconds is how often to ask for checks.
	PollSeconds int `json:"poll_seconds"`
}

var errBadToken = opsward.Errorf(opsward.EUNAUTHORIZED, "this enrolment token is not valid")

// Exchange trades a one-time enrolment token for the agent's credential.
// A token that was used, has expired or was revoked is refused, saying
// which.
func (s *Service) Exchange(ctx context.Context, token string, protocol int) (*Enrolment, error) {
	if err := CheckProtocol(protocol); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(token, enrolPrefix) {
		return nil, errBadToken
	}
	pctx := tenants.Privileged(ctx, "probe agent enrolment: find the token")
	a, err := s.Client.ProbeAgent.Query().Where(probeagent.EnrolTokenHash(hash(token))).Only(pctx)
	if ent.IsNotFound(err) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, tenants.StorageError(err)
	}
	switch {
	case a.RevokedAt != nil:
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "this enrolment token was revoked")
	case a.EnrolledAt != nil:
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "this enrolment token was already used; enrol a new agent")
	case a.EnrolExpiresAt != nil && s.Now().After(*a.EnrolExpiresAt):
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "this enrolment token has expired; enrol a new agent")
	}
	sys, err := s.Tenants.SystemContext(ctx, a.TenantID, "probe agent enrolment")
	if err != nil {
		return nil, err
	}
	cred := credentialPrefix + secret()
	now := s.Now()
	// Used once: the update is guarded by the token still being unused.
	n, err := s.Client.ProbeAgent.Update().Where(probeagent.ID(a.ID), probeagent.EnrolledAtIsNil(), probeagent.RevokedAtIsNil()).
		SetEnrolledAt(now).SetCredentialHash(hash(cred)).SetLastSeenAt(now).Save(sys)
	if err != nil {
		return nil, tenants.StorageError(err)
	}
	if n == 0 {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "this enrolment token was already used; enrol a new agent")
	}
	return &Enrolment{AgentID: a.ID, TenantID: a.TenantID, LocationID: a.LocationID, Credential: cred,
		PollSeconds: int(s.Config.PollInterval / time.Second)}, nil
}

// CheckProtocol refuses an agent too old for this server.
func CheckProtocol(p int) error {
	if p < Protocol {
		return opsward.Errorf(opsward.EINVALID, "this agent speaks protocol %d; the server needs %d or newer: upgrade opsward on the agent", p, Protocol)
	}
	return nil
}

// Agent is an authenticated agent and the context it acts in: its own
// tenant's, nothing more.
type Agent struct {
	*ent.ProbeAgent
	Ctx context.Context
}

// Authenticate finds the agent of a credential and records its contact.
// A revoked or unknown credential is refused.
func (s *Service) Authenticate(ctx context.Context, credential, version string, protocol int) (*Agent, error) {
	if err := CheckProtocol(protocol); err != nil {
		return nil, err
	}
	refused := opsward.Errorf(opsward.EUNAUTHORIZED, "this agent credential is not valid")
	if !strings.HasPrefix(credential, credentialPrefix) {
		return nil, refused
	}
	a, err := s.Client.ProbeAgent.Query().Where(probeagent.CredentialHash(hash(credential))).
		Only(tenants.Privileged(ctx, "probe agent: find the credential"))
	if ent.IsNotFound(err) {
		return nil, refused
	}
	if err != nil {
		return nil, tenants.StorageError(err)
	}
	if a.RevokedAt != nil {
		return nil, opsward.Errorf(opsward.EUNAUTHORIZED, "this agent was revoked")
	}
	sys, err := s.Tenants.SystemContext(ctx, a.TenantID, "probe agent "+a.ID)
	if err != nil {
		return nil, err
	}
	if len(version) > 64 {
		version = version[:64]
	}
	now := s.Now()
	if err := s.Client.ProbeAgent.UpdateOneID(a.ID).SetLastSeenAt(now).SetVersion(version).Exec(sys); err != nil {
		return nil, tenants.StorageError(err)
	}
	a.LastSeenAt, a.Version = &now, version
	return &Agent{ProbeAgent: a, Ctx: sys}, nil
}

// Job is one check handed to an agent. Its ID is the idempotency key of
// the result that answers it.
type Job struct {
	ID        string          `json:"id"`
	MonitorID string          `json:"monitor_id"`
	Kind      string          `json:"kind"`
	Settings  json.RawMessage `json:"settings"`
	TimeoutMs int             `json:"timeout_ms"`
}

// leaseFor is how long a taken check stays with its agent before another
// may take it.
func leaseFor(m *ent.Monitor) time.Duration {
	return time.Duration(m.TimeoutMs)*time.Millisecond + 30*time.Second
}

// Pull hands the agent the checks of its location that are due, at most
// max (Config.MaxJobs when 0). Only its own tenant's monitors assigned to
// its location are among them.
func (s *Service) Pull(a *Agent, max int) ([]Job, error) {
	ctx := a.Ctx
	if max <= 0 || max > s.Config.MaxJobs {
		max = s.Config.MaxJobs
	}
	// Only the monitors assigned to the location are read, not all of the
	// tenant's.
	mons, err := s.Client.Monitor.Query().Where(monitor.TenantID(a.TenantID), monitor.Paused(false),
		monitor.KindNEQ(monitor.KindHeartbeat),
		func(sel *sql.Selector) { sel.Where(sqljson.ValueContains(sel.C(monitor.FieldLocations), a.LocationID)) }).All(ctx)
	if err != nil {
		return nil, tenants.StorageError(err)
	}
	byID := make(map[string]*ent.Monitor, len(mons))
	for _, m := range mons {
		byID[m.ID] = m
	}
	rows, err := s.Client.ProbeCheck.Query().Where(probecheck.LocationID(a.LocationID)).All(ctx)
	if err != nil {
		return nil, tenants.StorageError(err)
	}
	now := s.Now()
	have := map[string]bool{}
	for _, r := range rows {
		have[r.MonitorID] = true
	}
	for id := range byID {
		if have[id] {
			continue
		}
		r, err := s.Client.ProbeCheck.Create().SetTenantID(a.TenantID).SetMonitorID(id).SetLocationID(a.LocationID).
			SetNextDueAt(now).Save(ctx)
		if ent.IsConstraintError(err) {
			continue // another agent of the location made it
		}
		if err != nil {
			return nil, tenants.StorageError(err)
		}
		rows = append(rows, r)
	}
	var jobs []Job
	for _, r := range rows {
		if len(jobs) == max {
			break
		}
		m := byID[r.MonitorID]
		if m == nil || r.NextDueAt.After(now) || (r.LeasedAt != nil && now.Sub(*r.LeasedAt) < leaseFor(m)) {
			continue
		}
		raw, err := s.Settings(m)
		if err != nil {
			return nil, err
		}
		lease := opsward.NewID(opsward.PrefixJob)
		// Taken once: the first taker moves the due time past now.
		n, err := s.Client.ProbeCheck.Update().Where(probecheck.ID(r.ID), probecheck.NextDueAtLTE(now),
			probecheck.Or(probecheck.LeasedAtIsNil(), probecheck.LeasedAtLT(now.Add(-leaseFor(m))))).
			SetLeaseID(lease).SetLeasedBy(a.ID).SetLeasedAt(now).
			SetNextDueAt(now.Add(time.Duration(m.IntervalSeconds) * time.Second)).Save(ctx)
		if err != nil {
			return nil, tenants.StorageError(err)
		}
		if n == 1 {
			jobs = append(jobs, Job{ID: lease, MonitorID: m.ID, Kind: string(m.Kind), Settings: raw, TimeoutMs: m.TimeoutMs})
		}
	}
	return jobs, nil
}

// PushOutcome says what became of a batch of results.
type PushOutcome struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	// Refused lists the job IDs that were never given to this agent's
	// location; each is counted on the agent.
	Refused []string `json:"refused"`
}

// Push stores the results of checks the agent was given. A result whose
// job is not one of its location's is refused and counted; a result sent
// again (the same job) is stored once.
func (s *Service) Push(a *Agent, batch []Result) (PushOutcome, error) {
	ctx := a.Ctx
	out := PushOutcome{Refused: []string{}}
	type pending struct {
		rowID  string
		r      Result
		stored <-chan struct{}
	}
	// All of the batch's results go to the writer first and are waited
	// for together: one group commit, not one per result.
	var queued []pending
	seen := make(map[string]bool, len(batch))
	for _, r := range batch {
		if seen[r.JobID] {
			out.Duplicates++ // the same job twice in one batch
			continue
		}
		seen[r.JobID] = true
		row, err := s.Client.ProbeCheck.Query().Where(probecheck.LeaseID(r.JobID), probecheck.LocationID(a.LocationID),
			probecheck.MonitorID(r.MonitorID)).Only(ctx)
		if ent.IsNotFound(err) {
			out.Refused = append(out.Refused, r.JobID)
			continue
		}
		if err != nil {
			return out, tenants.StorageError(err)
		}
		if row.LeasedAt == nil {
			out.Duplicates++ // answered already
			continue
		}
		stored, err := s.Writer.WriteSync(ctx, results.Result{
			TenantID: a.TenantID, MonitorID: r.MonitorID, CheckedAt: r.StartedAt, Status: r.Status,
			Latency: r.Latency(), Reason: r.Reason, Message: r.Message, Metrics: r.Metrics,
			RunID: r.JobID, Location: a.LocationID,
		})
		if err != nil {
			return out, err
		}
		queued = append(queued, pending{row.ID, r, stored})
	}
	for _, q := range queued {
		select {
		case <-q.stored:
		case <-ctx.Done():
			return out, ctx.Err()
		}
	}
	// Each lease is cleared only once its result is stored.
	for _, q := range queued {
		r := q.r
		n, err := s.Client.ProbeCheck.Update().Where(probecheck.ID(q.rowID), probecheck.LeaseID(r.JobID), probecheck.LeasedAtNotNil()).
			ClearLeasedAt().SetStatus(probecheck.Status(r.Status)).SetCheckedAt(r.StartedAt).
			SetLatencyUs(r.LatencyUs).SetReason(clip(r.Reason, 64)).SetMessage(clip(r.Message, 1024)).Save(ctx)
		if err != nil {
			return out, tenants.StorageError(err)
		}
		if n == 0 {
			out.Duplicates++
			continue
		}
		out.Accepted++
	}
	if len(out.Refused) > 0 {
		s.log.WarnContext(ctx, "results refused: jobs never given to the agent", "tenant_id", a.TenantID, "agent_id", a.ID, "count", len(out.Refused))
		if err := s.Client.ProbeAgent.UpdateOneID(a.ID).AddRefusedResults(int64(len(out.Refused))).Exec(ctx); err != nil {
			return out, tenants.StorageError(err)
		}
	}
	return out, nil
}

// Locations are the last results of a monitor at each of its locations,
// for the quorum; a location never checked has a zero CheckedAt.
func (s *Service) Locations(ctx context.Context, m *ent.Monitor) ([]noc.LocationResult, error) {
	return LocationResults(ctx, s.Client, m)
}

// LocationResults reads the last result of a monitor at each of its
// locations, in the context's tenant.
func LocationResults(ctx context.Context, c *ent.Client, m *ent.Monitor) ([]noc.LocationResult, error) {
	rows, err := c.ProbeCheck.Query().Where(probecheck.MonitorID(m.ID)).All(ctx)
	if err != nil {
		return nil, tenants.StorageError(err)
	}
	names := map[string]string{noc.LocalLocation: noc.LocalLocation}
	var remote []string
	for _, l := range m.Locations {
		if l != noc.LocalLocation {
			remote = append(remote, l)
		}
	}
	if len(remote) > 0 {
		locs, err := c.ProbeLocation.Query().Where(probelocation.IDIn(remote...)).All(ctx)
		if err != nil {
			return nil, tenants.StorageError(err)
		}
		for _, l := range locs {
			names[l.ID] = l.Name
		}
	}
	out := make([]noc.LocationResult, 0, len(m.Locations))
	for _, l := range m.Locations {
		lr := noc.LocationResult{Location: l, Name: names[l], Status: probe.StatusUnknown}
		for _, r := range rows {
			if r.LocationID == l && r.CheckedAt != nil {
				lr.Status, lr.CheckedAt = probe.Status(r.Status), *r.CheckedAt
				lr.Latency = time.Duration(r.LatencyUs) * time.Microsecond
				lr.Reason, lr.Message = r.Reason, r.Message
			}
		}
		out = append(out, lr)
	}
	return out, nil
}

func secret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
