package compliance

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/opsward/opsward"
)

// Render writes the report in a format (json, csv or pdf), unsigned.
func (r *Report) Render(format string) ([]byte, error) {
	switch format {
	case FormatJSON:
		return r.JSON()
	case FormatCSV:
		return r.CSV()
	case FormatPDF:
		return r.PDF()
	}
	_, err := ParseFormat(format)
	return nil, err
}

func secs(s int64) string { return (time.Duration(s) * time.Second).String() }

func pct(p *float64) string {
	if p == nil {
		return "no data"
	}
	return strconv.FormatFloat(*p, 'f', 3, 64) + "%"
}

// CSV writes the report as one table: section, id, name, status, value.
func (r *Report) CSV() ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	row := func(v ...string) { _ = w.Write(v) }
	row("section", "id", "name", "status", "value")
	row("report", r.ID, r.Framework.Name+" "+r.Framework.Version, "", r.Period.From.Format(time.RFC3339)+"/"+r.Period.To.Format(time.RFC3339))
	row("tenant", r.Tenant.ID, r.Tenant.Name, "", fmt.Sprintf("assets=%d monitors=%d", r.Scope.Assets, r.Scope.Monitors))
	p := r.Posture
	row("posture", "", "controls", "", fmt.Sprintf("passing=%d failing=%d not_applicable=%d not_tested=%d excepted=%d", p.Passing, p.Failing, p.NotApplicable, p.NotTested, p.Excepted))
	for _, c := range r.Controls {
		row("control", c.ID, c.Title, c.Status, c.Exception)
		for _, t := range c.Tests {
			row("test", t.ID, t.Name, t.Status, fmt.Sprintf("passed=%d failed=%d sha256=%s", t.Passed, t.Failed, t.SHA256))
		}
		for _, f := range c.Files {
			row("file", f.ID, f.Name, "", "sha256="+f.SHA256)
		}
	}
	for _, q := range r.Requirements {
		row("requirement", q.ID, q.Description, q.Status, joinComma(q.Controls))
	}
	for _, m := range r.Uptime.Monitors {
		sla := ""
		if m.SLATarget != nil {
			sla = fmt.Sprintf("target=%g breached=%t", *m.SLATarget, m.Breached)
		}
		row("uptime", m.MonitorID, m.Name, pct(m.Uptime), sla)
	}
	for _, m := range r.Uptime.Monthly {
		u := m.Uptime
		row("uptime_month", m.Month, "", pctIf(u, m.HasData), "")
	}
	i := r.Incidents
	row("incidents", "", "incidents", "", fmt.Sprintf("count=%d acknowledged=%d resolved=%d mtta_s=%d mttr_s=%d", i.Count, i.Acked, i.Resolved, i.MTTASeconds, i.MTTRSeconds))
	a := r.Alerts
	row("alerts", "", "alerts", "", fmt.Sprintf("count=%d high_critical=%d acknowledged=%d closed=%d mean_ack_s=%d mean_close_s=%d", a.Count, a.HighCriticalCount, a.Acked, a.Closed, a.MeanAckSeconds, a.MeanCloseSeconds))
	for _, wk := range a.PerWeek {
		row("alerts_week", wk.Start, "", "", strconv.Itoa(wk.Count))
	}
	c := r.Cases
	row("cases", "", "cases", "", fmt.Sprintf("count=%d mean_detect_s=%d mean_ack_s=%d mean_contain_s=%d mean_resolve_s=%d", c.Count, c.MeanDetectSeconds, c.MeanAckSeconds, c.MeanContainSeconds, c.MeanResolveSeconds))
	for _, t := range r.Attack {
		row("attack", t.Tactic, "", strconv.FormatBool(t.Required), strconv.Itoa(t.Rules))
	}
	for _, s := range r.SoA {
		row("soa", s.ControlID, s.Title, strconv.FormatBool(s.Applicable), s.Justification)
	}
	for _, e := range r.Exceptions {
		row("exception", e.ID, e.ControlID, e.ExpiresAt.Format(time.DateOnly), e.Reason)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, opsward.Internal(err)
	}
	return b.Bytes(), nil
}

func pctIf(v float64, ok bool) string {
	if !ok {
		return "no data"
	}
	return pct(&v)
}

func joinComma(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// PDF renders the report for people: a cover with scope and posture,
// the charts (uptime per month, alerts per week), then the tables.
func (r *Report) PDF() ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	title := fmt.Sprintf("%s compliance report", r.Framework.Name)
	pdf.SetTitle(title, true)
	pdf.SetCreator("Opsward", true)
	pdf.SetCreationDate(r.GeneratedAt)
	pdf.SetModificationDate(r.GeneratedAt)
	pdf.SetAutoPageBreak(true, 15)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 6, tr(fmt.Sprintf("%s - %s - page %d", r.Tenant.Name, r.ID, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	h1 := func(s string) {
		pdf.SetFont("Helvetica", "B", 13)
		pdf.CellFormat(0, 9, tr(s), "", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
	}
	line := func(s string) { pdf.CellFormat(0, 5.5, tr(s), "", 1, "L", false, 0, "") }
	table := func(widths []float64, head []string, rows [][]string) {
		pdf.SetFont("Helvetica", "B", 8.5)
		for i, h := range head {
			pdf.CellFormat(widths[i], 6, tr(h), "B", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 8)
		for _, row := range rows {
			for i, c := range row {
				pdf.CellFormat(widths[i], 5, fit(pdf, tr(c), widths[i]), "", 0, "L", false, 0, "")
			}
			pdf.Ln(-1)
		}
		pdf.Ln(3)
	}

	// Cover: scope and posture.
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 12, tr(title), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	line(fmt.Sprintf("Framework: %s %s (%s)", r.Framework.Name, r.Framework.Version, r.Framework.ID))
	line(fmt.Sprintf("Tenant: %s (%s)", r.Tenant.Name, r.Tenant.ID))
	line(fmt.Sprintf("Period: %s to %s (UTC)", r.Period.From.Format(time.RFC3339), r.Period.To.Format(time.RFC3339)))
	line(fmt.Sprintf("Generated: %s   Report: %s", r.GeneratedAt.Format(time.RFC3339), r.ID))
	pdf.Ln(3)
	h1("Scope")
	line(fmt.Sprintf("Assets: %d   Monitors: %d   Services: %s", r.Scope.Assets, r.Scope.Monitors, joinComma(r.Scope.Services)))
	for _, k := range sortedKeys(r.Scope.AssetsByKind) {
		line(fmt.Sprintf("  %s: %d", k, r.Scope.AssetsByKind[k]))
	}
	pdf.Ln(2)
	h1("Posture")
	p := r.Posture
	line(fmt.Sprintf("Controls: %d   Passing: %d   Failing: %d   Not applicable: %d   Not tested: %d   With exception: %d",
		p.Controls, p.Passing, p.Failing, p.NotApplicable, p.NotTested, p.Excepted))
	pdf.Ln(2)
	h1("Operations")
	i := r.Incidents
	line(fmt.Sprintf("Incidents: %d   Acknowledged: %d   Resolved: %d   MTTA: %s   MTTR: %s", i.Count, i.Acked, i.Resolved, secs(i.MTTASeconds), secs(i.MTTRSeconds)))
	a := r.Alerts
	line(fmt.Sprintf("Security alerts: %d   High/critical: %d   Acknowledged: %d   Mean time to acknowledge: %s", a.Count, a.HighCriticalCount, a.Acked, secs(a.MeanAckSeconds)))
	c := r.Cases
	line(fmt.Sprintf("Cases: %d   Detect: %s   Acknowledge: %s   Contain: %s   Resolve: %s", c.Count, secs(c.MeanDetectSeconds), secs(c.MeanAckSeconds), secs(c.MeanContainSeconds), secs(c.MeanResolveSeconds)))
	line(fmt.Sprintf("Monitors with an SLA: %d   SLA breaches: %d", r.Uptime.WithSLA, r.Uptime.Breaches))

	// Charts.
	pdf.AddPage()
	h1("Uptime per month")
	var ub []bar
	for _, m := range r.Uptime.Monthly {
		v := 0.0
		if m.HasData {
			v = m.Uptime
		}
		ub = append(ub, bar{m.Month, v, strconv.FormatFloat(v, 'f', 3, 64) + "%"})
	}
	barChart(pdf, tr, ub, 100)
	h1("Security alerts per week")
	var ab []bar
	top := 1.0
	for _, w := range r.Alerts.PerWeek {
		ab = append(ab, bar{w.Start, float64(w.Count), strconv.Itoa(w.Count)})
		top = max(top, float64(w.Count))
	}
	barChart(pdf, tr, ab, top)

	// Tables.
	pdf.AddPage()
	h1("Controls")
	var rows [][]string
	for _, c := range r.Controls {
		rows = append(rows, []string{c.ID, c.Title, c.Status, c.Exception})
		for _, t := range c.Tests {
			rows = append(rows, []string{"", fmt.Sprintf("%s: %d passed, %d failed", t.ID, t.Passed, t.Failed), t.Status, "sha256 " + t.SHA256[:16]})
			for _, f := range t.Failing {
				rows = append(rows, []string{"", "  failing: " + f.Name, "", f.Reason})
			}
		}
		for _, f := range c.Files {
			rows = append(rows, []string{"", "file: " + f.Name, "", "sha256 " + f.SHA256[:16]})
		}
	}
	table([]float64{26, 78, 22, 64}, []string{"Control", "Title", "Status", "Exception / evidence"}, rows)
	h1("Requirements")
	rows = rows[:0]
	for _, q := range r.Requirements {
		rows = append(rows, []string{q.ID, q.Description, q.Status, joinComma(q.Controls)})
	}
	table([]float64{30, 92, 22, 46}, []string{"Requirement", "Description", "Status", "Controls"}, rows)
	h1("Uptime and SLA")
	rows = rows[:0]
	for _, m := range r.Uptime.Monitors {
		sla, breach := "", ""
		if m.SLATarget != nil {
			sla = strconv.FormatFloat(*m.SLATarget, 'f', -1, 64) + "%"
			breach = "met"
			if m.Breached {
				breach = "BREACHED"
			}
		}
		rows = append(rows, []string{m.Name, strconv.FormatInt(m.Checks, 10), pct(m.Uptime), sla, breach})
	}
	table([]float64{80, 25, 30, 25, 30}, []string{"Monitor", "Checks", "Uptime", "SLA", "Result"}, rows)
	h1("MITRE ATT&CK coverage")
	rows = rows[:0]
	for _, t := range r.Attack {
		req := ""
		if t.Required {
			req = "required"
		}
		rows = append(rows, []string{t.Tactic, strconv.Itoa(t.Rules), req})
	}
	table([]float64{70, 30, 40}, []string{"Tactic", "Enabled rules", "Policy"}, rows)
	h1("Statement of Applicability")
	rows = rows[:0]
	for _, s := range r.SoA {
		ap := "applicable"
		if !s.Applicable {
			ap = "not applicable"
		}
		rows = append(rows, []string{s.ControlID, s.Title, ap, s.Justification})
	}
	table([]float64{26, 78, 26, 60}, []string{"Control", "Title", "Applicability", "Justification"}, rows)
	h1("Exceptions")
	if len(r.Exceptions) == 0 {
		line("None.")
	}
	rows = rows[:0]
	for _, e := range r.Exceptions {
		rows = append(rows, []string{e.ControlID, e.ExpiresAt.Format(time.DateOnly), e.Reason})
	}
	if len(rows) > 0 {
		table([]float64{30, 30, 130}, []string{"Control", "Expires", "Reason"}, rows)
	}

	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, opsward.Internal(fmt.Errorf("render the report PDF: %w", err))
	}
	return b.Bytes(), nil
}

type bar struct {
	label string
	value float64
	text  string
}

// barChart draws vertical bars scaled to top, with value labels above
// and the labels below.
func barChart(pdf *fpdf.Fpdf, tr func(string) string, bars []bar, top float64) {
	const height = 60.0
	x0, y0 := pdf.GetX()+5, pdf.GetY()+5
	width := 170.0
	pdf.SetDrawColor(120, 120, 120)
	pdf.Line(x0, y0+height, x0+width, y0+height)
	if len(bars) == 0 {
		pdf.SetXY(x0, y0+height/2)
		pdf.CellFormat(width, 6, "No data in the period", "", 0, "C", false, 0, "")
	}
	slot := width / float64(max(len(bars), 1))
	bw := min(slot*0.7, 25)
	pdf.SetFont("Helvetica", "", 7)
	for i, b := range bars {
		h := 0.0
		if top > 0 {
			h = height * b.value / top
		}
		x := x0 + float64(i)*slot + (slot-bw)/2
		pdf.SetFillColor(52, 101, 164)
		pdf.Rect(x, y0+height-h, bw, h, "F")
		pdf.SetXY(x-5, y0+height-h-5)
		pdf.CellFormat(bw+10, 4, tr(b.text), "", 0, "C", false, 0, "")
		pdf.SetXY(x-5, y0+height+1)
		pdf.CellFormat(bw+10, 4, tr(b.label), "", 0, "C", false, 0, "")
	}
	pdf.SetXY(10, y0+height+10)
	pdf.SetFont("Helvetica", "", 9)
}

// fit shortens s to what the cell's width shows.
func fit(pdf *fpdf.Fpdf, s string, w float64) string {
	if pdf.GetStringWidth(s) <= w-1 {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && pdf.GetStringWidth(string(r)+"...") > w-1 {
		r = r[:len(r)-1]
	}
	return string(r) + "..."
}
