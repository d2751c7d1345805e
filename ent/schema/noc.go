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

// The NOC's relational model: assets and their dependencies, monitors with
// the state their machine keeps between checks, incidents and their
// timeline, maintenance windows, escalation policies and notification
// channels. The logic lives in services/noc; services/noc/monitoring keeps
// it here.

// Asset is something a customer runs that the NOC watches.
type Asset struct{ ent.Schema }

func (Asset) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixAsset}, TenantMixin{}, TimeMixin{}}
}

func (Asset) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").Values("host", "network_device", "website", "cloud_resource", "application", "database"),
		field.String("address").Default("").MaxLen(500),
		field.Strings("tags").Optional(),
		field.Enum("criticality").Values("critical", "high", "medium", "low").Default("medium"),
		field.String("site").Default("").MaxLen(200),
		field.String("description").Default("").MaxLen(2000),
	}
}

func (Asset) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("monitors", Monitor.Type).Annotations(entgql.RelayConnection()),
	}
}

func (Asset) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name")}
}

func (Asset) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// AssetDependency says that child depends on parent (a server on its
// switch). Both belong to the same tenant, which the service checks.
type AssetDependency struct{ ent.Schema }

func (AssetDependency) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixDependency}, TenantMixin{}}
}

func (AssetDependency) Fields() []ent.Field {
	return []ent.Field{
		field.String("child_id").Immutable().NotEmpty().MaxLen(40),
		field.String("parent_id").Immutable().NotEmpty().MaxLen(40),
		field.Time("created_at").Immutable(),
	}
}

func (AssetDependency) Indexes() []ent.Index {
	return []ent.Index{index.Fields("child_id", "parent_id").Unique(), index.Fields("parent_id")}
}

func (AssetDependency) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Monitor is one check of an asset, run on a schedule.
type Monitor struct{ ent.Schema }

func (Monitor) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixMonitor}, TenantMixin{}, TimeMixin{}}
}

func (Monitor) Fields() []ent.Field {
	return []ent.Field{
		field.String("asset_id").Immutable().NotEmpty().MaxLen(40),
		field.String("name").NotEmpty().MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.Enum("kind").Values("http", "tcp", "ping", "dns", "tls", "heartbeat", "server_health", "snmp").Immutable(),
		// The probe settings, sealed whole: they may hold credentials (SNMP
		// communities and passphrases, authorization headers).
		field.String("settings").Sensitive().Annotations(entgql.Skip()),
		field.Int("interval_seconds").Positive(),
		field.Int("timeout_ms").Positive(),
		field.Int("failures_before_down").Positive().Default(1),
		field.Int("successes_before_recovery").Positive().Default(1),
		field.Enum("degraded_mode").Values("degraded", "up", "down").Default("degraded"),
		field.Bool("flap_detection").Default(true),
		field.Bool("paused").Default(false),
		field.Float("sla_target").Optional().Nillable(),
		field.String("escalation_policy_id").Optional().Nillable().MaxLen(40),
		// Alert routing: the channels told about this monitor's incidents;
		// empty means every enabled channel of the tenant whose route fits.
		field.Strings("channel_ids").Optional(),
		// Where the monitor runs: probe location IDs of its tenant, and
		// "local" for Opsward's own workers. Empty means the workers alone,
		// as before locations existed.
		field.Strings("locations").Optional(),
		// Quorum: the monitor counts as failing only when at least this
		// many of its locations fail (Datadog's minimum failed locations).
		field.Int("min_failed_locations").Positive().Default(1),
		// What the state machine shows and remembers between checks.
		field.Enum("status").Values("up", "degraded", "down", "paused", "maintenance", "unknown").Default("unknown").
			Annotations(entgql.OrderField("STATUS")),
		field.Time("status_since").Optional().Nillable(),
		field.Bool("flapping").Default(false),
		field.Bytes("machine").Optional().Annotations(entgql.Skip()),
		field.Bytes("probe_state").Optional().Annotations(entgql.Skip()),
		field.Time("last_checked_at").Optional().Nillable(),
		field.Int64("last_latency_us").Default(0),
		field.String("last_reason").Default("").MaxLen(64),
		field.String("last_message").Default("").MaxLen(1024),
		field.String("open_incident_id").Optional().Nillable().MaxLen(40),
		field.String("heartbeat_token_hash").Optional().Nillable().Sensitive().Annotations(entgql.Skip()),
		field.Time("last_beat_at").Optional().Nillable(),
		// Version increases with every state write: a check that read an
		// older version lost a race and retries.
		field.Int64("version").Default(0).Annotations(entgql.Skip()),
	}
}

func (Monitor) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("asset", Asset.Type).Ref("monitors").Field("asset_id").Unique().Required().Immutable(),
	}
}

func (Monitor) Indexes() []ent.Index {
	return []ent.Index{index.Fields("heartbeat_token_hash").Unique(), index.Fields("tenant_id", "status")}
}

func (Monitor) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Incident is one outage of a monitor, or one opened by hand.
type Incident struct{ ent.Schema }

func (Incident) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixIncident}, TenantMixin{}, TimeMixin{}}
}

func (Incident) Fields() []ent.Field {
	return []ent.Field{
		field.String("monitor_id").Optional().Nillable().Immutable().MaxLen(40),
		field.String("asset_id").Optional().Nillable().Immutable().MaxLen(40),
		field.String("title").NotEmpty().MaxLen(300),
		field.Enum("severity").Values("critical", "high", "medium", "low", "info").Annotations(entgql.OrderField("SEVERITY")),
		field.Enum("status").Values("triggered", "acknowledged", "resolved").Default("triggered").
			Annotations(entgql.OrderField("STATUS")),
		field.String("assignee_id").Optional().Nillable().MaxLen(40),
		field.Time("opened_at").Immutable().Annotations(entgql.OrderField("OPENED_AT")),
		field.Time("acked_at").Optional().Nillable(),
		field.String("acked_by").Optional().Nillable().MaxLen(40),
		field.Time("resolved_at").Optional().Nillable(),
		field.String("resolved_by").Optional().Nillable().MaxLen(40),
		field.String("parent_id").Optional().Nillable().MaxLen(40),
		field.Bool("suppressed").Default(false),
		field.Int("reopen_count").Default(0),
		field.String("escalation_policy_id").Optional().Nillable().MaxLen(40),
	}
}

func (Incident) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("timeline", IncidentEntry.Type).Annotations(entgql.RelayConnection()),
		// The monitor that opened it; none for an incident opened by hand,
		// or once the monitor is deleted.
		edge.To("monitor", Monitor.Type).Field("monitor_id").Unique().Immutable(),
	}
}

func (Incident) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "status"), index.Fields("monitor_id", "opened_at")}
}

func (Incident) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// IncidentEntry is one line of an incident's timeline: a state change, a
// notification, a comment, an assignment, an escalation, a suppression or
// a signal. Entries are append-only.
type IncidentEntry struct{ ent.Schema }

func (IncidentEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixTimeline}, TenantMixin{}}
}

func (IncidentEntry) Fields() []ent.Field {
	return []ent.Field{
		field.String("incident_id").Immutable().NotEmpty().MaxLen(40),
		field.Time("at").Immutable().Annotations(entgql.OrderField("AT")),
		field.Enum("kind").Immutable().Values("state_change", "notification_sent", "notification_failed", "comment",
			"assignment", "escalation", "suppressed_by_parent", "signal"),
		field.String("actor_id").Immutable().Default("").MaxLen(40),
		field.String("message").Immutable().Default("").MaxLen(4000),
		// The whole entry as services/noc keeps it (states, channel,
		// escalation round and level, signal).
		field.Bytes("detail").Immutable().Optional().Annotations(entgql.Skip()),
		// DedupKey keeps one entry per delivery job, which runs at least once.
		field.String("dedup_key").Immutable().Optional().Nillable().MaxLen(120).Annotations(entgql.Skip()),
	}
}

func (IncidentEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("incident", Incident.Type).Ref("timeline").Field("incident_id").Unique().Required().Immutable(),
	}
}

func (IncidentEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("incident_id", "at"), index.Fields("dedup_key").Unique()}
}

func (IncidentEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Policy: the timeline is append-only, on top of the tenant scope.
func (IncidentEntry) Policy() ent.Policy {
	return privacy.Policy{Mutation: privacy.MutationPolicy{appendOnly()}}
}

// MaintenanceWindow silences alerting (not checking) for some monitors or
// assets, once or on a schedule in the tenant's time zone.
type MaintenanceWindow struct{ ent.Schema }

func (MaintenanceWindow) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixMaintenance}, TenantMixin{}, TimeMixin{}}
}

func (MaintenanceWindow) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		// Empty lists mean every monitor of the tenant.
		field.Strings("asset_ids").Optional(),
		field.Strings("monitor_ids").Optional(),
		field.Time("starts_at").Optional().Nillable(),
		field.Time("ends_at").Optional().Nillable(),
		field.Enum("recurrence").Values("none", "daily", "weekly", "monthly").Default("none"),
		field.String("timezone").Default("").MaxLen(64),
		field.Ints("weekdays").Optional(),
		field.Int("month_day").Default(0),
		field.String("start_time").Default("").MaxLen(5),
		field.Int("duration_seconds").Default(0),
		field.Time("until").Optional().Nillable(),
	}
}

func (MaintenanceWindow) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// EscalationPolicy is who is told, in which order, while an incident stays
// unacknowledged.
type EscalationPolicy struct{ ent.Schema }

func (EscalationPolicy) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixEscalation}, TenantMixin{}, TimeMixin{}}
}

func (EscalationPolicy) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		// Levels as JSON: [{"delay_seconds": 0, "targets": ["chn_…"]}, …].
		field.Bytes("levels").Annotations(entgql.Skip()),
		field.Int("repeat").Default(0),
		field.Int("repeat_after_seconds").Default(0),
	}
}

func (EscalationPolicy) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// NotificationChannel is one destination of a tenant's notifications.
// Public settings are kept in clear, secrets sealed.
type NotificationChannel struct{ ent.Schema }

func (NotificationChannel) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixChannel}, TenantMixin{}, TimeMixin{}}
}

func (NotificationChannel) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(200),
		field.Enum("kind").Values("email", "webhook", "slack", "teams", "pagerduty").Immutable(),
		field.Bytes("config").Annotations(entgql.Skip()),
		field.String("secrets").Default("").Sensitive().Annotations(entgql.Skip()),
		field.Enum("min_severity").Values("critical", "high", "medium", "low", "info").Default("low"),
		field.Strings("states").Optional(),
		field.Bool("enabled").Default(true),
	}
}

func (NotificationChannel) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
