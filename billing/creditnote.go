package billing

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants"
)

// CreditNote corrects a finalized or paid invoice.
type CreditNote struct {
	ID, TenantID, InvoiceID string
	Amount                  int64
	Reason                  string
}

// IssueCreditNote credits amount (minor units) against a finalized or
// paid invoice of a customer (billing:write, the provider only). The
// credits of an invoice never exceed its total. On a finalized invoice it
// lowers what is due; on a paid one it becomes credit that the next
// invoice applies. The note, the invoice and the balance change together.
func (l *Ledger) IssueCreditNote(ctx context.Context, tenantID, invoiceID string, amount int64, reason string) (CreditNote, error) {
	if err := tenants.Authorize(ctx, tenants.PermBillingWrite); err != nil {
		return CreditNote{}, err
	}
	a, err := tenants.Require(ctx)
	if err != nil {
		return CreditNote{}, err
	}
	if !a.Provider && !a.IsPrivileged() {
		return CreditNote{}, opsward.Errorf(opsward.EFORBIDDEN, "only the provider issues credit notes")
	}
	if amount <= 0 || amount > maxAmount {
		return CreditNote{}, opsward.FieldErrorf("amount", "a credit note is between 1 and %d minor units, got %d", maxAmount, amount)
	}
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return CreditNote{}, opsward.FieldErrorf("reason", "a reason has 1 to 500 characters")
	}
	if err := l.inReach(ctx, tenantID); err != nil {
		return CreditNote{}, err
	}
	pctx := tenants.Privileged(ctx, "billing: credit note on an invoice in reach")
	tx, err := l.db.BeginTx(pctx, nil)
	if err != nil {
		return CreditNote{}, storeErr(err)
	}
	defer tx.Rollback()
	// Touch the invoice first: on Postgres that locks it, so two notes on
	// one invoice cannot together credit more than its total.
	if _, err := tx.ExecContext(pctx, l.q("UPDATE invoices SET credited = credited WHERE tenant_id = ? AND id = ?"), tenantID, invoiceID); err != nil {
		return CreditNote{}, storeErr(err)
	}
	var status string
	var total, credited int64
	err = tx.QueryRowContext(pctx, l.q("SELECT status, total, credited FROM invoices WHERE tenant_id = ? AND id = ?"), tenantID, invoiceID).
		Scan(&status, &total, &credited)
	if opsward.ErrorCode(sqlErr(err)) == opsward.ENOTFOUND {
		return CreditNote{}, opsward.FieldErrorf("invoiceId", "no invoice %s of tenant %s", invoiceID, tenantID)
	}
	if err != nil {
		return CreditNote{}, sqlErr(err)
	}
	if status != StatusFinalized && status != StatusPaid {
		return CreditNote{}, opsward.FieldErrorf("invoiceId", "invoice %s is %s: only a finalized or paid invoice takes a credit note", invoiceID, status)
	}
	if credited+amount > total {
		return CreditNote{}, opsward.FieldErrorf("amount", "invoice %s totals %s and %s is credited already: at most %s more",
			invoiceID, fmt.Sprint(total), fmt.Sprint(credited), fmt.Sprint(total-credited))
	}
	cn := CreditNote{ID: opsward.NewID(opsward.PrefixCreditNote), TenantID: tenantID, InvoiceID: invoiceID, Amount: amount, Reason: reason}
	if _, err := tx.ExecContext(pctx, l.q("INSERT INTO credit_notes (tenant_id, id, invoice_id, amount, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
		tenantID, cn.ID, invoiceID, amount, reason, l.tv(l.now())); err != nil {
		return CreditNote{}, storeErr(err)
	}
	if _, err := tx.ExecContext(pctx, l.q("UPDATE invoices SET credited = credited + ? WHERE tenant_id = ? AND id = ?"), amount, tenantID, invoiceID); err != nil {
		return CreditNote{}, storeErr(err)
	}
	if status == StatusPaid {
		if _, err := tx.ExecContext(pctx, l.q("UPDATE billing_accounts SET credit_balance = credit_balance + ? WHERE tenant_id = ?"), amount, tenantID); err != nil {
			return CreditNote{}, storeErr(err)
		}
	}
	return cn, storeErr(tx.Commit())
}
