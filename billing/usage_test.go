package billing_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/tenants"
)

func (e *env) usageCount(t *testing.T, tenantID string) (n, sum int64) {
	t.Helper()
	q := "SELECT count(*), coalesce(sum(quantity), 0) FROM usage_events WHERE tenant_id = ?"
	if e.pdb.Dialect == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	if err := e.db.QueryRowContext(system, q, tenantID).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	return n, sum
}

// Every event sent twice (and more) concurrently, in different orders and
// batches, and again inside one batch, is stored and counted once.
func TestUsageIdempotentConcurrently(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		store := billing.NewUsageStore(e.pdb)
		at := time.Now().Add(-time.Hour)
		const n = 1500
		events := make([]billing.UsageEvent, n)
		var want int64
		for i := range events {
			tn := e.custA.ID
			if i%3 == 0 {
				tn = e.custB.ID
			}
			events[i] = billing.UsageEvent{TenantID: tn, Meter: billing.Meters()[i%len(billing.Meters())],
				Key: fmt.Sprintf("batch-%d", i/10), Quantity: int64(i % 17), At: at.Add(time.Duration(i) * time.Millisecond)}
			events[i].Key += fmt.Sprintf("/%d", i)
			want += int64(i % 17)
		}
		ctx := tenants.Privileged(t.Context(), "test: the batch writers")
		const senders = 6
		var wg sync.WaitGroup
		recorded := make([]int64, senders)
		errs := make([]error, senders)
		for g := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				evs := append([]billing.UsageEvent(nil), events...)
				rng := rand.New(rand.NewPCG(uint64(g), 7))
				rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
				evs = append(evs, evs[:50]...) // twice in one batch as well
				for len(evs) > 0 {
					k := min(len(evs), 1+rng.IntN(700))
					r, err := store.Record(ctx, evs[:k])
					if err != nil {
						errs[g] = err
						return
					}
					recorded[g] += r
					evs = evs[k:]
				}
			}()
		}
		wg.Wait()
		var total int64
		for g := range senders {
			if errs[g] != nil {
				t.Fatalf("sender %d: %v", g, errs[g])
			}
			total += recorded[g]
		}
		if total != n {
			t.Errorf("the senders recorded %d events between them, want %d", total, n)
		}
		na, sa := e.usageCount(t, e.custA.ID)
		nb, sb := e.usageCount(t, e.custB.ID)
		if na+nb != n || sa+sb != want {
			t.Errorf("stored %d events summing %d, want %d summing %d", na+nb, sa+sb, n, want)
		}
	})
}

// A batch with one bad event writes nothing, and the error names the
// event and the field.
func TestUsageRefusesBadInput(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		store := billing.NewUsageStore(e.pdb)
		ctx := tenants.Privileged(t.Context(), "test")
		good := billing.UsageEvent{TenantID: e.custA.ID, Meter: billing.MeterCheckRuns, Key: "k1", Quantity: 3, At: time.Now()}
		for field, bad := range map[string]billing.UsageEvent{
			"events[1].meter":          {TenantID: e.custA.ID, Meter: "cpu", Key: "k2", Quantity: 1, At: time.Now()},
			"events[1].quantity":       {TenantID: e.custA.ID, Meter: billing.MeterCheckRuns, Key: "k2", Quantity: -4, At: time.Now()},
			"events[1].idempotencyKey": {TenantID: e.custA.ID, Meter: billing.MeterCheckRuns, Key: strings.Repeat("x", 256), Quantity: 1, At: time.Now()},
		} {
			_, err := store.Record(ctx, []billing.UsageEvent{good, bad})
			wantCode(t, err, opsward.EINVALID)
			if f := opsward.ErrorField(err); f != field {
				t.Errorf("error on %q, want %q (%v)", f, field, err)
			}
		}
		if n, _ := e.usageCount(t, e.custA.ID); n != 0 {
			t.Errorf("%d events written from refused batches", n)
		}
	})
}

// A customer records usage for itself only.
func TestUsageDifferentTenant(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		store := billing.NewUsageStore(e.pdb)
		a := as(e.custA, opsward.RoleAdmin)
		ev := billing.UsageEvent{TenantID: e.custB.ID, Meter: billing.MeterComplianceReports, Key: "r1", Quantity: 1, At: time.Now()}
		_, err := store.Record(a, []billing.UsageEvent{ev})
		wantCode(t, err, opsward.EINVALID)
		ev.TenantID = e.custA.ID
		if n, err := store.Record(a, []billing.UsageEvent{ev}); err != nil || n != 1 {
			t.Fatalf("own usage: %d, %v", n, err)
		}
		if n, _ := e.usageCount(t, e.custB.ID); n != 0 {
			t.Errorf("customer B has %d events", n)
		}
	})
}

// RecordTx writes in the caller's transaction: a rollback leaves nothing,
// a commit everything, each key once, and the same events recorded again
// afterwards add nothing.
func TestUsageRecordTx(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		store := billing.NewUsageStore(e.pdb)
		ctx := tenants.Privileged(t.Context(), "test: work that meters itself")
		at := time.Now().Add(-time.Minute)
		events := make([]billing.UsageEvent, 1200)
		for i := range events {
			events[i] = billing.UsageEvent{TenantID: e.custA.ID, Meter: billing.MeterCheckRuns,
				Key: fmt.Sprintf("run-%d", i%1100), Quantity: 2, At: at}
		}
		for _, commit := range []bool{false, true} {
			tx, err := e.db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			n, err := store.RecordTx(ctx, tx, events)
			if err != nil || n != 1100 {
				t.Fatalf("RecordTx = %d, %v; want 1100", n, err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			want := int64(0)
			if commit {
				want = 1100
			}
			if n, sum := e.usageCount(t, e.custA.ID); n != want || sum != 2*want {
				t.Errorf("commit %v: %d events summing %d, want %d", commit, n, sum, want)
			}
		}
		if n, err := store.Record(ctx, events[:500]); err != nil || n != 0 {
			t.Errorf("recording stored events again = %d, %v; want 0", n, err)
		}
	})
}
