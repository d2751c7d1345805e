package cases

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/ent/securitycase"
	"github.com/opsward/opsward/services/soc/events"
)

// Times are a case's response metrics; nil until reached.
//
//   - Detect (TTD): from the earliest security event known to the case
//     (behind its alerts, or put on its timeline) to detected_at, when the
//     earliest of its alerts was first seen. Nil without alerts, without
//     a known event, or when every known event is later than detection
//     (those events then do not say when the attack began).
//   - Acknowledge (TTA): opened_at to acknowledged_at (the case left new).
//   - Contain (TTC): opened_at to contained_at (first contained).
//   - Resolve (TTR): opened_at to resolved_at (closed; cleared on reopen).
type Times struct {
	Detect, Acknowledge, Contain, Resolve *time.Duration
}

// TimesOf computes a case's times; firstEvent is when the earliest event
// known to it happened, nil when unknown.
func TimesOf(c *ent.SecurityCase, firstEvent *time.Time) Times {
	since := func(from time.Time, to *time.Time) *time.Duration {
		if to == nil || to.Before(from) {
			return nil
		}
		d := to.Sub(from)
		return &d
	}
	t := Times{
		Acknowledge: since(c.OpenedAt, c.AcknowledgedAt),
		Contain:     since(c.OpenedAt, c.ContainedAt),
		Resolve:     since(c.OpenedAt, c.ResolvedAt),
	}
	if firstEvent != nil {
		t.Detect = since(*firstEvent, c.DetectedAt)
	}
	return t
}

// Times computes a case's times, reading when its earliest known event
// happened.
func (s *Service) Times(ctx context.Context, c *ent.SecurityCase) (Times, error) {
	if c.DetectedAt == nil {
		return TimesOf(c, nil), nil
	}
	first, err := s.FirstEventAt(ctx, c)
	if err != nil {
		return Times{}, err
	}
	return TimesOf(c, first), nil
}

// FirstEventAt returns when the earliest security event known to a case
// happened: the events on its timeline and those its alerts link to (read
// from the event store when there is one), or nil.
func (s *Service) FirstEventAt(ctx context.Context, c *ent.SecurityCase) (*time.Time, error) {
	var first *time.Time
	earlier := func(t time.Time) {
		if first == nil || t.Before(*first) {
			t := t.UTC()
			first = &t
		}
	}
	e, err := s.Client.CaseEntry.Query().Where(caseentry.CaseID(c.ID), caseentry.KindEQ(caseentry.KindEvent)).
		Order(ent.Asc(caseentry.FieldAt)).Select(caseentry.FieldAt).First(ctx)
	switch {
	case err == nil:
		earlier(e.At)
	case !ent.IsNotFound(err):
		return nil, storageErr(err)
	}
	if s.Events == nil {
		return first, nil
	}
	alerts, err := s.Client.Alert.Query().Where(alert.CaseID(c.ID)).Select(alert.FieldEventIds).Limit(1000).All(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	var ids []string
	seen := map[string]bool{}
	for _, a := range alerts {
		for _, id := range a.EventIds {
			if !seen[id] && len(ids) < events.MaxGet {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return first, nil
	}
	nctx, err := s.Tenants.Narrow(ctx, c.TenantID)
	if err != nil {
		return nil, err
	}
	evs, err := s.Events.Get(nctx, ids)
	if err != nil {
		return nil, storageErr(err)
	}
	for _, ev := range evs {
		earlier(ev.Time)
	}
	return first, nil
}

// eventLine is the timeline line of a security event.
func eventLine(ev events.Event) string {
	var parts []string
	for _, p := range [][2]string{{"", ev.Dataset}, {"", ev.Action}, {"host ", ev.HostName}, {"user ", ev.UserName},
		{"from ", ev.SourceIP}, {"to ", ev.DestinationIP}} {
		if p[1] != "" {
			parts = append(parts, p[0]+p[1])
		}
	}
	line := "event " + ev.ID
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	if ev.Message != "" {
		line += fmt.Sprintf(": %s", clip(ev.Message, 2000))
	}
	return line
}

// CasesOpened lists one tenant's cases opened in [from, to), oldest
// first (at most 100,000), for reports.
func (s *Service) CasesOpened(ctx context.Context, tenantID string, from, to time.Time) ([]*ent.SecurityCase, error) {
	cs, err := s.Client.SecurityCase.Query().Where(securitycase.TenantID(tenantID), securitycase.OpenedAtGTE(from), securitycase.OpenedAtLT(to)).
		Order(ent.Asc(securitycase.FieldOpenedAt), ent.Asc(securitycase.FieldID)).Limit(100_000).All(ctx)
	return cs, storageErr(err)
}
