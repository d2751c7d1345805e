package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsward/opsward"
)

// Subscription names the plan a tenant pays for. The plan catalogue itself
// is code (billing.Catalogue); this row only says which plan applies.
type Subscription struct{ ent.Schema }

func (Subscription) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixSubscription}, TenantMixin{}, TimeMixin{}}
}

func (Subscription) Fields() []ent.Field {
	return []ent.Field{
		field.String("plan").NotEmpty().MaxLen(40),
		field.Enum("status").Values("active", "canceled").Default("active"),
	}
}

func (Subscription) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id").Unique().StorageKey("subscription_tenant_unique")}
}

func (Subscription) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
