package detect

import (
	"context"
	"strings"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/detectionrule"
	"github.com/opsward/opsward/ent/ruleoverride"
	"github.com/opsward/opsward/tenants"
)

// AlertsFirstSeen lists one tenant's alerts first seen in [from, to),
// oldest first (at most 200,000), for reports.
func (s *Service) AlertsFirstSeen(ctx context.Context, tenantID string, from, to time.Time) ([]*ent.Alert, error) {
	as, err := s.Client.Alert.Query().Where(alert.TenantID(tenantID), alert.FirstSeenGTE(from), alert.FirstSeenLT(to)).
		Select(alert.FieldID, alert.FieldTenantID, alert.FieldTitle, alert.FieldSeverity, alert.FieldStatus,
			alert.FieldFirstSeen, alert.FieldAckedAt, alert.FieldClosedAt).
		Order(ent.Asc(alert.FieldFirstSeen), ent.Asc(alert.FieldID)).Limit(200_000).All(ctx)
	return as, storageErr(err)
}

// RulesByTactic counts the detection rules that run for the acting
// tenant (its own and those of the tenants above it, with its overrides)
// per MITRE ATT&CK tactic, from their Sigma tags ("attack.execution"
// counts for "execution"; technique tags such as attack.t1059 do not).
func (s *Service) RulesByTactic(ctx context.Context) (map[string]int, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return nil, err
	}
	q, pctx, err := s.RulesQuery(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := q.Where(detectionrule.KindEQ(detectionrule.KindDetection)).
		Select(detectionrule.FieldID, detectionrule.FieldEnabled, detectionrule.FieldTags).All(pctx)
	if err != nil {
		return nil, storageErr(err)
	}
	ovs, err := s.Client.RuleOverride.Query().Where(ruleoverride.TenantID(a.TenantID)).
		Select(ruleoverride.FieldRuleID, ruleoverride.FieldEnabled).All(tenants.Privileged(ctx, "rule overrides of the acting tenant"))
	if err != nil {
		return nil, storageErr(err)
	}
	over := make(map[string]bool, len(ovs))
	for _, o := range ovs {
		over[o.RuleID] = o.Enabled
	}
	out := map[string]int{}
	for _, r := range rules {
		on := r.Enabled
		if v, ok := over[r.ID]; ok {
			on = r.Enabled && v
		}
		if !on {
			continue
		}
		seen := map[string]bool{}
		for _, t := range r.Tags {
			t, ok := strings.CutPrefix(strings.ToLower(t), "attack.")
			t = strings.ReplaceAll(t, "-", "_")
			technique := len(t) > 1 && t[0] == 't' && t[1] >= '0' && t[1] <= '9'
			if !ok || technique || t == "" || seen[t] {
				continue
			}
			seen[t] = true
			out[t]++
		}
	}
	return out, nil
}
