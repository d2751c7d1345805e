package response

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/indicatorlist"
	"github.com/opsward/opsward/ent/playbook"
	"github.com/opsward/opsward/ent/playbookrun"
	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/webhook"
	"github.com/opsward/opsward/services/soc/intel"
)

// PlaybookRunArgs is the job that runs one playbook for one alert.
type PlaybookRunArgs struct {
	PlaybookID string `json:"p"`
	AlertID    string `json:"a"`
}

// Kind names the job.
func (PlaybookRunArgs) Kind() string { return "soc.playbook_run" }

// LogEntry is one step's record in a run's log: what it was given, what
// it did, and how it ended (ok, failed, waiting, or error for an attempt
// that will be retried).
type LogEntry struct {
	Step   int            `json:"step"`
	Type   string         `json:"type"`
	Status string         `json:"status"`
	At     time.Time      `json:"at"`
	Input  map[string]any `json:"input,omitempty"`
	Output map[string]any `json:"output,omitempty"`
	Error  string         `json:"error,omitempty"`
	// Until is when a wait step ends.
	Until *time.Time `json:"until,omitempty"`
}

// Entry statuses.
const (
	EntryOK      = "ok"
	EntryFailed  = "failed"
	EntryWaiting = "waiting"
	EntryError   = "error"
)

// Register adds the playbook job's handler.
func (s *Service) Register(ws *dispatch.Workers) {
	dispatch.AddWorkerFunc(ws, s.RunPlaybook)
}

func runDedupKey(playbookID, alertID string) string { return "playbook:" + playbookID + ":" + alertID }

// OnAlert starts the playbooks an alert triggers: the enabled playbooks of
// the alert's own tenant whose trigger it matches, each once per alert
// however often the alert is updated. It runs inside tx, the transaction
// that created or updated the alert, and enqueues through the outbox, so
// that a committed alert always gets its runs and a rolled-back one none.
//
// Playbooks of the provider or of a parent tenant do not run on a
// customer's alerts: their steps name the owner's channels and lists,
// which the customer's run must not reach.
func (s *Service) OnAlert(ctx context.Context, tx *ent.Tx, a *ent.Alert) error {
	pbs, err := tx.Playbook.Query().Where(playbook.TenantID(a.TenantID), playbook.Enabled(true)).All(ctx)
	if err != nil {
		return storageErr(err)
	}
	for _, p := range pbs {
		t, err := ParseTrigger(p.Trigger)
		if err != nil {
			s.log.WarnContext(ctx, "playbook trigger unreadable", "tenant_id", p.TenantID, "playbook_id", p.ID, "error", err)
			continue
		}
		if !t.Matches(a) {
			continue
		}
		// A run row means this alert already started this playbook; the
		// dedup key covers the time before the job makes the row.
		n, err := tx.PlaybookRun.Query().Where(playbookrun.PlaybookID(p.ID), playbookrun.AlertID(a.ID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n > 0 {
			continue
		}
		if _, err := s.Dispatch.EnqueueTx(ctx, tx, a.TenantID, PlaybookRunArgs{PlaybookID: p.ID, AlertID: a.ID},
			&dispatch.EnqueueOpts{DedupKey: runDedupKey(p.ID, a.ID)}); err != nil {
			return opsward.Internal(err)
		}
	}
	return nil
}

// permanent reports an error that a retry cannot fix.
func permanent(err error) bool {
	switch opsward.ErrorCode(err) {
	case opsward.EINVALID, opsward.ENOTFOUND, opsward.EFORBIDDEN, opsward.ECONFLICT, opsward.ELIMIT:
		return true
	}
	return false
}

// RunPlaybook is the job handler: it makes or reads the run row and runs
// the steps from run.step on. Each step's outcome is saved in the log
// with the step counter before the next starts (in the same transaction
// as the step's own writes where it has any), so a retry resumes at the
// first step not done. A step that fails for good fails the run; one that
// may work later (a webhook's 5xx, storage) is logged and retried by the
// job system until its last attempt.
func (s *Service) RunPlaybook(ctx context.Context, job *dispatch.Job[PlaybookRunArgs]) error {
	ctx, err := s.systemCtx(ctx, job.TenantID)
	if err != nil {
		if permanent(err) {
			return dispatch.JobCancel(err)
		}
		return err
	}
	log := s.log.With("tenant_id", job.TenantID, "job_id", job.ID, "playbook_id", job.Args.PlaybookID, "alert_id", job.Args.AlertID)
	run, err := s.startRun(ctx, job)
	if err != nil {
		if permanent(err) {
			return dispatch.JobCancel(err)
		}
		return err
	}
	if run.Status == playbookrun.StatusSucceeded || run.Status == playbookrun.StatusFailed {
		return nil
	}
	p, err := s.Client.Playbook.Get(ctx, run.PlaybookID)
	if ent.IsNotFound(err) {
		return s.finish(ctx, run, nil, playbookrun.StatusFailed, "the playbook was deleted")
	}
	if err != nil {
		return storageErr(err)
	}
	steps := storedSteps(p)
	for {
		run, err = s.Client.PlaybookRun.Get(ctx, run.ID)
		if err != nil {
			return storageErr(err)
		}
		if run.Step >= len(steps) {
			return s.finish(ctx, run, nil, playbookrun.StatusSucceeded, "")
		}
		st := steps[run.Step]
		a, err := s.Client.Alert.Get(ctx, run.AlertID)
		if ent.IsNotFound(err) {
			return s.finish(ctx, run, nil, playbookrun.StatusFailed, "the alert no longer exists")
		}
		if err != nil {
			return storageErr(err)
		}
		wait, err := s.step(ctx, job, p, run, st, a)
		switch {
		case wait > 0:
			return dispatch.JobSnooze(wait)
		case err == nil:
			continue
		case permanent(err):
			log.InfoContext(ctx, "playbook step failed", "step", run.Step, "type", st.Type, "error", err)
			return nil // the step recorded the failure and ended the run
		case job.Attempt >= job.MaxAttempts && job.MaxAttempts > 0:
			e := LogEntry{Step: run.Step, Type: st.Type, Status: EntryFailed, At: s.now(), Error: opsward.ErrorMessage(err) + " (no attempts left)"}
			return s.finish(ctx, run, &e, playbookrun.StatusFailed, "")
		default:
			log.WarnContext(ctx, "playbook step will be retried", "step", run.Step, "type", st.Type, "error", err)
			_ = s.record(ctx, run, LogEntry{Step: run.Step, Type: st.Type, Status: EntryError, At: s.now(), Error: opsward.ErrorMessage(err)})
			return err
		}
	}
}

// startRun returns the run of the job's playbook and alert, making it on
// the first attempt.
func (s *Service) startRun(ctx context.Context, job *dispatch.Job[PlaybookRunArgs]) (*ent.PlaybookRun, error) {
	var run *ent.PlaybookRun
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		var err error
		run, err = tx.PlaybookRun.Query().Where(playbookrun.PlaybookID(job.Args.PlaybookID), playbookrun.AlertID(job.Args.AlertID)).
			Order(ent.Asc(playbookrun.FieldCreatedAt)).First(ctx)
		if err == nil {
			return nil
		}
		if !ent.IsNotFound(err) {
			return storageErr(err)
		}
		if _, err := tx.Playbook.Get(ctx, job.Args.PlaybookID); err != nil {
			return notFound(err, "playbook", job.Args.PlaybookID)
		}
		run, err = tx.PlaybookRun.Create().SetTenantID(job.TenantID).SetPlaybookID(job.Args.PlaybookID).
			SetAlertID(job.Args.AlertID).SetStatus(playbookrun.StatusRunning).SetLog([]byte("[]")).Save(ctx)
		return storageErr(err)
	})
	return run, err
}

func readLog(run *ent.PlaybookRun) []LogEntry {
	var l []LogEntry
	_ = json.Unmarshal(run.Log, &l)
	return l
}

// record appends e to the run's log without moving on.
func (s *Service) record(ctx context.Context, run *ent.PlaybookRun, e LogEntry) error {
	b, _ := json.Marshal(append(readLog(run), e))
	return storageErr(s.Client.PlaybookRun.UpdateOne(run).SetLog(b).Exec(ctx))
}

// advance, inside tx, appends e to the log and moves the run past its
// step: the step's outcome and its writes commit together.
func (s *Service) advance(ctx context.Context, tx *ent.Tx, run *ent.PlaybookRun, e LogEntry) error {
	b, _ := json.Marshal(append(readLog(run), e))
	return storageErr(tx.PlaybookRun.UpdateOne(run).SetLog(b).SetStep(run.Step + 1).SetStatus(playbookrun.StatusRunning).Exec(ctx))
}

// finish ends the run with status, appending e (or a note) to the log.
func (s *Service) finish(ctx context.Context, run *ent.PlaybookRun, e *LogEntry, status playbookrun.Status, note string) error {
	l := readLog(run)
	if e != nil {
		l = append(l, *e)
	}
	if note != "" {
		l = append(l, LogEntry{Step: run.Step, Type: "run", Status: EntryFailed, At: s.now(), Error: note})
	}
	b, _ := json.Marshal(l)
	return storageErr(s.Client.PlaybookRun.UpdateOne(run).SetLog(b).SetStatus(status).SetFinishedAt(s.now()).Exec(ctx))
}

// step runs one step. It returns a wait when the run must pause, nil
// when the step is done and recorded, a permanent error when the step
// failed and the run has been ended, or another error to retry.
func (s *Service) step(ctx context.Context, job *dispatch.Job[PlaybookRunArgs], p *ent.Playbook, run *ent.PlaybookRun, st Step, a *ent.Alert) (time.Duration, error) {
	now := s.now()
	e := LogEntry{Step: run.Step, Type: st.Type, At: now, Input: map[string]any{}, Output: map[string]any{}}
	fail := func(err error) (time.Duration, error) {
		e.Status, e.Error = EntryFailed, opsward.ErrorMessage(err)
		if ferr := s.finish(ctx, run, &e, playbookrun.StatusFailed, ""); ferr != nil {
			return 0, ferr
		}
		return 0, err
	}
	done := func(extra func(tx *ent.Tx) error) (time.Duration, error) {
		e.Status = EntryOK
		err := s.withTx(ctx, func(tx *ent.Tx) error {
			if extra != nil {
				if err := extra(tx); err != nil {
					return err
				}
			}
			return s.advance(ctx, tx, run, e)
		})
		if err != nil && permanent(err) {
			return fail(err)
		}
		return 0, err
	}
	switch st.Type {
	case StepWait:
		e.Input["seconds"] = st.Seconds
		l := readLog(run)
		if n := len(l); n > 0 && l[n-1].Step == run.Step && l[n-1].Status == EntryWaiting && l[n-1].Until != nil {
			if left := l[n-1].Until.Sub(now); left > 0 {
				return left, nil
			}
			e.Output["waited_until"] = *l[n-1].Until
			return done(nil)
		}
		until := now.Add(time.Duration(st.Seconds) * time.Second)
		w := LogEntry{Step: run.Step, Type: st.Type, Status: EntryWaiting, At: now, Input: e.Input, Until: &until}
		b, _ := json.Marshal(append(l, w))
		if err := s.Client.PlaybookRun.UpdateOne(run).SetLog(b).SetStatus(playbookrun.StatusWaiting).Exec(ctx); err != nil {
			return 0, storageErr(err)
		}
		return until.Sub(now), nil

	case StepNotify:
		e.Input["channel_id"] = st.ChannelID
		msg := s.message(a, p, now)
		d := notify.Delivery{TenantID: a.TenantID, ChannelID: st.ChannelID, Message: msg}
		if err := msg.Validate(); err != nil {
			return fail(err)
		}
		return done(func(tx *ent.Tx) error {
			res, err := s.Dispatch.EnqueueTx(ctx, tx, a.TenantID, d,
				&dispatch.EnqueueOpts{DedupKey: fmt.Sprintf("pbn:%s:%d", run.ID, run.Step)})
			if err != nil {
				return opsward.Internal(err)
			}
			e.Output["delivery_job_id"] = res
			return nil
		})

	case StepWebhook:
		e.Input["url"] = st.URL
		e.Input["signed"] = st.SecretSealed != ""
		status, err := s.postWebhook(ctx, p, run, a, st, now)
		if status != 0 {
			e.Output["status"] = status
		}
		if err != nil {
			if permanent(err) {
				return fail(err)
			}
			return 0, err
		}
		return done(nil)

	case StepBlockIndicator:
		e.Input["list_id"], e.Input["field"] = st.ListID, st.Field
		value, ok := alertValue(a, st.Field)
		if !ok {
			return fail(opsward.Errorf(opsward.EINVALID, "the alert has no value in %s", st.Field))
		}
		e.Input["value"] = value
		kind, norm, err := intel.Guess(value)
		if err != nil {
			return fail(opsward.Errorf(opsward.EINVALID, "%q is not an indicator: %s", value, opsward.ErrorMessage(err)))
		}
		ind := intel.Indicator{Kind: kind, Value: norm, Source: "playbook " + p.Name, Confidence: intel.DefaultConfidence,
			TLP: unmarkedTLP, Description: truncate("Blocked by playbook "+p.Name+" for alert "+a.ID+": "+a.Title, 2000)}
		if err := ind.Normalize(); err != nil {
			return fail(err)
		}
		return done(func(tx *ent.Tx) error {
			l, err := tx.IndicatorList.Query().Where(indicatorlist.ID(st.ListID), indicatorlist.TenantID(a.TenantID)).Only(ctx)
			if err != nil {
				return notFound(err, "block list", st.ListID)
			}
			if l.Kind != indicatorlist.KindBlocklist {
				return opsward.Errorf(opsward.EINVALID, "list %s is not a block list", st.ListID)
			}
			rows, err := s.upsert(ctx, tx, l, []intel.Indicator{ind})
			if err != nil {
				return err
			}
			e.Output["indicator_id"], e.Output["kind"], e.Output["value"] = rows[0].ID, string(kind), norm
			return s.audit(ctx, tx, a.TenantID, "indicator.add", rows[0].ID, "playbook "+p.ID+": "+string(kind)+" "+norm)
		})

	case StepOpenCase:
		title := expand(st.Title, a)
		e.Input["title"] = title
		if s.Cases == nil {
			return fail(opsward.Errorf(opsward.EINVALID, "cases are not available on this server"))
		}
		if a.CaseID != nil && *a.CaseID != "" {
			e.Output["case_id"], e.Output["existing"] = *a.CaseID, true
			return done(nil)
		}
		id, err := s.Cases.OpenFromAlert(ctx, a.ID, title)
		if err != nil {
			if permanent(err) {
				return fail(err)
			}
			return 0, err
		}
		e.Output["case_id"] = id
		return done(nil)

	case StepAssign:
		e.Input["user_id"] = st.UserID
		return done(func(tx *ent.Tx) error {
			if err := tx.Alert.UpdateOneID(a.ID).SetAssigneeID(st.UserID).Exec(ctx); err != nil {
				return storageErr(err)
			}
			e.Output["previous"] = deref(a.AssigneeID)
			return s.audit(ctx, tx, a.TenantID, "alert.assign", a.ID, "playbook "+p.ID+": "+st.UserID)
		})

	case StepSetSeverity:
		e.Input["severity"] = st.Severity
		return done(func(tx *ent.Tx) error {
			if err := tx.Alert.UpdateOneID(a.ID).SetSeverity(alert.Severity(st.Severity)).Exec(ctx); err != nil {
				return storageErr(err)
			}
			e.Output["previous"] = string(a.Severity)
			return s.audit(ctx, tx, a.TenantID, "alert.severity", a.ID, "playbook "+p.ID+": "+st.Severity)
		})
	}
	return fail(opsward.Errorf(opsward.EINVALID, "unknown step type %q", st.Type))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// expand fills an open_case title template from the alert.
func expand(tpl string, a *ent.Alert) string {
	r := strings.NewReplacer("{{title}}", a.Title, "{{severity}}", string(a.Severity), "{{rule_id}}", a.RuleID, "{{alert_id}}", a.ID)
	return truncate(strings.TrimSpace(r.Replace(tpl)), 300)
}

// message is the notification a notify step sends about an alert.
func (s *Service) message(a *ent.Alert, p *ent.Playbook, now time.Time) notify.Message {
	m := notify.Message{TenantID: a.TenantID, Ref: notify.Ref{Kind: "alert", ID: a.ID}, Title: truncate(a.Title, 200),
		Summary: truncate(a.Description, 1000), Severity: notify.Severity(a.Severity), State: notify.StateTriggered,
		Time: now, Source: a.RuleID,
		Fields: []notify.Field{{Name: "Playbook", Value: p.Name}, {Name: "Source", Value: string(a.Source)}, {Name: "Count", Value: strconv.Itoa(a.Count)}}}
	if s.PublicURL != "" {
		m.Link = s.PublicURL + "/soc/alerts/" + a.ID
	}
	return m
}

// alertPayload is the JSON a webhook step posts.
type alertPayload struct {
	Event      string          `json:"event"`
	PlaybookID string          `json:"playbook_id"`
	Playbook   string          `json:"playbook"`
	RunID      string          `json:"run_id"`
	Step       int             `json:"step"`
	Alert      alertJSON       `json:"alert"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

type alertJSON struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Source      string    `json:"source"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Severity    string    `json:"severity"`
	Status      string    `json:"status"`
	RuleID      string    `json:"rule_id,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
	Count       int       `json:"count"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	EventIDs    []string  `json:"event_ids,omitempty"`
	Link        string    `json:"link,omitempty"`
}

// postWebhook POSTs the alert through the guarded client, signed as the
// webhook channel signs (X-Opsward-Timestamp, X-Opsward-Signature
// "v1=<hex HMAC-SHA256 of timestamp.body>") when the step has a secret.
// X-Opsward-Delivery is the same on every attempt of the step, so that a
// receiver can drop a repeat.
func (s *Service) postWebhook(ctx context.Context, p *ent.Playbook, run *ent.PlaybookRun, a *ent.Alert, st Step, now time.Time) (int, error) {
	pl := alertPayload{Event: "alert.playbook", PlaybookID: p.ID, Playbook: p.Name, RunID: run.ID, Step: run.Step,
		Alert: alertJSON{ID: a.ID, TenantID: a.TenantID, Source: string(a.Source), Title: a.Title, Description: a.Description,
			Severity: string(a.Severity), Status: string(a.Status), RuleID: a.RuleID, Tags: a.Tags, Count: a.Count,
			FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, EventIDs: a.EventIds}}
	if s.PublicURL != "" {
		pl.Alert.Link = s.PublicURL + "/soc/alerts/" + a.ID
	}
	if json.Valid(a.Detail) {
		pl.Detail = a.Detail
	}
	body, err := json.Marshal(pl)
	if err != nil {
		return 0, opsward.Internal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.URL, bytes.NewReader(body))
	if err != nil {
		return 0, opsward.Errorf(opsward.EINVALID, "webhook URL: %v", err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Opsward-Playbook/1")
	req.Header.Set(webhook.HeaderTimestamp, ts)
	req.Header.Set(webhook.HeaderEvent, pl.Event)
	req.Header.Set(webhook.HeaderDelivery, fmt.Sprintf("%s:%d", run.ID, run.Step))
	if st.SecretSealed != "" {
		secret, err := s.Sealer.Open(st.SecretSealed, secretAD(p.TenantID, p.ID))
		if err != nil {
			return 0, opsward.Errorf(opsward.EINVALID, "the webhook secret cannot be opened: set it again")
		}
		req.Header.Set(webhook.HeaderSignature, "v1="+webhook.Sign(secret, ts, body))
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		var oe *opsward.Error
		if errors.As(err, &oe) {
			return 0, err
		}
		// A retry will not change the guard's mind; a network error may
		// pass, so only the refusal is final.
		if egress.IsBlocked(err) {
			return 0, opsward.Errorf(opsward.EFORBIDDEN, "the webhook address is not allowed: %v", err)
		}
		return 0, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return c, nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return c, fmt.Errorf("webhook answered %d", c)
	default:
		return c, opsward.Errorf(opsward.EINVALID, "the webhook answered %d", c)
	}
}

// alertValue reads the value a block_indicator step blocks from the
// alert's detail (a JSON object). field "indicator" is the matched
// indicator: detail.indicator.value, or detail.indicator when it is a
// string. Any other field is looked for in detail.fields, detail.event
// and detail itself, as a dotted name or a path of nested objects; a list
// gives its first string.
func alertValue(a *ent.Alert, field string) (string, bool) {
	var d map[string]any
	if err := json.Unmarshal(a.Detail, &d); err != nil || d == nil {
		return "", false
	}
	if field == "indicator" {
		switch v := d["indicator"].(type) {
		case string:
			return v, v != ""
		case map[string]any:
			return scalar(v["value"])
		}
		if v, ok := scalar(d["indicator.value"]); ok {
			return v, true
		}
		return "", false
	}
	for _, key := range []string{"fields", "event"} {
		if m, ok := d[key].(map[string]any); ok {
			if v, ok := lookup(m, field); ok {
				return v, true
			}
		}
	}
	return lookup(d, field)
}

func lookup(m map[string]any, field string) (string, bool) {
	if v, ok := scalar(m[field]); ok {
		return v, true
	}
	head, rest, ok := strings.Cut(field, ".")
	for ok {
		if sub, isMap := m[head].(map[string]any); isMap {
			if v, found := lookup(sub, rest); found {
				return v, true
			}
		}
		var h2 string
		h2, rest, ok = strings.Cut(rest, ".")
		head = head + "." + h2
	}
	return "", false
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s != "" {
				return s, true
			}
		}
	}
	return "", false
}
