package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/escalationpolicy"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/notificationchannel"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/notify"
)

// EscalateArgs is the job that sends an incident's due escalation levels
// and queues itself for the next one.
type EscalateArgs struct {
	IncidentID string `json:"i"`
}

// Kind names the job.
func (EscalateArgs) Kind() string { return "noc.escalate" }

// Level is one escalation level as the API takes it. Targets are
// notification channels of the tenant.
type Level struct {
	Delay   time.Duration
	Targets []string
}

type storedLevel struct {
	DelaySeconds int64    `json:"delay_seconds"`
	Targets      []string `json:"targets"`
}

// PolicyInput is a new escalation policy or a replacement of one.
type PolicyInput struct {
	TenantID    string
	Name        string
	Levels      []Level
	Repeat      int
	RepeatAfter time.Duration
}

func policyOf(p *ent.EscalationPolicy) noc.EscalationPolicy {
	var levels []storedLevel
	_ = json.Unmarshal(p.Levels, &levels)
	out := noc.EscalationPolicy{ID: p.ID, Repeat: p.Repeat, RepeatAfter: time.Duration(p.RepeatAfterSeconds) * time.Second}
	for _, l := range levels {
		out.Levels = append(out.Levels, noc.EscalationLevel{Delay: time.Duration(l.DelaySeconds) * time.Second, Targets: l.Targets})
	}
	return out
}

// Levels returns a policy's levels.
func Levels(p *ent.EscalationPolicy) []Level {
	np := policyOf(p)
	out := make([]Level, len(np.Levels))
	for k, l := range np.Levels {
		out[k] = Level{Delay: l.Delay, Targets: l.Targets}
	}
	return out
}

func (s *Service) checkPolicy(ctx context.Context, tx *ent.Tx, tenantID string, in PolicyInput) ([]byte, error) {
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 200 {
		return nil, opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	np := noc.EscalationPolicy{Repeat: in.Repeat, RepeatAfter: in.RepeatAfter}
	levels := make([]storedLevel, len(in.Levels))
	var targets []string
	for k, l := range in.Levels {
		if l.Delay%time.Second != 0 {
			return nil, opsward.FieldErrorf(fmt.Sprintf("levels.%d.delay", k), "a delay is a whole number of seconds")
		}
		np.Levels = append(np.Levels, noc.EscalationLevel{Delay: l.Delay, Targets: l.Targets})
		levels[k] = storedLevel{DelaySeconds: int64(l.Delay / time.Second), Targets: l.Targets}
		targets = append(targets, l.Targets...)
	}
	if err := np.Validate(); err != nil {
		return nil, err
	}
	if in.RepeatAfter%time.Second != 0 {
		return nil, opsward.FieldErrorf("repeatAfter", "a delay is a whole number of seconds")
	}
	targets = compact(targets)
	n, err := tx.NotificationChannel.Query().Where(notificationchannel.IDIn(targets...), notificationchannel.TenantID(tenantID)).Count(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if n != len(targets) {
		return nil, opsward.FieldErrorf("levels", "every target must be a notification channel of the policy's tenant")
	}
	b, _ := json.Marshal(levels)
	return b, nil
}

// CreateEscalationPolicy adds a policy.
func (s *Service) CreateEscalationPolicy(ctx context.Context, in PolicyInput) (*ent.EscalationPolicy, error) {
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	var out *ent.EscalationPolicy
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		levels, err := s.checkPolicy(ctx, tx, tenantID, in)
		if err != nil {
			return err
		}
		n, err := tx.EscalationPolicy.Query().Where(escalationpolicy.TenantID(tenantID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxPoliciesPerTenant {
			return opsward.Errorf(opsward.ELIMIT, "a tenant has at most %d escalation policies", MaxPoliciesPerTenant)
		}
		out, err = tx.EscalationPolicy.Create().SetTenantID(tenantID).SetName(strings.TrimSpace(in.Name)).SetLevels(levels).
			SetRepeat(in.Repeat).SetRepeatAfterSeconds(int(in.RepeatAfter / time.Second)).Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, tenantID, "escalation_policy.create", out.ID, out.Name)
	})
	return out, err
}

// UpdateEscalationPolicy replaces a policy's name and levels. Incidents
// already escalating follow the new levels from their next step.
func (s *Service) UpdateEscalationPolicy(ctx context.Context, id string, in PolicyInput) (*ent.EscalationPolicy, error) {
	var out *ent.EscalationPolicy
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		p, err := tx.EscalationPolicy.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		levels, err := s.checkPolicy(ctx, tx, p.TenantID, in)
		if err != nil {
			return err
		}
		out, err = tx.EscalationPolicy.UpdateOne(p).SetName(strings.TrimSpace(in.Name)).SetLevels(levels).
			SetRepeat(in.Repeat).SetRepeatAfterSeconds(int(in.RepeatAfter / time.Second)).Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, p.TenantID, "escalation_policy.update", p.ID, "")
	})
	return out, err
}

// DeleteEscalationPolicy removes a policy no monitor uses.
func (s *Service) DeleteEscalationPolicy(ctx context.Context, id string) (*ent.EscalationPolicy, error) {
	var out *ent.EscalationPolicy
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		p, err := tx.EscalationPolicy.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		n, err := tx.Monitor.Query().Where(monitor.EscalationPolicyID(id)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n > 0 {
			return opsward.Errorf(opsward.ECONFLICT, "%d monitor(s) use this policy: change them first", n)
		}
		if err := tx.EscalationPolicy.DeleteOne(p).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = p
		return s.audit(ctx, tx, p.TenantID, "escalation_policy.delete", p.ID, p.Name)
	})
	return out, err
}

// scheduleEscalation queues the escalation job for the incident's next due
// level, in tx.
func (s *Service) scheduleEscalation(ctx context.Context, tx *ent.Tx, inc *ent.Incident, now time.Time) error {
	if inc.EscalationPolicyID == nil {
		return nil
	}
	p, err := tx.EscalationPolicy.Get(ctx, *inc.EscalationPolicyID)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return storageErr(err)
	}
	_, i, err := loadIncident(ctx, tx, inc.ID)
	if err != nil {
		return err
	}
	next, ok := nextDue(policyOf(p), i, now)
	if !ok {
		return nil
	}
	_, err = s.Dispatch.EnqueueTx(ctx, tx, inc.TenantID, EscalateArgs{IncidentID: inc.ID},
		&dispatch.EnqueueOpts{RunAt: next, DedupKey: fmt.Sprintf("escalate:%s:%d", inc.ID, next.UnixMilli())})
	if err != nil {
		return opsward.Internal(err)
	}
	return nil
}

// nextDue is when the next level not yet sent falls due.
func nextDue(p noc.EscalationPolicy, i *noc.Incident, now time.Time) (time.Time, bool) {
	horizon := now.Add(time.Duration(p.Repeat+1)*(p.RepeatAfter+totalDelay(p)) + time.Hour)
	var next time.Time
	for _, e := range noc.Due(p, i, horizon) {
		if next.IsZero() || e.DueAt.Before(next) {
			next = e.DueAt
		}
	}
	return next, !next.IsZero()
}

func totalDelay(p noc.EscalationPolicy) time.Duration {
	var d time.Duration
	for _, l := range p.Levels {
		d = max(d, l.Delay)
	}
	return d
}

// Escalate sends the levels due now (each a notification to its target
// channels, recorded on the timeline so that it is sent once) and queues
// the next. Acknowledged, resolved and suppressed incidents escalate no
// further.
func (s *Service) Escalate(ctx context.Context, job *dispatch.Job[EscalateArgs]) error {
	ctx, err := s.systemCtx(ctx, job.TenantID)
	if err != nil {
		return err
	}
	var published bool
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		inc, i, err := loadIncident(ctx, tx, job.Args.IncidentID)
		if err != nil {
			if opsward.ErrorCode(err) == opsward.ENOTFOUND {
				return dispatch.JobCancel(err)
			}
			return err
		}
		if inc.EscalationPolicyID == nil || inc.Status != incident.StatusTriggered {
			return nil
		}
		p, err := tx.EscalationPolicy.Get(ctx, *inc.EscalationPolicyID)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return storageErr(err)
		}
		np := policyOf(p)
		now := s.now()
		due := noc.Due(np, i, now)
		n := len(i.Timeline)
		for _, e := range due {
			msg, err := s.message(ctx, tx, inc, notify.StateTriggered, now)
			if err != nil {
				return err
			}
			msg.Summary = strings.TrimSpace(fmt.Sprintf("Escalation level %d. %s", e.Level+1, msg.Summary))
			var ds []notify.Delivery
			for _, t := range e.Targets {
				ds = append(ds, notify.Delivery{TenantID: inc.TenantID, ChannelID: t, Message: msg})
			}
			for k := range ds {
				// One delivery per level and round, whatever the message says.
				if _, err := s.Dispatch.EnqueueTx(ctx, tx, inc.TenantID, ds[k], &dispatch.EnqueueOpts{
					DedupKey: fmt.Sprintf("esc:%s:%d:%d:%s", inc.ID, e.Round, e.Level, ds[k].ChannelID)}); err != nil {
					return opsward.Internal(err)
				}
			}
			i.RecordEscalation(e, now)
		}
		if len(i.Timeline) > n {
			if _, err := s.save(ctx, tx, inc, i, n); err != nil {
				return err
			}
			published = true
		}
		next, ok := nextDue(np, i, now)
		if !ok {
			return nil
		}
		_, err = s.Dispatch.EnqueueTx(ctx, tx, inc.TenantID, EscalateArgs{IncidentID: inc.ID},
			&dispatch.EnqueueOpts{RunAt: next, DedupKey: fmt.Sprintf("escalate:%s:%d", inc.ID, next.UnixMilli())})
		if err != nil {
			return opsward.Internal(err)
		}
		return nil
	})
	if err == nil && published {
		s.publish(ctx, event{Kind: eventIncident, TenantID: job.TenantID, ID: job.Args.IncidentID})
	}
	return err
}
