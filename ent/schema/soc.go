package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/privacy"
)

// The SOC's relational model: log sources that bind syslog to tenants,
// detection rules (the MSP's global library and tenants' own), alerts,
// indicator lists and indicators, cases with their timeline, tasks and
// evidence, and playbooks with their runs. Security events themselves are
// bulk data (services/soc/events), outside ent.

// LogSource binds incoming syslog to its tenant: by source address or
// range, by a token in RFC 5424 structured data, or by a port of its own.
type LogSource struct{ ent.Schema }

func (LogSource) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixLogSource}, TenantMixin{}, TimeMixin{}}
}

func (LogSource) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.Strings("cidrs").Optional(),
		field.Int("port").Default(0),
		field.String("token_hash").Optional().Nillable().Sensitive().Annotations(entgql.Skip()),
		field.String("token_prefix").Default("").MaxLen(16),
		// Format hint for the normaliser: auto, syslog, cef, kv, auth, json.
		field.String("format").Default("auto").MaxLen(16),
		field.Bool("enabled").Default(true),
		field.Time("last_seen_at").Optional().Nillable(),
	}
}

func (LogSource) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_hash").Unique()}
}

func (LogSource) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// DetectionRule is one Sigma rule. Rules of the provider are the global
// library every tenant below runs; a tenant's own rules run for it alone.
// Each change is a new version; the text is kept as imported.
type DetectionRule struct{ ent.Schema }

func (DetectionRule) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixRule}, TenantMixin{}, TimeMixin{}}
}

func (DetectionRule) Fields() []ent.Field {
	return []ent.Field{
		// The rule's own id (a UUID in SigmaHQ), unique within a tenant.
		field.String("rule_id").NotEmpty().MaxLen(100),
		field.String("title").NotEmpty().MaxLen(300).Annotations(entgql.OrderField("TITLE")),
		field.String("description").Default("").MaxLen(4000),
		// The author, shown with every alert (the SigmaHQ licence asks it).
		field.String("author").Default("").MaxLen(500),
		field.String("level").Default("medium").MaxLen(16),
		field.String("status").Default("").MaxLen(16),
		field.Enum("kind").Values("detection", "correlation", "filter").Default("detection"),
		field.Strings("tags").Optional(),
		field.String("product").Default("").MaxLen(64),
		field.String("category").Default("").MaxLen(64),
		field.String("service").Default("").MaxLen(64),
		field.Text("yaml").Annotations(entgql.Skip()),
		field.Int("version").Default(1),
		field.Bool("enabled").Default(true),
		field.String("source").Default("").MaxLen(500),
	}
}

func (DetectionRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "rule_id").Unique()}
}

func (DetectionRule) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// RuleOverride turns a global rule off (or back on) for one tenant.
type RuleOverride struct{ ent.Schema }

func (RuleOverride) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixRuleOverride}, TenantMixin{}, TimeMixin{}}
}

func (RuleOverride) Fields() []ent.Field {
	return []ent.Field{
		field.String("rule_id").NotEmpty().MaxLen(100),
		field.Bool("enabled"),
	}
}

func (RuleOverride) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "rule_id").Unique()}
}

func (RuleOverride) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Alert is what a rule match, an indicator match or a NOC signal raises.
// Matches of the same rule and key within the window fold into one alert
// with a count.
type Alert struct{ ent.Schema }

func (Alert) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixAlert}, TenantMixin{}, TimeMixin{}}
}

func (Alert) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("source").Values("sigma", "indicator", "noc", "manual", "behaviour"),
		field.String("title").NotEmpty().MaxLen(300),
		field.String("description").Default("").MaxLen(4000),
		field.Enum("severity").Values("critical", "high", "medium", "low", "info").Annotations(entgql.OrderField("SEVERITY")),
		field.Enum("status").Values("new", "acknowledged", "closed_true_positive", "closed_false_positive", "closed_benign").
			Default("new").Annotations(entgql.OrderField("STATUS")),
		field.String("rule_id").Default("").MaxLen(100),
		field.String("rule_author").Default("").MaxLen(500),
		field.Strings("tags").Optional(),
		field.String("dedup_key").NotEmpty().MaxLen(200).Annotations(entgql.Skip()),
		field.Int("count").Default(1),
		field.Time("first_seen").Annotations(entgql.OrderField("FIRST_SEEN")),
		field.Time("last_seen").Annotations(entgql.OrderField("LAST_SEEN")),
		// The events behind it (the first ones; count says how many).
		field.Strings("event_ids").Optional(),
		field.String("assignee_id").Optional().Nillable().MaxLen(40),
		field.String("case_id").Optional().Nillable().MaxLen(40),
		// What matched: fields and values, indicator, or the NOC evidence.
		field.Bytes("detail").Optional().Annotations(entgql.Skip()),
		field.Time("acked_at").Optional().Nillable(),
		field.Time("closed_at").Optional().Nillable(),
	}
}

func (Alert) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "dedup_key", "last_seen"), index.Fields("tenant_id", "status")}
}

func (Alert) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// IndicatorList is a named set of indicators: threat intelligence, or a
// block list that firewalls pull as an External Dynamic List.
type IndicatorList struct{ ent.Schema }

func (IndicatorList) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixIndicatorList}, TenantMixin{}, TimeMixin{}}
}

func (IndicatorList) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.Enum("kind").Values("intel", "blocklist").Default("intel"),
		field.String("description").Default("").MaxLen(2000),
		// The block list's EDL token, hashed; its prefix is shown.
		field.String("edl_token_hash").Optional().Nillable().Sensitive().Annotations(entgql.Skip()),
		field.String("edl_token_prefix").Default("").MaxLen(16),
	}
}

func (IndicatorList) Indexes() []ent.Index {
	return []ent.Index{index.Fields("edl_token_hash").Unique()}
}

func (IndicatorList) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Indicator is one value to look for (services/soc/intel normalises it).
type Indicator struct{ ent.Schema }

func (Indicator) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixIndicator}, TenantMixin{}, TimeMixin{}}
}

func (Indicator) Fields() []ent.Field {
	return []ent.Field{
		field.String("list_id").NotEmpty().MaxLen(40),
		field.String("kind").NotEmpty().MaxLen(16),
		field.String("value").NotEmpty().MaxLen(2048),
		field.String("source").Default("").MaxLen(200),
		field.Int("confidence").Default(50),
		field.String("tlp").Default("clear").MaxLen(16),
		field.Time("valid_from").Optional().Nillable(),
		field.Time("valid_until").Optional().Nillable(),
		field.Strings("tags").Optional(),
		field.String("description").Default("").MaxLen(2000),
	}
}

func (Indicator) Indexes() []ent.Index {
	return []ent.Index{index.Fields("list_id", "kind", "value").Unique()}
}

func (Indicator) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// SecurityCase is a security incident under investigation (a "case").
type SecurityCase struct{ ent.Schema }

func (SecurityCase) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixCase}, TenantMixin{}, TimeMixin{}}
}

func (SecurityCase) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").NotEmpty().MaxLen(300),
		field.String("description").Default("").MaxLen(8000),
		field.Enum("status").Values("new", "triage", "investigating", "contained", "eradicated", "recovered", "closed").
			Default("new").Annotations(entgql.OrderField("STATUS")),
		field.Enum("severity").Values("critical", "high", "medium", "low", "info").Annotations(entgql.OrderField("SEVERITY")),
		field.String("assignee_id").Optional().Nillable().MaxLen(40),
		// Times for TTD, TTA, TTC and TTR: when the first alert was seen,
		// when the case was opened, acknowledged (triage), contained and
		// closed.
		field.Time("detected_at").Optional().Nillable(),
		field.Time("opened_at").Annotations(entgql.OrderField("OPENED_AT")),
		field.Time("acknowledged_at").Optional().Nillable(),
		field.Time("contained_at").Optional().Nillable(),
		field.Time("resolved_at").Optional().Nillable(),
	}
}

func (SecurityCase) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("timeline", CaseEntry.Type).Annotations(entgql.RelayConnection()),
		edge.To("tasks", CaseTask.Type),
		edge.To("evidence", Evidence.Type),
	}
}

func (SecurityCase) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// CaseEntry is one line of a case's forensic timeline. Append-only.
type CaseEntry struct{ ent.Schema }

func (CaseEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixCaseEntry}, TenantMixin{}}
}

func (CaseEntry) Fields() []ent.Field {
	return []ent.Field{
		field.String("case_id").Immutable().NotEmpty().MaxLen(40),
		field.Time("at").Immutable().Annotations(entgql.OrderField("AT")),
		field.Enum("kind").Immutable().Values("event", "alert", "note", "status_change", "evidence", "task", "assignment", "playbook"),
		field.String("actor_id").Immutable().Default("").MaxLen(40),
		field.String("message").Immutable().Default("").MaxLen(8000),
		// The event, alert, evidence or task it is about.
		field.String("ref_id").Immutable().Default("").MaxLen(40),
		field.Bytes("detail").Immutable().Optional().Annotations(entgql.Skip()),
	}
}

func (CaseEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("case", SecurityCase.Type).Ref("timeline").Field("case_id").Unique().Required().Immutable(),
	}
}

func (CaseEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("case_id", "at")}
}

func (CaseEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

func (CaseEntry) Policy() ent.Policy {
	return privacy.Policy{Mutation: privacy.MutationPolicy{appendOnly()}}
}

// CaseTask is one thing to do in a case.
type CaseTask struct{ ent.Schema }

func (CaseTask) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixCaseTask}, TenantMixin{}, TimeMixin{}}
}

func (CaseTask) Fields() []ent.Field {
	return []ent.Field{
		field.String("case_id").Immutable().NotEmpty().MaxLen(40),
		field.String("title").NotEmpty().MaxLen(300),
		field.Bool("done").Default(false),
		field.String("assignee_id").Optional().Nillable().MaxLen(40),
	}
}

func (CaseTask) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("case", SecurityCase.Type).Ref("tasks").Field("case_id").Unique().Required().Immutable(),
	}
}

// Evidence is a file attached to a case, kept with its SHA-256; every
// access is a custody entry.
type Evidence struct{ ent.Schema }

func (Evidence) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixEvidence}, TenantMixin{}}
}

func (Evidence) Fields() []ent.Field {
	return []ent.Field{
		// Evidence belongs to a case or to a compliance control of its
		// tenant (a policy, a screenshot, a signed review): exactly one.
		field.String("case_id").Optional().Nillable().Immutable().NotEmpty().MaxLen(40),
		field.String("control_id").Optional().Nillable().Immutable().NotEmpty().MaxLen(40),
		field.String("name").Immutable().NotEmpty().MaxLen(300),
		field.String("content_type").Immutable().Default("application/octet-stream").MaxLen(100),
		field.Int64("size").Immutable(),
		field.String("sha256").Immutable().MaxLen(64),
		field.Bytes("content").Immutable().Sensitive().Annotations(entgql.Skip()),
		field.String("added_by").Immutable().Default("").MaxLen(40),
		field.Time("created_at").Immutable(),
		// Custody: [{"at":…, "actor":…, "action":"added|read", "sha256":…}].
		field.Bytes("custody").Optional().Annotations(entgql.Skip()),
	}
}

func (Evidence) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("case", SecurityCase.Type).Ref("evidence").Field("case_id").Unique().Immutable(),
	}
}

// Playbook is an automatic response: when an alert matches its trigger,
// its steps run as a job.
type Playbook struct{ ent.Schema }

func (Playbook) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixPlaybook}, TenantMixin{}, TimeMixin{}}
}

func (Playbook) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.Bool("enabled").Default(true),
		// Trigger and steps as JSON (see services/soc/response).
		field.Bytes("trigger").Annotations(entgql.Skip()),
		field.Bytes("steps").Annotations(entgql.Skip()),
	}
}

func (Playbook) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// PlaybookRun is one run of a playbook, with what each step got and did.
type PlaybookRun struct{ ent.Schema }

func (PlaybookRun) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixPlaybookRun}, TenantMixin{}, TimeMixin{}}
}

func (PlaybookRun) Fields() []ent.Field {
	return []ent.Field{
		field.String("playbook_id").NotEmpty().MaxLen(40),
		field.String("alert_id").Default("").MaxLen(40),
		field.Enum("status").Values("running", "waiting", "succeeded", "failed").Default("running"),
		field.Int("step").Default(0),
		field.Bytes("log").Optional().Annotations(entgql.Skip()),
		field.Time("finished_at").Optional().Nillable(),
	}
}

func (PlaybookRun) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
