package monitoring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
)

// Register adds the NOC's job handlers to the workers.
func (s *Service) Register(ws *dispatch.Workers) {
	dispatch.AddWorkerFunc(ws, s.work)
	dispatch.AddWorkerFunc(ws, s.Escalate)
}

// errStale is a lost race: another check of the monitor saved its state
// first.
var errStale = errors.New("monitor changed while it was checked")

// Check runs one check of a monitor: the probe (through the egress guard),
// the result to the batch writer, the state machine, and what its
// transition asks for (incidents, notifications through the outbox, in the
// same transaction as the state). It returns once the result is stored.
func (s *Service) Check(ctx context.Context, job *dispatch.Job[CheckArgs]) error {
	err := s.work(ctx, job)
	if stored, ok := dispatch.AckAfterOf(err); ok {
		select {
		case <-stored:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

// work is Check as the worker runs it: done once the state is applied,
// acknowledged once the result is stored (dispatch.JobAckAfter).
func (s *Service) work(ctx context.Context, job *dispatch.Job[CheckArgs]) error {
	ctx, err := s.systemCtx(ctx, job.TenantID)
	if err != nil {
		return err
	}
	m, err := s.monitors.getFor(ctx, s.Client, job.TenantID, job.Args.MonitorID)
	if err == nil && m.TenantID != job.TenantID {
		s.monitors.forget(m.ID) // a job names its tenant; another's monitor is not there
		err = &ent.NotFoundError{}
	}
	if ent.IsNotFound(err) {
		// Deleted since it was scheduled: drop the schedule too.
		_ = s.Dispatch.RemoveSchedule(ctx, job.TenantID, job.Args.MonitorID)
		return dispatch.JobCancel(fmt.Errorf("monitor %s no longer exists", job.Args.MonitorID))
	}
	if err != nil {
		return err
	}
	if m.Paused {
		return nil
	}
	if job.Attempt > 1 && job.ScheduleID != "" {
		// Run again: its worker died before acknowledging it. If the first
		// run's result is stored, the check happened; it is not done twice.
		done, err := s.ResultStore.HasRun(ctx, m.ID, job.ID, slotOf(job.JobRow))
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
	now := s.now()
	in := probe.Input{Timeout: time.Duration(m.TimeoutMs) * time.Millisecond, Now: now, Previous: m.ProbeState}
	if m.LastBeatAt != nil {
		in.LastBeat = *m.LastBeatAt
	}
	in.Since = m.CreatedAt
	if m.StatusSince != nil && m.Status != monitor.StatusUnknown {
		in.Since = *m.StatusSince
	}
	multi := len(m.Locations) > 0
	var res probe.Result
	local := !multi || slices.Contains(m.Locations, noc.LocalLocation)
	if local {
		if res, err = s.probe(ctx, m, in); err != nil {
			return dispatch.JobCancel(err)
		}
	}
	maint, err := s.inMaintenance(ctx, m, now)
	if err != nil {
		return err
	}
	// The job is acknowledged once the result is stored (the writer
	// commits within milliseconds), so a worker that dies loses none.
	var stored <-chan struct{}
	if s.Writer != nil && local {
		r := results.FromProbe(m.TenantID, m.ID, res, maint)
		if job.ScheduleID != "" {
			r.RunID = job.ID
		}
		if multi {
			r.Location = noc.LocalLocation
		}
		if stored, err = s.Writer.WriteSync(ctx, r); err != nil {
			return err
		}
	}
	if multi {
		// The monitor is judged from all its locations: this worker's
		// result is one of them, the agents' are what they pushed.
		if res, err = s.quorum(ctx, m, res, local, now); err != nil {
			return err
		}
	}
	ack := func(err error) error {
		if err != nil || stored == nil {
			return err
		}
		return dispatch.JobAckAfter(stored)
	}
	for attempt := 0; ; attempt++ {
		err = s.apply(ctx, m, res, maint, now)
		if !errors.Is(err, errStale) || attempt == 3 {
			return ack(err)
		}
		// Changed elsewhere (an edit, a pause, another worker's check):
		// read it again and apply the result to what is stored now.
		s.monitors.forget(m.ID)
		m, err = s.monitors.get(ctx, s.Client, m.ID)
		if ent.IsNotFound(err) {
			return ack(nil)
		}
		if err != nil {
			return err
		}
		if m.Paused {
			return ack(nil)
		}
	}
}

// slotOf is the time a scheduled run was due: its slot, which its id
// carries ("<schedule>@<slot ms>"). Results of the run were checked at or
// after it.
func slotOf(j *dispatch.JobRow) time.Time {
	if i := strings.LastIndexByte(j.ID, '@'); i >= 0 {
		if ms, err := strconv.ParseInt(j.ID[i+1:], 10, 64); err == nil {
			return time.UnixMilli(ms)
		}
	}
	return j.EnqueuedAt
}

// probe runs the monitor's probe with its settings parsed once per
// version of them. Settings that no longer parse give a down result with
// the reason, as the registry does.
func (s *Service) probe(ctx context.Context, m *ent.Monitor, in probe.Input) (probe.Result, error) {
	p := s.parsed.entry(m.ID)
	s.parsed.mu.Lock()
	prober, set, ok := p.prober, p.settings, p.sealed == m.Settings && p.prober != nil
	s.parsed.mu.Unlock()
	if !ok {
		raw, err := s.openSettings(m)
		if err != nil {
			return probe.Result{}, err
		}
		if prober, err = s.Probes.Get(probe.Kind(m.Kind)); err == nil {
			set, err = prober.Parse(raw)
		}
		if err != nil {
			return s.Probes.Run(ctx, probe.Kind(m.Kind), raw, in), nil
		}
		s.parsed.mu.Lock()
		p.sealed, p.prober, p.settings = m.Settings, prober, set
		s.parsed.mu.Unlock()
	}
	return probe.Run(ctx, prober, set, in), nil
}

// machineOf is the monitor's state machine, decoded once per stored state.
func (s *Service) machineOf(m *ent.Monitor) noc.MonitorState {
	p := s.parsed.entry(m.ID)
	s.parsed.mu.Lock()
	defer s.parsed.mu.Unlock()
	if p.machine != nil && bytes.Equal(p.machine, m.Machine) {
		st := p.st
		st.Recent = slices.Clone(st.Recent) // Step may append to it
		return st
	}
	return decodeMachine(m.Machine)
}

// keepMachine remembers the decoded form of a state just encoded.
func (s *Service) keepMachine(id string, raw []byte, st noc.MonitorState) {
	p := s.parsed.entry(id)
	s.parsed.mu.Lock()
	p.machine, p.st = raw, st
	p.st.Recent = slices.Clone(st.Recent)
	s.parsed.mu.Unlock()
}

// config is the state-machine part of a monitor.
func config(m *ent.Monitor) noc.MonitorConfig {
	return noc.MonitorConfig{
		FailuresBeforeDown:      m.FailuresBeforeDown,
		SuccessesBeforeRecovery: m.SuccessesBeforeRecovery,
		Degraded:                noc.DegradedMode(m.DegradedMode),
		Flap:                    noc.FlapConfig{Disabled: !m.FlapDetection},
	}.WithDefaults()
}

// apply feeds one result to the monitor's machine and saves what follows,
// guarded by the monitor's version. A result that opens or closes nothing
// and carries no signal goes to the batched state writer; the rest is one
// transaction with the incident and the notifications it queues.
func (s *Service) apply(ctx context.Context, m *ent.Monitor, res probe.Result, maint bool, now time.Time) error {
	st := s.machineOf(m)
	var trs []noc.Transition
	if st.Maintenance != maint {
		var tr noc.Transition
		st, tr = noc.SetMaintenance(st, maint, now)
		trs = append(trs, tr)
	}
	var tr noc.Transition
	if res.Status == probe.StatusUnknown && res.Reason == noc.ReasonStale {
		// No location reported in time: unknown, never down.
		st, tr = noc.MarkUnknown(st, now)
	} else {
		st, tr = config(m).Step(st, res, now)
	}
	trs = append(trs, tr)
	next := *m
	next.Machine, next.Status, next.Flapping = encodeMachine(st), monitor.Status(st.State()), st.Flapping
	next.LastCheckedAt, next.LastLatencyUs = &now, res.Latency.Microseconds()
	next.LastReason, next.LastMessage = truncate(res.Reason, 64), truncate(res.Message, 1024)
	if len(res.State) > 0 {
		next.ProbeState = res.State
	}
	if !st.Since.IsZero() {
		since := st.Since
		next.StatusSince = &since
	}
	next.Version = m.Version + 1
	update := func(c *ent.MonitorClient) *ent.MonitorUpdate {
		u := c.Update().Where(monitor.ID(m.ID), monitor.Version(m.Version)).
			SetMachine(next.Machine).SetStatus(next.Status).SetFlapping(next.Flapping).
			SetLastCheckedAt(now).SetLastLatencyUs(next.LastLatencyUs).
			SetLastReason(next.LastReason).SetLastMessage(next.LastMessage).SetVersion(next.Version)
		if len(res.State) > 0 {
			u.SetProbeState(res.State)
		}
		if next.StatusSince != nil {
			u.SetStatusSince(*next.StatusSince)
		}
		return u
	}
	quiet := len(res.Signals) == 0
	for _, tr := range trs {
		quiet = quiet && !(tr.OpenIncident && m.OpenIncidentID == nil) && !(tr.CloseIncident && m.OpenIncidentID != nil)
	}
	var events []event
	if quiet {
		s.keepMachine(m.ID, next.Machine, st)
		s.monitors.put(&next)
		s.states.add(m.Version, &next)
	} else {
		// A state still queued for this monitor goes first, so that the
		// stored version is the one this result was applied to.
		if p := s.states.take(m.ID); p != nil {
			if err := s.states.write(ctx, []*pendingState{p}); err != nil {
				s.monitors.forget(m.ID)
				return err
			}
			if cached, ok := s.monitors.peek(m.ID); !ok || cached.Version != m.Version {
				return errStale
			}
		}
		err := s.withTx(ctx, func(tx *ent.Tx) error {
			n, err := update(tx.Monitor).Save(ctx)
			if err != nil {
				return storageErr(err)
			}
			if n == 0 {
				return errStale
			}
			openID := m.OpenIncidentID
			for _, tr := range trs {
				switch {
				case tr.OpenIncident && openID == nil:
					inc, evs, err := s.openForMonitor(ctx, tx, m, res, now)
					if err != nil {
						return err
					}
					events = append(events, evs...)
					openID = &inc.ID
				case tr.CloseIncident && openID != nil:
					if err := s.resolveInTx(ctx, tx, *openID, "", "the monitor recovered"); err != nil {
						return err
					}
					events = append(events, event{Kind: eventIncident, TenantID: m.TenantID, ID: *openID})
					openID = nil
				}
			}
			if !samePtr(openID, m.OpenIncidentID) {
				upd := tx.Monitor.Update().Where(monitor.ID(m.ID))
				if openID == nil {
					upd.ClearOpenIncidentID()
				} else {
					upd.SetOpenIncidentID(*openID)
				}
				if err := upd.Exec(ctx); err != nil {
					return storageErr(err)
				}
			}
			next.OpenIncidentID = openID
			evs, err := s.signals(ctx, tx, m, res, openID, now)
			if err != nil {
				return err
			}
			events = append(events, evs...)
			return nil
		})
		if err != nil {
			s.monitors.forget(m.ID)
			return err
		}
		// Opening an incident can change more than this row (a reopened
		// incident's monitor); read it afresh next time.
		s.monitors.forget(m.ID)
	}
	if next.Status != m.Status || next.Flapping != m.Flapping {
		s.publishMonitor(ctx, &next)
	}
	for _, e := range events {
		s.publish(ctx, e)
	}
	return nil
}

// signals hands the probe's findings to the SOC when one is joined, and
// records them on the monitor's incident timeline either way; a signal
// with no incident open opens one of severity info, so that it is seen.
func (s *Service) signals(ctx context.Context, tx *ent.Tx, m *ent.Monitor, res probe.Result, openID *string, now time.Time) ([]event, error) {
	var events []event
	for _, ps := range res.Signals {
		sig, ok := noc.SignalFromProbe(ps, m.TenantID, m.AssetID, m.ID, now)
		if !ok {
			continue
		}
		if s.Signals != nil {
			if err := s.Signals.Signal(ctx, sig); err != nil {
				s.log.WarnContext(ctx, "hand a signal to the SOC", "tenant_id", m.TenantID, "monitor_id", m.ID, "err", err)
			}
		}
		incID := ""
		if openID != nil {
			incID = *openID
		} else {
			inc, err := s.openIncident(ctx, tx, incidentSpec{
				TenantID: m.TenantID, MonitorID: m.ID, AssetID: m.AssetID,
				Title: fmt.Sprintf("%s: %s", m.Name, sig.Kind), Severity: noc.SeverityInfo, At: now,
				NoNotify: true,
			})
			if err != nil {
				return nil, err
			}
			incID = inc.ID
		}
		if err := s.addEntries(ctx, tx, m.TenantID, incID, []noc.Entry{{At: now, Kind: noc.EntrySignal, Message: sig.Detail, Signal: &sig}}); err != nil {
			return nil, err
		}
		events = append(events, event{Kind: eventIncident, TenantID: m.TenantID, ID: incID})
	}
	return events, nil
}

// machineJSON is how a monitor's machine state is stored.
func decodeMachine(b []byte) noc.MonitorState {
	var st noc.MonitorState
	if len(b) > 0 {
		// A state that no longer decodes starts over; the next results
		// rebuild it.
		_ = json.Unmarshal(b, &st)
	}
	return st
}

func encodeMachine(st noc.MonitorState) []byte {
	b, _ := json.Marshal(st)
	return b
}

func pause(st noc.MonitorState, now time.Time) (noc.MonitorState, noc.Transition) {
	return noc.Pause(st, now)
}

func resume(st noc.MonitorState, now time.Time) (noc.MonitorState, noc.Transition) {
	return noc.Resume(st, now)
}

func samePtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !validCut(s, n) {
		n--
	}
	return s[:n]
}

// validCut reports whether s can be cut before byte n without splitting a
// UTF-8 sequence.
func validCut(s string, n int) bool { return n >= len(s) || s[n]&0xC0 != 0x80 }
