package detect

import (
	"context"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// ingestEnv is a detection service wired as the platform wires it, on one
// backend, with a provider and one customer.
type ingestEnv struct {
	svc      *Service
	client   *ent.Client
	customer *ent.Tenant
}

var ingestBackends = []struct {
	name   string
	config func(t *testing.T) platform.Config
}{
	{"postgres", func(t *testing.T) platform.Config {
		u := testenv.PostgresDB(t)
		return platform.Config{DatabaseURL: u, MigrateDatabaseURL: u}.WithDefaults()
	}},
	{"sqlite", func(t *testing.T) platform.Config {
		return platform.Config{DataDir: t.TempDir()}.WithDefaults()
	}},
}

func newIngestEnv(t *testing.T, cfg platform.Config) *ingestEnv {
	t.Helper()
	ctx := context.Background()
	mdb, err := platform.OpenMigrationDatabase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrations.New(mdb.DB, mdb.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	mdb.Close()
	db, err := platform.OpenDatabase(ctx, cfg, tenants.SessionSettings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := dialect.SQLite
	if db.Dialect == platform.Postgres {
		d = dialect.Postgres
	}
	client := ent.NewClient(ent.Driver(tenants.Driver(d, db.DB)))
	rdb, prefix := testenv.Redis(t)
	keys, err := authn.GenerateKeyRing(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := authn.GenerateSealKey()
	sealer, err := authn.NewSealer(authn.SealerConfig{Keys: map[string]string{"t1": sk}, Active: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	var bill *billing.Service
	hook := func(ctx context.Context, tx *ent.Tx, t *ent.Tenant) error {
		return bill.TenantCreatedHook()(ctx, tx, t)
	}
	ts, err := tenants.New(tenants.Config{Argon2: authn.TestArgon2Params}, tenants.Deps{
		Client: client, Dialect: d, Redis: rdb, RedisPrefix: prefix, Keys: keys, Sealer: sealer,
		Hooks: tenants.Hooks{TenantCreated: hook},
	})
	if err != nil {
		t.Fatal(err)
	}
	bill = billing.New(client, ts, nil)
	store := events.New(db, nil)
	svc, err := New(Deps{Client: client, DB: db, Tenants: ts, Billing: bill, Redis: rdb, Prefix: prefix, Events: store})
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.NewWriter(events.WriterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	svc.SetWriter(w)

	pctx := tenants.Privileged(ctx, "test: create the provider")
	tx, err := client.Tx(pctx)
	if err != nil {
		t.Fatal(err)
	}
	id := opsward.NewID(opsward.PrefixTenant)
	provider, err := tx.Tenant.Create().SetID(id).SetKind(tenant.KindProvider).
		SetSlug("msp").SetName("The MSP").SetPath("/" + id + "/").Save(pctx)
	if err == nil {
		err = hook(pctx, tx, provider)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		t.Fatalf("create provider: %v", err)
	}
	cust, err := ts.CreateTenant(actingAs(provider), tenants.TenantInput{ParentID: provider.ID, Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	return &ingestEnv{svc: svc, client: client, customer: cust}
}

func actingAs(tn *ent.Tenant) context.Context {
	return tenants.NewContext(context.Background(), &tenants.Actor{
		Kind: tenants.ActorUser, ID: opsward.NewID(opsward.PrefixUser),
		TenantID: tn.ID, TenantPath: tn.Path, Roles: []opsward.Role{opsward.RoleAdmin},
		Provider: tn.Kind == tenant.KindProvider,
	})
}

// One normalised event per log source, sent through the real ingest path
// (HTTP batches, and the syslog listener's batches), is stored and raises
// an alert of the rule of its log source, and of no other.
func TestIngestRaisesAlertPerLogSource(t *testing.T) {
	for _, b := range ingestBackends {
		t.Run(b.name, func(t *testing.T) {
			e := newIngestEnv(t, b.config(t))
			ctx := actingAs(e.customer)
			for i, c := range sourceCases {
				if _, err := e.svc.SaveRule(ctx, RuleInput{YAML: c.rule(i)}); err != nil {
					t.Fatalf("%s: save rule: %v", c.name, err)
				}
			}
			bg := context.Background()
			stored := 0
			for i, c := range sourceCases {
				before := e.alertRules(t)
				if c.syslog {
					e.svc.takeSyslog(bg, []syslogItem{{tenantID: e.customer.ID, sourceID: "ls_test", ev: normalizeCase(t, c)}})
				} else {
					res, err := e.svc.IngestBatch(bg, e.customer.ID, "key_test", []byte(c.raw))
					if err != nil {
						t.Fatalf("%s: ingest: %v", c.name, err)
					}
					if res.Accepted != 1 || res.Alerts != 1 {
						t.Errorf("%s: ingest result %+v, want 1 accepted and 1 alert", c.name, res)
					}
				}
				stored++
				after := e.alertRules(t)
				var raised []string
				for r, n := range after {
					if n > before[r] {
						raised = append(raised, r)
					}
				}
				if !slices.Equal(raised, []string{c.ruleID(i)}) {
					t.Errorf("%s: alerts raised for rules %v, want only %s", c.name, raised, c.ruleID(i))
				}
			}
			if err := e.svc.Writer.Flush(bg); err != nil {
				t.Fatal(err)
			}
			if st := e.svc.Stats(); st.Stored != int64(stored) {
				t.Errorf("stored %d events, want %d", st.Stored, stored)
			}
		})
	}
}

// alertRules counts the customer's alerts (and their repeats) by rule id.
func (e *ingestEnv) alertRules(t *testing.T) map[string]int {
	t.Helper()
	as, err := e.client.Alert.Query().Where(alert.TenantID(e.customer.ID)).All(tenants.Privileged(context.Background(), "test: read alerts"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, a := range as {
		out[a.RuleID] += a.Count
	}
	return out
}
