package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// Report formats.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
	FormatPDF  = "pdf"
)

// ParseFormat checks a report format; the error names the field.
func ParseFormat(f string) (string, error) {
	switch f = strings.ToLower(f); f {
	case FormatJSON, FormatCSV, FormatPDF:
		return f, nil
	}
	return "", opsward.FieldErrorf("format", "unknown report format %q (json, csv or pdf)", f)
}

// ControlState is a tenant's decision on one control: the Statement of
// Applicability entry and its owner. A control never decided on is
// applicable with no justification.
type ControlState struct {
	ControlID     string    `json:"controlId"`
	Applicable    bool      `json:"applicable"`
	Justification string    `json:"justification,omitempty"`
	OwnerID       string    `json:"ownerId,omitempty"`
	UpdatedAt     time.Time `json:"updatedAt,omitzero"`
	UpdatedBy     string    `json:"updatedBy,omitempty"`
}

// Exception accepts a control's failure until it expires.
type Exception struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenantId"`
	ControlID string    `json:"controlId"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expiresAt"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

// Attestation kinds.
const (
	KindAttestation  = "attestation"
	KindAccessReview = "access_review"
)

// Attestation is a person's signed statement about a control (an access
// review is one, on CTL-IAM-03).
type Attestation struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenantId"`
	ControlID  string    `json:"controlId"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	Statement  string    `json:"statement,omitempty"`
	AttestedAt time.Time `json:"attestedAt"`
	UserID     string    `json:"userId"`
}

// AttestationValidity is how long an attestation keeps a manual control
// passing.
const AttestationValidity = 365 * 24 * time.Hour

// Snapshot is the evidence of one automated test run: what was judged,
// when, over which period, and every resource's result. Its SHA-256 is
// taken over its JSON encoding; stored snapshots are never changed.
type Snapshot struct {
	TenantID string    `json:"tenantId"`
	TestID   string    `json:"testId"`
	Control  string    `json:"control"`
	Period   Period    `json:"period"`
	RanAt    time.Time `json:"ranAt"`
	Status   string    `json:"status"`
	Passed   int       `json:"passed"`
	Failed   int       `json:"failed"`
	Results  []Result  `json:"results"`
}

// Evaluate runs a test over facts into its snapshot.
func (t Test) Snapshot(f *Facts, p Policy, period Period, ranAt time.Time) Snapshot {
	rs := t.Evaluate(f, p)
	if rs == nil {
		rs = []Result{}
	}
	s := Snapshot{TenantID: f.TenantID, TestID: t.ID, Control: t.Control, Period: period.UTC(), RanAt: ranAt.UTC(),
		Status: StatusOf(rs), Results: rs}
	for _, r := range rs {
		if r.Pass {
			s.Passed++
		} else {
			s.Failed++
		}
	}
	return s
}

// Encode returns the snapshot's stored form and its SHA-256 (hex).
func (s Snapshot) Encode() ([]byte, string) {
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// Failing lists the resources that failed.
func (s Snapshot) Failing() []Result {
	var out []Result
	for _, r := range s.Results {
		if !r.Pass {
			out = append(out, r)
		}
	}
	return out
}

// ReportInput is everything a report is built from.
type ReportInput struct {
	ID           string
	Framework    *Framework
	Period       Period
	GeneratedAt  time.Time
	Facts        *Facts
	Policy       Policy
	States       []ControlState
	Exceptions   []Exception
	Attestations []Attestation
	// Files are the manual evidence files attached to controls.
	Files []FileRef
}

// FileRef is a manual evidence file of a control, as a report cites it:
// its id and SHA-256 find it in the evidence store.
type FileRef struct {
	ID        string    `json:"id"`
	ControlID string    `json:"-"`
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	AddedAt   time.Time `json:"addedAt"`
}

// Report is a tenant's compliance report for one framework and period.
// Durations are whole seconds; percentages are rounded to 3 decimals.
type Report struct {
	ID           string              `json:"id"`
	Framework    ReportFramework     `json:"framework"`
	Tenant       ReportTenant        `json:"tenant"`
	Period       Period              `json:"period"`
	GeneratedAt  time.Time           `json:"generatedAt"`
	Scope        Scope               `json:"scope"`
	Posture      Posture             `json:"posture"`
	Controls     []ReportControl     `json:"controls"`
	Requirements []ReportRequirement `json:"requirements"`
	Uptime       UptimeSection       `json:"uptime"`
	Incidents    IncidentSection     `json:"incidents"`
	Alerts       AlertSection        `json:"alerts"`
	Cases        CaseSection         `json:"cases"`
	Attack       []TacticCoverage    `json:"attack"`
	SoA          []SoAEntry          `json:"statementOfApplicability"`
	Exceptions   []Exception         `json:"exceptions"`
}

// ReportFramework names the framework.
type ReportFramework struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ReportTenant names the tenant.
type ReportTenant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Scope is what the report covers.
type Scope struct {
	Assets       int            `json:"assets"`
	AssetsByKind map[string]int `json:"assetsByKind"`
	Monitors     int            `json:"monitors"`
	Services     []string       `json:"services"`
}

// Posture counts the framework's controls by status.
type Posture struct {
	Controls      int `json:"controls"`
	Passing       int `json:"passing"`
	Failing       int `json:"failing"`
	NotApplicable int `json:"notApplicable"`
	NotTested     int `json:"notTested"`
	Excepted      int `json:"excepted"`
}

// ReportControl is one control's status with its evidence.
type ReportControl struct {
	ID           string        `json:"id"`
	Title        string        `json:"title"`
	Status       string        `json:"status"`
	Owner        string        `json:"owner,omitempty"`
	Exception    string        `json:"exception,omitempty"`
	Tests        []TestOutcome `json:"tests,omitempty"`
	Attestations []string      `json:"attestations,omitempty"`
	Files        []FileRef     `json:"files,omitempty"`
}

// TestOutcome is one automated test's run in a report: its snapshot's
// hash is the evidence reference.
type TestOutcome struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Status  string   `json:"status"`
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	SHA256  string   `json:"sha256"`
	Failing []Result `json:"failing,omitempty"`
}

// ReportRequirement is one requirement's status and the controls behind
// it.
type ReportRequirement struct {
	ID          string   `json:"id"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	Controls    []string `json:"controls,omitempty"`
	Evidence    []string `json:"evidence,omitempty"`
}

// UptimeSection is the uptime and SLA table.
type UptimeSection struct {
	Monitors []UptimeRow   `json:"monitors"`
	WithSLA  int           `json:"withSla"`
	Breaches int           `json:"breaches"`
	Monthly  []MonthUptime `json:"monthly"`
}

// UptimeRow is one monitor's line.
type UptimeRow struct {
	MonitorID string   `json:"monitorId"`
	Name      string   `json:"name"`
	Checks    int64    `json:"checks"`
	Down      int64    `json:"down"`
	Uptime    *float64 `json:"uptime"`
	SLATarget *float64 `json:"slaTarget,omitempty"`
	Breached  bool     `json:"breached"`
}

// IncidentSection sums the incidents opened in the period.
type IncidentSection struct {
	Count       int            `json:"count"`
	BySeverity  map[string]int `json:"bySeverity"`
	Acked       int            `json:"acknowledged"`
	Resolved    int            `json:"resolved"`
	MTTASeconds int64          `json:"mttaSeconds"`
	MTTRSeconds int64          `json:"mttrSeconds"`
}

// AlertSection sums the security alerts first seen in the period.
type AlertSection struct {
	Count             int            `json:"count"`
	BySeverity        map[string]int `json:"bySeverity"`
	Acked             int            `json:"acknowledged"`
	Closed            int            `json:"closed"`
	MeanAckSeconds    int64          `json:"meanAckSeconds"`
	MeanCloseSeconds  int64          `json:"meanCloseSeconds"`
	PerWeek           []WeekCount    `json:"perWeek"`
	HighCriticalCount int            `json:"highCriticalCount"`
}

// WeekCount is alerts in the week starting on Start (a Monday, UTC).
type WeekCount struct {
	Start string `json:"start"`
	Count int    `json:"count"`
}

// CaseSection sums the security cases opened in the period with their
// times to detect, acknowledge, contain and resolve.
type CaseSection struct {
	Count              int   `json:"count"`
	Detected           int   `json:"detected"`
	Acked              int   `json:"acknowledged"`
	Contained          int   `json:"contained"`
	Resolved           int   `json:"resolved"`
	MeanDetectSeconds  int64 `json:"meanDetectSeconds"`
	MeanAckSeconds     int64 `json:"meanAckSeconds"`
	MeanContainSeconds int64 `json:"meanContainSeconds"`
	MeanResolveSeconds int64 `json:"meanResolveSeconds"`
}

// TacticCoverage is the enabled rules of one ATT&CK tactic.
type TacticCoverage struct {
	Tactic   string `json:"tactic"`
	Rules    int    `json:"rules"`
	Required bool   `json:"required"`
}

// SoAEntry is one line of the Statement of Applicability.
type SoAEntry struct {
	ControlID     string `json:"controlId"`
	Title         string `json:"title"`
	Applicable    bool   `json:"applicable"`
	Justification string `json:"justification,omitempty"`
}

// round3 rounds a percentage to three decimals.
func round3(v float64) float64 {
	return float64(int64(v*1000+0.5)) / 1000
}

func meanSeconds(sum time.Duration, n int) int64 {
	if n == 0 {
		return 0
	}
	return int64((sum / time.Duration(n)) / time.Second)
}

// weekStart is the Monday (UTC) of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// BuildReport judges the facts and assembles the report. It is pure: the
// same input gives the same report.
func BuildReport(in ReportInput) (*Report, error) {
	f, fw := in.Facts, in.Framework
	if f == nil || fw == nil {
		return nil, opsward.Internal(fmt.Errorf("report without facts or framework"))
	}
	r := &Report{ID: in.ID, Framework: ReportFramework{fw.ID, fw.Name, fw.Version},
		Tenant: ReportTenant{f.TenantID, f.TenantName}, Period: in.Period.UTC(), GeneratedAt: in.GeneratedAt.UTC(),
		Exceptions: []Exception{}}

	// Scope.
	r.Scope = Scope{Assets: len(f.Assets), AssetsByKind: map[string]int{}, Monitors: len(f.Monitors), Services: []string{}}
	for _, a := range f.Assets {
		r.Scope.AssetsByKind[a.Kind]++
	}
	if len(f.Monitors) > 0 {
		r.Scope.Services = append(r.Scope.Services, "noc")
	}
	if len(f.Alerts) > 0 || len(f.Cases) > 0 || len(f.RulesByTactic) > 0 {
		r.Scope.Services = append(r.Scope.Services, "soc")
	}

	// Controls of the framework, judged.
	states := map[string]ControlState{}
	for _, s := range in.States {
		states[s.ControlID] = s
	}
	snaps := map[string]Snapshot{}
	hashes := map[string]string{}
	for _, t := range Tests() {
		s := t.Snapshot(f, in.Policy, in.Period, in.GeneratedAt)
		_, h := s.Encode()
		snaps[t.ID], hashes[t.ID] = s, h
	}
	status := map[string]string{}
	evidence := map[string][]string{}
	for _, c := range ControlsFor(fw.ID) {
		st, ok := states[c.ID]
		if !ok {
			st = ControlState{ControlID: c.ID, Applicable: true}
		}
		rc := ReportControl{ID: c.ID, Title: c.Title, Owner: st.OwnerID}
		for _, a := range in.Attestations {
			if a.ControlID == c.ID && !a.AttestedAt.After(in.GeneratedAt) {
				rc.Attestations = append(rc.Attestations, fmt.Sprintf("%s by %s on %s", a.Kind, a.Name, a.AttestedAt.UTC().Format(time.DateOnly)))
			}
		}
		switch {
		case !st.Applicable:
			rc.Status = StatusNA
		case len(c.Tests) > 0:
			rc.Status = StatusPassing
			for _, id := range c.Tests {
				s := snaps[id]
				t, _ := TestByID(id)
				rc.Tests = append(rc.Tests, TestOutcome{ID: id, Name: t.Name, Status: s.Status, Passed: s.Passed, Failed: s.Failed,
					SHA256: hashes[id], Failing: s.Failing()})
				if s.Status == StatusFailing {
					rc.Status = StatusFailing
				}
				evidence[c.ID] = append(evidence[c.ID], "run:"+hashes[id])
			}
		default:
			rc.Status = StatusNotTested
			for _, a := range in.Attestations {
				if a.ControlID == c.ID && !a.AttestedAt.After(in.GeneratedAt) && in.GeneratedAt.Sub(a.AttestedAt) <= AttestationValidity {
					rc.Status = StatusPassing
				}
			}
		}
		for _, a := range in.Attestations {
			if a.ControlID == c.ID && !a.AttestedAt.After(in.GeneratedAt) {
				evidence[c.ID] = append(evidence[c.ID], "attestation:"+a.ID)
			}
		}
		for _, f := range in.Files {
			if f.ControlID == c.ID && !f.AddedAt.Truncate(time.Second).After(in.GeneratedAt) {
				rc.Files = append(rc.Files, f)
				evidence[c.ID] = append(evidence[c.ID], "file:"+f.ID)
			}
		}
		for _, e := range in.Exceptions {
			if e.ControlID == c.ID && e.ExpiresAt.After(in.GeneratedAt) && !e.CreatedAt.After(in.GeneratedAt) {
				rc.Exception = fmt.Sprintf("%s (until %s)", e.Reason, e.ExpiresAt.UTC().Format(time.DateOnly))
				r.Exceptions = append(r.Exceptions, e)
			}
		}
		status[c.ID] = rc.Status
		r.Controls = append(r.Controls, rc)
		r.SoA = append(r.SoA, SoAEntry{ControlID: c.ID, Title: c.Title, Applicable: st.Applicable, Justification: st.Justification})
		r.Posture.Controls++
		switch rc.Status {
		case StatusPassing:
			r.Posture.Passing++
		case StatusFailing:
			r.Posture.Failing++
			if rc.Exception != "" {
				r.Posture.Excepted++
			}
		case StatusNA:
			r.Posture.NotApplicable++
		default:
			r.Posture.NotTested++
		}
	}

	// Requirements: each leaf of the tree with the controls behind it.
	for _, q := range fw.Leaves() {
		rr := ReportRequirement{ID: q.ID, Description: q.Description}
		var sts []string
		for _, c := range ControlsFor(fw.ID) {
			if c.Covers(fw.ID, q.ID) {
				rr.Controls = append(rr.Controls, c.ID)
				rr.Evidence = append(rr.Evidence, evidence[c.ID]...)
				sts = append(sts, status[c.ID])
			}
		}
		rr.Status = rollUp(sts)
		r.Requirements = append(r.Requirements, rr)
	}

	// Uptime and SLA.
	r.Uptime.Monitors = []UptimeRow{}
	for _, m := range f.Monitors {
		row := UptimeRow{MonitorID: m.ID, Name: m.Name, Checks: m.Up + m.Degraded + m.Down + m.Maintenance + m.Unknown, Down: m.Down,
			SLATarget: m.SLATarget, Breached: m.Breached}
		if m.HasData {
			u := round3(m.Uptime)
			row.Uptime = &u
		}
		if m.SLATarget != nil {
			r.Uptime.WithSLA++
			if m.Breached {
				r.Uptime.Breaches++
			}
		}
		r.Uptime.Monitors = append(r.Uptime.Monitors, row)
	}
	r.Uptime.Monthly = []MonthUptime{}
	for _, m := range f.MonthlyUptime {
		m.Uptime = round3(m.Uptime)
		r.Uptime.Monthly = append(r.Uptime.Monthly, m)
	}

	// Incidents.
	r.Incidents.BySeverity = map[string]int{}
	var ack, res time.Duration
	for _, i := range f.Incidents {
		r.Incidents.Count++
		r.Incidents.BySeverity[i.Severity]++
		if i.AckedAt != nil {
			r.Incidents.Acked++
			ack += i.AckedAt.Sub(i.OpenedAt)
		}
		if i.ResolvedAt != nil {
			r.Incidents.Resolved++
			res += i.ResolvedAt.Sub(i.OpenedAt)
		}
	}
	r.Incidents.MTTASeconds, r.Incidents.MTTRSeconds = meanSeconds(ack, r.Incidents.Acked), meanSeconds(res, r.Incidents.Resolved)

	// Alerts, with one bar per week of the period.
	r.Alerts.BySeverity = map[string]int{}
	weeks := map[time.Time]int{}
	for w := weekStart(in.Period.From); w.Before(in.Period.To); w = w.AddDate(0, 0, 7) {
		weeks[w] = 0
	}
	var aack, aclose time.Duration
	for _, a := range f.Alerts {
		r.Alerts.Count++
		r.Alerts.BySeverity[a.Severity]++
		if a.Severity == "high" || a.Severity == "critical" {
			r.Alerts.HighCriticalCount++
		}
		if a.AckedAt != nil {
			r.Alerts.Acked++
			aack += a.AckedAt.Sub(a.FirstSeen)
		}
		if a.ClosedAt != nil {
			r.Alerts.Closed++
			aclose += a.ClosedAt.Sub(a.FirstSeen)
		}
		weeks[weekStart(a.FirstSeen)]++
	}
	r.Alerts.MeanAckSeconds, r.Alerts.MeanCloseSeconds = meanSeconds(aack, r.Alerts.Acked), meanSeconds(aclose, r.Alerts.Closed)
	r.Alerts.PerWeek = []WeekCount{}
	for w, n := range weeks {
		r.Alerts.PerWeek = append(r.Alerts.PerWeek, WeekCount{w.Format(time.DateOnly), n})
	}
	sort.Slice(r.Alerts.PerWeek, func(i, j int) bool { return r.Alerts.PerWeek[i].Start < r.Alerts.PerWeek[j].Start })

	// Cases.
	var det, cack, con, cres time.Duration
	for _, c := range f.Cases {
		r.Cases.Count++
		if c.Detect != nil {
			r.Cases.Detected++
			det += *c.Detect
		}
		if c.Acknowledge != nil {
			r.Cases.Acked++
			cack += *c.Acknowledge
		}
		if c.Contain != nil {
			r.Cases.Contained++
			con += *c.Contain
		}
		if c.Resolve != nil {
			r.Cases.Resolved++
			cres += *c.Resolve
		}
	}
	r.Cases.MeanDetectSeconds = meanSeconds(det, r.Cases.Detected)
	r.Cases.MeanAckSeconds = meanSeconds(cack, r.Cases.Acked)
	r.Cases.MeanContainSeconds = meanSeconds(con, r.Cases.Contained)
	r.Cases.MeanResolveSeconds = meanSeconds(cres, r.Cases.Resolved)

	// ATT&CK coverage.
	for _, t := range Tactics {
		r.Attack = append(r.Attack, TacticCoverage{Tactic: t, Rules: f.RulesByTactic[t], Required: slices.Contains(in.Policy.Tactics, t)})
	}
	return r, nil
}

// rollUp sums the statuses of the controls behind a requirement.
func rollUp(sts []string) string {
	if len(sts) == 0 {
		return StatusNotTested
	}
	out := StatusNA
	for _, s := range sts {
		switch s {
		case StatusFailing:
			return StatusFailing
		case StatusNotTested:
			out = StatusNotTested
		case StatusPassing:
			if out == StatusNA {
				out = StatusPassing
			}
		}
	}
	return out
}

// JSON renders the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, opsward.Internal(err)
	}
	return append(b, '\n'), nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
