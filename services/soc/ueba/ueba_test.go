package ueba

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// cityLocator places each /24 in a city the test chose.
type cityLocator map[netip.Prefix][2]float64

func (c cityLocator) Locate(a netip.Addr) (float64, float64, bool) {
	p, _ := a.Prefix(24)
	ll, ok := c[p]
	return ll[0], ll[1], ok
}

var (
	berlin  = [2]float64{52.52, 13.40}
	potsdam = [2]float64{52.39, 13.06}
	newYork = [2]float64{40.71, -74.01}
)

type synthUser struct {
	tenant, name string
	start, end   int // working hours [start, end)
	networks     []netip.Addr
	hosts        []string
	admin        bool
}

type labelled struct {
	ev       Event
	injected Kind // "" for normal behaviour
}

// month builds 30 days of two tenants' logins, with one anomaly of every
// kind injected for a dozen users after their baselines are learned.
func month(r *rand.Rand, loc cityLocator) ([]labelled, int) {
	base := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // a Monday
	var users []synthUser
	for t, tenant := range []string{"tnt_acme", "tnt_globex"} {
		for i := range 30 {
			u := synthUser{tenant: tenant, name: fmt.Sprintf("user-%02d", i), admin: i%5 == 0}
			u.start = 7 + r.IntN(4)
			u.end = u.start + 8 + r.IntN(3)
			for n := range 1 + r.IntN(2) {
				a := netip.AddrFrom4([4]byte{10, byte(t*100 + i), byte(n), byte(1 + r.IntN(250))})
				u.networks = append(u.networks, a)
				p, _ := a.Prefix(24)
				loc[p] = berlin
				if n == 1 {
					loc[p] = potsdam
				}
			}
			for h := range 1 + r.IntN(3) {
				u.hosts = append(u.hosts, fmt.Sprintf("%s-ws-%d", u.name, h))
			}
			users = append(users, u)
		}
	}
	var out []labelled
	at := func(day, hour, minute, sec int) time.Time {
		return base.Add(time.Duration(day)*24*time.Hour + time.Duration(hour)*time.Hour +
			time.Duration(minute)*time.Minute + time.Duration(sec)*time.Second)
	}
	pickNet := func(u synthUser) netip.Addr {
		if len(u.networks) > 1 && r.Float64() < 0.3 {
			return u.networks[1]
		}
		return u.networks[0]
	}
	for _, u := range users {
		for day := range 30 {
			weekend := day%7 >= 5
			n := 2 + r.IntN(5)
			if weekend {
				n = 0
				if r.Float64() < 0.2 {
					n = 1
				}
			}
			for range n {
				span := (u.end - u.start) * 60
				m := r.IntN(span)
				t := at(day, u.start+m/60, m%60, r.IntN(60))
				if r.Float64() < 0.03 {
					// Overtime: up to two hours after the working day.
					t = at(day, u.end, r.IntN(120), r.IntN(60))
				}
				src, host := pickNet(u), u.hosts[r.IntN(len(u.hosts))]
				if r.Float64() < 0.003 {
					// Now and then a hotel's network: new, and rightly
					// flagged, though nothing was injected.
					src = netip.AddrFrom4([4]byte{100, 64 + byte(r.IntN(64)), byte(r.IntN(256)), 1})
				}
				if r.Float64() < 0.05 {
					for k := range 1 + r.IntN(2) {
						out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, Source: src,
							At: t.Add(-time.Duration(10*(k+1)) * time.Second), Login: true}})
					}
				}
				out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, Source: src, At: t, Login: true, Success: true}})
				if u.admin && r.Float64() < 0.5 {
					out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, At: t.Add(3 * time.Minute), Success: true, Privileged: true}})
				}
			}
		}
	}
	injected := 0
	for i, u := range users {
		if i%5 != 1 {
			continue
		}
		day := 12 + i%10
		mid := at(day, (u.start+u.end)/2, 0, 0)
		host := u.hosts[0]
		// A login from a network never used, near home.
		fresh := netip.AddrFrom4([4]byte{172, 16, byte(i), 9})
		p, _ := fresh.Prefix(24)
		loc[p] = berlin
		out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, Source: fresh, At: mid, Login: true, Success: true}, injected: NewSourceNetwork})
		// A first host.
		out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: "db-prod-" + fmt.Sprint(i), Source: u.networks[0],
			At: mid.Add(24 * time.Hour), Login: true, Success: true}, injected: FirstHost})
		// A login at three in the morning.
		out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, Source: u.networks[0],
			At: at(day+2, 3, 17, 0), Login: true, Success: true}, injected: UnusualHour})
		// A burst of 25 failures within five minutes.
		for k := range 25 {
			out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, Source: u.networks[0],
				At: mid.Add(72*time.Hour + time.Duration(k*12)*time.Second), Login: true}, injected: FailureBurst})
		}
		// A first privileged action by a user who never took one.
		out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, At: mid.Add(96 * time.Hour), Success: true, Privileged: true},
			injected: FirstPrivilegedAction})
		// New York twenty minutes after Berlin.
		out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, Source: u.networks[0],
			At: mid.Add(120 * time.Hour), Login: true, Success: true}})
		far := netip.AddrFrom4([4]byte{198, 51, byte(100 + i%10), 7})
		fp, _ := far.Prefix(24)
		loc[fp] = newYork
		out = append(out, labelled{ev: Event{Tenant: u.tenant, User: u.name, Host: host, Source: far,
			At: mid.Add(120*time.Hour + 20*time.Minute), Login: true, Success: true}, injected: ImpossibleTravel})
		injected += 6
	}
	slices.SortStableFunc(out, func(a, b labelled) int { return a.ev.At.Compare(b.ev.At) })
	return out, injected
}

func TestSyntheticMonth(t *testing.T) {
	loc := cityLocator{}
	events, injected := month(rand.New(rand.NewPCG(7, 11)), loc)
	d := NewDetector(Config{Locator: loc})
	type hit struct {
		user string
		kind Kind
	}
	found := map[hit]bool{}
	normal, falsePositives := 0, 0
	for _, l := range events {
		got := d.Observe(l.ev)
		if l.injected == "" {
			normal++
			if len(got) > 0 {
				falsePositives++
				if falsePositives <= 5 {
					t.Logf("flagged normal event: %+v", got[0])
				}
			}
			continue
		}
		for _, a := range got {
			if a.Kind == l.injected {
				found[hit{l.ev.Tenant + "/" + l.ev.User, a.Kind}] = true
				if a.Baseline == "" || a.Observed == "" || a.Reason == "" {
					t.Errorf("an anomaly does not explain itself: %+v", a)
				}
			}
		}
	}
	rate := float64(falsePositives) / float64(normal)
	fmt.Printf("ueba: injected=%d found=%d false_positive_rate=%.4f\n", injected, len(found), rate)
	if len(found) != injected {
		t.Errorf("found %d of %d injected anomalies", len(found), injected)
	}
	if rate > 0.01 {
		t.Errorf("false positive rate %.4f over %d normal events, more than 1%%", rate, normal)
	}
	if d.Profiles() != 60 {
		t.Errorf("profiles = %d, want one per tenant and user (60)", d.Profiles())
	}
}

// learn feeds a profile three weeks of office-hour logins from one network
// to one host.
func learn(d *Detector, tenant, user string, src netip.Addr, base time.Time) time.Time {
	t := base
	for day := range 21 {
		t = base.Add(time.Duration(day)*24*time.Hour + 9*time.Hour)
		d.Observe(Event{Tenant: tenant, User: user, Host: "ws-1", Source: src, At: t, Login: true, Success: true})
	}
	return t
}

func kinds(as []Anomaly) []Kind {
	var out []Kind
	for _, a := range as {
		out = append(out, a.Kind)
	}
	return out
}

func TestTenantsNeverMix(t *testing.T) {
	d := NewDetector(Config{})
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	acme := netip.MustParseAddr("10.1.1.5")
	globex := netip.MustParseAddr("10.2.2.5")
	last := learn(d, "tnt_acme", "alice", acme, base)
	learn(d, "tnt_globex", "alice", globex, base)
	// Acme's network is new to Globex's alice, and the reverse.
	got := d.Observe(Event{Tenant: "tnt_globex", User: "alice", Host: "ws-1", Source: acme, At: last.Add(time.Hour), Login: true, Success: true})
	if !slices.Contains(kinds(got), NewSourceNetwork) {
		t.Errorf("Globex's alice from Acme's network: %v, want new_source_network", kinds(got))
	}
	got = d.Observe(Event{Tenant: "tnt_acme", User: "alice", Host: "ws-1", Source: acme, At: last.Add(2 * time.Hour), Login: true, Success: true})
	if len(got) != 0 {
		t.Errorf("Acme's alice from her own network: %v, want nothing", kinds(got))
	}
}

func TestNothingJudgedWhileLearning(t *testing.T) {
	d := NewDetector(Config{})
	base := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := range 30 {
		// Every login from another network and host, at any hour: all new,
		// none judged, for the profile is learning.
		src := netip.AddrFrom4([4]byte{10, 0, byte(i), 1})
		got := d.Observe(Event{Tenant: "t", User: "bob", Host: fmt.Sprint("h", i), Source: src,
			At: base.Add(time.Duration(i) * 5 * time.Hour), Login: true, Success: true})
		if len(got) != 0 {
			t.Fatalf("login %d judged while learning: %v", i, kinds(got))
		}
	}
}

func TestAnomalyExplainsItself(t *testing.T) {
	d := NewDetector(Config{})
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	src := netip.MustParseAddr("10.1.1.5")
	last := learn(d, "t", "carol", src, base)
	got := d.Observe(Event{Tenant: "t", User: "carol", Host: "ws-1", Source: src, At: last.Add(18 * time.Hour), Login: true, Success: true})
	if len(got) != 1 || got[0].Kind != UnusualHour {
		t.Fatalf("a login at 03:00 after logins at 09:00: %v", kinds(got))
	}
	text := got[0].Explain()
	for _, want := range []string{"usual hours 09", "a login at 03:00", "6 hours from the nearest hour"} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation %q lacks %q", text, want)
		}
	}
}

func TestFailureBurstFlaggedOnce(t *testing.T) {
	d := NewDetector(Config{})
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	src := netip.MustParseAddr("10.1.1.5")
	last := learn(d, "t", "dave", src, base)
	flagged := 0
	for k := range 40 {
		got := d.Observe(Event{Tenant: "t", User: "dave", Host: "ws-1", Source: src, At: last.Add(time.Hour + time.Duration(k)*5*time.Second), Login: true})
		for _, a := range got {
			if a.Kind == FailureBurst {
				flagged++
				if k != 9 {
					t.Errorf("burst flagged at failure %d, want at the 10th", k+1)
				}
			}
		}
	}
	if flagged != 1 {
		t.Errorf("burst of 40 failures flagged %d times, want once", flagged)
	}
}

func TestProfilesBounded(t *testing.T) {
	d := NewDetector(Config{MaxNetworks: 8, MaxHosts: 4})
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		d.Observe(Event{Tenant: "t", User: "eve", Host: fmt.Sprint("h", i), Source: netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}),
			At: base.Add(time.Duration(i) * time.Minute), Login: true, Success: true})
	}
	p := d.profiles[profileKey{"t", "eve"}]
	if len(p.networks) > 8 || len(p.hosts) > 4 {
		t.Errorf("profile holds %d networks and %d hosts, bounds 8 and 4", len(p.networks), len(p.hosts))
	}
}

func TestImpossibleTravelNeedsDistanceAndSpeed(t *testing.T) {
	loc := cityLocator{
		netip.MustParsePrefix("10.1.1.0/24"): berlin,
		netip.MustParsePrefix("10.1.2.0/24"): potsdam,
		netip.MustParsePrefix("10.1.3.0/24"): newYork,
	}
	cases := []struct {
		name  string
		to    string
		after time.Duration
		want  bool
	}{
		{"Potsdam ten minutes later (near)", "10.1.2.9", 10 * time.Minute, false},
		{"New York half an hour later", "10.1.3.9", 30 * time.Minute, true},
		{"New York nine hours later (a flight)", "10.1.3.9", 9 * time.Hour, false},
		{"unlocated address", "192.0.2.1", time.Minute, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDetector(Config{Locator: loc, LearnEvents: 1, LearnFor: time.Nanosecond})
			t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
			d.Observe(Event{Tenant: "t", User: "u", Source: netip.MustParseAddr("10.1.1.9"), At: t0, Login: true, Success: true})
			got := d.Observe(Event{Tenant: "t", User: "u", Source: netip.MustParseAddr(c.to), At: t0.Add(c.after), Login: true, Success: true})
			if has := slices.Contains(kinds(got), ImpossibleTravel); has != c.want {
				t.Errorf("impossible travel = %v, want %v (%v)", has, c.want, got)
			}
		})
	}
}

func TestRiskDecays(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	alerts := []RiskAlert{
		{ID: "a1", Severity: "critical", At: now},
		{ID: "a2", Severity: "high", At: now.Add(-7 * 24 * time.Hour)},
		{ID: "a3", Severity: "medium", At: now.Add(-31 * 24 * time.Hour)}, // outside the window
		{ID: "a4", Severity: "low", At: now.Add(time.Hour)},               // in the future
		{ID: "a5", Severity: "unknown", At: now},
	}
	r := RiskConfig{}.Score(alerts, now)
	if want := 90 + 25.0; r.Sum < want-1e-9 || r.Sum > want+1e-9 {
		t.Errorf("sum = %v, want %v (critical now, high halved after a week)", r.Sum, want)
	}
	if len(r.Contributions) != 2 || r.Contributions[0].AlertID != "a1" || r.Contributions[1].AlertID != "a2" {
		t.Errorf("contributions = %+v, want a1 then a2", r.Contributions)
	}
	if r.Normalized <= 0 || r.Normalized >= 100 {
		t.Errorf("normalized = %v, want within (0, 100)", r.Normalized)
	}
	if one := (RiskConfig{}).Score(alerts[:1], now).Normalized; one < 59 || one > 60 {
		t.Errorf("one critical alert alone = %v, want about 59", one)
	}
}

// A tenant's made-up users stop being profiled at MaxUsers, and do not
// take another tenant's room: its users are still profiled and judged.
func TestMaxUsersPerTenant(t *testing.T) {
	d := NewDetector(Config{MaxUsers: 3})
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 10 {
		d.Observe(Event{Tenant: "spray", User: fmt.Sprintf("u%d", i), At: at, Login: true})
	}
	if got := d.Profiles(); got != 3 {
		t.Fatalf("profiles %d after a spray of 10 users, want 3", got)
	}
	if got := d.Skipped(); got != 7 {
		t.Errorf("skipped %d, want 7", got)
	}
	d.Observe(Event{Tenant: "other", User: "alice", At: at, Login: true, Success: true})
	if got := d.Profiles(); got != 4 {
		t.Errorf("profiles %d, want the other tenant's user profiled too", got)
	}
}
