package authn

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/opsward/opsward"
)

func newTestSealer(t *testing.T, active string, ids ...string) (*Sealer, SealerConfig) {
	t.Helper()
	cfg := SealerConfig{Keys: map[string]string{}, Active: active}
	for _, id := range ids {
		k, err := GenerateSealKey()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Keys[id] = k
	}
	s, err := NewSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s, _ := newTestSealer(t, "k1", "k1")
	ad := SealContext("notification_channels", "secret", "ten_a", "chn_1")
	for _, pt := range [][]byte{nil, []byte("x"), []byte("hooks.slack.com/services/T000/B000/XXXX"), bytes.Repeat([]byte{0}, 4096)} {
		sealed, err := s.Seal(pt, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "sv1.k1.") {
			t.Errorf("sealed = %s", sealed)
		}
		if len(pt) > 4 && strings.Contains(sealed, string(pt)) {
			t.Fatal("plaintext visible in sealed value")
		}
		got, err := s.Open(sealed, ad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("Open = %q, %v; want %q", got, err, pt)
		}
	}
	a, _ := s.Seal([]byte("same"), ad)
	b, _ := s.Seal([]byte("same"), ad)
	if a == b {
		t.Error("two seals of one value are equal: nonce not random")
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	s, _ := newTestSealer(t, "k1", "k1")
	other, _ := newTestSealer(t, "k1", "k1") // same id, another key
	ad := SealContext("notification_channels", "secret", "ten_a", "chn_1")
	sealed, _ := s.Seal([]byte("webhook secret"), ad)
	foreign, _ := other.Seal([]byte("webhook secret"), ad)
	kid, body, _ := strings.Cut(strings.TrimPrefix(sealed, "sv1."), ".")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	raw[len(raw)-1] ^= 1
	flipped := "sv1." + kid + "." + base64.RawURLEncoding.EncodeToString(raw)

	cases := []struct {
		name, sealed string
		ad           []byte
		want         error
	}{
		{"other tenant", sealed, SealContext("notification_channels", "secret", "ten_b", "chn_1"), ErrSealedForged},
		{"other row", sealed, SealContext("notification_channels", "secret", "ten_a", "chn_2"), ErrSealedForged},
		{"other column", sealed, SealContext("notification_channels", "token", "ten_a", "chn_1"), ErrSealedForged},
		{"no context", sealed, nil, ErrSealedForged},
		{"shifted context", sealed, SealContext("notification_channelssecret", "", "ten_a", "chn_1"), ErrSealedForged},
		{"other key, same id", foreign, ad, ErrSealedForged},
		{"bit flipped", flipped, ad, ErrSealedForged},
		{"unknown key", strings.Replace(sealed, "sv1.k1.", "sv1.k9.", 1), ad, ErrSealedUnknownKey},
		{"other version", strings.Replace(sealed, "sv1.", "sv2.", 1), ad, ErrSealedMalformed},
		{"truncated", sealed[:len("sv1.k1.")+10], ad, ErrSealedMalformed},
		{"not base64", "sv1.k1.!!!!", ad, ErrSealedMalformed},
		{"empty", "", ad, ErrSealedMalformed},
		{"bad key id", "sv1.k 1." + body, ad, ErrSealedMalformed},
	}
	for _, tc := range cases {
		pt, err := s.Open(tc.sealed, tc.ad)
		if pt != nil || !errors.Is(err, tc.want) || opsward.ErrorCode(err) != opsward.EINTERNAL {
			t.Errorf("%s: Open = %q, %v; want internal %v", tc.name, pt, err, tc.want)
		}
	}
}

func TestSealerRotation(t *testing.T) {
	t.Parallel()
	old, cfg := newTestSealer(t, "2025", "2025")
	ad := SealContext("settings", "jwt_key_ring")
	sealed, _ := old.Seal([]byte("ring"), ad)

	k, _ := GenerateSealKey()
	cfg.Keys["2026"] = k
	cfg.Active = "2026"
	s, err := NewSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !s.NeedsReseal(sealed) {
		t.Error("value of the old key does not need resealing")
	}
	pt, err := s.Open(sealed, ad)
	if err != nil || string(pt) != "ring" {
		t.Fatalf("old value after rotation: %q, %v", pt, err)
	}
	resealed, _ := s.Seal(pt, ad)
	if s.NeedsReseal(resealed) || !strings.HasPrefix(resealed, "sv1.2026.") {
		t.Errorf("resealed = %s", resealed)
	}
	// Once the old key leaves the configuration, old values do not open.
	delete(cfg.Keys, "2025")
	s2, _ := NewSealer(cfg)
	if _, err := s2.Open(sealed, ad); !errors.Is(err, ErrSealedUnknownKey) {
		t.Errorf("old value without its key: %v", err)
	}
	if _, err := s2.Open(resealed, ad); err != nil {
		t.Errorf("resealed value: %v", err)
	}
}

func TestSealerConfig(t *testing.T) {
	t.Parallel()
	k1, _ := GenerateSealKey()
	k2, _ := GenerateSealKey()
	cfg, err := ParseSealKeys("new:" + k2 + ", old:" + k1)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Active != "new" || len(cfg.Keys) != 2 {
		t.Errorf("cfg = active %s, %d keys", cfg.Active, len(cfg.Keys))
	}
	one := SealerConfig{Keys: map[string]string{"only": k1}}.WithDefaults()
	if one.Active != "only" || one.Validate() != nil {
		t.Errorf("single key not made active: %+v", one.Active)
	}
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	for name, in := range map[string]string{
		"empty":        "",
		"no colon":     k1,
		"short key":    "a:" + short,
		"not base64":   "a:***",
		"bad id":       "a b:" + k1,
		"duplicate id": "a:" + k1 + ",a:" + k2,
	} {
		if _, err := ParseSealKeys(in); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewSealer(SealerConfig{Keys: map[string]string{"a": k1, "b": k2}, Active: "c"}); opsward.ErrorField(err) != "seal.active" {
		t.Errorf("missing active key: %v", err)
	}
	if err := (SealerConfig{}).Validate(); opsward.ErrorField(err) != "seal.keys" {
		t.Errorf("no keys: %v", err)
	}
}

func TestDeriveSealKey(t *testing.T) {
	t.Parallel()
	master := bytes.Repeat([]byte{7}, 32)
	a, err := DeriveSealKey(master, "database secrets")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := DeriveSealKey(master, "database secrets")
	b, _ := DeriveSealKey(master, "something else")
	if a != again || a == b {
		t.Errorf("derivation not deterministic or not separated by purpose")
	}
	if _, err := NewSealer(SealerConfig{Keys: map[string]string{"d": a}}); err != nil {
		t.Errorf("derived key unusable: %v", err)
	}
	if _, err := DeriveSealKey(master[:16], "x"); opsward.ErrorCode(err) != opsward.EINVALID {
		t.Errorf("short master accepted: %v", err)
	}
}

func TestSealContextUnambiguous(t *testing.T) {
	t.Parallel()
	if bytes.Equal(SealContext("ab", "c"), SealContext("a", "bc")) {
		t.Error("SealContext is ambiguous")
	}
	if bytes.Equal(SealContext("a", ""), SealContext("a")) {
		t.Error("SealContext ignores an empty part")
	}
}
