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

// Tenant is one organisation: the MSP itself (provider), a customer, or a
// sub-organisation of a customer. Tenants form a tree; path holds the ids
// from the root down to and including this tenant ("/ten_a/ten_b/"), so a
// subtree is one prefix match.
type Tenant struct{ ent.Schema }

func (Tenant) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixTenant}, TimeMixin{}}
}

func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		field.String("parent_id").Optional().Nillable().Immutable().MaxLen(40),
		field.Enum("kind").Values("provider", "customer", "organization").Immutable().
			Annotations(entgql.Type("TenantKind")),
		field.String("slug").Unique().NotEmpty().MaxLen(63).
			Annotations(entgql.OrderField("SLUG")),
		field.String("name").NotEmpty().MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("timezone").Default("UTC").MaxLen(64),
		field.Int("retention_days").Default(90).Positive(),
		field.String("contact_name").Default("").MaxLen(200),
		field.String("contact_email").Default("").MaxLen(254),
		field.Enum("status").Values("active", "suspended", "closed").Default("active").
			Annotations(entgql.Type("TenantStatus")),
		field.String("path").Immutable().NotEmpty().Annotations(entgql.Skip()),
		field.Time("suspended_at").Optional().Nillable(),
		field.Time("closed_at").Optional().Nillable(),
	}
}

func (Tenant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Tenant.Type).
			Annotations(entgql.RelayConnection()).
			From("parent").Field("parent_id").Unique().Immutable(),
	}
}

func (Tenant) Indexes() []ent.Index {
	return []ent.Index{index.Fields("parent_id"), index.Fields("path")}
}

func (Tenant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.MultiOrder(),
	}
}

func (Tenant) Interceptors() []ent.Interceptor { return []ent.Interceptor{tenantTreeScope()} }

func (Tenant) Policy() ent.Policy {
	return privacy.Policy{Mutation: privacy.MutationPolicy{tenantTreeMutationScope()}}
}
