package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/ent/securitycase"
	"github.com/opsward/opsward/tenants"
)

// Limits of one call.
const (
	MaxAlertsPerCall = 100
	MaxEventsPerCall = 100
	MaxTitle         = 300
	MaxDescription   = 8000
	MaxNote          = 8000
)

// severities from the highest down.
var severities = []string{"critical", "high", "medium", "low", "info"}

// severityRank is 0 for critical up to 4 for info, -1 for anything else.
func severityRank(s string) int { return slices.Index(severities, s) }

// CaseInput opens a case.
type CaseInput struct {
	// TenantID is the case's tenant; empty means the acting tenant.
	TenantID    string
	Title       string
	Description string
	// Severity is one of critical, high, medium, low, info; empty means
	// the highest of the alerts' (and is then required without alerts).
	Severity string
	// AlertIDs are alerts of the case's tenant that are in no case yet.
	AlertIDs   []string
	AssigneeID string
}

// CreateCase opens a case, by hand or from alerts. The alerts join it
// (their case_id is set); the case is detected when the earliest of them
// was first seen.
func (s *Service) CreateCase(ctx context.Context, in CaseInput) (*ent.SecurityCase, error) {
	return s.create(ctx, in)
}

func (s *Service) create(ctx context.Context, in CaseInput, extra ...entry) (*ent.SecurityCase, error) {
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case in.Title == "" || len(in.Title) > MaxTitle:
		return nil, opsward.FieldErrorf("title", "a title has 1 to %d characters", MaxTitle)
	case len(in.Description) > MaxDescription:
		return nil, opsward.FieldErrorf("description", "a description has at most %d characters", MaxDescription)
	case in.Severity != "" && severityRank(in.Severity) < 0:
		return nil, opsward.FieldErrorf("severity", "severity %q is not one of %s", in.Severity, strings.Join(severities, ", "))
	case in.Severity == "" && len(in.AlertIDs) == 0:
		return nil, opsward.FieldErrorf("severity", "name a severity for a case without alerts")
	case len(in.AlertIDs) > MaxAlertsPerCall:
		return nil, opsward.FieldErrorf("alertIds", "at most %d alerts at once, not %d", MaxAlertsPerCall, len(in.AlertIDs))
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	if in.AssigneeID != "" {
		if err := s.checkMember(ctx, tenantID, in.AssigneeID, "assigneeId"); err != nil {
			return nil, err
		}
	}
	var out *ent.SecurityCase
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		alerts, err := s.freeAlerts(ctx, tx, tenantID, "", in.AlertIDs)
		if err != nil {
			return err
		}
		now := s.now()
		sev := in.Severity
		if sev == "" {
			sev = highestSeverity(alerts)
		}
		c := tx.SecurityCase.Create().SetTenantID(tenantID).SetTitle(in.Title).SetDescription(in.Description).
			SetSeverity(securitycase.Severity(sev)).SetOpenedAt(now)
		if d := earliestSeen(alerts); d != nil {
			c.SetDetectedAt(*d)
		}
		if in.AssigneeID != "" {
			c.SetAssigneeID(in.AssigneeID)
		}
		if out, err = c.Save(ctx); err != nil {
			return storageErr(err)
		}
		es := []entry{{Kind: caseentry.KindStatusChange, At: now, Message: "opened as new",
			Detail: map[string]string{"field": "status", "to": string(securitycase.StatusNew)}}}
		es = append(es, extra...)
		if in.AssigneeID != "" {
			es = append(es, entry{Kind: caseentry.KindAssignment, Message: "assigned to " + in.AssigneeID, Ref: in.AssigneeID,
				Detail: map[string]string{"to": in.AssigneeID}})
		}
		if err := s.linkAlerts(ctx, tx, out, alerts); err != nil {
			return err
		}
		if err := s.addEntries(ctx, tx, out, append(es, alertEntries(alerts, now)...)...); err != nil {
			return err
		}
		return s.audit(ctx, tx, tenantID, "case.create", out.ID, fmt.Sprintf("%s (%s, %d alerts)", out.Title, sev, len(alerts)))
	})
	if err != nil {
		return nil, err
	}
	s.changed(ctx, out.TenantID, out.ID)
	return out, nil
}

// freeAlerts reads the alerts ids of tenantID that may join case caseID:
// in no case yet (alerts already in caseID are left out). Field errors
// name the position of the id in the input.
func (s *Service) freeAlerts(ctx context.Context, tx *ent.Tx, tenantID, caseID string, ids []string) ([]*ent.Alert, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := tx.Alert.Query().Where(alert.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	byID := make(map[string]*ent.Alert, len(found))
	for _, a := range found {
		byID[a.ID] = a
	}
	var out []*ent.Alert
	seen := map[string]bool{}
	for k, id := range ids {
		a := byID[id]
		field := fmt.Sprintf("alertIds.%d", k)
		switch {
		case a == nil || a.TenantID != tenantID:
			return nil, opsward.FieldErrorf(field, "no alert %s in the case's tenant", id)
		case seen[id]:
			continue
		case a.CaseID != nil && *a.CaseID == caseID:
			continue // already in this case
		case a.CaseID != nil:
			return nil, &opsward.Error{Code: opsward.ECONFLICT, Field: field,
				Message: fmt.Sprintf("alert %s is already in case %s", id, *a.CaseID)}
		}
		seen[id] = true
		out = append(out, a)
	}
	return out, nil
}

// linkAlerts sets the alerts' case. An alert another case took since it
// was read is a conflict: an alert is in one case at most.
func (s *Service) linkAlerts(ctx context.Context, tx *ent.Tx, c *ent.SecurityCase, alerts []*ent.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	ids := make([]string, len(alerts))
	for k, a := range alerts {
		ids[k] = a.ID
	}
	n, err := tx.Alert.Update().Where(alert.IDIn(ids...), alert.CaseIDIsNil()).SetCaseID(c.ID).Save(ctx)
	if err != nil {
		return storageErr(err)
	}
	if n != len(ids) {
		return &opsward.Error{Code: opsward.ECONFLICT, Field: "alertIds", Message: "an alert joined another case meanwhile; try again"}
	}
	return nil
}

// alertEntries are the timeline lines of alerts joining a case: each at
// the time the alert was first seen (the timeline is forensic: it orders
// what happened), with when it joined in its detail.
func alertEntries(alerts []*ent.Alert, now time.Time) []entry {
	out := make([]entry, len(alerts))
	for k, a := range alerts {
		out[k] = entry{Kind: caseentry.KindAlert, At: a.FirstSeen, Ref: a.ID,
			Message: fmt.Sprintf("alert (%s, %s): %s", a.Severity, a.Source, a.Title),
			Detail: map[string]any{"alertId": a.ID, "title": a.Title, "severity": a.Severity, "source": a.Source,
				"ruleId": a.RuleID, "ruleAuthor": a.RuleAuthor, "firstSeen": a.FirstSeen, "lastSeen": a.LastSeen,
				"count": a.Count, "eventIds": a.EventIds, "addedAt": now}}
	}
	return out
}

func highestSeverity(alerts []*ent.Alert) string {
	best := len(severities) - 1
	for _, a := range alerts {
		if r := severityRank(string(a.Severity)); r >= 0 && r < best {
			best = r
		}
	}
	return severities[best]
}

func earliestSeen(alerts []*ent.Alert) *time.Time {
	var out *time.Time
	for _, a := range alerts {
		if out == nil || a.FirstSeen.Before(*out) {
			t := a.FirstSeen.UTC()
			out = &t
		}
	}
	return out
}

// errUnchanged rolls back an update that changed nothing.
var errUnchanged = errors.New("unchanged")

// update runs op on a locked case inside a transaction and, when op
// changed something (it returns true), audits it and tells OnChange.
func (s *Service) update(ctx context.Context, id, action string, op func(tx *ent.Tx, c *ent.SecurityCase) (detail string, changed bool, err error)) (*ent.SecurityCase, error) {
	var out *ent.SecurityCase
	changed := false
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		c, err := s.lockCase(ctx, tx, id)
		if err != nil {
			return err
		}
		detail, ch, err := op(tx, c)
		if err != nil {
			return err
		}
		if out, err = tx.SecurityCase.Get(ctx, id); err != nil {
			return storageErr(err)
		}
		if !ch {
			return errUnchanged // roll back the lock's touch of updated_at
		}
		changed = true
		return s.audit(ctx, tx, c.TenantID, action, c.ID, detail)
	})
	if err != nil && err != errUnchanged {
		return nil, err
	}
	if changed {
		s.changed(ctx, out.TenantID, out.ID)
	}
	return out, nil
}

// Statuses in the order a case moves through them.
var statuses = []securitycase.Status{
	securitycase.StatusNew, securitycase.StatusTriage, securitycase.StatusInvestigating, securitycase.StatusContained,
	securitycase.StatusEradicated, securitycase.StatusRecovered, securitycase.StatusClosed,
}

// CanMove reports whether a case may go from one status to another. A
// case moves forward, skipping steps if it must (triage straight to
// contained; a false positive from new to closed). It goes back only to
// triage or investigating, to look again: containment failed, the threat
// came back, or a closed case is reopened. Nothing returns to new: a case
// seen once stays acknowledged.
func CanMove(from, to securitycase.Status) bool {
	f, t := slices.Index(statuses, from), slices.Index(statuses, to)
	switch {
	case f < 0 || t < 0 || to == securitycase.StatusNew:
		return false
	case t > f:
		return true
	}
	return to == securitycase.StatusTriage || to == securitycase.StatusInvestigating
}

// SetStatus moves a case (see CanMove). Leaving new sets acknowledged_at;
// the first time the case is contained (or reaches eradicated or
// recovered) sets contained_at; closing sets resolved_at, and reopening
// clears it. The other times are kept as first reached. Setting the status
// it has changes nothing.
func (s *Service) SetStatus(ctx context.Context, id, status string) (*ent.SecurityCase, error) {
	to := securitycase.Status(status)
	if securitycase.StatusValidator(to) != nil {
		return nil, opsward.FieldErrorf("status", "status %q is not one of new, triage, investigating, contained, eradicated, recovered, closed", status)
	}
	return s.update(ctx, id, "case.status", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		from := c.Status
		if from == to {
			return "", false, nil
		}
		if !CanMove(from, to) {
			return "", false, opsward.FieldErrorf("status", "a %s case cannot move to %s: it moves forward, or back to triage or investigating, never to new", from, to)
		}
		now := s.now()
		u := tx.SecurityCase.UpdateOne(c).SetStatus(to)
		if c.AcknowledgedAt == nil {
			u.SetAcknowledgedAt(now)
		}
		switch to {
		case securitycase.StatusContained, securitycase.StatusEradicated, securitycase.StatusRecovered:
			if c.ContainedAt == nil {
				u.SetContainedAt(now)
			}
		case securitycase.StatusClosed:
			u.SetResolvedAt(now)
		}
		msg := fmt.Sprintf("status %s → %s", from, to)
		if from == securitycase.StatusClosed {
			u.ClearResolvedAt()
			msg = fmt.Sprintf("reopened: status %s → %s", from, to)
		}
		if err := u.Exec(ctx); err != nil {
			return "", false, storageErr(err)
		}
		detail := fmt.Sprintf("%s → %s", from, to)
		return detail, true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindStatusChange, At: now, Message: msg,
			Detail: map[string]string{"field": "status", "from": string(from), "to": string(to)}})
	})
}

// SetSeverity changes a case's severity.
func (s *Service) SetSeverity(ctx context.Context, id, severity string) (*ent.SecurityCase, error) {
	if severityRank(severity) < 0 {
		return nil, opsward.FieldErrorf("severity", "severity %q is not one of %s", severity, strings.Join(severities, ", "))
	}
	return s.update(ctx, id, "case.severity", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		from := string(c.Severity)
		if from == severity {
			return "", false, nil
		}
		if err := tx.SecurityCase.UpdateOne(c).SetSeverity(securitycase.Severity(severity)).Exec(ctx); err != nil {
			return "", false, storageErr(err)
		}
		detail := fmt.Sprintf("%s → %s", from, severity)
		return detail, true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindStatusChange, Message: "severity " + detail,
			Detail: map[string]string{"field": "severity", "from": from, "to": severity}})
	})
}

// Assign gives a case to a member of its tenant (or of a tenant above
// it); an empty assignee unassigns.
func (s *Service) Assign(ctx context.Context, id, userID string) (*ent.SecurityCase, error) {
	return s.update(ctx, id, "case.assign", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		from := ""
		if c.AssigneeID != nil {
			from = *c.AssigneeID
		}
		if from == userID {
			return "", false, nil
		}
		u := tx.SecurityCase.UpdateOne(c)
		msg := "unassigned"
		if userID == "" {
			u.ClearAssigneeID()
		} else {
			if err := s.checkMember(ctx, c.TenantID, userID, "assigneeId"); err != nil {
				return "", false, err
			}
			u.SetAssigneeID(userID)
			msg = "assigned to " + userID
		}
		if err := u.Exec(ctx); err != nil {
			return "", false, storageErr(err)
		}
		return msg, true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindAssignment, Message: msg, Ref: userID,
			Detail: map[string]string{"from": from, "to": userID}})
	})
}

// AddNote puts an analyst's note on the timeline.
func (s *Service) AddNote(ctx context.Context, id, text string) (*ent.SecurityCase, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > MaxNote {
		return nil, opsward.FieldErrorf("text", "a note has 1 to %d characters", MaxNote)
	}
	return s.update(ctx, id, "case.note", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		return "", true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindNote, Message: text})
	})
}

// AddAlerts groups more alerts of the case's tenant into the case. Alerts
// already in it are left as they are; one in another case is a conflict,
// and so is a closed case (reopen it first).
// An alert seen earlier than the case's detection moves detected_at back.
// The severity stays what it is: it was chosen, or derived, when the case
// opened, and an analyst changes it.
func (s *Service) AddAlerts(ctx context.Context, id string, alertIDs []string) (*ent.SecurityCase, error) {
	switch {
	case len(alertIDs) == 0:
		return nil, opsward.FieldErrorf("alertIds", "name at least one alert")
	case len(alertIDs) > MaxAlertsPerCall:
		return nil, opsward.FieldErrorf("alertIds", "at most %d alerts at once, not %d", MaxAlertsPerCall, len(alertIDs))
	}
	return s.update(ctx, id, "case.add_alerts", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		if c.Status == securitycase.StatusClosed {
			// An alert grouped into a closed case would go unseen.
			return "", false, &opsward.Error{Code: opsward.ECONFLICT, Field: "alertIds",
				Message: fmt.Sprintf("case %s is closed: reopen it (status triage or investigating) before adding alerts", c.ID)}
		}
		alerts, err := s.freeAlerts(ctx, tx, c.TenantID, c.ID, alertIDs)
		if err != nil || len(alerts) == 0 {
			return "", false, err
		}
		if d := earliestSeen(alerts); d != nil && (c.DetectedAt == nil || d.Before(*c.DetectedAt)) {
			if err := tx.SecurityCase.UpdateOne(c).SetDetectedAt(*d).Exec(ctx); err != nil {
				return "", false, storageErr(err)
			}
		}
		if err := s.linkAlerts(ctx, tx, c, alerts); err != nil {
			return "", false, err
		}
		ids := make([]string, len(alerts))
		for k, a := range alerts {
			ids[k] = a.ID
		}
		return strings.Join(ids, ","), true, s.addEntries(ctx, tx, c, alertEntries(alerts, s.now())...)
	})
}

// AddEvents puts security events of the case's tenant on its timeline,
// each at the time it happened. Events already on it are left out.
func (s *Service) AddEvents(ctx context.Context, id string, eventIDs []string) (*ent.SecurityCase, error) {
	switch {
	case len(eventIDs) == 0:
		return nil, opsward.FieldErrorf("eventIds", "name at least one event")
	case len(eventIDs) > MaxEventsPerCall:
		return nil, opsward.FieldErrorf("eventIds", "at most %d events at once, not %d", MaxEventsPerCall, len(eventIDs))
	}
	for k, eid := range eventIDs {
		if !opsward.ValidID(eid, opsward.PrefixEvent) {
			return nil, opsward.FieldErrorf(fmt.Sprintf("eventIds.%d", k), "%q is not an event id (evt_…)", clip(eid, 50))
		}
	}
	if s.Events == nil {
		return nil, opsward.Internal(fmt.Errorf("cases: no event store"))
	}
	// The events are read before the transaction, from the case's tenant:
	// the event store is its own pool.
	c, err := s.Client.SecurityCase.Get(ctx, id)
	if err != nil {
		return nil, storageErr(err)
	}
	nctx, err := s.Tenants.Narrow(ctx, c.TenantID)
	if err != nil {
		return nil, err
	}
	evs, err := s.Events.Get(nctx, eventIDs)
	if err != nil {
		return nil, storageErr(err)
	}
	got := make(map[string]int, len(evs))
	for k, ev := range evs {
		got[ev.ID] = k
	}
	for k, eid := range eventIDs {
		if _, ok := got[eid]; !ok {
			return nil, opsward.FieldErrorf(fmt.Sprintf("eventIds.%d", k), "no event %s in the case's tenant", eid)
		}
	}
	return s.update(ctx, id, "case.add_events", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		have, err := tx.CaseEntry.Query().Where(caseentry.CaseID(c.ID), caseentry.KindEQ(caseentry.KindEvent),
			caseentry.RefIDIn(eventIDs...)).Select(caseentry.FieldRefID).Strings(ctx)
		if err != nil {
			return "", false, storageErr(err)
		}
		now := s.now()
		var es []entry
		var ids []string
		for _, ev := range evs {
			if slices.Contains(have, ev.ID) {
				continue
			}
			ids = append(ids, ev.ID)
			es = append(es, entry{Kind: caseentry.KindEvent, At: ev.Time, Ref: ev.ID, Message: eventLine(ev),
				Detail: map[string]any{"eventId": ev.ID, "time": ev.Time, "dataset": ev.Dataset, "category": ev.Category,
					"action": ev.Action, "outcome": ev.Outcome, "host": ev.HostName, "user": ev.UserName,
					"sourceIp": ev.SourceIP, "destinationIp": ev.DestinationIP, "message": clip(ev.Message, 1000),
					"addedAt": now}})
		}
		if len(es) == 0 {
			return "", false, nil
		}
		return strings.Join(ids, ","), true, s.addEntries(ctx, tx, c, es...)
	})
}

// Alerts returns the alerts grouped into a case, earliest first.
func (s *Service) Alerts(ctx context.Context, caseID string) ([]*ent.Alert, error) {
	out, err := s.Client.Alert.Query().Where(alert.CaseID(caseID)).
		Order(ent.Asc(alert.FieldFirstSeen), ent.Asc(alert.FieldID)).Limit(1000).All(ctx)
	return out, storageErr(err)
}

// OpenFromAlert opens a case from one alert, for playbooks: it acts as a
// system actor of the alert's tenant, whatever the caller's context. An
// alert already in a case returns that case (a playbook run that is
// retried opens one case). An empty title takes the alert's.
func (s *Service) OpenFromAlert(ctx context.Context, alertID, title string) (string, error) {
	pctx := tenants.Privileged(ctx, "open a case from an alert: find the alert's tenant")
	a, err := s.Client.Alert.Get(pctx, alertID)
	if err != nil {
		return "", storageErr(err)
	}
	if a.CaseID != nil {
		return *a.CaseID, nil
	}
	sctx, err := s.systemCtx(ctx, a.TenantID)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(title) == "" {
		title = a.Title
	}
	c, err := s.create(sctx, CaseInput{TenantID: a.TenantID, Title: clip(title, MaxTitle), AlertIDs: []string{a.ID}},
		entry{Kind: caseentry.KindPlaybook, Message: "opened by a playbook from alert " + a.ID, Ref: a.ID})
	if opsward.ErrorCode(err) == opsward.ECONFLICT {
		// Another run linked the alert meanwhile: that case is the one.
		if a, err2 := s.Client.Alert.Get(pctx, alertID); err2 == nil && a.CaseID != nil {
			return *a.CaseID, nil
		}
	}
	if err != nil {
		return "", err
	}
	return c.ID, nil
}
