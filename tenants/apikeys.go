package tenants

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/apikey"
	"github.com/opsward/opsward/tenants/authn"
)

// NewAPIKey is a created key and its secret, shown once.
type NewAPIKey struct {
	*ent.APIKey
	Secret string
}

// MaxAPIKeysPerTenant bounds how many live keys a tenant holds.
const MaxAPIKeysPerTenant = 100

// CreateAPIKey creates a scoped key for tenantID.
func (s *Service) CreateAPIKey(ctx context.Context, tenantID, name string, scopes []string, expiresAt *time.Time) (*NewAPIKey, error) {
	if err := Authorize(ctx, PermAPIKeysWrite); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, opsward.FieldErrorf("name", "name must be 1 to 100 bytes")
	}
	parsed, err := authn.ParseScopes(scopes)
	if err != nil {
		return nil, opsward.FieldErrorf("scopes", "%s", opsward.ErrorMessage(err))
	}
	if len(parsed) == 0 {
		return nil, opsward.FieldErrorf("scopes", "name at least one scope")
	}
	if expiresAt != nil && !expiresAt.After(s.now()) {
		return nil, opsward.FieldErrorf("expiresAt", "expiresAt must be in the future")
	}
	a, _ := FromContext(ctx)
	if a.Kind == ActorAPIKey && !authn.Scopes(toScopes(a.Scopes)).Allows(authn.ScopeAdmin) {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "only an admin key can create keys")
	}
	var out *NewAPIKey
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.Tenant.Get(ctx, tenantID); err != nil {
			return opsward.FieldErrorf("tenantId", "no tenant %s in your reach", tenantID)
		}
		n, err := tx.APIKey.Query().Where(apikey.TenantID(tenantID), apikey.RevokedAtIsNil()).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxAPIKeysPerTenant {
			return opsward.Errorf(opsward.ELIMIT, "tenant %s already has %d live API keys, the most allowed: revoke one first", tenantID, n)
		}
		names := make([]string, len(parsed))
		for i, sc := range parsed {
			names[i] = string(sc)
		}
		out, err = s.insertAPIKey(ctx, tx, a, tenantID, name, names, expiresAt)
		return err
	})
	return out, err
}

// insertAPIKey writes a key and its audit entry.
func (s *Service) insertAPIKey(ctx context.Context, tx *ent.Tx, a *Actor, tenantID, name string, scopes []string, expiresAt *time.Time) (*NewAPIKey, error) {
	key, err := authn.NewAPIKey()
	if err != nil {
		return nil, opsward.Internal(err)
	}
	c := tx.APIKey.Create().SetTenantID(tenantID).SetName(name).SetPrefix(key.Prefix).
		SetSecretHash(hex.EncodeToString(key.Hash)).SetScopes(scopes).SetCreatedBy(a.ID)
	if expiresAt != nil {
		c.SetExpiresAt(*expiresAt)
	}
	k, err := c.Save(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if err := s.Audit(ctx, tx, AuditRecord{TenantID: tenantID, Action: "apikey.create", TargetID: k.ID,
		Detail: "name=" + name + " scopes=" + strings.Join(scopes, " ")}); err != nil {
		return nil, err
	}
	return &NewAPIKey{APIKey: k, Secret: key.Reveal()}, nil
}

// RevokeAPIKey revokes a key at once, in every process.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) (*ent.APIKey, error) {
	if err := Authorize(ctx, PermAPIKeysWrite); err != nil {
		return nil, err
	}
	var out *ent.APIKey
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		k, err := tx.APIKey.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if k.RevokedAt != nil {
			out = k
			return nil
		}
		if out, err = tx.APIKey.UpdateOne(k).SetRevokedAt(s.now()).Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: k.TenantID, Action: "apikey.revoke", TargetID: k.ID})
	})
	if err == nil {
		s.cache.purgeKey(out.Prefix)
		s.publishInvalidation(ctx)
	}
	return out, err
}
