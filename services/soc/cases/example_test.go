package cases_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"entgo.io/ent/dialect"
	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/soc/cases"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// A case opened from an alert moves through its statuses; its response
// times follow, and evidence keeps its chain of custody.
func Example() {
	dir, _ := os.MkdirTemp("", "cases-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := platform.OpenDatabase(ctx, platform.Config{DataDir: dir}.WithDefaults(), tenants.SessionSettings)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	m, _ := migrations.New(db.DB, db.Dialect)
	if _, err := m.Up(ctx); err != nil {
		panic(err)
	}
	mr, _ := miniredis.Run()
	defer mr.Close()
	client := ent.NewClient(ent.Driver(tenants.Driver(dialect.SQLite, db.DB)))
	keys, _ := authn.GenerateKeyRing(time.Now())
	sk, _ := authn.GenerateSealKey()
	sealer, _ := authn.NewSealer(authn.SealerConfig{Keys: map[string]string{"k1": sk}, Active: "k1"})
	ts, err := tenants.New(tenants.Config{Argon2: authn.TestArgon2Params}, tenants.Deps{
		Client: client, Dialect: dialect.SQLite, Redis: redis.NewClient(&redis.Options{Addr: mr.Addr()}), Keys: keys, Sealer: sealer,
	})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC)
	svc, _ := cases.New(cases.Deps{Client: client, Tenants: ts, Now: func() time.Time { return now }})

	// A customer, and an alert that detection raised for it.
	pctx := tenants.Privileged(ctx, "example setup")
	acme, _ := client.Tenant.Create().SetID("ten_acme").SetKind(tenant.KindCustomer).SetSlug("acme").SetName("Acme").
		SetPath("/ten_acme/").Save(pctx)
	a, _ := client.Alert.Create().SetTenantID(acme.ID).SetSource(alert.SourceSigma).SetTitle("Brute force on VPN").
		SetSeverity(alert.SeverityHigh).SetDedupKey("vpn").SetFirstSeen(now.Add(-15 * time.Minute)).
		SetLastSeen(now.Add(-time.Minute)).Save(pctx)

	analyst := tenants.NewContext(ctx, &tenants.Actor{Kind: tenants.ActorUser, ID: "usr_ana",
		TenantID: acme.ID, TenantPath: acme.Path, Roles: []opsward.Role{opsward.RoleAdmin}})
	c, err := svc.CreateCase(analyst, cases.CaseInput{Title: "VPN account takeover", AlertIDs: []string{a.ID}})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Status, c.Severity, c.DetectedAt.Format(time.TimeOnly))

	for _, step := range []struct {
		status string
		after  time.Duration
	}{{"triage", 5 * time.Minute}, {"contained", 40 * time.Minute}, {"closed", 3 * time.Hour}} {
		now = now.Add(step.after)
		if c, err = svc.SetStatus(analyst, c.ID, step.status); err != nil {
			panic(err)
		}
	}
	t := cases.TimesOf(c, nil)
	fmt.Println("TTA", *t.Acknowledge, "TTC", *t.Contain, "TTR", *t.Resolve)

	_, err = svc.SetStatus(analyst, c.ID, "new")
	fmt.Println(opsward.ErrorField(err), opsward.ErrorCode(err))

	ev, _ := svc.AddEvidence(analyst, cases.EvidenceInput{CaseID: c.ID, Name: "vpn.log", Content: []byte("denied x 500\n")})
	ev, body, _ := svc.ReadEvidence(analyst, ev.ID)
	custody, _ := cases.Custody(ev)
	fmt.Printf("%q %s…\n", body, ev.Sha256[:12])
	for _, e := range custody {
		fmt.Println(e.Action, e.Actor)
	}
	// Output:
	// new high 07:45:00
	// TTA 5m0s TTC 45m0s TTR 3h45m0s
	// status invalid
	// "denied x 500\n" c85aee176ad6…
	// added usr_ana
	// read usr_ana
}
