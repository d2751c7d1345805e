package authn

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse battery staple", TestArgon2Params)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %s", h)
	}
	ok, err := VerifyPassword("correct horse battery staple", h)
	if err != nil || !ok {
		t.Errorf("right password: %v, %v", ok, err)
	}
	ok, err = VerifyPassword("correct horse battery stapl", h)
	if err != nil || ok {
		t.Errorf("wrong password: %v, %v", ok, err)
	}
	h2, _ := HashPassword("correct horse battery staple", TestArgon2Params)
	if h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

// TestVerifyPasswordKnownHash checks the PHC reading against hashes that
// other argon2id implementations produce: the reference implementation's
// vectors for password "password", salt "somesalt".
func TestVerifyPasswordKnownHash(t *testing.T) {
	t.Parallel()
	for _, h := range []string{
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$ZVrRXqxlLcWfcXCnMyv0m4Rpvh/bnCi7",
		"$argon2id$v=19$m=64,t=2,p=2$c29tZXNhbHQ$NQrDciL0Nsy1wJcvHr079rlYvyBxhBNi",
	} {
		ok, err := VerifyPassword("password", h)
		if err != nil || !ok {
			t.Fatalf("reference hash %s: %v, %v", h, ok, err)
		}
		if ok, _ := VerifyPassword("Password", h); ok {
			t.Fatalf("reference hash %s accepts another password", h)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	h, _ := HashPassword("correct horse battery staple", TestArgon2Params)
	if NeedsRehash(h, TestArgon2Params) {
		t.Error("same parameters need rehash")
	}
	stronger := TestArgon2Params
	stronger.Time = 2
	if !NeedsRehash(h, stronger) {
		t.Error("changed parameters do not need rehash")
	}
	if !NeedsRehash("$2a$10$bcrypt", TestArgon2Params) {
		t.Error("a foreign hash does not need rehash")
	}
}

func TestParsePHCRefuses(t *testing.T) {
	t.Parallel()
	const salt, key = "c29tZXNhbHQ", "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	bad := []string{
		"",
		"argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=-1,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key, // memory bomb
		"$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key,   // time bomb
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$c29tZQ$" + key,            // short salt
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c29tZXNhbHQ", // short hash
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "=$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
	}
	for _, h := range bad {
		if _, _, _, err := parsePHC(h); err == nil {
			t.Errorf("parsePHC(%q) accepted", h)
		}
		ok, err := VerifyPassword("password", h)
		if ok || opsward.ErrorCode(err) != opsward.EINTERNAL {
			t.Errorf("VerifyPassword(%q) = %v, %v; want internal error", h, ok, err)
		}
	}
}

func TestArgon2ParamsValidate(t *testing.T) {
	t.Parallel()
	if err := (Argon2Params{}).WithDefaults().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := TestArgon2Params.Validate(); err != nil {
		t.Fatalf("test params: %v", err)
	}
	d := DefaultArgon2Params
	if d.Memory != 64<<10 || d.Time != 1 || d.Threads != 2 {
		t.Errorf("defaults changed: %+v (update the comment that justifies them)", d)
	}
	for name, p := range map[string]Argon2Params{
		"memory":   {Memory: 2 << 20},
		"time":     {Time: 100},
		"salt":     {SaltLen: 4},
		"key":      {KeyLen: 8},
		"tiny mem": {Memory: 8, Threads: 4},
	} {
		if err := p.WithDefaults().Validate(); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPasswordHasher(t *testing.T) {
	t.Parallel()
	h, err := NewPasswordHasher(TestArgon2Params, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := h.Verify(ctx, "correct horse battery staple", enc)
	if !ok || rehash || err != nil {
		t.Errorf("Verify = %v %v %v", ok, rehash, err)
	}
	old, _ := HashPassword("correct horse battery staple", Argon2Params{Memory: 32, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	ok, rehash, _ = h.Verify(ctx, "correct horse battery staple", old)
	if !ok || !rehash {
		t.Errorf("old params: ok=%v rehash=%v; want true true", ok, rehash)
	}
	ok, rehash, _ = h.Verify(ctx, "wrong password!!", old)
	if ok || rehash {
		t.Errorf("wrong password: ok=%v rehash=%v", ok, rehash)
	}

	// With the only slot taken, a caller whose context ends gives up.
	h.slots <- struct{}{}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(cctx, "correct horse battery staple"); err == nil {
		t.Error("Hash ran beyond the concurrency bound")
	}
	<-h.slots
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	p := PasswordPolicy{}.WithDefaults()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, password string
		ids            []string
		want           string // "" = accepted
	}{
		{"good passphrase", "correct horse battery staple", nil, ""},
		{"exactly 12", "x7#kq2!vLm9z", nil, ""},
		{"12 non-ASCII characters", "ñandú-pingüé", nil, ""},
		{"11", "x7#kq2!vLm9", nil, "at least 12 characters"},
		{"empty", "", nil, "at least 12 characters"},
		{"129 bytes", strings.Repeat("ab", 64) + "c", nil, "at most 128 bytes"},
		{"128 bytes", strings.Repeat("ab", 64), nil, ""},
		{"all same", "aaaaaaaaaaaaaaaa", nil, "single character"},
		{"all same non-ASCII", strings.Repeat("é", 13), nil, "single character"},
		{"email", "Alice@Example.com", []string{"alice@example.com"}, "email address or user name"},
		{"email local part", "alice.dupont.ops", []string{"alice.dupont.ops@example.com"}, "email address or user name"},
		{"user name", "  superadministrator ", []string{"  superadministrator "}, "email address or user name"},
		{"contains email is fine", "alice@example.com is my login", []string{"alice@example.com"}, ""},
		{"common", "Password1234", nil, "too common"},
		{"common keyboard", "1qaz2wsx3edc", nil, "too common"},
		{"invalid utf-8", "abcdefghijk\xff\xfe", nil, "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Check(tc.password, tc.ids...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != "password" {
				t.Fatalf("err = %v; want invalid on field password", err)
			}
			if !strings.Contains(opsward.ErrorMessage(err), tc.want) {
				t.Fatalf("message %q; want %q", opsward.ErrorMessage(err), tc.want)
			}
		})
	}
}

func TestCommonPasswordsList(t *testing.T) {
	t.Parallel()
	m := commonPasswords()
	if len(m) < 50 {
		t.Fatalf("common password list has %d entries", len(m))
	}
	for pw := range m {
		if len(pw) < DefaultPasswordMinLength {
			t.Errorf("%q is shorter than the minimum: the length rule already refuses it", pw)
		}
		if pw != strings.ToLower(pw) {
			t.Errorf("%q not lower-cased", pw)
		}
	}
}

func TestPasswordPolicyValidate(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]PasswordPolicy{
		"min too small": {MinLength: 6, MaxLength: 128},
		"max below min": {MinLength: 40, MaxLength: 64},
		"max too large": {MinLength: 12, MaxLength: 4096},
	} {
		if err := p.Validate(); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}
