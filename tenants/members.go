package tenants

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/invitation"
	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/ent/user"
	"github.com/opsward/opsward/tenants/authn"
)

// canGrant reports whether the actor may hand out role: only owners make
// owners.
func canGrant(a *Actor, role opsward.Role) bool {
	if a.IsPrivileged() || role != opsward.RoleOwner {
		return true
	}
	for _, r := range a.Roles {
		if r == opsward.RoleOwner {
			return true
		}
	}
	return false
}

// Invitation is a new invitation and its token, shown once.
type Invitation struct {
	*ent.Invitation
	Token string
	// Mailed is true when the invitation was handed to the mail relay.
	Mailed bool
}

// InvitationMail is what an invitation mail says. Token is the secret
// that accepts it: put it in the link, never in a log.
type InvitationMail struct {
	To         string
	TenantName string
	Role       opsward.Role
	InvitedBy  string // the inviter's name or email; empty for an API key
	Token      string
	ExpiresAt  time.Time
}

// InvitationMailer delivers invitations to invitees.
type InvitationMailer interface {
	MailInvitation(ctx context.Context, m InvitationMail) error
}

// mailInvitation sends inv when a mailer is configured. A failure does
// not undo the invitation: the inviter still has the token to hand over,
// and the payload says it was not mailed.
func (s *Service) mailInvitation(ctx context.Context, inv *Invitation) {
	if s.mailer == nil {
		return
	}
	pctx := Privileged(ctx, "invitation mail")
	m := InvitationMail{To: inv.Email, Role: inv.Role, Token: inv.Token, ExpiresAt: inv.ExpiresAt}
	if t, err := s.client.Tenant.Get(pctx, inv.TenantID); err == nil {
		m.TenantName = t.Name
	}
	if u, err := s.client.User.Get(pctx, inv.InvitedBy); err == nil {
		m.InvitedBy = u.Name
	}
	if err := s.mailer.MailInvitation(ctx, m); err != nil {
		// The error names the relay and its answer, never the token.
		s.log.WarnContext(ctx, "invitation not mailed", "tenant_id", inv.TenantID, "invitation_id", inv.ID, "err", err)
		return
	}
	inv.Mailed = true
}

// InviteUser invites email to tenantID with role. The token is returned
// once; only its hash is stored.
func (s *Service) InviteUser(ctx context.Context, tenantID, email string, role opsward.Role) (*Invitation, error) {
	if err := Authorize(ctx, PermMembersWrite); err != nil {
		return nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if err := validateEmail("email", email); err != nil || email == "" {
		return nil, opsward.FieldErrorf("email", "%q is not an email address", email)
	}
	if !role.Valid() {
		return nil, opsward.FieldErrorf("role", "%q is not a role", role)
	}
	a, _ := FromContext(ctx)
	if !canGrant(a, role) {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "only an owner can invite an owner")
	}
	tok, err := authn.NewInvitationToken()
	if err != nil {
		return nil, opsward.Internal(err)
	}
	var out *Invitation
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.Tenant.Get(ctx, tenantID); err != nil {
			return opsward.FieldErrorf("tenantId", "no tenant %s in your reach", tenantID)
		}
		inv, err := tx.Invitation.Create().SetTenantID(tenantID).SetEmail(email).SetRole(role).
			SetTokenHash(hex.EncodeToString(tok.Hash)).SetInvitedBy(a.ID).
			SetExpiresAt(s.now().Add(s.cfg.InvitationTTL)).Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		out = &Invitation{Invitation: inv, Token: tok.Reveal()}
		return s.Audit(ctx, tx, AuditRecord{TenantID: tenantID, Action: "member.invite", TargetID: inv.ID, Detail: "email=" + email + " role=" + string(role)})
	})
	if err != nil {
		return nil, err
	}
	s.mailInvitation(ctx, out)
	return out, nil
}

// AcceptInput accepts an invitation. A new user gives a name and a
// password; an existing user proves the account with its password.
type AcceptInput struct {
	Token    string
	Name     string
	Password string
}

// AcceptInvitation turns an invitation into a membership, creating the
// user when the email has none. It needs no actor: the token is the proof.
func (s *Service) AcceptInvitation(ctx context.Context, in AcceptInput) (*ent.Membership, error) {
	p, err := authn.ParseOpaqueSecret(authn.KindInvitation, in.Token)
	if err != nil {
		return nil, opsward.FieldErrorf("token", "the invitation token is malformed")
	}
	pctx := Privileged(ctx, "accept invitation")
	invalid := opsward.FieldErrorf("token", "the invitation is unknown, used, revoked or expired")
	var out *ent.Membership
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		inv, err := tx.Invitation.Query().Where(invitation.TokenHash(hex.EncodeToString(p.HashOf()))).Only(pctx)
		if err != nil || inv.AcceptedAt != nil || inv.RevokedAt != nil || s.now().After(inv.ExpiresAt) {
			return invalid
		}
		u, err := tx.User.Query().Where(user.Email(inv.Email)).Only(pctx)
		switch {
		case ent.IsNotFound(err):
			if err := validateName("name", in.Name); err != nil {
				return err
			}
			if err := s.cfg.Password.Check(in.Password, inv.Email, in.Name); err != nil {
				return err
			}
			hash, err := s.hasher.Hash(ctx, in.Password)
			if err != nil {
				return opsward.Internal(err)
			}
			if u, err = tx.User.Create().SetEmail(inv.Email).SetName(strings.TrimSpace(in.Name)).SetPasswordHash(hash).Save(pctx); err != nil {
				return storageErr(err)
			}
		case err != nil:
			return storageErr(err)
		default:
			ok, _, err := s.hasher.Verify(ctx, in.Password, u.PasswordHash)
			if err != nil || !ok {
				return opsward.FieldErrorf("password", "the password does not match the existing account for %s", inv.Email)
			}
		}
		exists, err := tx.Membership.Query().Where(membership.TenantID(inv.TenantID), membership.UserID(u.ID)).Only(pctx)
		switch {
		case err == nil:
			out = exists
		case ent.IsNotFound(err):
			if out, err = tx.Membership.Create().SetTenantID(inv.TenantID).SetUserID(u.ID).SetRole(inv.Role).Save(pctx); err != nil {
				return storageErr(err)
			}
		default:
			return storageErr(err)
		}
		if err := tx.Invitation.UpdateOne(inv).SetAcceptedAt(s.now()).Exec(pctx); err != nil {
			return storageErr(err)
		}
		// The caller has no credentials yet, so nothing it reads later can
		// be scoped by its tenant: load what the membership shows with it.
		if out, err = tx.Membership.Query().Where(membership.ID(out.ID)).WithUser().WithTenant().Only(pctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: inv.TenantID, Action: "member.accept", TargetID: out.ID,
			ActorType: ActorUser, ActorID: u.ID, ActorTenantID: inv.TenantID, Detail: "email=" + inv.Email})
	})
	return out, err
}

// UpdateMembership changes a member's role.
func (s *Service) UpdateMembership(ctx context.Context, id string, role opsward.Role) (*ent.Membership, error) {
	if err := Authorize(ctx, PermMembersWrite); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, opsward.FieldErrorf("role", "%q is not a role", role)
	}
	a, _ := FromContext(ctx)
	var out *ent.Membership
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Membership.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if !canGrant(a, role) || (m.Role == opsward.RoleOwner && !canGrant(a, opsward.RoleOwner)) {
			return opsward.Errorf(opsward.EFORBIDDEN, "only an owner can make or unmake an owner")
		}
		if m.Role == opsward.RoleOwner && role != opsward.RoleOwner {
			if err := s.keepAnOwner(ctx, tx, m); err != nil {
				return err
			}
		}
		if out, err = tx.Membership.UpdateOne(m).SetRole(role).Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: m.TenantID, Action: "member.update", TargetID: m.ID, Detail: "role=" + string(role)})
	})
	if err == nil {
		s.cache.purgeAll()
		s.publishInvalidation(ctx)
	}
	return out, err
}

// RemoveMembership removes a member from a tenant.
func (s *Service) RemoveMembership(ctx context.Context, id string) (*ent.Membership, error) {
	if err := Authorize(ctx, PermMembersWrite); err != nil {
		return nil, err
	}
	a, _ := FromContext(ctx)
	var out *ent.Membership
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Membership.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if m.Role == opsward.RoleOwner {
			if !canGrant(a, opsward.RoleOwner) {
				return opsward.Errorf(opsward.EFORBIDDEN, "only an owner can remove an owner")
			}
			if err := s.keepAnOwner(ctx, tx, m); err != nil {
				return err
			}
		}
		if err := tx.Membership.DeleteOne(m).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = m
		return s.Audit(ctx, tx, AuditRecord{TenantID: m.TenantID, Action: "member.remove", TargetID: m.ID, Detail: "user=" + m.UserID})
	})
	if err == nil {
		s.cache.purgeAll()
		s.publishInvalidation(ctx)
	}
	return out, err
}

// keepAnOwner refuses to take away the last owner of a tenant.
func (s *Service) keepAnOwner(ctx context.Context, tx *ent.Tx, m *ent.Membership) error {
	n, err := tx.Membership.Query().Where(membership.TenantID(m.TenantID), membership.RoleEQ(opsward.RoleOwner)).Count(ctx)
	if err != nil {
		return storageErr(err)
	}
	if n <= 1 {
		return opsward.Errorf(opsward.ECONFLICT, "this is the tenant's last owner: make another owner first")
	}
	return nil
}

// InvitationsQuery lists a tenant's invitations; with pending, only those
// still open (not accepted, revoked or expired). The tenant scoping of the
// storage layer keeps it to tenants in reach.
func (s *Service) InvitationsQuery(ctx context.Context, tenantID string, pending bool) (*ent.InvitationQuery, error) {
	if err := Authorize(ctx, PermMembersWrite); err != nil {
		return nil, err
	}
	if !opsward.ValidID(tenantID, opsward.PrefixTenant) {
		return nil, opsward.FieldErrorf("tenantId", "%q is not a tenant id", tenantID)
	}
	q := s.client.Invitation.Query().Where(invitation.TenantID(tenantID))
	if pending {
		q = q.Where(invitation.AcceptedAtIsNil(), invitation.RevokedAtIsNil(), invitation.ExpiresAtGT(s.now()))
	}
	return q, nil
}

// RevokeInvitation withdraws an invitation that is not accepted yet: its
// token stops working at once. Revoking twice is harmless; an accepted
// invitation cannot be revoked (remove the membership instead).
func (s *Service) RevokeInvitation(ctx context.Context, id string) (*ent.Invitation, error) {
	if err := Authorize(ctx, PermMembersWrite); err != nil {
		return nil, err
	}
	var out *ent.Invitation
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		inv, err := tx.Invitation.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		a, _ := FromContext(ctx)
		if !canGrant(a, inv.Role) {
			return opsward.Errorf(opsward.EFORBIDDEN, "only an owner can revoke an owner's invitation")
		}
		switch {
		case inv.RevokedAt != nil:
			out = inv
			return nil
		case inv.AcceptedAt != nil:
			return opsward.FieldErrorf("id", "the invitation was accepted already; remove the membership instead")
		}
		if out, err = tx.Invitation.UpdateOne(inv).SetRevokedAt(s.now()).Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: inv.TenantID, Action: "member.invite.revoke", TargetID: inv.ID, Detail: "email=" + inv.Email})
	})
	return out, err
}
