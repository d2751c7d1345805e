package monitoring

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/ent/statuspage"
	"github.com/opsward/opsward/tenants"
)

// MaxStatusPageMonitors bounds what one status page shows.
const MaxStatusPageMonitors = 50

// StatusPageDays is how many days of uptime a public page shows.
const StatusPageDays = 90

var statusSlug = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$`)

// StatusPageInput publishes (or republishes) a page: the slug names it in
// the address /status/{slug}.
type StatusPageInput struct {
	TenantID   string // default: the acting tenant
	Slug       string
	Title      string
	MonitorIDs []string
}

// PublishStatusPage creates the tenant's page of that slug, or replaces
// what an existing one shows. Every monitor must be the page's tenant's
// own: a page never shows another tenant's monitor, not even a child's.
func (s *Service) PublishStatusPage(ctx context.Context, in StatusPageInput) (*ent.StatusPage, error) {
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case !statusSlug.MatchString(in.Slug):
		return nil, opsward.FieldErrorf("slug", "a slug has 3 to 63 lowercase letters, digits and inner hyphens")
	case in.Title == "" || len(in.Title) > 200:
		return nil, opsward.FieldErrorf("title", "a title has 1 to 200 characters")
	case len(in.MonitorIDs) == 0:
		return nil, opsward.FieldErrorf("monitorIds", "a status page shows at least one monitor")
	case len(in.MonitorIDs) > MaxStatusPageMonitors:
		return nil, opsward.FieldErrorf("monitorIds", "a status page shows at most %d monitors", MaxStatusPageMonitors)
	}
	ids := slices.Compact(slices.Clone(in.MonitorIDs))
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	var out *ent.StatusPage
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.Monitor.Query().Where(monitor.IDIn(ids...), monitor.TenantID(tenantID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n != len(ids) {
			return opsward.FieldErrorf("monitorIds", "every monitor must be one of this tenant's")
		}
		page, err := tx.StatusPage.Query().Where(statuspage.TenantID(tenantID), statuspage.Slug(in.Slug)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			out, err = tx.StatusPage.Create().SetTenantID(tenantID).SetSlug(in.Slug).SetTitle(in.Title).SetMonitorIds(ids).Save(ctx)
			if ent.IsConstraintError(err) {
				// Another tenant's page has the slug: say no more than that.
				return opsward.FieldErrorf("slug", "the slug %q is taken", in.Slug)
			}
		case err == nil:
			out, err = page.Update().SetTitle(in.Title).SetMonitorIds(ids).Save(ctx)
		}
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, tenantID, "status_page.publish", out.ID, in.Slug)
	})
	return out, err
}

// UnpublishStatusPage deletes a page; its address answers not found.
func (s *Service) UnpublishStatusPage(ctx context.Context, id string) (*ent.StatusPage, error) {
	var out *ent.StatusPage
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		p, err := tx.StatusPage.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if err := tx.StatusPage.DeleteOne(p).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = p
		return s.audit(ctx, tx, p.TenantID, "status_page.unpublish", p.ID, p.Slug)
	})
	return out, err
}

// PublicStatusPage is what /status/{slug} shows, and nothing else: the
// page's title, and per published monitor its name, state and daily
// uptime, and the incidents of those monitors in the last StatusPageDays.
type PublicStatusPage struct {
	Title     string                 `json:"title"`
	Monitors  []PublicStatusMonitor  `json:"monitors"`
	Incidents []PublicStatusIncident `json:"incidents"`
	Days      []string               `json:"days"`
	Updated   time.Time              `json:"updatedAt"`
}

// PublicStatusMonitor is one monitor on a public page.
type PublicStatusMonitor struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// Uptime per day of Days, in percent; null for a day with no check.
	Uptime []*float64 `json:"uptime"`
}

// PublicStatusIncident is an incident notice on a public page.
type PublicStatusIncident struct {
	Title      string     `json:"title"`
	Monitor    string     `json:"monitor"`
	Status     string     `json:"status"`
	OpenedAt   time.Time  `json:"openedAt"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
}

// PublicPage reads the page of a slug for anyone. It is the one read of
// a tenant's data without credentials: it runs as the page's tenant's
// system actor, reads only the page's monitors, and copies out only the
// fields of PublicStatusPage.
func (s *Service) PublicPage(ctx context.Context, slug string) (*PublicStatusPage, error) {
	slug = strings.ToLower(slug)
	if !statusSlug.MatchString(slug) {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no status page %q", slug)
	}
	// The one privileged read: which tenant owns the slug. Everything after
	// it is scoped to that tenant like any request.
	owner, err := s.Client.StatusPage.Query().Where(statuspage.Slug(slug)).Only(tenants.Privileged(ctx, "public status page owner"))
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, opsward.Errorf(opsward.ENOTFOUND, "no status page %q", slug)
		}
		return nil, storageErr(err)
	}
	sctx, err := s.systemCtx(ctx, owner.TenantID)
	if err != nil {
		return nil, err
	}
	page, err := s.Client.StatusPage.Query().Where(statuspage.Slug(slug)).Only(sctx)
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, opsward.Errorf(opsward.ENOTFOUND, "no status page %q", slug)
		}
		return nil, storageErr(err)
	}
	ms, err := s.Client.Monitor.Query().Where(monitor.IDIn(page.MonitorIds...), monitor.TenantID(page.TenantID)).All(sctx)
	if err != nil {
		return nil, storageErr(err)
	}
	byID := map[string]*ent.Monitor{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	today := s.now().Truncate(24 * time.Hour)
	start := today.Add(-(StatusPageDays - 1) * 24 * time.Hour)
	out := &PublicStatusPage{Title: page.Title, Updated: s.now(), Monitors: []PublicStatusMonitor{}, Incidents: []PublicStatusIncident{}}
	for d := 0; d < StatusPageDays; d++ {
		out.Days = append(out.Days, start.Add(time.Duration(d)*24*time.Hour).Format(time.DateOnly))
	}
	names := map[string]string{}
	for _, id := range page.MonitorIds {
		m := byID[id]
		if m == nil {
			continue // deleted since it was published
		}
		names[id] = m.Name
		pm := PublicStatusMonitor{Name: m.Name, Status: string(m.Status)}
		if m.Paused {
			pm.Status = "paused"
		}
		for d := 0; d < StatusPageDays; d++ {
			from := start.Add(time.Duration(d) * 24 * time.Hour)
			u, err := s.uptimeOf(sctx, m, from, from.Add(24*time.Hour))
			if err != nil {
				return nil, err
			}
			if p, ok := u.Report.Uptime(); ok {
				pm.Uptime = append(pm.Uptime, &p)
			} else {
				pm.Uptime = append(pm.Uptime, nil)
			}
		}
		out.Monitors = append(out.Monitors, pm)
	}
	if len(names) > 0 {
		ids := make([]string, 0, len(names))
		for id := range names {
			ids = append(ids, id)
		}
		incs, err := s.Client.Incident.Query().
			Where(incident.MonitorIDIn(ids...), incident.TenantID(page.TenantID), incident.OpenedAtGTE(start), incident.Suppressed(false)).
			Order(ent.Desc(incident.FieldOpenedAt)).Limit(50).All(sctx)
		if err != nil {
			return nil, storageErr(err)
		}
		for _, in := range incs {
			out.Incidents = append(out.Incidents, PublicStatusIncident{Title: in.Title, Monitor: names[*in.MonitorID], Status: string(in.Status),
				OpenedAt: in.OpenedAt, ResolvedAt: in.ResolvedAt})
		}
	}
	return out, nil
}
