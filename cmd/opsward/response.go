package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/services/soc/cases"
	"github.com/opsward/opsward/services/soc/response"
	"github.com/opsward/opsward/tenants"
)

// openResponse wires cases, indicator lists and playbooks, and joins them
// to detection: indicators are matched at ingest, playbooks hear of alerts.
func (m *Main) openResponse(ctx context.Context) error {
	var err error
	m.Cases, err = cases.New(cases.Deps{
		Client: m.Client, Tenants: m.Tenants, Events: m.SecurityEvents, Logger: m.Logger,
		OnChange: func(ctx context.Context, tenantID, caseID string) {
			m.NOCEvents.Publish(ctx, "case", tenantID, caseID)
		},
	})
	if err != nil {
		return err
	}
	m.Response, err = response.New(response.Deps{
		Client: m.Client, Tenants: m.Tenants, Dispatch: m.Dispatch,
		HTTP: egress.NewHTTPClient(m.Guard, 10*time.Second), Sealer: m.Sealer, Cases: m.Cases,
		Logger: m.Logger, PublicURL: m.publicURL(),
	})
	if err != nil {
		return err
	}
	m.SOC.Indicators, m.SOC.Playbooks = m.Response, m.Response
	if m.Roles.Worker {
		m.Response.Register(m.Workers)
	}
	return nil
}

// startResponse keeps the indicator matcher current in the processes that
// ingest (and the api's, which answers questions about indicators).
func (m *Main) startResponse(ctx context.Context) {
	if m.Roles.Ingest || m.Roles.API {
		m.goBackground(func() { m.Response.Run(ctx) })
	}
}

// seedSOCDemo gives a customer demonstration SOC data.
func (m *Main) seedSOCDemo(ctx context.Context, tenantID string) error {
	a, err := m.SOC.SeedDemo(ctx, tenantID)
	if err != nil {
		return err
	}
	caseID, err := m.Cases.OpenFromAlert(ctx, a.ID, "Demo investigation")
	if err != nil {
		return err
	}
	pctx := tenants.Privileged(ctx, "seed demo SOC data")
	if _, err := m.Cases.AddTask(pctx, caseID, "Confirm the logon with the user", ""); err != nil {
		return err
	}
	if _, err := m.Cases.AddEvidence(pctx, cases.EvidenceInput{CaseID: caseID, Name: "auth.log", ContentType: "text/plain",
		Content: []byte("Nov 26 02:13:07 demo-host sshd[811]: Accepted password for admin from 198.51.100.66 port 51122 ssh2\n")}); err != nil {
		return err
	}
	intelList, err := m.Response.CreateList(pctx, response.ListInput{TenantID: tenantID, Name: "partner feed", Kind: "intel"})
	if err != nil {
		return err
	}
	if _, err := m.Response.AddIndicator(pctx, response.IndicatorInput{ListID: intelList.List.ID, Value: "198.51.100.66",
		Source: "demo", Description: "known scanner"}); err != nil {
		return err
	}
	block, err := m.Response.CreateList(pctx, response.ListInput{TenantID: tenantID, Name: "firewall block list", Kind: "blocklist"})
	if err != nil {
		return err
	}
	_, err = m.Response.CreatePlaybook(pctx, response.PlaybookInput{TenantID: tenantID, Name: "block scanners",
		Trigger: json.RawMessage(`{"sources":["indicator"]}`),
		Steps:   json.RawMessage(`[{"type":"block_indicator","list_id":"` + block.List.ID + `","field":"indicator"}]`)})
	return err
}
