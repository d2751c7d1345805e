package authn

import (
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

// rfc6238Secret is the SHA-1 seed of RFC 6238 appendix B.
var rfc6238Secret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

// RFC 6238 appendix B, SHA-1 column.
var rfc6238Vectors = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestTOTPRFC6238Vectors(t *testing.T) {
	t.Parallel()
	key, err := ParseTOTPSecret(rfc6238Secret)
	if err != nil {
		t.Fatal(err)
	}
	t8, _ := NewTOTP(TOTPConfig{Digits: 8})
	t6, _ := NewTOTP(TOTPConfig{})
	for _, v := range rfc6238Vectors {
		now := time.Unix(v.unix, 0)
		if got := t8.Code(key, t8.Step(now)); got != v.code {
			t.Errorf("T=%d: 8-digit code %s; want %s", v.unix, got, v.code)
		}
		// A 6-digit code is the same value modulo 10^6.
		if got := t6.Code(key, t6.Step(now)); got != v.code[2:] {
			t.Errorf("T=%d: 6-digit code %s; want %s", v.unix, got, v.code[2:])
		}
		step, err := t8.Verify(rfc6238Secret, v.code, now, 0)
		if err != nil || step != uint64(v.unix/30) {
			t.Errorf("T=%d: Verify = %d, %v", v.unix, step, err)
		}
	}
}

func TestTOTPVerifyWindowAndReplay(t *testing.T) {
	t.Parallel()
	tp, _ := NewTOTP(TOTPConfig{})
	secret, err := GenerateTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ParseTOTPSecret(secret)
	now := time.Date(2026, 11, 3, 10, 0, 15, 0, time.UTC)
	cur := tp.Step(now)
	code := func(step uint64) string { return tp.Code(key, step) }

	cases := []struct {
		name     string
		code     string
		lastStep uint64
		want     uint64
		wantErr  string
	}{
		{"current", code(cur), 0, cur, ""},
		{"previous step", code(cur - 1), 0, cur - 1, ""},
		{"next step", code(cur + 1), 0, cur + 1, ""},
		{"two steps old", code(cur - 2), 0, 0, "invalid verification code"},
		{"two steps ahead", code(cur + 2), 0, 0, "invalid verification code"},
		{"replay of the accepted step", code(cur), cur, 0, "already used"},
		{"older than the accepted step", code(cur - 1), cur, 0, "already used"},
		{"newer than the accepted step", code(cur + 1), cur, cur + 1, ""},
		{"spaces are ignored", code(cur)[:3] + " " + code(cur)[3:], 0, cur, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			step, err := tp.Verify(secret, tc.code, now, tc.lastStep)
			if tc.wantErr == "" {
				if err != nil || step != tc.want {
					t.Fatalf("Verify = %d, %v; want %d", step, err, tc.want)
				}
				return
			}
			wantUnauthorized(t, err, tc.wantErr)
			if step != 0 {
				t.Fatalf("step %d returned with an error", step)
			}
		})
	}
	wrong := "000000"
	if code(cur) == wrong || code(cur-1) == wrong || code(cur+1) == wrong {
		wrong = "111111"
	}
	_, err = tp.Verify(secret, wrong, now, 0)
	wantUnauthorized(t, err, "invalid verification code")

	for _, bad := range []string{"", "12345", "1234567", "12345a", "１２３４５６"} {
		_, err := tp.Verify(secret, bad, now, 0)
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != "code" {
			t.Errorf("code %q: err = %v; want invalid on code", bad, err)
		}
	}
	if _, err := tp.Verify("not base32!", code(cur), now, 0); opsward.ErrorCode(err) != opsward.EINTERNAL {
		t.Errorf("bad stored secret: %v", err)
	}
}

func TestParseTOTPSecret(t *testing.T) {
	t.Parallel()
	want, _ := ParseTOTPSecret(rfc6238Secret)
	if string(want) != "12345678901234567890" {
		t.Fatalf("decoded %q", want)
	}
	for _, in := range []string{
		strings.ToLower(rfc6238Secret),
		rfc6238Secret + "====",
		"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
		"gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq",
	} {
		got, err := ParseTOTPSecret(in)
		if err != nil || string(got) != string(want) {
			t.Errorf("ParseTOTPSecret(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "GEZDGNBV", "GEZDGNBVGY3TQOJ1", "GEZD\nGNBVGY3TQOJQGEZD", strings.Repeat("A", 300)} {
		if _, err := ParseTOTPSecret(in); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("ParseTOTPSecret(%q) err = %v; want invalid", in, err)
		}
	}
	s, err := GenerateTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := ParseTOTPSecret(s); err != nil || len(b) != 20 {
		t.Errorf("generated secret: %d bytes, %v", len(b), err)
	}
}

func TestTOTPURI(t *testing.T) {
	t.Parallel()
	tp, _ := NewTOTP(TOTPConfig{Issuer: "Acme MSP"})
	raw := tp.URI("alice@example.com", "JBSWY3DPEHPK3PXP")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Errorf("uri = %s", raw)
	}
	if u.Path != "/Acme MSP:alice@example.com" {
		t.Errorf("label = %q", u.Path)
	}
	q := u.Query()
	if q.Get("secret") != "JBSWY3DPEHPK3PXP" || q.Get("issuer") != "Acme MSP" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("query = %v", q)
	}
	// An account name with a colon or a slash must not break the label.
	raw = tp.URI("odd:na/me", "JBSWY3DPEHPK3PXP")
	if !strings.Contains(raw, "Acme%20MSP:odd%3Ana%2Fme?") {
		t.Errorf("uri = %s", raw)
	}
}

func TestTOTPConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (TOTPConfig{}).WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]TOTPConfig{
		"digits":      {Digits: 7},
		"period frac": {Period: 1500 * time.Millisecond},
		"skew":        {Skew: 10},
		"issuer":      {Issuer: "a:b"},
	} {
		if _, err := NewTOTP(c); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}
