package notify_test

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/email"
	"github.com/opsward/opsward/services/notify/pagerduty"
	"github.com/opsward/opsward/services/notify/slack"
	"github.com/opsward/opsward/services/notify/teams"
	"github.com/opsward/opsward/services/notify/webhook"
	"github.com/opsward/opsward/tenants/authn"
)

// registry returns a registry of every kind, sending through client.
func registry(client *http.Client) *notify.Registry {
	reg := notify.NewRegistry(notify.Deps{HTTP: client, Dial: &net.Dialer{Timeout: 5 * time.Second}})
	email.Register(reg)
	webhook.Register(reg)
	slack.Register(reg)
	teams.Register(reg)
	pagerduty.Register(reg)
	return reg
}

func sealer(t testing.TB) *authn.Sealer {
	t.Helper()
	key, err := authn.GenerateSealKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := authn.NewSealer(authn.SealerConfig{Keys: map[string]string{"k1": key}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func message() notify.Message {
	return notify.Message{
		TenantID: "ten_acme", TenantName: "Acme", Ref: notify.Ref{Kind: "incident", ID: "inc_01"},
		Title: "web-1 is down", Summary: "HTTP check failed 3 times", Severity: notify.SeverityHigh,
		State: notify.StateTriggered, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Link: "https://portal.example.com/incidents/inc_01",
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
