package normalize_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
)

var recv = time.Date(2026, 11, 26, 4, 5, 0, 0, time.UTC)

func TestParseSyslog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want normalize.Syslog
	}{
		{
			name: "rfc5424 from logger with SD token",
			in:   `<13>1 2026-11-26T04:01:58.027554+00:00 vm myapp 7486 ID1 [timeQuality tzKnown="1" isSynced="0"][opsward@32473 token="abc\"d"] hello world`,
			want: normalize.Syslog{Format: normalize.FormatRFC5424, Priority: 13, Facility: 1, Severity: 5, Version: 1,
				Timestamp: time.Date(2026, 11, 26, 4, 1, 58, 27554000, time.UTC), Hostname: "vm", AppName: "myapp", ProcID: "7486", MsgID: "ID1",
				StructuredData: []normalize.SDElement{
					{ID: "timeQuality", Params: []normalize.SDParam{{"tzKnown", "1"}, {"isSynced", "0"}}},
					{ID: "opsward@32473", Params: []normalize.SDParam{{"token", `abc"d`}}},
				},
				Message: "hello world"},
		},
		{
			name: "rfc5424 RFC example with BOM and offset",
			in:   "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - \xEF\xBB\xBF%% It's time to make the do-nuts.",
			want: normalize.Syslog{Format: normalize.FormatRFC5424, Priority: 165, Facility: 20, Severity: 5, Version: 1,
				Timestamp: time.Date(2003, 8, 24, 12, 14, 15, 3000, time.UTC), Hostname: "192.0.2.1", AppName: "myproc", ProcID: "8710",
				Message: "%% It's time to make the do-nuts.", BOM: true},
		},
		{
			name: "rfc5424 nil values and no message",
			in:   `<13>1 - - myapp 7487 - -`,
			want: normalize.Syslog{Format: normalize.FormatRFC5424, Priority: 13, Facility: 1, Severity: 5, Version: 1, AppName: "myapp", ProcID: "7487"},
		},
		{
			name: "rfc5424 SD escapes, backslash kept before others, trailing LF",
			in:   "<34>1 2026-11-26T04:01:58Z h a - - [ex@1 p=\"a\\]b\\\\c\\d\" q=\"\"] m\n",
			want: normalize.Syslog{Format: normalize.FormatRFC5424, Priority: 34, Facility: 4, Severity: 2, Version: 1,
				Timestamp: time.Date(2026, 11, 26, 4, 1, 58, 0, time.UTC), Hostname: "h", AppName: "a",
				StructuredData: []normalize.SDElement{{ID: "ex@1", Params: []normalize.SDParam{{"p", `a]b\c\d`}, {"q", ""}}}},
				Message:        "m"},
		},
		{
			name: "rfc3164 from logger",
			in:   `<13>Nov 26 04:01:58 vm myapp[7485]: hello world`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 13, Facility: 1, Severity: 5,
				Timestamp: time.Date(2026, 11, 26, 4, 1, 58, 0, time.UTC), Hostname: "vm", AppName: "myapp", ProcID: "7485", Message: "hello world"},
		},
		{
			name: "rfc3164 space-padded day, tag without pid",
			in:   `<38>Nov  6 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 38, Facility: 4, Severity: 6,
				Timestamp: time.Date(2026, 11, 6, 22, 14, 15, 0, time.UTC), Hostname: "mymachine", AppName: "su", Message: "'su root' failed for lonvick on /dev/pts/8"},
		},
		{
			name: "rfc3164 local socket form has no hostname",
			in:   `<86>Nov 26 04:01:58 sshd[812]: Accepted publickey for alice from 10.0.0.5 port 51234 ssh2`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 86, Facility: 10, Severity: 6,
				Timestamp: time.Date(2026, 11, 26, 4, 1, 58, 0, time.UTC), AppName: "sshd", ProcID: "812", Message: "Accepted publickey for alice from 10.0.0.5 port 51234 ssh2"},
		},
		{
			name: "rfc3164 with year and milliseconds",
			in:   `<189>Nov 26 2025 23:59:01.123 fw1 kernel: x`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 189, Facility: 23, Severity: 5,
				Timestamp: time.Date(2025, 11, 26, 23, 59, 1, 123000000, time.UTC), Hostname: "fw1", AppName: "kernel", Message: "x"},
		},
		{
			name: "rfc3164 December message received in January is last year",
			in:   `<13>Dec 31 23:59:59 h app: y`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 13, Facility: 1, Severity: 5,
				Timestamp: time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), Hostname: "h", AppName: "app", Message: "y"},
		},
		{
			name: "rfc3164 with RFC 3339 time (rsyslog)",
			in:   `<13>2026-11-26T05:01:58.5+01:00 host app[1]: z`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 13, Facility: 1, Severity: 5,
				Timestamp: time.Date(2026, 11, 26, 4, 1, 58, 500000000, time.UTC), Hostname: "host", AppName: "app", ProcID: "1", Message: "z"},
		},
		{
			name: "rfc3164 without time keeps everything as message (FortiGate)",
			in:   `<189>date=2026-11-26 time=04:01:58 devname="FGT" srcip=10.0.0.5`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 189, Facility: 23, Severity: 5,
				Message: `date=2026-11-26 time=04:01:58 devname="FGT" srcip=10.0.0.5`},
		},
		{
			name: "rfc3164 CEF payload right after host is not a tag",
			in:   `<134>Nov 26 04:01:58 fw CEF:0|V|P|1|100|n|5|src=10.0.0.1`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 134, Facility: 16, Severity: 6,
				Timestamp: time.Date(2026, 11, 26, 4, 1, 58, 0, time.UTC), Hostname: "fw", Message: `CEF:0|V|P|1|100|n|5|src=10.0.0.1`},
		},
		{
			name: "rfc3164 Cisco with unsynchronised mark",
			in:   `<189>*Mar  1 00:00:10.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up`,
			want: normalize.Syslog{Format: normalize.FormatRFC3164, Priority: 189, Facility: 23, Severity: 5,
				Timestamp: time.Date(2026, 3, 1, 0, 0, 10, 123000000, time.UTC), AppName: "%LINK-3-UPDOWN", Message: "Interface Gi0/1, changed state to up"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := recv
			if strings.Contains(tc.name, "January") {
				r = time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
			}
			got, err := normalize.ParseSyslogAt([]byte(tc.in), r)
			if err != nil {
				t.Fatalf("ParseSyslogAt: %v", err)
			}
			assertSyslogEqual(t, got, tc.want)
		})
	}
}

func assertSyslogEqual(t *testing.T, got, want normalize.Syslog) {
	t.Helper()
	if !got.Timestamp.Equal(want.Timestamp) {
		t.Errorf("Timestamp = %v, want %v", got.Timestamp, want.Timestamp)
	}
	got.Timestamp, want.Timestamp = time.Time{}, time.Time{}
	if g, w := sdString(got.StructuredData), sdString(want.StructuredData); g != w {
		t.Errorf("StructuredData = %s, want %s", g, w)
	}
	got.StructuredData, want.StructuredData = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func sdString(sd []normalize.SDElement) string {
	var b strings.Builder
	for _, e := range sd {
		b.WriteString("[" + e.ID)
		for _, p := range e.Params {
			b.WriteString(" " + p.Name + "=" + `"` + p.Value + `"`)
		}
		b.WriteString("]")
	}
	return b.String()
}

func TestParseSyslogErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "empty message"},
		{"hello", "at byte 0: PRI must begin with '<'"},
		{"<>1 x", "PRI must hold 1 to 3 digits"},
		{"<1234>1 x", "PRI must end with '>'"},
		{"<192>1 - - - - - -", "PRI 192 is over 191"},
		{"<13>2 - - - - - -", "version 2 is not supported"},
		{"<13>1 2026-13-01T00:00:00Z h a p m -", "TIMESTAMP \"2026-13-01T00:00:00Z\" is not an RFC 3339 time"},
		{"<13>1 2026-11-26T4:01:58Z h a p m -", "is not an RFC 3339 time"},
		{"<13>1 2026-11-26T04:01:58,5Z h a p m -", "is not an RFC 3339 time"},
		{"<13>1 2026-11-26T04:01:58.1234567890Z h a p m -", "is not an RFC 3339 time"},
		{"<13>1 0000-01-01T00:00:00+01:00 h a p m -", "years 0001 to 9999"},
		{"<13>1 - h a p m", "message ends after MSGID"},
		{"<13>1 - h " + strings.Repeat("a", 49) + " p m -", "APP-NAME is longer than 48 bytes"},
		{"<13>1 - h a p m x", "at byte 16: STRUCTURED-DATA must be \"-\" or begin with '['"},
		{`<13>1 - h a p m [id p="v"`, "SD element \"id\" is not closed"},
		{`<13>1 - h a p m [id p="v]`, "PARAM-VALUE is not closed"},
		{`<13>1 - h a p m [id p=v]`, "SD param \"p\" must be followed by =\""},
		{`<13>1 - h a p m [ p="v"]`, "SD-ID is empty"},
		{`<13>1 - h a p m [id p="v"]x`, "a space must separate STRUCTURED-DATA from MSG"},
	}
	for _, tc := range tests {
		_, err := normalize.ParseSyslog([]byte(tc.in))
		if err == nil {
			t.Errorf("ParseSyslog(%q): no error", tc.in)
			continue
		}
		if opsward.ErrorCode(err) != opsward.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSyslog(%q) = %v, want an invalid error containing %q", tc.in, err, tc.want)
		}
	}
	big := "<13>1 - - - - - " + strings.Repeat("x", normalize.MaxMessageSize)
	if _, err := normalize.ParseSyslog([]byte(big)); !errors.Is(err, normalize.ErrTooLarge) {
		t.Errorf("oversize message: %v, want ErrTooLarge", err)
	}
}

func TestSyslogRoundTrip(t *testing.T) {
	t.Parallel()
	in := `<13>1 2026-11-26T04:01:58.027554+00:00 vm myapp 7486 ID1 [a@1 x="q\"\\\]"][b@2 y="1"] msg here`
	m, err := normalize.ParseSyslog([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out := string(m.AppendRFC5424(nil))
	if want := `<13>1 2026-11-26T04:01:58.027554Z vm myapp 7486 ID1 [a@1 x="q\"\\\]"][b@2 y="1"] msg here`; out != want {
		t.Errorf("AppendRFC5424 = %s\nwant %s", out, want)
	}
	if v, ok := m.SDParam("b@2", "y"); !ok || v != "1" {
		t.Errorf("SDParam = %q %v", v, ok)
	}
	if _, ok := m.SDParam("b@2", "z"); ok {
		t.Error("SDParam of an absent param is ok")
	}
	if m.FacilityName() != "user" || m.SeverityName() != "notice" {
		t.Errorf("names %s %s", m.FacilityName(), m.SeverityName())
	}
}
