package compliance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// StoredReport is a generated, signed report as kept.
type StoredReport struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenantId"`
	Framework string    `json:"framework"`
	Format    string    `json:"format"`
	Period    Period    `json:"period"`
	SHA256    string    `json:"sha256"`
	KeyID     string    `json:"keyId"`
	Size      int64     `json:"size"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

// ReportRequest asks for a report.
type ReportRequest struct {
	TenantID  string
	Framework string
	Format    string
	Period    Period
	// ChannelIDs are the tenant's notification channels told that the
	// report is ready (with its posture, SHA-256 and id to download it).
	ChannelIDs []string
}

// MaxReportChannels bounds the channels one report is sent to.
const MaxReportChannels = 10

// KeyRing returns the provider's report signing key ring, creating it on
// first use. It is kept sealed in the database (compliance_keys), so
// every host signs and verifies with the same keys.
func (s *Service) KeyRing(ctx context.Context) (*authn.KeyRing, error) {
	s.ringMu.Lock()
	defer s.ringMu.Unlock()
	if s.ring != nil {
		return s.ring, nil
	}
	pctx := tenants.Privileged(ctx, "compliance: the report signing keys")
	root, err := s.client.Tenant.Query().Where(tenant.KindEQ(tenant.KindProvider)).Order(ent.Asc(tenant.FieldCreatedAt)).First(pctx)
	if err != nil {
		return nil, storeErr(err)
	}
	ad := authn.SealContext("compliance_keys", root.ID)
	read := func() (*authn.KeyRing, error) {
		var sealed string
		err := s.db.QueryRowContext(pctx, s.q(`SELECT sealed FROM compliance_keys WHERE provider_id = ?`), root.ID).Scan(&sealed)
		if err != nil {
			return nil, err
		}
		plain, err := s.sealer.Open(sealed, ad)
		if err != nil {
			return nil, opsward.Internal(fmt.Errorf("open the report key ring: %w", err))
		}
		return authn.ParseKeyRing(plain)
	}
	ring, err := read()
	if errors.Is(err, sql.ErrNoRows) {
		fresh, gerr := authn.GenerateKeyRing(s.now())
		if gerr != nil {
			return nil, gerr
		}
		plain, gerr := fresh.MarshalJSON()
		if gerr != nil {
			return nil, opsward.Internal(gerr)
		}
		sealed, gerr := s.sealer.Seal(plain, ad)
		if gerr != nil {
			return nil, opsward.Internal(gerr)
		}
		// Two hosts starting together: the first insert wins, both read it.
		if _, gerr := s.db.ExecContext(pctx, s.q(`INSERT INTO compliance_keys (provider_id, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (provider_id) DO NOTHING`),
			root.ID, sealed, s.tv(s.now())); gerr != nil {
			return nil, storeErr(gerr)
		}
		ring, err = read()
	}
	if err != nil {
		return nil, storeErr(err)
	}
	s.ring = ring
	return ring, nil
}

// GenerateReport builds, renders, signs and keeps a report. Nothing is
// kept unless every step succeeds: the runs it judged and the report
// commit together.
func (s *Service) GenerateReport(ctx context.Context, in ReportRequest) (StoredReport, error) {
	tid, nctx, err := s.target(ctx, in.TenantID, tenants.PermComplianceWrite)
	if err != nil {
		return StoredReport{}, err
	}
	fw, err := FrameworkByID(in.Framework)
	if err != nil {
		return StoredReport{}, err
	}
	format, err := ParseFormat(in.Format)
	if err != nil {
		return StoredReport{}, err
	}
	if err := in.Period.Validate(s.now()); err != nil {
		return StoredReport{}, err
	}
	if err := s.checkChannels(ctx, tid, in.ChannelIDs); err != nil {
		return StoredReport{}, err
	}
	return s.generate(ctx, nctx, tid, fw, format, in.Period.UTC(), in.ChannelIDs...)
}

func (s *Service) generate(ctx, nctx context.Context, tid string, fw *Framework, format string, p Period, channels ...string) (StoredReport, error) {
	ring, err := s.KeyRing(ctx)
	if err != nil {
		return StoredReport{}, err
	}
	f, atts, err := s.facts(ctx, nctx, tid, p)
	if err != nil {
		return StoredReport{}, err
	}
	states, err := s.states(ctx, tid)
	if err != nil {
		return StoredReport{}, err
	}
	excs, err := s.exceptions(ctx, tid)
	if err != nil {
		return StoredReport{}, err
	}
	files, err := s.files(ctx, tid)
	if err != nil {
		return StoredReport{}, err
	}
	now := s.now().Truncate(time.Second)
	id := opsward.NewID(opsward.PrefixReport)
	rep, err := BuildReport(ReportInput{ID: id, Framework: fw, Period: p, GeneratedAt: now, Facts: f, Policy: s.cfg.Policy,
		States: states, Exceptions: excs, Attestations: atts, Files: fileRefs(files)})
	if err != nil {
		return StoredReport{}, err
	}
	body, err := rep.Render(format)
	if err != nil {
		return StoredReport{}, err
	}
	file, sig, err := Seal(ring, body, Signature{ReportID: id, TenantID: tid, Framework: fw.ID, Format: format, From: p.From, To: p.To})
	if err != nil {
		return StoredReport{}, err
	}
	if len(file) > s.cfg.MaxReportBytes {
		return StoredReport{}, opsward.Errorf(opsward.ELIMIT, "the report would have %d bytes, over the limit of %d: narrow the period", len(file), s.cfg.MaxReportBytes)
	}
	out := StoredReport{ID: id, TenantID: tid, Framework: fw.ID, Format: format, Period: p, SHA256: sig.SHA256, KeyID: sig.KeyID,
		Size: int64(len(file)), CreatedBy: actorID(ctx), CreatedAt: now}
	err = s.tx(ctx, tid, "compliance.report", id, func(tx *ent.Tx) (string, error) {
		// The runs the report judged are its evidence: kept with it.
		if _, err := s.insertRuns(ctx, tx, tid, f, p, now); err != nil {
			return "", err
		}
		// Deliveries go through the outbox with the report: sent if and
		// only if it is kept.
		for _, ch := range channels {
			d := notify.Delivery{TenantID: tid, ChannelID: ch, Message: reportMessage(rep, out)}
			if _, err := s.outbox.EnqueueTx(ctx, tx, tid, d, &dispatch.EnqueueOpts{DedupKey: d.JobDedupKey()}); err != nil {
				return "", opsward.Internal(err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO compliance_reports (tenant_id, id, framework, format, period_from, period_to, sha256, key_id, size, body, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), tid, id, fw.ID, format, s.tv(p.From), s.tv(p.To), sig.SHA256, sig.KeyID, len(file), file,
			out.CreatedBy, s.tv(now)); err != nil {
			return "", storeErr(err)
		}
		if s.usage != nil {
			// Metered with the report, in its transaction, keyed by its
			// id: billed if and only if it is kept.
			if err := s.usage.ReportGenerated(tenants.Privileged(ctx, "compliance: report usage"), tx, tid, id, now); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("framework=%s format=%s sha256=%s size=%d channels=%d", fw.ID, format, sig.SHA256, len(file), len(channels)), nil
	})
	if err != nil {
		return StoredReport{}, err
	}
	return out, nil
}

// checkChannels checks the channels a report goes to: at most
// MaxReportChannels, each an enabled channel of the tenant, none twice;
// errors name channelIds (and the index).
func (s *Service) checkChannels(ctx context.Context, tid string, ids []string) error {
	if len(ids) > 0 && (s.chans == nil || s.outbox == nil) {
		return opsward.FieldErrorf("channelIds", "this server does not send reports to channels")
	}
	if len(ids) > MaxReportChannels {
		return opsward.FieldErrorf("channelIds", "a report goes to at most %d channels", MaxReportChannels)
	}
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return opsward.FieldErrorf(fmt.Sprintf("channelIds.%d", i), "channel %s is listed twice", id)
		}
		if _, err := s.chans.LoadChannel(ctx, tid, id); err != nil {
			return opsward.FieldErrorf(fmt.Sprintf("channelIds.%d", i), "no enabled notification channel %s in the tenant", id)
		}
	}
	return nil
}

// reportMessage tells a channel that a report is ready.
func reportMessage(r *Report, sr StoredReport) notify.Message {
	p := r.Posture
	sev := notify.SeverityInfo
	if p.Failing > p.Excepted {
		sev = notify.SeverityLow
	}
	return notify.Message{TenantID: sr.TenantID, TenantName: r.Tenant.Name, Ref: notify.Ref{Kind: "report", ID: sr.ID},
		Title: fmt.Sprintf("%s report for %s is ready", r.Framework.Name, r.Tenant.Name),
		Summary: fmt.Sprintf("%s to %s: %d controls passing, %d failing (%d with an exception), %d not applicable, %d not tested.",
			sr.Period.From.Format(time.DateOnly), sr.Period.To.Format(time.DateOnly), p.Passing, p.Failing, p.Excepted, p.NotApplicable, p.NotTested),
		Severity: sev, State: notify.StateTriggered, Time: sr.CreatedAt,
		Fields: []notify.Field{{Name: "Report", Value: sr.ID}, {Name: "Format", Value: sr.Format}, {Name: "SHA-256", Value: sr.SHA256}},
	}
}

const reportCols = `id, framework, format, period_from, period_to, sha256, key_id, size, created_by, created_at`

func scanReport(sc interface{ Scan(...any) error }, tid string) (StoredReport, error) {
	r := StoredReport{TenantID: tid}
	err := sc.Scan(&r.ID, &r.Framework, &r.Format, batch.ScanTime(&r.Period.From), batch.ScanTime(&r.Period.To), &r.SHA256, &r.KeyID,
		&r.Size, &r.CreatedBy, batch.ScanTime(&r.CreatedAt))
	return r, err
}

// Reports lists the tenant's reports, newest first, at most limit.
func (s *Service) Reports(ctx context.Context, tenantID string, limit int) ([]StoredReport, error) {
	tid, _, err := s.target(ctx, tenantID, tenants.PermComplianceRead)
	if err != nil {
		return nil, err
	}
	if limit < 1 || limit > 100 {
		return nil, opsward.FieldErrorf("first", "a page holds 1 to 100 reports")
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+reportCols+` FROM compliance_reports WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`), tid, limit)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []StoredReport
	for rows.Next() {
		r, err := scanReport(rows, tid)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, r)
	}
	return out, storeErr(rows.Err())
}

// Download returns a report and its signed file. The tenant is the
// report's own: a report out of reach reads as not found.
func (s *Service) Download(ctx context.Context, reportID string) (StoredReport, []byte, error) {
	if err := tenants.Authorize(ctx, tenants.PermComplianceRead); err != nil {
		return StoredReport{}, nil, err
	}
	if !opsward.ValidID(reportID, opsward.PrefixReport) {
		return StoredReport{}, nil, opsward.FieldErrorf("id", "%q is not a report id", reportID)
	}
	var tid string
	// On Postgres row-level security hides other tenants' reports; the
	// reach check below does the same on SQLite.
	err := s.db.QueryRowContext(ctx, s.q(`SELECT tenant_id FROM compliance_reports WHERE id = ?`), reportID).Scan(&tid)
	if err == nil {
		if _, _, rerr := s.target(ctx, tid, tenants.PermComplianceRead); rerr != nil {
			err = sql.ErrNoRows
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return StoredReport{}, nil, opsward.Errorf(opsward.ENOTFOUND, "no report %s", reportID)
	}
	if err != nil {
		return StoredReport{}, nil, storeErr(err)
	}
	var body []byte
	r, err := scanReport(rowScanner{s.db.QueryRowContext(ctx, s.q(`SELECT `+reportCols+`, body FROM compliance_reports WHERE tenant_id = ? AND id = ?`), tid, reportID), &body}, tid)
	if err != nil {
		return StoredReport{}, nil, storeErr(err)
	}
	return r, body, nil
}

// rowScanner adds the body column to a report row's scan.
type rowScanner struct {
	row  *sql.Row
	body *[]byte
}

func (r rowScanner) Scan(dest ...any) error { return r.row.Scan(append(dest, r.body)...) }

// Verify checks a signed report file against the provider's key ring.
func (s *Service) Verify(ctx context.Context, file []byte) (Signature, error) {
	if _, err := tenants.Require(ctx); err != nil {
		return Signature{}, err
	}
	ring, err := s.KeyRing(ctx)
	if err != nil {
		return Signature{}, err
	}
	return Verify(ring, file, s.now())
}

// MonthlyArgs is the job that generates last month's reports for every
// customer, one per framework of its report schedule (ISO 27001 and SOC 2
// when it has set none), sent to the schedule's channels.
type MonthlyArgs struct {
	// Month is the month reported on (2006-01).
	Month string `json:"month"`
}

// Kind names the job.
func (MonthlyArgs) Kind() string { return "compliance.monthly_reports" }

// DefaultFrameworks are the monthly reports a tenant gets.
var DefaultFrameworks = []string{"iso27001", "soc2"}

// GenerateMonthly generates the month's PDF reports of every active
// customer on the privileged path, skipping those already kept (so a
// retried job does not duplicate them). It returns the reports made.
func (s *Service) GenerateMonthly(ctx context.Context, month string) ([]StoredReport, error) {
	m, err := time.Parse("2006-01", month)
	if err != nil {
		return nil, opsward.FieldErrorf("month", "a month is written 2006-01")
	}
	p := MonthOf(m)
	if err := p.Validate(s.now()); err != nil {
		return nil, err
	}
	pctx := tenants.Privileged(ctx, "compliance: monthly reports")
	ts, err := s.client.Tenant.Query().Where(tenant.KindNEQ(tenant.KindProvider), tenant.StatusEQ(tenant.StatusActive)).
		Order(ent.Asc(tenant.FieldID)).All(pctx)
	if err != nil {
		return nil, storeErr(err)
	}
	var out []StoredReport
	for _, t := range ts {
		// The privileged actor narrowed to the tenant: the source reads
		// with it, and filters every read by the tenant.
		tctx, err := s.tenants.Narrow(pctx, t.ID)
		if err != nil {
			return out, err
		}
		sched, err := s.schedule(pctx, t.ID)
		if err != nil {
			return out, err
		}
		// A channel disabled or removed since the schedule was set is
		// left out, with a warning: the report is still made.
		var channels []string
		for _, ch := range sched.ChannelIDs {
			if s.chans == nil || s.outbox == nil {
				break
			}
			if _, err := s.chans.LoadChannel(tctx, t.ID, ch); err != nil {
				s.log.WarnContext(ctx, "monthly compliance report: a scheduled channel is gone or disabled", "tenant_id", t.ID, "channel_id", ch)
				continue
			}
			channels = append(channels, ch)
		}
		for _, fwID := range sched.Frameworks {
			var n int
			if err := s.db.QueryRowContext(pctx, s.q(`SELECT count(*) FROM compliance_reports WHERE tenant_id = ? AND framework = ? AND period_from = ? AND period_to = ? AND created_by = ?`),
				t.ID, fwID, s.tv(p.From), s.tv(p.To), "system").Scan(&n); err != nil {
				return out, storeErr(err)
			}
			if n > 0 {
				continue
			}
			fw, err := FrameworkByID(fwID)
			if err != nil {
				s.log.ErrorContext(ctx, "monthly compliance report: unknown framework in the schedule", "tenant_id", t.ID, "framework", fwID)
				continue
			}
			r, err := s.generate(tctx, tctx, t.ID, fw, FormatPDF, p, channels...)
			if err != nil {
				s.log.ErrorContext(ctx, "monthly compliance report", "tenant_id", t.ID, "framework", fwID, "err", err)
				continue
			}
			out = append(out, r)
		}
	}
	return out, nil
}
