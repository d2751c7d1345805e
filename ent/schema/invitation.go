package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsward/opsward"
)

// Invitation asks a person, by email address, to join a tenant with a
// role. Its token is single use, expires, and is stored only as a hash.
type Invitation struct{ ent.Schema }

func (Invitation) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixInvitation}, TenantMixin{}, TimeMixin{}}
}

func (Invitation) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").NotEmpty().MaxLen(254),
		field.Enum("role").GoType(opsward.Role("")).
			Annotations(entgql.Type("Role")),
		field.String("token_hash").Sensitive().Unique().Annotations(entgql.Skip()),
		field.String("invited_by").Default("").MaxLen(40),
		field.Time("expires_at"),
		field.Time("accepted_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (Invitation) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "email")}
}

func (Invitation) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
