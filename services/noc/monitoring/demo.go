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

// DemoTargets are the addresses the demonstration monitors watch: those
// of the target the binary serves in demo mode (cmd/opsward), whose state
// changes on its own, and of its webhook receiver. The zero value seeds
// inert data instead: example addresses, monitors paused, the channel
// disabled.
type DemoTargets struct {
	// Site is an HTTP URL that answers 200 for a minute, then 503 for half
	// a minute, again and again.
	Site string
	// Host and Port are the same server's (always open).
	Host string
	Port int
	// Hook receives the demonstration channel's signed webhooks.
	Hook string
}

// SeedDemo gives a tenant demonstration NOC data: a switch and a web
// server behind it, an HTTP monitor of the demonstration site (which goes
// down and back up on its own), a TCP monitor of the same server, a
// heartbeat monitor for a nightly backup, a webhook channel to the
// demonstration receiver, an escalation policy, a weekly maintenance
// window and an incident opened by hand with a comment. Monitors run at
// the plan's shortest interval.
func (s *Service) SeedDemo(ctx context.Context, tenantID string, at DemoTargets) (DemoCounts, error) {
	ctx = tenants.Privileged(ctx, "seed demo NOC data")
	live := at.Site != ""
	if !live {
		at = DemoTargets{Site: "https://www.example.com/", Host: "www.example.com", Port: 443, Hook: "https://hooks.example.com/opsward"}
	}
	str := func(v string) *string { return &v }
	sw, err := s.CreateAsset(ctx, AssetInput{TenantID: tenantID, Name: str("core switch"), Kind: str("network_device"),
		Address: str("192.0.2.1"), Criticality: str("critical"), Site: str("HQ"), Tags: []string{"network"}})
	if err != nil {
		return DemoCounts{}, err
	}
	web, err := s.CreateAsset(ctx, AssetInput{TenantID: tenantID, Name: str("web server"), Kind: str("website"),
		Address: str(at.Site), Criticality: str("high"), Site: str("HQ"), Tags: []string{"web", "shop"}})
	if err != nil {
		return DemoCounts{}, err
	}
	if _, err := s.AddDependency(ctx, web.ID, sw.ID); err != nil {
		return DemoCounts{}, err
	}
	hook, err := json.Marshal(map[string]string{"url": at.Hook, "secret": "whsec_demo_0123456789abcdef"})
	if err != nil {
		return DemoCounts{}, err
	}
	ch, err := s.CreateChannel(ctx, ChannelInput{TenantID: tenantID, Name: str("on-call webhook"), Kind: "webhook", Config: hook, Enabled: &live})
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
	site, err := json.Marshal(map[string]any{"url": at.Site, "expected_status": []string{"2xx"}, "body_contains": "Demo shop",
		"headers": map[string]string{"Authorization": "Bearer demo-token"}})
	if err != nil {
		return DemoCounts{}, err
	}
	tcp, err := json.Marshal(map[string]any{"host": at.Host, "port": at.Port})
	if err != nil {
		return DemoCounts{}, err
	}
	// No flap damping: the site's outages are meant to be seen.
	hk, tk, hb, interval, flap := "http", "tcp", "heartbeat", plan.MinInterval, false
	for _, in := range []MonitorInput{
		{AssetID: web.ID, Name: str("shop front page"), Kind: &hk, Settings: site, Interval: &interval, FlapDetection: &flap,
			EscalationPolicyID: &pol.ID, ChannelIDs: []string{ch.ID}, SetChannelIDs: true},
		{AssetID: web.ID, Name: str("web server port"), Kind: &tk, Settings: tcp, Interval: &interval,
			ChannelIDs: []string{ch.ID}, SetChannelIDs: true},
		{AssetID: web.ID, Name: str("nightly backup"), Kind: &hb, Settings: json.RawMessage(`{"interval":"24h","grace":"1h"}`),
			Interval: &interval},
	} {
		m, err := s.CreateMonitor(ctx, in)
		if err != nil {
			return DemoCounts{}, err
		}
		if !live {
			if _, err := s.SetPaused(ctx, m.Monitor.ID, true); err != nil {
				return DemoCounts{}, err
			}
		}
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
	return DemoCounts{Assets: 2, Monitors: 3, Incidents: 1, Channels: 1}, nil
}
