package notify_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/webhook"
	"github.com/opsward/opsward/tenants/authn"
)

// secretConfigs holds, per kind, a configuration and its one secret.
var secretConfigs = []struct {
	kind, secret string
	config       []byte
}{
	{"webhook", "whsec_SIGNING_0123456789", mustJSON(map[string]any{"url": "https://hooks.acme.example/opsward", "secret": "whsec_SIGNING_0123456789"})},
	{"email", "SMTP-PASS-0123456789", mustJSON(map[string]any{"host": "smtp.example.com", "username": "noc", "password": "SMTP-PASS-0123456789", "from": "noc@msp.example", "to": []string{"ops@acme.example"}})},
	{"slack", "https://hooks.slack.com/services/T0/B0/SLACKSECRET0123", mustJSON(map[string]any{"webhook_url": "https://hooks.slack.com/services/T0/B0/SLACKSECRET0123"})},
	{"teams", "https://acme.webhook.office.com/webhookb2/TEAMSSECRET0123", mustJSON(map[string]any{"webhook_url": "https://acme.webhook.office.com/webhookb2/TEAMSSECRET0123"})},
	{"pagerduty", "PDROUTINGKEY0123456789abcdefghij", mustJSON(map[string]any{"routing_key": "PDROUTINGKEY0123456789abcdefghij"})},
}

func TestSealedConfigHidesSecretsAndBindsToChannel(t *testing.T) {
	t.Parallel()
	reg := registry(&http.Client{})
	s := sealer(t)
	for _, tc := range secretConfigs {
		t.Run(tc.kind, func(t *testing.T) {
			ch, err := reg.Decode(tc.kind, tc.config)
			if err != nil {
				t.Fatal(err)
			}
			ad := notify.SecretsAD("ten_acme", "chn_1")
			sc, err := notify.SealSecrets(s, ch, ad)
			if err != nil {
				t.Fatal(err)
			}
			stored := mustJSON(sc)
			for _, needle := range []string{tc.secret, base64.StdEncoding.EncodeToString([]byte(tc.secret)), "SECRET0123", "0123456789"} {
				if bytes.Contains(stored, []byte(needle)) {
					t.Fatalf("stored form holds %q in clear: %s", needle, stored)
				}
			}
			if sc.Secrets == "" || sc.Kind != tc.kind {
				t.Fatalf("sealed config %+v", sc)
			}

			back, err := notify.OpenSecrets(s, reg, sc, ad)
			if err != nil {
				t.Fatal(err)
			}
			if got := revealAll(back); got != tc.secret {
				t.Fatalf("opened secret %q, want %q", got, tc.secret)
			}
			if !bytes.Equal(mustJSON(back), mustJSON(ch)) {
				t.Fatalf("round trip changed the channel: %s vs %s", mustJSON(back), mustJSON(ch))
			}

			for _, other := range [][]byte{notify.SecretsAD("ten_evil", "chn_1"), notify.SecretsAD("ten_acme", "chn_2"), nil} {
				if _, err := notify.OpenSecrets(s, reg, sc, other); !errors.Is(err, authn.ErrSealedForged) {
					t.Fatalf("opened with other associated data: %v", err)
				}
			}
			if _, err := notify.OpenSecrets(sealer(t), reg, sc, ad); err == nil {
				t.Fatal("opened with another key")
			}
		})
	}
}

func revealAll(ch notify.Channel) string {
	var out []string
	for _, p := range ch.(notify.SecretHolder).Secrets() {
		out = append(out, p.Reveal())
	}
	return strings.Join(out, ",")
}

func TestSecretsDoNotMoveAcrossKinds(t *testing.T) {
	t.Parallel()
	reg := registry(&http.Client{})
	s := sealer(t)
	slackCh, _ := reg.Decode("slack", secretConfigs[2].config)
	ad := notify.SecretsAD("ten_acme", "chn_1")
	sc, err := notify.SealSecrets(s, slackCh, ad)
	if err != nil {
		t.Fatal(err)
	}
	sc.Kind = "teams" // same secret field name, other kind
	if _, err := notify.OpenSecrets(s, reg, sc, ad); err == nil {
		t.Fatal("slack secrets opened as a teams channel")
	}
}

func TestSecretsNeverFormatted(t *testing.T) {
	t.Parallel()
	reg := registry(&http.Client{})
	for _, tc := range secretConfigs {
		ch, err := reg.Decode(tc.kind, tc.config)
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("channel", "channel", ch)
		slog.New(slog.NewTextHandler(&logs, nil)).Info("channel", "channel", ch)
		out := fmt.Sprintf("%v %+v %#v %s", ch, ch, ch, ch) + logs.String()
		if strings.Contains(out, tc.secret) {
			t.Errorf("%s: secret formatted: %s", tc.kind, out)
		}
	}
}

func TestKeepSecretsAndScrub(t *testing.T) {
	t.Parallel()
	reg := registry(&http.Client{})
	prev, _ := reg.Decode("webhook", secretConfigs[0].config)

	// A client reads the channel (the secret reads "[redacted]"), changes
	// the URL and sends it all back.
	var edit map[string]any
	if err := json.Unmarshal(mustJSON(prev), &edit); err != nil || edit["secret"] != "[redacted]" {
		t.Fatalf("read back %v (%v)", edit, err)
	}
	edit["url"] = "https://hooks.acme.example/v2"
	next, err := webhook.Factory(mustJSON(edit), notify.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if revealAll(next) != "" {
		t.Fatal("[redacted] was taken as the secret")
	}
	notify.KeepSecrets(next, prev)
	if revealAll(next) != secretConfigs[0].secret || next.Validate() != nil {
		t.Fatalf("secret not kept: %q", revealAll(next))
	}
	// A new secret wins.
	next2 := webhook.New("https://hooks.acme.example/v2", "a-brand-new-secret-123", notify.Deps{})
	notify.KeepSecrets(next2, prev)
	if revealAll(next2) != "a-brand-new-secret-123" {
		t.Fatal("KeepSecrets overwrote a new secret")
	}

	slackCh, _ := reg.Decode("slack", secretConfigs[2].config)
	in := `Post "https://hooks.slack.com/services/T0/B0/SLACKSECRET0123": 403; path /services/T0/B0/SLACKSECRET0123`
	if got := notify.Scrub(in, slackCh); strings.Contains(got, "SLACKSECRET") || !strings.Contains(got, "[redacted]") {
		t.Fatalf("scrub: %s", got)
	}
}
