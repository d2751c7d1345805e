package tenants

import (
	"context"
	"strconv"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/session"
)

// ChangePassword sets the signed-in user's password. The current password
// is required, so that a stolen session alone cannot take the account; the
// new one must satisfy the password policy. Every other open session of
// the user is revoked, the one making the change is kept.
func (s *Service) ChangePassword(ctx context.Context, current, next string, r Request) error {
	a, err := Require(ctx)
	if err != nil {
		return err
	}
	if a.UserID() == "" {
		return opsward.Errorf(opsward.EFORBIDDEN, "a password belongs to a user, not to an API key")
	}
	if current == "" {
		return opsward.FieldErrorf("currentPassword", "the current password is required")
	}
	pctx := Privileged(ctx, "password change")
	u, err := s.client.User.Get(pctx, a.UserID())
	if err != nil {
		return storageErr(err)
	}
	if err := s.throttle.Check(ctx, u.Email, r.IP); err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil || !ok {
		_ = s.throttle.Fail(ctx, u.Email, r.IP)
		return opsward.FieldErrorf("currentPassword", "the current password is wrong")
	}
	if err := s.cfg.Password.Check(next, u.Email, u.Name); err != nil {
		return opsward.FieldErrorf("newPassword", "%s", opsward.ErrorMessage(err))
	}
	if next == current {
		return opsward.FieldErrorf("newPassword", "the new password must differ from the current one")
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return opsward.Internal(err)
	}
	var revoked []string
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOne(u).SetPasswordHash(hash).Exec(pctx); err != nil {
			return storageErr(err)
		}
		q := tx.Session.Query().Where(session.UserID(u.ID), session.RevokedAtIsNil())
		if a.SessionID != "" {
			q = q.Where(session.IDNEQ(a.SessionID))
		}
		others, err := q.All(pctx)
		if err != nil {
			return storageErr(err)
		}
		for _, ses := range others {
			if err := tx.Session.UpdateOne(ses).SetRevokedAt(s.now()).SetRevokedReason("password changed").Exec(pctx); err != nil {
				return storageErr(err)
			}
			revoked = append(revoked, ses.ID)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: a.TenantID, Action: "auth.password_change", TargetID: u.ID,
			IP: r.IP, UserAgent: r.UserAgent, Detail: "sessions_revoked=" + strconv.Itoa(len(revoked))})
	})
	if err != nil {
		return err
	}
	_ = s.throttle.Succeed(ctx, u.Email, r.IP)
	for _, id := range revoked {
		s.cache.purgeSession(id)
	}
	s.publishInvalidation(ctx)
	return nil
}
