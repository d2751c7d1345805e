package main

import "context"

// openResponse wires cases, indicator lists and playbooks.
func (m *Main) openResponse(ctx context.Context) error { return nil }

// mountResponse adds the External Dynamic Lists.
func (m *Main) mountResponse() {}

// seedSOCDemo gives a customer demonstration SOC data.
func (m *Main) seedSOCDemo(ctx context.Context, tenantID string) error {
	_, err := m.SOC.SeedDemo(ctx, tenantID)
	return err
}
