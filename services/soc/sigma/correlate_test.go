package sigma

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/opsward/opsward/tenants/scope"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func specCorrelator(t *testing.T, file string) (*MemoryCorrelator, *Rule) {
	t.Helper()
	rules, err := ParseFile(filepath.Join(sharedSigma(t), "spec-examples", "correlation", file))
	if err != nil {
		t.Fatal(err)
	}
	c := rules[0]
	var base []*Rule
	for _, ref := range c.Correlation.Rules {
		base = append(base, &Rule{ID: ref, Title: ref})
	}
	m, err := NewMemoryCorrelator(rules, base)
	if err != nil {
		t.Fatal(err)
	}
	return m, c
}

type feed struct {
	at   time.Duration
	rule string
	ev   Event
}

// run feeds the events and returns how many correlation matches each fed
// event produced.
func run(t *testing.T, m *MemoryCorrelator, fs []feed) []int {
	t.Helper()
	out := make([]int, len(fs))
	for i, f := range fs {
		got, err := m.Observe(context.Background(), f.ev, t0.Add(f.at), []Match{{RuleID: f.rule}})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = len(got)
	}
	return out
}

func total(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func TestCorrelationEventCount(t *testing.T) {
	m, c := specCorrelator(t, "event_count.yml") // gte 100 per ComputerName in 1h
	ref := c.Correlation.Rules[0]
	var fs []feed
	for i := range 100 {
		fs = append(fs, feed{at: time.Duration(i) * 30 * time.Second, rule: ref, ev: Event{"ComputerName": "a"}})
	}
	got := run(t, m, fs)
	if total(got[:99]) != 0 || got[99] != 1 {
		t.Fatalf("want one match at the 100th event within the hour, got %v", got)
	}
	// 100 events spread over 2h never have 100 inside one hour.
	m, _ = specCorrelator(t, "event_count.yml")
	fs = fs[:0]
	for i := range 150 {
		fs = append(fs, feed{at: time.Duration(i) * 72 * time.Second, rule: ref, ev: Event{"ComputerName": "b"}})
	}
	if n := total(run(t, m, fs)); n != 0 {
		t.Fatalf("spread events fired %d times", n)
	}
	// Groups are separate: 50 on each of two hosts do not add up.
	m, _ = specCorrelator(t, "event_count.yml")
	fs = fs[:0]
	for i := range 100 {
		fs = append(fs, feed{at: time.Duration(i) * time.Second, rule: ref, ev: Event{"ComputerName": strconv.Itoa(i % 2)}})
	}
	if n := total(run(t, m, fs)); n != 0 {
		t.Fatalf("groups mixed: %d", n)
	}
}

func TestCorrelationValueCount(t *testing.T) {
	m, c := specCorrelator(t, "value_count.yml") // >= 100 distinct User per ComputerName+WorkstationName in 1d
	ref := c.Correlation.Rules[0]
	var fs []feed
	for i := range 99 {
		fs = append(fs, feed{at: time.Duration(i) * time.Minute, rule: ref, ev: Event{"ComputerName": "dc", "WorkstationName": "ws", "User": "u" + strconv.Itoa(i)}})
		fs = append(fs, feed{at: time.Duration(i) * time.Minute, rule: ref, ev: Event{"ComputerName": "dc", "WorkstationName": "ws", "User": "u0"}})
	}
	fs = append(fs, feed{at: 100 * time.Minute, rule: ref, ev: Event{"ComputerName": "dc", "WorkstationName": "ws", "User": "u99"}})
	got := run(t, m, fs)
	if total(got[:len(got)-1]) != 0 || got[len(got)-1] != 1 {
		t.Fatalf("want one match at the 100th distinct user, got %d before and %d at it", total(got[:len(got)-1]), got[len(got)-1])
	}
	m, _ = specCorrelator(t, "value_count.yml")
	fs = fs[:0]
	for i := range 200 {
		fs = append(fs, feed{at: time.Duration(i) * 15 * time.Minute, rule: ref, ev: Event{"ComputerName": "dc", "WorkstationName": "ws", "User": "u" + strconv.Itoa(i)}})
	}
	if n := total(run(t, m, fs)); n != 0 {
		t.Fatalf("distinct users spread over two days fired %d times", n)
	}
}

func TestCorrelationTemporal(t *testing.T) {
	m, _ := specCorrelator(t, "temporal.yml") // recon a, b, c within 5m, same ComputerName and User
	ev := Event{"ComputerName": "pc", "User": "bob"}
	got := run(t, m, []feed{
		{0, "recon_cmd_a", ev},
		{time.Minute, "recon_cmd_b", ev},
		{6 * time.Minute, "recon_cmd_c", ev}, // a is out of the window
		{7 * time.Minute, "recon_cmd_c", Event{"ComputerName": "pc", "User": "eve"}},
		{8 * time.Minute, "recon_cmd_a", ev}, // b (1m), c (6m), a (8m): inside 5m? b is 7m old: no
		{9 * time.Minute, "recon_cmd_b", ev}, // c 6m, a 8m, b 9m: all three
	})
	if want := []int{0, 0, 0, 0, 0, 1}; !equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestCorrelationTemporalOrdered(t *testing.T) {
	m, _ := specCorrelator(t, "temporal_ordered.yml")
	ev := Event{"ComputerName": "pc", "User": "bob"}
	got := run(t, m, []feed{
		{0, "recon_cmd_c", ev},
		{time.Minute, "recon_cmd_b", ev},
		{2 * time.Minute, "recon_cmd_a", ev}, // all three, wrong order
		{3 * time.Minute, "recon_cmd_b", ev},
		{4 * time.Minute, "recon_cmd_c", ev}, // a(2m) b(3m) c(4m) in order
	})
	if want := []int{0, 0, 0, 0, 1}; !equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	m, _ = specCorrelator(t, "temporal_ordered.yml")
	got = run(t, m, []feed{
		{0, "recon_cmd_a", ev},
		{3 * time.Minute, "recon_cmd_b", ev},
		{6 * time.Minute, "recon_cmd_c", ev}, // in order but over 5m
	})
	if total(got) != 0 {
		t.Fatalf("fired outside the timespan: %v", got)
	}
}

func TestCorrelationValueSum(t *testing.T) {
	m, c := specCorrelator(t, "value_sum.yml") // sum bytes_sent > 1,000,000 per SourceIP+User in 1h
	ref := c.Correlation.Rules[0]
	ev := func(n int) Event { return Event{"SourceIP": "10.0.0.1", "User": "bob", "bytes_sent": n} }
	got := run(t, m, []feed{{0, ref, ev(400000)}, {10 * time.Minute, ref, ev(400000)}, {20 * time.Minute, ref, ev(200000)}, {30 * time.Minute, ref, ev(1)}})
	if want := []int{0, 0, 0, 1}; !equal(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	m, _ = specCorrelator(t, "value_sum.yml")
	got = run(t, m, []feed{{0, ref, ev(600000)}, {61 * time.Minute, ref, ev(600000)}})
	if total(got) != 0 {
		t.Fatalf("fired across windows: %v", got)
	}
}

func TestCorrelationValueAvg(t *testing.T) {
	m, c := specCorrelator(t, "value_avg.yml") // avg BytesOut > 500 per SourceIP+User in 24h
	ref := c.Correlation.Rules[0]
	ev := func(n string) Event { return Event{"SourceIP": "10.0.0.1", "User": "bob", "BytesOut": n} }
	got := run(t, m, []feed{{0, ref, ev("100")}, {time.Hour, ref, ev("200")}, {2 * time.Hour, ref, ev("1300")}})
	if want := []int{0, 0, 1}; !equal(got, want) { // 150, then 533
		t.Fatalf("got %v want %v", got, want)
	}
	m, _ = specCorrelator(t, "value_avg.yml")
	got = run(t, m, []feed{{0, ref, ev("100")}, {25 * time.Hour, ref, ev("400")}})
	if total(got) != 0 {
		t.Fatalf("got %v", got)
	}
}

func TestCorrelationValuePercentile(t *testing.T) {
	m, c := specCorrelator(t, "value_percentile.yml") // Image seen in <= 1% of a host's events in 24h
	ref := c.Correlation.Rules[0]
	var fs []feed
	for i := range 150 {
		fs = append(fs, feed{at: time.Duration(i) * time.Minute, rule: ref, ev: Event{"ComputerName": "pc", "Image": `C:\Windows\svchost.exe`}})
	}
	fs = append(fs, feed{at: 151 * time.Minute, rule: ref, ev: Event{"ComputerName": "pc", "Image": `C:\Temp\evil.exe`}})
	got := run(t, m, fs)
	if total(got[:150]) != 0 || got[150] != 1 {
		t.Fatalf("want only the rare image to fire, got %d before and %d at it", total(got[:150]), got[150])
	}
	// A rare image on a host with few events is not rare (1 of 3 is 33%).
	m, _ = specCorrelator(t, "value_percentile.yml")
	got = run(t, m, []feed{{0, ref, Event{"ComputerName": "x", "Image": "a"}}, {time.Minute, ref, Event{"ComputerName": "x", "Image": "a"}}, {2 * time.Minute, ref, Event{"ComputerName": "x", "Image": "b"}}})
	if total(got) != 0 {
		t.Fatalf("got %v", got)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCorrelationChainAndAliases runs detection rules through a RuleSet and
// a chain of correlations: failed logons counted per user, followed by a
// successful logon, and a temporal rule joining two fields through aliases.
func TestCorrelationChainAndAliases(t *testing.T) {
	doc := `title: Brute force then success
id: 11111111-0000-0000-0000-000000000001
author: Opsward
level: high
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
	rules, err := Parse("chain.yml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	rs := Compile(rules, Config{})
	if len(rs.Refused) > 0 {
		t.Fatal(rs.Refused[0].Err)
	}
	m, err := NewMemoryCorrelator(rs.Correlations, rs.Detections)
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]int{}
	send := func(at time.Duration, ev Event) {
		ev["Channel"] = "Security"
		ms := rs.Evaluate(ev)
		for _, x := range ms {
			if !x.CorrelationOnly {
				t.Errorf("%s: referenced rules only feed correlations", x.Title)
			}
		}
		cm, err := m.Observe(context.Background(), ev, t0.Add(at), ms)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cm {
			fired[c.Title]++
			if c.Title == "Brute force then success" && c.Author != "Opsward" {
				t.Errorf("author lost: %+v", c)
			}
		}
	}
	send(0, Event{"EventID": 4624, "TargetUserName": "bob", "IpAddress": "h2", "WorkstationName": "h1"})
	send(time.Second, Event{"EventID": 4625, "TargetUserName": "bob", "IpAddress": "h9", "WorkstationName": "h8"})
	send(2*time.Second, Event{"EventID": 4625, "TargetUserName": "bob", "IpAddress": "h9", "WorkstationName": "h8"})
	if fired["Brute force then success"] != 0 || fired["Same pair both ways"] != 0 {
		t.Fatalf("fired early: %v", fired)
	}
	send(3*time.Second, Event{"EventID": 4625, "TargetUserName": "bob", "IpAddress": "h1", "WorkstationName": "h2"})
	if fired["Many failures"] != 1 || fired["Same pair both ways"] != 1 {
		t.Fatalf("want the count and the alias join to fire: %v", fired)
	}
	send(4*time.Second, Event{"EventID": 4624, "TargetUserName": "bob", "IpAddress": "x", "WorkstationName": "y"})
	if fired["Brute force then success"] != 1 {
		t.Fatalf("chain did not fire: %v", fired)
	}
}

func TestCorrelationUnknownRule(t *testing.T) {
	rules, err := Parse("c.yml", []byte("title: x\ncorrelation:\n  type: temporal\n  rules: [nope]\n  group-by: [a]\n  timespan: 1m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMemoryCorrelator(rules, nil); err == nil {
		t.Fatal("a reference to no rule must be refused")
	}
}

// Windows are kept per tenant: events of two tenants with the same group
// values never complete each other's correlation.
func TestCorrelationPerTenant(t *testing.T) {
	m, c := specCorrelator(t, "event_count.yml") // gte 100 per ComputerName in 1h
	ref := c.Correlation.Rules[0]
	fired := map[string]int{}
	for i := range 200 {
		tn := []string{"ten_a", "ten_b"}[i%2]
		ctx := scope.NewContext(context.Background(), &scope.Actor{Kind: scope.ActorSystem, TenantID: tn})
		got, err := m.Observe(ctx, Event{"ComputerName": "pc"}, t0.Add(time.Duration(i)*time.Second), []Match{{RuleID: ref}})
		if err != nil {
			t.Fatal(err)
		}
		fired[tn] += len(got)
		if len(got) == 1 && i != 198 && i != 199 {
			t.Fatalf("fired at event %d", i)
		}
	}
	if fired["ten_a"] != 1 || fired["ten_b"] != 1 {
		t.Fatalf("want one match per tenant at its 100th event: %v", fired)
	}
}
