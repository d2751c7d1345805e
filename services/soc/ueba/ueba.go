package ueba

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"
)

// Event is one authentication or privileged action of a user.
type Event struct {
	Tenant string
	User   string
	// Host is the host logged into or acted on; "" when unknown.
	Host string
	// Source is where the login came from; the zero Addr when unknown.
	Source netip.Addr
	At     time.Time
	// Login marks an authentication; Success is its outcome (or the
	// action's, for a privileged action that is not a login).
	Login   bool
	Success bool
	// Privileged marks an action with raised rights (sudo, an admin role).
	Privileged bool
}

// Kind names an anomaly.
type Kind string

const (
	NewSourceNetwork      Kind = "new_source_network"
	FirstHost             Kind = "first_host"
	UnusualHour           Kind = "unusual_hour"
	FailureBurst          Kind = "failure_burst"
	FirstPrivilegedAction Kind = "first_privileged_action"
	ImpossibleTravel      Kind = "impossible_travel"
)

// Anomaly is one event that departs from its user's baseline.
type Anomaly struct {
	Kind   Kind
	Tenant string
	User   string
	Host   string
	At     time.Time
	// Baseline is what the profile held, Observed what the event showed,
	// Reason why the two differ enough to be flagged.
	Baseline string
	Observed string
	Reason   string
}

// Explain is the anomaly in one paragraph, for an alert's description.
func (a Anomaly) Explain() string {
	return fmt.Sprintf("%s for %s: observed %s; baseline %s; %s.", a.Kind, a.User, a.Observed, a.Baseline, a.Reason)
}

// Locator gives an address's location; ok is false when it has none.
type Locator interface {
	Locate(addr netip.Addr) (lat, lon float64, ok bool)
}

// Config tunes a Detector. The zero value of a field takes its default.
type Config struct {
	// LearnEvents and LearnFor: a profile judges nothing before it has
	// seen this many successful logins over this long (20, 7 days).
	LearnEvents int
	LearnFor    time.Duration
	// Location is the zone usual hours are counted in (UTC).
	Location *time.Location
	// HourDistance is how far, in hours, a login must lie from the nearest
	// usual hour to be unusual (3).
	HourDistance int
	// BurstMin and BurstWindow: the fewest failures in the window that
	// count as a burst (10 in 10 minutes).
	BurstMin    int
	BurstWindow time.Duration
	// MaxSpeedKmh: faster travel between two logins is impossible (1,000;
	// distances under 500 km are never flagged, as locations are coarse).
	MaxSpeedKmh float64
	// MaxNetworks and MaxHosts bound a profile (256 each); past them the
	// least used entry makes room.
	MaxNetworks int
	MaxHosts    int
	// MaxUsers bounds the profiles of one tenant (10,000): events name
	// users as the sender likes (a spray of logins to made-up accounts),
	// so past it a tenant's new users are not profiled, and Skipped counts
	// their events. A tenant's flood never evicts another's baselines.
	MaxUsers int
	// Locator resolves addresses for impossible travel; nil turns that
	// check off.
	Locator Locator
}

func (c Config) withDefaults() Config {
	if c.LearnEvents <= 0 {
		c.LearnEvents = 20
	}
	if c.LearnFor <= 0 {
		c.LearnFor = 7 * 24 * time.Hour
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.HourDistance <= 0 {
		c.HourDistance = 3
	}
	if c.BurstMin <= 0 {
		c.BurstMin = 10
	}
	if c.BurstWindow <= 0 {
		c.BurstWindow = 10 * time.Minute
	}
	if c.MaxSpeedKmh <= 0 {
		c.MaxSpeedKmh = 1000
	}
	if c.MaxNetworks <= 0 {
		c.MaxNetworks = 256
	}
	if c.MaxHosts <= 0 {
		c.MaxHosts = 256
	}
	if c.MaxUsers <= 0 {
		c.MaxUsers = 10000
	}
	return c
}

// minTravelKm: closer locations are never impossible travel.
const minTravelKm = 500

type profileKey struct{ tenant, user string }

type profile struct {
	first     time.Time
	logins    int
	hours     [24]int
	networks  map[netip.Prefix]int
	hosts     map[string]int
	privTaken int
	// failures holds the times of recent failures, oldest first, within
	// the burst window. A run is failures each within the window of the
	// one before; runPeak is the current run's most in one window and
	// maxBurst the most of any earlier run that was not flagged.
	failures     []time.Time
	maxBurst     int
	runPeak      int
	burstFlagged bool
	// last successful login with a location, for impossible travel.
	lastAt         time.Time
	lastLat        float64
	lastLon        float64
	lastLocated    bool
	lastSourceText string
}

// Detector learns baselines and judges events. It is safe for concurrent
// use.
type Detector struct {
	cfg      Config
	mu       sync.Mutex
	profiles map[profileKey]*profile
	users    map[string]int // profiles per tenant
	skipped  int64
}

// NewDetector returns a Detector with no profiles.
func NewDetector(cfg Config) *Detector {
	return &Detector{cfg: cfg.withDefaults(), profiles: map[profileKey]*profile{}, users: map[string]int{}}
}

// Profiles is how many users the Detector holds a baseline for.
func (d *Detector) Profiles() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.profiles)
}

// Skipped is how many events came for users past their tenant's
// MaxUsers, and were neither judged nor learned.
func (d *Detector) Skipped() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.skipped
}

// Observe judges ev against its user's baseline, then learns it. Events of
// a user should arrive in time order; one older than the user's last
// login is learned but never flagged as travel.
func (d *Detector) Observe(ev Event) []Anomaly {
	if ev.Tenant == "" || ev.User == "" || ev.At.IsZero() {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	k := profileKey{ev.Tenant, ev.User}
	p := d.profiles[k]
	if p == nil {
		if d.users[ev.Tenant] >= d.cfg.MaxUsers {
			d.skipped++
			return nil
		}
		d.users[ev.Tenant]++
		p = &profile{first: ev.At, networks: map[netip.Prefix]int{}, hosts: map[string]int{}}
		d.profiles[k] = p
	}
	var out []Anomaly
	flag := func(kind Kind, baseline, observed, reason string) {
		out = append(out, Anomaly{Kind: kind, Tenant: ev.Tenant, User: ev.User, Host: ev.Host, At: ev.At,
			Baseline: baseline, Observed: observed, Reason: reason})
	}
	learned := p.logins >= d.cfg.LearnEvents && ev.At.Sub(p.first) >= d.cfg.LearnFor
	if ev.Login && !ev.Success {
		d.failure(p, ev, learned, flag)
	}
	if ev.Privileged && ev.Success {
		if learned && p.privTaken == 0 {
			flag(FirstPrivilegedAction, fmt.Sprintf("no privileged action in %d logins since %s", p.logins, p.first.Format(time.DateOnly)),
				"a privileged action"+onHost(ev.Host), "the user never took raised rights before")
		}
		p.privTaken++
	}
	if !ev.Login || !ev.Success {
		return out
	}
	net, hasNet := network(ev.Source)
	if learned {
		if hasNet && p.networks[net] == 0 {
			flag(NewSourceNetwork, fmt.Sprintf("%d known networks (%s)", len(p.networks), topKeys(p.networks, 3)),
				"a login from "+ev.Source.String()+" ("+net.String()+")", "the user never logged in from this network")
		}
		if ev.Host != "" && p.hosts[ev.Host] == 0 && len(p.hosts) > 0 {
			flag(FirstHost, fmt.Sprintf("%d known hosts (%s)", len(p.hosts), topKeys(p.hosts, 3)),
				"a login to "+ev.Host, "the user never logged in to this host")
		}
		h := ev.At.In(d.cfg.Location).Hour()
		if dist := p.hourDistance(h); dist >= d.cfg.HourDistance {
			flag(UnusualHour, "usual hours "+p.usualHours()+" "+d.cfg.Location.String(),
				fmt.Sprintf("a login at %02d:%02d", h, ev.At.In(d.cfg.Location).Minute()),
				fmt.Sprintf("%d hours from the nearest hour the user logs in at", dist))
		}
	}
	if d.cfg.Locator != nil && ev.Source.IsValid() {
		if lat, lon, ok := d.cfg.Locator.Locate(ev.Source); ok {
			travelled := false
			if p.lastLocated && ev.At.After(p.lastAt) {
				km := haversineKm(p.lastLat, p.lastLon, lat, lon)
				hours := ev.At.Sub(p.lastAt).Hours()
				if km >= minTravelKm && km/hours > d.cfg.MaxSpeedKmh {
					travelled = true
					flag(ImpossibleTravel, fmt.Sprintf("the previous login from %s at %s", p.lastSourceText, p.lastAt.UTC().Format(time.RFC3339)),
						fmt.Sprintf("a login from %s %.0f km away %s later", ev.Source, km, ev.At.Sub(p.lastAt).Round(time.Second)),
						fmt.Sprintf("%.0f km/h is faster than %.0f km/h", km/hours, d.cfg.MaxSpeedKmh))
				}
			}
			// An impossible location does not become the reference: the
			// next login from home is judged against home.
			if !travelled && !ev.At.Before(p.lastAt) {
				p.lastAt, p.lastLat, p.lastLon, p.lastLocated, p.lastSourceText = ev.At, lat, lon, true, ev.Source.String()
			}
		}
	}
	p.logins++
	p.hours[ev.At.In(d.cfg.Location).Hour()]++
	if hasNet {
		bump(p.networks, net, d.cfg.MaxNetworks)
	}
	if ev.Host != "" {
		bump(p.hosts, ev.Host, d.cfg.MaxHosts)
	}
	return out
}

func (d *Detector) failure(p *profile, ev Event, learned bool, flag func(Kind, string, string, string)) {
	cut := ev.At.Add(-d.cfg.BurstWindow)
	i := 0
	for i < len(p.failures) && !p.failures[i].After(cut) {
		i++
	}
	if i == len(p.failures) {
		// The last run of failures ended: an unflagged one becomes part of
		// the user's normal.
		if !p.burstFlagged && p.runPeak > p.maxBurst {
			p.maxBurst = p.runPeak
		}
		p.runPeak, p.burstFlagged = 0, false
	}
	p.failures = append(p.failures[i:], ev.At)
	n := len(p.failures)
	if n > p.runPeak {
		p.runPeak = n
	}
	if learned && !p.burstFlagged && n >= d.cfg.BurstMin && n > p.maxBurst*3 {
		flag(FailureBurst, fmt.Sprintf("at most %d failed logins within %s before", p.maxBurst, d.cfg.BurstWindow),
			fmt.Sprintf("%d failed logins within %s", n, d.cfg.BurstWindow),
			fmt.Sprintf("more than three times the user's most, and at least %d", d.cfg.BurstMin))
		p.burstFlagged = true
	}
}

// hourDistance is the circular distance from h to the nearest hour with a
// login; 0 for a profile with none.
func (p *profile) hourDistance(h int) int {
	for d := 0; d <= 12; d++ {
		if p.hours[(h+d)%24] > 0 || p.hours[(h-d+24)%24] > 0 {
			return d
		}
	}
	return 0
}

// usualHours lists the hours with logins as ranges: "08-11,13-18".
func (p *profile) usualHours() string {
	var parts []string
	for h := 0; h < 24; {
		if p.hours[h] == 0 {
			h++
			continue
		}
		start := h
		for h < 24 && p.hours[h] > 0 {
			h++
		}
		if h-1 == start {
			parts = append(parts, fmt.Sprintf("%02d", start))
		} else {
			parts = append(parts, fmt.Sprintf("%02d-%02d", start, h-1))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// network is the address's network as a baseline keeps it: an IPv4 /24 or
// an IPv6 /48.
func network(a netip.Addr) (netip.Prefix, bool) {
	if !a.IsValid() {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// bump counts k, making room by dropping the least counted key (the
// lowest in order among ties) when the map is full.
func bump[K comparable](m map[K]int, k K, limit int) {
	if _, ok := m[k]; !ok && len(m) >= limit {
		var victim K
		least := math.MaxInt
		for key, n := range m {
			if n < least {
				victim, least = key, n
			}
		}
		delete(m, victim)
	}
	m[k]++
}

func topKeys[K comparable](m map[K]int, n int) string {
	type kv struct {
		k string
		n int
	}
	all := make([]kv, 0, len(m))
	for k, c := range m {
		all = append(all, kv{fmt.Sprint(k), c})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].k < all[j].k
	})
	var b strings.Builder
	for i, e := range all {
		if i == n {
			fmt.Fprintf(&b, ", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.k)
	}
	return b.String()
}

func onHost(h string) string {
	if h == "" {
		return ""
	}
	return " on " + h
}

// haversineKm is the great-circle distance between two points.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}
