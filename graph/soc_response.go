package graph

import (
	"encoding/json"

	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/services/soc/intel"
	"github.com/opsward/opsward/services/soc/response"
)

// indicatorInputNames are the inputs' names of fields that the intel
// domain names as STIX and CSV do.
var indicatorInputNames = map[string]string{"valid_until": "validUntil", "list_id": "listId", "tenant_id": "tenantId"}

func indicatorListPayload(nl *response.NewList, ue []*model.UserError) *model.IndicatorListPayload {
	p := &model.IndicatorListPayload{UserErrors: ue}
	if nl != nil {
		p.List = nl.List
		if nl.Token != "" {
			p.EdlToken = &nl.Token
		}
	}
	return p
}

func indicatorInput(in model.IndicatorInput) response.IndicatorInput {
	return response.IndicatorInput{ListID: in.ListID, Kind: deref(in.Kind), Value: in.Value, Source: deref(in.Source),
		Confidence: in.Confidence, TLP: deref(in.Tlp), ValidUntil: in.ValidUntil, Tags: in.Tags, Description: deref(in.Description)}
}

func playbookInput(in model.PlaybookInput) response.PlaybookInput {
	return response.PlaybookInput{TenantID: deref(in.TenantID), Name: in.Name, Enabled: in.Enabled,
		Trigger: json.RawMessage(in.Trigger), Steps: json.RawMessage(in.Steps)}
}

func importPayload(res *response.ImportResult, ue []*model.UserError) *model.ImportIndicatorsPayload {
	p := &model.ImportIndicatorsPayload{Rejected: []*model.ImportRejection{}, UserErrors: ue}
	if res == nil {
		return p
	}
	p.Imported = res.Imported
	for _, r := range res.Rejected {
		p.Rejected = append(p.Rejected, importRejection(r))
	}
	return p
}

func importRejection(r intel.Rejection) *model.ImportRejection {
	out := &model.ImportRejection{Index: r.Index, Reason: r.Reason}
	if r.Line > 0 {
		line := r.Line
		out.Line = &line
	}
	if r.ObjectID != "" {
		id := r.ObjectID
		out.ObjectID = &id
	}
	if r.Value != "" {
		v := r.Value
		out.Value = &v
	}
	return out
}

// jsonOrNull is stored JSON as the API returns it; an empty value reads as
// null rather than as invalid JSON.
func jsonOrNull(b []byte) model.JSON {
	if len(b) == 0 || !json.Valid(b) {
		return model.JSON("null")
	}
	return model.JSON(b)
}
