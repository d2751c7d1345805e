package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsward/opsward"
)

// ProbeLocation is a place checks run from: a tenant's private network
// where its probe agents run. Opsward's own workers are the location
// "local", which has no row.
type ProbeLocation struct{ ent.Schema }

func (ProbeLocation) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixLocation}, TenantMixin{}, TimeMixin{}}
}

func (ProbeLocation) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100).Annotations(entgql.OrderField("NAME")),
		// The open incident that says every agent of the location went
		// silent: one at a time, set and cleared by the NOC's watch.
		field.String("silent_incident_id").Optional().Nillable().MaxLen(40).Annotations(entgql.Skip()),
	}
}

func (ProbeLocation) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "name").Unique()}
}

func (ProbeLocation) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// ProbeAgent is one `opsward probe` process of a location. It is made
// with a one-time enrolment token, which it exchanges for its credential;
// only hashes of both are kept.
type ProbeAgent struct{ ent.Schema }

func (ProbeAgent) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixProbeAgent}, TenantMixin{}, TimeMixin{}}
}

func (ProbeAgent) Fields() []ent.Field {
	return []ent.Field{
		field.String("location_id").Immutable().NotEmpty().MaxLen(40),
		field.String("name").NotEmpty().MaxLen(100),
		field.String("enrol_token_hash").Optional().Nillable().Sensitive().Annotations(entgql.Skip()),
		field.Time("enrol_expires_at").Optional().Nillable(),
		field.Time("enrolled_at").Optional().Nillable(),
		field.String("credential_hash").Optional().Nillable().Sensitive().Annotations(entgql.Skip()),
		field.Time("revoked_at").Optional().Nillable(),
		field.Time("last_seen_at").Optional().Nillable(),
		// What the agent said it runs, at its last contact.
		field.String("version").Default("").MaxLen(64),
		// Results it pushed for checks it was never given.
		field.Int64("refused_results").Default(0),
	}
}

func (ProbeAgent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("enrol_token_hash").Unique(),
		index.Fields("credential_hash").Unique(),
		index.Fields("location_id"),
	}
}

func (ProbeAgent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// ProbeCheck is one monitor at one of its locations: when it is next due
// there, the lease of an agent that took it, and the last result from
// there, which the quorum reads.
type ProbeCheck struct{ ent.Schema }

func (ProbeCheck) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixProbeCheck}, TenantMixin{}}
}

func (ProbeCheck) Fields() []ent.Field {
	return []ent.Field{
		field.String("monitor_id").Immutable().NotEmpty().MaxLen(40),
		field.String("location_id").Immutable().NotEmpty().MaxLen(40),
		field.Time("next_due_at"),
		// The job an agent holds: its id is the idempotency key of the
		// result that answers it.
		field.String("lease_id").Optional().Nillable().MaxLen(40),
		field.String("leased_by").Optional().Nillable().MaxLen(40),
		field.Time("leased_at").Optional().Nillable(),
		field.Enum("status").Values("up", "degraded", "down", "unknown").Default("unknown"),
		field.Time("checked_at").Optional().Nillable(),
		field.Int64("latency_us").Default(0),
		field.String("reason").Default("").MaxLen(64),
		field.String("message").Default("").MaxLen(1024),
	}
}

func (ProbeCheck) Indexes() []ent.Index {
	return []ent.Index{index.Fields("monitor_id", "location_id").Unique(), index.Fields("location_id", "next_due_at")}
}

func (ProbeCheck) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
