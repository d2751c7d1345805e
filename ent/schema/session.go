package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsward/opsward"
)

// Session is one login: a family of rotating refresh tokens. Revoking the
// session ends every token of the family.
type Session struct{ ent.Schema }

func (Session) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixSession}, TenantMixin{}, TimeMixin{}}
}

func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").Immutable().NotEmpty().MaxLen(40),
		field.String("ip").Default("").MaxLen(64),
		field.String("user_agent").Default("").MaxLen(512),
		field.Time("expires_at"),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("revoked_reason").Default("").MaxLen(64),
	}
}

func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id")}
}

func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// RefreshToken is one token of a session's family. A token is used once;
// presenting a used token again revokes the whole session.
type RefreshToken struct{ ent.Schema }

func (RefreshToken) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "rft"}, TenantMixin{}, TimeMixin{}}
}

func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("session_id").Immutable().NotEmpty().MaxLen(40),
		field.String("token_hash").Sensitive().Unique().Immutable(),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
	}
}

func (RefreshToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("session_id")}
}

func (RefreshToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}
