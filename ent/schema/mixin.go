package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/privacy"
)

// IDMixin gives a type a prefixed ULID primary key ("ten_…", "usr_…").
type IDMixin struct {
	mixin.Schema
	Prefix string
}

func (m IDMixin) Fields() []ent.Field {
	prefix := m.Prefix
	return []ent.Field{
		field.String("id").
			Immutable().
			NotEmpty().
			MaxLen(40).
			DefaultFunc(func() string { return opsward.NewID(prefix) }),
	}
}

// TimeMixin records creation and last update.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Immutable().Default(time.Now).
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// TenantMixin marks a type as owned by one tenant. Every row carries
// tenant_id, which never changes; the privacy policy added in
// tenant_policy.go filters every query by the tenants the context may see.
type TenantMixin struct{ mixin.Schema }

func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("tenant_id").Immutable().NotEmpty().MaxLen(40),
	}
}

func (TenantMixin) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id")}
}

func (TenantMixin) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{tenantScope()}
}

func (TenantMixin) Policy() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{tenantMutationScope()},
	}
}
