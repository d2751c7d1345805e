package noc

import (
	"time"

	"github.com/opsward/opsward"
)

// IncidentStatus is where an incident is in its life.
type IncidentStatus string

const (
	IncidentTriggered    IncidentStatus = "triggered"
	IncidentAcknowledged IncidentStatus = "acknowledged"
	IncidentResolved     IncidentStatus = "resolved"
)

// Criticality is how much an asset matters to its owner.
type Criticality string

const (
	CriticalityCritical Criticality = "critical"
	CriticalityHigh     Criticality = "high"
	CriticalityMedium   Criticality = "medium"
	CriticalityLow      Criticality = "low"
)

// Severity is how loudly an incident is routed.
type Severity string

const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// SeverityFor maps an asset's criticality to the severity of its
// incidents. An asset with no criticality set is treated as medium, so a
// forgotten field neither wakes anyone at night nor goes unseen.
func SeverityFor(c Criticality) Severity {
	switch c {
	case CriticalityCritical:
		return SeverityCritical
	case CriticalityHigh:
		return SeverityHigh
	case CriticalityLow:
		return SeverityLow
	}
	return SeverityMedium
}

// EntryKind is the kind of a timeline entry.
type EntryKind string

const (
	EntryStateChange        EntryKind = "state_change"
	EntryNotificationSent   EntryKind = "notification_sent"
	EntryNotificationFailed EntryKind = "notification_failed"
	EntryComment            EntryKind = "comment"
	EntryAssignment         EntryKind = "assignment"
	EntryEscalation         EntryKind = "escalation"
	EntrySuppressedByParent EntryKind = "suppressed_by_parent"
	EntrySignal             EntryKind = "signal"
)

// Entry is one line of an incident's timeline.
type Entry struct {
	At      time.Time
	Kind    EntryKind
	Actor   string // user id, or "" for the system
	Message string
	// State change.
	From, To IncidentStatus
	// Notification and escalation.
	Channel string
	Targets []string
	Round   int
	Level   int
	// Suppression.
	ParentIncidentID string
	// Signal.
	Signal *Signal
}

// Incident is one outage of one monitor (or one opened by hand).
type Incident struct {
	ID          string
	MonitorID   string
	AssetID     string
	Title       string
	Severity    Severity
	Status      IncidentStatus
	Assignee    string
	OpenedAt    time.Time
	AckedAt     time.Time
	ResolvedAt  time.Time
	ParentID    string // set when suppressed by a parent's incident
	Suppressed  bool
	ReopenCount int
	Timeline    []Entry
}

// NewIncident opens an incident for an asset of the given criticality.
func NewIncident(id, monitorID, assetID, title string, c Criticality, at time.Time) *Incident {
	i := &Incident{ID: id, MonitorID: monitorID, AssetID: assetID, Title: title,
		Severity: SeverityFor(c), Status: IncidentTriggered, OpenedAt: at}
	i.Timeline = append(i.Timeline, Entry{At: at, Kind: EntryStateChange, To: IncidentTriggered, Message: title})
	return i
}

func (i *Incident) setStatus(to IncidentStatus, by string, at time.Time) {
	i.Timeline = append(i.Timeline, Entry{At: at, Kind: EntryStateChange, Actor: by, From: i.Status, To: to})
	i.Status = to
}

// Acknowledge marks the incident as seen; escalation stops. Acknowledging
// twice is harmless; acknowledging a resolved incident is a conflict.
func (i *Incident) Acknowledge(by string, at time.Time) error {
	switch i.Status {
	case IncidentAcknowledged:
		return nil
	case IncidentResolved:
		return opsward.Errorf(opsward.ECONFLICT, "the incident is already resolved")
	}
	i.AckedAt = at
	i.setStatus(IncidentAcknowledged, by, at)
	return nil
}

// Resolve closes the incident (by hand, or by = "" when the monitor
// recovered). Resolving twice is harmless.
func (i *Incident) Resolve(by string, at time.Time) error {
	if i.Status == IncidentResolved {
		return nil
	}
	i.ResolvedAt = at
	i.setStatus(IncidentResolved, by, at)
	return nil
}

// ReopenWithin is how soon after resolution a new failure of the same
// monitor reopens the incident instead of opening another: a recovery that
// did not hold is the same outage.
const ReopenWithin = 10 * time.Minute

// ShouldReopen reports whether a failure at at belongs to this resolved
// incident rather than to a new one.
func (i *Incident) ShouldReopen(at time.Time) bool {
	return i.Status == IncidentResolved && !at.Before(i.ResolvedAt) && at.Sub(i.ResolvedAt) <= ReopenWithin
}

// Reopen sets a resolved incident back to triggered. The acknowledgement
// is cleared (the failure is new to whoever acked) but OpenedAt stays, so
// MTTR counts the whole outage.
func (i *Incident) Reopen(at time.Time) error {
	if i.Status != IncidentResolved {
		return opsward.Errorf(opsward.ECONFLICT, "only a resolved incident can be reopened")
	}
	i.ResolvedAt, i.AckedAt = time.Time{}, time.Time{}
	i.ReopenCount++
	i.setStatus(IncidentTriggered, "", at)
	return nil
}

// Comment adds a comment.
func (i *Incident) Comment(by, text string, at time.Time) error {
	if text == "" {
		return opsward.FieldErrorf("text", "a comment cannot be empty")
	}
	i.Timeline = append(i.Timeline, Entry{At: at, Kind: EntryComment, Actor: by, Message: text})
	return nil
}

// Assign gives the incident to a user ("" unassigns).
func (i *Incident) Assign(by, assignee string, at time.Time) {
	i.Assignee = assignee
	i.Timeline = append(i.Timeline, Entry{At: at, Kind: EntryAssignment, Actor: by, Targets: []string{assignee}})
}

// RecordNotification notes a delivery or its final failure.
func (i *Incident) RecordNotification(channel string, err error, at time.Time) {
	e := Entry{At: at, Kind: EntryNotificationSent, Channel: channel}
	if err != nil {
		e.Kind, e.Message = EntryNotificationFailed, opsward.ErrorMessage(err)
	}
	i.Timeline = append(i.Timeline, e)
}

// SuppressBy links the incident to its parent asset's incident: no
// notification goes out for it and no escalation runs, while its monitor
// keeps checking.
func (i *Incident) SuppressBy(parent *Incident, at time.Time) {
	i.Suppressed, i.ParentID = true, parent.ID
	i.Timeline = append(i.Timeline, Entry{At: at, Kind: EntrySuppressedByParent, ParentIncidentID: parent.ID,
		Message: "suppressed: a parent asset is down"})
}

// MTTA is the time to acknowledge; false when never acknowledged.
func (i *Incident) MTTA() (time.Duration, bool) {
	if i.AckedAt.IsZero() {
		return 0, false
	}
	return i.AckedAt.Sub(i.OpenedAt), true
}

// MTTR is the time to resolve; false while open.
func (i *Incident) MTTR() (time.Duration, bool) {
	if i.ResolvedAt.IsZero() {
		return 0, false
	}
	return i.ResolvedAt.Sub(i.OpenedAt), true
}

// MeanTimes are the means over a set of incidents. Suppressed incidents
// are left out: nobody was asked to act on them, so they would flatter
// or spoil the figures for no reason.
type MeanTimes struct {
	MTTA, MTTR         time.Duration
	Acked, Resolved, N int
}

// ComputeMeanTimes returns MTTA over acknowledged incidents and MTTR over
// resolved ones.
func ComputeMeanTimes(incidents []*Incident) MeanTimes {
	var m MeanTimes
	var ack, res time.Duration
	for _, i := range incidents {
		if i.Suppressed {
			continue
		}
		m.N++
		if d, ok := i.MTTA(); ok {
			ack += d
			m.Acked++
		}
		if d, ok := i.MTTR(); ok {
			res += d
			m.Resolved++
		}
	}
	if m.Acked > 0 {
		m.MTTA = ack / time.Duration(m.Acked)
	}
	if m.Resolved > 0 {
		m.MTTR = res / time.Duration(m.Resolved)
	}
	return m
}
