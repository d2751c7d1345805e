package graph

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/tenants"
)

// The inputs' names of fields that the NOC's domain names otherwise (it
// holds durations where the inputs hold seconds or milliseconds).
var (
	monitorInputNames    = map[string]string{"interval": "intervalSeconds", "timeout": "timeoutMs"}
	windowInputNames     = map[string]string{"start": "startsAt", "end": "endsAt", "timeZone": "timezone", "duration": "durationSeconds"}
	escalationInputNames = map[string]string{"repeatAfter": "repeatAfterSeconds", "delay": "delaySeconds"}
)

func assetInput(in model.AssetInput) monitoring.AssetInput {
	return monitoring.AssetInput{TenantID: deref(in.TenantID), Name: in.Name, Kind: in.Kind, Address: in.Address,
		Tags: in.Tags, SetTags: in.Tags != nil, Criticality: in.Criticality, Site: in.Site, Description: in.Description}
}

func monitorInput(in model.MonitorInput) monitoring.MonitorInput {
	out := monitoring.MonitorInput{Name: in.Name, Kind: in.Kind, Settings: json.RawMessage(in.Settings),
		FailuresBeforeDown: in.FailuresBeforeDown, SuccessesBeforeRecovery: in.SuccessesBeforeRecovery,
		DegradedMode: in.DegradedMode, FlapDetection: in.FlapDetection, EscalationPolicyID: in.EscalationPolicyID,
		ChannelIDs: in.ChannelIds, SetChannelIDs: in.ChannelIds != nil}
	if string(in.Settings) == "null" {
		out.Settings = nil
	}
	if in.IntervalSeconds != nil {
		d := time.Duration(*in.IntervalSeconds) * time.Second
		out.Interval = &d
	}
	if in.TimeoutMs != nil {
		d := time.Duration(*in.TimeoutMs) * time.Millisecond
		out.Timeout = &d
	}
	if in.SLATarget != nil {
		if *in.SLATarget == 0 {
			out.ClearSLATarget = true
		} else {
			out.SLATarget = in.SLATarget
		}
	}
	return out
}

func monitorPayload(nm *monitoring.NewMonitor, ue []*model.UserError) *model.MonitorPayload {
	p := &model.MonitorPayload{UserErrors: ue}
	if nm != nil {
		p.Monitor = nm.Monitor
		if nm.HeartbeatURL != "" {
			p.HeartbeatURL = &nm.HeartbeatURL
		}
	}
	return p
}

func windowInput(in model.MaintenanceWindowInput) monitoring.WindowInput {
	out := monitoring.WindowInput{TenantID: deref(in.TenantID), Name: in.Name, AssetIDs: in.AssetIds, MonitorIDs: in.MonitorIds,
		Recurrence: deref(in.Recurrence), TimeZone: deref(in.Timezone), StartTime: deref(in.StartTime)}
	if in.StartsAt != nil {
		out.Start = *in.StartsAt
	}
	if in.EndsAt != nil {
		out.End = *in.EndsAt
	}
	if in.Until != nil {
		out.Until = *in.Until
	}
	if in.MonthDay != nil {
		out.MonthDay = *in.MonthDay
	}
	if in.DurationSeconds != nil {
		out.Duration = time.Duration(*in.DurationSeconds) * time.Second
	}
	for _, d := range in.Weekdays {
		out.Weekdays = append(out.Weekdays, time.Weekday(d))
	}
	return out
}

func policyInput(in model.EscalationPolicyInput) monitoring.PolicyInput {
	out := monitoring.PolicyInput{TenantID: deref(in.TenantID), Name: in.Name}
	if in.Repeat != nil {
		out.Repeat = *in.Repeat
	}
	if in.RepeatAfterSeconds != nil {
		out.RepeatAfter = time.Duration(*in.RepeatAfterSeconds) * time.Second
	}
	for _, l := range in.Levels {
		out.Levels = append(out.Levels, monitoring.Level{Delay: time.Duration(l.DelaySeconds) * time.Second, Targets: l.Targets})
	}
	return out
}

func channelInput(in model.NotificationChannelInput) monitoring.ChannelInput {
	out := monitoring.ChannelInput{TenantID: deref(in.TenantID), Name: in.Name, Kind: deref(in.Kind),
		MinSeverity: in.MinSeverity, States: in.States, SetStates: in.States != nil, Enabled: in.Enabled}
	if len(in.Config) > 0 && string(in.Config) != "null" {
		out.Config = json.RawMessage(in.Config)
	}
	return out
}

func ms(d time.Duration) *float64 {
	v := float64(d) / float64(time.Millisecond)
	return &v
}

// uptimeReport is the GraphQL form of a report; u adds the monitor's
// percentiles, target its SLA.
func uptimeReport(r noc.UptimeReport, u *monitoring.Uptime, target *float64) *model.UptimeReport {
	c := r.Counts
	out := &model.UptimeReport{From: r.From, To: r.To,
		Checks: int(c.Up + c.Degraded + c.Down + c.Maintenance + c.Unknown),
		Up:     int(c.Up), Degraded: int(c.Degraded), Down: int(c.Down), Maintenance: int(c.Maintenance), Unknown: int(c.Unknown),
		DowntimeSeconds: r.Durations.Down.Seconds()}
	if p, ok := r.Uptime(); ok {
		out.UptimePercent = &p
	}
	if r.Latency.Count() > 0 {
		out.P50Ms, out.P95Ms, out.P99Ms = ms(r.Latency.Quantile(0.5)), ms(r.Latency.Quantile(0.95)), ms(r.Latency.Quantile(0.99))
	}
	if u != nil && u.HasSLA {
		out.SLATarget = target
		breached := u.SLA.Breached
		out.SLABreached = &breached
		allowed := u.SLA.AllowedDowntime.Seconds()
		out.SLAAllowedDowntimeSeconds = &allowed
	}
	return out
}

func checkResults(rs []results.Result, next string) *model.CheckResultConnection {
	out := &model.CheckResultConnection{Nodes: make([]*model.CheckResult, len(rs)), HasNextPage: next != ""}
	if next != "" {
		out.EndCursor = &next
	}
	for k, r := range rs {
		cr := &model.CheckResult{CheckedAt: r.CheckedAt, Status: string(r.Status), LatencyMs: *ms(r.Latency),
			Reason: r.Reason, Message: r.Message, InMaintenance: r.InMaintenance}
		if len(r.Metrics) > 0 {
			b, _ := json.Marshal(r.Metrics)
			cr.Metrics = model.JSON(b)
		}
		out.Nodes[k] = cr
	}
	return out
}

func meanTimes(mt noc.MeanTimes) *model.IncidentMeanTimes {
	out := &model.IncidentMeanTimes{Acknowledged: mt.Acked, Resolved: mt.Resolved, Incidents: mt.N}
	if mt.Acked > 0 {
		v := mt.MTTA.Seconds()
		out.MttaSeconds = &v
	}
	if mt.Resolved > 0 {
		v := mt.MTTR.Seconds()
		out.MttrSeconds = &v
	}
	return out
}

// entryDetail reads the full entry kept beside a timeline line.
func entryDetail(e *ent.IncidentEntry) noc.Entry {
	var out noc.Entry
	if len(e.Detail) > 0 {
		_ = json.Unmarshal(e.Detail, &out)
	}
	return out
}

func nocSignal(s *noc.Signal) *model.NOCSignal {
	if s == nil {
		return nil
	}
	out := &model.NOCSignal{Kind: string(s.Kind), Detail: s.Detail, Interface: optString(s.Interface),
		OldFingerprint: optString(s.OldFingerprint), NewFingerprint: optString(s.NewFingerprint)}
	if s.Observed != 0 || s.Expected != 0 {
		out.Observed, out.Expected = &s.Observed, &s.Expected
	}
	if s.Port != 0 {
		out.Port = &s.Port
	}
	return out
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNilStrings(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// follow streams the objects of the acting tenant's subtree that the NOC
// says changed, each read back through the subscriber's own scope (so an
// object it may not see is skipped).
func follow[T any](ctx context.Context, r *subscriptionResolver, kind string, get func(context.Context, string) (*T, error)) (<-chan *T, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := r.Client.Tenant.Query().Where(tenant.PathHasPrefix(a.TenantPath)).Limit(10_000).IDs(ctx)
	if err != nil {
		return nil, mapEntError(err)
	}
	if r.NOCEvents == nil {
		return nil, mapEntError(context.Canceled)
	}
	in := r.NOCEvents.Subscribe(ctx, kind, ids)
	out := make(chan *T, 1)
	go func() {
		defer close(out)
		for id := range in {
			v, err := get(ctx, id)
			if err != nil {
				continue
			}
			select {
			case out <- v:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
