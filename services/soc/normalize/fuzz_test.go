package normalize_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
)

var syslogSeeds = []string{
	`<13>1 2026-11-26T04:01:58.027554+00:00 vm myapp 7486 ID1 [timeQuality tzKnown="1" isSynced="0"][opsward@32473 token="abc\"d"] hello world`,
	"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - \xEF\xBB\xBF%% It's time",
	`<13>1 - - myapp 7487 - -`,
	`<34>1 2026-11-26T04:01:58Z h a - - [ex@1 p="a\]b\\c\d" q=""] m`,
	`<13>Nov 26 04:01:58 vm myapp[7485]: hello world`,
	`<38>Nov  6 22:14:15 mymachine su: 'su root' failed`,
	`<86>Nov 26 04:01:58 sshd[812]: Accepted publickey for alice from 10.0.0.5 port 51234 ssh2`,
	`<189>Nov 26 2025 23:59:01.123 fw1 kernel: x`,
	`<13>2026-11-26T05:01:58.5+01:00 host app[1]: z`,
	`<189>date=2026-11-26 time=04:01:58 devname="FGT" srcip=10.0.0.5`,
	`<134>Nov 26 04:01:58 fw CEF:0|V|P|1|100|n|5|src=10.0.0.1`,
	`<189>*Mar  1 00:00:10.123: %LINK-3-UPDOWN: Interface Gi0/1`,
	"<0>", "<191>1 - - - - - - ", "<13>Feb 29 00:00:00 h t: leap",
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorMessage(err) == "internal error" {
		t.Fatalf("error is not a domain invalid error: %#v", err)
	}
}

func FuzzParseSyslog(f *testing.F) {
	for _, s := range syslogSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := normalize.ParseSyslogAt(b, recv)
		if err != nil {
			checkErr(t, err)
			return
		}
		if m.Priority < 0 || m.Priority > 191 || m.Facility*8+m.Severity != m.Priority {
			t.Fatalf("priority %d = %d*8+%d", m.Priority, m.Facility, m.Severity)
		}
		if len(m.Message) > 3*len(b) || len(m.Hostname) > 255 || len(m.AppName) > 48 || len(m.ProcID) > 128 || len(m.MsgID) > 32 {
			t.Fatalf("field over its bound: %+v", m)
		}
		for _, s := range []string{m.Message, m.Hostname, m.AppName, m.ProcID, m.MsgID} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("field is not clean text: %q", s)
			}
		}
		if !m.Timestamp.IsZero() && m.Timestamp.Location() != time.UTC {
			t.Fatalf("timestamp not UTC: %v", m.Timestamp)
		}
		// Written as RFC 5424 and parsed again, the message is the same.
		out := m.AppendRFC5424(nil)
		m2, err := normalize.ParseSyslogAt(out, recv)
		if err != nil {
			t.Fatalf("rewritten message does not parse: %v\n%q\n%q", err, b, out)
		}
		if !m2.Timestamp.Equal(m.Timestamp) {
			t.Fatalf("timestamp %v != %v", m2.Timestamp, m.Timestamp)
		}
		m.Timestamp, m2.Timestamp = time.Time{}, time.Time{}
		m.Format, m.Version = m2.Format, m2.Version
		if len(m.StructuredData) == 0 {
			m.StructuredData = nil
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("re-parse differs:\n%+v\n%+v\nfrom %q", m, m2, out)
		}
	})
}

func FuzzParseCEF(f *testing.F) {
	for _, s := range []string{
		`CEF:0|Security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1 msg=a\=b c\nd cs1Label=Policy cs1=C:\Windows\x  empty= end=x`,
		`CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|rt=Nov 26 2026 04:01:57 GMT src=10.1.1.5 dst=203.0.113.9 spt=51515 dpt=443 proto=TCP act=deny`,
		`CEF:1|a|b|c|d|e|f|`, `CEF:0|a|b|c|d|e|f|k=v\`, `CEF:0|\\|\||c|d|e|f| k=`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := normalize.ParseCEF(b)
		if err != nil {
			checkErr(t, err)
			return
		}
		if len(c.Extensions) > normalize.MaxFields {
			t.Fatalf("%d extensions", len(c.Extensions))
		}
		out := c.AppendCEF(nil)
		c2, err := normalize.ParseCEF(out)
		if err != nil {
			t.Fatalf("rewritten CEF does not parse: %v\n%q\n%q", err, b, out)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("re-parse differs:\n%#v\n%#v\nfrom %q", c, c2, out)
		}
	})
}

func FuzzParseKV(f *testing.F) {
	for _, s := range []string{
		`date=2026-11-26 time=04:01:58 devname="FGT60F" srcip=10.0.0.5 srcport=51234 action="deny" msg="say \"hi\""`,
		`[UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.7 DST=10.0.0.2 DF PROTO=TCP SPT=40000 DPT=22 SYN URGP=0`,
		`src=192.0.2.1 dst=192.0.2.2 x="unterminated`, `a="x"y=1`, "k=\"a\nb\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pairs, err := normalize.ParseKV(b)
		if err != nil {
			checkErr(t, err)
			return
		}
		if len(pairs) == 0 || len(pairs) > normalize.MaxFields {
			t.Fatalf("%d pairs", len(pairs))
		}
		out := normalize.AppendKV(nil, pairs)
		p2, err := normalize.ParseKV(out)
		if err != nil || !reflect.DeepEqual(pairs, p2) {
			t.Fatalf("re-parse differs (%v):\n%q\n%q\nfrom %q", err, pairs, p2, out)
		}
	})
}

var hints = []normalize.Format{normalize.FormatAuto, normalize.FormatRFC5424, normalize.FormatCEF, normalize.FormatKV, normalize.FormatAuth, normalize.FormatJSON, normalize.FormatPlain}

func FuzzNormalize(f *testing.F) {
	for _, s := range syslogSeeds {
		f.Add([]byte(s), uint8(0))
	}
	for _, s := range []string{
		evtx(sysmonChannel, "Microsoft-Windows-Sysmon", 1, `{"Image":"C:\\a.exe","CommandLine":"a b","ParentImage":"p","Hashes":"MD5=FF9D1ED3795B9AD94F2390D5E5DA5905"}`),
		evtx("Security", "Microsoft-Windows-Security-Auditing", 4625, `{"TargetUserName":"x","IpAddress":"203.0.113.50","IpPort":"49152","LogonType":"3"}`),
		`{"@timestamp":"2026-11-26T04:00:00.123Z","winlog":{"channel":"Security","event_id":4624,"event_data":{"TargetUserName":"u","IpAddress":"::ffff:10.0.0.8"}}}`,
		`{"timestamp":1764129600,"src_ip":"192.0.2.10","dst_port":"8443","user":{"name":"dave"},"event":{"category":["network"]},"tags":["a"]}`,
		`CEF:0|a|b|c|d|e|1|src=10.0.0.1 rt=1764129600000`,
		`Nov 26 04:01:58 h sshd[1]: Failed password for invalid user a from 10.0.0.1 port 22 ssh2`,
		`<85>Nov 26 04:01:58 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id`,
		`srcip=1.2.3.4 dstip=5.6.7.8 eventtime=1764129600000000000`,
		`{"@timestamp":"0000-01-01T00:00:00+01:00","time":"9999-12-31T23:59:59-01:00"}`,
		`<134>Nov 26 04:01:58 pfsense filterlog[4821]: 5,,,1000000103,em0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.7,10.0.0.2,40000,22,0,S`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, b []byte, h uint8) {
		hint := hints[int(h)%len(hints)]
		ev, err := normalize.Normalize(b, hint, recv)
		if err != nil {
			checkErr(t, err)
			fb := normalize.Fallback(b, recv, err)
			checkEvent(t, fb, b)
			return
		}
		checkEvent(t, ev, b)
		// The kept original, normalised again, gives the same event.
		if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			return
		}
		ev2, err := normalize.Normalize([]byte(ev.String("event.original")), hint, recv)
		if err != nil {
			t.Fatalf("event.original does not normalise again: %v\n%q", err, ev.String("event.original"))
		}
		if ev2.Format != ev.Format || !reflect.DeepEqual(ev.Fields, ev2.Fields) || !reflect.DeepEqual(ev.Native, ev2.Native) {
			t.Fatalf("normalising event.original differs:\n%v\n%v", ev.Fields, ev2.Fields)
		}
	})
}

// checkEvent asserts what every stored event relies on.
func checkEvent(t *testing.T, ev normalize.Event, in []byte) {
	t.Helper()
	ts, ok := ev.Fields["@timestamp"].(time.Time)
	if !ok || ts.IsZero() || ts.Location() != time.UTC {
		t.Fatalf("@timestamp = %#v", ev.Fields["@timestamp"])
	}
	for _, k := range []string{"@timestamp", "event.start", "event.end"} {
		if tv, ok := ev.Fields[k].(time.Time); ok {
			if _, err := tv.MarshalJSON(); err != nil || tv.Year() < 1 {
				t.Fatalf("%s = %v cannot be stored: %v", k, tv, err)
			}
		}
	}
	orig, ok := ev.Fields["event.original"].(string)
	if !ok || len(orig) > 3*normalize.MaxMessageSize {
		t.Fatalf("event.original missing or too long")
	}
	if len(ev.Fields) > normalize.MaxFields+64 || len(ev.Native) > normalize.MaxFields*2 {
		t.Fatalf("%d fields, %d native", len(ev.Fields), len(ev.Native))
	}
	for _, m := range []map[string]any{ev.Fields, ev.Native} {
		for k, v := range m {
			if !cleanText(k) {
				t.Fatalf("key %q is not clean text", k)
			}
			if _, isMap := v.(map[string]any); isMap {
				t.Fatalf("%s holds an object", k)
			}
			checkValue(t, k, v)
		}
	}
	if c, ok := ev.Fields["event.category"]; ok {
		if _, ok := c.([]string); !ok {
			t.Fatalf("event.category is %T", c)
		}
	}
	for _, k := range []string{"source.port", "destination.port"} {
		if v, ok := ev.Fields[k]; ok {
			if p, ok := v.(int64); !ok || p < 1 || p > 65535 {
				t.Fatalf("%s = %#v", k, v)
			}
		}
	}
}

func cleanText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func checkValue(t *testing.T, k string, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil, bool, int64, float64, time.Time:
	case string:
		if !cleanText(x) {
			t.Fatalf("%s = %q is not clean text", k, x)
		}
	case []string:
		for _, s := range x {
			checkValue(t, k, s)
		}
	case []any:
		for _, e := range x {
			checkValue(t, k, e)
		}
	case map[string]any: // only inside arrays: objects are flattened
		for kk, e := range x {
			if !cleanText(kk) {
				t.Fatalf("key %q is not clean text", kk)
			}
			checkValue(t, k+"."+kk, e)
		}
	default:
		t.Fatalf("%s has type %T", k, v)
	}
}
