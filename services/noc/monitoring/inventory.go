package monitoring

import (
	"context"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/services/noc/probe"
)

// MaxInventory bounds the assets one inventory question returns.
const MaxInventory = 20_000

// Inventory lists one tenant's assets with their monitors loaded (the
// tenant must be in the actor's reach), for reports that judge coverage.
func (s *Service) Inventory(ctx context.Context, tenantID string) ([]*ent.Asset, error) {
	as, err := s.Client.Asset.Query().Where(asset.TenantID(tenantID)).
		WithMonitors(func(q *ent.MonitorQuery) { q.Order(ent.Asc(monitor.FieldName), ent.Asc(monitor.FieldID)) }).
		Order(ent.Asc(asset.FieldName), ent.Asc(asset.FieldID)).Limit(MaxInventory).All(ctx)
	return as, storageErr(err)
}

// CertNotAfter is when the certificate a TLS monitor last saw expires.
func CertNotAfter(m *ent.Monitor) (time.Time, bool) {
	if m.Kind != monitor.KindTLS {
		return time.Time{}, false
	}
	return probe.CertNotAfter(m.ProbeState)
}

// IncidentsOpened lists one tenant's incidents opened in [from, to),
// oldest first (at most 100,000).
func (s *Service) IncidentsOpened(ctx context.Context, tenantID string, from, to time.Time) ([]*ent.Incident, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	is, err := s.Client.Incident.Query().Where(incident.TenantID(tenantID), incident.OpenedAtGTE(from), incident.OpenedAtLT(to)).
		Order(ent.Asc(incident.FieldOpenedAt), ent.Asc(incident.FieldID)).Limit(100_000).All(ctx)
	return is, storageErr(err)
}

// UptimeOf is MonitorUptime for a monitor already read.
func (s *Service) UptimeOf(ctx context.Context, m *ent.Monitor, from, to time.Time) (*Uptime, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	return s.uptimeOf(ctx, m, from, to)
}
