package billing

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/subscription"
	"github.com/opsward/opsward/ent/tenant"
)

func TestCatalogueIsConsistent(t *testing.T) {
	t.Parallel()
	plans := Catalogue()
	if len(plans) < 3 {
		t.Fatalf("catalogue has %d plans, want at least 3", len(plans))
	}
	seen := map[string]bool{}
	for i, p := range plans {
		if seen[p.ID] {
			t.Errorf("plan id %q appears twice", p.ID)
		}
		seen[p.ID] = true
		if p.Name == "" || p.MaxMonitors < 1 || p.MinInterval < time.Second || p.Weight < 1 ||
			p.MaxConcurrency < 1 || p.RetentionDays < 1 || p.EventsPerSecond < 1 || p.BytesPerDay < 1 || p.MonthlyPrice < 1 {
			t.Errorf("plan %q has an unset or non-positive limit: %+v", p.ID, p)
		}
		if i == 0 {
			continue
		}
		// Each dearer plan gives at least as much of everything.
		q := plans[i-1]
		if p.MonthlyPrice <= q.MonthlyPrice || p.MaxMonitors < q.MaxMonitors || p.MinInterval > q.MinInterval ||
			p.Weight <= q.Weight || p.MaxConcurrency < q.MaxConcurrency || p.RetentionDays < q.RetentionDays ||
			p.EventsPerSecond < q.EventsPerSecond || p.BytesPerDay < q.BytesPerDay {
			t.Errorf("plan %q does not give at least what %q gives for more money", p.ID, q.ID)
		}
	}
	for _, id := range []string{PlanEssentials, PlanProfessional, PlanEnterprise, DefaultPlan, ProviderPlan} {
		if !seen[id] {
			t.Errorf("plan %q is not in the catalogue", id)
		}
	}
}

func TestCatalogueIsACopy(t *testing.T) {
	t.Parallel()
	c := Catalogue()
	c[0].MaxMonitors = 1 << 30
	if p, _ := PlanByID(c[0].ID); p.MaxMonitors == 1<<30 {
		t.Fatal("changing Catalogue's result changed the catalogue")
	}
}

func TestPlanByID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id       string
		ok       bool
		name     string
		monitors int
	}{
		{"essentials", true, "Essentials", 50},
		{"professional", true, "Professional", 500},
		{"enterprise", true, "Enterprise", 10000},
		{"Essentials", false, "", 0}, // ids are exact
		{"", false, "", 0},
		{"free", false, "", 0},
	} {
		p, ok := PlanByID(tc.id)
		if ok != tc.ok || p.Name != tc.name || p.MaxMonitors != tc.monitors {
			t.Errorf("PlanByID(%q) = %q/%d, %v; want %q/%d, %v", tc.id, p.Name, p.MaxMonitors, ok, tc.name, tc.monitors, tc.ok)
		}
	}
}

func TestEffectivePlan(t *testing.T) {
	t.Parallel()
	row := func(plan string, st subscription.Status) *ent.Subscription {
		return &ent.Subscription{TenantID: "ten_x", Plan: plan, Status: st}
	}
	for _, tc := range []struct {
		name  string
		kind  tenant.Kind
		row   *ent.Subscription
		want  string
		known bool
	}{
		{"customer on its plan", tenant.KindCustomer, row(PlanProfessional, subscription.StatusActive), PlanProfessional, true},
		{"customer without a row", tenant.KindCustomer, nil, DefaultPlan, true},
		{"canceled subscription", tenant.KindCustomer, row(PlanEnterprise, subscription.StatusCanceled), DefaultPlan, true},
		{"plan the catalogue lost", tenant.KindCustomer, row("gold", subscription.StatusActive), DefaultPlan, false},
		{"provider without a row", tenant.KindProvider, nil, PlanEnterprise, true},
		{"provider whatever its row says", tenant.KindProvider, row(PlanEssentials, subscription.StatusActive), PlanEnterprise, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, known := effectivePlan(tc.kind, tc.row)
			if p.ID != tc.want || known != tc.known {
				t.Errorf("effectivePlan = %s, %v; want %s, %v", p.ID, known, tc.want, tc.known)
			}
		})
	}
}

func TestMonitorQuota(t *testing.T) {
	t.Parallel()
	ess := mustPlan(PlanEssentials)
	for _, tc := range []struct {
		name         string
		have, adding int
		wantErr      bool
		contains     []string
	}{
		{"room for one", 49, 1, false, nil},
		{"exactly at the limit after adding", 45, 5, false, nil},
		{"full", 50, 1, true, []string{"plan Essentials allows 50 monitors", "tenant ten_a has 50", "upgrade the plan or remove a monitor"}},
		{"several too many", 48, 5, true, []string{"plan Essentials allows 50 monitors", "has 48", "5 more would be 3 too many"}},
		{"already over after a downgrade, removing", 80, -1, false, nil},
		{"already over, adding none", 80, 0, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := monitorQuota(ess, "ten_a", tc.have, tc.adding)
			if (err != nil) != tc.wantErr {
				t.Fatalf("monitorQuota(%d, %d) = %v, want error %v", tc.have, tc.adding, err, tc.wantErr)
			}
			if err == nil {
				return
			}
			if opsward.ErrorCode(err) != opsward.ELIMIT {
				t.Errorf("code %q, want %q", opsward.ErrorCode(err), opsward.ELIMIT)
			}
			for _, s := range tc.contains {
				if !strings.Contains(opsward.ErrorMessage(err), s) {
					t.Errorf("message %q does not contain %q", opsward.ErrorMessage(err), s)
				}
			}
		})
	}
}

func TestIntervals(t *testing.T) {
	t.Parallel()
	ess, pro := mustPlan(PlanEssentials), mustPlan(PlanProfessional)
	for _, tc := range []struct {
		name      string
		plan      Plan
		want      time.Duration
		floor     time.Duration
		code      string // "" : allowed
		inMessage []string
	}{
		{"essentials at its minimum", ess, 5 * time.Minute, 5 * time.Minute, "", nil},
		{"essentials slower", ess, time.Hour, time.Hour, "", nil},
		{"essentials too often", ess, 30 * time.Second, 5 * time.Minute, opsward.ELIMIT,
			[]string{"plan Essentials", "every 5 minutes", "30 seconds is shorter", "upgrade the plan"}},
		{"professional at a minute", pro, time.Minute, time.Minute, "", nil},
		{"professional too often", pro, 59 * time.Second, time.Minute, opsward.ELIMIT, []string{"plan Professional", "every 1 minute"}},
		{"zero floors to the minimum and is not an interval", pro, 0, time.Minute, opsward.EINVALID, []string{"must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := floorInterval(tc.plan, tc.want); got != tc.floor {
				t.Errorf("floorInterval(%s) = %s, want %s", tc.want, got, tc.floor)
			}
			err := checkInterval(tc.plan, tc.want)
			if got := opsward.ErrorCode(err); got != tc.code {
				t.Fatalf("checkInterval(%s) code %q (%v), want %q", tc.want, got, err, tc.code)
			}
			if err == nil {
				return
			}
			if f := opsward.ErrorField(err); f != "interval" {
				t.Errorf("field %q, want interval", f)
			}
			for _, s := range tc.inMessage {
				if !strings.Contains(opsward.ErrorMessage(err), s) {
					t.Errorf("message %q does not contain %q", opsward.ErrorMessage(err), s)
				}
			}
		})
	}
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{5 * time.Minute, "5 minutes"},
		{time.Minute, "1 minute"},
		{60 * time.Second, "1 minute"},
		{30 * time.Second, "30 seconds"},
		{time.Second, "1 second"},
		{2 * time.Hour, "2 hours"},
		{90 * time.Second, "90 seconds"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
	} {
		if got := humanDuration(tc.d); got != tc.want {
			t.Errorf("humanDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestStoreErr(t *testing.T) {
	t.Parallel()
	if storeErr(nil) != nil {
		t.Error("storeErr(nil) is not nil")
	}
	mine := opsward.Errorf(opsward.ELIMIT, "x")
	if !errors.Is(storeErr(mine), mine) {
		t.Error("a domain error is not passed through")
	}
	if c := opsward.ErrorCode(storeErr(&ent.NotFoundError{})); c != opsward.ENOTFOUND {
		t.Errorf("not found maps to %q", c)
	}
	if c := opsward.ErrorCode(storeErr(errors.New("disk on fire"))); c != opsward.EINTERNAL {
		t.Errorf("an unknown error maps to %q", c)
	}
}
