package rediscorr_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/testenv"
	"github.com/opsward/opsward/services/soc/sigma"
	"github.com/opsward/opsward/services/soc/sigma/rediscorr"
	"github.com/opsward/opsward/tenants/scope"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// specDir is the specification's example correlation rules in
// ../shared/sigma beside the module root; the test skips without them.
func specDir(t *testing.T) string { return specDirB(t) }

func specDirB(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("module root not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "sigma", "spec-examples", "correlation")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Sigma specification examples not found at %s (tests read them from ../shared/sigma beside the module root)", p)
	}
	return p
}

func tenantCtx(tenant string) context.Context {
	return scope.NewContext(context.Background(), &scope.Actor{Kind: scope.ActorSystem, ID: "test", TenantID: tenant})
}

type feed struct {
	at     time.Duration
	rule   string // the detection rule id the event matched
	ev     sigma.Event
	tenant string // default ten_a
}

type scenario struct {
	name  string
	file  string // a correlation example of the specification, or "" for doc
	doc   string // rules to compile; events are then evaluated, not fed by rule
	feeds []feed
	want  int // correlation matches over the whole scenario
}

func scenarios() []scenario {
	var out []scenario
	ev := func(kv ...string) sigma.Event {
		e := sigma.Event{}
		for i := 0; i+1 < len(kv); i += 2 {
			e[kv[i]] = kv[i+1]
		}
		return e
	}
	// event_count: gte 100 per ComputerName in 1h.
	const failed = "5638f7c0-ac70-491d-8465-2a65075e0d86"
	var fs []feed
	for i := range 100 {
		fs = append(fs, feed{at: time.Duration(i) * 30 * time.Second, rule: failed, ev: ev("ComputerName", "a")})
	}
	for i := range 150 { // spread over 2h: never 100 within an hour
		fs = append(fs, feed{at: 2*time.Hour + time.Duration(i)*72*time.Second, rule: failed, ev: ev("ComputerName", "b")})
	}
	for i := range 200 { // two tenants, one host name: 100 each, not within the hour
		tn := "ten_a"
		if i%2 == 1 {
			tn = "ten_b"
		}
		fs = append(fs, feed{at: 10*time.Hour + time.Duration(i)*20*time.Second, rule: failed, ev: ev("ComputerName", "c"), tenant: tn})
	}
	out = append(out, scenario{name: "event_count", file: "event_count.yml", feeds: fs, want: 1})

	// value_count: >= 100 distinct User per ComputerName+WorkstationName in 1d.
	const logon = "5638f7c0-ac70-491d-8465-2a65075e0d86"
	fs = nil
	for i := range 99 {
		fs = append(fs, feed{at: time.Duration(i) * time.Minute, rule: logon, ev: ev("ComputerName", "dc", "WorkstationName", "ws", "User", "u"+strconv.Itoa(i))})
		fs = append(fs, feed{at: time.Duration(i) * time.Minute, rule: logon, ev: ev("ComputerName", "dc", "WorkstationName", "ws", "User", "u0")})
	}
	fs = append(fs, feed{at: 100 * time.Minute, rule: logon, ev: ev("ComputerName", "dc", "WorkstationName", "ws", "User", "u99")})
	for i := range 200 {
		fs = append(fs, feed{at: 5*24*time.Hour + time.Duration(i)*15*time.Minute, rule: logon, ev: ev("ComputerName", "dc", "WorkstationName", "ws", "User", "x"+strconv.Itoa(i))})
	}
	out = append(out, scenario{name: "value_count", file: "value_count.yml", feeds: fs, want: 1})

	bob := ev("ComputerName", "pc", "User", "bob")
	out = append(out, scenario{name: "temporal", file: "temporal.yml", want: 1, feeds: []feed{
		{0, "recon_cmd_a", bob, ""},
		{time.Minute, "recon_cmd_b", bob, ""},
		{6 * time.Minute, "recon_cmd_c", bob, ""},
		{7 * time.Minute, "recon_cmd_c", ev("ComputerName", "pc", "User", "eve"), ""},
		{8 * time.Minute, "recon_cmd_a", bob, ""},
		{9 * time.Minute, "recon_cmd_b", bob, ""},
	}})
	out = append(out, scenario{name: "temporal_ordered", file: "temporal_ordered.yml", want: 1, feeds: []feed{
		{0, "recon_cmd_c", bob, ""},
		{time.Minute, "recon_cmd_b", bob, ""},
		{2 * time.Minute, "recon_cmd_a", bob, ""},
		{3 * time.Minute, "recon_cmd_b", bob, ""},
		{4 * time.Minute, "recon_cmd_c", bob, ""},
		{time.Hour, "recon_cmd_a", bob, ""},
		{time.Hour + 3*time.Minute, "recon_cmd_b", bob, ""},
		{time.Hour + 6*time.Minute, "recon_cmd_c", bob, ""}, // in order, over 5m
		// One instant: arrival order decides.
		{2 * time.Hour, "recon_cmd_a", bob, ""},
		{2 * time.Hour, "recon_cmd_c", bob, ""},
		{2 * time.Hour, "recon_cmd_b", bob, ""},
	}})

	const xfer = "website_access"
	sum := func(at time.Duration, n string) feed {
		return feed{at, xfer, ev("SourceIP", "10.0.0.1", "User", "bob", "bytes_sent", n), ""}
	}
	out = append(out, scenario{name: "value_sum", file: "value_sum.yml", want: 1, feeds: []feed{
		sum(0, "400000"), sum(10*time.Minute, "400000"), sum(20*time.Minute, "200000"), sum(30*time.Minute, "1"),
		sum(5*time.Hour, "600000"), sum(6*time.Hour+time.Minute, "600000"), sum(7*time.Hour, "not a number"),
	}})
	const out1 = "rule_a_id"
	avg := func(at time.Duration, n string) feed {
		return feed{at, out1, ev("SourceIP", "10.0.0.1", "User", "bob", "BytesOut", n), ""}
	}
	out = append(out, scenario{name: "value_avg", file: "value_avg.yml", want: 1, feeds: []feed{
		avg(0, "100"), avg(time.Hour, "200"), avg(2*time.Hour, "1300"), avg(10*time.Hour, "100"), avg(35*time.Hour, "400"),
	}})

	const proc = "process_creation"
	fs = nil
	for i := range 150 {
		fs = append(fs, feed{at: time.Duration(i) * time.Minute, rule: proc, ev: ev("ComputerName", "pc", "Image", `C:\Windows\svchost.exe`)})
	}
	fs = append(fs, feed{at: 151 * time.Minute, rule: proc, ev: ev("ComputerName", "pc", "Image", `C:\Temp\evil.exe`)})
	fs = append(fs, feed{at: 152 * time.Minute, rule: proc, ev: ev("ComputerName", "x", "Image", "a")},
		feed{at: 153 * time.Minute, rule: proc, ev: ev("ComputerName", "x", "Image", "b")})
	out = append(out, scenario{name: "value_percentile", file: "value_percentile.yml", feeds: fs, want: 1})

	// Chained correlations and aliases, through a RuleSet.
	out = append(out, scenario{name: "chain and aliases", doc: chainDoc, want: 3, feeds: []feed{
		{0, "", ev("EventID", "4624", "TargetUserName", "bob", "IpAddress", "h2", "WorkstationName", "h1"), ""},
		{time.Second, "", ev("EventID", "4625", "TargetUserName", "bob", "IpAddress", "h9", "WorkstationName", "h8"), ""},
		{2 * time.Second, "", ev("EventID", "4625", "TargetUserName", "bob", "IpAddress", "h9", "WorkstationName", "h8"), ""},
		{3 * time.Second, "", ev("EventID", "4625", "TargetUserName", "bob", "IpAddress", "h1", "WorkstationName", "h2"), ""},
		{4 * time.Second, "", ev("EventID", "4624", "TargetUserName", "bob", "IpAddress", "x", "WorkstationName", "y"), ""},
	}})
	return out
}

const chainDoc = `title: Brute force then success
id: 11111111-0000-0000-0000-000000000001
author: Opsward
correlation:
  type: temporal_ordered
  rules: [many_failures, logon_ok]
  group-by: [TargetUserName]
  timespan: 10m
---
title: Many failures
name: many_failures
correlation:
  type: event_count
  rules: [logon_failed]
  group-by: [TargetUserName]
  timespan: 10m
  condition: {gte: 3}
---
title: Failed logon
id: 11111111-0000-0000-0000-000000000002
name: logon_failed
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
---
title: Logon
id: 11111111-0000-0000-0000-000000000003
name: logon_ok
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624}
  condition: sel
---
title: Same pair both ways
id: 11111111-0000-0000-0000-000000000004
correlation:
  type: temporal
  rules: [logon_failed, logon_ok]
  group-by: [a, b]
  timespan: 1m
  aliases:
    a: {logon_failed: IpAddress, logon_ok: WorkstationName}
    b: {logon_failed: WorkstationName, logon_ok: IpAddress}
`

// load returns the scenario's correlation and detection rules and, for a
// document, the compiled rules that turn events into matches.
func load(t *testing.T, sc scenario) (corrs, dets []*sigma.Rule, rs *sigma.RuleSet) {
	t.Helper()
	if sc.doc != "" {
		rules, err := sigma.Parse("chain.yml", []byte(sc.doc))
		if err != nil {
			t.Fatal(err)
		}
		rs = sigma.Compile(rules, sigma.Config{})
		return rs.Correlations, rs.Detections, rs
	}
	rules, err := sigma.ParseFile(filepath.Join(specDir(t), sc.file))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range rules[0].Correlation.Rules {
		dets = append(dets, &sigma.Rule{ID: ref, Title: ref})
	}
	return rules, dets, nil
}

func describe(ms []sigma.CorrelationMatch) string {
	s := ""
	for _, m := range ms {
		s += fmt.Sprintf("[%s %s group=%v count=%d value=%v first=%s last=%s]", m.RuleID, m.Title, m.Group, m.Count, m.Value,
			m.First.UTC().Format(time.RFC3339Nano), m.Last.UTC().Format(time.RFC3339Nano))
	}
	return s
}

// TestSameAsMemory runs every scenario through the memory correlator and
// the Redis one and requires the same correlation matches after each event.
func TestSameAsMemory(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	for _, sc := range scenarios() {
		// Also with windows capped at 7 entries, the oldest dropped.
		for _, capped := range []int{0, 7} {
			name := sc.name
			if capped > 0 {
				name += " capped"
			}
			t.Run(name, func(t *testing.T) { sameAsMemory(t, rdb, prefix+name+":", sc, capped) })
		}
	}
}

func sameAsMemory(t *testing.T, rdb *redis.Client, prefix string, sc scenario, capped int) {
	corrs, dets, rs := load(t, sc)
	mem, err := sigma.NewMemoryCorrelator(corrs, dets)
	if err != nil {
		t.Fatal(err)
	}
	cfg := rediscorr.Config{Prefix: prefix}
	if capped > 0 {
		mem.MaxEntries, cfg.MaxEntries = capped, capped
	}
	red, err := rediscorr.NewCorrelator(corrs, dets, rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fired := 0
	for i, f := range sc.feeds {
		tn := f.tenant
		if tn == "" {
			tn = "ten_a"
		}
		ms := []sigma.Match{{RuleID: f.rule}}
		if rs != nil {
			f.ev["Channel"] = "Security"
			ms = rs.Evaluate(f.ev)
		}
		ctx := tenantCtx(tn)
		want, err := mem.Observe(ctx, f.ev, t0.Add(f.at), ms)
		if err != nil {
			t.Fatal(err)
		}
		got, err := red.Observe(ctx, f.ev, t0.Add(f.at), ms)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if describe(got) != describe(want) {
			t.Fatalf("event %d: redis %s\nmemory %s", i, describe(got), describe(want))
		}
		fired += len(got)
	}
	if capped == 0 && fired != sc.want {
		t.Fatalf("%d correlation matches, want %d", fired, sc.want)
	}
}

// TestWorkersShareWindows: two correlators on one Redis, as two worker
// processes, complete one correlation together, and fire it once.
func TestWorkersShareWindows(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	sc := scenarios()[0] // event_count, gte 100 per host in 1h
	corrs, dets, _ := load(t, sc)
	var workers []sigma.Correlator
	for range 2 {
		w, err := rediscorr.NewCorrelator(corrs, dets, rdb, rediscorr.Config{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	ctx := tenantCtx("ten_w")
	fired := map[int]int{}
	for i := range 150 {
		got, err := workers[i%2].Observe(ctx, sigma.Event{"ComputerName": "h"}, t0.Add(time.Duration(i)*time.Second), []sigma.Match{{RuleID: sc.feeds[0].rule}})
		if err != nil {
			t.Fatal(err)
		}
		for range got {
			fired[i]++
		}
	}
	if len(fired) != 1 || fired[99] != 1 {
		t.Fatalf("want one match, at the 100th event, handled by either worker: %v", fired)
	}
	// The keys carry the tenant's hash tag and expire.
	keys, err := rdb.Keys(context.Background(), prefix+"{t:ten_w}:sigma:corr:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v %v", keys, err)
	}
	for _, k := range keys {
		if ttl := rdb.PTTL(context.Background(), k).Val(); ttl <= 0 || ttl > time.Hour {
			t.Errorf("%s: TTL %v, want up to the timespan (1h)", k, ttl)
		}
	}
}

func TestNeedsTenant(t *testing.T) {
	rdb, prefix := testenv.Redis(t)
	sc := scenarios()[0]
	corrs, dets, _ := load(t, sc)
	c, err := rediscorr.NewCorrelator(corrs, dets, rdb, rediscorr.Config{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Observe(context.Background(), sigma.Event{"ComputerName": "h"}, t0, []sigma.Match{{RuleID: sc.feeds[0].rule}})
	var oe *opsward.Error
	if !errors.As(err, &oe) || oe.Code != opsward.EUNAUTHORIZED {
		t.Fatalf("a context without a tenant: %v", err)
	}
	if _, err := rediscorr.New(rdb, rediscorr.Config{Prefix: "a{b}:"}); err == nil {
		t.Fatal("a prefix with a brace must be refused")
	}
}
