package detect

import (
	"context"
	"sort"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
)

// MaxOverviewTenants bounds one overview question (a page of customers).
const MaxOverviewTenants = 100

// OpenAlerts counts a tenant's open alerts (new or acknowledged, not
// closed) by severity.
type OpenAlerts struct {
	Critical, High, Medium, Low, Info int
}

// OpenAlertCounts counts the open alerts of each tenant named and of the
// tenants below it (a customer's organizations), in three statements
// whatever their number: two for the subtrees, one grouped count. Reads go
// through the actor's scope: a tenant out of reach is missing from the
// answer.
func (s *Service) OpenAlertCounts(ctx context.Context, tenantIDs []string) (map[string]OpenAlerts, error) {
	if len(tenantIDs) > MaxOverviewTenants {
		return nil, opsward.FieldErrorf("first", "the overview covers at most %d tenants at once", MaxOverviewTenants)
	}
	out := make(map[string]OpenAlerts, len(tenantIDs))
	rootOf, err := s.Tenants.Subtrees(ctx, tenantIDs)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(rootOf))
	for id, root := range rootOf {
		ids = append(ids, id)
		out[root] = OpenAlerts{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	sort.Strings(ids)
	var rows []struct {
		TenantID string `json:"tenant_id"`
		Severity string `json:"severity"`
		Count    int    `json:"count"`
	}
	if err := s.Client.Alert.Query().
		Where(alert.TenantIDIn(ids...), alert.StatusIn(alert.StatusNew, alert.StatusAcknowledged)).
		GroupBy(alert.FieldTenantID, alert.FieldSeverity).Aggregate(ent.Count()).Scan(ctx, &rows); err != nil {
		return nil, storageErr(err)
	}
	for _, r := range rows {
		root := rootOf[r.TenantID]
		v := out[root]
		switch alert.Severity(r.Severity) {
		case alert.SeverityCritical:
			v.Critical += r.Count
		case alert.SeverityHigh:
			v.High += r.Count
		case alert.SeverityMedium:
			v.Medium += r.Count
		case alert.SeverityLow:
			v.Low += r.Count
		default:
			v.Info += r.Count
		}
		out[root] = v
	}
	return out, nil
}
