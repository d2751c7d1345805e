package events

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/internal/batch"
)

// MeterIngest is the OnAdded work that meters the events a write added
// into c, in the write's transaction: security_events, one per event, and
// security_bytes, the bytes each arrived as (Bytes), added to each
// tenant's usage of the minute (see billing.Tally). An event stored
// before (a keyed batch is stored once) is not among those added, so it
// counts once.
func MeterIngest(c billing.UsageCounter) batch.Added[Event] {
	return func(ctx context.Context, tx batch.Tx, added []Event) error {
		var t billing.Tally
		for i := range added {
			e := &added[i]
			t.Add(e.TenantID, billing.MeterSecurityEvents, 1)
			t.Add(e.TenantID, billing.MeterSecurityBytes, e.Bytes())
		}
		return t.AddTx(ctx, c, tx, "events", time.Now())
	}
}

// StoredBytes is the size of the events kept for the tenants tenantIDs (a
// billing account's): their original text, message and fields as stored,
// in bytes. Billing's stored_event_bytes gauge samples it. It reads every
// event of the tenants, so it runs as a scheduled sample, not per
// request; system work, on the privileged path.
func (s *Store) StoredBytes(ctx context.Context, tenantIDs []string) (int64, error) {
	if err := batch.RequirePrivileged(ctx, "stored event bytes"); err != nil {
		return 0, err
	}
	if len(tenantIDs) == 0 {
		return 0, nil
	}
	size := "octet_length(original) + octet_length(message) + octet_length(fields::text)"
	if !s.pg() {
		size = "length(CAST(original AS BLOB)) + length(CAST(message AS BLOB)) + length(CAST(fields AS BLOB))"
	}
	in := strings.TrimSuffix(strings.Repeat("?, ", len(tenantIDs)), ", ")
	args := make([]any, len(tenantIDs))
	for i, id := range tenantIDs {
		args[i] = id
	}
	var n int64
	err := s.db.QueryRowContext(ctx, s.rows.Q("SELECT coalesce(sum("+size+"), 0) FROM security_events WHERE tenant_id IN ("+in+")"), args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("stored event bytes: %w", err)
	}
	return n, nil
}
