package intel

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	t0      = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	sha256A = strings.Repeat("a1", 32)
	sha1A   = strings.Repeat("b2", 20)
	md5A    = strings.Repeat("c3", 16)
)

func testIndicators() []Indicator {
	return []Indicator{
		{ID: "ioc_1", Kind: KindIPv4, Value: "198.51.100.7", Source: "acme", Confidence: 90, TLP: TLPAmber, Tags: []string{"c2"}, Description: "team server"},
		{ID: "ioc_2", Kind: KindIPv6, Value: "2001:db8::7"},
		{ID: "ioc_3", Kind: KindCIDR, Value: "10.0.0.0/8"},
		{ID: "ioc_4", Kind: KindCIDR, Value: "10.1.0.0/16"},
		{ID: "ioc_5", Kind: KindCIDR, Value: "10.1.2.0/24", ValidUntil: t0.Add(-time.Hour)}, // expired
		{ID: "ioc_6", Kind: KindCIDR, Value: "2001:db8:bad::/48"},
		{ID: "ioc_7", Kind: KindCIDR, Value: "2001:db8:bad:beef::/64"},
		{ID: "ioc_8", Kind: KindDomain, Value: "evil.example"},
		{ID: "ioc_9", Kind: KindDomain, Value: "cdn.good.example"},
		{ID: "ioc_10", Kind: KindURL, Value: "http://phish.example/login?x=1"},
		{ID: "ioc_11", Kind: KindSHA256, Value: sha256A},
		{ID: "ioc_12", Kind: KindSHA1, Value: sha1A},
		{ID: "ioc_13", Kind: KindMD5, Value: md5A},
		{ID: "ioc_14", Kind: KindEmail, Value: "billing@invoices.example"},
		{ID: "ioc_15", Kind: KindDomain, Value: "future.example", ValidFrom: t0.Add(time.Hour)},
		{ID: "ioc_16", Kind: KindDomain, Value: "tenant-a.example", TenantID: "ten_a"},
		{ID: "ioc_17", Kind: KindIPv4, Value: "203.0.113.9", TenantID: "ten_b"},
		{ID: "ioc_18", Kind: KindIPv4, Value: "203.0.113.9", TenantID: "ten_a", ListID: "lst_a"},
		{ID: "ioc_19", Kind: KindCIDR, Value: "172.16.0.0/12", TenantID: "ten_a"},
		{ID: "ioc_20", Kind: KindCIDR, Value: "172.16.5.0/24", TenantID: "ten_b"},
	}
}

func ids(hits []Hit) string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Indicator.ID+"@"+h.Field)
	}
	return strings.Join(out, " ")
}

func TestMatcher(t *testing.T) {
	t.Parallel()
	m, rej := NewMatcher(testIndicators())
	if len(rej) != 0 {
		t.Fatalf("rejections: %v", rej)
	}
	tests := []struct {
		name  string
		ev    map[string]any
		scope Scope
		want  string
	}{
		{"ipv4 exact", map[string]any{"source.ip": "198.51.100.7"}, nil, "ioc_1@source.ip"},
		{"ipv4 miss", map[string]any{"source.ip": "198.51.100.8"}, nil, ""},
		{"ipv4-mapped reads as ipv4", map[string]any{"destination.ip": "::ffff:198.51.100.7"}, nil, "ioc_1@destination.ip"},
		{"ipv6 exact", map[string]any{"client.ip": "2001:DB8:0::7"}, nil, "ioc_2@client.ip"},
		{"cidr longest prefix", map[string]any{"destination.ip": "10.1.9.9"}, nil, "ioc_4@destination.ip"},
		{"cidr shorter prefix", map[string]any{"destination.ip": "10.200.0.1"}, nil, "ioc_3@destination.ip"},
		{"cidr longest expired falls back", map[string]any{"destination.ip": "10.1.2.3"}, nil, "ioc_4@destination.ip"},
		{"a reported prefix does not widen for the next field", map[string]any{"source.ip": "10.1.2.3", "destination.ip": "10.1.9.9"}, nil, "ioc_4@source.ip"},
		{"cidr v6 longest", map[string]any{"server.ip": "2001:db8:bad:beef::1"}, nil, "ioc_7@server.ip"},
		{"cidr v6 shorter", map[string]any{"server.ip": "2001:db8:bad:1::1"}, nil, "ioc_6@server.ip"},
		{"cidr v6 miss", map[string]any{"server.ip": "2001:db8:bac::1"}, nil, ""},
		{"v4 address not in a v6 trie", map[string]any{"server.ip": "11.0.0.1"}, nil, ""},
		{"domain exact", map[string]any{"dns.question.name": "evil.example"}, nil, "ioc_8@dns.question.name"},
		{"subdomain", map[string]any{"dns.question.name": "A.B.Evil.Example."}, nil, "ioc_8@dns.question.name"},
		{"parent is not a hit", map[string]any{"dns.question.name": "good.example"}, nil, ""},
		{"sibling is not a hit", map[string]any{"url.domain": "img.good.example"}, nil, ""},
		{"label boundary", map[string]any{"url.domain": "notevil.example"}, nil, ""},
		{"domain field holding an IPv6 address", map[string]any{"url.domain": "2001:db8::7"}, nil, "ioc_2@url.domain"},
		{"url with an IPv6 host", map[string]any{"url.full": "http://[2001:db8:bad::1]:8080/x"}, nil, "ioc_6@url.full"},
		{"domain field holding an address", map[string]any{"destination.domain": "198.51.100.7"}, nil, "ioc_1@destination.domain"},
		{"url exact after normalisation", map[string]any{"url.full": "HTTP://Phish.Example:80/login?x=1#top"}, nil, "ioc_10@url.full"},
		{"url query differs", map[string]any{"url.full": "http://phish.example/login?x=2"}, nil, ""},
		{"url host tested as a domain", map[string]any{"url.original": "https://user@www.evil.example:8443/x"}, nil, "ioc_8@url.original"},
		{"url host left to url.domain", map[string]any{"url.full": "https://www.evil.example/x", "url.domain": "www.evil.example"}, nil, "ioc_8@url.domain"},
		{"url host as address", map[string]any{"url.full": "http://198.51.100.7/x"}, nil, "ioc_1@url.full"},
		{"sha256", map[string]any{"file.hash.sha256": strings.ToUpper(sha256A)}, nil, "ioc_11@file.hash.sha256"},
		{"sha1 in process", map[string]any{"process.hash.sha1": sha1A}, nil, "ioc_12@process.hash.sha1"},
		{"md5", map[string]any{"file.hash.md5": md5A}, nil, "ioc_13@file.hash.md5"},
		{"hash miss", map[string]any{"file.hash.md5": strings.Repeat("0", 32)}, nil, ""},
		{"not hex", map[string]any{"file.hash.md5": strings.Repeat("z", 32)}, nil, ""},
		{"email", map[string]any{"email.from.address": "Billing@Invoices.Example"}, nil, "ioc_14@email.from.address"},
		{"email list", map[string]any{"email.to.address": []any{"a@ok.example", "billing@invoices.example"}}, nil, "ioc_14@email.to.address"},
		{"email domain hits a domain indicator", map[string]any{"user.email": "ceo@mail.evil.example"}, nil, "ioc_8@user.email"},
		{"not valid yet", map[string]any{"dns.question.name": "future.example"}, nil, ""},
		{"string list", map[string]any{"host.ip": []string{"192.0.2.1", "198.51.100.7"}}, nil, "ioc_1@host.ip"},
		{"one hit per indicator", map[string]any{"source.ip": "198.51.100.7", "client.ip": "198.51.100.7"}, nil, "ioc_1@source.ip"},
		{"several kinds", map[string]any{"source.ip": "10.9.9.9", "dns.question.name": "x.evil.example", "file.hash.sha256": sha256A}, nil, "ioc_3@source.ip ioc_8@dns.question.name ioc_11@file.hash.sha256"},
		{"tenant indicator needs scope", map[string]any{"dns.question.name": "tenant-a.example"}, nil, ""},
		{"tenant indicator in scope", map[string]any{"dns.question.name": "tenant-a.example"}, Scope{"ten_a"}, "ioc_16@dns.question.name"},
		{"other tenant's scope", map[string]any{"dns.question.name": "tenant-a.example"}, Scope{"ten_b"}, ""},
		{"same value, two owners", map[string]any{"source.ip": "203.0.113.9"}, Scope{"ten_a"}, "ioc_18@source.ip"},
		{"same value, both in scope", map[string]any{"source.ip": "203.0.113.9"}, Scope{"ten_b", "ten_a"}, "ioc_18@source.ip ioc_17@source.ip"},
		{"longest prefix of another tenant is skipped", map[string]any{"source.ip": "172.16.5.1"}, Scope{"ten_a"}, "ioc_19@source.ip"},
		{"longest prefix in scope", map[string]any{"source.ip": "172.16.5.1"}, Scope{"ten_a", "ten_b"}, "ioc_20@source.ip"},
		{"junk values", map[string]any{"source.ip": "not-an-ip", "dns.question.name": "%%%", "url.full": "::", "file.hash.sha256": 42, "user.email": "@"}, nil, ""},
		{"unlisted field", map[string]any{"message": "198.51.100.7"}, nil, ""},
	}
	for _, tt := range tests {
		got := ids(m.Match(tt.ev, tt.scope, t0))
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMatcherHitCarriesIndicator(t *testing.T) {
	t.Parallel()
	until := t0.Add(24*time.Hour + 500*time.Millisecond)
	m, _ := NewMatcher([]Indicator{{ID: "ioc_1", Kind: KindDomain, Value: "Evil.Example", Source: "acme", Confidence: 70,
		TLP: TLPRed, Tags: []string{"c2", "apt"}, Description: "d", ListID: "lst_1", ValidFrom: t0.Add(-time.Hour), ValidUntil: until}})
	hits := m.Match(map[string]any{"dns.question.name": "WWW.evil.example"}, nil, t0)
	if len(hits) != 1 {
		t.Fatalf("hits = %v", hits)
	}
	h := hits[0]
	want := Indicator{ID: "ioc_1", Kind: KindDomain, Value: "evil.example", Source: "acme", Confidence: 70, TLP: TLPRed,
		Tags: []string{"c2", "apt"}, Description: "d", ListID: "lst_1", ValidFrom: t0.Add(-time.Hour), ValidUntil: until.Truncate(time.Second).Add(time.Second)}
	if h.Field != "dns.question.name" || h.Value != "WWW.evil.example" || fmt.Sprint(h.Indicator) != fmt.Sprint(want) {
		t.Errorf("hit = %+v\nwant indicator %+v", h, want)
	}
	// Tags are the caller's to keep: changing them must not change the matcher.
	h.Indicator.Tags[0] = "changed"
	if again := m.Match(map[string]any{"dns.question.name": "evil.example"}, nil, t0); again[0].Indicator.Tags[0] != "c2" {
		t.Error("a hit's tags alias the matcher's")
	}
}

func TestMatcherExpiry(t *testing.T) {
	t.Parallel()
	m, _ := NewMatcher([]Indicator{{Kind: KindIPv4, Value: "192.0.2.1", ValidFrom: t0, ValidUntil: t0.Add(time.Hour)}})
	ev := map[string]any{"source.ip": "192.0.2.1"}
	for _, c := range []struct {
		at   time.Time
		want int
	}{{t0.Add(-time.Second), 0}, {t0, 1}, {t0.Add(time.Hour - time.Second), 1}, {t0.Add(time.Hour), 0}, {time.Time{}, 0}} {
		if got := len(m.Match(ev, nil, c.at)); got != c.want {
			t.Errorf("at %s: %d hits, want %d", c.at, got, c.want)
		}
	}
}

func TestNewMatcherRejects(t *testing.T) {
	t.Parallel()
	m, rej := NewMatcher([]Indicator{
		{Kind: KindIPv4, Value: "192.0.2.1"},
		{ID: "bad1", Kind: KindIPv4, Value: "2001:db8::1"},
		{Kind: KindDomain, Value: "com"},
		{Kind: "ip", Value: "192.0.2.1"},
		{Kind: KindSHA256, Value: "abc"},
		{Kind: KindDomain, Value: "Ok.Example"},
	})
	if m.Len() != 2 || len(rej) != 4 {
		t.Fatalf("len %d, rejections %v", m.Len(), rej)
	}
	if rej[0].Index != 1 || rej[0].ObjectID != "bad1" || !strings.Contains(rej[0].Reason, "ipv4") {
		t.Errorf("first rejection %+v", rej[0])
	}
	if c := m.Counts(); c[KindIPv4] != 1 || c[KindDomain] != 1 {
		t.Errorf("counts %v", c)
	}
	// The arena was rolled back after the bad domain: the good one matches.
	if len(m.Match(map[string]any{"dns.question.name": "ok.example"}, nil, t0)) != 1 {
		t.Error("domain after a rejected one does not match")
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	m, _ := NewMatcher(testIndicators())
	for value, want := range map[string]string{
		"10.1.7.7":                       "ioc_4@",
		"www.evil.example":               "ioc_8@",
		"http://phish.example/login?x=1": "ioc_10@",
		sha256A:                          "ioc_11@",
		"billing@invoices.example":       "ioc_14@",
		"tenant-a.example":               "",
		"nothing.example":                "",
		"":                               "",
	} {
		if got := ids(m.Lookup(value, nil, t0)); got != want {
			t.Errorf("Lookup(%q) = %q, want %q", value, got, want)
		}
	}
}

func TestCIDRTrie(t *testing.T) {
	t.Parallel()
	// Insert prefixes in an order that forces splits and check every
	// address against a brute-force answer.
	prefixes := []string{"10.0.0.0/8", "10.128.0.0/9", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.128/25", "10.1.2.3/32", "10.64.0.0/10", "192.168.0.0/16", "192.168.1.0/24", "11.0.0.0/8"}
	var inds []Indicator
	for i, p := range prefixes {
		inds = append(inds, Indicator{ID: fmt.Sprint(i), Kind: KindCIDR, Value: p})
	}
	for _, order := range [][]Indicator{inds, slices.Clone(inds)} {
		slices.Reverse(order)
		m, _ := NewMatcher(order)
		for _, addr := range []string{"10.1.2.3", "10.1.2.4", "10.1.2.200", "10.1.3.1", "10.2.0.1", "10.130.0.1", "10.70.0.1", "192.168.1.1", "192.168.2.1", "11.1.1.1", "12.0.0.1", "9.255.255.255"} {
			want, best := "", -1
			for i, p := range prefixes {
				pr, _ := parsePrefix(p)
				a, _ := parseAddr(addr)
				if pr.Contains(a) && pr.Bits() > best {
					want, best = fmt.Sprint(i)+"@source.ip", pr.Bits()
				}
			}
			if got := ids(m.Match(map[string]any{"source.ip": addr}, nil, t0)); got != want {
				t.Errorf("%s: got %q, want %q", addr, got, want)
			}
		}
	}
}

func TestMatchMissDoesNotAllocate(t *testing.T) {
	m, _ := NewMatcher(testIndicators())
	ev := map[string]any{
		"source.ip": "192.0.2.44", "destination.ip": "2001:db8::99", "dns.question.name": "www.Example.ORG",
		"url.full": "https://www.example.org/index.html?q=1", "file.hash.sha256": strings.Repeat("0", 64),
		"email.from.address": "someone@example.org", "destination.domain": "10.99.0.1x",
	}
	scope := Scope{"ten_a"}
	if hits := m.Match(ev, scope, t0); hits != nil {
		t.Fatalf("hits on a miss event: %v", hits)
	}
	if n := testing.AllocsPerRun(200, func() { m.Match(ev, scope, t0) }); n != 0 {
		t.Errorf("Match on a miss allocates %.1f times", n)
	}
}

func TestStoreSwapUnderReaders(t *testing.T) {
	t.Parallel()
	var s Store
	ev := map[string]any{"source.ip": "192.0.2.1"}
	if hits := s.Match(ev, nil, t0); hits != nil || s.Load().Len() != 0 {
		t.Fatal("zero Store matches")
	}
	a, _ := NewMatcher([]Indicator{{ID: "a", Kind: KindIPv4, Value: "192.0.2.1"}})
	b, _ := NewMatcher([]Indicator{{ID: "b", Kind: KindCIDR, Value: "192.0.2.0/24"}})
	if old := s.Swap(a); old != nil {
		t.Fatal("first Swap returned a matcher")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Int64
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				hits := s.Match(ev, nil, t0)
				if len(hits) != 1 || (hits[0].Indicator.ID != "a" && hits[0].Indicator.ID != "b") {
					bad.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			s.Swap(b)
		} else {
			s.Swap(a)
		}
	}
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d reads saw no matcher or a torn one", bad.Load())
	}
	s.Swap(nil)
	if s.Match(ev, nil, t0) != nil {
		t.Error("Swap(nil) should clear the store")
	}
}

// TestTriePathAgainstBruteForce checks the trie, with and without the
// IPv4 jump table, against a scan of every prefix, on random prefixes
// dense enough to share their top 16 bits.
func TestTriePathAgainstBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, v6 := range []bool{false, true} {
		var prefixes []netip.Prefix
		seen := map[netip.Prefix]bool{}
		for len(prefixes) < 3000 {
			var p netip.Prefix
			if v6 {
				var b [16]byte
				b[0], b[1], b[2] = 0x20, 0x01, byte(r.IntN(4))
				for i := 3; i < 16; i++ {
					b[i] = byte(r.UintN(256))
				}
				p = netip.PrefixFrom(netip.AddrFrom16(b), 1+r.IntN(128)).Masked()
			} else {
				b := [4]byte{10, byte(r.IntN(4)), byte(r.UintN(256)), byte(r.UintN(256))}
				if r.IntN(10) == 0 {
					b[0] = byte(r.UintN(256))
				}
				p = netip.PrefixFrom(netip.AddrFrom4(b), 1+r.IntN(32)).Masked()
			}
			if !seen[p] {
				seen[p] = true
				prefixes = append(prefixes, p)
			}
		}
		var tr trie
		next := make([]uint32, len(prefixes))
		for i, p := range prefixes {
			hi, lo := addrBits(p.Addr())
			tr.insert(hi, lo, uint8(p.Bits()), uint32(i), next)
		}
		jumped := tr
		if !v6 {
			jumped.buildJump()
		}
		for q := 0; q < 5000; q++ {
			a := prefixes[r.IntN(len(prefixes))].Addr()
			if v6 {
				b := a.As16()
				b[15] ^= byte(r.UintN(256))
				b[9] ^= byte(r.UintN(2))
				a = netip.AddrFrom16(b)
			} else {
				b := a.As4()
				b[3] ^= byte(r.UintN(256))
				b[1] ^= byte(r.UintN(2))
				a = netip.AddrFrom4(b)
			}
			var want []int
			for i, p := range prefixes {
				if p.Contains(a) {
					want = append(want, i)
				}
			}
			slices.SortFunc(want, func(x, y int) int { return prefixes[x].Bits() - prefixes[y].Bits() })
			hi, lo := addrBits(a)
			for name, tt := range map[string]*trie{"plain": &tr, "jump": &jumped} {
				var out [129]uint32
				n := tt.path(hi, lo, &out)
				var got []int
				for _, nd := range out[:n] {
					for e := tt.nodes[nd].head; e != none; e = next[e] {
						got = append(got, int(e))
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s trie, %s: got %v, want %v", name, a, got, want)
				}
			}
		}
	}
}

func TestMatcherKeepsTagListsApart(t *testing.T) {
	t.Parallel()
	lists := [][]string{{"a", "b"}, {"a\x00b"}, {"1:a1:b"}, {"1:a", "1:b"}, nil, {""}}
	var inds []Indicator
	for i, tags := range lists {
		inds = append(inds, Indicator{Kind: KindIPv4, Value: fmt.Sprintf("192.0.2.%d", i+1), Tags: tags})
	}
	m, _ := NewMatcher(inds)
	for i, tags := range lists {
		h := m.Match(map[string]any{"source.ip": fmt.Sprintf("192.0.2.%d", i+1)}, nil, t0)
		if len(h) != 1 || !slices.Equal(h[0].Indicator.Tags, tags) {
			t.Errorf("indicator %d: hits %+v, want tags %q", i, h, tags)
		}
	}
}
