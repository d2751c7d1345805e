package response

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/indicatorlist"
	"github.com/opsward/opsward/ent/notificationchannel"
	"github.com/opsward/opsward/ent/playbook"
)

// Limits on playbooks.
const (
	MaxPlaybooksPerTenant = 50
	MaxSteps              = 20
	MaxWaitSeconds        = 86400
)

// Trigger says which alerts start a playbook. Every condition given must
// hold; an empty trigger ({}) matches every alert of the tenant.
type Trigger struct {
	// MinSeverity: the alert is at least this severe.
	MinSeverity string `json:"min_severity,omitempty"`
	// Sources: the alert came from one of these (sigma, indicator, noc,
	// manual).
	Sources []string `json:"sources,omitempty"`
	// RuleIDs: the alert's rule is one of these.
	RuleIDs []string `json:"rule_ids,omitempty"`
	// TagsAny: the alert has at least one of these tags (case-insensitive).
	TagsAny []string `json:"tags_any,omitempty"`
	// TitleContains: the alert's title contains this (case-insensitive).
	TitleContains string `json:"title_contains,omitempty"`
}

// Step types.
const (
	StepNotify         = "notify"
	StepWebhook        = "webhook"
	StepBlockIndicator = "block_indicator"
	StepOpenCase       = "open_case"
	StepAssign         = "assign"
	StepSetSeverity    = "set_severity"
	StepWait           = "wait"
)

// Step is one action of a playbook; Type says which fields apply.
type Step struct {
	Type string `json:"type"`
	// notify: a notification channel of the playbook's tenant.
	ChannelID string `json:"channel_id,omitempty"`
	// webhook: where to POST, and the signing secret (given in clear,
	// stored sealed in SecretSealed, shown as SecretSet).
	URL          string `json:"url,omitempty"`
	Secret       string `json:"secret,omitempty"`
	SecretSealed string `json:"secret_sealed,omitempty"`
	SecretSet    bool   `json:"secret_set,omitempty"`
	// block_indicator: a block list of the tenant, and the alert field
	// whose value is blocked ("indicator" for the matched indicator).
	ListID string `json:"list_id,omitempty"`
	Field  string `json:"field,omitempty"`
	// open_case: the case title; {{title}}, {{severity}}, {{rule_id}} and
	// {{alert_id}} are replaced by the alert's.
	Title string `json:"title,omitempty"`
	// assign: the user the alert is assigned to.
	UserID string `json:"user_id,omitempty"`
	// set_severity: the alert's new severity.
	Severity string `json:"severity,omitempty"`
	// wait: how long the run pauses.
	Seconds int `json:"seconds,omitempty"`
}

// PlaybookInput is a new playbook or a replacement of one.
type PlaybookInput struct {
	TenantID string
	Name     string
	Enabled  *bool
	Trigger  json.RawMessage
	Steps    json.RawMessage
}

var severityRank = map[string]int{"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

var alertSources = []string{"sigma", "indicator", "noc", "manual"}

// ParseTrigger reads and checks a trigger; errors name the field under
// "trigger".
func ParseTrigger(raw []byte) (Trigger, error) {
	var t Trigger
	if err := strictJSON(raw, &t); err != nil {
		return t, opsward.FieldErrorf("trigger", "the trigger is not valid: %v", err)
	}
	if t.MinSeverity != "" && severityRank[t.MinSeverity] == 0 {
		return t, opsward.FieldErrorf("trigger.min_severity", "min_severity %q is not info, low, medium, high or critical", t.MinSeverity)
	}
	for k, src := range t.Sources {
		if !slices.Contains(alertSources, src) {
			return t, opsward.FieldErrorf(fmt.Sprintf("trigger.sources.%d", k), "source %q is not sigma, indicator, noc or manual", src)
		}
	}
	for k, id := range t.RuleIDs {
		if id == "" || len(id) > 100 {
			return t, opsward.FieldErrorf(fmt.Sprintf("trigger.rule_ids.%d", k), "a rule id has 1 to 100 characters")
		}
	}
	for k, tag := range t.TagsAny {
		if tag == "" || len(tag) > 100 {
			return t, opsward.FieldErrorf(fmt.Sprintf("trigger.tags_any.%d", k), "a tag has 1 to 100 characters")
		}
	}
	if len(t.TitleContains) > 300 {
		return t, opsward.FieldErrorf("trigger.title_contains", "title_contains has at most 300 characters")
	}
	if len(t.Sources)+len(t.RuleIDs)+len(t.TagsAny) > 500 {
		return t, opsward.FieldErrorf("trigger", "a trigger lists at most 500 sources, rule ids and tags")
	}
	return t, nil
}

// Matches reports whether an alert meets every condition of the trigger.
func (t Trigger) Matches(a *ent.Alert) bool {
	if t.MinSeverity != "" && severityRank[string(a.Severity)] < severityRank[t.MinSeverity] {
		return false
	}
	if len(t.Sources) > 0 && !slices.Contains(t.Sources, string(a.Source)) {
		return false
	}
	if len(t.RuleIDs) > 0 && !slices.Contains(t.RuleIDs, a.RuleID) {
		return false
	}
	if len(t.TagsAny) > 0 && !slices.ContainsFunc(t.TagsAny, func(want string) bool {
		return slices.ContainsFunc(a.Tags, func(have string) bool { return strings.EqualFold(have, want) })
	}) {
		return false
	}
	if t.TitleContains != "" && !strings.Contains(strings.ToLower(a.Title), strings.ToLower(t.TitleContains)) {
		return false
	}
	return true
}

func strictJSON(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return fmt.Errorf("it is empty")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("it has data after the JSON value")
	}
	return nil
}

// parseSteps reads steps and checks what needs no storage.
func (s *Service) parseSteps(raw []byte) ([]Step, error) {
	var steps []Step
	if err := strictJSON(raw, &steps); err != nil {
		return nil, opsward.FieldErrorf("steps", "the steps are not a valid list: %v", err)
	}
	if len(steps) == 0 || len(steps) > MaxSteps {
		return nil, opsward.FieldErrorf("steps", "a playbook has 1 to %d steps", MaxSteps)
	}
	for k, st := range steps {
		f := func(name string) string { return fmt.Sprintf("steps.%d.%s", k, name) }
		if st.SecretSealed != "" {
			return nil, opsward.FieldErrorf(f("secret_sealed"), "give the secret in clear in secret; it is sealed when stored")
		}
		switch st.Type {
		case StepNotify:
			if st.ChannelID == "" {
				return nil, opsward.FieldErrorf(f("channel_id"), "name a notification channel")
			}
		case StepWebhook:
			u, err := url.Parse(st.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(st.URL) > 2048 {
				return nil, opsward.FieldErrorf(f("url"), "an absolute http(s) URL of at most 2048 characters")
			}
			if u.User != nil {
				return nil, opsward.FieldErrorf(f("url"), "credentials do not belong in the URL: use secret")
			}
			if len(st.Secret) > 256 {
				return nil, opsward.FieldErrorf(f("secret"), "a secret has at most 256 characters")
			}
		case StepBlockIndicator:
			if st.ListID == "" {
				return nil, opsward.FieldErrorf(f("list_id"), "name a block list")
			}
			if st.Field == "" || len(st.Field) > 200 {
				return nil, opsward.FieldErrorf(f("field"), "name the alert field to block (or \"indicator\")")
			}
		case StepOpenCase:
			if s.Cases == nil {
				return nil, opsward.FieldErrorf(f("type"), "cases are not available on this server")
			}
			if strings.TrimSpace(st.Title) == "" || len(st.Title) > 300 {
				return nil, opsward.FieldErrorf(f("title"), "a case title has 1 to 300 characters")
			}
		case StepAssign:
			if !opsward.ValidID(st.UserID, opsward.PrefixUser) {
				return nil, opsward.FieldErrorf(f("user_id"), "user_id %q is not a user id", st.UserID)
			}
		case StepSetSeverity:
			if severityRank[st.Severity] == 0 {
				return nil, opsward.FieldErrorf(f("severity"), "severity %q is not info, low, medium, high or critical", st.Severity)
			}
		case StepWait:
			if st.Seconds < 1 || st.Seconds > MaxWaitSeconds {
				return nil, opsward.FieldErrorf(f("seconds"), "wait 1 to %d seconds", MaxWaitSeconds)
			}
		default:
			return nil, opsward.FieldErrorf(f("type"), "step type %q is not notify, webhook, block_indicator, open_case, assign, set_severity or wait", st.Type)
		}
		if err := onlyFields(st, f); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

// onlyFields refuses fields that do not belong to the step's type, so
// that a misplaced setting is not silently ignored.
func onlyFields(st Step, f func(string) string) error {
	set := map[string]bool{"channel_id": st.ChannelID != "", "url": st.URL != "", "secret": st.Secret != "",
		"list_id": st.ListID != "", "field": st.Field != "", "title": st.Title != "", "user_id": st.UserID != "",
		"severity": st.Severity != "", "seconds": st.Seconds != 0}
	allowed := map[string][]string{StepNotify: {"channel_id"}, StepWebhook: {"url", "secret"},
		StepBlockIndicator: {"list_id", "field"}, StepOpenCase: {"title"}, StepAssign: {"user_id"},
		StepSetSeverity: {"severity"}, StepWait: {"seconds"}}[st.Type]
	for _, name := range []string{"channel_id", "url", "secret", "list_id", "field", "title", "user_id", "severity", "seconds"} {
		if set[name] && !slices.Contains(allowed, name) {
			return opsward.FieldErrorf(f(name), "%s does not apply to a %s step", name, st.Type)
		}
	}
	return nil
}

// checkRefs checks that the channels and lists steps name belong to the
// playbook's tenant, and seals webhook secrets. prev are the stored
// steps: a webhook step given without a secret keeps the one stored for
// the same URL.
func (s *Service) checkRefs(ctx context.Context, tx *ent.Tx, tenantID, playbookID string, steps, prev []Step) ([]byte, error) {
	for k := range steps {
		st := &steps[k]
		f := func(name string) string { return fmt.Sprintf("steps.%d.%s", k, name) }
		switch st.Type {
		case StepNotify:
			n, err := tx.NotificationChannel.Query().Where(notificationchannel.ID(st.ChannelID), notificationchannel.TenantID(tenantID)).Count(ctx)
			if err != nil {
				return nil, storageErr(err)
			}
			if n == 0 {
				return nil, opsward.FieldErrorf(f("channel_id"), "no notification channel %s in the playbook's tenant", st.ChannelID)
			}
		case StepBlockIndicator:
			l, err := tx.IndicatorList.Query().Where(indicatorlist.ID(st.ListID), indicatorlist.TenantID(tenantID)).Only(ctx)
			if ent.IsNotFound(err) {
				return nil, opsward.FieldErrorf(f("list_id"), "no indicator list %s in the playbook's tenant", st.ListID)
			}
			if err != nil {
				return nil, storageErr(err)
			}
			if l.Kind != indicatorlist.KindBlocklist {
				return nil, opsward.FieldErrorf(f("list_id"), "list %s is an intel list, not a block list", st.ListID)
			}
		case StepWebhook:
			st.SecretSet = false
			if st.Secret == "" {
				for _, p := range prev {
					if p.Type == StepWebhook && p.URL == st.URL && p.SecretSealed != "" {
						st.SecretSealed = p.SecretSealed
						break
					}
				}
				continue
			}
			sealed, err := s.Sealer.Seal([]byte(st.Secret), secretAD(tenantID, playbookID))
			if err != nil {
				return nil, opsward.Internal(err)
			}
			st.Secret, st.SecretSealed = "", sealed
		}
	}
	b, err := json.Marshal(steps)
	if err != nil {
		return nil, opsward.Internal(err)
	}
	return b, nil
}

func secretAD(tenantID, playbookID string) []byte {
	return []byte("playbook-webhook:" + tenantID + ":" + playbookID)
}

func storedSteps(p *ent.Playbook) []Step {
	var steps []Step
	_ = json.Unmarshal(p.Steps, &steps)
	return steps
}

// PublicSteps returns a playbook's steps as the API shows them: webhook
// secrets replaced by secret_set.
func PublicSteps(p *ent.Playbook) json.RawMessage {
	steps := storedSteps(p)
	for k := range steps {
		if steps[k].SecretSealed != "" {
			steps[k].SecretSealed, steps[k].SecretSet = "", true
		}
		steps[k].Secret = ""
	}
	b, _ := json.Marshal(steps)
	return b
}

// PublicTrigger returns a playbook's trigger as stored (normalised).
func PublicTrigger(p *ent.Playbook) json.RawMessage { return p.Trigger }

func (s *Service) checkPlaybook(in PlaybookInput) (Trigger, []Step, string, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return Trigger{}, nil, "", opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	t, err := ParseTrigger(in.Trigger)
	if err != nil {
		return t, nil, "", err
	}
	steps, err := s.parseSteps(in.Steps)
	return t, steps, name, err
}

// CreatePlaybook adds a playbook.
func (s *Service) CreatePlaybook(ctx context.Context, in PlaybookInput) (*ent.Playbook, error) {
	t, steps, name, err := s.checkPlaybook(in)
	if err != nil {
		return nil, err
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	var out *ent.Playbook
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.Playbook.Query().Where(playbook.TenantID(tenantID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxPlaybooksPerTenant {
			return opsward.Errorf(opsward.ELIMIT, "a tenant has at most %d playbooks", MaxPlaybooksPerTenant)
		}
		id := opsward.NewID(opsward.PrefixPlaybook)
		stepsJSON, err := s.checkRefs(ctx, tx, tenantID, id, steps, nil)
		if err != nil {
			return err
		}
		trig, _ := json.Marshal(t)
		c := tx.Playbook.Create().SetID(id).SetTenantID(tenantID).SetName(name).SetTrigger(trig).SetSteps(stepsJSON)
		if in.Enabled != nil {
			c.SetEnabled(*in.Enabled)
		}
		if out, err = c.Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, tenantID, "playbook.create", out.ID, out.Name)
	})
	return out, err
}

// UpdatePlaybook replaces a playbook's name, trigger and steps (and
// enabled, when given). Runs already started follow the steps they began
// with only up to their current step: they read the new steps from there.
func (s *Service) UpdatePlaybook(ctx context.Context, id string, in PlaybookInput) (*ent.Playbook, error) {
	t, steps, name, err := s.checkPlaybook(in)
	if err != nil {
		return nil, err
	}
	var out *ent.Playbook
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		p, err := tx.Playbook.Get(ctx, id)
		if err != nil {
			return notFound(err, "playbook", id)
		}
		if in.TenantID != "" && in.TenantID != p.TenantID {
			return opsward.FieldErrorf("tenantId", "a playbook cannot move to another tenant")
		}
		stepsJSON, err := s.checkRefs(ctx, tx, p.TenantID, p.ID, steps, storedSteps(p))
		if err != nil {
			return err
		}
		trig, _ := json.Marshal(t)
		u := tx.Playbook.UpdateOne(p).SetName(name).SetTrigger(trig).SetSteps(stepsJSON)
		if in.Enabled != nil {
			u.SetEnabled(*in.Enabled)
		}
		if out, err = u.Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, p.TenantID, "playbook.update", p.ID, "")
	})
	return out, err
}

// DeletePlaybook removes a playbook; its runs stay as a record, and a run
// not yet finished fails at its next step.
func (s *Service) DeletePlaybook(ctx context.Context, id string) (*ent.Playbook, error) {
	var out *ent.Playbook
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		p, err := tx.Playbook.Get(ctx, id)
		if err != nil {
			return notFound(err, "playbook", id)
		}
		if err := tx.Playbook.DeleteOne(p).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = p
		return s.audit(ctx, tx, p.TenantID, "playbook.delete", p.ID, p.Name)
	})
	return out, err
}
