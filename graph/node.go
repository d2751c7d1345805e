package graph

import (
	"context"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/apikey"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/ent/casetask"
	"github.com/opsward/opsward/ent/detectionrule"
	"github.com/opsward/opsward/ent/escalationpolicy"
	"github.com/opsward/opsward/ent/evidence"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/incidententry"
	"github.com/opsward/opsward/ent/indicator"
	"github.com/opsward/opsward/ent/indicatorlist"
	"github.com/opsward/opsward/ent/invitation"
	"github.com/opsward/opsward/ent/logsource"
	"github.com/opsward/opsward/ent/maintenancewindow"
	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/notificationchannel"
	"github.com/opsward/opsward/ent/playbook"
	"github.com/opsward/opsward/ent/playbookrun"
	"github.com/opsward/opsward/ent/probeagent"
	"github.com/opsward/opsward/ent/probelocation"
	"github.com/opsward/opsward/ent/securitycase"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/ent/user"
	"github.com/opsward/opsward/tenants"
)

// nodeTables maps an ID prefix to the table node(id:) reads, so that a
// lookup is one query and an ID of an unknown kind is refused at once.
var nodeTables = map[string]string{
	opsward.PrefixTenant:        tenant.Table,
	opsward.PrefixUser:          user.Table,
	opsward.PrefixMembership:    membership.Table,
	opsward.PrefixInvitation:    invitation.Table,
	opsward.PrefixAPIKey:        apikey.Table,
	opsward.PrefixAudit:         auditentry.Table,
	opsward.PrefixAsset:         asset.Table,
	opsward.PrefixMonitor:       monitor.Table,
	opsward.PrefixIncident:      incident.Table,
	opsward.PrefixTimeline:      incidententry.Table,
	opsward.PrefixMaintenance:   maintenancewindow.Table,
	opsward.PrefixEscalation:    escalationpolicy.Table,
	opsward.PrefixChannel:       notificationchannel.Table,
	opsward.PrefixLogSource:     logsource.Table,
	opsward.PrefixRule:          detectionrule.Table,
	opsward.PrefixAlert:         alert.Table,
	opsward.PrefixIndicatorList: indicatorlist.Table,
	opsward.PrefixIndicator:     indicator.Table,
	opsward.PrefixCase:          securitycase.Table,
	opsward.PrefixCaseEntry:     caseentry.Table,
	opsward.PrefixCaseTask:      casetask.Table,
	opsward.PrefixEvidence:      evidence.Table,
	opsward.PrefixPlaybook:      playbook.Table,
	opsward.PrefixPlaybookRun:   playbookrun.Table,
	opsward.PrefixLocation:      probelocation.Table,
	opsward.PrefixProbeAgent:    probeagent.Table,
}

func nodeType(_ context.Context, id string) (string, error) {
	if t, ok := nodeTables[opsward.IDPrefix(id)]; ok && opsward.ValidID(id, "") {
		return t, nil
	}
	return "", opsward.Errorf(opsward.ENOTFOUND, "no object has id %q", id)
}

func (r *Resolver) node(ctx context.Context, id string) (ent.Noder, error) {
	if _, err := tenants.Require(ctx); err != nil {
		return nil, err
	}
	n, err := r.Client.Noder(ctx, id, ent.WithNodeType(nodeType))
	if ent.IsNotFound(err) || ent.IsNotSingular(err) {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no object has id %q", id)
	}
	return n, mapEntError(err)
}

func (r *Resolver) nodes(ctx context.Context, ids []string) ([]ent.Noder, error) {
	if _, err := tenants.Require(ctx); err != nil {
		return nil, err
	}
	if len(ids) > MaxPage {
		return nil, opsward.FieldErrorf("ids", "at most %d ids at once, got %d", MaxPage, len(ids))
	}
	out := make([]ent.Noder, len(ids))
	for i, id := range ids {
		n, err := r.node(ctx, id)
		if err != nil && opsward.ErrorCode(err) != opsward.ENOTFOUND {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// mapEntError turns storage errors into domain errors; see
// tenants.StorageError.
func mapEntError(err error) error { return tenants.StorageError(err) }
