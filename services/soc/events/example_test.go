package events_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
)

// Normalised events go in through a Writer, each with its tenant, and come
// out of a search within the acting tenant.
func Example() {
	dir, _ := os.MkdirTemp("", "events-example")
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

	store := events.New(db, nil)
	w, _ := store.NewWriter(events.WriterConfig{})
	at := time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC)
	for i := range 30 {
		e, err := events.FromMap("ten_acme", "key_fw", at, map[string]any{
			"@timestamp":     at.Add(time.Duration(i) * time.Minute),
			"event.category": []string{"authentication"},
			"event.outcome":  []string{"success", "failure"}[i%2],
			"user.name":      fmt.Sprintf("user%d", i%3),
			"source.ip":      "203.0.113.7",
			"message":        "SSH login",
		})
		if err != nil {
			panic(err)
		}
		_ = w.Write(ctx, e)
	}
	if err := w.Close(ctx); err != nil {
		panic(err)
	}

	acme := tenants.NewContext(ctx, &tenants.Actor{Kind: tenants.ActorUser, ID: "usr_1",
		TenantID: "ten_acme", TenantPath: "/ten_acme/"})
	q := events.Query{From: at, To: at.Add(time.Hour), Limit: 5, Filters: []events.Filter{
		{Field: "event.outcome", Op: events.OpEq, Value: "failure"},
		{Field: "user.name", Op: events.OpIn, Values: []string{"user0", "user1"}},
	}}
	page, _ := store.Search(acme, q)
	n, _ := store.Count(acme, q)
	fmt.Println(len(page.Events), n, page.Events[0].Time.Format(time.TimeOnly), page.Events[0].UserName, page.Next != "")
	// Output:
	// 5 10 08:27:00 user0 true
}
