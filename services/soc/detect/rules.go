package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/detectionrule"
	"github.com/opsward/opsward/ent/ruleoverride"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/sigma"
	"github.com/opsward/opsward/services/soc/sigma/rediscorr"
	"github.com/opsward/opsward/tenants"
)

// Limits of the rule library.
const (
	// DefaultMaxRuleBytes is the largest rule accepted when Deps.MaxRuleBytes
	// is unset: it holds every rule of the SigmaHQ library (the largest,
	// the vulnerable-driver list, is about 290 KiB).
	DefaultMaxRuleBytes = 2 << 20
	MaxRulesPerTenant   = 20_000
	rulesTTL            = time.Minute
)

// compileConfig is how the platform compiles rules, for ingest, saving and
// the rule tester alike. The platform configures no %placeholder% values,
// so a placeholder matches nothing: a selection on one never matches and a
// filter on one excludes nothing. Such a rule (SigmaHQ's certificate
// distribution point rules filter their known hosts this way) loads and
// errs on the side of alerting, instead of being refused.
func compileConfig() sigma.Config {
	return sigma.Config{UnknownPlaceholders: sigma.PlaceholderMatchNothing}
}

// parseOne parses the YAML of one rule document of at most maxBytes.
func parseOne(name, yaml string, maxBytes int) (*sigma.Rule, error) {
	if len(yaml) > maxBytes {
		return nil, opsward.FieldErrorf("yaml", "the rule has %d bytes and a rule is at most %d (OPSWARD_SIGMA_MAX_RULE_BYTES)", len(yaml), maxBytes)
	}
	rules, err := sigma.Parse(name, []byte(yaml))
	if err != nil {
		return nil, opsward.FieldErrorf("yaml", "%v", err)
	}
	if len(rules) != 1 {
		return nil, opsward.FieldErrorf("yaml", "give one rule document, not %d", len(rules))
	}
	r := rules[0]
	if r.ID == "" {
		return nil, opsward.FieldErrorf("yaml", "the rule has no id: give it one (a UUID)")
	}
	if len(r.ID) > 100 {
		return nil, opsward.FieldErrorf("yaml", "the rule's id is longer than 100 characters")
	}
	// The rule must compile alone: a refusal (an unknown placeholder, an
	// invalid regular expression) is the author's to fix now.
	if rs := sigma.Compile([]*sigma.Rule{r}, compileConfig()); len(rs.Refused) > 0 {
		return nil, opsward.FieldErrorf("yaml", "the rule does not compile: %s", rs.Refused[0].Err)
	}
	return r, nil
}

func kindOf(r *sigma.Rule) detectionrule.Kind {
	switch r.Kind {
	case sigma.KindCorrelation:
		return detectionrule.KindCorrelation
	case sigma.KindFilter:
		return detectionrule.KindFilter
	}
	return detectionrule.KindDetection
}

// RuleInput is a rule to save.
type RuleInput struct {
	TenantID string
	YAML     string
	Enabled  *bool
	Source   string
}

// SaveRule adds a rule or, when the tenant has one with the same id and a
// different text, stores the new text as its next version. Rules of the
// provider are the global library: saving one needs platform:admin.
func (s *Service) SaveRule(ctx context.Context, in RuleInput) (*ent.DetectionRule, error) {
	r, err := parseOne("rule.yml", in.YAML, s.MaxRuleBytes)
	if err != nil {
		return nil, err
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	if err := s.checkGlobalWrite(ctx, tenantID); err != nil {
		return nil, err
	}
	var out *ent.DetectionRule
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		var err error
		out, err = s.saveRule(ctx, tx, tenantID, r, in.YAML, in.Enabled, in.Source)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.rules.invalidate()
	return out, nil
}

func (s *Service) saveRule(ctx context.Context, tx *ent.Tx, tenantID string, r *sigma.Rule, yaml string, enabled *bool, source string) (*ent.DetectionRule, error) {
	old, err := tx.DetectionRule.Query().Where(detectionrule.TenantID(tenantID), detectionrule.RuleID(r.ID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, storageErr(err)
	}
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	cut := func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	}
	title := cut(r.Title, 300)
	if title == "" {
		title = r.ID
	}
	if old != nil {
		if old.Yaml == yaml && (enabled == nil || *enabled == old.Enabled) {
			return old, nil
		}
		u := tx.DetectionRule.UpdateOne(old).SetYaml(yaml).SetTitle(title).SetDescription(cut(r.Description, 4000)).
			SetAuthor(cut(r.Author, 500)).SetLevel(cut(r.Level, 16)).SetStatus(cut(r.Status, 16)).SetKind(kindOf(r)).
			SetTags(tags).SetProduct(cut(r.LogSource.Product, 64)).SetCategory(cut(r.LogSource.Category, 64)).
			SetService(cut(r.LogSource.Service, 64))
		if old.Yaml != yaml {
			u.AddVersion(1)
		}
		if enabled != nil {
			u.SetEnabled(*enabled)
		}
		if source != "" {
			u.SetSource(cut(source, 500))
		}
		saved, err := u.Save(ctx)
		if err != nil {
			return nil, storageErr(err)
		}
		return saved, s.audit(ctx, tx, tenantID, "rule.update", saved.ID, fmt.Sprintf("%s version %d", r.ID, saved.Version))
	}
	n, err := tx.DetectionRule.Query().Where(detectionrule.TenantID(tenantID)).Count(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if n >= MaxRulesPerTenant {
		return nil, opsward.Errorf(opsward.ELIMIT, "a tenant has at most %d rules", MaxRulesPerTenant)
	}
	c := tx.DetectionRule.Create().SetTenantID(tenantID).SetRuleID(r.ID).SetYaml(yaml).SetTitle(title).
		SetDescription(cut(r.Description, 4000)).SetAuthor(cut(r.Author, 500)).SetLevel(cut(r.Level, 16)).
		SetStatus(cut(r.Status, 16)).SetKind(kindOf(r)).SetTags(tags).SetProduct(cut(r.LogSource.Product, 64)).
		SetCategory(cut(r.LogSource.Category, 64)).SetService(cut(r.LogSource.Service, 64)).SetSource(cut(source, 500))
	if enabled != nil {
		c.SetEnabled(*enabled)
	}
	saved, err := c.Save(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	return saved, s.audit(ctx, tx, tenantID, "rule.create", saved.ID, r.ID)
}

// checkGlobalWrite refuses changes to the provider's (global) rules to
// anyone without platform:admin.
func (s *Service) checkGlobalWrite(ctx context.Context, tenantID string) error {
	t, err := s.Client.Tenant.Query().Where(tenant.ID(tenantID)).Select(tenant.FieldKind).Only(tenants.Privileged(ctx, "rule owner kind"))
	if err != nil {
		return storageErr(err)
	}
	if t.Kind == tenant.KindProvider {
		return tenants.Authorize(ctx, tenants.PermPlatformAdmin)
	}
	return nil
}

// SetRuleEnabled turns a rule on or off for the acting tenant: its own rule
// itself, a rule of a tenant above it (the global library) through an
// override that concerns it alone.
func (s *Service) SetRuleEnabled(ctx context.Context, id string, enabled bool) (*ent.DetectionRule, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *ent.DetectionRule
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		r, err := s.ruleInReach(ctx, tx, id)
		if err != nil {
			return err
		}
		out = r
		if r.TenantID == a.TenantID {
			if err := s.checkGlobalWrite(ctx, r.TenantID); err != nil {
				return err
			}
			if out, err = tx.DetectionRule.UpdateOne(r).SetEnabled(enabled).Save(ctx); err != nil {
				return storageErr(err)
			}
			return s.audit(ctx, tx, a.TenantID, "rule.enable", r.ID, fmt.Sprint(enabled))
		}
		err = tx.RuleOverride.Create().SetTenantID(a.TenantID).SetRuleID(r.ID).SetEnabled(enabled).
			OnConflictColumns(ruleoverride.FieldTenantID, ruleoverride.FieldRuleID).UpdateEnabled().UpdateUpdatedAt().Exec(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, a.TenantID, "rule.override", r.ID, fmt.Sprint(enabled))
	})
	if err != nil {
		return nil, err
	}
	s.rules.invalidate()
	return out, nil
}

// ruleInReach reads a rule the actor may use: one of a tenant in its reach
// or of a tenant above its acting tenant (the global library).
func (s *Service) ruleInReach(ctx context.Context, tx *ent.Tx, id string) (*ent.DetectionRule, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return nil, err
	}
	r, err := tx.DetectionRule.Query().Where(detectionrule.ID(id)).Only(tenants.Privileged(ctx, "rule lookup"))
	if err != nil {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no rule %s in your reach", id)
	}
	path, err := s.Tenants.Path(ctx, r.TenantID)
	if err != nil {
		return nil, err
	}
	if !a.IsPrivileged() && !a.Reaches(path) && !strings.HasPrefix(a.TenantPath, path) {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no rule %s in your reach", id)
	}
	return r, nil
}

// DeleteRule removes a rule of a tenant in reach.
func (s *Service) DeleteRule(ctx context.Context, id string) (*ent.DetectionRule, error) {
	var out *ent.DetectionRule
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		r, err := tx.DetectionRule.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if err := s.checkGlobalWrite(ctx, r.TenantID); err != nil {
			return err
		}
		if err := tx.DetectionRule.DeleteOne(r).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = r
		return s.audit(ctx, tx, r.TenantID, "rule.delete", r.ID, r.RuleID)
	})
	if err != nil {
		return nil, err
	}
	s.rules.invalidate()
	return out, nil
}

// RulesQuery is the rules that apply to the acting tenant: its own and
// those of the tenants above it.
func (s *Service) RulesQuery(ctx context.Context) (*ent.DetectionRuleQuery, context.Context, error) {
	a, err := tenants.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	ids := pathIDs(a.TenantPath)
	return s.Client.DetectionRule.Query().Where(detectionrule.TenantIDIn(ids...)),
		tenants.Privileged(ctx, "rules that apply to the acting tenant"), nil
}

// EnabledFor reports whether a rule runs for a tenant.
func (s *Service) EnabledFor(ctx context.Context, r *ent.DetectionRule, tenantID string) (bool, error) {
	if !r.Enabled {
		return false, nil
	}
	o, err := s.Client.RuleOverride.Query().Where(ruleoverride.TenantID(tenantID), ruleoverride.RuleID(r.ID)).
		Only(tenants.Privileged(ctx, "rule override"))
	if ent.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, storageErr(err)
	}
	return o.Enabled, nil
}

func pathIDs(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

// ImportReport says what an import did.
type ImportReport struct {
	Files, Saved, Unchanged int
	Refused                 []string // "file: reason"
}

var docSplit = regexp.MustCompile(`(?m)^---\s*$`)

// ImportDir imports every .yml/.yaml file below dir into the rules of
// tenantID (the provider for the global library). Each document of a file
// is one rule; a document that does not parse or compile is refused with
// its reason and the rest go on.
func (s *Service) ImportDir(ctx context.Context, tenantID, dir string) (*ImportReport, error) {
	rep := &ImportReport{}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	slices.Sort(files)
	pctx := tenants.Privileged(ctx, "import rules")
	type doc struct {
		file, yaml string
		rule       *sigma.Rule
	}
	var docs []doc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rep.Files++
		rel, _ := filepath.Rel(dir, f)
		for _, part := range docSplit.Split(string(b), -1) {
			if strings.TrimSpace(part) == "" {
				continue
			}
			r, err := parseOne(rel, part, s.MaxRuleBytes)
			if err != nil {
				rep.Refused = append(rep.Refused, fmt.Sprintf("%s: %s", rel, opsward.ErrorMessage(err)))
				continue
			}
			docs = append(docs, doc{rel, part, r})
		}
	}
	// One transaction per few hundred rules: a large library does not
	// hold one lock for minutes.
	for len(docs) > 0 {
		n := min(len(docs), 200)
		err := s.withTx(pctx, func(tx *ent.Tx) error {
			for _, d := range docs[:n] {
				before, _ := tx.DetectionRule.Query().Where(detectionrule.TenantID(tenantID), detectionrule.RuleID(d.rule.ID)).Only(pctx)
				saved, err := s.saveRule(pctx, tx, tenantID, d.rule, d.yaml, nil, d.file)
				if err != nil {
					if opsward.ErrorCode(err) == opsward.ELIMIT {
						return err
					}
					rep.Refused = append(rep.Refused, fmt.Sprintf("%s: %s", d.file, opsward.ErrorMessage(err)))
					continue
				}
				if before != nil && before.Version == saved.Version && before.Yaml == saved.Yaml {
					rep.Unchanged++
				} else {
					rep.Saved++
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		docs = docs[n:]
	}
	s.rules.invalidate()
	return rep, nil
}

// ruleCache holds compiled rule sets. Tenants whose effective rules are
// the same share one compiled set (most customers run the global library
// as it is); sets are rebuilt after a change here and at least every
// rulesTTL for changes made elsewhere.
type ruleCache struct {
	s  *Service
	mu sync.Mutex
	// by tenant: the key of its effective rules and when it was read
	tenants map[string]tenantRules
	sets    map[string]*compiled
	parsed  map[string]*sigma.Rule // by row id + version
}

type tenantRules struct {
	key string
	at  time.Time
}

func (c *ruleCache) invalidate() {
	c.mu.Lock()
	c.tenants = nil
	c.mu.Unlock()
}

// compiled is a tenant's rules ready to run, and the correlator of its
// correlation rules (windows in Redis, shared by every process).
type compiled struct {
	rs   *sigma.RuleSet
	corr sigma.Correlator
}

// set returns the compiled rules that run for a tenant.
func (c *ruleCache) set(ctx context.Context, tenantID string) (*compiled, error) {
	c.mu.Lock()
	tr, ok := c.tenants[tenantID]
	if ok && time.Since(tr.at) < rulesTTL {
		rs := c.sets[tr.key]
		c.mu.Unlock()
		if rs != nil {
			return rs, nil
		}
	} else {
		c.mu.Unlock()
	}
	path, err := c.s.Tenants.Path(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	pctx := tenants.Privileged(ctx, "compile a tenant's rules")
	rows, err := c.s.Client.DetectionRule.Query().Where(detectionrule.TenantIDIn(pathIDs(path)...), detectionrule.Enabled(true)).
		Select(detectionrule.FieldID, detectionrule.FieldVersion, detectionrule.FieldYaml, detectionrule.FieldTenantID).All(pctx)
	if err != nil {
		return nil, err
	}
	off, err := c.s.Client.RuleOverride.Query().Where(ruleoverride.TenantIDIn(pathIDs(path)...)).All(pctx)
	if err != nil {
		return nil, err
	}
	// The nearest tenant's override wins (a customer's over the provider's
	// choice for it, an organization's over its customer's).
	depth := func(t string) int { return slices.Index(pathIDs(path), t) }
	enabled := map[string]bool{}
	best := map[string]int{}
	for _, o := range off {
		if d, ok := best[o.RuleID]; !ok || depth(o.TenantID) > d {
			best[o.RuleID], enabled[o.RuleID] = depth(o.TenantID), o.Enabled
		}
	}
	var keep []*ent.DetectionRule
	for _, r := range rows {
		if on, ok := enabled[r.ID]; ok && !on {
			continue
		}
		keep = append(keep, r)
	}
	slices.SortFunc(keep, func(a, b *ent.DetectionRule) int { return strings.Compare(a.ID, b.ID) })
	h := sha256.New()
	for _, r := range keep {
		fmt.Fprintf(h, "%s@%d\n", r.ID, r.Version)
	}
	key := hex.EncodeToString(h.Sum(nil))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tenants == nil {
		c.tenants = map[string]tenantRules{}
	}
	c.tenants[tenantID] = tenantRules{key: key, at: time.Now()}
	if rs := c.sets[key]; rs != nil {
		return rs, nil
	}
	if c.parsed == nil {
		c.parsed = map[string]*sigma.Rule{}
	}
	var rules []*sigma.Rule
	for _, r := range keep {
		pk := fmt.Sprintf("%s@%d", r.ID, r.Version)
		p := c.parsed[pk]
		if p == nil {
			ps, err := sigma.Parse(r.ID, []byte(r.Yaml))
			if err != nil || len(ps) != 1 {
				continue // stored rules were checked when saved
			}
			p = ps[0]
			c.parsed[pk] = p
		}
		rules = append(rules, p)
	}
	cp := &compiled{rs: sigma.Compile(rules, compileConfig())}
	if len(cp.rs.Correlations) > 0 {
		corr, err := rediscorr.NewCorrelator(cp.rs.Correlations, cp.rs.Detections, c.s.Redis, rediscorr.Config{Prefix: c.s.Prefix})
		if err != nil {
			c.s.log.WarnContext(ctx, "correlation rules left out", "tenant_id", tenantID, "err", err)
		} else {
			cp.corr = corr
		}
	}
	if c.sets == nil || len(c.sets) > 64 {
		c.sets = map[string]*compiled{}
	}
	c.sets[key] = cp
	return cp, nil
}

// RuleTest is what TestRule found.
type RuleTest struct {
	RuleID, Title string
	Err           error
	Matches       []int
	Correlations  []int
}

// TestRule runs a rule over events without saving anything: what would
// match. Events are what POST /ingest/events takes (ECS or other flat
// JSON, Winlogbeat, the EVTX layout); each is normalised and routed to its
// logsources exactly as ingest does (Route), so a rule matches here the
// events it would raise alerts on.
func (s *Service) TestRule(ctx context.Context, yaml string, evs []map[string]any) (*RuleTest, error) {
	if len(evs) > 1000 {
		return nil, opsward.FieldErrorf("events", "at most 1000 events")
	}
	out := &RuleTest{Matches: []int{}, Correlations: []int{}}
	rules, err := sigma.Parse("rule.yml", []byte(yaml))
	if err == nil && len(rules) == 0 {
		err = errors.New("no rule in the text")
	}
	if err != nil {
		out.Err = err
		return out, nil
	}
	out.RuleID, out.Title = rules[0].ID, rules[0].Title
	rs := sigma.Compile(rules, compileConfig())
	if len(rs.Refused) > 0 {
		out.Err = rs.Refused[0].Err
		return out, nil
	}
	var corr *sigma.MemoryCorrelator
	if len(rs.Correlations) > 0 {
		if corr, err = sigma.NewMemoryCorrelator(rs.Correlations, rs.Detections); err != nil {
			out.Err = err
			return out, nil
		}
	}
	now := s.now()
	for i, raw := range evs {
		// Routed exactly as ingest routes it: normalised as an HTTP
		// event, then Route.
		b, err := json.Marshal(raw)
		if err != nil {
			return nil, opsward.FieldErrorf("events", "event %d: %v", i, err)
		}
		nev, err := normalize.Normalize(b, normalize.FormatJSON, now)
		if err != nil {
			return nil, opsward.FieldErrorf("events", "event %d: %s", i, opsward.ErrorMessage(err))
		}
		ev, sources := Route(nev)
		var ms []sigma.Match
		matched := false
		rs.Matches(ev, sources, func(m *sigma.Match) {
			if !m.CorrelationOnly {
				matched = true
			}
			ms = append(ms, *m)
		})
		if matched {
			out.Matches = append(out.Matches, i)
		}
		if corr != nil && len(ms) > 0 {
			ts := eventTime(raw, time.Now())
			cm, err := corr.Observe(ctx, ev, ts, ms)
			if err != nil {
				out.Err = err
				return out, nil
			}
			if len(cm) > 0 {
				out.Correlations = append(out.Correlations, i)
			}
		}
	}
	return out, nil
}

// eventTime reads an event's time for correlation windows: @timestamp,
// the EVTX System.TimeCreated, or def.
func eventTime(raw map[string]any, def time.Time) time.Time {
	if v, ok := raw["@timestamp"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	if e, ok := raw["Event"].(map[string]any); ok {
		if sys, ok := e["System"].(map[string]any); ok {
			if tc, ok := sys["TimeCreated"].(map[string]any); ok {
				if v, ok := tc["SystemTime"].(string); ok {
					if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
						return t
					}
				}
			}
		}
	}
	return def
}

// IsGlobal reports whether a rule belongs to the global library (the
// provider's rules).
func (s *Service) IsGlobal(ctx context.Context, r *ent.DetectionRule) (bool, error) {
	t, err := s.Client.Tenant.Query().Where(tenant.ID(r.TenantID)).Select(tenant.FieldKind).Only(tenants.Privileged(ctx, "rule owner kind"))
	if err != nil {
		return false, storageErr(err)
	}
	return t.Kind == tenant.KindProvider, nil
}
