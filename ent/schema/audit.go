package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/privacy"
)

// AuditEntry is one line of a tenant's append-only audit log. Entries of a
// tenant are numbered by seq and chained: hash covers the entry and the
// previous entry's hash, so an edit or a deletion breaks the chain.
type AuditEntry struct{ ent.Schema }

func (AuditEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: opsward.PrefixAudit}, TenantMixin{}}
}

func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("seq").Immutable().Annotations(entgql.OrderField("SEQ")),
		field.Time("created_at").Immutable(),
		field.String("actor_type").Immutable().MaxLen(16),
		field.String("actor_id").Immutable().Default("").MaxLen(40),
		field.String("actor_tenant_id").Immutable().Default("").MaxLen(40),
		field.String("action").Immutable().NotEmpty().MaxLen(64),
		field.String("target_id").Immutable().Default("").MaxLen(40),
		field.String("ip").Immutable().Default("").MaxLen(64),
		field.String("user_agent").Immutable().Default("").MaxLen(512),
		field.String("detail").Immutable().Default("").MaxLen(4000),
		field.String("prev_hash").Immutable().MaxLen(64),
		field.String("hash").Immutable().MaxLen(64),
	}
}

func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "seq").Unique(), index.Fields("created_at")}
}

func (AuditEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Policy: the audit log is append-only, on top of the tenant scope.
func (AuditEntry) Policy() ent.Policy {
	return privacy.Policy{Mutation: privacy.MutationPolicy{appendOnly()}}
}
