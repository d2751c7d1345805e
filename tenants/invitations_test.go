package tenants_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/tenants"
)

func TestInvitationsListAndRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		s := w.svc
		open, err := s.InviteUser(w.ctxA, w.a.ID, "open@acme.example", opsward.RoleAnalyst)
		if err != nil {
			t.Fatal(err)
		}
		gone, err := s.InviteUser(w.ctxA, w.a.ID, "gone@acme.example", opsward.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		pendingIDs := func(ctx context.Context, tenantID string) []string {
			t.Helper()
			q, err := s.InvitationsQuery(ctx, tenantID, true)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := q.IDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}
		// The members of newWorld accepted theirs and one was left pending:
		// three are open.
		if got := pendingIDs(w.ctxA, w.a.ID); len(got) != 3 || !slices.Contains(got, open.ID) || !slices.Contains(got, gone.ID) {
			t.Fatalf("pending invitations of A: %v, want newWorld's, %s and %s", got, open.ID, gone.ID)
		}
		all, err := s.InvitationsQuery(w.ctxA, w.a.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := all.Count(w.ctxA); err != nil || n != 5 {
			t.Fatalf("all invitations of A: %d, %v; want 5 (two accepted, three open)", n, err)
		}

		// Another customer neither sees nor revokes them; a viewer may not.
		if got := pendingIDs(w.ctxB, w.a.ID); len(got) != 0 {
			t.Fatalf("B lists A's invitations: %v", got)
		}
		_, err = s.RevokeInvitation(w.ctxB, gone.ID)
		wantHidden(t, "B revokes A's invitation", err)
		_, err = s.InvitationsQuery(w.ctxAViewer, w.a.ID, true)
		wantCode(t, "viewer lists invitations", err, opsward.EFORBIDDEN)
		_, err = s.RevokeInvitation(w.ctxAViewer, gone.ID)
		wantCode(t, "viewer revokes", err, opsward.EFORBIDDEN)
		_, err = s.InvitationsQuery(w.ctxA, "nonsense", true)
		wantCode(t, "bad tenant id", err, opsward.EINVALID)

		inv, err := s.RevokeInvitation(w.ctxA, gone.ID)
		if err != nil || inv.RevokedAt == nil {
			t.Fatalf("revoke: %+v, %v", inv, err)
		}
		again, err := s.RevokeInvitation(w.ctxA, gone.ID)
		if err != nil || !again.RevokedAt.Equal(*inv.RevokedAt) {
			t.Fatalf("second revoke: %+v, %v", again, err)
		}
		_, err = s.AcceptInvitation(context.Background(), tenants.AcceptInput{Token: gone.Token, Name: "Gone", Password: mustPassword(t)})
		wantCode(t, "accept a revoked invitation", err, opsward.EINVALID)
		if got := pendingIDs(w.ctxA, w.a.ID); len(got) != 2 || !slices.Contains(got, open.ID) || slices.Contains(got, gone.ID) {
			t.Fatalf("pending after revoke: %v, want newWorld's and %s", got, open.ID)
		}
		n, err := w.client.AuditEntry.Query().Where(auditentry.TenantID(w.a.ID), auditentry.Action("member.invite.revoke"),
			auditentry.TargetID(gone.ID)).Count(w.privileged())
		if err != nil || n != 1 {
			t.Fatalf("revoke audit entries: %d, %v", n, err)
		}

		// Accepted invitations stay; only an owner revokes an owner's.
		if _, err := s.AcceptInvitation(context.Background(), tenants.AcceptInput{Token: open.Token, Name: "Open", Password: mustPassword(t)}); err != nil {
			t.Fatal(err)
		}
		_, err = s.RevokeInvitation(w.ctxA, open.ID)
		wantCode(t, "revoke an accepted invitation", err, opsward.EINVALID)
		boss, err := s.InviteUser(w.ctxP, w.a.ID, "boss@acme.example", opsward.RoleOwner)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.RevokeInvitation(w.ctxA, boss.ID)
		wantCode(t, "admin revokes an owner's invitation", err, opsward.EFORBIDDEN)
		if _, err := s.RevokeInvitation(w.ctxP, boss.ID); err != nil {
			t.Fatalf("owner revokes an owner's invitation: %v", err)
		}

		// Expired ones are no longer pending.
		if _, err := s.InviteUser(w.ctxA, w.a.ID, "late@acme.example", opsward.RoleViewer); err != nil {
			t.Fatal(err)
		}
		b.clock.advance(s.Config().InvitationTTL + time.Minute)
		if got := pendingIDs(w.ctxA, w.a.ID); len(got) != 0 {
			t.Fatalf("expired invitations listed as pending: %v", got)
		}
	})
}
