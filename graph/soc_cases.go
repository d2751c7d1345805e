package graph

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/services/soc/cases"
)

func caseInput(in model.CreateCaseInput) cases.CaseInput {
	return cases.CaseInput{TenantID: deref(in.TenantID), Title: in.Title, Description: deref(in.Description),
		Severity: deref(in.Severity), AlertIDs: in.AlertIds, AssigneeID: deref(in.AssigneeID)}
}

// casePayload turns a case operation's result into its payload: user
// mistakes become userErrors (their fields under prefix), the rest errors.
func casePayload(c *ent.SecurityCase, err error, prefix string) (*model.CasePayload, error) {
	ue, err := userErrors(err, prefix)
	return &model.CasePayload{Case: c, UserErrors: ue}, err
}

func caseTaskPayload(t *ent.CaseTask, err error) (*model.CaseTaskPayload, error) {
	ue, err := userErrors(err, "")
	return &model.CaseTaskPayload{Task: t, UserErrors: ue}, err
}

// decodeEvidence reads an evidence file sent as base64 (padded or not),
// refusing text too long for the largest file before decoding it.
func decodeEvidence(b64 string) ([]byte, error) {
	b64 = strings.TrimSpace(b64)
	if len(b64) > base64.StdEncoding.EncodedLen(cases.MaxEvidenceSize) {
		return nil, &opsward.Error{Code: opsward.ELIMIT, Field: "contentBase64",
			Message: fmt.Sprintf("evidence is at most %d bytes (10 MiB)", cases.MaxEvidenceSize)}
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(b64, "=") && len(b64)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(b64)
	if err != nil {
		return nil, opsward.FieldErrorf("contentBase64", "not valid base64: %v", err)
	}
	return b, nil
}

func custodyEntries(e *ent.Evidence) ([]*model.CustodyEntry, error) {
	cs, err := cases.Custody(e)
	if err != nil {
		return nil, err
	}
	out := make([]*model.CustodyEntry, len(cs))
	for k, c := range cs {
		out[k] = &model.CustodyEntry{At: c.At, ActorID: c.Actor, Action: c.Action, Sha256: c.SHA256}
	}
	return out, nil
}

func durationSeconds(d *time.Duration) *float64 {
	if d == nil {
		return nil
	}
	v := d.Seconds()
	return &v
}

// followCases streams the cases of the acting tenant's subtree that
// changed. It rides the NOC's event bus with kind "case": the process
// publishes there from cases.Deps.OnChange.
func followCases(ctx context.Context, r *subscriptionResolver) (<-chan *ent.SecurityCase, error) {
	return follow(ctx, r, "case", func(ctx context.Context, id string) (*ent.SecurityCase, error) {
		return r.Client.SecurityCase.Get(ctx, id)
	})
}
