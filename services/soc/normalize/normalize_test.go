package normalize_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
)

func TestNormalizeDetects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		format normalize.Format
	}{
		{`{"message":"x"}`, normalize.FormatJSON},
		{`  {"winlog":{"event_id":1}}`, normalize.FormatWinlogbeat},
		{`<13>1 - - app - - - plain body`, normalize.FormatRFC5424},
		{`<13>Nov 26 04:01:58 h app: plain body`, normalize.FormatRFC3164},
		{`<13>1 - h app - - - {"src_ip":"10.0.0.1","msg":"j"}`, normalize.FormatJSON},
		{`CEF:0|a|b|c|d|e|1|src=10.0.0.1`, normalize.FormatCEF},
		{`srcip=1.2.3.4 dstip=5.6.7.8`, normalize.FormatKV},
		{`Nov 26 04:01:58 h sshd[1]: Accepted password for a from 10.0.0.1 port 22 ssh2`, normalize.FormatAuth},
		{`the user=bob did something`, normalize.FormatPlain},
		{`just words`, normalize.FormatPlain},
	}
	for _, tc := range tests {
		ev, err := normalize.Normalize([]byte(tc.in), normalize.FormatAuto, recv)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if ev.Format != tc.format {
			t.Errorf("%s: format %s, want %s", tc.in, ev.Format, tc.format)
		}
		if ev.Time().IsZero() || ev.Fields["event.original"] == nil {
			t.Errorf("%s: no @timestamp or event.original", tc.in)
		}
	}
	ev, _ := normalize.Normalize([]byte(`<13>1 2026-11-26T01:00:00Z h app - - - {"msg":"j"}`), normalize.FormatAuto, recv)
	if got := ev.Time(); !got.Equal(time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("JSON body without a time must keep the header's: %v", got)
	}
	if ev.String("message") != "j" || ev.String("process.name") != "app" {
		t.Errorf("fields %v", ev.Fields)
	}
}

func TestNormalizeErrorsAndFallback(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		hint normalize.Format
		want string
	}{
		{"<999>x", normalize.FormatAuto, "PRI 999 is over 191"},
		{`{"a":`, normalize.FormatAuto, "json: at byte 5"},
		{"not cef", normalize.FormatCEF, "must begin with \"CEF:\""},
		{"   \n", normalize.FormatAuto, "empty message"},
		{"x", "xml", "unknown format"},
	} {
		_, err := normalize.Normalize([]byte(c.in), c.hint, recv)
		if err == nil || opsward.ErrorCode(err) != opsward.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Normalize(%q, %q) = %v, want %q", c.in, c.hint, err, c.want)
		}
	}
	raw := []byte(strings.Repeat("y", normalize.MaxMessageSize+10))
	_, err := normalize.Normalize(raw, normalize.FormatAuto, recv)
	if !errors.Is(err, normalize.ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	ev := normalize.Fallback(raw, recv, err)
	if ev.Format != normalize.FormatPlain || len(ev.String("message")) != normalize.MaxMessageSize || !strings.Contains(ev.ParseError(), "over the limit") || !ev.Time().Equal(recv) {
		t.Errorf("Fallback: %s %d %q", ev.Format, len(ev.String("message")), ev.ParseError())
	}
	ev = normalize.Fallback([]byte("bad \xff\x00 bytes\r\n"), recv, errors.New("secret cause"))
	if ev.String("message") != "bad \uFFFD\uFFFD bytes" || ev.ParseError() != "internal error" {
		t.Errorf("Fallback cleans text and hides non-domain errors: %q %q", ev.String("message"), ev.ParseError())
	}
	// A CEF body that does not parse leaves a syslog event with the error.
	ev, err = normalize.Normalize([]byte("<13>1 - h app - - - CEF:0|a|b"), normalize.FormatAuto, recv)
	if err != nil || ev.Format != normalize.FormatRFC5424 || !strings.Contains(ev.ParseError(), "cef:") || ev.String("message") != "CEF:0|a|b" {
		t.Errorf("bad CEF body: %v %s %q", err, ev.Format, ev.ParseError())
	}
}
