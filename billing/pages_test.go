package billing_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
)

func intp(n int) *int { return &n }

// seedHistory records usage for tenantID over days days from start: on
// each day, the meters of that day's share, several events each. It
// returns the history as the ledger should report it.
func seedHistory(t *testing.T, led *billing.Ledger, tenantID string, start time.Time, days int) []billing.DailyUsage {
	t.Helper()
	var evs []billing.UsageEvent
	want := map[[2]string]*billing.DailyUsage{}
	meters := billing.Meters()
	for d := range days {
		for mi, m := range meters {
			if (d+mi)%3 == 0 {
				continue // not every meter every day
			}
			for k := range 1 + (d+mi)%4 {
				// Spread over the day, the last one a second before midnight.
				at := start.AddDate(0, 0, d).Add(time.Duration(k) * 5 * time.Hour)
				if k == 3 {
					at = start.AddDate(0, 0, d+1).Add(-time.Second)
				}
				q := int64(1 + k*10 + mi)
				evs = append(evs, billing.UsageEvent{TenantID: tenantID, Meter: m, Key: fmt.Sprintf("h-%d-%d-%d", d, mi, k),
					Quantity: q, Value: "v", At: at, ReceivedAt: at})
				key := [2]string{at.UTC().Truncate(24 * time.Hour).Format(time.RFC3339), string(m)}
				w := want[key]
				if w == nil {
					w = &billing.DailyUsage{Day: at.UTC().Truncate(24 * time.Hour), Meter: m}
					want[key] = w
				}
				w.Events++
				w.Quantity += q
				w.Max = max(w.Max, q)
			}
		}
	}
	if _, err := led.Usage().Record(system, evs); err != nil {
		t.Fatal(err)
	}
	var out []billing.DailyUsage
	for _, w := range want {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b billing.DailyUsage) int {
		return cmp.Or(a.Day.Compare(b.Day), strings.Compare(string(a.Meter), string(b.Meter)))
	})
	return out
}

func sameDays(a, b []billing.DailyUsage) bool {
	return slices.EqualFunc(a, b, func(x, y billing.DailyUsage) bool {
		return x.Day.Equal(y.Day) && x.Meter == y.Meter && x.Events == y.Events && x.Quantity == y.Quantity && x.Max == y.Max
	})
}

// Paging a usage history forwards and backwards returns every day and
// meter once, by day then meter, summed by the database; the total counts
// them all; a customer's pages hold only its own usage.
func TestUsageHistoryPages(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		led, err := billing.NewLedger(e.pdb, billing.LedgerConfig{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		want := seedHistory(t, led, e.custA.ID, start, 12)
		seedHistory(t, led, e.custB.ID, start, 12)                  // the other tenant's, the same days and meters
		from, to := start.Add(7*time.Hour), start.AddDate(0, 0, 12) // from is truncated to its day
		ctxA := as(e.custA, opsward.RoleOwner)

		whole, err := led.UsageHistory(ctxA, e.custA.ID, from, to)
		if err != nil || !sameDays(whole, want) {
			t.Fatalf("whole history: %v\n got %v\nwant %v", err, whole, want)
		}
		for _, size := range []int{1, 7, len(want), 100} {
			var got []billing.DailyUsage
			args := billing.PageArgs{First: intp(size), Count: true}
			for n := 0; ; n++ {
				p, err := led.UsageHistoryPage(ctxA, e.custA.ID, from, to, args)
				if err != nil {
					t.Fatalf("page %d of %d: %v", n, size, err)
				}
				if p.TotalCount != len(want) || len(p.Items) > size || len(p.Cursors) != len(p.Items) || p.HasPrevious {
					t.Fatalf("page %d of %d: total %d (want %d), %d items, %d cursors, hasPrevious %v",
						n, size, p.TotalCount, len(want), len(p.Items), len(p.Cursors), p.HasPrevious)
				}
				got = append(got, p.Items...)
				if !p.HasNext {
					break
				}
				if n > len(want) {
					t.Fatalf("more pages than rows with pages of %d", size)
				}
				args.After = p.Cursors[len(p.Cursors)-1]
			}
			if !sameDays(got, want) {
				t.Fatalf("forwards by %d:\n got %v\nwant %v", size, got, want)
			}
		}
		// Backwards from the end, by pages of 5.
		var back []billing.DailyUsage
		args := billing.PageArgs{Last: intp(5)}
		for n := 0; ; n++ {
			p, err := led.UsageHistoryPage(ctxA, e.custA.ID, from, to, args)
			if err != nil {
				t.Fatal(err)
			}
			back = append(slices.Clone(p.Items), back...)
			if !p.HasPrevious || n > len(want) {
				break
			}
			args.Before = p.Cursors[0]
		}
		if !sameDays(back, want) {
			t.Fatalf("backwards:\n got %v\nwant %v", back, want)
		}
		// Between two cursors.
		p, err := led.UsageHistoryPage(ctxA, e.custA.ID, from, to, billing.PageArgs{First: intp(100)})
		if err != nil {
			t.Fatal(err)
		}
		mid, err := led.UsageHistoryPage(ctxA, e.custA.ID, from, to, billing.PageArgs{After: p.Cursors[2], Before: p.Cursors[9]})
		if err != nil || !sameDays(mid.Items, want[3:9]) {
			t.Fatalf("between the 3rd and the 10th: %v %v", mid.Items, err)
		}
		// No page size: the default page.
		if p, err := led.UsageHistoryPage(ctxA, e.custA.ID, from, to, billing.PageArgs{}); err != nil || len(p.Items) != billing.DefaultPage || !p.HasNext {
			t.Fatalf("default page: %d items, next %v, %v", len(p.Items), p.HasNext, err)
		}
		// first: 0 tells whether there is anything, and the total.
		if p, err := led.UsageHistoryPage(ctxA, e.custA.ID, from, to, billing.PageArgs{First: intp(0), Count: true}); err != nil ||
			len(p.Items) != 0 || !p.HasNext || p.TotalCount != len(want) {
			t.Fatalf("first 0: %d items, next %v, total %d, %v", len(p.Items), p.HasNext, p.TotalCount, err)
		}

		// Another customer: not in reach, with or without A's cursor; A's
		// cursor on B's own history is refused.
		ctxB := as(e.custB, opsward.RoleOwner)
		if p, err := led.UsageHistoryPage(ctxB, e.custA.ID, from, to, billing.PageArgs{After: p.Cursors[0]}); opsward.ErrorCode(err) != opsward.ENOTFOUND || len(p.Items) != 0 {
			t.Fatalf("B paging A's history: %d rows, %v", len(p.Items), err)
		}
		if p, err := led.UsageHistoryPage(ctxB, e.custA.ID, from, to, billing.PageArgs{}); opsward.ErrorCode(err) != opsward.ENOTFOUND || len(p.Items) != 0 {
			t.Fatalf("B reading A's history: %d rows, %v", len(p.Items), err)
		}
		if _, err := led.UsageHistoryPage(ctxB, e.custB.ID, from, to, billing.PageArgs{After: p.Cursors[0]}); opsward.ErrorField(err) != "after" {
			t.Fatalf("A's cursor on B's history: %v", err)
		}
		// The provider reaches both.
		if p, err := led.UsageHistoryPage(as(e.provider, opsward.RoleOwner), e.custA.ID, from, to, billing.PageArgs{First: intp(100)}); err != nil || !sameDays(p.Items, want) {
			t.Fatalf("the provider reading A's history: %v", err)
		}
	})
}

// Bad page arguments and ranges are refused, naming the argument.
func TestUsageHistoryPageRefusals(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		led, err := billing.NewLedger(e.pdb, billing.LedgerConfig{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		seedHistory(t, led, e.custA.ID, start, 3)
		ctx := as(e.custA, opsward.RoleOwner)
		to := start.AddDate(0, 0, 3)
		good, err := led.UsageHistoryPage(ctx, e.custA.ID, start, to, billing.PageArgs{First: intp(1)})
		if err != nil || len(good.Cursors) != 1 {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name       string
			from, to   time.Time
			args       billing.PageArgs
			field, msg string
		}{
			{"first too large", start, to, billing.PageArgs{First: intp(101)}, "first", "between 0 and 100, got 101"},
			{"first negative", start, to, billing.PageArgs{First: intp(-1)}, "first", "between 0 and 100, got -1"},
			{"last too large", start, to, billing.PageArgs{Last: intp(1000)}, "last", "between 0 and 100"},
			{"first and last", start, to, billing.PageArgs{First: intp(1), Last: intp(1)}, "last", "not both"},
			{"not a cursor", start, to, billing.PageArgs{After: "not-a-cursor"}, "after", "not one this API gave"},
			{"empty JSON", start, to, billing.PageArgs{Before: "W10"}, "before", "not one this API gave"},
			{"another range's cursor", start.AddDate(0, 0, 1), to, billing.PageArgs{After: good.Cursors[0]}, "after", "not one this API gave"},
			{"to before from", to, start, billing.PageArgs{}, "to", "after from"},
			{"to equal to from", start, start, billing.PageArgs{}, "to", "after from"},
			{"over 400 days", start, start.AddDate(0, 0, 401), billing.PageArgs{}, "to", "at most 400 days"},
		} {
			p, err := led.UsageHistoryPage(ctx, e.custA.ID, c.from, c.to, c.args)
			if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != c.field || !strings.Contains(opsward.ErrorMessage(err), c.msg) || len(p.Items) != 0 {
				t.Errorf("%s: %v (field %q), %d rows; want %s: %q", c.name, err, opsward.ErrorField(err), len(p.Items), c.field, c.msg)
			}
		}
		if p, err := led.UsageHistoryPage(as(e.custA, opsward.RoleAnalyst), e.custA.ID, start, to, billing.PageArgs{}); opsward.ErrorCode(err) != opsward.EFORBIDDEN || len(p.Items) != 0 {
			t.Errorf("an analyst (no billing:read): %d rows, %v", len(p.Items), err)
		}
	})
}

// The price book pages by plan then version; a customer's pages hold only
// the versions of its own account.
func TestPriceBookPages(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		led, err := billing.NewLedger(e.pdb, billing.LedgerConfig{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := led.EnsureDefaultBook(ctx, e.provider.ID); err != nil {
			t.Fatal(err)
		}
		msp := as(e.provider, opsward.RoleOwner)
		contract := billing.PriceVersion{PlanID: "acme-contract", Currency: "EUR", Interval: billing.Monthly, BaseFee: 10000}
		var acmeVersion string
		for i := range 4 {
			contract.BaseFee += 100
			v, err := led.AddPriceVersion(msp, "Acme contract", contract)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				acmeVersion = v.ID
			}
		}
		zed := contract
		zed.PlanID = "zed_plan"
		if _, err := led.AddPriceVersion(msp, "Zed", zed); err != nil {
			t.Fatal(err)
		}
		want, err := led.PriceBook(msp, e.provider.ID)
		if err != nil || len(want) != 8 {
			t.Fatalf("book: %d versions, %v", len(want), err)
		}
		slices.SortFunc(want, func(a, b billing.PriceVersion) int {
			return cmp.Or(strings.Compare(a.PlanID, b.PlanID), cmp.Compare(a.Version, b.Version))
		})
		ids := func(vs []billing.PriceVersion) []string {
			var out []string
			for _, v := range vs {
				out = append(out, fmt.Sprintf("%s/%d", v.PlanID, v.Version))
			}
			return out
		}
		var got []billing.PriceVersion
		args := billing.PageArgs{First: intp(3), Count: true}
		for n := 0; n < 10; n++ {
			p, err := led.BookPage(msp, args)
			if err != nil || p.TotalCount != len(want) {
				t.Fatalf("page %d: total %d, %v", n, p.TotalCount, err)
			}
			got = append(got, p.Items...)
			if !p.HasNext {
				break
			}
			args.After = p.Cursors[len(p.Cursors)-1]
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Fatalf("pages:\n got %v\nwant %v", ids(got), ids(want))
		}
		last, err := led.BookPage(msp, billing.PageArgs{Last: intp(2)})
		if err != nil || !slices.Equal(ids(last.Items), ids(want[6:])) || !last.HasPrevious {
			t.Fatalf("the last two: %v, previous %v, %v", ids(last.Items), last.HasPrevious, err)
		}
		if _, err := led.BookPage(msp, billing.PageArgs{First: intp(101)}); opsward.ErrorField(err) != "first" {
			t.Errorf("first 101: %v", err)
		}
		if _, err := led.BookPage(msp, billing.PageArgs{After: "eyJ4IjoxfQ"}); opsward.ErrorField(err) != "after" {
			t.Errorf("a forged cursor: %v", err)
		}

		// A customer on a contract sees its own versions only, and the
		// provider's cursors mean nothing to it.
		start := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		if err := led.OpenAccount(ctx, e.custA.ID, e.provider.ID, acmeVersion, start, billing.Terms{}); err != nil {
			t.Fatal(err)
		}
		ctxA := as(e.custA, opsward.RoleOwner)
		p, err := led.BookPage(ctxA, billing.PageArgs{Count: true})
		if err != nil || p.TotalCount != 1 || len(p.Items) != 1 || p.Items[0].ID != acmeVersion {
			t.Fatalf("the customer's book: %v (total %d), %v", ids(p.Items), p.TotalCount, err)
		}
		if _, err := led.BookPage(ctxA, billing.PageArgs{After: got[0].ID}); opsward.ErrorField(err) != "after" {
			t.Errorf("an id as a cursor: %v", err)
		}
		if _, err := led.BookPage(ctxA, billing.PageArgs{After: args.After}); opsward.ErrorField(err) != "after" {
			t.Errorf("the provider's cursor in a customer's book: %v", err)
		}
		if p, err := led.BookPage(as(e.custB, opsward.RoleOwner), billing.PageArgs{Count: true}); err != nil || len(p.Items) != 0 || p.TotalCount != 0 {
			t.Errorf("a customer with no account: %v, %v", ids(p.Items), err)
		}
	})
}
