package monitoring

import (
	"bytes"
	"context"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/results"
)

// MaxUptimeRange is the longest range one uptime question covers.
const MaxUptimeRange = 400 * 24 * time.Hour

// MaxReportMonitors bounds one CSV report.
const MaxReportMonitors = 5000

// Uptime is a monitor's availability over a range, judged against its SLA.
type Uptime struct {
	Monitor *ent.Monitor
	From    time.Time
	To      time.Time
	Report  noc.UptimeReport
	SLA     noc.SLAResult
	HasSLA  bool
	P50     time.Duration
	P95     time.Duration
	P99     time.Duration
	// Source counts the rows read: rollups for long ranges, raw results at
	// the edges.
	DayRows, HourRows, RawRows int
}

func checkRange(from, to time.Time) error {
	switch {
	case from.IsZero() || to.IsZero():
		return opsward.FieldErrorf("from", "a range needs from and to")
	case !to.After(from):
		return opsward.FieldErrorf("to", "to must be after from")
	case to.Sub(from) > MaxUptimeRange:
		return opsward.FieldErrorf("to", "a range covers at most %d days", int(MaxUptimeRange/(24*time.Hour)))
	}
	return nil
}

// report turns stored counts into the domain report. Each result stands
// for one interval of the monitor, which gives the durations.
func report(u *results.Uptime, interval time.Duration, from, to time.Time) noc.UptimeReport {
	r := noc.UptimeReport{From: from, To: to,
		Counts:  noc.StateCounts{Up: u.Up, Degraded: u.Degraded, Down: u.Down, Maintenance: u.Maintenance, Unknown: u.Unknown},
		Latency: noc.HistogramFromBins(u.LatencyBins())}
	r.Durations = noc.StateDurations{Up: time.Duration(u.Up) * interval, Degraded: time.Duration(u.Degraded) * interval,
		Down: time.Duration(u.Down) * interval, Maintenance: time.Duration(u.Maintenance) * interval,
		Unknown: time.Duration(u.Unknown) * interval}
	return r
}

// MonitorUptime reads a monitor's uptime over [from, to).
func (s *Service) MonitorUptime(ctx context.Context, id string, from, to time.Time) (*Uptime, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	m, err := s.Client.Monitor.Get(ctx, id)
	if err != nil {
		return nil, storageErr(err)
	}
	return s.uptimeOf(ctx, m, from, to)
}

func (s *Service) uptimeOf(ctx context.Context, m *ent.Monitor, from, to time.Time) (*Uptime, error) {
	nctx, err := s.Tenants.Narrow(ctx, m.TenantID)
	if err != nil {
		return nil, err
	}
	ru, err := s.ResultStore.Uptime(nctx, m.ID, from, to)
	if err != nil {
		return nil, err
	}
	out := &Uptime{Monitor: m, From: from.UTC(), To: to.UTC(), P50: ru.P50, P95: ru.P95, P99: ru.P99,
		DayRows: ru.DayRows, HourRows: ru.HourRows, RawRows: ru.RawRows}
	out.Report = report(ru, time.Duration(m.IntervalSeconds)*time.Second, out.From, out.To)
	if m.SLATarget != nil {
		out.HasSLA = true
		out.SLA = noc.SLA{Target: *m.SLATarget}.Evaluate(out.Report)
	}
	return out, nil
}

// AssetUptime sums the uptime of an asset's monitors over [from, to).
func (s *Service) AssetUptime(ctx context.Context, assetID string, from, to time.Time) (noc.UptimeReport, []*Uptime, error) {
	if err := checkRange(from, to); err != nil {
		return noc.UptimeReport{}, nil, err
	}
	a, err := s.Client.Asset.Get(ctx, assetID)
	if err != nil {
		return noc.UptimeReport{}, nil, storageErr(err)
	}
	ms, err := a.QueryMonitors().Order(ent.Asc(monitor.FieldName)).All(ctx)
	if err != nil {
		return noc.UptimeReport{}, nil, storageErr(err)
	}
	sum := noc.UptimeReport{From: from.UTC(), To: to.UTC()}
	var per []*Uptime
	for _, m := range ms {
		u, err := s.uptimeOf(ctx, m, from, to)
		if err != nil {
			return noc.UptimeReport{}, nil, err
		}
		per = append(per, u)
		c, d := u.Report.Counts, u.Report.Durations
		sum.Counts.Up += c.Up
		sum.Counts.Degraded += c.Degraded
		sum.Counts.Down += c.Down
		sum.Counts.Maintenance += c.Maintenance
		sum.Counts.Unknown += c.Unknown
		sum.Durations.Up += d.Up
		sum.Durations.Degraded += d.Degraded
		sum.Durations.Down += d.Down
		sum.Durations.Maintenance += d.Maintenance
		sum.Durations.Unknown += d.Unknown
		sum.Latency.Merge(u.Report.Latency)
	}
	return sum, per, nil
}

// UptimeCSV writes the uptime of the monitors in reach (or those of one
// asset) over [from, to) as CSV, one monitor per row.
func (s *Service) UptimeCSV(ctx context.Context, assetID string, from, to time.Time) ([]byte, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	q := s.Client.Monitor.Query().Order(ent.Asc(monitor.FieldName), ent.Asc(monitor.FieldID)).Limit(MaxReportMonitors + 1)
	if assetID != "" {
		q = q.Where(monitor.AssetID(assetID))
	}
	ms, err := q.All(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if len(ms) > MaxReportMonitors {
		return nil, opsward.Errorf(opsward.ELIMIT, "a report covers at most %d monitors: narrow it to an asset or a tenant", MaxReportMonitors)
	}
	rows := make([]noc.UptimeRow, 0, len(ms))
	for _, m := range ms {
		u, err := s.uptimeOf(ctx, m, from, to)
		if err != nil {
			return nil, err
		}
		row := noc.UptimeRow{MonitorID: m.ID, Name: m.Name, Report: u.Report}
		if m.SLATarget != nil {
			row.SLA = noc.SLA{Target: *m.SLATarget}
		}
		rows = append(rows, row)
	}
	var buf bytes.Buffer
	if err := noc.WriteUptimeCSV(&buf, rows); err != nil {
		return nil, opsward.Internal(err)
	}
	return buf.Bytes(), nil
}

// Results lists a monitor's results in [from, to), newest first.
func (s *Service) Results(ctx context.Context, id string, from, to time.Time, limit int, cursor string) ([]results.Result, string, error) {
	if err := checkRange(from, to); err != nil {
		return nil, "", err
	}
	m, err := s.Client.Monitor.Get(ctx, id)
	if err != nil {
		return nil, "", storageErr(err)
	}
	nctx, err := s.Tenants.Narrow(ctx, m.TenantID)
	if err != nil {
		return nil, "", err
	}
	return s.ResultStore.Results(nctx, m.ID, from, to, limit, cursor)
}
