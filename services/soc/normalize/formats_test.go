package normalize_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
)

func TestParseCEF(t *testing.T) {
	t.Parallel()
	in := `CEF:0|Security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1 msg=a\=b c\nd cs1Label=Policy cs1=C:\Windows\x  empty= end=x`
	c, err := normalize.ParseCEF([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := normalize.CEF{Version: 0, DeviceVendor: "Security", DeviceProduct: "threatmanager", DeviceVersion: "1.0", SignatureID: "100",
		Name: "detected a | in message", Severity: "10",
		Extensions: []normalize.KV{{"src", "10.0.0.1"}, {"act", `blocked a \`}, {"dst", "1.1.1.1"}, {"msg", "a=b c\nd"},
			{"cs1Label", "Policy"}, {"cs1", `C:\Windows\x`}, {"empty", ""}, {"end", "x"}}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %#v\nwant %#v", c, want)
	}
	again, err := normalize.ParseCEF(c.AppendCEF(nil))
	if err != nil || !reflect.DeepEqual(again, c) {
		t.Errorf("round trip: %v\n%#v", err, again)
	}
	for _, bad := range []struct{ in, want string }{
		{"LEEF:1.0|a", "must begin with \"CEF:\""},
		{"CEF:x|a", "version must be"},
		{"CEF:0|a|b|c", "Version to Severity); found 3"},
		{"CEF:0|a|b|c|d|e|f|not an extension", "at byte 18: extension must be key=value pairs"},
	} {
		_, err := normalize.ParseCEF([]byte(bad.in))
		if err == nil || opsward.ErrorCode(err) != opsward.EINVALID || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseCEF(%q) = %v, want %q", bad.in, err, bad.want)
		}
	}
}

func TestNormalizeCEF(t *testing.T) {
	t.Parallel()
	in := `<134>Nov 26 04:01:58 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|rt=Nov 26 2026 04:01:57 GMT src=10.1.1.5 dst=203.0.113.9 spt=51515 dpt=443 proto=TCP act=deny suser=corp\alice request=https://evil.example/x fileHash=44d88612fea8a8f36de82e1278abb02f cs1Label=Rule cs1=block-out outcome=/Failure`
	ev, err := normalize.Normalize([]byte(in), normalize.FormatAuto, recv)
	if err != nil {
		t.Fatal(err)
	}
	wantFields(t, ev, map[string]any{
		"@timestamp":          time.Date(2026, 11, 26, 4, 1, 57, 0, time.UTC),
		"source.ip":           "10.1.1.5",
		"destination.ip":      "203.0.113.9",
		"source.port":         int64(51515),
		"destination.port":    int64(443),
		"network.transport":   "tcp",
		"event.action":        "deny",
		"event.outcome":       "failure",
		"user.name":           `corp\alice`,
		"url.full":            "https://evil.example/x",
		"file.hash.md5":       "44d88612fea8a8f36de82e1278abb02f",
		"event.code":          "TRAFFIC",
		"event.severity":      int64(3),
		"observer.vendor":     "Palo Alto Networks",
		"observer.hostname":   "fw01",
		"log.syslog.hostname": "fw01",
		"message":             "end",
		"event.original":      in,
	})
	if ev.Format != normalize.FormatCEF || ev.Native["Rule"] != "block-out" || ev.Native["cs1"] != "block-out" {
		t.Errorf("format %s native %v", ev.Format, ev.Native)
	}
}

func TestParseKV(t *testing.T) {
	t.Parallel()
	pairs, err := normalize.ParseKV([]byte(`date=2026-11-26 devname="FGT 60F" msg="say \"hi\" \\o/" empty= DF SYN x="unterminated`))
	if err != nil {
		t.Fatal(err)
	}
	want := []normalize.KV{{"date", "2026-11-26"}, {"devname", "FGT 60F"}, {"msg", `say "hi" \o/`}, {"empty", ""}, {"x", "unterminated"}}
	if !reflect.DeepEqual(pairs, want) {
		t.Errorf("got %q", pairs)
	}
	again, err := normalize.ParseKV(normalize.AppendKV(nil, pairs))
	if err != nil || !reflect.DeepEqual(again, pairs) {
		t.Errorf("round trip %v %q", err, again)
	}
	if _, err := normalize.ParseKV([]byte("no pairs here")); err == nil || !strings.Contains(err.Error(), "no key=value pairs") {
		t.Errorf("no pairs: %v", err)
	}
}

func TestNormalizeKV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want map[string]any
	}{
		{
			name: "FortiGate traffic over syslog",
			in:   `<189>date=2026-11-26 time=04:01:58 devname="FGT60F" devid="FGT60FTK000001" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.0.0.5 srcport=51234 srcintf="port1" dstip=8.8.8.8 dstport=53 dstintf="wan1" proto=17 action="deny" policyid=7 service="DNS" sentbyte=60 rcvdbyte=0 tz="+0100"`,
			want: map[string]any{
				"@timestamp": time.Date(2026, 11, 26, 3, 1, 58, 0, time.UTC), "source.ip": "10.0.0.5", "source.port": int64(51234),
				"destination.ip": "8.8.8.8", "destination.port": int64(53), "network.transport": "udp", "event.action": "deny",
				"event.outcome": "failure", "observer.name": "FGT60F", "rule.id": "7", "source.bytes": int64(60),
				"observer.ingress.interface.name": "port1", "event.category": []string{"network"}, "event.type": []string{"connection", "denied"},
			},
		},
		{
			name: "iptables UFW kernel line",
			in:   `<4>Nov 26 04:01:58 gw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=198.51.100.7 DST=10.0.0.2 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4321 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0`,
			want: map[string]any{
				"@timestamp": time.Date(2026, 11, 26, 4, 1, 58, 0, time.UTC), "source.ip": "198.51.100.7", "destination.ip": "10.0.0.2",
				"source.port": int64(40000), "destination.port": int64(22), "network.transport": "tcp", "event.outcome": "failure",
				"observer.ingress.interface.name": "eth0", "process.name": "kernel", "host.name": "gw",
			},
		},
		{
			name: "generic src dst without syslog",
			in:   `src=192.0.2.1 dst=192.0.2.2 dport=3389 action=allow user=bob`,
			want: map[string]any{
				"source.ip": "192.0.2.1", "destination.ip": "192.0.2.2", "destination.port": int64(3389),
				"event.outcome": "success", "user.name": "bob", "@timestamp": recv,
				"message": `src=192.0.2.1 dst=192.0.2.2 dport=3389 action=allow user=bob`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := normalize.Normalize([]byte(tc.in), normalize.FormatAuto, recv)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Format != normalize.FormatKV {
				t.Errorf("format %s", ev.Format)
			}
			wantFields(t, ev, tc.want)
		})
	}
}

func TestNormalizeFilterlog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want map[string]any
	}{
		{`<134>Nov 26 04:01:58 pfsense filterlog[4821]: 5,,,1000000103,em0,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,198.51.100.7,10.0.0.2,40000,22,0,S,1234567,,64240,,mss;sackOK;TS;nop;wscale`,
			map[string]any{"source.ip": "198.51.100.7", "destination.ip": "10.0.0.2", "source.port": int64(40000), "destination.port": int64(22),
				"network.transport": "tcp", "event.action": "block", "event.outcome": "failure", "rule.id": "1000000103", "network.direction": "ingress",
				"observer.ingress.interface.name": "em0", "network.type": "ipv4", "observer.hostname": "pfsense"}},
		{`<134>Nov 26 04:01:58 opnsense filterlog[4821]: 77,,,0f12,igb1,match,pass,out,6,0x00,0x00000,64,udp,17,78,2001:db8::5,2001:db8:1::53,5353,53,70`,
			map[string]any{"source.ip": "2001:db8::5", "destination.ip": "2001:db8:1::53", "destination.port": int64(53), "network.transport": "udp",
				"event.outcome": "success", "network.direction": "egress", "observer.egress.interface.name": "igb1", "network.type": "ipv6"}},
	} {
		ev, err := normalize.Normalize([]byte(tc.in), normalize.FormatAuto, recv)
		if err != nil || ev.Format != normalize.FormatFilterlog {
			t.Errorf("%s: %v %s", tc.in, err, ev.Format)
			continue
		}
		wantFields(t, ev, tc.want)
	}
	ev, _ := normalize.Normalize([]byte(`<134>Nov 26 04:01:58 pf filterlog[1]: not,csv`), normalize.FormatAuto, recv)
	if ev.Format != normalize.FormatRFC3164 || ev.String("message") != "not,csv" {
		t.Errorf("short filterlog line: %s %q", ev.Format, ev.String("message"))
	}
}

func TestNormalizeAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want map[string]any
	}{
		{`<86>Nov 26 04:01:58 web1 sshd[812]: Accepted publickey for alice from 10.0.0.5 port 51234 ssh2: RSA SHA256:abc`,
			map[string]any{"event.category": []string{"authentication"}, "event.outcome": "success", "user.name": "alice", "source.ip": "10.0.0.5", "source.port": int64(51234), "auth.method": "publickey", "host.name": "web1", "process.pid": int64(812)}},
		{`<86>Nov 26 04:01:58 web1 sshd[812]: Failed password for invalid user admin from 2001:db8::7 port 40022 ssh2`,
			map[string]any{"event.outcome": "failure", "user.name": "admin", "source.ip": "2001:db8::7", "source.port": int64(40022), "auth.method": "password"}},
		{`<86>Nov 26 04:01:58 web1 sshd[812]: Failed password for root from 10.0.0.9 port 22 ssh2`,
			map[string]any{"event.outcome": "failure", "user.name": "root", "source.ip": "10.0.0.9"}},
		{`<86>Nov 26 04:01:58 web1 sshd[812]: Invalid user oracle from 10.0.0.9 port 33000`,
			map[string]any{"event.outcome": "failure", "user.name": "oracle", "source.ip": "10.0.0.9", "source.port": int64(33000)}},
		{`<85>Nov 26 04:01:58 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt install nmap`,
			map[string]any{"event.category": []string{"process"}, "event.outcome": "success", "user.name": "alice", "user.effective.name": "root", "process.command_line": "/usr/bin/apt install nmap", "process.executable": "/usr/bin/apt"}},
		{`<85>Nov 26 04:01:58 web1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh`,
			map[string]any{"event.category": []string{"process", "authentication"}, "event.outcome": "failure", "user.name": "bob", "event.reason": "3 incorrect password attempts"}},
		{`<86>Nov 26 04:01:58 web1 sshd[812]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)`,
			map[string]any{"event.category": []string{"session"}, "event.type": []string{"start"}, "user.name": "alice", "service.name": "sshd"}},
		{`<86>Nov 26 04:01:58 web1 su[900]: pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)`,
			map[string]any{"user.name": "alice", "user.effective.name": "root", "event.outcome": "success"}},
		{`<86>Nov 26 04:01:58 web1 sshd[812]: pam_unix(sshd:session): session closed for user alice`,
			map[string]any{"event.type": []string{"end"}, "user.name": "alice"}},
		{`<86>Nov 26 04:01:58 web1 sshd[812]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.5  user=alice`,
			map[string]any{"event.category": []string{"authentication"}, "event.outcome": "failure", "user.name": "alice", "source.ip": "10.0.0.5"}},
		{`<86>Nov 26 04:01:58 web1 su[901]: FAILED SU (to root) alice on pts/0`,
			map[string]any{"event.outcome": "failure", "user.name": "alice", "user.effective.name": "root"}},
		{`Nov 26 04:01:58 web1 sshd[812]: Accepted password for carol from 10.0.0.6 port 2222 ssh2`,
			map[string]any{"event.outcome": "success", "user.name": "carol", "host.name": "web1", "log.syslog.priority": int64(13)}},
	}
	for _, tc := range tests {
		ev, err := normalize.Normalize([]byte(tc.in), normalize.FormatAuto, recv)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if ev.Format != normalize.FormatAuth {
			t.Errorf("%s: format %s", tc.in, ev.Format)
		}
		wantFields(t, ev, tc.want)
	}
	if _, ok := normalize.ParseAuth("sshd", "Server listening on 0.0.0.0 port 22."); ok {
		t.Error("a non-auth sshd line parsed as auth")
	}
}

func wantFields(t *testing.T, ev normalize.Event, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g := ev.Fields[k]
		if gt, ok := g.(time.Time); ok {
			if wt, ok := w.(time.Time); !ok || !gt.Equal(wt) {
				t.Errorf("%s = %v, want %v", k, g, w)
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
	if _, ok := ev.Fields["@timestamp"].(time.Time); !ok {
		t.Errorf("@timestamp is %T", ev.Fields["@timestamp"])
	}
}
