package billing

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/opsward/opsward"
)

// FormatAmount writes minor units as a decimal amount with the currency
// ("1,234.50 EUR"); currencies without minor units (JPY, KRW, …) have no
// decimals.
func FormatAmount(minor int64, currency string) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	digits := 2
	switch currency {
	case "JPY", "KRW", "CLP", "ISK", "VND", "XOF", "XAF", "UGX", "PYG":
		digits = 0
	}
	whole, frac := minor, int64(0)
	if digits == 2 {
		whole, frac = minor/100, minor%100
	}
	s := fmt.Sprint(whole)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if digits == 2 {
		s += fmt.Sprintf(".%02d", frac)
	}
	if neg {
		s = "-" + s
	}
	return s + " " + currency
}

// InvoiceTitle is how an invoice is named on paper: its number within the
// provider, or "draft".
func InvoiceTitle(inv Invoice) string {
	if inv.Number == 0 {
		return "Draft invoice " + inv.ID
	}
	return fmt.Sprintf("Invoice %06d", inv.Number)
}

var invoiceHTML = template.Must(template.New("invoice").Funcs(template.FuncMap{
	"money": FormatAmount,
	"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:4px;text-align:left}td.n,th.n{text-align:right}</style>
</head><body>
<h1>{{.Title}}</h1>
<p>Customer {{.Inv.TenantID}} · status {{.Inv.Status}} · period {{date .Inv.Period.Start}} to {{date .Inv.Period.End}} UTC</p>
<table><thead><tr><th>Description</th><th>From</th><th>To</th><th class="n">Quantity</th><th class="n">Amount</th></tr></thead><tbody>
{{range .Inv.Lines}}<tr><td>{{.Description}}{{if .Late}} (late){{end}}{{range .Tiers}}<br><small>units {{.From}}–{{if .To}}{{.To}}{{else}}∞{{end}}: {{.Units}} × {{.Unit.Amount}}/{{.Unit.Per}}{{if .Flat}} + {{.Flat}}{{end}}</small>{{end}}</td><td>{{date .From}}</td><td>{{date .To}}</td><td class="n">{{.Quantity}}</td><td class="n">{{money .Amount $.Inv.Currency}}</td></tr>
{{end}}</tbody><tfoot>
<tr><th colspan="4">Subtotal</th><th class="n">{{money .Inv.Subtotal .Inv.Currency}}</th></tr>
<tr><th colspan="4">Total due</th><th class="n">{{money .Inv.Total .Inv.Currency}}</th></tr>
</tfoot></table></body></html>
`))

// RenderHTML writes the invoice as an HTML page.
func RenderHTML(w io.Writer, inv Invoice) error {
	return invoiceHTML.Execute(w, struct {
		Title string
		Inv   Invoice
	}{InvoiceTitle(inv), inv})
}

// RenderPDF writes the invoice as a PDF (A4, one table of lines).
func RenderPDF(inv Invoice) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(InvoiceTitle(inv), true)
	pdf.SetCreator("Opsward", true)
	pdf.SetCreationDate(inv.CreatedAt)
	pdf.SetModificationDate(inv.CreatedAt)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 10, tr(InvoiceTitle(inv)), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	pdf.CellFormat(0, 6, tr(fmt.Sprintf("Customer %s, status %s", inv.TenantID, inv.Status)), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, tr(fmt.Sprintf("Period %s to %s UTC, currency %s", day(inv.Period.Start), day(inv.Period.End), inv.Currency)), "", 1, "L", false, 0, "")
	pdf.Ln(4)
	widths := []float64{95, 25, 30, 40}
	pdf.SetFont("Helvetica", "B", 10)
	for i, h := range []string{"Description", "Kind", "Quantity", "Amount"} {
		align := "L"
		if i >= 2 {
			align = "R"
		}
		pdf.CellFormat(widths[i], 7, h, "B", 0, align, false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	for _, l := range inv.Lines {
		desc := l.Description
		if l.Late {
			desc += " (late)"
		}
		if len(desc) > 60 {
			desc = desc[:57] + "..."
		}
		pdf.CellFormat(widths[0], 6, tr(desc), "", 0, "L", false, 0, "")
		pdf.CellFormat(widths[1], 6, string(l.Kind), "", 0, "L", false, 0, "")
		pdf.CellFormat(widths[2], 6, fmt.Sprint(l.Quantity), "", 0, "R", false, 0, "")
		pdf.CellFormat(widths[3], 6, FormatAmount(l.Amount, inv.Currency), "", 1, "R", false, 0, "")
	}
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(widths[0]+widths[1]+widths[2], 7, "Subtotal", "T", 0, "L", false, 0, "")
	pdf.CellFormat(widths[3], 7, FormatAmount(inv.Subtotal, inv.Currency), "T", 1, "R", false, 0, "")
	pdf.CellFormat(widths[0]+widths[1]+widths[2], 7, "Total due", "", 0, "L", false, 0, "")
	pdf.CellFormat(widths[3], 7, FormatAmount(inv.Total, inv.Currency), "", 1, "R", false, 0, "")
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, opsward.Internal(fmt.Errorf("render invoice %s: %w", inv.ID, err))
	}
	return b.Bytes(), nil
}

// Invoice returns one invoice of a tenant in the actor's reach
// (billing:read).
func (l *Ledger) Invoice(ctx context.Context, tenantID, invoiceID string) (Invoice, error) {
	if err := l.invoicesInReach(ctx, tenantID); err != nil {
		return Invoice{}, err
	}
	invs, err := l.queryInvoices(ctx, tenantID, " AND id = ?", 1, invoiceID)
	if err != nil {
		return Invoice{}, err
	}
	if len(invs) == 1 {
		return invs[0], nil
	}
	return Invoice{}, opsward.Errorf(opsward.ENOTFOUND, "no invoice %s of tenant %s in your reach", invoiceID, tenantID)
}
