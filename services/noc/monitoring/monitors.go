package monitoring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/escalationpolicy"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/notificationchannel"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/tenants"
)

// Bounds of a monitor's settings.
const (
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 2 * time.Minute
	MaxInterval    = 24 * time.Hour
	MaxThreshold   = 100 // failures before down, successes before recovery
	MaxSettings    = 64 << 10
)

// MonitorInput is a new monitor or, with nil fields left alone, a change.
type MonitorInput struct {
	AssetID                 string
	Name                    *string
	Kind                    *string
	Settings                json.RawMessage
	Interval                *time.Duration
	Timeout                 *time.Duration
	FailuresBeforeDown      *int
	SuccessesBeforeRecovery *int
	DegradedMode            *string
	FlapDetection           *bool
	SLATarget               *float64
	ClearSLATarget          bool
	EscalationPolicyID      *string
	ChannelIDs              []string
	SetChannelIDs           bool
}

// NewMonitor is a created monitor and, for a heartbeat monitor, its push
// URL, shown once.
type NewMonitor struct {
	Monitor      *ent.Monitor
	HeartbeatURL string
}

func (s *Service) validateMonitor(ctx context.Context, tx *ent.Tx, tenantID, kind string, in MonitorInput, create bool) error {
	if create {
		if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
			return opsward.FieldErrorf("name", "a monitor needs a name")
		}
		if len(in.Settings) == 0 {
			return opsward.FieldErrorf("settings", "a monitor needs settings for its kind")
		}
		if in.Interval == nil {
			return opsward.FieldErrorf("interval", "a monitor needs an interval")
		}
	}
	if in.Name != nil && (strings.TrimSpace(*in.Name) == "" || len(*in.Name) > 200) {
		return opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	if len(in.Settings) > MaxSettings {
		return opsward.FieldErrorf("settings", "settings are at most %d bytes", MaxSettings)
	}
	if len(in.Settings) > 0 {
		if err := s.Probes.Validate(probe.Kind(kind), in.Settings); err != nil {
			return err
		}
	}
	if in.Interval != nil {
		if *in.Interval > MaxInterval {
			return opsward.FieldErrorf("interval", "an interval is at most %s", MaxInterval)
		}
		if *in.Interval%time.Second != 0 {
			return opsward.FieldErrorf("interval", "an interval is a whole number of seconds")
		}
		if err := s.Billing.CheckInterval(ctx, tenantID, *in.Interval); err != nil {
			return err
		}
	}
	if in.Timeout != nil && (*in.Timeout < 100*time.Millisecond || *in.Timeout > MaxTimeout) {
		return opsward.FieldErrorf("timeout", "a timeout is between 100ms and %s", MaxTimeout)
	}
	if in.FailuresBeforeDown != nil && (*in.FailuresBeforeDown < 1 || *in.FailuresBeforeDown > MaxThreshold) {
		return opsward.FieldErrorf("failuresBeforeDown", "failures before down is between 1 and %d", MaxThreshold)
	}
	if in.SuccessesBeforeRecovery != nil && (*in.SuccessesBeforeRecovery < 1 || *in.SuccessesBeforeRecovery > MaxThreshold) {
		return opsward.FieldErrorf("successesBeforeRecovery", "successes before recovery is between 1 and %d", MaxThreshold)
	}
	if in.DegradedMode != nil {
		if err := monitor.DegradedModeValidator(monitor.DegradedMode(*in.DegradedMode)); err != nil {
			return opsward.FieldErrorf("degradedMode", "degraded mode %q is not one of degraded, up, down", *in.DegradedMode)
		}
	}
	if in.SLATarget != nil && (*in.SLATarget <= 0 || *in.SLATarget > 100) {
		return opsward.FieldErrorf("slaTarget", "an SLA target is a percentage above 0 and at most 100")
	}
	if in.EscalationPolicyID != nil && *in.EscalationPolicyID != "" {
		ok, err := tx.EscalationPolicy.Query().Where(escalationpolicy.ID(*in.EscalationPolicyID), escalationpolicy.TenantID(tenantID)).Exist(ctx)
		if err != nil {
			return storageErr(err)
		}
		if !ok {
			return opsward.FieldErrorf("escalationPolicyId", "no escalation policy %s in the monitor's tenant", *in.EscalationPolicyID)
		}
	}
	if in.SetChannelIDs {
		if len(in.ChannelIDs) > MaxChannelsPerMonitor {
			return opsward.FieldErrorf("channelIds", "at most %d channels", MaxChannelsPerMonitor)
		}
		if len(in.ChannelIDs) > 0 {
			n, err := tx.NotificationChannel.Query().Where(notificationchannel.IDIn(in.ChannelIDs...), notificationchannel.TenantID(tenantID)).Count(ctx)
			if err != nil {
				return storageErr(err)
			}
			if n != len(compact(in.ChannelIDs)) {
				return opsward.FieldErrorf("channelIds", "every channel must be one of the monitor's tenant")
			}
		}
	}
	return nil
}

// CreateMonitor adds a monitor to an asset. The plan's quota and minimum
// interval are checked inside the transaction that saves it; its schedule
// goes to Redis after the commit (a crash in between is mended by the
// next rebuild of the schedules from the database).
func (s *Service) CreateMonitor(ctx context.Context, in MonitorInput) (*NewMonitor, error) {
	if in.Kind == nil {
		return nil, opsward.FieldErrorf("kind", "a monitor needs a kind: %s", kindList(s.Probes.Kinds()))
	}
	if err := monitor.KindValidator(monitor.Kind(*in.Kind)); err != nil {
		return nil, opsward.FieldErrorf("kind", "kind %q is not one of %s", *in.Kind, kindList(s.Probes.Kinds()))
	}
	if err := s.checkReach(ctx, *in.Kind, in.Settings); err != nil {
		return nil, err
	}
	out := &NewMonitor{}
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		a, err := tx.Asset.Get(ctx, in.AssetID)
		if err != nil {
			return opsward.FieldErrorf("assetId", "no asset %s in your reach", in.AssetID)
		}
		if err := s.validateMonitor(ctx, tx, a.TenantID, *in.Kind, in, true); err != nil {
			return err
		}
		if err := s.lockQuota(ctx, tx, a.TenantID); err != nil {
			return err
		}
		if err := s.Billing.CheckMonitorQuota(ctx, a.TenantID, 1); err != nil {
			return err
		}
		id := opsward.NewID(opsward.PrefixMonitor)
		sealed, err := s.sealSettings(a.TenantID, id, in.Settings)
		if err != nil {
			return err
		}
		timeout := DefaultTimeout
		if in.Timeout != nil {
			timeout = *in.Timeout
		}
		now := s.now()
		c := tx.Monitor.Create().SetID(id).SetTenantID(a.TenantID).SetAssetID(a.ID).
			SetName(strings.TrimSpace(*in.Name)).SetKind(monitor.Kind(*in.Kind)).SetSettings(sealed).
			SetIntervalSeconds(int(*in.Interval / time.Second)).SetTimeoutMs(int(timeout / time.Millisecond)).
			SetChannelIds(compact(in.ChannelIDs)).SetStatusSince(now)
		if in.FailuresBeforeDown != nil {
			c.SetFailuresBeforeDown(*in.FailuresBeforeDown)
		}
		if in.SuccessesBeforeRecovery != nil {
			c.SetSuccessesBeforeRecovery(*in.SuccessesBeforeRecovery)
		}
		if in.DegradedMode != nil {
			c.SetDegradedMode(monitor.DegradedMode(*in.DegradedMode))
		}
		if in.FlapDetection != nil {
			c.SetFlapDetection(*in.FlapDetection)
		}
		if in.SLATarget != nil {
			c.SetSLATarget(*in.SLATarget)
		}
		if in.EscalationPolicyID != nil && *in.EscalationPolicyID != "" {
			c.SetEscalationPolicyID(*in.EscalationPolicyID)
		}
		if *in.Kind == string(probe.KindHeartbeat) {
			token, hash, err := probe.NewHeartbeatToken()
			if err != nil {
				return opsward.Internal(err)
			}
			c.SetHeartbeatTokenHash(hash).SetLastBeatAt(now)
			out.HeartbeatURL = s.heartbeatURL(token)
		}
		m, err := c.Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		out.Monitor = m
		return s.audit(ctx, tx, a.TenantID, "monitor.create", m.ID, m.Name)
	})
	if err != nil {
		return nil, err
	}
	s.schedule(ctx, out.Monitor)
	s.publishMonitor(ctx, out.Monitor)
	return out, nil
}

// checkReach refuses settings whose target the egress guard would refuse
// on every check. It runs before the transaction: it may look names up,
// which must not hold the database's locks. The guard still judges each
// connection when a check runs.
func (s *Service) checkReach(ctx context.Context, kind string, settings json.RawMessage) error {
	if len(settings) == 0 {
		return nil
	}
	return s.Probes.CheckReach(ctx, probe.Kind(kind), settings)
}

// lockQuota serializes monitor creation within a customer on Postgres, so
// that two creations at once cannot both pass the quota check. SQLite has
// one writer, which serializes them already.
func (s *Service) lockQuota(ctx context.Context, tx *ent.Tx, tenantID string) error {
	if s.DB.Dialect != "postgres" {
		return nil
	}
	path, err := s.Tenants.Path(ctx, tenantID)
	if err != nil {
		return err
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	account := parts[0]
	if len(parts) > 1 {
		account = parts[1]
	}
	_, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "monitor-quota:"+account)
	return storageErr(err)
}

// UpdateMonitor changes a monitor; its kind and asset stay.
func (s *Service) UpdateMonitor(ctx context.Context, id string, in MonitorInput) (*ent.Monitor, error) {
	if len(in.Settings) > 0 {
		m, err := s.Client.Monitor.Get(ctx, id)
		if err != nil {
			return nil, storageErr(err)
		}
		if err := s.checkReach(ctx, string(m.Kind), in.Settings); err != nil {
			return nil, err
		}
	}
	var out *ent.Monitor
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Monitor.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if in.Kind != nil && *in.Kind != string(m.Kind) {
			return opsward.FieldErrorf("kind", "a monitor's kind cannot change: create another monitor")
		}
		if err := s.validateMonitor(ctx, tx, m.TenantID, string(m.Kind), in, false); err != nil {
			return err
		}
		u := tx.Monitor.UpdateOne(m).AddVersion(1)
		if in.Name != nil {
			u.SetName(strings.TrimSpace(*in.Name))
		}
		if len(in.Settings) > 0 {
			sealed, err := s.sealSettings(m.TenantID, m.ID, in.Settings)
			if err != nil {
				return err
			}
			u.SetSettings(sealed).ClearProbeState()
		}
		if in.Interval != nil {
			u.SetIntervalSeconds(int(*in.Interval / time.Second))
		}
		if in.Timeout != nil {
			u.SetTimeoutMs(int(*in.Timeout / time.Millisecond))
		}
		if in.FailuresBeforeDown != nil {
			u.SetFailuresBeforeDown(*in.FailuresBeforeDown)
		}
		if in.SuccessesBeforeRecovery != nil {
			u.SetSuccessesBeforeRecovery(*in.SuccessesBeforeRecovery)
		}
		if in.DegradedMode != nil {
			u.SetDegradedMode(monitor.DegradedMode(*in.DegradedMode))
		}
		if in.FlapDetection != nil {
			u.SetFlapDetection(*in.FlapDetection)
		}
		if in.SLATarget != nil {
			u.SetSLATarget(*in.SLATarget)
		} else if in.ClearSLATarget {
			u.ClearSLATarget()
		}
		if in.EscalationPolicyID != nil {
			if *in.EscalationPolicyID == "" {
				u.ClearEscalationPolicyID()
			} else {
				u.SetEscalationPolicyID(*in.EscalationPolicyID)
			}
		}
		if in.SetChannelIDs {
			u.SetChannelIds(compact(in.ChannelIDs))
		}
		out, err = u.Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, m.TenantID, "monitor.update", m.ID, "")
	})
	if err != nil {
		return nil, err
	}
	s.edited(id)
	s.schedule(ctx, out)
	return out, nil
}

// DeleteMonitor removes a monitor and its schedule. Its results stay until
// retention removes them; its incidents stay, resolved.
func (s *Service) DeleteMonitor(ctx context.Context, id string) (*ent.Monitor, error) {
	var out *ent.Monitor
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Monitor.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if m.OpenIncidentID != nil {
			if err := s.resolveInTx(ctx, tx, *m.OpenIncidentID, actorID(ctx), "the monitor was deleted"); err != nil {
				return err
			}
		}
		if err := tx.Monitor.DeleteOne(m).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = m
		return s.audit(ctx, tx, m.TenantID, "monitor.delete", m.ID, m.Name)
	})
	if err != nil {
		return nil, err
	}
	s.edited(id)
	if err := s.Dispatch.RemoveSchedule(ctx, out.TenantID, out.ID); err != nil {
		s.log.WarnContext(ctx, "remove a deleted monitor's schedule", "tenant_id", out.TenantID, "monitor_id", out.ID, "err", err)
	}
	if p, err := s.Billing.Plan(ctx, out.TenantID); err == nil {
		s.refreshCap(ctx, out.TenantID, p)
	}
	return out, nil
}

// SetPaused pauses or resumes a monitor. A paused monitor is not checked
// and opens nothing; its open incident stays as it is.
func (s *Service) SetPaused(ctx context.Context, id string, paused bool) (*ent.Monitor, error) {
	var out *ent.Monitor
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Monitor.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if m.Paused == paused {
			out = m
			return nil
		}
		st := decodeMachine(m.Machine)
		now := s.now()
		if paused {
			st, _ = pause(st, now)
		} else {
			st, _ = resume(st, now)
		}
		u := tx.Monitor.UpdateOne(m).SetPaused(paused).SetMachine(encodeMachine(st)).
			SetStatus(monitor.Status(st.State())).SetStatusSince(now).AddVersion(1)
		if !paused && m.Kind == monitor.KindHeartbeat {
			u.SetLastBeatAt(now) // a resumed heartbeat gets a full interval to beat
		}
		out, err = u.Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		action := "monitor.resume"
		if paused {
			action = "monitor.pause"
		}
		return s.audit(ctx, tx, m.TenantID, action, m.ID, "")
	})
	if err != nil {
		return nil, err
	}
	s.edited(id)
	s.schedule(ctx, out)
	s.publishMonitor(ctx, out)
	return out, nil
}

// RunNow queues a check of the monitor at once, besides its schedule.
func (s *Service) RunNow(ctx context.Context, id string) (*ent.Monitor, error) {
	m, err := s.Client.Monitor.Get(ctx, id)
	if err != nil {
		return nil, storageErr(err)
	}
	if m.Paused {
		return nil, opsward.Errorf(opsward.ECONFLICT, "the monitor is paused: resume it first")
	}
	// One queued run-now per monitor at a time: pressing the button twice
	// runs one check.
	if _, err := s.Dispatch.Enqueue(ctx, m.TenantID, CheckArgs{MonitorID: m.ID}, &dispatch.EnqueueOpts{DedupKey: "run-now:" + m.ID}); err != nil {
		return nil, opsward.Internal(err)
	}
	return m, nil
}

// RotateHeartbeatToken gives a heartbeat monitor a new push URL; the old
// one stops working.
func (s *Service) RotateHeartbeatToken(ctx context.Context, id string) (*NewMonitor, error) {
	out := &NewMonitor{}
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Monitor.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if m.Kind != monitor.KindHeartbeat {
			return opsward.Errorf(opsward.EINVALID, "only heartbeat monitors have a push URL")
		}
		token, hash, err := probe.NewHeartbeatToken()
		if err != nil {
			return opsward.Internal(err)
		}
		out.Monitor, err = tx.Monitor.UpdateOne(m).SetHeartbeatTokenHash(hash).Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		out.HeartbeatURL = s.heartbeatURL(token)
		return s.audit(ctx, tx, m.TenantID, "monitor.heartbeat_rotate", m.ID, "")
	})
	return out, err
}

func (s *Service) heartbeatURL(token string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/heartbeat/" + token
}

// Heartbeat records a beat from a customer's job. The token is the only
// credential: it is looked up by its hash through the privileged path.
// A beat for a monitor that is down queues a check at once, so that the
// recovery shows without waiting for the schedule.
func (s *Service) Heartbeat(ctx context.Context, rawToken string) error {
	token, err := probe.ParseHeartbeatToken(rawToken)
	if err != nil {
		return opsward.Errorf(opsward.ENOTFOUND, "no heartbeat monitor has this URL")
	}
	pctx := tenants.Privileged(ctx, "heartbeat")
	m, err := s.Client.Monitor.Query().Where(monitor.HeartbeatTokenHash(probe.HashHeartbeatToken(token))).Only(pctx)
	if err != nil {
		return opsward.Errorf(opsward.ENOTFOUND, "no heartbeat monitor has this URL")
	}
	t, err := s.Client.Tenant.Query().Where(tenant.ID(m.TenantID)).Select(tenant.FieldStatus).Only(pctx)
	if err != nil || t.Status != tenant.StatusActive {
		return opsward.Errorf(opsward.EFORBIDDEN, "the monitor's tenant is not active")
	}
	if err := s.Client.Monitor.Update().Where(monitor.ID(m.ID), monitor.TenantID(m.TenantID)).
		SetLastBeatAt(s.now()).AddVersion(1).Exec(pctx); err != nil {
		return storageErr(err)
	}
	if !m.Paused && (m.Status == monitor.StatusDown || m.Status == monitor.StatusUnknown) {
		if _, err := s.Dispatch.Enqueue(ctx, m.TenantID, CheckArgs{MonitorID: m.ID}, &dispatch.EnqueueOpts{DedupKey: "beat:" + m.ID}); err != nil {
			s.log.WarnContext(ctx, "queue a check after a heartbeat", "tenant_id", m.TenantID, "monitor_id", m.ID, "err", err)
		}
	}
	return nil
}

// settingsAD binds sealed settings to their monitor.
func settingsAD(tenantID, monitorID string) []byte {
	return []byte("monitor-settings\x00" + tenantID + "\x00" + monitorID)
}

func (s *Service) sealSettings(tenantID, monitorID string, raw json.RawMessage) (string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", opsward.FieldErrorf("settings", "settings are not valid JSON: %v", err)
	}
	sealed, err := s.Sealer.Seal(buf.Bytes(), settingsAD(tenantID, monitorID))
	if err != nil {
		return "", opsward.Internal(err)
	}
	return sealed, nil
}

func (s *Service) openSettings(m *ent.Monitor) (json.RawMessage, error) {
	raw, err := s.Sealer.Open(m.Settings, settingsAD(m.TenantID, m.ID))
	if err != nil {
		return nil, opsward.Internal(fmt.Errorf("open the settings of monitor %s: %w", m.ID, err))
	}
	return raw, nil
}

// secretKey names settings that hold credentials; they are shown as
// "********" when settings are read back.
var secretKey = regexp.MustCompile(`(?i)(community|passphrase|password|secret|token|authorization|cookie|api[-_]?key)`)

// Redacted is meant to be displayed: a monitor's settings with every
// credential replaced by "********".
func (s *Service) Redacted(m *ent.Monitor) (json.RawMessage, error) {
	raw, err := s.openSettings(m)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, opsward.Internal(err)
	}
	out, err := json.Marshal(redact(v))
	if err != nil {
		return nil, opsward.Internal(err)
	}
	return out, nil
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if _, isStr := x.(string); isStr && secretKey.MatchString(k) {
				t[k] = "********"
				continue
			}
			t[k] = redact(x)
		}
		// Header values are credentials when the header name says so.
		if h, ok := t["headers"].(map[string]any); ok {
			for k := range h {
				if secretKey.MatchString(k) {
					h[k] = "********"
				}
			}
		}
	case []any:
		for i := range t {
			t[i] = redact(t[i])
		}
	}
	return v
}

func kindList(kinds []probe.Kind) string {
	ss := make([]string, len(kinds))
	for i, k := range kinds {
		ss[i] = string(k)
	}
	slices.Sort(ss)
	return strings.Join(ss, ", ")
}

// compact removes duplicates and keeps order.
func compact(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
