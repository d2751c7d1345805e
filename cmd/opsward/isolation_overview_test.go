package main

import (
	"net/http"
	"testing"
)

// A customer's user sees its own row of the MSP overview and no other:
// with its own tenant acting, and refused when it names another customer
// in the tenant header, in an admin's and a viewer's role. Without
// billing:read (the viewer) the row comes without its plan usage.
func TestCustomerOverviewIsolation(t *testing.T) {
	t.Parallel()
	f := seedOverview(t)
	s := f.s
	for _, c := range []struct {
		role string
		plan bool
	}{{"admin", true}, {"viewer", false}} {
		own := f.acme
		tok := s.login(t, s.user(t, own, c.role), "")
		auth := "Bearer " + tok.AccessToken
		rows, total := f.read(t, auth, "", 100)
		if total != 1 || len(rows) != 1 {
			t.Fatalf("acme %s: %d rows (totalCount %d): %v", c.role, len(rows), total, rows)
		}
		row, ok := rows[own.ID]
		if !ok {
			t.Fatalf("acme %s: the row is not acme's: %v", c.role, rows)
		}
		want := f.recompute(t)[own.ID]
		if !c.plan {
			want.PlanID, want.MonitorsAllowed, want.EventsToday, want.BytesToday, want.BytesAllowedPerDay = "", 0, 0, 0, 0
		}
		if row != want {
			t.Errorf("acme %s:\n got %+v\nwant %+v", c.role, row, want)
		}
		// Acting on another customer is refused before any row is read.
		status, body := call(t, http.MethodPost, s.base+"/graphql", map[string]any{"query": overviewQuery},
			map[string]string{"Authorization": auth, "X-Opsward-Tenant": f.globex.ID})
		if data, _ := body["data"].(map[string]any); data != nil && data["customerOverview"] != nil {
			t.Errorf("acme %s acting on globex read the overview: %d %v", c.role, status, body)
		}
		if errs, _ := body["errors"].([]any); len(errs) == 0 && status == http.StatusOK {
			t.Errorf("acme %s acting on globex: no error: %v", c.role, body)
		}
	}
}
