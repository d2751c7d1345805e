package graph

import (
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/graph/model"
)

func planModel(p billing.Plan) *model.Plan {
	return &model.Plan{
		ID: p.ID, Name: p.Name, MaxMonitors: p.MaxMonitors,
		MinIntervalSeconds: int(p.MinInterval.Seconds()), Weight: p.Weight, MaxConcurrency: p.MaxConcurrency,
		RetentionDays: p.RetentionDays, EventsPerSecond: p.EventsPerSecond, BytesPerDay: float64(p.BytesPerDay),
		MonthlyPrice: &model.Money{Amount: int(p.MonthlyPrice), Currency: billing.Currency},
	}
}

func subscriptionModel(s billing.Subscription) *model.TenantSubscription {
	return &model.TenantSubscription{
		TenantID: s.TenantID, AccountID: s.AccountID, Plan: planModel(s.Plan),
		Inherited: s.Inherited(), Status: s.Status,
	}
}
