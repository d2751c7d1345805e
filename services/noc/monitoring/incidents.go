package monitoring

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/incidententry"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/notificationchannel"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/notify"
)

// incidentSpec is an incident to open.
type incidentSpec struct {
	TenantID, MonitorID, AssetID string
	Title                        string
	Severity                     noc.Severity
	At                           time.Time
	EscalationPolicyID           string
	ChannelIDs                   []string
	Actor                        string
	// NoNotify opens the incident without telling anyone (a signal).
	NoNotify bool
}

// toNoc reads an incident and its timeline into the domain type.
func toNoc(inc *ent.Incident, entries []*ent.IncidentEntry) *noc.Incident {
	i := &noc.Incident{
		ID: inc.ID, Title: inc.Title, Severity: noc.Severity(inc.Severity), Status: noc.IncidentStatus(inc.Status),
		OpenedAt: inc.OpenedAt, Suppressed: inc.Suppressed, ReopenCount: inc.ReopenCount,
	}
	i.MonitorID, i.AssetID, i.Assignee, i.ParentID = deref(inc.MonitorID), deref(inc.AssetID), deref(inc.AssigneeID), deref(inc.ParentID)
	if inc.AckedAt != nil {
		i.AckedAt = *inc.AckedAt
	}
	if inc.ResolvedAt != nil {
		i.ResolvedAt = *inc.ResolvedAt
	}
	for _, e := range entries {
		var ne noc.Entry
		if len(e.Detail) > 0 {
			_ = json.Unmarshal(e.Detail, &ne)
		}
		ne.At, ne.Kind, ne.Actor, ne.Message = e.At, noc.EntryKind(e.Kind), e.ActorID, e.Message
		i.Timeline = append(i.Timeline, ne)
	}
	return i
}

// loadIncident reads an incident with its timeline.
func loadIncident(ctx context.Context, tx *ent.Tx, id string) (*ent.Incident, *noc.Incident, error) {
	inc, err := tx.Incident.Get(ctx, id)
	if err != nil {
		return nil, nil, storageErr(err)
	}
	entries, err := tx.IncidentEntry.Query().Where(incidententry.IncidentID(id)).
		Order(ent.Asc(incidententry.FieldAt), ent.Asc(incidententry.FieldID)).All(ctx)
	if err != nil {
		return nil, nil, storageErr(err)
	}
	return inc, toNoc(inc, entries), nil
}

// save writes back what an operation on the domain incident changed: its
// fields and the timeline entries past the first n.
func (s *Service) save(ctx context.Context, tx *ent.Tx, inc *ent.Incident, i *noc.Incident, n int) (*ent.Incident, error) {
	u := tx.Incident.UpdateOne(inc).SetStatus(incident.Status(i.Status)).SetSuppressed(i.Suppressed).
		SetReopenCount(i.ReopenCount)
	if i.AckedAt.IsZero() {
		u.ClearAckedAt().ClearAckedBy()
	} else {
		u.SetAckedAt(i.AckedAt)
	}
	if i.ResolvedAt.IsZero() {
		u.ClearResolvedAt().ClearResolvedBy()
	} else {
		u.SetResolvedAt(i.ResolvedAt)
	}
	if i.Assignee == "" {
		u.ClearAssigneeID()
	} else {
		u.SetAssigneeID(i.Assignee)
	}
	if i.ParentID != "" {
		u.SetParentID(i.ParentID)
	}
	for _, e := range i.Timeline[n:] {
		if e.Kind == noc.EntryStateChange && e.Actor != "" {
			switch e.To {
			case noc.IncidentAcknowledged:
				u.SetAckedBy(e.Actor)
			case noc.IncidentResolved:
				u.SetResolvedBy(e.Actor)
			}
		}
	}
	saved, err := u.Save(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	return saved, s.addEntries(ctx, tx, inc.TenantID, inc.ID, i.Timeline[n:])
}

// addEntries appends timeline entries.
func (s *Service) addEntries(ctx context.Context, tx *ent.Tx, tenantID, incidentID string, entries []noc.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	bulk := make([]*ent.IncidentEntryCreate, len(entries))
	for k, e := range entries {
		detail, _ := json.Marshal(e)
		bulk[k] = tx.IncidentEntry.Create().SetTenantID(tenantID).SetIncidentID(incidentID).SetAt(e.At).
			SetKind(incidententry.Kind(e.Kind)).SetActorID(e.Actor).SetMessage(truncate(entryMessage(e), 4000)).SetDetail(detail)
	}
	return storageErr(tx.IncidentEntry.CreateBulk(bulk...).Exec(ctx))
}

// entryMessage is the line a timeline entry shows.
func entryMessage(e noc.Entry) string {
	if e.Message != "" {
		return e.Message
	}
	switch e.Kind {
	case noc.EntryStateChange:
		if e.From == "" {
			return string(e.To)
		}
		return fmt.Sprintf("%s → %s", e.From, e.To)
	case noc.EntryNotificationSent:
		return "notified " + e.Channel
	case noc.EntryEscalation:
		return fmt.Sprintf("escalated to level %d (round %d): %s", e.Level+1, e.Round+1, strings.Join(e.Targets, ", "))
	case noc.EntrySuppressedByParent:
		return "suppressed: linked to " + e.ParentIncidentID
	}
	return string(e.Kind)
}

// openForMonitor opens the incident of a monitor that went down: it
// reopens the monitor's last incident when that was resolved moments ago
// (a recovery that did not hold), links it to a parent asset's incident
// when what the asset depends on is down (no notification then), and
// otherwise notifies and starts escalation.
func (s *Service) openForMonitor(ctx context.Context, tx *ent.Tx, m *ent.Monitor, res probe.Result, now time.Time) (*ent.Incident, []event, error) {
	last, err := tx.Incident.Query().Where(incident.MonitorID(m.ID)).Order(ent.Desc(incident.FieldOpenedAt)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, nil, storageErr(err)
	}
	if last != nil && last.Status == incident.StatusResolved {
		inc, i, err := loadIncident(ctx, tx, last.ID)
		if err != nil {
			return nil, nil, err
		}
		if i.ShouldReopen(now) {
			n := len(i.Timeline)
			if err := i.Reopen(now); err != nil {
				return nil, nil, err
			}
			saved, err := s.save(ctx, tx, inc, i, n)
			if err != nil {
				return nil, nil, err
			}
			if !saved.Suppressed {
				if err := s.notify(ctx, tx, saved, notify.StateTriggered, m.ChannelIds, now); err != nil {
					return nil, nil, err
				}
				if err := s.scheduleEscalation(ctx, tx, saved, now); err != nil {
					return nil, nil, err
				}
			}
			return saved, []event{{Kind: eventIncident, TenantID: m.TenantID, ID: saved.ID}}, nil
		}
	}
	a, err := tx.Asset.Query().Where(asset.ID(m.AssetID)).Only(ctx)
	if err != nil {
		return nil, nil, storageErr(err)
	}
	title := fmt.Sprintf("%s is down", m.Name)
	if res.Message != "" {
		title = truncate(fmt.Sprintf("%s is down: %s", m.Name, res.Message), 300)
	}
	spec := incidentSpec{
		TenantID: m.TenantID, MonitorID: m.ID, AssetID: m.AssetID, Title: title,
		Severity: noc.SeverityFor(noc.Criticality(a.Criticality)), At: now,
		EscalationPolicyID: deref(m.EscalationPolicyID), ChannelIDs: m.ChannelIds,
	}
	parent, err := s.downParentIncident(ctx, tx, m.TenantID, m.AssetID)
	if err != nil {
		return nil, nil, err
	}
	if parent != nil {
		spec.NoNotify = true
	}
	inc, err := s.openIncident(ctx, tx, spec)
	if err != nil {
		return nil, nil, err
	}
	events := []event{{Kind: eventIncident, TenantID: m.TenantID, ID: inc.ID}}
	if parent != nil {
		_, i, err := loadIncident(ctx, tx, inc.ID)
		if err != nil {
			return nil, nil, err
		}
		n := len(i.Timeline)
		i.SuppressBy(toNoc(parent, nil), now)
		if inc, err = s.save(ctx, tx, inc, i, n); err != nil {
			return nil, nil, err
		}
	}
	return inc, events, nil
}

// downParentIncident returns the open incident of the nearest parent asset
// that cuts this asset off, or nil when the asset's own failure is news.
func (s *Service) downParentIncident(ctx context.Context, tx *ent.Tx, tenantID, assetID string) (*ent.Incident, error) {
	g, err := dependencies(ctx, tx.Client(), tenantID)
	if err != nil {
		return nil, err
	}
	if len(g.Parents(assetID)) == 0 {
		return nil, nil
	}
	downRows, err := tx.Monitor.Query().Where(monitor.TenantID(tenantID), monitor.StatusEQ(monitor.StatusDown)).
		Select(monitor.FieldAssetID).Strings(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	down := map[string]bool{}
	for _, a := range downRows {
		down[a] = true
	}
	parent, ok := g.Suppressed(assetID, down)
	if !ok {
		return nil, nil
	}
	inc, err := tx.Incident.Query().Where(incident.AssetID(parent), incident.StatusNEQ(incident.StatusResolved)).
		Order(ent.Desc(incident.FieldOpenedAt)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil // the parent is down but has no incident (maintenance): the child's is news
	}
	return inc, storageErr(err)
}

// openIncident saves a new incident, notifies its channels through the
// outbox and queues its first escalation.
func (s *Service) openIncident(ctx context.Context, tx *ent.Tx, sp incidentSpec) (*ent.Incident, error) {
	i := noc.NewIncident(opsward.NewID(opsward.PrefixIncident), sp.MonitorID, sp.AssetID, sp.Title, noc.CriticalityMedium, sp.At)
	i.Severity = sp.Severity
	i.Timeline[0].Actor = sp.Actor
	c := tx.Incident.Create().SetID(i.ID).SetTenantID(sp.TenantID).SetTitle(i.Title).
		SetSeverity(incident.Severity(i.Severity)).SetOpenedAt(sp.At)
	if sp.MonitorID != "" {
		c.SetMonitorID(sp.MonitorID)
	}
	if sp.AssetID != "" {
		c.SetAssetID(sp.AssetID)
	}
	if sp.EscalationPolicyID != "" {
		c.SetEscalationPolicyID(sp.EscalationPolicyID)
	}
	inc, err := c.Save(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if err := s.addEntries(ctx, tx, sp.TenantID, inc.ID, i.Timeline); err != nil {
		return nil, err
	}
	if sp.NoNotify {
		return inc, nil
	}
	if err := s.notify(ctx, tx, inc, notify.StateTriggered, sp.ChannelIDs, sp.At); err != nil {
		return nil, err
	}
	return inc, s.scheduleEscalation(ctx, tx, inc, sp.At)
}

// resolveInTx resolves an incident (by "" when its monitor recovered) and
// tells its channels, unless it was suppressed.
func (s *Service) resolveInTx(ctx context.Context, tx *ent.Tx, id, by, why string) error {
	inc, i, err := loadIncident(ctx, tx, id)
	if err != nil {
		return err
	}
	if i.Status == noc.IncidentResolved {
		return nil
	}
	n := len(i.Timeline)
	now := s.now()
	if err := i.Resolve(by, now); err != nil {
		return err
	}
	if why != "" {
		i.Timeline[len(i.Timeline)-1].Message = why
	}
	saved, err := s.save(ctx, tx, inc, i, n)
	if err != nil {
		return err
	}
	if saved.MonitorID != nil {
		if err := tx.Monitor.Update().Where(monitor.ID(*saved.MonitorID), monitor.OpenIncidentID(id)).
			ClearOpenIncidentID().AddVersion(1).Exec(ctx); err != nil {
			return storageErr(err)
		}
	}
	if saved.Suppressed {
		return nil
	}
	return s.notify(ctx, tx, saved, notify.StateResolved, s.channelsOf(ctx, tx, saved), now)
}

// channelsOf returns the routing of an incident's monitor, or of the
// silent probe location that holds it, if any.
func (s *Service) channelsOf(ctx context.Context, tx *ent.Tx, inc *ent.Incident) []string {
	if inc.MonitorID == nil {
		chs, _ := locationChannels(ctx, tx, inc)
		return chs
	}
	m, err := tx.Monitor.Query().Where(monitor.ID(*inc.MonitorID)).Select(monitor.FieldChannelIds).Only(ctx)
	if err != nil {
		return nil
	}
	return m.ChannelIds
}

// notify queues one delivery per channel whose route takes the message,
// through the outbox of tx: the deliveries exist if and only if the change
// they announce commits.
func (s *Service) notify(ctx context.Context, tx *ent.Tx, inc *ent.Incident, state notify.State, only []string, at time.Time) error {
	q := tx.NotificationChannel.Query().Where(notificationchannel.TenantID(inc.TenantID), notificationchannel.Enabled(true))
	if len(only) > 0 {
		q = q.Where(notificationchannel.IDIn(only...))
	}
	chs, err := q.All(ctx)
	if err != nil {
		return storageErr(err)
	}
	if len(chs) == 0 {
		return nil
	}
	subs := make([]notify.Subscription, len(chs))
	for k, ch := range chs {
		subs[k] = notify.Subscription{ChannelID: ch.ID, Route: routeOf(ch)}
	}
	msg, err := s.message(ctx, tx, inc, state, at)
	if err != nil {
		return err
	}
	return s.enqueueDeliveries(ctx, tx, inc.TenantID, notify.Plan(msg, subs))
}

func (s *Service) enqueueDeliveries(ctx context.Context, tx dispatch.Execer, tenantID string, ds []notify.Delivery) error {
	for _, d := range ds {
		if _, err := s.Dispatch.EnqueueTx(ctx, tx, tenantID, d, &dispatch.EnqueueOpts{DedupKey: d.JobDedupKey()}); err != nil {
			return opsward.Internal(err)
		}
	}
	return nil
}

func routeOf(ch *ent.NotificationChannel) notify.Route {
	r := notify.Route{MinSeverity: notify.Severity(ch.MinSeverity)}
	for _, st := range ch.States {
		r.States = append(r.States, notify.State(st))
	}
	return r
}

// message is the notification about an incident.
func (s *Service) message(ctx context.Context, tx *ent.Tx, inc *ent.Incident, state notify.State, at time.Time) (notify.Message, error) {
	msg := notify.Message{
		TenantID: inc.TenantID, Ref: notify.Ref{Kind: "incident", ID: inc.ID}, Title: inc.Title,
		Severity: notify.Severity(inc.Severity), State: state, Time: at,
		Link: strings.TrimRight(s.PublicURL, "/") + "/incidents/" + inc.ID,
	}
	t, err := tx.Tenant.Query().Where(tenant.ID(inc.TenantID)).Select(tenant.FieldName).Only(ctx)
	if err == nil {
		msg.TenantName = t.Name
	}
	if inc.MonitorID != nil {
		if m, err := tx.Monitor.Query().Where(monitor.ID(*inc.MonitorID)).Select(monitor.FieldName, monitor.FieldLastMessage).Only(ctx); err == nil {
			msg.Source = m.Name
			msg.Summary = m.LastMessage
		}
	}
	return msg, nil
}

// IncidentInput opens an incident by hand.
type IncidentInput struct {
	TenantID           string
	AssetID            string
	Title              string
	Severity           string
	EscalationPolicyID string
}

// CreateIncident opens an incident by hand.
func (s *Service) CreateIncident(ctx context.Context, in IncidentInput) (*ent.Incident, error) {
	if strings.TrimSpace(in.Title) == "" || len(in.Title) > 300 {
		return nil, opsward.FieldErrorf("title", "a title has 1 to 300 characters")
	}
	sev := noc.Severity(in.Severity)
	if err := incident.SeverityValidator(incident.Severity(sev)); err != nil {
		return nil, opsward.FieldErrorf("severity", "severity %q is not one of critical, high, medium, low, info", in.Severity)
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	var out *ent.Incident
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		if in.AssetID != "" {
			a, err := tx.Asset.Get(ctx, in.AssetID)
			if err != nil || a.TenantID != tenantID {
				return opsward.FieldErrorf("assetId", "no asset %s in the tenant", in.AssetID)
			}
		}
		if in.EscalationPolicyID != "" {
			p, err := tx.EscalationPolicy.Get(ctx, in.EscalationPolicyID)
			if err != nil || p.TenantID != tenantID {
				return opsward.FieldErrorf("escalationPolicyId", "no escalation policy %s in the tenant", in.EscalationPolicyID)
			}
		}
		out, err = s.openIncident(ctx, tx, incidentSpec{
			TenantID: tenantID, AssetID: in.AssetID, Title: strings.TrimSpace(in.Title), Severity: sev,
			At: s.now(), EscalationPolicyID: in.EscalationPolicyID, Actor: actorID(ctx),
		})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, tenantID, "incident.create", out.ID, out.Title)
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, event{Kind: eventIncident, TenantID: out.TenantID, ID: out.ID})
	return out, nil
}

// updateIncident runs op on an incident and saves what it changed.
func (s *Service) updateIncident(ctx context.Context, id, action string, op func(tx *ent.Tx, inc *ent.Incident, i *noc.Incident) error) (*ent.Incident, error) {
	var out *ent.Incident
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		inc, i, err := loadIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		n := len(i.Timeline)
		if err := op(tx, inc, i); err != nil {
			return err
		}
		if len(i.Timeline) == n {
			out = inc
			return nil // nothing changed (acknowledged twice)
		}
		if out, err = s.save(ctx, tx, inc, i, n); err != nil {
			return err
		}
		return s.audit(ctx, tx, inc.TenantID, action, inc.ID, "")
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, event{Kind: eventIncident, TenantID: out.TenantID, ID: out.ID})
	return out, nil
}

// Acknowledge marks an incident as seen: escalation stops, the channels
// hear of it.
func (s *Service) Acknowledge(ctx context.Context, id string) (*ent.Incident, error) {
	return s.updateIncident(ctx, id, "incident.acknowledge", func(tx *ent.Tx, inc *ent.Incident, i *noc.Incident) error {
		was := i.Status
		if err := i.Acknowledge(actorID(ctx), s.now()); err != nil {
			return err
		}
		if was == i.Status || inc.Suppressed {
			return nil
		}
		return s.notify(ctx, tx, inc, notify.StateAcknowledged, s.channelsOf(ctx, tx, inc), s.now())
	})
}

// Resolve closes an incident by hand.
func (s *Service) Resolve(ctx context.Context, id string) (*ent.Incident, error) {
	var out *ent.Incident
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		if err := s.resolveInTx(ctx, tx, id, actorID(ctx), ""); err != nil {
			return err
		}
		var err error
		if out, err = tx.Incident.Get(ctx, id); err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, out.TenantID, "incident.resolve", id, "")
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, event{Kind: eventIncident, TenantID: out.TenantID, ID: out.ID})
	return out, nil
}

// Comment adds a comment to an incident's timeline.
func (s *Service) Comment(ctx context.Context, id, text string) (*ent.Incident, error) {
	if len(text) > 4000 {
		return nil, opsward.FieldErrorf("text", "a comment has at most 4000 characters")
	}
	return s.updateIncident(ctx, id, "incident.comment", func(_ *ent.Tx, _ *ent.Incident, i *noc.Incident) error {
		return i.Comment(actorID(ctx), strings.TrimSpace(text), s.now())
	})
}

// Assign gives an incident to a member of its tenant (or of a tenant above
// it); an empty assignee unassigns.
func (s *Service) Assign(ctx context.Context, id, userID string) (*ent.Incident, error) {
	return s.updateIncident(ctx, id, "incident.assign", func(tx *ent.Tx, inc *ent.Incident, i *noc.Incident) error {
		if userID != "" {
			ok, err := s.Tenants.IsMember(ctx, userID, inc.TenantID)
			if err != nil {
				return err
			}
			if !ok {
				return opsward.FieldErrorf("assigneeId", "user %s is not a member of the incident's tenant", userID)
			}
		}
		if i.Assignee == userID {
			return nil
		}
		i.Assign(actorID(ctx), userID, s.now())
		return nil
	})
}

// MeanTimes computes MTTA and MTTR over the incidents opened in [from, to)
// in reach.
func (s *Service) MeanTimes(ctx context.Context, from, to time.Time) (noc.MeanTimes, error) {
	incs, err := s.Client.Incident.Query().Where(incident.OpenedAtGTE(from), incident.OpenedAtLT(to)).Limit(100_000).All(ctx)
	if err != nil {
		return noc.MeanTimes{}, storageErr(err)
	}
	is := make([]*noc.Incident, len(incs))
	for k, inc := range incs {
		is[k] = toNoc(inc, nil)
	}
	return noc.ComputeMeanTimes(is), nil
}

// RecordDelivery puts a delivery, or its final failure, on the incident's
// timeline. A delivery job runs at least once; the job id keeps one entry.
func (s *Service) RecordDelivery(ctx context.Context, r notify.DeliveryReport) error {
	if r.Ref.Kind != "incident" {
		return nil
	}
	ctx, err := s.systemCtx(ctx, r.TenantID)
	if err != nil {
		return err
	}
	kind := noc.EntryNotificationSent
	var sendErr error
	if r.Status != notify.StatusDelivered {
		kind = noc.EntryNotificationFailed
		sendErr = fmt.Errorf("%s", r.Error)
	}
	i := &noc.Incident{}
	i.RecordNotification(r.ChannelID, sendErr, r.At)
	e := i.Timeline[0]
	e.Kind = kind
	label := r.ChannelKind
	if label == "" {
		label = "channel"
	}
	if sendErr == nil {
		e.Message = fmt.Sprintf("%s notification (%s) delivered to %s", r.State, label, r.ChannelID)
	} else {
		e.Message = fmt.Sprintf("%s notification (%s) to %s failed: %s", r.State, label, r.ChannelID, r.Error)
	}
	detail, _ := json.Marshal(e)
	err = s.Client.IncidentEntry.Create().SetTenantID(r.TenantID).SetIncidentID(r.Ref.ID).SetAt(r.At).
		SetKind(incidententry.Kind(kind)).SetMessage(truncate(e.Message, 4000)).SetDetail(detail).
		SetDedupKey(truncate("delivery:"+r.JobID, 120)).OnConflictColumns(incidententry.FieldDedupKey).DoNothing().Exec(ctx)
	switch {
	case errors.Is(err, stdsql.ErrNoRows), ent.IsConstraintError(err):
		return nil // recorded already
	case err != nil:
		return err
	}
	s.publish(ctx, event{Kind: eventIncident, TenantID: r.TenantID, ID: r.Ref.ID})
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
