package response

import (
	"context"
	"strings"
	"time"

	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/indicator"
	"github.com/opsward/opsward/ent/indicatorlist"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/soc/intel"
	"github.com/opsward/opsward/tenants"
)

// RefreshInterval is how often Run looks for changes other processes made
// to intel lists.
const RefreshInterval = 30 * time.Second

// FullRebuildInterval bounds how long the fingerprint alone may keep the
// matcher: a delete and an insert stamped with a lagging clock elsewhere
// could leave it unchanged.
const FullRebuildInterval = 10 * time.Minute

// fingerprint is a cheap summary of the intel lists and their indicators:
// a periodic refresh that finds the same one skips the rebuild, which
// costs seconds for large feeds.
type fingerprint struct {
	lists, indicators int
	listsAt, indsAt   time.Time
	ok                bool
}

// Match returns the indicators found in a normalised event of tenantID
// that apply to it: the provider's (global) intel lists, the tenant's own
// and its ancestors'. The ingest pipeline calls it per event; it reads
// only memory (the matcher built by Refresh) once the tenant's place in
// the tree is known.
func (s *Service) Match(ctx context.Context, tenantID string, ev map[string]any, now time.Time) []intel.Hit {
	return s.store.Match(ev, s.scope(ctx, tenantID), now)
}

// Lookup answers whether a bare value is known to the intel lists that
// apply to tenantID.
func (s *Service) Lookup(ctx context.Context, tenantID, value string, now time.Time) []intel.Hit {
	return s.store.Load().Lookup(value, s.scope(ctx, tenantID), now)
}

// scope is the tenant and its ancestors, read from its path once.
func (s *Service) scope(ctx context.Context, tenantID string) intel.Scope {
	if v, ok := s.scopes.Load(tenantID); ok {
		return v.(intel.Scope)
	}
	path, err := s.Tenants.Path(ctx, tenantID)
	if err != nil {
		// Without the path the tenant still gets its own lists and the
		// global ones; it is not cached, so the next event tries again.
		s.log.WarnContext(ctx, "intel scope: tenant path", "tenant_id", tenantID, "error", err)
		return intel.Scope{tenantID}
	}
	var sc intel.Scope
	for _, id := range strings.Split(strings.Trim(path, "/"), "/") {
		if id != "" {
			sc = append(sc, id)
		}
	}
	if len(sc) == 0 || sc[len(sc)-1] != tenantID {
		sc = append(sc, tenantID)
	}
	s.scopes.Store(tenantID, sc)
	return sc
}

// changed notes that a list of kind changed in this process: the Run loop
// rebuilds the matcher at once. Block lists are not matched.
func (s *Service) changed(kind string) {
	if kind != ListIntel {
		return
	}
	s.stale.Store(true)
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// Matcher returns the matcher in use (for statistics).
func (s *Service) Matcher() *intel.Matcher { return s.store.Load() }

// Run keeps the matcher current until ctx ends: it rebuilds at once when
// a list changes in this process and every RefreshInterval for changes
// made elsewhere (when they changed anything).
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(RefreshInterval)
	defer t.Stop()
	for {
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "intel refresh", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.dirty:
		}
	}
}

// Refresh rebuilds the matcher from every intel list of every tenant and
// swaps it in, unless nothing changed since the last build. It reads
// through the privileged path: the matcher serves every tenant, and Match
// scopes each event.
func (s *Service) Refresh(ctx context.Context) error {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	pctx := tenants.Privileged(ctx, "soc response: build the intel matcher from every tenant's lists")
	fp, err := s.fingerprint(pctx)
	if err != nil {
		return err
	}
	// Cleared before reading, so that a change made while this build
	// reads is seen by the next one.
	if !s.stale.Swap(false) && s.built.ok && fp.same(s.built) && time.Since(s.builtAt) < FullRebuildInterval {
		return nil
	}
	inds, err := s.loadIntel(pctx)
	if err != nil {
		return err
	}
	m, rej := intel.NewMatcher(inds)
	if len(rej) > 0 {
		s.log.WarnContext(ctx, "intel indicators left out of the matcher", "count", len(rej), "first", rej[0].String())
	}
	s.store.Swap(m)
	fp.ok = true
	s.built, s.builtAt = fp, time.Now()
	return nil
}

func (f fingerprint) same(o fingerprint) bool {
	return f.lists == o.lists && f.indicators == o.indicators && f.listsAt.Equal(o.listsAt) && f.indsAt.Equal(o.indsAt)
}

func (s *Service) fingerprint(ctx context.Context) (fingerprint, error) {
	var fp fingerprint
	lists, err := s.Client.IndicatorList.Query().Where(indicatorlist.KindEQ(indicatorlist.KindIntel)).
		Select(indicatorlist.FieldID, indicatorlist.FieldUpdatedAt).All(ctx)
	if err != nil {
		return fp, storageErr(err)
	}
	fp.lists = len(lists)
	ids := make([]string, len(lists))
	for k, l := range lists {
		ids[k] = l.ID
		if l.UpdatedAt.After(fp.listsAt) {
			fp.listsAt = l.UpdatedAt
		}
	}
	if len(ids) == 0 {
		return fp, nil
	}
	q := s.Client.Indicator.Query().Where(indicator.ListIDIn(ids...))
	if fp.indicators, err = q.Clone().Count(ctx); err != nil {
		return fp, storageErr(err)
	}
	last, err := q.Order(ent.Desc(indicator.FieldUpdatedAt)).Select(indicator.FieldUpdatedAt).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return fp, storageErr(err)
	}
	if last != nil {
		fp.indsAt = last.UpdatedAt
	}
	return fp, nil
}

// loadIntel reads every indicator of every intel list, in pages. The
// provider's lists become global indicators (no tenant): they apply to
// every tenant's events.
func (s *Service) loadIntel(ctx context.Context) ([]intel.Indicator, error) {
	providers, err := s.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindProvider)).IDs(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	global := make(map[string]bool, len(providers))
	for _, id := range providers {
		global[id] = true
	}
	lists, err := s.Client.IndicatorList.Query().Where(indicatorlist.KindEQ(indicatorlist.KindIntel)).All(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	var out []intel.Indicator
	const page = 5000
	for _, l := range lists {
		owner := l.TenantID
		if global[owner] {
			owner = ""
		}
		after := ""
		for {
			q := s.Client.Indicator.Query().Where(indicator.ListID(l.ID)).Order(ent.Asc(indicator.FieldID)).Limit(page)
			if after != "" {
				q.Where(indicator.IDGT(after))
			}
			rows, err := q.All(ctx)
			if err != nil {
				return nil, storageErr(err)
			}
			for _, r := range rows {
				out = append(out, toIntel(r, owner))
			}
			if len(rows) < page {
				break
			}
			after = rows[len(rows)-1].ID
		}
	}
	return out, nil
}

func toIntel(r *ent.Indicator, owner string) intel.Indicator {
	in := intel.Indicator{ID: r.ID, Kind: intel.Kind(r.Kind), Value: r.Value, Source: r.Source, Confidence: r.Confidence,
		TLP: intel.TLP(r.Tlp), Tags: r.Tags, Description: r.Description, ListID: r.ListID, TenantID: owner}
	if r.ValidFrom != nil {
		in.ValidFrom = *r.ValidFrom
	}
	if r.ValidUntil != nil {
		in.ValidUntil = *r.ValidUntil
	}
	return in
}
