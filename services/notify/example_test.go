package notify_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/webhook"
	"github.com/opsward/opsward/tenants/authn"
)

// Example shows a channel's life: decoded from what a user submitted,
// stored with its secret sealed, loaded again for a delivery, and the
// deliveries a message makes under the tenant's routes.
func Example() {
	reg := notify.NewRegistry(notify.Deps{HTTP: &http.Client{Timeout: 10 * time.Second}})
	webhook.Register(reg)

	submitted := []byte(`{"url":"https://hooks.acme.example/opsward","secret":"whsec_0123456789abcdef"}`)
	ch, err := reg.Decode("webhook", submitted)
	if err != nil {
		panic(err)
	}

	key, _ := authn.GenerateSealKey()
	sealer, _ := authn.NewSealer(authn.SealerConfig{Keys: map[string]string{"k1": key}})
	ad := notify.SecretsAD("ten_acme", "chn_1")
	stored, _ := notify.SealSecrets(sealer, ch, ad)
	fmt.Println("stored settings:", string(stored.Config))
	fmt.Println("secret in clear:", strings.Contains(stored.Secrets, "whsec_"))

	loaded, err := notify.OpenSecrets(sealer, reg, stored, ad)
	fmt.Println("loaded:", loaded.Kind(), err)

	msg := notify.Message{
		TenantID: "ten_acme", Ref: notify.Ref{Kind: "incident", ID: "inc_01"}, Title: "web-1 is down",
		Severity: notify.SeverityMedium, State: notify.StateTriggered, Time: time.Now(),
	}
	for _, d := range notify.Plan(msg, []notify.Subscription{
		{ChannelID: "chn_1", Route: notify.DefaultRoute()},
		{ChannelID: "chn_pager", Route: notify.Route{MinSeverity: notify.SeverityCritical}},
	}) {
		fmt.Println("enqueue", d.Kind(), "for", d.ChannelID)
	}
	// Output:
	// stored settings: {"url":"https://hooks.acme.example/opsward"}
	// secret in clear: false
	// loaded: webhook <nil>
	// enqueue notify.deliver for chn_1
}
