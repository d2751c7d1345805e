package tenants_test

import (
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/tenants"
)

// An entity read in a transaction still loads its edges after the commit,
// as GraphQL does when it resolves a mutation's result; writing through
// the ended transaction still fails.
func TestEntitiesOfAnEndedTransactionRead(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		w := newWorld(t, b)
		ctx := w.privileged()
		var m *ent.Membership
		if err := tenants.WithTx(ctx, w.client, func(tx *ent.Tx) error {
			var err error
			m, err = tx.Membership.Query().Where(membership.TenantID(w.a.ID)).First(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		tn, err := m.QueryTenant().Only(ctx)
		if err != nil || tn.ID != w.a.ID {
			t.Fatalf("the tenant of a membership read in a committed transaction: %v, %v", tn, err)
		}
		if err := m.Update().SetRole(opsward.RoleViewer).Exec(ctx); err == nil {
			t.Fatal("a write through a committed transaction succeeded")
		}
		after, err := w.client.Membership.Get(ctx, m.ID)
		if err != nil || after.Role != m.Role {
			t.Fatalf("membership after the refused write: %+v, %v", after, err)
		}
	})
}
