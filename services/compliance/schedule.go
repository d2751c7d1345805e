package compliance

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/internal/batch"
	"github.com/opsward/opsward/tenants"
)

// ReportSchedule is what a tenant's monthly reports cover and which of
// its notification channels are told when they are ready. A tenant that
// set none gets DefaultFrameworks and no deliveries; an empty list of
// frameworks turns its monthly reports off.
type ReportSchedule struct {
	TenantID   string
	Frameworks []string
	ChannelIDs []string
	// Set is false for the default schedule.
	Set       bool
	UpdatedAt time.Time
	UpdatedBy string
}

// ScheduleInput sets a tenant's monthly report schedule.
type ScheduleInput struct {
	TenantID   string
	Frameworks []string
	ChannelIDs []string
}

// SetReportSchedule records the frameworks of the tenant's monthly
// reports and the channels they are sent to, audited.
func (s *Service) SetReportSchedule(ctx context.Context, in ScheduleInput) (ReportSchedule, error) {
	tid, _, err := s.target(ctx, in.TenantID, tenants.PermComplianceWrite)
	if err != nil {
		return ReportSchedule{}, err
	}
	out := ReportSchedule{TenantID: tid, Frameworks: []string{}, ChannelIDs: []string{}, Set: true,
		UpdatedAt: s.now().Truncate(time.Microsecond), UpdatedBy: actorID(ctx)}
	for i, id := range in.Frameworks {
		id = strings.TrimSpace(id)
		if _, err := FrameworkByID(id); err != nil {
			return ReportSchedule{}, opsward.FieldErrorf(fmt.Sprintf("frameworks.%d", i), "unknown framework %q", id)
		}
		if slices.Contains(out.Frameworks, id) {
			return ReportSchedule{}, opsward.FieldErrorf(fmt.Sprintf("frameworks.%d", i), "framework %s is listed twice", id)
		}
		out.Frameworks = append(out.Frameworks, id)
	}
	if err := s.checkChannels(ctx, tid, in.ChannelIDs); err != nil {
		return ReportSchedule{}, err
	}
	out.ChannelIDs = append(out.ChannelIDs, in.ChannelIDs...)
	fws, _ := json.Marshal(out.Frameworks)
	chs, _ := json.Marshal(out.ChannelIDs)
	err = s.tx(ctx, tid, "compliance.report_schedule", tid, func(tx *ent.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO compliance_report_schedules (tenant_id, frameworks, channel_ids, updated_at, updated_by)
VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET frameworks = excluded.frameworks, channel_ids = excluded.channel_ids,
updated_at = excluded.updated_at, updated_by = excluded.updated_by`), tid, string(fws), string(chs), s.tv(out.UpdatedAt), out.UpdatedBy)
		return fmt.Sprintf("frameworks=%s channels=%d", strings.Join(out.Frameworks, ","), len(out.ChannelIDs)), storeErr(err)
	})
	if err != nil {
		return ReportSchedule{}, err
	}
	return out, nil
}

// Schedule is the tenant's monthly report schedule.
func (s *Service) Schedule(ctx context.Context, tenantID string) (ReportSchedule, error) {
	tid, _, err := s.target(ctx, tenantID, tenants.PermComplianceRead)
	if err != nil {
		return ReportSchedule{}, err
	}
	return s.schedule(ctx, tid)
}

func (s *Service) schedule(ctx context.Context, tid string) (ReportSchedule, error) {
	out := ReportSchedule{TenantID: tid}
	var fws, chs string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT frameworks, channel_ids, updated_at, updated_by FROM compliance_report_schedules WHERE tenant_id = ?`), tid).
		Scan(&fws, &chs, batch.ScanTime(&out.UpdatedAt), &out.UpdatedBy)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ReportSchedule{TenantID: tid, Frameworks: slices.Clone(DefaultFrameworks), ChannelIDs: []string{}}, nil
	case err != nil:
		return out, storeErr(err)
	}
	out.Set = true
	if err := json.Unmarshal([]byte(fws), &out.Frameworks); err != nil {
		return out, opsward.Internal(fmt.Errorf("report schedule of %s: %w", tid, err))
	}
	if err := json.Unmarshal([]byte(chs), &out.ChannelIDs); err != nil {
		return out, opsward.Internal(fmt.Errorf("report schedule of %s: %w", tid, err))
	}
	return out, nil
}
