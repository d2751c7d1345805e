package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/opsward/opsward"
)

// APIKey lets an integrator act on one tenant with a set of scopes. The
// secret is shown once; only its hash and a visible prefix are stored.
type APIKey struct{ ent.Schema }

func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixAPIKey}, TenantMixin{}, TimeMixin{}}
}

func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.String("prefix").Unique().NotEmpty().MaxLen(40),
		field.String("secret_hash").Sensitive().Annotations(entgql.Skip()),
		field.Strings("scopes"),
		field.String("created_by").Default("").MaxLen(40),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
