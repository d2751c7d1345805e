package platform_test

import (
	"strings"
	"testing"

	"github.com/opsward/opsward/internal/platform"
)

func TestParseSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want platform.SMTP
		err  string
	}{
		{in: "smtp://u:p%40ss@mail.example.com:587?from=NOC+%3Cnoc%40msp.example%3E",
			want: platform.SMTP{Host: "mail.example.com", Port: 587, Security: "starttls", Username: "u", Password: "p@ss", From: "NOC <noc@msp.example>"}},
		{in: "smtps://mail.example.com?from=noc@msp.example", want: platform.SMTP{Host: "mail.example.com", Security: "tls", From: "noc@msp.example"}},
		{in: "smtp://127.0.0.1:2525?from=noc@msp.example&security=none", want: platform.SMTP{Host: "127.0.0.1", Port: 2525, Security: "none", From: "noc@msp.example"}},
		{in: "smtps://127.0.0.1?from=a@b.example&security=none", err: "security=none goes with smtp://"},
		{in: "smtp://mail.example.com?from=a@b.example&security=tls", err: `security "tls" is not none`},
		{in: "smtp://mail.example.com:99999?from=a@b.example", err: "port"},
		{in: "smtp://mail.example.com", err: "name the sender"},
		{in: "smtp://mail.example.com?from=nobody", err: "not an email address"},
		{in: "smtp:///?from=a@b.example", err: "no host"},
		{in: "mailto:a@b.example", err: "scheme"},
	} {
		got, err := platform.ParseSMTPURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// The URL comes from the operator's environment; whatever it holds, the
// parser does not panic and its errors never repeat the password.
func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{"smtp://u:secret@mail.example.com:587?from=a@b.example", "smtps://h?from=x", "smtp://u:secret@%zz", "smtp://u:secret@[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := platform.ParseSMTPURL(in)
		if err == nil {
			if s.Host == "" || s.From == "" || (s.Security != "starttls" && s.Security != "tls" && s.Security != "none") {
				t.Fatalf("accepted %q as %+v", in, s)
			}
			return
		}
		if i := strings.Index(in, ":secret@"); i >= 0 && strings.Contains(err.Error(), "secret") {
			t.Fatalf("error repeats the password: %v", err)
		}
	})
}
