package monitoring

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opsward/opsward/tenants"
)

// DemoCounts says what SeedDemo made for one tenant.
type DemoCounts struct {
	Assets, Monitors, Incidents, Channels int
}

// SeedDemo gives a tenant demonstration NOC data: a switch and a web
// server behind it, an HTTP monitor and a heartbeat monitor (both paused:
// demonstration data changes nothing until someone resumes them), a
// webhook channel (disabled: its address is an example), an escalation
// policy, a weekly maintenance window and
// an incident opened by hand with a comment.
func (s *Service) SeedDemo(ctx context.Context, tenantID string) (DemoCounts, error) {
	ctx = tenants.Privileged(ctx, "seed demo NOC data")
	str := func(v string) *string { return &v }
	sw, err := s.CreateAsset(ctx, AssetInput{TenantID: tenantID, Name: str("core switch"), Kind: str("network_device"),
		Address: str("192.0.2.1"), Criticality: str("critical"), Site: str("HQ"), Tags: []string{"network"}})
	if err != nil {
		return DemoCounts{}, err
	}
	web, err := s.CreateAsset(ctx, AssetInput{TenantID: tenantID, Name: str("web server"), Kind: str("website"),
		Address: str("https://www.example.com"), Criticality: str("high"), Site: str("HQ"), Tags: []string{"web", "shop"}})
	if err != nil {
		return DemoCounts{}, err
	}
	if _, err := s.AddDependency(ctx, web.ID, sw.ID); err != nil {
		return DemoCounts{}, err
	}
	off := false
	ch, err := s.CreateChannel(ctx, ChannelInput{TenantID: tenantID, Name: str("on-call webhook"), Kind: "webhook", Enabled: &off,
		Config: json.RawMessage(`{"url":"https://hooks.example.com/opsward","secret":"whsec_demo_0123456789abcdef"}`)})
	if err != nil {
		return DemoCounts{}, err
	}
	pol, err := s.CreateEscalationPolicy(ctx, PolicyInput{TenantID: tenantID, Name: "business hours",
		Levels: []Level{{Targets: []string{ch.ID}}, {Delay: 15 * time.Minute, Targets: []string{ch.ID}}}, Repeat: 1, RepeatAfter: 30 * time.Minute})
	if err != nil {
		return DemoCounts{}, err
	}
	plan, err := s.Billing.Plan(ctx, tenantID)
	if err != nil {
		return DemoCounts{}, err
	}
	kind, interval := "http", plan.MinInterval
	m, err := s.CreateMonitor(ctx, MonitorInput{AssetID: web.ID, Name: str("shop front page"), Kind: &kind,
		Settings: json.RawMessage(`{"url":"https://www.example.com/","expected_status":["2xx"],"body_contains":"Example","headers":{"Authorization":"Bearer demo-token"}}`),
		Interval: &interval, EscalationPolicyID: &pol.ID, ChannelIDs: []string{ch.ID}, SetChannelIDs: true})
	if err != nil {
		return DemoCounts{}, err
	}
	if _, err := s.SetPaused(ctx, m.Monitor.ID, true); err != nil {
		return DemoCounts{}, err
	}
	hb := "heartbeat"
	beat, err := s.CreateMonitor(ctx, MonitorInput{AssetID: web.ID, Name: str("nightly backup"), Kind: &hb,
		Settings: json.RawMessage(`{"interval":"24h","grace":"1h"}`), Interval: &interval})
	if err != nil {
		return DemoCounts{}, err
	}
	if _, err := s.SetPaused(ctx, beat.Monitor.ID, true); err != nil {
		return DemoCounts{}, err
	}
	if _, err := s.CreateMaintenanceWindow(ctx, WindowInput{TenantID: tenantID, Name: "Sunday patching", AssetIDs: []string{web.ID},
		Recurrence: "weekly", Weekdays: []time.Weekday{time.Sunday}, StartTime: "02:00", Duration: 2 * time.Hour}); err != nil {
		return DemoCounts{}, err
	}
	inc, err := s.CreateIncident(ctx, IncidentInput{TenantID: tenantID, AssetID: sw.ID, Title: "Packet loss on the core switch uplink", Severity: "medium"})
	if err != nil {
		return DemoCounts{}, err
	}
	if _, err := s.Comment(ctx, inc.ID, "Carrier ticket opened."); err != nil {
		return DemoCounts{}, err
	}
	return DemoCounts{Assets: 2, Monitors: 2, Incidents: 1, Channels: 1}, nil
}
