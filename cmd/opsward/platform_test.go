package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/probe"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/tenants"
)

// dig walks a decoded GraphQL answer: dig(v, "data", "changePlan", "userErrors").
func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func errorCode(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	code, _ := dig(errs[0], "extensions", "code").(string)
	return code
}

// A plan change through the API re-weights the tenant's queue at once, with
// no restart; a suspension pauses it and a reactivation resumes it.
func TestPlanChangeAndSuspensionReachTheQueues(t *testing.T) {
	s := startAuthServer(t)
	ctx := context.Background()
	owner := "Bearer " + s.login(t, s.user(t, s.demo.Provider, "owner"), "").AccessToken
	acme := s.demo.Customers[0]

	_, body := s.graphql(t, owner, "", `{ plans { id weight maxConcurrency minIntervalSeconds monthlyPrice { amount currency } } }`)
	plans, _ := dig(body, "data", "plans").([]any)
	if len(plans) < 3 {
		t.Fatalf("plans: %v", body)
	}

	policy := func() dispatch.Policy {
		p, err := s.m.Dispatch.TenantPolicy(ctx, acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	waitFor := func(what string, ok func(dispatch.Policy) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok(policy()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: queue policy is %+v", what, policy())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	q := fmt.Sprintf(`mutation { changePlan(tenantId: %q, plan: "professional") { subscription { plan { id weight maxConcurrency } } userErrors { field message code } } }`, acme.ID)
	_, body = s.graphql(t, owner, "", q)
	if id := dig(body, "data", "changePlan", "subscription", "plan", "id"); id != "professional" {
		t.Fatalf("changePlan: %v", body)
	}
	waitFor("after the plan change", func(p dispatch.Policy) bool { return p.Weight == 4 && p.MaxConcurrency == 8 })

	// An unknown plan is a user error naming the field.
	_, body = s.graphql(t, owner, "", fmt.Sprintf(`mutation { changePlan(tenantId: %q, plan: "platinum") { userErrors { field message code } } }`, acme.ID))
	ue, _ := dig(body, "data", "changePlan", "userErrors").([]any)
	if len(ue) != 1 || !strings.Contains(fmt.Sprint(dig(ue[0], "field")), "plan") || !strings.Contains(fmt.Sprint(dig(ue[0], "message")), "essentials") {
		t.Fatalf("unknown plan: %v", body)
	}

	// A customer's admin may not change its own plan (billing:write).
	admin := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	_, body = s.graphql(t, admin, "", q)
	if errorCode(body) != "forbidden" {
		t.Fatalf("admin changePlan: %v", body)
	}

	for _, step := range []struct {
		mutation string
		paused   bool
	}{{"suspendTenant", true}, {"reactivateTenant", false}} {
		_, body = s.graphql(t, owner, "", fmt.Sprintf(`mutation { %s(id: %q) { tenant { status } userErrors { message } } }`, step.mutation, acme.ID))
		if dig(body, "data", step.mutation, "tenant") == nil {
			t.Fatalf("%s: %v", step.mutation, body)
		}
		waitFor(step.mutation, func(p dispatch.Policy) bool { return p.Paused == step.paused && p.Weight == 4 })
	}

	// Redis holds no truth: a rebuild from the database restores the
	// policy after Redis forgot it.
	if err := s.m.Dispatch.SetTenantPolicy(ctx, acme.ID, dispatch.Policy{Weight: 1}); err != nil {
		t.Fatal(err)
	}
	_, body = s.graphql(t, owner, "", `mutation { rebuildSchedules { policies } }`)
	if n, _ := dig(body, "data", "rebuildSchedules", "policies").(float64); n < 3 {
		t.Fatalf("rebuildSchedules: %v", body)
	}
	waitFor("after the rebuild", func(p dispatch.Policy) bool { return p.Weight == 4 && p.MaxConcurrency == 8 })
}

type neverHandledArgs struct{}

func (neverHandledArgs) Kind() string { return "test.never_handled" }

// MSP admins list, retry and purge dead jobs through GraphQL; customers
// may not see the queue.
func TestDeadLetterQueueOverGraphQL(t *testing.T) {
	s := startAuthServer(t)
	ctx := context.Background()
	owner := "Bearer " + s.login(t, s.user(t, s.demo.Provider, "owner"), "").AccessToken
	acme := s.demo.Customers[0]
	res, err := s.m.Dispatch.Enqueue(ctx, acme.ID, neverHandledArgs{}, &dispatch.EnqueueOpts{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	list := fmt.Sprintf(`{ deadJobs(tenantId: %q, first: 10) { nodes { id kind error attempts } hasNextPage } }`, acme.ID)
	deadline := time.Now().Add(10 * time.Second)
	var nodes []any
	for {
		_, body := s.graphql(t, owner, "", list)
		nodes, _ = dig(body, "data", "deadJobs", "nodes").([]any)
		if len(nodes) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the failing job never reached the dead-letter queue: %v", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if dig(nodes[0], "id") != res.ID || !strings.Contains(fmt.Sprint(dig(nodes[0], "error")), "no worker registered") {
		t.Fatalf("dead job: %v", nodes[0])
	}

	admin := "Bearer " + s.login(t, s.user(t, acme, "admin"), "").AccessToken
	if _, body := s.graphql(t, admin, "", list); errorCode(body) != "forbidden" {
		t.Fatalf("a customer admin listed the dead-letter queue: %v", body)
	}

	_, body := s.graphql(t, owner, "", fmt.Sprintf(`mutation { purgeDeadJobs(tenantId: %q, ids: [%q]) { count } }`, acme.ID, res.ID))
	if n, _ := dig(body, "data", "purgeDeadJobs", "count").(float64); n != 1 {
		t.Fatalf("purge: %v", body)
	}
	if _, body := s.graphql(t, owner, "", list); len(dig(body, "data", "deadJobs", "nodes").([]any)) != 0 {
		t.Fatalf("after purge: %v", body)
	}
}

// The results upkeep keeps raw check results as long as each tenant's plan
// says: an essentials customer loses results older than 30 days, the
// provider (enterprise) keeps them.
func TestResultsRetentionByPlan(t *testing.T) {
	s := startAuthServer(t)
	ctx := context.Background()
	acme := s.demo.Customers[0]
	old := time.Now().Add(-45 * 24 * time.Hour)
	write := func(tenantID string) {
		t.Helper()
		w, err := s.m.Results.NewWriter(results.WriterConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, results.Result{TenantID: tenantID, MonitorID: "mon_x", CheckedAt: old, Status: probe.StatusUp}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	write(acme.ID)
	write(s.demo.Provider.ID)
	count := func(tenantID string) int {
		var n int
		if err := s.m.DB.QueryRowContext(tenants.Privileged(ctx, "test"), `SELECT count(*) FROM check_results WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(acme.ID) != 1 || count(s.demo.Provider.ID) != 1 {
		t.Fatalf("before: %d and %d results", count(acme.ID), count(s.demo.Provider.ID))
	}
	if err := s.m.maintainResults(ctx, &dispatch.Job[MaintainResultsArgs]{JobRow: &dispatch.JobRow{}}); err != nil {
		t.Fatal(err)
	}
	if count(acme.ID) != 0 || count(s.demo.Provider.ID) != 1 {
		t.Fatalf("after: essentials kept %d, enterprise kept %d results 45 days old", count(acme.ID), count(s.demo.Provider.ID))
	}
}
