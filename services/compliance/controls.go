package compliance

import (
	"fmt"
	"slices"

	"github.com/opsward/opsward"
)

// Control is one control of the provider's library (global: the same for
// every customer). It satisfies requirements in several frameworks,
// through its mapping topics and any refs of its own; its automated tests
// decide its status, or, with none, manual evidence and attestations do.
type Control struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Topics      []string `json:"topics"`
	Extra       []Ref    `json:"extra,omitempty"`
	Tests       []string `json:"tests,omitempty"`
}

// Requirements lists every requirement the control satisfies.
func (c Control) Requirements() []Ref {
	var out []Ref
	add := func(r Ref) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, t := range c.Topics {
		m, _ := MappingByTopic(t)
		for _, r := range m.Refs {
			add(r)
		}
	}
	for _, r := range c.Extra {
		add(r)
	}
	return out
}

// Covers reports whether the control satisfies a requirement of fw.
func (c Control) Covers(fw, req string) bool {
	return slices.Contains(c.Requirements(), Ref{fw, req})
}

var library = []Control{
	{ID: "CTL-ASSET-01", Title: "Critical assets are monitored",
		Description: "Every asset of high or critical importance has at least one active monitor.",
		Topics:      []string{"asset-inventory", "monitoring"}, Tests: []string{TestAssetMonitored}},
	{ID: "CTL-AVAIL-01", Title: "Services meet their availability targets",
		Description: "Each monitored service with an SLA met its target over the period.",
		Topics:      []string{"availability"}, Tests: []string{TestSLAMet}},
	{ID: "CTL-INC-01", Title: "Incidents are handled within policy",
		Description: "Incidents are acknowledged (MTTA) and resolved (MTTR) within the response policy.",
		Topics:      []string{"incident-response"}, Tests: []string{TestIncidentAck, TestIncidentResolve}},
	{ID: "CTL-SOC-01", Title: "Security alerts are triaged in time",
		Description: "High and critical security alerts are acknowledged within their triage time.",
		Topics:      []string{"event-triage"}, Tests: []string{TestAlertTriage}},
	{ID: "CTL-LOG-01", Title: "Servers send their logs",
		Description: "Every server asset sent security logs within the last 24 hours.",
		Topics:      []string{"logging"}, Tests: []string{TestLogCoverage}},
	{ID: "CTL-LOG-02", Title: "The audit trail cannot be changed unseen",
		Description: "The tenant's hash-chained audit log verifies intact.",
		Topics:      []string{"log-integrity"}, Tests: []string{TestAuditChain}},
	{ID: "CTL-IAM-01", Title: "Privileged users use multi-factor authentication",
		Description: "Every owner and admin has a second factor enrolled.",
		Topics:      []string{"mfa"}, Tests: []string{TestMFA}},
	{ID: "CTL-IAM-02", Title: "API keys are rotated",
		Description: "No active API key is older than 90 days.",
		Topics:      []string{"key-rotation"}, Tests: []string{TestAPIKeyAge}},
	{ID: "CTL-IAM-03", Title: "Access is reviewed",
		Description: "A person reviewed the tenant's memberships within the last 90 days.",
		Topics:      []string{"access-review"}, Tests: []string{TestAccessReview}},
	{ID: "CTL-CRYPTO-01", Title: "TLS certificates stay valid",
		Description: "Every certificate watched by a TLS monitor is valid for more than 14 more days.",
		Topics:      []string{"tls"}, Tests: []string{TestTLSExpiry}},
	{ID: "CTL-BACKUP-01", Title: "Backups run",
		Description: "Every backup heartbeat monitor is up: the backup jobs report in.",
		Topics:      []string{"backup"}, Tests: []string{TestBackupHeartbeat}},
	{ID: "CTL-DET-01", Title: "Detection covers the attack tactics",
		Description: "Enabled detection rules cover each MITRE ATT&CK tactic the policy requires.",
		Topics:      []string{"detection-coverage"}, Tests: []string{TestDetectionCoverage}},
	{ID: "CTL-GOV-01", Title: "A security policy is approved and reviewed",
		Description: "The written security policy is approved by management and reviewed yearly (manual evidence).",
		Extra: []Ref{{"iso27001", "A.5.1"}, {"soc2", "CC5.3"}, {"nist-csf", "GV.PO-01"}, {"nist-csf", "GV.PO-02"},
			{"pci-dss", "12"}, {"hipaa", "164.308(a)(1)"}}},
	{ID: "CTL-GOV-02", Title: "Staff are trained in security",
		Description: "Staff complete security awareness training each year (manual evidence).",
		Extra:       []Ref{{"iso27001", "A.6.3"}, {"soc2", "CC1.4"}, {"nist-csf", "PR.AT-01"}, {"hipaa", "164.308(a)(5)"}}},
}

// Library lists the provider's controls.
func Library() []Control { return library }

// ControlByID returns a control of the library, or a not-found error
// naming the field "controlId".
func ControlByID(id string) (Control, error) {
	for _, c := range library {
		if c.ID == id {
			return c, nil
		}
	}
	return Control{}, &opsward.Error{Code: opsward.ENOTFOUND, Field: "controlId", Message: fmt.Sprintf("unknown control %q", id)}
}

// ControlsFor lists the controls that cover at least one requirement of
// the framework.
func ControlsFor(fw string) []Control {
	var out []Control
	for _, c := range library {
		for _, r := range c.Requirements() {
			if r.Framework == fw {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
