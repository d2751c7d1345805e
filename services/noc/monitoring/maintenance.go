package monitoring

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/maintenancewindow"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/predicate"
	"github.com/opsward/opsward/services/noc"
)

// WindowInput is a new maintenance window or a replacement of one.
type WindowInput struct {
	TenantID   string
	Name       string
	AssetIDs   []string
	MonitorIDs []string
	Start, End time.Time
	Recurrence string // "", "none", "daily", "weekly", "monthly"
	TimeZone   string // "" means the tenant's
	Weekdays   []time.Weekday
	MonthDay   int
	StartTime  string
	Duration   time.Duration
	Until      time.Time
}

// windowOf is the domain window of a stored one.
func windowOf(w *ent.MaintenanceWindow) noc.Window {
	out := noc.Window{ID: w.ID, TimeZone: w.Timezone, MonthDay: w.MonthDay, StartTime: w.StartTime,
		Duration: time.Duration(w.DurationSeconds) * time.Second}
	if w.Recurrence != maintenancewindow.RecurrenceNone {
		out.Recurrence = noc.Recurrence(w.Recurrence)
	}
	if w.StartsAt != nil {
		out.Start = *w.StartsAt
	}
	if w.EndsAt != nil {
		out.End = *w.EndsAt
	}
	if w.Until != nil {
		out.Until = *w.Until
	}
	for _, d := range w.Weekdays {
		out.Weekdays = append(out.Weekdays, time.Weekday(d))
	}
	return out
}

// Window returns the domain form of a stored window (for its next
// occurrence, say).
func Window(w *ent.MaintenanceWindow) noc.Window { return windowOf(w) }

func (s *Service) checkWindow(ctx context.Context, tx *ent.Tx, tenantID string, in *WindowInput) error {
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 200 {
		return opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	if in.Recurrence == "none" {
		in.Recurrence = ""
	}
	if in.Recurrence != "" && in.TimeZone == "" {
		t, err := tx.Tenant.Get(ctx, tenantID)
		if err != nil {
			return storageErr(err)
		}
		in.TimeZone = t.Timezone
	}
	w := noc.Window{Start: in.Start, End: in.End, Recurrence: noc.Recurrence(in.Recurrence), TimeZone: in.TimeZone,
		Weekdays: in.Weekdays, MonthDay: in.MonthDay, StartTime: in.StartTime, Duration: in.Duration, Until: in.Until}
	if err := w.Validate(); err != nil {
		return err
	}
	if in.Duration%time.Second != 0 {
		return opsward.FieldErrorf("duration", "a duration is a whole number of seconds")
	}
	in.AssetIDs, in.MonitorIDs = compact(in.AssetIDs), compact(in.MonitorIDs)
	if len(in.AssetIDs)+len(in.MonitorIDs) > MaxTargetsPerWindowScope {
		return opsward.FieldErrorf("assetIds", "a window names at most %d assets and monitors", MaxTargetsPerWindowScope)
	}
	if len(in.AssetIDs) > 0 {
		n, err := tx.Asset.Query().Where(assetIn(tenantID, in.AssetIDs)...).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n != len(in.AssetIDs) {
			return opsward.FieldErrorf("assetIds", "every asset must be one of the window's tenant")
		}
	}
	if len(in.MonitorIDs) > 0 {
		n, err := tx.Monitor.Query().Where(monitorIn(tenantID, in.MonitorIDs)...).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n != len(in.MonitorIDs) {
			return opsward.FieldErrorf("monitorIds", "every monitor must be one of the window's tenant")
		}
	}
	return nil
}

func setWindow[T interface {
	SetName(string) T
	SetAssetIds([]string) T
	SetMonitorIds([]string) T
	SetNillableStartsAt(*time.Time) T
	SetNillableEndsAt(*time.Time) T
	SetRecurrence(maintenancewindow.Recurrence) T
	SetTimezone(string) T
	SetWeekdays([]int) T
	SetMonthDay(int) T
	SetStartTime(string) T
	SetDurationSeconds(int) T
	SetNillableUntil(*time.Time) T
}](b T, in WindowInput) T {
	rec := maintenancewindow.RecurrenceNone
	if in.Recurrence != "" {
		rec = maintenancewindow.Recurrence(in.Recurrence)
	}
	days := make([]int, len(in.Weekdays))
	for k, d := range in.Weekdays {
		days[k] = int(d)
	}
	return b.SetName(strings.TrimSpace(in.Name)).SetAssetIds(in.AssetIDs).SetMonitorIds(in.MonitorIDs).
		SetNillableStartsAt(timePtr(in.Start)).SetNillableEndsAt(timePtr(in.End)).SetRecurrence(rec).
		SetTimezone(in.TimeZone).SetWeekdays(days).SetMonthDay(in.MonthDay).SetStartTime(in.StartTime).
		SetDurationSeconds(int(in.Duration / time.Second)).SetNillableUntil(timePtr(in.Until))
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// CreateMaintenanceWindow adds a window.
func (s *Service) CreateMaintenanceWindow(ctx context.Context, in WindowInput) (*ent.MaintenanceWindow, error) {
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	var out *ent.MaintenanceWindow
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		if err := s.checkWindow(ctx, tx, tenantID, &in); err != nil {
			return err
		}
		n, err := tx.MaintenanceWindow.Query().Where(maintenancewindow.TenantID(tenantID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxWindowsPerTenant {
			return opsward.Errorf(opsward.ELIMIT, "a tenant has at most %d maintenance windows", MaxWindowsPerTenant)
		}
		out, err = setWindow(tx.MaintenanceWindow.Create().SetTenantID(tenantID), in).Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, tenantID, "maintenance.create", out.ID, out.Name)
	})
	s.windows.forget(tenantID)
	return out, err
}

// UpdateMaintenanceWindow replaces a window.
func (s *Service) UpdateMaintenanceWindow(ctx context.Context, id string, in WindowInput) (*ent.MaintenanceWindow, error) {
	var out *ent.MaintenanceWindow
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		w, err := tx.MaintenanceWindow.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if err := s.checkWindow(ctx, tx, w.TenantID, &in); err != nil {
			return err
		}
		out, err = setWindow(tx.MaintenanceWindow.UpdateOne(w), in).Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, w.TenantID, "maintenance.update", w.ID, "")
	})
	if out != nil {
		s.windows.forget(out.TenantID)
	}
	return out, err
}

// DeleteMaintenanceWindow removes a window.
func (s *Service) DeleteMaintenanceWindow(ctx context.Context, id string) (*ent.MaintenanceWindow, error) {
	var out *ent.MaintenanceWindow
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		w, err := tx.MaintenanceWindow.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if err := tx.MaintenanceWindow.DeleteOne(w).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = w
		return s.audit(ctx, tx, w.TenantID, "maintenance.delete", w.ID, w.Name)
	})
	if out != nil {
		s.windows.forget(out.TenantID)
	}
	return out, err
}

// windowCache keeps each tenant's windows for a few seconds: every check
// asks, and windows change rarely. A change made through this process is
// seen at once; one made through another process within windowTTL.
type windowCache struct {
	mu sync.Mutex
	m  map[string]cachedWindows
}

type cachedWindows struct {
	at      time.Time
	windows []*ent.MaintenanceWindow
}

const windowTTL = 5 * time.Second

func (c *windowCache) forget(tenantID string) {
	c.mu.Lock()
	delete(c.m, tenantID)
	c.mu.Unlock()
}

// inMaintenance reports whether a window covering the monitor (by its id,
// its asset's, or the whole tenant) is active at now.
func (s *Service) inMaintenance(ctx context.Context, m *ent.Monitor, now time.Time) (bool, error) {
	c := &s.windows
	c.mu.Lock()
	cw, ok := c.m[m.TenantID]
	c.mu.Unlock()
	if !ok || time.Since(cw.at) > windowTTL {
		ws, err := s.Client.MaintenanceWindow.Query().Where(maintenancewindow.TenantID(m.TenantID)).All(ctx)
		if err != nil {
			return false, storageErr(err)
		}
		cw = cachedWindows{at: time.Now(), windows: ws}
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]cachedWindows{}
		}
		c.m[m.TenantID] = cw
		c.mu.Unlock()
	}
	var applies []noc.Window
	for _, w := range cw.windows {
		whole := len(w.AssetIds) == 0 && len(w.MonitorIds) == 0
		if whole || slices.Contains(w.MonitorIds, m.ID) || slices.Contains(w.AssetIds, m.AssetID) {
			applies = append(applies, windowOf(w))
		}
	}
	return noc.InMaintenance(applies, now), nil
}

func assetIn(tenantID string, ids []string) []predicate.Asset {
	return []predicate.Asset{asset.TenantID(tenantID), asset.IDIn(ids...)}
}

func monitorIn(tenantID string, ids []string) []predicate.Monitor {
	return []predicate.Monitor{monitor.TenantID(tenantID), monitor.IDIn(ids...)}
}
