package tenants

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
)

// BootstrapInput names the provider tenant and its first owner.
type BootstrapInput struct {
	ProviderSlug string
	ProviderName string
	Email        string
	Name         string
	Password     string // empty: generate one
}

// BootstrapResult is what Bootstrap created. Password is set only when it
// was generated, to be shown once.
type BootstrapResult struct {
	Provider          *ent.Tenant
	Owner             *ent.User
	GeneratedPassword string
}

// Bootstrap creates the provider tenant and its owner on an empty
// database. It returns nil, nil when the database already has tenants.
func (s *Service) Bootstrap(ctx context.Context, in BootstrapInput) (*BootstrapResult, error) {
	pctx := Privileged(ctx, "bootstrap")
	n, err := s.client.Tenant.Query().Count(pctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if n > 0 {
		return nil, nil
	}
	if in.ProviderSlug == "" {
		in.ProviderSlug, in.ProviderName = "msp", "Managed service provider"
	}
	if in.Email == "" {
		in.Email = "admin@opsward.local"
	}
	if in.Name == "" {
		in.Name = "Administrator"
	}
	res := &BootstrapResult{}
	if in.Password == "" {
		if in.Password, err = GeneratePassword(); err != nil {
			return nil, err
		}
		res.GeneratedPassword = in.Password
	}
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		t, err := s.insertTenant(pctx, tx, nil, tenant.KindProvider, TenantInput{Slug: in.ProviderSlug, Name: in.ProviderName})
		if err != nil {
			return err
		}
		u, err := s.createMember(pctx, tx, t.ID, in.Email, in.Name, in.Password, opsward.RoleOwner)
		if err != nil {
			return err
		}
		res.Provider, res.Owner = t, u
		return s.Audit(pctx, tx, AuditRecord{TenantID: t.ID, Action: "tenant.bootstrap", TargetID: t.ID,
			ActorType: ActorSystem, Detail: "owner=" + in.Email})
	})
	if opsward.ErrorCode(err) == opsward.ECONFLICT {
		// Another process bootstrapped the same empty database first.
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// createMember creates a user with a password and a membership; the
// privileged path of bootstrap and demonstration data.
func (s *Service) createMember(pctx context.Context, tx *ent.Tx, tenantID, email, name, password string, role opsward.Role) (*ent.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := validateEmail("email", email); err != nil {
		return nil, err
	}
	if err := s.cfg.Password.Check(password, email, name); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(pctx, password)
	if err != nil {
		return nil, opsward.Internal(err)
	}
	u, err := tx.User.Create().SetEmail(email).SetName(name).SetPasswordHash(hash).Save(pctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if _, err := tx.Membership.Create().SetTenantID(tenantID).SetUserID(u.ID).SetRole(role).Save(pctx); err != nil {
		return nil, storageErr(err)
	}
	return u, nil
}

// GeneratePassword returns a random password of 24 characters that meets
// the password policy.
func GeneratePassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", opsward.Internal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
