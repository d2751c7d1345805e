package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants"
)

// The entitlements API: what the NOC, the SOC and dispatch ask before they
// do work. Every call needs tenant:read on a tenant in the actor's reach
// (services call it on behalf of an operation they authorized already);
// limits are those of the plan that applies (see Plan).

// CheckMonitorQuota returns nil when the tenant may add `adding` monitors,
// and a limit_exceeded error naming the limit and the plan otherwise. An
// organization counts against its customer: the count is the customer's
// and every organization's below it. The NOC should ask inside the
// operation that adds the monitors, just before it writes them.
func (s *Service) CheckMonitorQuota(ctx context.Context, tenantID string, adding int) error {
	sub, err := s.effective(ctx, tenantID)
	if err != nil {
		return err
	}
	if adding <= 0 {
		return nil // removing monitors never goes over a limit
	}
	count := s.monitorCounter()
	if count == nil {
		return opsward.Internal(errors.New("billing: no monitor counter registered"))
	}
	n, err := count(tenants.Privileged(ctx, "billing: monitor quota"), sub.AccountID)
	if err != nil {
		return opsward.Internal(fmt.Errorf("count monitors of %s: %w", sub.AccountID, err))
	}
	return monitorQuota(sub.Plan, sub.AccountID, n, adding)
}

// monitorQuota is the quota rule: have+adding may not exceed the plan's
// maximum.
func monitorQuota(p Plan, accountID string, have, adding int) error {
	if adding <= 0 || have+adding <= p.MaxMonitors {
		return nil
	}
	msg := fmt.Sprintf("plan %s allows %d monitors and tenant %s has %d: upgrade the plan or remove a monitor",
		p.Name, p.MaxMonitors, accountID, have)
	if adding > 1 {
		msg = fmt.Sprintf("plan %s allows %d monitors and tenant %s has %d, so %d more would be %d too many: upgrade the plan or add fewer",
			p.Name, p.MaxMonitors, accountID, have, adding, have+adding-p.MaxMonitors)
	}
	return &opsward.Error{Code: opsward.ELIMIT, Message: msg}
}

// FloorInterval returns the interval a monitor of the tenant runs at: want,
// or the plan's minimum when want is shorter. A zero want means "as often
// as the plan allows". Schedulers use it so that a monitor saved under a
// dearer plan slows down after a downgrade instead of failing.
func (s *Service) FloorInterval(ctx context.Context, tenantID string, want time.Duration) (time.Duration, error) {
	p, err := s.Plan(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	return floorInterval(p, want), nil
}

// CheckInterval returns nil when the plan allows a check interval of want,
// and a limit_exceeded error on the field "interval", naming the minimum
// and the plan, when want is shorter. Monitor create and update use it so
// that a user learns of the limit instead of being slowed silently.
func (s *Service) CheckInterval(ctx context.Context, tenantID string, want time.Duration) error {
	p, err := s.Plan(ctx, tenantID)
	if err != nil {
		return err
	}
	return checkInterval(p, want)
}

func floorInterval(p Plan, want time.Duration) time.Duration {
	return max(want, p.MinInterval)
}

func checkInterval(p Plan, want time.Duration) error {
	if want <= 0 {
		return opsward.FieldErrorf("interval", "a check interval must be positive, got %s", want)
	}
	if want >= p.MinInterval {
		return nil
	}
	return &opsward.Error{Code: opsward.ELIMIT, Field: "interval", Message: fmt.Sprintf(
		"plan %s runs checks at most every %s and %s is shorter: choose %s or longer, or upgrade the plan",
		p.Name, humanDuration(p.MinInterval), humanDuration(want), humanDuration(p.MinInterval))}
}

// humanDuration writes whole hours, minutes or seconds as words ("5
// minutes", "30 seconds"), anything else as Go does ("1.5s").
func humanDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d > 0 && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d > 0 && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	case d > 0 && d%time.Second == 0:
		return unit(int64(d/time.Second), "second")
	}
	return d.String()
}
