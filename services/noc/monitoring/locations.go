package monitoring

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/probecheck"
	"github.com/opsward/opsward/ent/probelocation"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/agents"
	"github.com/opsward/opsward/services/noc/probe"
)

// MaxLocations bounds the locations one monitor runs from.
const MaxLocations = 16

// OpenSettings is a monitor's probe settings in the clear, for the agent
// of one of its locations.
func (s *Service) OpenSettings(m *ent.Monitor) (json.RawMessage, error) { return s.openSettings(m) }

// staleAfter is how old a location's last result may be and still count:
// two intervals and the timeout, so one late or lost check is not a gap.
func staleAfter(m *ent.Monitor) time.Duration {
	return 2*time.Duration(m.IntervalSeconds)*time.Second + time.Duration(m.TimeoutMs)*time.Millisecond + 5*time.Second
}

// quorum records this worker's result as the "local" location's (when the
// monitor runs there) and returns the verdict of all its locations.
func (s *Service) quorum(ctx context.Context, m *ent.Monitor, res probe.Result, local bool, now time.Time) (probe.Result, error) {
	if local {
		checked := res.StartedAt
		if checked.IsZero() {
			checked = now
		}
		n, err := s.Client.ProbeCheck.Update().Where(probecheck.MonitorID(m.ID), probecheck.LocationID(noc.LocalLocation)).
			SetStatus(probecheck.Status(res.Status)).SetCheckedAt(checked).SetLatencyUs(res.Latency.Microseconds()).
			SetReason(truncate(res.Reason, 64)).SetMessage(truncate(res.Message, 1024)).SetNextDueAt(now).Save(ctx)
		if err != nil {
			return res, storageErr(err)
		}
		if n == 0 {
			err = s.Client.ProbeCheck.Create().SetTenantID(m.TenantID).SetMonitorID(m.ID).SetLocationID(noc.LocalLocation).
				SetStatus(probecheck.Status(res.Status)).SetCheckedAt(checked).SetLatencyUs(res.Latency.Microseconds()).
				SetReason(truncate(res.Reason, 64)).SetMessage(truncate(res.Message, 1024)).SetNextDueAt(now).
				OnConflictColumns(probecheck.FieldMonitorID, probecheck.FieldLocationID).UpdateNewValues().Exec(ctx)
			if err != nil {
				return res, storageErr(err)
			}
		}
	}
	locs, err := agents.LocationResults(ctx, s.Client, m)
	if err != nil {
		return res, err
	}
	v := noc.Quorum(locs, m.MinFailedLocations, staleAfter(m), now)
	if local {
		// The worker's own findings (a changed certificate) still count.
		v.Signals, v.State = res.Signals, res.State
	}
	return v, nil
}

// SetMonitorLocations says where a monitor runs and how many of its
// locations must fail before it counts as down. Every location is
// "local" (Opsward's workers) or a probe location of the monitor's own
// tenant.
func (s *Service) SetMonitorLocations(ctx context.Context, id string, locations []string, minFailed int) (*ent.Monitor, error) {
	locs := slices.Compact(slices.Sorted(slices.Values(locations)))
	switch {
	case len(locs) == 0:
		return nil, opsward.FieldErrorf("locations", "a monitor runs from at least one location (\"local\" is Opsward's workers)")
	case len(locs) > MaxLocations:
		return nil, opsward.FieldErrorf("locations", "a monitor runs from at most %d locations", MaxLocations)
	case minFailed < 1:
		return nil, opsward.FieldErrorf("minFailedLocations", "at least one location must fail for the monitor to be down")
	case minFailed > len(locs):
		return nil, opsward.FieldErrorf("minFailedLocations", "the quorum %d is more than the monitor's %d locations", minFailed, len(locs))
	}
	var out *ent.Monitor
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		m, err := tx.Monitor.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		var remote []string
		for _, l := range locs {
			if l != noc.LocalLocation {
				remote = append(remote, l)
			}
		}
		if len(remote) > 0 {
			n, err := tx.ProbeLocation.Query().Where(probelocation.IDIn(remote...), probelocation.TenantID(m.TenantID)).Count(ctx)
			if err != nil {
				return storageErr(err)
			}
			if n != len(remote) {
				return opsward.FieldErrorf("locations", "every location must be \"local\" or one of the monitor's tenant's")
			}
		}
		if out, err = tx.Monitor.UpdateOne(m).SetLocations(locs).SetMinFailedLocations(minFailed).AddVersion(1).Save(ctx); err != nil {
			return storageErr(err)
		}
		// Results from locations it no longer runs from no longer count.
		if _, err := tx.ProbeCheck.Delete().Where(probecheck.MonitorID(m.ID), probecheck.LocationIDNotIn(locs...)).Exec(ctx); err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, m.TenantID, "monitor.locations", m.ID, "")
	})
	if err != nil {
		return nil, err
	}
	s.monitors.forget(id)
	return out, nil
}
