package tenants

import (
	"context"
	"sort"
	"strings"

	"github.com/opsward/opsward/ent/predicate"
	"github.com/opsward/opsward/ent/tenant"
)

// Subtrees maps every tenant at or below the tenants named (roots) to the
// root it falls under, the deepest when roots nest, in two statements
// whatever their number. Unlike Subtree it reads as the actor: a root or
// a tenant out of reach is left out, so callers that group figures by
// root (the MSP overview) only ever count what the actor may see.
func (s *Service) Subtrees(ctx context.Context, roots []string) (map[string]string, error) {
	out := map[string]string{}
	if len(roots) == 0 {
		return out, nil
	}
	rs, err := s.client.Tenant.Query().Where(tenant.IDIn(roots...)).Select(tenant.FieldID, tenant.FieldPath).All(ctx)
	if err != nil || len(rs) == 0 {
		return out, StorageError(err)
	}
	prefixes := make([]predicate.Tenant, 0, len(rs))
	for _, t := range rs {
		prefixes = append(prefixes, tenant.PathHasPrefix(t.Path))
	}
	sort.Slice(rs, func(i, j int) bool { return len(rs[i].Path) > len(rs[j].Path) })
	below, err := s.client.Tenant.Query().Where(tenant.Or(prefixes...)).Select(tenant.FieldID, tenant.FieldPath).All(ctx)
	if err != nil {
		return nil, StorageError(err)
	}
	for _, t := range below {
		for _, r := range rs {
			if strings.HasPrefix(t.Path, r.Path) {
				out[t.ID] = r.ID
				break
			}
		}
	}
	return out, nil
}
