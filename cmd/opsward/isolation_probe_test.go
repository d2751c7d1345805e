package main

import (
	"context"
	"time"

	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/tenants"
)

// seedProbeAgents gives each customer a probe location with an enrolled
// agent, its first monitor run from there and from the workers, and that
// monitor's check at the location, so that the cross-tenant suite finds
// the victim's locations and agents to try probeLocations, probeAgents,
// node(id:), enrolProbeAgent, revokeProbeAgent and setMonitorLocations
// against.
func seedProbeAgents(ctx context.Context, m *Main, customers ...string) error {
	for _, c := range customers {
		sys, err := m.Tenants.SystemContext(ctx, c, "cross-tenant test: probe agents")
		if err != nil {
			return err
		}
		loc, err := m.Client.ProbeLocation.Create().SetTenantID(c).SetName("branch " + c[len(c)-6:]).Save(sys)
		if err != nil {
			return err
		}
		now := time.Now()
		if _, err := m.Client.ProbeAgent.Create().SetTenantID(c).SetLocationID(loc.ID).SetName("agent").
			SetEnrolledAt(now).SetLastSeenAt(now).SetVersion("test").SetCredentialHash("seeded-" + loc.ID).Save(sys); err != nil {
			return err
		}
		mon, err := m.Client.Monitor.Query().Where(monitor.TenantID(c)).Order(monitor.ByName()).First(tenants.Privileged(ctx, "cross-tenant test: a monitor"))
		if err != nil {
			return err
		}
		if err := m.Client.Monitor.UpdateOne(mon).SetLocations([]string{noc.LocalLocation, loc.ID}).SetMinFailedLocations(2).Exec(sys); err != nil {
			return err
		}
		if _, err := m.Client.ProbeCheck.Create().SetTenantID(c).SetMonitorID(mon.ID).SetLocationID(loc.ID).SetNextDueAt(now).Save(sys); err != nil {
			return err
		}
	}
	return nil
}
