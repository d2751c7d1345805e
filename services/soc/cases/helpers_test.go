package cases_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/soc/cases"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
)

// env is one backend with a provider and two customers, the cases service
// wired as the platform wires it, the event store, and a clock the test
// moves.
type env struct {
	db      *platform.Database
	client  *ent.Client
	tenants *tenants.Service
	events  *events.Store
	cases   *cases.Service

	provider, acme, globex *ent.Tenant

	mu      sync.Mutex
	now     time.Time
	changes []string // "tenant/case" from OnChange
}

// eachBackend runs fn on a fresh env of every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	testenv.EachBackend(t, func(t *testing.T, b testenv.Backend) { fn(t, newEnv(t, b)) })
}

func newEnv(t *testing.T, b testenv.Backend) *env {
	t.Helper()
	p := testenv.NewPlatform(t, b, testenv.PlatformOptions{})
	e := &env{db: p.App, client: p.Client, tenants: p.Tenants, provider: p.Provider,
		now: time.Now().UTC().Truncate(time.Second)}
	e.events = events.New(p.App, nil)
	var err error
	e.cases, err = cases.New(cases.Deps{Client: p.Client, Tenants: p.Tenants, Events: e.events, Now: e.clock,
		OnChange: func(_ context.Context, tenantID, caseID string) {
			e.mu.Lock()
			e.changes = append(e.changes, tenantID+"/"+caseID)
			e.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.acme = p.Customer(t, p.Provider, "acme")
	e.globex = p.Customer(t, p.Provider, "globex")
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *env) changeCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.changes)
}

// as is a user acting on tenant tn with roles.
var as = testenv.As

var system = testenv.System("test: look behind the service")

// alert stores an alert of tn directly, as detection would.
func (e *env) alert(t *testing.T, tn *ent.Tenant, title string, sev alert.Severity, firstSeen time.Time, eventIDs ...string) *ent.Alert {
	t.Helper()
	a, err := e.client.Alert.Create().SetTenantID(tn.ID).SetSource(alert.SourceSigma).SetTitle(title).SetSeverity(sev).
		SetDedupKey(opsward.NewID("dk")).SetFirstSeen(firstSeen).SetLastSeen(firstSeen.Add(time.Minute)).
		SetEventIds(eventIDs).Save(tenants.Privileged(context.Background(), "test"))
	if err != nil {
		t.Fatalf("create alert: %v", err)
	}
	return a
}

// member makes a user who is a member of tn.
func (e *env) member(t *testing.T, tn *ent.Tenant) string {
	t.Helper()
	u, err := e.client.User.Create().SetEmail(opsward.NewID("u") + "@example.com").SetName("Analyst").Save(system)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Membership.Create().SetTenantID(tn.ID).SetUserID(u.ID).SetRole(opsward.RoleAdmin).Save(system); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// event stores a security event of tn that happened at at.
func (e *env) event(t *testing.T, tn *ent.Tenant, at time.Time, msg string) string {
	t.Helper()
	ev, err := events.FromMap(tn.ID, "test", at, map[string]any{
		"@timestamp": at.Format(time.RFC3339Nano), "message": msg, "host.name": "web-1", "event.action": "logon",
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.events.NewWriter(events.WriterConfig{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

func (e *env) timeline(t *testing.T, caseID string) []*ent.CaseEntry {
	t.Helper()
	es, err := e.client.CaseEntry.Query().Where(caseentry.CaseID(caseID)).
		Order(ent.Asc(caseentry.FieldAt), ent.Asc(caseentry.FieldID)).All(system)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func (e *env) kinds(t *testing.T, caseID string, kind caseentry.Kind) []*ent.CaseEntry {
	t.Helper()
	var out []*ent.CaseEntry
	for _, en := range e.timeline(t, caseID) {
		if en.Kind == kind {
			out = append(out, en)
		}
	}
	return out
}

// audits counts a tenant's audit entries of action on target.
func (e *env) audits(t *testing.T, tenantID, action, target string) int {
	t.Helper()
	n, err := e.client.AuditEntry.Query().Where(auditentry.TenantID(tenantID), auditentry.Action(action),
		auditentry.TargetID(target)).Count(system)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := opsward.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

// wantField checks that err is a user mistake naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one on %s", field)
	}
	if got := opsward.ErrorField(err); got != field {
		t.Fatalf("error %v names field %q, want %q", err, got, field)
	}
	if c := opsward.ErrorCode(err); c != opsward.EINVALID && c != opsward.ECONFLICT && c != opsward.ELIMIT {
		t.Fatalf("error %v has code %q, not a user mistake", err, c)
	}
}

func seconds(d *time.Duration) float64 {
	if d == nil {
		return -1
	}
	return d.Seconds()
}

// tenantsActor returns the acting user's id in ctx.
func tenantsActor(ctx context.Context) (string, bool) {
	a, ok := tenants.FromContext(ctx)
	if !ok {
		return "", false
	}
	return a.ID, true
}
