package detect

import (
	"context"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/tenants"
)

// demoRule is a tenant's own rule in the demonstration data.
const demoRule = `title: Demo - admin logon from outside office hours
id: 0b4c1e8a-demo-4c6f-9d1e-0c8f7a1b2c3d
status: experimental
description: Demonstration rule of one customer.
author: Opsward demo
level: low
logsource:
  product: linux
  service: auth
detection:
  selection:
    user.name: admin
    event.outcome: success
  condition: selection
`

// SeedDemo gives a tenant demonstration SOC data: a log source bound by a
// token (ranges would collide between demonstration tenants), a rule of its
// own, and an alert raised by it.
func (s *Service) SeedDemo(ctx context.Context, tenantID string) (*ent.Alert, error) {
	pctx := tenants.Privileged(ctx, "seed demo SOC data")
	name := "branch firewall"
	if _, err := s.CreateSource(pctx, SourceInput{TenantID: tenantID, Name: &name, NewToken: true}); err != nil {
		return nil, err
	}
	r, err := parseOne("demo.yml", demoRule, s.MaxRuleBytes)
	if err != nil {
		return nil, err
	}
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		_, err := s.saveRule(pctx, tx, tenantID, r, demoRule, nil, "demo")
		return err
	})
	if err != nil {
		return nil, err
	}
	s.rules.invalidate()
	return s.Raise(ctx, AlertSpec{TenantID: tenantID, Source: alert.SourceSigma, Title: r.Title, Severity: severityOf(r.Level),
		RuleID: r.ID, RuleAuthor: r.Author, Key: "demo-host|admin", At: time.Now().UTC(),
		Detail: map[string]any{"host.name": "demo-host", "user.name": "admin"}})
}
