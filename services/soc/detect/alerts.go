package detect

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
)

// DedupWindow is how long after its last occurrence an open alert absorbs
// new matches of the same rule and key.
const DedupWindow = time.Hour

// maxAlertEvents is how many event ids an alert keeps (its count says how
// many there were).
const maxAlertEvents = 20

// AlertSpec is one match to raise.
type AlertSpec struct {
	TenantID    string
	Source      alert.Source
	Title       string
	Description string
	Severity    alert.Severity
	RuleID      string
	RuleAuthor  string
	Tags        []string
	// Key distinguishes alerts of one rule (the host and user involved).
	Key     string
	EventID string
	// EventIDs and Count carry matches folded together before raising (a
	// batch that matched one rule and key many times); Count 0 means 1.
	EventIDs []string
	Count    int
	At       time.Time
	Detail   any
}

func (sp AlertSpec) dedupKey() string {
	k := string(sp.Source) + ":" + sp.RuleID + ":" + sp.Key
	if len(k) > 200 {
		k = k[:200]
	}
	return k
}

// fold merges matches of one batch that would land on the same alert, so
// that a burst costs one write per alert, not one per match.
func fold(specs []AlertSpec) []AlertSpec {
	idx := map[string]int{}
	var out []AlertSpec
	for _, sp := range specs {
		if sp.EventID != "" {
			sp.EventIDs = append(sp.EventIDs, sp.EventID)
			sp.EventID = ""
		}
		if sp.Count == 0 {
			sp.Count = 1
		}
		k := sp.TenantID + "\x00" + sp.dedupKey()
		if i, ok := idx[k]; ok {
			o := &out[i]
			o.Count += sp.Count
			if sp.At.After(o.At) {
				o.At = sp.At
			}
			if len(o.EventIDs) < maxAlertEvents {
				o.EventIDs = append(o.EventIDs, sp.EventIDs...)
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, sp)
	}
	return out
}

// severityOf maps a Sigma level to an alert severity.
func severityOf(level string) alert.Severity {
	switch strings.ToLower(level) {
	case "critical":
		return alert.SeverityCritical
	case "high":
		return alert.SeverityHigh
	case "low":
		return alert.SeverityLow
	case "informational", "info":
		return alert.SeverityInfo
	}
	return alert.SeverityMedium
}

// Raise records a match: a new alert, or one more occurrence of an open
// alert of the same rule and key seen within DedupWindow. Playbooks hear
// of it in the same transaction.
func (s *Service) Raise(ctx context.Context, sp AlertSpec) (*ent.Alert, error) {
	ctx, err := s.systemCtx(ctx, sp.TenantID)
	if err != nil {
		return nil, err
	}
	dedup := sp.dedupKey()
	if sp.EventID != "" {
		sp.EventIDs = append(sp.EventIDs, sp.EventID)
	}
	if sp.Count == 0 {
		sp.Count = 1
	}
	var out *ent.Alert
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		open, err := tx.Alert.Query().Where(alert.TenantID(sp.TenantID), alert.DedupKey(dedup),
			alert.StatusIn(alert.StatusNew, alert.StatusAcknowledged), alert.LastSeenGTE(sp.At.Add(-DedupWindow))).
			Order(ent.Desc(alert.FieldLastSeen)).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return storageErr(err)
		}
		if open != nil {
			u := tx.Alert.UpdateOne(open).AddCount(sp.Count)
			if sp.At.After(open.LastSeen) {
				u.SetLastSeen(sp.At)
			}
			if room := maxAlertEvents - len(open.EventIds); room > 0 && len(sp.EventIDs) > 0 {
				u.AppendEventIds(sp.EventIDs[:min(room, len(sp.EventIDs))])
			}
			if out, err = u.Save(ctx); err != nil {
				return storageErr(err)
			}
		} else {
			tags := sp.Tags
			if tags == nil {
				tags = []string{}
			}
			ids := sp.EventIDs[:min(maxAlertEvents, len(sp.EventIDs))]
			if ids == nil {
				ids = []string{}
			}
			c := tx.Alert.Create().SetTenantID(sp.TenantID).SetSource(sp.Source).SetTitle(cut(sp.Title, 300)).
				SetDescription(cut(sp.Description, 4000)).SetSeverity(sp.Severity).SetRuleID(cut(sp.RuleID, 100)).
				SetRuleAuthor(cut(sp.RuleAuthor, 500)).SetTags(tags).SetDedupKey(dedup).SetFirstSeen(sp.At).SetLastSeen(sp.At).
				SetEventIds(ids).SetCount(sp.Count)
			if sp.Detail != nil {
				b, _ := json.Marshal(sp.Detail)
				c.SetDetail(b)
			}
			if out, err = c.Save(ctx); err != nil {
				return storageErr(err)
			}
		}
		if s.Playbooks != nil {
			return s.Playbooks.OnAlert(ctx, tx, out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, out)
	return out, nil
}

func (s *Service) publish(ctx context.Context, a *ent.Alert) {
	if s.Publish != nil {
		s.Publish(ctx, "alert", a.TenantID, a.ID)
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// updateAlert changes an alert in reach and audits it.
func (s *Service) updateAlert(ctx context.Context, id, action string, fn func(a *ent.Alert, u *ent.AlertUpdateOne) error) (*ent.Alert, error) {
	var out *ent.Alert
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		a, err := tx.Alert.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		u := tx.Alert.UpdateOne(a)
		if err := fn(a, u); err != nil {
			return err
		}
		if out, err = u.Save(ctx); err != nil {
			return storageErr(err)
		}
		if s.Playbooks != nil && action == "alert.severity" {
			if err := s.Playbooks.OnAlert(ctx, tx, out); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a.TenantID, action, a.ID, "")
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, out)
	return out, nil
}

// AcknowledgeAlert marks an alert as seen.
func (s *Service) AcknowledgeAlert(ctx context.Context, id string) (*ent.Alert, error) {
	return s.updateAlert(ctx, id, "alert.acknowledge", func(a *ent.Alert, u *ent.AlertUpdateOne) error {
		switch a.Status {
		case alert.StatusAcknowledged:
			return nil
		case alert.StatusNew:
			u.SetStatus(alert.StatusAcknowledged).SetAckedAt(s.now())
			return nil
		}
		return opsward.Errorf(opsward.ECONFLICT, "the alert is closed")
	})
}

// CloseAlert closes an alert with its verdict.
func (s *Service) CloseAlert(ctx context.Context, id, status string) (*ent.Alert, error) {
	st := alert.Status(status)
	switch st {
	case alert.StatusClosedTruePositive, alert.StatusClosedFalsePositive, alert.StatusClosedBenign:
	default:
		return nil, opsward.FieldErrorf("status", "status %q is not one of closed_true_positive, closed_false_positive, closed_benign", status)
	}
	return s.updateAlert(ctx, id, "alert.close", func(a *ent.Alert, u *ent.AlertUpdateOne) error {
		now := s.now()
		u.SetStatus(st).SetClosedAt(now)
		if a.AckedAt == nil {
			u.SetAckedAt(now)
		}
		return nil
	})
}

// AssignAlert gives an alert to a member of its tenant or of a tenant
// above; "" unassigns.
func (s *Service) AssignAlert(ctx context.Context, id, userID string) (*ent.Alert, error) {
	return s.updateAlert(ctx, id, "alert.assign", func(a *ent.Alert, u *ent.AlertUpdateOne) error {
		if userID == "" {
			u.ClearAssigneeID()
			return nil
		}
		ok, err := s.Tenants.IsMember(ctx, userID, a.TenantID)
		if err != nil {
			return err
		}
		if !ok {
			return opsward.FieldErrorf("assigneeId", "user %s is not a member of the alert's tenant", userID)
		}
		u.SetAssigneeID(userID)
		return nil
	})
}

// Signal is what the NOC noticed that may matter to security, as the SOC
// takes it (cmd/opsward converts the NOC's type: the two never import
// each other).
type Signal struct {
	Kind, TenantID, AssetID, MonitorID, Detail string
	At                                         time.Time
	Fields                                     map[string]any
}

// RaiseSignal turns a NOC signal into an alert, one per monitor and kind
// within the dedup window, with a link back to the NOC's evidence.
func (s *Service) RaiseSignal(ctx context.Context, sg Signal) error {
	sev := alert.SeverityMedium
	title := "NOC: " + strings.ReplaceAll(sg.Kind, "_", " ")
	if sg.Kind == "unexpected_open_port" || sg.Kind == "certificate_changed" {
		sev = alert.SeverityHigh
	}
	detail := map[string]any{"kind": sg.Kind, "asset_id": sg.AssetID, "monitor_id": sg.MonitorID, "detail": sg.Detail}
	for k, v := range sg.Fields {
		detail[k] = v
	}
	_, err := s.Raise(ctx, AlertSpec{TenantID: sg.TenantID, Source: alert.SourceNoc, Title: title, Description: sg.Detail,
		Severity: sev, RuleID: "noc." + sg.Kind, RuleAuthor: "Opsward NOC", Key: sg.MonitorID, At: sg.At, Detail: detail})
	return err
}
