package platform

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

type secretValuer struct{}

func (secretValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", "ann"), slog.String("password", "valuer-pw-1"))
}

// Every attribute whose name says secret, password, token or key is
// logged as [REDACTED], in both formats, at any depth: attributes of the
// record, of With, of groups and of values that resolve to groups.
func TestLoggerRedactsSecretAttributes(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log := NewLogger(&buf, Config{LogFormat: format, LogLevel: "debug"})
			ctx := WithLogAttrs(context.Background(), slog.String("session_token", "ctx-tok-2"))
			log.With("api_key", "with-key-3").WithGroup("auth").With("Password", "grp-pw-4").
				InfoContext(ctx, "login", "user", "ann",
					slog.Group("req", slog.String("clientSecret", "nested-5"), slog.Group("hdr", slog.String("Authorization", "Bearer hdr-6"))),
					"creds", secretValuer{}, "refreshToken", "tok-7", "key_id", "kid-visible", "tenant_id", "ten_visible")
			log.WithGroup("secrets").Info("x", "anything", "grp-secret-8")
			out := buf.String()
			for _, s := range []string{"ctx-tok-2", "with-key-3", "grp-pw-4", "nested-5", "hdr-6", "valuer-pw-1", "tok-7", "grp-secret-8"} {
				if strings.Contains(out, s) {
					t.Errorf("%s is in the log:\n%s", s, out)
				}
			}
			for _, s := range []string{"ann", "kid-visible", "ten_visible", Redacted} {
				if !strings.Contains(out, s) {
					t.Errorf("%s is missing from the log:\n%s", s, out)
				}
			}
		})
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "new_password": true, "token": true, "X-Api-Key": true, "secret": true,
		"authorization": true, "cookie": true, "refreshToken": true,
		"key_id": false, "tokenId": false, "tenant_id": false, "user": false, "path": false, "err": false,
	} {
		if got := SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %v, want %v", name, got, want)
		}
	}
}
