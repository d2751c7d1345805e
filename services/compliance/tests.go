package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// The automated tests, by id.
const (
	TestAssetMonitored    = "asset-monitored"
	TestSLAMet            = "sla-met"
	TestIncidentAck       = "incident-mtta"
	TestIncidentResolve   = "incident-mttr"
	TestAlertTriage       = "alert-triage"
	TestLogCoverage       = "log-coverage"
	TestAuditChain        = "audit-chain"
	TestMFA               = "mfa-privileged"
	TestAPIKeyAge         = "api-key-age"
	TestAccessReview      = "access-review"
	TestTLSExpiry         = "tls-expiry"
	TestBackupHeartbeat   = "backup-heartbeat"
	TestDetectionCoverage = "detection-coverage"
)

// Tactics are the MITRE ATT&CK enterprise tactics, as Sigma tags name
// them.
var Tactics = []string{"reconnaissance", "resource_development", "initial_access", "execution", "persistence",
	"privilege_escalation", "defense_evasion", "credential_access", "discovery", "lateral_movement",
	"collection", "command_and_control", "exfiltration", "impact"}

// Policy holds the limits the tests judge against.
type Policy struct {
	// Ack and Resolve are the incident response times by severity.
	Ack, Resolve map[string]time.Duration
	// Triage is the time to acknowledge a security alert by severity;
	// severities not listed are not tested.
	Triage map[string]time.Duration
	// KeyMaxAge, ReviewMaxAge, CertMinValidity and LogWindow bound key
	// age, access review age, certificate validity and log silence.
	KeyMaxAge, ReviewMaxAge, CertMinValidity, LogWindow time.Duration
	// Tactics are the ATT&CK tactics that need at least one enabled rule.
	Tactics []string
}

// DefaultPolicy is the provider's standard response policy.
func DefaultPolicy() Policy {
	return Policy{
		Ack: map[string]time.Duration{"critical": 15 * time.Minute, "high": 30 * time.Minute, "medium": 4 * time.Hour,
			"low": 24 * time.Hour, "info": 24 * time.Hour},
		Resolve: map[string]time.Duration{"critical": 4 * time.Hour, "high": 8 * time.Hour, "medium": 72 * time.Hour,
			"low": 7 * 24 * time.Hour, "info": 7 * 24 * time.Hour},
		Triage:    map[string]time.Duration{"critical": 15 * time.Minute, "high": time.Hour},
		KeyMaxAge: 90 * 24 * time.Hour, ReviewMaxAge: 90 * 24 * time.Hour,
		CertMinValidity: 14 * 24 * time.Hour, LogWindow: 24 * time.Hour,
		// Reconnaissance and resource development happen before an
		// attacker touches the customer's systems: logs rarely show them.
		Tactics: Tactics[2:],
	}
}

// Result is one resource's outcome in a test run.
type Result struct {
	Resource string `json:"resource"`
	Name     string `json:"name"`
	Pass     bool   `json:"pass"`
	Reason   string `json:"reason"`
}

// Test statuses.
const (
	StatusPassing     = "passing"
	StatusFailing     = "failing"
	StatusNoResources = "no_resources"
	StatusNotTested   = "not_tested"
	StatusNA          = "not_applicable"
)

// Test is one automated test: a judgement over facts, one result per
// resource.
type Test struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Control  string `json:"control"`
	evaluate func(f *Facts, p Policy) []Result
}

// Evaluate judges the facts. Results are sorted by resource.
func (t Test) Evaluate(f *Facts, p Policy) []Result {
	rs := t.evaluate(f, p)
	slices.SortStableFunc(rs, func(a, b Result) int { return strings.Compare(a.Resource, b.Resource) })
	return rs
}

// StatusOf sums results: failing when one fails, passing when all pass,
// no_resources with none.
func StatusOf(rs []Result) string {
	if len(rs) == 0 {
		return StatusNoResources
	}
	for _, r := range rs {
		if !r.Pass {
			return StatusFailing
		}
	}
	return StatusPassing
}

func pass(id, name, format string, a ...any) Result {
	return Result{Resource: id, Name: name, Pass: true, Reason: fmt.Sprintf(format, a...)}
}

func fail(id, name, format string, a ...any) Result {
	return Result{Resource: id, Name: name, Reason: fmt.Sprintf(format, a...)}
}

func day(d time.Duration) string { return fmt.Sprintf("%d days", int(d/(24*time.Hour))) }

var tests = []Test{
	{ID: TestAssetMonitored, Name: "Every high or critical asset has an active monitor", Control: "CTL-ASSET-01",
		evaluate: func(f *Facts, _ Policy) []Result {
			active := map[string]int{}
			for _, m := range f.Monitors {
				if !m.Paused {
					active[m.AssetID]++
				}
			}
			var out []Result
			for _, a := range f.Assets {
				if a.Criticality != "high" && a.Criticality != "critical" {
					continue
				}
				if n := active[a.ID]; n > 0 {
					out = append(out, pass(a.ID, a.Name, "%d active monitor(s)", n))
				} else {
					out = append(out, fail(a.ID, a.Name, "%s asset with no active monitor", a.Criticality))
				}
			}
			return out
		}},
	{ID: TestSLAMet, Name: "Every monitored service met its SLA target", Control: "CTL-AVAIL-01",
		evaluate: func(f *Facts, _ Policy) []Result {
			var out []Result
			for _, m := range f.Monitors {
				switch {
				case m.SLATarget == nil:
					continue
				case !m.HasData:
					out = append(out, pass(m.ID, m.Name, "no judged checks in the period: no breach shown"))
				case m.Breached:
					out = append(out, fail(m.ID, m.Name, "uptime %.3f%% is below the target %g%%", m.Uptime, *m.SLATarget))
				default:
					out = append(out, pass(m.ID, m.Name, "uptime %.3f%% meets the target %g%%", m.Uptime, *m.SLATarget))
				}
			}
			return out
		}},
	{ID: TestIncidentAck, Name: "Incidents acknowledged within the policy's time (MTTA)", Control: "CTL-INC-01",
		evaluate: func(f *Facts, p Policy) []Result {
			var out []Result
			for _, i := range f.Incidents {
				out = append(out, within(i.ID, i.Title, i.Severity, i.OpenedAt, i.AckedAt, f.Now, p.Ack, "acknowledged"))
			}
			return out
		}},
	{ID: TestIncidentResolve, Name: "Incidents resolved within the policy's time (MTTR)", Control: "CTL-INC-01",
		evaluate: func(f *Facts, p Policy) []Result {
			var out []Result
			for _, i := range f.Incidents {
				out = append(out, within(i.ID, i.Title, i.Severity, i.OpenedAt, i.ResolvedAt, f.Now, p.Resolve, "resolved"))
			}
			return out
		}},
	{ID: TestAlertTriage, Name: "High and critical security alerts triaged in time", Control: "CTL-SOC-01",
		evaluate: func(f *Facts, p Policy) []Result {
			var out []Result
			for _, a := range f.Alerts {
				if _, ok := p.Triage[a.Severity]; !ok {
					continue
				}
				// Closing an alert triages it too.
				done := a.AckedAt
				if done == nil || (a.ClosedAt != nil && a.ClosedAt.Before(*done)) {
					done = a.ClosedAt
				}
				out = append(out, within(a.ID, a.Title, a.Severity, a.FirstSeen, done, f.Now, p.Triage, "triaged"))
			}
			return out
		}},
	{ID: TestLogCoverage, Name: "Every server asset sent logs in the last 24 hours", Control: "CTL-LOG-01",
		evaluate: func(f *Facts, p Policy) []Result {
			var out []Result
			for _, a := range f.Assets {
				if a.Kind != "host" {
					continue
				}
				switch {
				case a.LastLogAt == nil:
					out = append(out, fail(a.ID, a.Name, "no security event from this server was ever stored"))
				case f.Now.Sub(*a.LastLogAt) > p.LogWindow:
					out = append(out, fail(a.ID, a.Name, "last log %s ago, more than %s", f.Now.Sub(*a.LastLogAt).Round(time.Minute), p.LogWindow))
				default:
					out = append(out, pass(a.ID, a.Name, "last log %s ago", f.Now.Sub(*a.LastLogAt).Round(time.Minute)))
				}
			}
			return out
		}},
	{ID: TestAuditChain, Name: "The audit chain verifies intact", Control: "CTL-LOG-02",
		evaluate: func(f *Facts, _ Policy) []Result {
			if len(f.Audit.Problems) > 0 {
				return []Result{fail(f.TenantID, "audit log", "%d break(s) in %d entries: %s", len(f.Audit.Problems), f.Audit.Checked,
					strings.Join(f.Audit.Problems, "; "))}
			}
			return []Result{pass(f.TenantID, "audit log", "%d entries verified", f.Audit.Checked)}
		}},
	{ID: TestMFA, Name: "MFA on for every owner and admin", Control: "CTL-IAM-01",
		evaluate: func(f *Facts, _ Policy) []Result {
			var out []Result
			for _, m := range f.Members {
				if m.Role != string(opsward.RoleOwner) && m.Role != string(opsward.RoleAdmin) {
					continue
				}
				if m.MFA {
					out = append(out, pass(m.MembershipID, m.Email, "%s with a second factor", m.Role))
				} else {
					out = append(out, fail(m.MembershipID, m.Email, "%s without a second factor", m.Role))
				}
			}
			return out
		}},
	{ID: TestAPIKeyAge, Name: "No API key older than 90 days", Control: "CTL-IAM-02",
		evaluate: func(f *Facts, p Policy) []Result {
			var out []Result
			for _, k := range f.APIKeys {
				age := f.Now.Sub(k.CreatedAt)
				if age > p.KeyMaxAge {
					out = append(out, fail(k.ID, k.Name, "%s old, rotate it (limit %s)", day(age), day(p.KeyMaxAge)))
				} else {
					out = append(out, pass(k.ID, k.Name, "%s old", day(age)))
				}
			}
			return out
		}},
	{ID: TestAccessReview, Name: "Memberships reviewed within 90 days", Control: "CTL-IAM-03",
		evaluate: func(f *Facts, p Policy) []Result {
			switch {
			case f.LastAccessReview == nil:
				return []Result{fail(f.TenantID, "memberships", "no access review recorded")}
			case f.Now.Sub(*f.LastAccessReview) > p.ReviewMaxAge:
				return []Result{fail(f.TenantID, "memberships", "last reviewed %s ago (limit %s)", day(f.Now.Sub(*f.LastAccessReview)), day(p.ReviewMaxAge))}
			}
			return []Result{pass(f.TenantID, "memberships", "%d memberships, reviewed %s ago", len(f.Members), day(f.Now.Sub(*f.LastAccessReview)))}
		}},
	{ID: TestTLSExpiry, Name: "TLS certificates valid for more than 14 days", Control: "CTL-CRYPTO-01",
		evaluate: func(f *Facts, p Policy) []Result {
			var out []Result
			for _, m := range f.Monitors {
				if m.Kind != "tls" {
					continue
				}
				switch {
				case m.CertNotAfter == nil:
					out = append(out, fail(m.ID, m.Name, "no certificate seen yet"))
				case m.CertNotAfter.Sub(f.Now) <= p.CertMinValidity:
					out = append(out, fail(m.ID, m.Name, "expires %s", m.CertNotAfter.UTC().Format(time.DateOnly)))
				default:
					out = append(out, pass(m.ID, m.Name, "valid until %s", m.CertNotAfter.UTC().Format(time.DateOnly)))
				}
			}
			return out
		}},
	{ID: TestBackupHeartbeat, Name: "Backup heartbeat monitors up", Control: "CTL-BACKUP-01",
		evaluate: func(f *Facts, _ Policy) []Result {
			backup := map[string]bool{}
			for _, a := range f.Assets {
				backup[a.ID] = slices.Contains(a.Tags, "backup")
			}
			var out []Result
			for _, m := range f.Monitors {
				if m.Kind != "heartbeat" || !(backup[m.AssetID] || strings.Contains(strings.ToLower(m.Name), "backup")) {
					continue
				}
				if m.Status == "up" && !m.Paused {
					out = append(out, pass(m.ID, m.Name, "up"))
				} else {
					out = append(out, fail(m.ID, m.Name, "backup heartbeat is %s", cmpStatus(m)))
				}
			}
			return out
		}},
	{ID: TestDetectionCoverage, Name: "Enabled detection rules for every required ATT&CK tactic", Control: "CTL-DET-01",
		evaluate: func(f *Facts, p Policy) []Result {
			var out []Result
			for _, t := range p.Tactics {
				if n := f.RulesByTactic[t]; n > 0 {
					out = append(out, pass("attack."+t, t, "%d enabled rule(s)", n))
				} else {
					out = append(out, fail("attack."+t, t, "no enabled rule"))
				}
			}
			return out
		}},
}

func cmpStatus(m MonitorFact) string {
	if m.Paused {
		return "paused"
	}
	return m.Status
}

// within judges one response time: done within limit[sev] of start;
// still open is a failure once the limit has passed by now.
func within(id, name, sev string, start time.Time, done *time.Time, now time.Time, limit map[string]time.Duration, verb string) Result {
	l, ok := limit[sev]
	if !ok {
		return pass(id, name, "no %s limit for %s severity", verb, sev)
	}
	if done == nil {
		if now.Sub(start) > l {
			return fail(id, name, "%s: not %s after %s (limit %s)", sev, verb, now.Sub(start).Round(time.Second), l)
		}
		return pass(id, name, "%s: open for %s, within the limit %s", sev, now.Sub(start).Round(time.Second), l)
	}
	d := done.Sub(start)
	if d > l {
		return fail(id, name, "%s: %s in %s (limit %s)", sev, verb, d.Round(time.Second), l)
	}
	return pass(id, name, "%s: %s in %s (limit %s)", sev, verb, d.Round(time.Second), l)
}

// Tests lists the automated tests.
func Tests() []Test { return tests }

// TestByID returns an automated test, or a not-found error naming the
// field "testId".
func TestByID(id string) (Test, error) {
	for _, t := range tests {
		if t.ID == id {
			return t, nil
		}
	}
	return Test{}, &opsward.Error{Code: opsward.ENOTFOUND, Field: "testId", Message: fmt.Sprintf("unknown automated test %q", id)}
}
