package tenants

import (
	"context"
	"strings"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/membership"
)

// TargetTenant resolves the tenant a new object goes to: the one named,
// which the actor must reach, or the acting tenant when none is named.
// The error names the field tenantId.
func (s *Service) TargetTenant(ctx context.Context, tenantID string) (string, error) {
	a, err := Require(ctx)
	if err != nil {
		return "", err
	}
	if tenantID == "" || tenantID == a.TenantID {
		if a.TenantID == "" {
			return "", opsward.FieldErrorf("tenantId", "name the tenant")
		}
		return a.TenantID, nil
	}
	path, err := s.Path(ctx, tenantID)
	if err != nil || (!a.IsPrivileged() && !a.Reaches(path)) {
		return "", opsward.FieldErrorf("tenantId", "no tenant %s in your reach", tenantID)
	}
	return tenantID, nil
}

// Narrow returns ctx with its actor acting on tenantID, which it must
// reach: stores that read one tenant (results, uptime, events) then see
// the object's tenant even when MSP staff act from above it.
func (s *Service) Narrow(ctx context.Context, tenantID string) (context.Context, error) {
	a, err := Require(ctx)
	if err != nil {
		return nil, err
	}
	if a.TenantID == tenantID {
		return ctx, nil
	}
	path, err := s.Path(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !a.IsPrivileged() && !a.Reaches(path) {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "not found")
	}
	n := *a
	n.TenantID, n.TenantPath = tenantID, path
	return NewContext(ctx, &n), nil
}

// IsMember reports whether a user belongs to a tenant or to a tenant above
// it (whom work of the tenant may be assigned to). Members of a tenant
// above may be out of the actor's sight, so the lookup is privileged; it
// answers only yes or no.
func (s *Service) IsMember(ctx context.Context, userID, tenantID string) (bool, error) {
	path, err := s.Path(ctx, tenantID)
	if err != nil {
		return false, err
	}
	ok, err := s.client.Membership.Query().
		Where(membership.UserID(userID), membership.TenantIDIn(strings.Split(strings.Trim(path, "/"), "/")...)).
		Exist(Privileged(ctx, "membership check"))
	return ok, StorageError(err)
}
