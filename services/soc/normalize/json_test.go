package normalize_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/sigma"
)

// evtx builds an event in the EVTX-to-JSON layout, as in SigmaHQ's
// regression data.
func evtx(channel, provider string, eid int, data string) string {
	return `{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"` + provider + `","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},"EventID":` + itoa(eid) + `,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8020000000000000","TimeCreated":{"#attributes":{"SystemTime":"2026-04-20T10:00:35.646624Z"}},"EventRecordID":86918,"Correlation":null,"Execution":{"#attributes":{"ProcessID":3208,"ThreadID":1724}},"Channel":"` + channel + `","Computer":"WS01.corp.example","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":` + data + `}}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

const sysmonChannel = "Microsoft-Windows-Sysmon/Operational"

func TestNormalizeWindows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		format normalize.Format
		want   map[string]any
		native map[string]any
	}{
		{
			name:   "sysmon 1 process creation",
			format: normalize.FormatEVTX,
			in:     evtx(sysmonChannel, "Microsoft-Windows-Sysmon", 1, `{"RuleName":"-","UtcTime":"2026-04-20 10:00:35.640","ProcessGuid":"{0197231E-F943-69E5-A527-000000000800}","ProcessId":6180,"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami","CurrentDirectory":"C:\\Users\\x\\","User":"CORP\\xodih","Hashes":"MD5=FF9D1ED3795B9AD94F2390D5E5DA5905,SHA256=A80CB394D251F781DBD5FFB889D38FDD2095ADE63110578CA62F62CF795B7538,IMPHASH=3D4392A18BB23C56D311A2D64B6E5BA0","ParentProcessId":6428,"ParentImage":"C:\\Windows\\explorer.exe","ParentCommandLine":"C:\\Windows\\Explorer.EXE"}`),
			want: map[string]any{
				"@timestamp": time.Date(2026, 4, 20, 10, 0, 35, 640000000, time.UTC), "event.code": "1", "event.provider": "Microsoft-Windows-Sysmon",
				"winlog.channel": sysmonChannel, "host.name": "WS01.corp.example", "event.category": []string{"process"}, "event.type": []string{"start"},
				"process.executable": `C:\Windows\System32\cmd.exe`, "process.name": "cmd.exe", "process.command_line": "cmd.exe /c whoami",
				"process.pid": int64(6180), "process.parent.executable": `C:\Windows\explorer.exe`, "process.parent.command_line": `C:\Windows\Explorer.EXE`,
				"process.parent.pid": int64(6428), "user.name": "xodih", "user.domain": "CORP",
				"process.hash.sha256": "a80cb394d251f781dbd5ffb889d38fdd2095ade63110578ca62f62cf795b7538", "process.hash.md5": "ff9d1ed3795b9ad94f2390d5e5da5905",
			},
			native: map[string]any{"Image": `C:\Windows\System32\cmd.exe`, "EventID": float64(1), "Channel": sysmonChannel, "Provider_Name": "Microsoft-Windows-Sysmon", "Computer": "WS01.corp.example"},
		},
		{
			name:   "security 4688 process creation",
			format: normalize.FormatEVTX,
			in:     evtx("Security", "Microsoft-Windows-Security-Auditing", 4688, `{"SubjectUserSid":"S-1-5-21-1","SubjectUserName":"alice","SubjectDomainName":"CORP","SubjectLogonId":"0x3e7","NewProcessId":"0x1a2c","NewProcessName":"C:\\Windows\\System32\\whoami.exe","TokenElevationType":"%%1936","ProcessId":"0x4d0","CommandLine":"whoami /all","TargetUserSid":"S-1-0-0","TargetUserName":"-","TargetDomainName":"-","ParentProcessName":"C:\\Windows\\System32\\cmd.exe"}`),
			want: map[string]any{
				"event.code": "4688", "event.category": []string{"process"}, "process.executable": `C:\Windows\System32\whoami.exe`,
				"process.command_line": "whoami /all", "process.pid": int64(0x1a2c), "process.parent.executable": `C:\Windows\System32\cmd.exe`,
				"process.parent.pid": int64(0x4d0), "user.name": "alice", "user.domain": "CORP", "event.outcome": "success", "user.effective.name": nil,
			},
			native: map[string]any{"NewProcessName": `C:\Windows\System32\whoami.exe`, "EventID": float64(4688), "Channel": "Security"},
		},
		{
			name:   "security 4625 failed logon",
			format: normalize.FormatEVTX,
			in:     evtx("Security", "Microsoft-Windows-Security-Auditing", 4625, `{"TargetUserName":"administrator","TargetDomainName":"CORP","Status":"0xc000006d","SubStatus":"0xc000006a","LogonType":"3","WorkstationName":"KALI","IpAddress":"203.0.113.50","IpPort":"49152","FailureReason":"%%2313"}`),
			want: map[string]any{
				"event.category": []string{"authentication"}, "event.outcome": "failure", "user.name": "administrator", "source.ip": "203.0.113.50",
				"source.port": int64(49152), "winlog.logon.type": "Network", "source.domain": "KALI", "event.action": "logon-failed",
			},
		},
		{
			name:   "sysmon 3 network connection",
			format: normalize.FormatEVTX,
			in:     evtx(sysmonChannel, "Microsoft-Windows-Sysmon", 3, `{"Image":"C:\\Windows\\System32\\rundll32.exe","User":"CORP\\bob","Protocol":"tcp","Initiated":"true","SourceIp":"10.0.0.12","SourcePort":"50123","DestinationIp":"198.51.100.23","DestinationHostname":"c2.example","DestinationPort":"443"}`),
			want: map[string]any{
				"event.category": []string{"network"}, "source.ip": "10.0.0.12", "source.port": int64(50123), "destination.ip": "198.51.100.23",
				"destination.port": int64(443), "destination.domain": "c2.example", "network.transport": "tcp", "network.direction": "egress", "process.name": "rundll32.exe",
			},
		},
		{
			name:   "sysmon 22 dns",
			format: normalize.FormatEVTX,
			in:     evtx(sysmonChannel, "Microsoft-Windows-Sysmon", 22, `{"Image":"C:\\x\\evil.exe","QueryName":"bad.example.org","QueryStatus":"0","QueryResults":"type:  5 cdn.example;::ffff:192.0.2.80;192.0.2.81;"}`),
			want:   map[string]any{"dns.question.name": "bad.example.org", "dns.resolved_ip": []string{"192.0.2.80", "192.0.2.81"}, "event.category": []string{"network"}},
		},
		{
			name:   "sysmon 11 file create",
			format: normalize.FormatEVTX,
			in:     evtx(sysmonChannel, "Microsoft-Windows-Sysmon", 11, `{"Image":"C:\\x\\a.exe","TargetFilename":"C:\\Users\\x\\AppData\\Local\\Temp\\b.ps1"}`),
			want:   map[string]any{"file.path": `C:\Users\x\AppData\Local\Temp\b.ps1`, "file.name": "b.ps1", "event.category": []string{"file"}, "event.type": []string{"creation"}},
		},
		{
			name:   "winlogbeat 4624",
			format: normalize.FormatWinlogbeat,
			in:     `{"@timestamp":"2026-11-26T04:00:00.123Z","event":{"code":"4624","kind":"event"},"host":{"name":"dc01"},"winlog":{"channel":"Security","event_id":"4624","provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"dc01.corp.example","record_id":777,"event_data":{"TargetUserName":"svc_backup","TargetDomainName":"CORP","LogonType":"10","IpAddress":"::ffff:10.0.0.8","IpPort":"0"}}}`,
			want: map[string]any{
				"@timestamp": time.Date(2026, 11, 26, 4, 0, 0, 123000000, time.UTC), "event.category": []string{"authentication"}, "event.outcome": "success",
				"user.name": "svc_backup", "source.ip": "10.0.0.8", "source.port": nil, "winlog.logon.type": "RemoteInteractive", "host.name": "dc01",
				"winlog.record_id": int64(777), "winlog.event_data.TargetUserName": nil,
			},
			native: map[string]any{"TargetUserName": "svc_backup", "EventID": "4624", "Channel": "Security", "Computer": "dc01.corp.example", "Provider_Name": "Microsoft-Windows-Security-Auditing"},
		},
		{
			name:   "generic nested JSON with aliases",
			format: normalize.FormatJSON,
			in:     `{"timestamp":1764129600,"src_ip":"192.0.2.10","dst_port":"8443","user":{"name":"dave"},"event":{"category":"network","action":"conn"},"tags":["a","b"],"msg":"hello"}`,
			want: map[string]any{
				"@timestamp": time.Unix(1764129600, 0).UTC(), "source.ip": "192.0.2.10", "destination.port": int64(8443), "user.name": "dave",
				"event.category": []string{"network"}, "event.action": "conn", "message": "hello", "src_ip": "192.0.2.10", "tags": []any{"a", "b"},
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
			if ev.Format != tc.format {
				t.Errorf("format %s, want %s", ev.Format, tc.format)
			}
			wantFields(t, ev, tc.want)
			for k, w := range tc.native {
				if g := ev.Native[k]; !reflect.DeepEqual(g, w) {
					t.Errorf("Native[%s] = %#v, want %#v", k, g, w)
				}
			}
			if ev.Fields["event.original"] != tc.in {
				t.Error("event.original is not the input")
			}
		})
	}
}

func TestParseJSONErrors(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"a":`, normalize.MaxDepth+1) + "1" + strings.Repeat("}", normalize.MaxDepth+1)
	if _, err := normalize.ParseJSON([]byte(deep), recv); !errors.Is(err, normalize.ErrTooLarge) || !strings.Contains(err.Error(), "nested more than 32 levels") {
		t.Errorf("deep JSON: %v", err)
	}
	var many bytes.Buffer
	many.WriteString("{")
	for i := 0; i <= normalize.MaxFields; i++ {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`"k` + itoa(i) + `":1`)
	}
	many.WriteString("}")
	if _, err := normalize.ParseJSON(many.Bytes(), recv); !errors.Is(err, normalize.ErrTooLarge) {
		t.Errorf("wide JSON: %v", err)
	}
	if _, err := normalize.ParseJSON([]byte("{"+strings.Repeat(`"a":1,`, 4*normalize.MaxFields)+`"b":2}`), recv); !errors.Is(err, normalize.ErrTooLarge) || !strings.Contains(err.Error(), "more than 2048 object members") {
		t.Errorf("repeated keys: %v", err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"a":1,}`, "json: at byte 8: invalid character '}'"},
		{`[1,2]`, "must be a JSON object, not array"},
		{`null`, "not null"},
	} {
		if _, err := normalize.ParseJSON([]byte(c.in), recv); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseJSON(%s) = %v, want %q", c.in, err, c.want)
		}
	}
}

// The native map of a Windows event must be what the Sigma engine
// evaluates: the same as sigma.FlattenEVTX, for every regression event of
// the SigmaHQ library when it is present.
func TestNativeMatchesSigmaFlatten(t *testing.T) {
	t.Parallel()
	samples := []string{evtx(sysmonChannel, "Microsoft-Windows-Sysmon", 1, `{"Image":"a","CommandLine":"b"}`),
		`{"Event":{"System":{"EventID":{"#text":4104,"#attributes":{"Qualifiers":""}},"Channel":"Microsoft-Windows-PowerShell/Operational"},"UserData":{"Wrap":{"ScriptBlockText":"iex"}}}}`}
	root := filepath.Join("..", "..", "..", "..", "shared", "sigma", "regression_data")
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".json") && len(samples) < 400 {
			b, _ := os.ReadFile(p)
			dec := json.NewDecoder(bytes.NewReader(b))
			for {
				var raw json.RawMessage
				if dec.Decode(&raw) != nil {
					break
				}
				samples = append(samples, string(raw))
			}
		}
		return nil
	})
	if len(samples) < 10 {
		t.Logf("SigmaHQ regression data not found at %s; checking the built-in samples only", root)
	}
	for _, s := range samples {
		ev, err := normalize.Normalize([]byte(s), normalize.FormatAuto, recv)
		if err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(s), &obj); err != nil {
			t.Fatal(err)
		}
		if want := sigma.FlattenEVTX(obj); !reflect.DeepEqual(map[string]any(want), ev.Native) {
			t.Fatalf("Native differs from sigma.FlattenEVTX:\n got %v\nwant %v", ev.Native, want)
		}
		if ev.Format != normalize.FormatEVTX || ev.String("event.code") == "" {
			t.Errorf("format %s code %q", ev.Format, ev.String("event.code"))
		}
	}
	t.Logf("%d Windows events compared", len(samples))
}

// Event data named with spaces (Windows Defender's "Threat Name") is also
// given the name Sigma rules use (ThreatName), in EVTX and Winlogbeat
// documents alike.
func TestWindowsNamesWithSpaces(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 4, 20, 10, 0, 0, 0, time.UTC)
	for name, raw := range map[string]string{
		"evtx": evtx("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", 1116,
			`{"Threat Name":"HackTool:Win32/Mimikatz","Source Name":"AMSI","SourceName":"kept"}`),
		"winlogbeat": `{"@timestamp":"2026-04-20T10:00:35Z","winlog":{"channel":"Microsoft-Windows-Windows Defender/Operational","event_id":"1116","event_data":{"Threat Name":"HackTool:Win32/Mimikatz","Source Name":"AMSI","SourceName":"kept"}}}`,
	} {
		ev, err := normalize.ParseJSON([]byte(raw), now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ev.Native["ThreatName"] != "HackTool:Win32/Mimikatz" || ev.Native["Threat Name"] != "HackTool:Win32/Mimikatz" || ev.Native["SourceName"] != "kept" {
			t.Fatalf("%s: native %v", name, ev.Native)
		}
	}
}
