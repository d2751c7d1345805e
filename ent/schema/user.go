package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/privacy"
)

// User is a person who logs in. Users are not owned by one tenant: what a
// user may reach comes from their memberships.
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixUser}, TimeMixin{}}
}

func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").Unique().NotEmpty().MaxLen(254),
		field.String("name").Default("").MaxLen(200),
		field.String("password_hash").Sensitive().Default("").Annotations(entgql.Skip()),
		field.Bytes("totp_secret").Sensitive().Optional().Nillable().Annotations(entgql.Skip()),
		field.Bool("totp_enabled").Default(false),
		field.Int64("totp_last_step").Default(0).Annotations(entgql.Skip()),
		field.Enum("status").Values("active", "disabled").Default("active").
			Annotations(entgql.Type("UserStatus")),
		field.Time("last_login_at").Optional().Nillable(),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("memberships", Membership.Type).Annotations(entgql.Skip()),
	}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

func (User) Interceptors() []ent.Interceptor { return []ent.Interceptor{userScope()} }

func (User) Policy() ent.Policy {
	return privacy.Policy{Mutation: privacy.MutationPolicy{userMutationScope()}}
}
