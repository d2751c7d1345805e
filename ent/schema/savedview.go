package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsward/opsward"
)

// SavedView is a named set of a list's filters that one user keeps in one
// tenant, such as "critical, new" for the alert queue. It is the user's
// own: nobody else in the tenant lists or deletes it.
type SavedView struct{ ent.Schema }

func (SavedView) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixSavedView}, TenantMixin{}, TimeMixin{}}
}

func (SavedView) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").NotEmpty().MaxLen(40),
		// The list the view belongs to; "alerts" (the alert queue) for now.
		field.String("scope").NotEmpty().MaxLen(40),
		field.String("name").NotEmpty().MaxLen(100),
		// The list's filters, by name: {"status": "open", "severity": "high"}.
		field.JSON("filters", map[string]string{}).Annotations(entgql.Skip()),
	}
}

func (SavedView) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "user_id", "scope", "name").Unique()}
}
