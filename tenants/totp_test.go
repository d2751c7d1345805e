package tenants_test

import (
	"context"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// A user enrols a second factor, confirms it, then needs a code to log in;
// disabling needs a code too. API keys have no second factor.
func TestTOTPSecondFactor(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		totp, err := authn.NewTOTP(authn.TOTPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		codeAt := func(secret string, at time.Time) string {
			raw, err := authn.ParseTOTPSecret(secret)
			if err != nil {
				t.Fatal(err)
			}
			return totp.Code(raw, totp.Step(at))
		}
		if _, err := b.svc.EnrollTOTP(w.keyCtx(t, w.keyA)); opsward.ErrorCode(err) != opsward.EFORBIDDEN {
			t.Fatalf("enrol with an API key: %v", err)
		}
		enr, err := b.svc.EnrollTOTP(w.ctxA)
		if err != nil {
			t.Fatalf("enrol: %v", err)
		}
		if enr.Secret == "" || len(enr.URI) < 20 {
			t.Fatalf("enrolment %+v", enr)
		}
		// Not enabled yet: a login needs no code.
		w.login(t, w.aAdmin, "")
		if err := b.svc.ConfirmTOTP(w.ctxA, "000000"); opsward.ErrorField(err) != "code" {
			t.Fatalf("confirm with a wrong code: %v", err)
		}
		now := b.clock.now()
		if err := b.svc.ConfirmTOTP(w.ctxA, codeAt(enr.Secret, now)); err != nil {
			t.Fatalf("confirm: %v", err)
		}
		login := func(code string) error {
			_, err := b.svc.Login(context.Background(), tenants.LoginInput{Email: w.aAdmin.email, Password: w.aAdmin.password,
				TOTPCode: code, Request: tenants.Request{IP: "192.0.2.77"}})
			return err
		}
		if err := login(""); opsward.ErrorField(err) != "totpCode" {
			t.Fatalf("login without a code: %v", err)
		}
		// The code that confirmed is spent; the next step's code works once.
		if err := login(codeAt(enr.Secret, now)); err == nil {
			t.Fatal("a spent code was accepted")
		}
		b.clock.advance(30 * time.Second)
		next := codeAt(enr.Secret, b.clock.now())
		if err := login(next); err != nil {
			t.Fatalf("login with a code: %v", err)
		}
		if err := login(next); err == nil {
			t.Fatal("a code was accepted twice")
		}
		b.clock.advance(30 * time.Second)
		if err := b.svc.DisableTOTP(w.ctxA, codeAt(enr.Secret, b.clock.now())); err != nil {
			t.Fatalf("disable: %v", err)
		}
		if err := login(""); err != nil {
			t.Fatalf("login after disabling: %v", err)
		}
	})
}

// A closed tenant's rows stay for its retention period, then the purge
// removes the tenant and everything below it, and nothing else.
func TestPurgeClosedTenants(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		if _, err := b.svc.SetTenantStatus(w.ctxP, w.a.ID, "closed"); err != nil {
			t.Fatalf("close: %v", err)
		}
		tables := []string{"refresh_tokens", "sessions", "api_keys", "invitations", "memberships", "subscriptions", "audit_entries"}
		if n, err := b.svc.PurgeClosed(context.Background(), tables); err != nil || n != 0 {
			t.Fatalf("purge within retention: %d, %v", n, err)
		}
		b.clock.advance(time.Duration(w.a.RetentionDays+1) * 24 * time.Hour)
		if n, err := b.svc.PurgeClosed(context.Background(), tables); err != nil || n != 1 {
			t.Fatalf("purge after retention: %d, %v", n, err)
		}
		pctx := w.privileged()
		for _, id := range []string{w.a.ID, w.orgA.ID} {
			if _, err := b.client.Tenant.Get(pctx, id); err == nil {
				t.Errorf("tenant %s survived the purge", id)
			}
		}
		for _, tbl := range tables {
			var n int
			if err := b.owner.QueryRow("SELECT count(*) FROM "+tbl+" WHERE tenant_id IN ($1, $2)", w.a.ID, w.orgA.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%s keeps %d rows of the purged tenants", tbl, n)
			}
		}
		if _, err := b.client.Tenant.Get(pctx, w.b.ID); err != nil {
			t.Errorf("a sibling was purged too: %v", err)
		}
	})
}
