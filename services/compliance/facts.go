package compliance

import (
	"context"
	"time"
)

// Source gathers the facts of one tenant over a period from the other
// services' public functions (cmd/opsward implements it). ctx carries an
// actor that reaches the tenant.
type Source interface {
	Facts(ctx context.Context, tenantID string, p Period) (*Facts, error)
}

// Facts is what the automated tests and the reports judge: a tenant's
// inventory, monitoring results, incidents, security alerts and cases,
// identities and audit chain, as the owning services report them.
type Facts struct {
	TenantID   string `json:"tenantId"`
	TenantName string `json:"tenantName"`
	// Now is when the facts were read; tests that look at "the last 24
	// hours" or "older than 90 days" count from it.
	Now time.Time `json:"now"`

	Assets    []AssetFact    `json:"assets"`
	Monitors  []MonitorFact  `json:"monitors"`
	Incidents []IncidentFact `json:"incidents"`
	Alerts    []AlertFact    `json:"alerts"`
	Cases     []CaseFact     `json:"cases"`
	Members   []MemberFact   `json:"members"`
	APIKeys   []KeyFact      `json:"apiKeys"`
	Audit     AuditFact      `json:"audit"`
	// RulesByTactic counts the tenant's enabled detection rules per
	// ATT&CK tactic (the Sigma tag without "attack.": "execution").
	RulesByTactic map[string]int `json:"rulesByTactic"`
	// MonthlyUptime is the tenant's uptime over all its monitors for each
	// calendar month the period touches.
	MonthlyUptime []MonthUptime `json:"monthlyUptime"`
	// LastAccessReview is the latest access review recorded by a person
	// (kept by this package, filled in by the service).
	LastAccessReview *time.Time `json:"lastAccessReview,omitempty"`
}

// AssetFact is one asset of the inventory.
type AssetFact struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Criticality string   `json:"criticality"`
	Tags        []string `json:"tags,omitempty"`
	// LastLogAt is when a security event from this asset was last stored.
	LastLogAt *time.Time `json:"lastLogAt,omitempty"`
}

// MonitorFact is one monitor with its results over the period.
type MonitorFact struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	AssetID string `json:"assetId"`
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Paused  bool   `json:"paused"`
	// Checks by state over the period; Uptime is in percent when
	// HasData.
	Up          int64    `json:"up"`
	Degraded    int64    `json:"degraded"`
	Down        int64    `json:"down"`
	Maintenance int64    `json:"maintenance"`
	Unknown     int64    `json:"unknown"`
	Uptime      float64  `json:"uptime"`
	HasData     bool     `json:"hasData"`
	SLATarget   *float64 `json:"slaTarget,omitempty"`
	Breached    bool     `json:"breached"`
	// CertNotAfter is when the certificate a TLS monitor saw expires.
	CertNotAfter *time.Time `json:"certNotAfter,omitempty"`
}

// IncidentFact is one NOC incident opened in the period.
type IncidentFact struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	Severity   string     `json:"severity"`
	OpenedAt   time.Time  `json:"openedAt"`
	AckedAt    *time.Time `json:"ackedAt,omitempty"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
}

// AlertFact is one security alert first seen in the period.
type AlertFact struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Severity  string     `json:"severity"`
	Status    string     `json:"status"`
	FirstSeen time.Time  `json:"firstSeen"`
	AckedAt   *time.Time `json:"ackedAt,omitempty"`
	ClosedAt  *time.Time `json:"closedAt,omitempty"`
}

// CaseFact is one security case opened in the period with its times.
type CaseFact struct {
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Severity    string         `json:"severity"`
	OpenedAt    time.Time      `json:"openedAt"`
	Detect      *time.Duration `json:"detect,omitempty"`
	Acknowledge *time.Duration `json:"acknowledge,omitempty"`
	Contain     *time.Duration `json:"contain,omitempty"`
	Resolve     *time.Duration `json:"resolve,omitempty"`
}

// MemberFact is one membership of the tenant.
type MemberFact struct {
	MembershipID string `json:"membershipId"`
	UserID       string `json:"userId"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	MFA          bool   `json:"mfa"`
}

// KeyFact is one active API key.
type KeyFact struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// AuditFact is the result of verifying the tenant's audit chain.
type AuditFact struct {
	Checked  int64    `json:"checked"`
	Problems []string `json:"problems,omitempty"`
}

// MonthUptime is a month's uptime over all of a tenant's monitors.
type MonthUptime struct {
	Month   string  `json:"month"` // 2006-01
	Uptime  float64 `json:"uptime"`
	HasData bool    `json:"hasData"`
}
