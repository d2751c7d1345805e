package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"github.com/opsward/opsward"
)

// StatusPage is a page a tenant publishes at /status/{slug}: the chosen
// monitors' state, 90-day uptime and incident notices, shown without a
// login. The slug is unique across every tenant, since the address has no
// tenant in it.
type StatusPage struct{ ent.Schema }

func (StatusPage) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixStatusPage}, TenantMixin{}, TimeMixin{}}
}

func (StatusPage) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").Unique().NotEmpty().MaxLen(63),
		field.String("title").NotEmpty().MaxLen(200),
		// The published monitors, in the order the page shows them.
		field.Strings("monitor_ids").Optional(),
	}
}

func (StatusPage) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
