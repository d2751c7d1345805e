package detect

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/ueba"
	"github.com/opsward/opsward/tenants"
)

// A user's sshd logins, sent through the syslog path, teach the detector
// its baseline without raising anything; a login from a network the user
// never came from then raises one behaviour alert (the source the
// migration admits on both backends), and its repeat folds into it.
func TestIngestRaisesBehaviourAlerts(t *testing.T) {
	for _, b := range ingestBackends {
		t.Run(b.name, func(t *testing.T) {
			e := newIngestEnv(t, b.config(t))
			e.svc.Behaviour = ueba.NewDetector(ueba.Config{})
			bg := context.Background()
			now := time.Now().UTC()
			login := func(at time.Time, from string) {
				t.Helper()
				line := fmt.Sprintf("<38>%s web-1 sshd[411]: Accepted publickey for alice from %s port 52113 ssh2", at.Format(time.Stamp), from)
				ev, err := normalize.Normalize([]byte(line), normalize.FormatAuto, now)
				if err != nil {
					t.Fatal(err)
				}
				e.svc.takeSyslog(bg, []syslogItem{{tenantID: e.customer.ID, sourceID: "ls_test", ev: ev}})
			}
			start := now.Add(-12 * 24 * time.Hour).Truncate(24 * time.Hour).Add(9 * time.Hour)
			for d := range 11 {
				login(start.Add(time.Duration(d)*24*time.Hour), "10.0.0.7")
				login(start.Add(time.Duration(d)*24*time.Hour+5*time.Hour), "10.0.0.8")
			}
			if got := e.behaviourAlerts(t); len(got) != 0 {
				t.Fatalf("behaviour alerts while learning: %v", got)
			}
			odd := start.Add(11*24*time.Hour + 2*time.Hour)
			login(odd, "203.0.113.9")
			login(odd.Add(time.Minute), "203.0.113.9")
			got := e.behaviourAlerts(t)
			if len(got) != 1 {
				t.Fatalf("behaviour alerts %v, want one", got)
			}
			a := got[0]
			if a.RuleID != "ueba:new_source_network" || a.Severity != alert.SeverityLow || a.Count != 1 {
				t.Errorf("alert %s severity %s count %d, want ueba:new_source_network, low, 1", a.RuleID, a.Severity, a.Count)
			}
			if a.Title != "Unusual behaviour of alice: new source network" {
				t.Errorf("title %q", a.Title)
			}
		})
	}
}

type behaviourAlert1 struct {
	RuleID   string
	Severity alert.Severity
	Count    int
	Title    string
}

func (e *ingestEnv) behaviourAlerts(t *testing.T) []behaviourAlert1 {
	t.Helper()
	as, err := e.client.Alert.Query().Where(alert.TenantID(e.customer.ID), alert.SourceEQ(alert.SourceBehaviour)).
		All(tenants.Privileged(context.Background(), "test: read alerts"))
	if err != nil {
		t.Fatal(err)
	}
	var out []behaviourAlert1
	for _, a := range as {
		out = append(out, behaviourAlert1{a.RuleID, a.Severity, a.Count, a.Title})
	}
	return out
}
