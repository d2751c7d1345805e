package main

import (
	"context"
	"fmt"

	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/tenants"
)

// seedSavedViews gives a member of each customer a saved view of the alert
// queue, so that the cross-tenant suite finds a saved view of the victim's
// to try savedViews and deleteSavedView against.
func seedSavedViews(ctx context.Context, m *Main, customers ...string) error {
	pctx := tenants.Privileged(ctx, "cross-tenant test: saved views")
	for _, c := range customers {
		mem, err := m.Client.Membership.Query().Where(membership.TenantID(c)).Order(membership.ByID()).First(pctx)
		if err != nil {
			return fmt.Errorf("a member of %s: %w", c, err)
		}
		if _, err := m.Client.SavedView.Create().SetTenantID(c).SetUserID(mem.UserID).SetScope("alerts").
			SetName("critical new").SetFilters(map[string]string{"status": "new", "severity": "critical"}).Save(pctx); err != nil {
			return err
		}
	}
	return nil
}
