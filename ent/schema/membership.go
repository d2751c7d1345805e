package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsward/opsward"
)

// Membership gives a user a role in a tenant and, through the tree, in the
// tenant's whole subtree.
type Membership struct{ ent.Schema }

func (Membership) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixMembership}, TenantMixin{}, TimeMixin{}}
}

func (Membership) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").Immutable().NotEmpty().MaxLen(40),
		field.Enum("role").GoType(opsward.Role("")).
			Annotations(entgql.Type("Role")),
	}
}

func (Membership) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("memberships").Field("user_id").
			Unique().Required().Immutable(),
		// The tenant the membership is in; read through the tenant's own
		// scope, so a member sees no tenant out of reach.
		edge.To("tenant", Tenant.Type).Field("tenant_id").
			Unique().Required().Immutable(),
	}
}

func (Membership) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "user_id").Unique()}
}

func (Membership) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
