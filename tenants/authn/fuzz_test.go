package authn

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/opsward/opsward"
)

// Fuzz targets for every parser of outside input. Run one with, e.g.,
// go test -run '^$' -fuzz FuzzVerify ./tenants/authn/

func FuzzVerify(f *testing.F) {
	iss, ring, clk := newTestIssuer(f)
	good, _, err := iss.Issue(testGrant)
	if err != nil {
		f.Fatal(err)
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims(clk.Now()))
	none.Header["kid"] = ring.Active().ID
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	for _, s := range []string{good, noneTok, "", "a.b.c", "..", good + "x", strings.ToUpper(good)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := iss.Verify(token)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			if code := opsward.ErrorCode(err); code != opsward.EUNAUTHORIZED {
				t.Fatalf("code %q: %v", code, err)
			}
			return
		}
		// Only a token signed by our key can pass; the fuzzer cannot forge
		// one, so whatever passes must carry the issued claims.
		if c.Subject != testGrant.UserID || c.TenantID != testGrant.TenantID || c.SessionID != testGrant.SessionID {
			t.Fatalf("accepted token with claims %+v", c)
		}
	})
}

func FuzzParseOpaqueSecret(f *testing.F) {
	s, _ := NewAPIKey()
	f.Add(s.Reveal())
	f.Add("opw__")
	f.Add("opw_aaaaaaaa_" + strings.Repeat("a", 52))
	f.Add("opr_aaaaaaaa_" + strings.Repeat("a", 52))
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParseOpaqueSecret(KindAPIKey, text)
		if err != nil {
			// The message never repeats what was sent (checked where the
			// input is too long to occur in a fixed message by chance).
			if opsward.ErrorCode(err) != opsward.EUNAUTHORIZED || len(text) >= 8 && strings.Contains(err.Error(), text) {
				t.Fatalf("err = %v", err)
			}
			return
		}
		if !strings.HasPrefix(text, "opw_"+p.Prefix+"_") || len(text) != 4+opaquePrefixLen+1+opaqueSecretLen {
			t.Fatalf("accepted %q as prefix %q", text, p.Prefix)
		}
		if p.Matches(s.Hash) != (text == s.Reveal()) {
			t.Fatalf("%q matches another secret's hash", text)
		}
	})
}

func FuzzParsePHC(f *testing.F) {
	h, _ := HashPassword("correct horse battery staple", TestArgon2Params)
	f.Add(h)
	f.Add("$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$c29tZXNhbHRzb21lc2FsdA")
	f.Add("$argon2id$v=19$$$")
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := parsePHC(encoded)
		if err != nil {
			return
		}
		if p.Validate() != nil {
			t.Fatalf("accepted out-of-range parameters %+v", p)
		}
		// One hash has one text: what was read writes back the same.
		again := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads,
			base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
		if again != encoded {
			t.Fatalf("read %q, writes %q", encoded, again)
		}
	})
}

func FuzzParseTOTPSecret(f *testing.F) {
	f.Add(rfc6238Secret)
	f.Add("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")
	f.Add("JBSWY3DPEHPK3PXP====")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseTOTPSecret(s)
		if err != nil {
			if opsward.ErrorCode(err) != opsward.EINVALID {
				t.Fatalf("err = %v", err)
			}
			return
		}
		if len(b) < 10 || len(b) > 64 {
			t.Fatalf("accepted a %d-byte secret", len(b))
		}
		back, err := ParseTOTPSecret(totpB32.EncodeToString(b))
		if err != nil || string(back) != string(b) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzTOTPVerify(f *testing.F) {
	tp, _ := NewTOTP(TOTPConfig{})
	now := time.Unix(1_800_000_000, 0)
	f.Add(rfc6238Secret, "123456", uint64(0))
	f.Add("JBSWY3DPEHPK3PXP", "12 34 56", uint64(1<<63))
	f.Fuzz(func(t *testing.T, secret, code string, last uint64) {
		step, err := tp.Verify(secret, code, now, last)
		if err == nil && (step <= last || step+1 < tp.Step(now) || step > tp.Step(now)+1) {
			t.Fatalf("accepted step %d (now %d, last %d)", step, tp.Step(now), last)
		}
	})
}

func FuzzSealerOpen(f *testing.F) {
	k, _ := DeriveSealKey([]byte(strings.Repeat("k", 32)), "fuzz")
	s, err := NewSealer(SealerConfig{Keys: map[string]string{"k1": k}})
	if err != nil {
		f.Fatal(err)
	}
	ad := SealContext("t", "c")
	sealed, _ := s.Seal([]byte("secret"), ad)
	f.Add(sealed, []byte("wrong"))
	f.Add("sv1.k1.", []byte{})
	f.Add("sv1..AAAA", []byte{})
	f.Fuzz(func(t *testing.T, in string, ad2 []byte) {
		pt, err := s.Open(in, ad2)
		if err != nil {
			if opsward.ErrorCode(err) != opsward.EINTERNAL {
				t.Fatalf("err = %v", err)
			}
			return
		}
		if string(pt) != "secret" || string(ad2) != string(ad) {
			t.Fatalf("opened %q with ad %q", pt, ad2)
		}
	})
}

func FuzzParseKeyRing(f *testing.F) {
	ring, _ := GenerateKeyRing(time.Unix(1_800_000_000, 0))
	b, _ := ring.MarshalJSON()
	f.Add(b)
	f.Add([]byte(`{"active":"a","keys":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseKeyRing(data)
		if err != nil {
			if opsward.ErrorCode(err) != opsward.EINVALID {
				t.Fatalf("err = %v", err)
			}
			return
		}
		if r.Active().Private == nil {
			t.Fatal("accepted a ring that cannot sign")
		}
	})
}
