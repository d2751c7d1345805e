package tenants

import (
	"context"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/apikey"
	"github.com/opsward/opsward/ent/membership"
)

// MemberAccess is one membership of a tenant with what an access review
// judges: the user, the role and whether a second factor is on.
type MemberAccess struct {
	MembershipID string
	UserID       string
	Email        string
	Role         opsward.Role
	MFA          bool
	CreatedAt    time.Time
}

// MemberAccess lists the memberships of one tenant (in the actor's
// reach) with their users' second factor, oldest first.
func (s *Service) MemberAccess(ctx context.Context, tenantID string) ([]MemberAccess, error) {
	ms, err := s.client.Membership.Query().Where(membership.TenantID(tenantID)).WithUser().
		Order(ent.Asc(membership.FieldCreatedAt), ent.Asc(membership.FieldID)).Limit(10_000).All(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	out := make([]MemberAccess, 0, len(ms))
	for _, m := range ms {
		a := MemberAccess{MembershipID: m.ID, UserID: m.UserID, Role: m.Role, CreatedAt: m.CreatedAt}
		if u := m.Edges.User; u != nil {
			a.Email, a.MFA = u.Email, u.TotpEnabled
		}
		out = append(out, a)
	}
	return out, nil
}

// ActiveAPIKeys lists one tenant's API keys that are neither revoked
// nor expired at now.
func (s *Service) ActiveAPIKeys(ctx context.Context, tenantID string, now time.Time) ([]*ent.APIKey, error) {
	ks, err := s.client.APIKey.Query().Where(apikey.TenantID(tenantID), apikey.RevokedAtIsNil(),
		apikey.Or(apikey.ExpiresAtIsNil(), apikey.ExpiresAtGT(now))).
		Order(ent.Asc(apikey.FieldCreatedAt), ent.Asc(apikey.FieldID)).Limit(10_000).All(ctx)
	return ks, storageErr(err)
}
