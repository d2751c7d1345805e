package graph

import (
	"encoding/json"

	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/services/soc/events"
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
