package billing

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func sampleInvoice() Invoice {
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	return Invoice{ID: "ivc_x", TenantID: "ten_acme", Number: 42, Status: StatusFinalized, CreatedAt: end,
		Draft: Draft{Currency: "EUR", Period: Period{start, end}, Subtotal: 123450, Total: 148140, Tax: 24690,
			Lines: []Line{
				{Kind: LineBase, Description: "professional base fee <b>", From: start, To: end, Quantity: 1, Amount: 29900},
				{Kind: LineUsage, Description: "Check runs", Meter: MeterCheckRuns, From: start, To: end, Quantity: 1500000, Amount: 93550,
					Tiers: []TierLine{{From: 1, To: 100000, Units: 100000}, {From: 100001, Units: 1400000, Unit: Price{1, 15}}}},
				{Kind: LineLateUsage, Description: "Check runs, late usage of March", Late: true, From: start, To: end, Quantity: 10, Amount: 0},
				{Kind: LineTax, Description: "Tax 20 %", From: start, To: end, Amount: 24690},
			}}}
}

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		minor int64
		cur   string
		want  string
	}{{123450, "EUR", "1,234.50 EUR"}, {-5, "EUR", "-0.05 EUR"}, {0, "USD", "0.00 USD"}, {1234567, "JPY", "1,234,567 JPY"}, {100000000, "EUR", "1,000,000.00 EUR"}} {
		if got := FormatAmount(tc.minor, tc.cur); got != tc.want {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", tc.minor, tc.cur, got, tc.want)
		}
	}
}

func TestRenderHTML(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := RenderHTML(&b, sampleInvoice()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Invoice 000042", "professional base fee &lt;b&gt;", "1,481.40 EUR", "(late)", "100001–∞: 1400000 × 1/15"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// The PDF, read back with pdftotext, says what the invoice holds.
func TestRenderPDF(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("OPSWARD_TEST_REQUIRE_SERVERS") == "1" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	pdf, err := RenderPDF(sampleInvoice())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, want := range []string{"Invoice 000042", "ten_acme", "professional base fee <b>", "299.00 EUR", "935.50 EUR",
		"(late)", "Subtotal", "1,234.50 EUR", "Total due", "1,481.40 EUR", "2026-04-01 00:00"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
}
