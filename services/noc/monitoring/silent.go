package monitoring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/probeagent"
	"github.com/opsward/opsward/ent/probelocation"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/tenants"
)

// WatchLocationsArgs is the periodic job that opens an incident for each
// probe location whose agents have all gone silent, and resolves it when
// one is heard again. The scheduler enqueues it every poll interval,
// deduplicated so that one runs at a time; it is idempotent.
type WatchLocationsArgs struct{}

func (WatchLocationsArgs) Kind() string { return "noc.watch_locations" }

// errAlreadyOpen rolls back an incident that another run of the watch
// opened first.
var errAlreadyOpen = errors.New("the location's silent incident is open already")

// locationRoute is how a silent location's incident is routed: as the
// incidents of the monitors it hides would be.
type locationRoute struct {
	channels []string // nil: every channel of the tenant
	policy   string
	severity noc.Severity
}

// WatchLocations is the watch over remote probe locations. A location is
// silent when it has monitors assigned (not paused, not heartbeats: what
// its agents would be handed) and at least one enrolled, unrevoked agent,
// and none of those agents was heard within silentAfter (the rule that
// shows an agent offline: three poll intervals). A silent location gets
// one incident, "Probe location <name> silent", which the location holds
// (probe_locations.silent_incident_id) until an agent is heard again; then
// it is resolved. A location with no enrolled agent expects nobody to call
// and raises nothing.
//
// The incident has no monitor and no asset. It is routed as the incidents
// of the location's monitors would be: to the union of their channels
// (every channel when one of them routes to all), with the escalation
// policy most of them use, at the highest severity their assets give. A
// person who resolves it by hand is not paged again until the location is
// heard and then falls silent again.
func (s *Service) WatchLocations(ctx context.Context, silentAfter time.Duration) error {
	pctx := tenants.Privileged(ctx, "probe location watch")
	locs, err := s.Client.ProbeLocation.Query().All(pctx)
	if err != nil || len(locs) == 0 {
		return storageErr(err)
	}
	ags, err := s.Client.ProbeAgent.Query().Where(probeagent.EnrolledAtNotNil(), probeagent.RevokedAtIsNil()).All(pctx)
	if err != nil {
		return storageErr(err)
	}
	mons, err := s.Client.Monitor.Query().Where(monitor.Paused(false), monitor.KindNEQ(monitor.KindHeartbeat), monitor.LocationsNotNil()).
		Select(monitor.FieldID, monitor.FieldTenantID, monitor.FieldAssetID, monitor.FieldLocations, monitor.FieldChannelIds, monitor.FieldEscalationPolicyID).All(pctx)
	if err != nil {
		return storageErr(err)
	}
	now := s.Now()
	var errs []error
	for _, l := range locs {
		var enrolled, heard bool
		for _, a := range ags {
			if a.LocationID != l.ID || a.TenantID != l.TenantID {
				continue
			}
			enrolled = true
			heard = heard || (a.LastSeenAt != nil && now.Sub(*a.LastSeenAt) <= silentAfter)
		}
		var assigned []*ent.Monitor
		for _, m := range mons {
			if m.TenantID == l.TenantID && slices.Contains(m.Locations, l.ID) {
				assigned = append(assigned, m)
			}
		}
		silent := enrolled && !heard && len(assigned) > 0
		switch {
		case silent && l.SilentIncidentID == nil:
			err = s.openSilent(ctx, l, assigned, silentAfter)
		case !silent && l.SilentIncidentID != nil:
			err = s.resolveSilent(ctx, l)
		default:
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("location %s of %s: %w", l.ID, l.TenantID, err))
		}
	}
	return errors.Join(errs...)
}

// HandleWatchLocations runs the watch as a job.
func (s *Service) HandleWatchLocations(silentAfter time.Duration) func(context.Context, *dispatch.Job[WatchLocationsArgs]) error {
	return func(ctx context.Context, _ *dispatch.Job[WatchLocationsArgs]) error {
		return s.WatchLocations(ctx, silentAfter)
	}
}

func (s *Service) openSilent(ctx context.Context, l *ent.ProbeLocation, assigned []*ent.Monitor, silentAfter time.Duration) error {
	sys, err := s.systemCtx(ctx, l.TenantID)
	if err != nil {
		return err
	}
	var opened *ent.Incident
	err = s.withTx(sys, func(tx *ent.Tx) error {
		rt, err := routeOfLocation(sys, tx, assigned)
		if err != nil {
			return err
		}
		now := s.now()
		inc, err := s.openIncident(sys, tx, incidentSpec{
			TenantID: l.TenantID, Title: truncate(fmt.Sprintf("Probe location %s silent", l.Name), 300),
			Severity: rt.severity, At: now, EscalationPolicyID: rt.policy, ChannelIDs: rt.channels,
		})
		if err != nil {
			return err
		}
		// Held once: the guard loses to a run that opened one first, and
		// this transaction (its incident and notifications) rolls back.
		n, err := tx.ProbeLocation.Update().Where(probelocation.ID(l.ID), probelocation.SilentIncidentIDIsNil()).
			SetSilentIncidentID(inc.ID).Save(sys)
		if err != nil {
			return storageErr(err)
		}
		if n == 0 {
			return errAlreadyOpen
		}
		opened = inc
		return s.audit(sys, tx, l.TenantID, "incident.open", inc.ID,
			fmt.Sprintf("no agent of probe location %s heard for %s", l.Name, silentAfter))
	})
	if errors.Is(err, errAlreadyOpen) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.WarnContext(ctx, "probe location silent: incident opened", "tenant_id", l.TenantID, "location_id", l.ID, "incident_id", opened.ID)
	s.publish(ctx, event{Kind: eventIncident, TenantID: l.TenantID, ID: opened.ID})
	return nil
}

func (s *Service) resolveSilent(ctx context.Context, l *ent.ProbeLocation) error {
	sys, err := s.systemCtx(ctx, l.TenantID)
	if err != nil {
		return err
	}
	id := *l.SilentIncidentID
	err = s.withTx(sys, func(tx *ent.Tx) error {
		// Resolved while the location still holds it, so that the
		// resolution is routed as the opening was; a second run finds it
		// resolved and does nothing.
		if err := s.resolveInTx(sys, tx, id, "", "an agent of the location was heard again"); err != nil {
			return err
		}
		_, err := tx.ProbeLocation.Update().Where(probelocation.ID(l.ID), probelocation.SilentIncidentID(id)).
			ClearSilentIncidentID().Save(sys)
		return storageErr(err)
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "probe location heard again: incident resolved", "tenant_id", l.TenantID, "location_id", l.ID, "incident_id", id)
	s.publish(ctx, event{Kind: eventIncident, TenantID: l.TenantID, ID: id})
	return nil
}

// routeOfLocation routes a silent location's incident as its monitors'
// incidents would be (see WatchLocations).
func routeOfLocation(ctx context.Context, tx *ent.Tx, assigned []*ent.Monitor) (locationRoute, error) {
	rt := locationRoute{severity: noc.SeverityLow}
	all := false
	votes := map[string]int{}
	var assets []string
	for _, m := range assigned {
		if len(m.ChannelIds) == 0 {
			all = true
		}
		for _, c := range m.ChannelIds {
			if !slices.Contains(rt.channels, c) {
				rt.channels = append(rt.channels, c)
			}
		}
		if m.EscalationPolicyID != nil && *m.EscalationPolicyID != "" {
			votes[*m.EscalationPolicyID]++
		}
		assets = append(assets, m.AssetID)
	}
	if all {
		rt.channels = nil
	}
	for p, n := range votes {
		if n > votes[rt.policy] || (n == votes[rt.policy] && p < rt.policy) {
			rt.policy = p
		}
	}
	crit, err := tx.Asset.Query().Where(asset.IDIn(assets...)).Select(asset.FieldCriticality).Strings(ctx)
	if err != nil {
		return rt, storageErr(err)
	}
	rank := map[noc.Severity]int{noc.SeverityLow: 1, noc.SeverityMedium: 2, noc.SeverityHigh: 3, noc.SeverityCritical: 4}
	for _, c := range crit {
		if sv := noc.SeverityFor(noc.Criticality(c)); rank[sv] > rank[rt.severity] {
			rt.severity = sv
		}
	}
	return rt, nil
}

// locationChannels is the routing of a silent location's incident, for
// its resolution; ok is false when inc is not one.
func locationChannels(ctx context.Context, tx *ent.Tx, inc *ent.Incident) (channels []string, ok bool) {
	l, err := tx.ProbeLocation.Query().Where(probelocation.SilentIncidentID(inc.ID)).Only(ctx)
	if err != nil {
		return nil, false
	}
	mons, err := tx.Monitor.Query().Where(monitor.TenantID(l.TenantID), monitor.Paused(false), monitor.KindNEQ(monitor.KindHeartbeat), monitor.LocationsNotNil()).
		Select(monitor.FieldID, monitor.FieldAssetID, monitor.FieldLocations, monitor.FieldChannelIds).All(ctx)
	if err != nil {
		return nil, false
	}
	var assigned []*ent.Monitor
	for _, m := range mons {
		if slices.Contains(m.Locations, l.ID) {
			assigned = append(assigned, m)
		}
	}
	rt, err := routeOfLocation(ctx, tx, assigned)
	if err != nil {
		return nil, false
	}
	return rt.channels, true
}
