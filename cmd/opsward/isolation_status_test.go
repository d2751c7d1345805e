package main

import (
	"context"
	"fmt"

	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/tenants"
)

// seedStatusPages gives each customer a published status page of its first
// monitor, so that the cross-tenant suite finds a status page of the
// victim's to try statusPages, node(id:), publishStatusPage and
// unpublishStatusPage against.
func seedStatusPages(ctx context.Context, m *Main, customers ...string) error {
	for _, c := range customers {
		sys, err := m.Tenants.SystemContext(ctx, c, "cross-tenant test: status pages")
		if err != nil {
			return err
		}
		mon, err := m.Client.Monitor.Query().Where(monitor.TenantID(c)).Order(monitor.ByName()).First(tenants.Privileged(ctx, "cross-tenant test: a monitor"))
		if err != nil {
			return fmt.Errorf("a monitor of %s: %w", c, err)
		}
		if _, err := m.NOC.PublishStatusPage(sys, monitoring.StatusPageInput{Slug: "status-" + c[len(c)-8:], Title: "Status", MonitorIDs: []string{mon.ID}}); err != nil {
			return err
		}
	}
	return nil
}
