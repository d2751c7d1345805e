package detect

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/ent/detectionrule"
	"github.com/opsward/opsward/ent/logsource"
	"github.com/opsward/opsward/tenants"
)

// demoRuleID is the id of demoRule, by which demonstration tenants are
// known.
const demoRuleID = "0b4c1e8a-demo-4c6f-9d1e-0c8f7a1b2c3d"

// demoRule is a tenant's own rule in the demonstration data.
const demoRule = `title: Demo - admin logon from outside office hours
id: ` + demoRuleID + `
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

// DemoFeed is where a demonstration tenant's events arrive: the tenant and
// its demonstration log source.
type DemoFeed struct {
	TenantID, SourceID string
}

// DemoFeeds lists the demonstration tenants (those holding the demo rule)
// and the log source of each, oldest tenant first. Demo mode feeds them.
func (s *Service) DemoFeeds(ctx context.Context) ([]DemoFeed, error) {
	pctx := tenants.Privileged(ctx, "find demo tenants")
	rules, err := s.Client.DetectionRule.Query().Where(detectionrule.RuleID(demoRuleID)).
		Order(ent.Asc(detectionrule.FieldTenantID)).All(pctx)
	if err != nil {
		return nil, storageErr(err)
	}
	var out []DemoFeed
	for _, r := range rules {
		src, err := s.Client.LogSource.Query().Where(logsource.TenantID(r.TenantID)).
			Order(ent.Asc(logsource.FieldCreatedAt)).First(pctx)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, storageErr(err)
		}
		out = append(out, DemoFeed{TenantID: r.TenantID, SourceID: src.ID})
	}
	return out, nil
}

// DemoEvent is the n-th demonstration event: an ECS Linux authentication
// event, an administrator's logon, which the demo rule matches. Hosts
// take turns so that alerts of several hosts appear.
func DemoEvent(n int, at time.Time) []byte {
	hosts := []string{"web-1", "web-2", "db-1"}
	ev := map[string]any{
		"@timestamp": at.UTC().Format(time.RFC3339Nano),
		"message":    "Accepted password for admin from 198.51.100.66 port 51122 ssh2",
		"event":      map[string]any{"kind": "event", "category": []string{"authentication"}, "type": []string{"start"}, "outcome": "success"},
		"user":       map[string]any{"name": "admin"},
		"host":       map[string]any{"name": hosts[n%len(hosts)], "os": map[string]any{"type": "linux"}},
		"process":    map[string]any{"name": "sshd"},
		"source":     map[string]any{"ip": "198.51.100.66"},
	}
	b, _ := json.Marshal(ev) // a map of strings and lists: cannot fail
	return b
}
