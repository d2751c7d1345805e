package tenants_test

import (
	"context"
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/tenants"
)

func TestChangePassword(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		req := tenants.Request{IP: "192.0.2.20", UserAgent: "tenants-test"}
		login := func(pw string) (*tenants.Tokens, error) {
			return w.svc.Login(context.Background(), tenants.LoginInput{Email: w.aAdmin.email, Password: pw, Request: req})
		}
		other, err := login(w.aAdmin.password)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := login(w.aAdmin.password)
		if err != nil {
			t.Fatal(err)
		}
		ctx := w.bearer(t, mine.AccessToken, "")
		const next = "a-new-long-passphrase-77"

		if err := w.svc.ChangePassword(w.keyCtx(t, w.keyA), w.aAdmin.password, next, req); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Fatalf("with an API key: %v", err)
		}
		if err := w.svc.ChangePassword(ctx, "", next, req); opsward.ErrorField(err) != "currentPassword" {
			t.Fatalf("without the current password: %v", err)
		}
		if err := w.svc.ChangePassword(ctx, "not-the-password", next, req); opsward.ErrorField(err) != "currentPassword" {
			t.Fatalf("with a wrong current password: %v", err)
		}
		if err := w.svc.ChangePassword(ctx, w.aAdmin.password, "short", req); opsward.ErrorField(err) != "newPassword" {
			t.Fatalf("with a short new password: %v", err)
		}
		if err := w.svc.ChangePassword(ctx, w.aAdmin.password, w.aAdmin.password, req); opsward.ErrorField(err) != "newPassword" {
			t.Fatalf("with the same password: %v", err)
		}
		// Nothing changed so far: the old password still logs in.
		if _, err := login(w.aAdmin.password); err != nil {
			t.Fatalf("the refused changes changed the password: %v", err)
		}

		if err := w.svc.ChangePassword(ctx, w.aAdmin.password, next, req); err != nil {
			t.Fatalf("change: %v", err)
		}
		if _, err := login(w.aAdmin.password); err == nil {
			t.Fatal("the old password still logs in")
		}
		if _, err := login(next); err != nil {
			t.Fatalf("the new password: %v", err)
		}
		// The other session is revoked, the one that made the change is kept.
		if _, err := w.svc.Refresh(context.Background(), other.RefreshToken, "", req); err == nil {
			t.Fatal("another session survived the change")
		}
		if _, err := w.svc.Authenticate(context.Background(), "Bearer "+other.AccessToken, "", req); err == nil {
			t.Fatal("another session's access token still works")
		}
		if _, err := w.svc.Refresh(context.Background(), mine.RefreshToken, "", req); err != nil {
			t.Fatalf("the session that changed the password was revoked: %v", err)
		}
		n, err := w.client.AuditEntry.Query().Where(auditentry.TenantID(w.a.ID), auditentry.Action("auth.password_change"),
			auditentry.ActorID(w.aAdmin.id)).Count(w.privileged())
		if err != nil || n != 1 {
			t.Fatalf("audit entries of the change: %d, %v", n, err)
		}
	})
}
