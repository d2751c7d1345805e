package intel

import (
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

func TestParseValue(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("aB", 32)
	tests := []struct {
		kind Kind
		in   string
		want string // "" means an error is expected
	}{
		{KindIPv4, " 10.1.2.3 ", "10.1.2.3"},
		{KindIPv4, "::ffff:10.1.2.3", "10.1.2.3"},
		{KindIPv4, "2001:db8::1", ""},
		{KindIPv4, "10.1.2", ""},
		{KindIPv4, "010.1.2.3", ""},
		{KindIPv6, "2001:DB8:0:0::1", "2001:db8::1"},
		{KindIPv6, "1.2.3.4", ""},
		{KindIPv6, "fe80::1%eth0", ""},
		{KindCIDR, "10.1.2.3/8", "10.0.0.0/8"},
		{KindCIDR, "2001:db8::1/32", "2001:db8::/32"},
		{KindCIDR, "192.0.2.7", "192.0.2.7/32"},
		{KindCIDR, "::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{KindCIDR, "0.0.0.0/0", ""},
		{KindCIDR, "10.0.0.0/33", ""},
		{KindDomain, "Evil.Example.COM.", "evil.example.com"},
		{KindDomain, "*.evil.example", "evil.example"},
		{KindDomain, "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{KindDomain, "_dmarc.example.org", "_dmarc.example.org"},
		{KindDomain, "bücher.example", ""},
		{KindDomain, "com", ""},
		{KindDomain, "198.51.100.7", ""},
		{KindDomain, "host.123", ""},
		{KindDomain, "123.example", "123.example"},
		{KindDomain, "a..b", ""},
		{KindDomain, "-a.example", ""},
		{KindDomain, "a-.example", ""},
		{KindDomain, "a b.example", ""},
		{KindDomain, strings.Repeat("a", 64) + ".example", ""},
		{KindURL, "HTTP://Evil.Example:80/Path?Q=1#frag", "http://evil.example/Path?Q=1"},
		{KindURL, "https://evil.example:443", "https://evil.example/"},
		{KindURL, "https://evil.example:8443/x", "https://evil.example:8443/x"},
		{KindURL, "http://evil.example?x=1", "http://evil.example/?x=1"},
		{KindURL, "http://User:Pw@Evil.Example/", "http://User:Pw@evil.example/"},
		{KindURL, "http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"},
		{KindURL, "http://[::ffff:1.2.3.4]/", "http://1.2.3.4/"},
		{KindURL, "http://192.0.2.1:080/", "http://192.0.2.1/"},
		{KindURL, "evil.example/path", ""},
		{KindURL, "http:///path", ""},
		{KindURL, "http://evil.example/a b", ""},
		{KindURL, "http://evil.example:99999/", ""},
		{KindSHA256, sha, strings.ToLower(sha)},
		{KindSHA256, sha[:63], ""},
		{KindSHA256, strings.Repeat("g", 64), ""},
		{KindSHA1, strings.Repeat("F", 40), strings.Repeat("f", 40)},
		{KindMD5, strings.Repeat("0", 32), strings.Repeat("0", 32)},
		{KindMD5, strings.Repeat("0", 40), ""},
		{KindEmail, "Bad.Actor@Evil.Example.", "bad.actor@evil.example"},
		{KindEmail, "no-at-sign.example", ""},
		{KindEmail, "a@b", ""},
		{KindEmail, "\"quoted\"@evil.example", ""},
		{KindEmail, "@evil.example", ""},
		{"", "x", ""},
		{KindIPv4, "   ", ""},
	}
	for _, tt := range tests {
		got, err := ParseValue(tt.kind, tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseValue(%s, %q) = %q, want an error", tt.kind, tt.in, got)
				continue
			}
			if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) == "" {
				t.Errorf("ParseValue(%s, %q) error %v: want EINVALID naming a field", tt.kind, tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseValue(%s, %q) = %q, %v; want %q", tt.kind, tt.in, got, err, tt.want)
			continue
		}
		// The normal form is a fixed point.
		if again, err := ParseValue(tt.kind, got); err != nil || again != got {
			t.Errorf("ParseValue(%s, %q) = %q, %v; normal form not stable", tt.kind, got, again, err)
		}
	}
}

func TestGuess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		kind Kind
		want string
	}{
		{"10.0.0.1", KindIPv4, "10.0.0.1"},
		{"2001:DB8::1", KindIPv6, "2001:db8::1"},
		{"10.0.0.1/24", KindCIDR, "10.0.0.0/24"},
		{"Evil.Example", KindDomain, "evil.example"},
		{"https://Evil.Example/x", KindURL, "https://evil.example/x"},
		{"Bad@Evil.Example", KindEmail, "bad@evil.example"},
		{strings.Repeat("A", 64), KindSHA256, strings.Repeat("a", 64)},
		{strings.Repeat("a", 40), KindSHA1, strings.Repeat("a", 40)},
		{strings.Repeat("a", 32), KindMD5, strings.Repeat("a", 32)},
		{"not a value", "", ""},
		{"singlelabel", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		k, v, err := Guess(tt.in)
		if tt.kind == "" {
			if err == nil {
				t.Errorf("Guess(%q) = %s %q, want an error", tt.in, k, v)
			}
			continue
		}
		if err != nil || k != tt.kind || v != tt.want {
			t.Errorf("Guess(%q) = %s %q %v, want %s %q", tt.in, k, v, err, tt.kind, tt.want)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	ok := Indicator{Kind: KindDomain, Value: "evil.example", Confidence: 80, TLP: TLPAmber, Tags: []string{"c2"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid indicator: %v", err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		edit  func(*Indicator)
		field string
		says  string
	}{
		{"no kind", func(in *Indicator) { in.Kind = "" }, "kind", "kind is required"},
		{"unknown kind", func(in *Indicator) { in.Kind = "ip" }, "kind", `unknown kind "ip"`},
		{"bad value", func(in *Indicator) { in.Value = "bad value" }, "value", "domain"},
		{"not normalised", func(in *Indicator) { in.Value = "Evil.Example" }, "value", "normal form"},
		{"confidence", func(in *Indicator) { in.Confidence = 101 }, "confidence", "0 to 100"},
		{"tlp", func(in *Indicator) { in.TLP = "purple" }, "tlp", "unknown TLP"},
		{"window", func(in *Indicator) { in.ValidFrom, in.ValidUntil = now, now }, "valid_until", "after valid_from"},
		{"tag", func(in *Indicator) { in.Tags = []string{"a;b"} }, "tags", "tag 1"},
		{"tags", func(in *Indicator) { in.Tags = make([]string, MaxTags+1) }, "tags", "at most"},
		{"description", func(in *Indicator) { in.Description = strings.Repeat("x", MaxDescriptionLen+1) }, "description", "at most"},
		{"source", func(in *Indicator) { in.Source = "\xff" }, "source", "UTF-8"},
		{"tenant", func(in *Indicator) { in.TenantID = strings.Repeat("t", MaxIDLen+1) }, "tenant_id", "tenant_id"},
	}
	for _, tt := range tests {
		in := ok
		tt.edit(&in)
		err := in.Validate()
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if opsward.ErrorField(err) != tt.field || !strings.Contains(opsward.ErrorMessage(err), tt.says) {
			t.Errorf("%s: error %q on field %q, want field %q saying %q", tt.name, opsward.ErrorMessage(err), opsward.ErrorField(err), tt.field, tt.says)
		}
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	in := Indicator{Kind: KindURL, Value: " HTTP://Evil.Example ", TLP: "TLP:WHITE", Tags: []string{" C2 ", "c2", "", "Phishing"}, Source: " feed "}
	if err := in.Normalize(); err != nil {
		t.Fatal(err)
	}
	if in.Value != "http://evil.example/" || in.TLP != TLPClear || strings.Join(in.Tags, ",") != "c2,phishing" || in.Source != "feed" {
		t.Fatalf("Normalize = %+v", in)
	}
}

func TestParseTLPAndKind(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]TLP{"TLP:WHITE": TLPClear, "clear": TLPClear, "Green": TLPGreen, "TLP:AMBER+STRICT": TLPAmberStrict, "red": TLPRed, "": ""} {
		if got, ok := ParseTLP(in); !ok || got != want {
			t.Errorf("ParseTLP(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := ParseTLP("purple"); ok {
		t.Error("ParseTLP(purple) accepted")
	}
	if TLPRed.Rank() <= TLPAmberStrict.Rank() || TLPAmberStrict.Rank() <= TLPAmber.Rank() || TLP("").Rank() != 0 {
		t.Error("TLP ranks out of order")
	}
	for in, want := range map[string]Kind{"IPv4-Addr": KindIPv4, "domain-name": KindDomain, "SHA-256": KindSHA256, "uri": KindURL, "email-addr": KindEmail, "netblock": KindCIDR} {
		if got, ok := ParseKind(in); !ok || got != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, k := range kinds {
		if kindOf(k.code()) != k {
			t.Errorf("kind %s does not survive its compact code", k)
		}
	}
}

func TestActive(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in := Indicator{ValidFrom: from, ValidUntil: from.Add(time.Hour)}
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{from.Add(-time.Second), false}, {from, true}, {from.Add(59 * time.Minute), true}, {from.Add(time.Hour), false}} {
		if got := in.Active(c.at); got != c.want {
			t.Errorf("Active(%s) = %v", c.at, got)
		}
	}
}
