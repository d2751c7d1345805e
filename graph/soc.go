package graph

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/detectionrule"
	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/tenants"
)

func sourceInput(in model.LogSourceInput) detect.SourceInput {
	return detect.SourceInput{TenantID: deref(in.TenantID), Name: in.Name, CIDRs: in.Cidrs, SetCIDRs: in.Cidrs != nil,
		Port: in.Port, NewToken: in.NewToken != nil && *in.NewToken, Format: in.Format, Enabled: in.Enabled}
}

func sourcePayload(ns *detect.NewSource, ue []*model.UserError) *model.LogSourcePayload {
	p := &model.LogSourcePayload{UserErrors: ue}
	if ns != nil {
		p.LogSource = ns.Source
		if ns.Token != "" {
			p.Token = &ns.Token
		}
	}
	return p
}

func securityEvents(evs []events.Event) []*model.SecurityEvent {
	out := make([]*model.SecurityEvent, len(evs))
	for i, e := range evs {
		fields, _ := json.Marshal(e.Fields)
		se := &model.SecurityEvent{ID: e.ID, TenantID: e.TenantID, Timestamp: e.Time, ReceivedAt: e.ReceivedAt, SourceID: e.SourceID,
			Dataset: e.Dataset, Category: e.Category, Action: e.Action, Outcome: e.Outcome, HostName: e.HostName, UserName: e.UserName,
			SourceIP: e.SourceIP, DestinationIP: e.DestinationIP, ProcessExecutable: e.ProcessExecutable, EventCode: e.EventCode,
			Message: e.Message, Fields: model.JSON(fields), Original: e.Original}
		if e.Severity != nil {
			se.Severity = *e.Severity
		}
		if e.DestinationPort != nil {
			se.DestinationPort = *e.DestinationPort
		}
		out[i] = se
	}
	return out
}

// alertRule finds the rule that raised a Sigma alert among the rules that
// apply to the alert's tenant (its own and the libraries above it),
// preferring the nearest, as detection does. The viewer sees the alert,
// so the alert's tenant is in its reach; the rules above it are the
// libraries every tenant below them reads.
func (r *Resolver) alertRule(ctx context.Context, a *ent.Alert) (*ent.DetectionRule, error) {
	if a.Source != alert.SourceSigma || a.RuleID == "" {
		return nil, nil
	}
	nctx, err := r.Tenancy.Narrow(ctx, a.TenantID)
	if err != nil {
		return nil, err
	}
	q, pctx, err := r.SOC.RulesQuery(nctx)
	if err != nil {
		return nil, err
	}
	rules, err := q.Where(detectionrule.RuleID(a.RuleID)).All(pctx)
	if err != nil {
		return nil, mapEntError(err)
	}
	actor, err := tenants.Require(nctx)
	if err != nil {
		return nil, err
	}
	var best *ent.DetectionRule
	depth := -1
	for _, rule := range rules {
		if d := strings.Index(actor.TenantPath, "/"+rule.TenantID+"/"); d > depth {
			best, depth = rule, d
		}
	}
	return best, nil
}
