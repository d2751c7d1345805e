package authn

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/opsward/opsward"
)

func TestScopesAllows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		have     Scopes
		required Scope
		want     bool
	}{
		{Scopes{ScopeNOCRead}, ScopeNOCRead, true},
		{Scopes{ScopeNOCRead}, ScopeNOCWrite, false},
		{Scopes{ScopeNOCWrite}, ScopeNOCRead, true},
		{Scopes{ScopeNOCWrite}, ScopeSOCRead, false},
		{Scopes{ScopeSOCWrite}, ScopeSOCRead, true},
		{Scopes{ScopeSOCRead}, ScopeSOCWrite, false},
		{Scopes{ScopeEventsIngest}, ScopeEventsIngest, true},
		{Scopes{ScopeEventsIngest}, ScopeNOCRead, false},
		{Scopes{ScopeNOCWrite, ScopeSOCWrite}, ScopeEventsIngest, false},
		{Scopes{ScopeBillingRead}, ScopeBillingRead, true},
		{Scopes{ScopeBillingRead}, ScopeAdmin, false},
		{Scopes{ScopeAdmin}, ScopeBillingRead, true},
		{Scopes{ScopeAdmin}, ScopeEventsIngest, true},
		{Scopes{ScopeAdmin}, ScopeSOCWrite, true},
		{Scopes{ScopeAdmin}, Scope("noc:delete"), false},
		{Scopes{Scope("noc:*")}, ScopeNOCRead, false},
		{nil, ScopeNOCRead, false},
	}
	for _, tc := range cases {
		if got := tc.have.Allows(tc.required); got != tc.want {
			t.Errorf("%v.Allows(%s) = %v; want %v", tc.have, tc.required, got, tc.want)
		}
	}
	for _, s := range AllScopes() {
		if !(Scopes{ScopeAdmin}).Allows(s) {
			t.Errorf("admin does not allow %s", s)
		}
	}
}

func TestParseScopes(t *testing.T) {
	t.Parallel()
	got, err := ParseScopes([]string{"soc:write", "noc:read", "soc:write"})
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "noc:read soc:write" {
		t.Errorf("got %q; want canonical order without duplicates", got.String())
	}
	for _, bad := range [][]string{nil, {}, {"noc:read", "root"}, {"NOC:READ"}, {""}} {
		_, err := ParseScopes(bad)
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != "scopes" {
			t.Errorf("ParseScopes(%q) err = %v; want invalid on scopes", bad, err)
		}
	}
	s, err := ParseScopeString(" events:ingest  admin ")
	if err != nil || s.String() != "events:ingest admin" {
		t.Errorf("ParseScopeString = %v, %v", s, err)
	}
}

func TestOpaqueSecretRoundTrip(t *testing.T) {
	t.Parallel()
	for _, kind := range []OpaqueKind{KindAPIKey, KindRefreshToken, KindInvitation} {
		s, err := NewOpaqueSecret(kind)
		if err != nil {
			t.Fatal(err)
		}
		plain := s.Reveal()
		if !strings.HasPrefix(plain, string(kind)+"_"+s.Prefix+"_") {
			t.Errorf("%s: secret %q does not start with its kind and prefix", kind, s)
		}
		if err := CheckOpaqueSecret(kind, plain, s.Hash); err != nil {
			t.Errorf("%s: own secret refused: %v", kind, err)
		}
		p, err := ParseOpaqueSecret(kind, plain)
		if err != nil || p.Prefix != s.Prefix {
			t.Errorf("%s: parse = %v, %v", kind, p, err)
		}
		// Another kind's parser refuses it.
		for _, other := range []OpaqueKind{KindAPIKey, KindRefreshToken, KindInvitation} {
			if other != kind {
				if _, err := ParseOpaqueSecret(other, plain); opsward.ErrorCode(err) != opsward.EUNAUTHORIZED {
					t.Errorf("%s parsed as %s: %v", kind, other, err)
				}
			}
		}
	}
}

func TestOpaqueSecretRefusals(t *testing.T) {
	t.Parallel()
	s, _ := NewAPIKey()
	other, _ := NewAPIKey()
	plain := s.Reveal()
	// Flip one character of the secret part to another valid one.
	last := plain[len(plain)-2]
	flip := byte('a')
	if last == 'a' {
		flip = 'b'
	}
	tampered := plain[:len(plain)-2] + string(flip) + plain[len(plain)-1:]

	cases := map[string]struct {
		text string
		hash []byte
		want string
	}{
		"other key's hash":   {plain, other.Hash, "invalid API key"},
		"tampered":           {tampered, s.Hash, "invalid API key"},
		"empty hash":         {plain, nil, "invalid API key"},
		"upper case":         {strings.ToUpper(plain), s.Hash, "malformed API key"},
		"truncated":          {plain[:len(plain)-1], s.Hash, "malformed API key"},
		"extra":              {plain + "a", s.Hash, "malformed API key"},
		"bad alphabet":       {plain[:len(plain)-1] + "1", s.Hash, "malformed API key"},
		"no separator":       {strings.Replace(plain, "_", "-", 2), s.Hash, "malformed API key"},
		"refresh token":      {strings.Replace(plain, "opw_", "opr_", 1), s.Hash, "malformed API key"},
		"empty":              {"", s.Hash, "malformed API key"},
		"newline in base32":  {plain[:20] + "\n" + plain[21:], s.Hash, "malformed API key"},
		"non-canonical tail": {plain[:len(plain)-1] + nonCanonicalTail(plain[len(plain)-1]), s.Hash, "malformed API key"},
	}
	for name, tc := range cases {
		err := CheckOpaqueSecret(KindAPIKey, tc.text, tc.hash)
		if opsward.ErrorCode(err) != opsward.EUNAUTHORIZED || opsward.ErrorMessage(err) != tc.want {
			t.Errorf("%s: err = %v; want %q", name, err, tc.want)
		}
		if err != nil && len(tc.text) > 20 && strings.Contains(err.Error(), tc.text[12:]) {
			t.Errorf("%s: error repeats the secret", name)
		}
	}
}

// nonCanonicalTail returns a character that differs from c only in the
// 4 unused trailing bits of a 52-character base32 secret.
func nonCanonicalTail(c byte) string {
	const alpha = "abcdefghijklmnopqrstuvwxyz234567"
	i := strings.IndexByte(alpha, c)
	return string(alpha[i^1])
}

func TestOpaqueSecretRedacts(t *testing.T) {
	t.Parallel()
	s, _ := NewAPIKey()
	secretPart := s.Reveal()[len("opw_")+opaquePrefixLen+1:]
	var sb strings.Builder
	logger := slog.New(slog.NewJSONHandler(&sb, nil))
	logger.Info("created", "key", s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), sb.String()} {
		if strings.Contains(out, secretPart) {
			t.Errorf("secret leaks through formatting: %s", out)
		}
		if !strings.Contains(out, s.Prefix) {
			t.Errorf("prefix missing from %s", out)
		}
	}
}

func TestOpaqueSecretsDiffer(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s, err := NewRefreshToken()
		if err != nil {
			t.Fatal(err)
		}
		if seen[s.Reveal()] || seen[s.Prefix] {
			t.Fatal("repeated secret or prefix")
		}
		seen[s.Reveal()], seen[s.Prefix] = true, true
	}
}
