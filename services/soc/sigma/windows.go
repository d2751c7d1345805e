package sigma

import (
	"strings"
	"unicode/utf8"
)

// Windows event channels and the logsource service they carry, after
// SigmaHQ's logsource mapping (tests/thor.yml).
var windowsChannels = map[string]string{
	"security":                             "security",
	"system":                               "system",
	"application":                          "application",
	"microsoft-windows-sysmon/operational": "sysmon",
	"microsoft-windows-powershell/operational":                           "powershell",
	"windows powershell":                                                 "powershell-classic",
	"microsoft-windows-taskscheduler/operational":                        "taskscheduler",
	"microsoft-windows-wmi-activity/operational":                         "wmi",
	"microsoft-windows-windows defender/operational":                     "windefend",
	"microsoft-windows-dns-client/operational":                           "dns-client",
	"microsoft-windows-bits-client/operational":                          "bits-client",
	"microsoft-windows-codeintegrity/operational":                        "codeintegrity-operational",
	"microsoft-windows-appxdeploymentserver/operational":                 "appxdeployment-server",
	"microsoft-windows-appxdeployment-server/operational":                "appxdeployment-server",
	"microsoft-windows-windows firewall with advanced security/firewall": "firewall-as",
	"msexchange management":                                              "msexchange-management",
	"microsoft-windows-ntlm/operational":                                 "ntlm",
	"microsoft-windows-security-mitigations/kernel mode":                 "security-mitigations",
	"microsoft-windows-security-mitigations/user mode":                   "security-mitigations",
	"dns server": "dns-server",
	"microsoft-windows-applocker/exe and dll":                                  "applocker",
	"microsoft-windows-applocker/msi and script":                               "applocker",
	"microsoft-windows-applocker/packaged app-deployment":                      "applocker",
	"microsoft-windows-applocker/packaged app-execution":                       "applocker",
	"microsoft-windows-terminalservices-localsessionmanager/operational":       "terminalservices-localsessionmanager",
	"microsoft-windows-smbserver/connectivity":                                 "smbserver-connectivity",
	"microsoft-windows-smbclient/security":                                     "smbclient-security",
	"microsoft-windows-smbclient/connectivity":                                 "smbclient-connectivity",
	"microsoft-windows-shell-core/operational":                                 "shell-core",
	"microsoft-windows-printservice/admin":                                     "printservice-admin",
	"microsoft-windows-printservice/operational":                               "printservice-operational",
	"openssh/operational":                                                      "openssh",
	"microsoft-windows-iis-configuration/operational":                          "iis-configuration",
	"microsoft-windows-ldap-client/debug":                                      "ldap_debug",
	"microsoft-windows-driverframeworks-usermode/operational":                  "driver-framework",
	"microsoft-windows-diagnosis-scripted/operational":                         "diagnosis-scripted",
	"microsoft-windows-capi2/operational":                                      "capi2",
	"microsoft-windows-certificateservicesclient-lifecycle-system/operational": "certificateservicesclient-lifecycle-system",
	"microsoft-windows-servicebus-client":                                      "microsoft-servicebus-client",
	"microsoft-windows-kernel-shimengine/operational":                          "shimengine",
	"microsoft-windows-vhdmp/operational":                                      "vhdmp",
	"microsoft-windows-appmodel-runtime/admin":                                 "appmodel-runtime",
	"microsoft-windows-hyper-v-worker-admin":                                   "hyper-v-worker",
	"microsoft-windows-lsa/operational":                                        "lsa-server",
}

// Sysmon event ids and their categories.
var sysmonCategories = map[int][]string{
	1: {"process_creation"}, 2: {"file_change"}, 3: {"network_connection"}, 4: {"sysmon_status"},
	5: {"process_termination"}, 6: {"driver_load"}, 7: {"image_load"}, 8: {"create_remote_thread"},
	9: {"raw_access_thread"}, 10: {"process_access"}, 11: {"file_event"},
	12: {"registry_add", "registry_delete", "registry_event"}, 13: {"registry_set", "registry_event"},
	14: {"registry_rename", "registry_event"}, 15: {"create_stream_hash"}, 16: {"sysmon_status"},
	17: {"pipe_created"}, 18: {"pipe_created"}, 19: {"wmi_event"}, 20: {"wmi_event"}, 21: {"wmi_event"},
	22: {"dns_query"}, 23: {"file_delete"}, 24: {"clipboard_capture"}, 25: {"process_tampering"},
	26: {"file_delete_detected"}, 27: {"file_block_executable"}, 28: {"file_block_shredding"},
	29: {"file_executable_detected"}, 255: {"sysmon_error"},
}

// Categories carried by other channels: channel service -> event id -> category.
var serviceCategories = map[string]map[int][]string{
	"security":           {4688: {"process_creation"}, 4663: {"file_access"}, 5156: {"network_connection"}},
	"powershell":         {4103: {"ps_module"}, 4104: {"ps_script"}},
	"powershell-classic": {400: {"ps_classic_start"}, 600: {"ps_classic_provider_start"}, 800: {"ps_classic_script"}},
	"windefend":          {1006: {"antivirus"}, 1007: {"antivirus"}, 1008: {"antivirus"}, 1009: {"antivirus"}, 1010: {"antivirus"}, 1011: {"antivirus"}, 1012: {"antivirus"}, 1015: {"antivirus"}, 1116: {"antivirus"}, 1117: {"antivirus"}, 1118: {"antivirus"}, 1119: {"antivirus"}},
	"dns-client":         {3008: {"dns_query"}},
}

// WindowsLogSources gives the logsources of a flattened Windows event from
// its Channel and EventID: product windows, the channel's service, and the
// category of the event id (Sysmon ids, 4688 process creation, …). The
// slices it returns are shared between calls: callers must not modify them.
func WindowsLogSources(ev Event) []LogSource {
	ch, _ := ev["Channel"].(string)
	if ch == "" {
		return nil
	}
	svc := channelService(ch)
	ss := serviceSources[svc]
	if ss == nil {
		ss = unknownChannel
	}
	var id float64
	var ok bool
	switch x := ev["EventID"].(type) {
	case float64:
		id, ok = x, true
	case int:
		id, ok = float64(x), true
	default:
		id, ok = toNumber(toString(x))
	}
	if ok {
		if out, found := ss.byID[int(id)]; found {
			return out
		}
	}
	return ss.base
}

// sources are the logsource lists of one channel service, built once so
// that routing an event allocates nothing.
type sources struct {
	base []LogSource         // windows and the service
	byID map[int][]LogSource // with the category of each event id
}

var (
	unknownChannel = &sources{base: []LogSource{{Product: "windows"}}}
	serviceSources = func() map[string]*sources {
		out := map[string]*sources{}
		for _, svc := range windowsChannels {
			if out[svc] != nil {
				continue
			}
			base := LogSource{Product: "windows", Service: svc}
			ss := &sources{base: []LogSource{base}, byID: map[int][]LogSource{}}
			cats := serviceCategories[svc]
			if svc == "sysmon" {
				cats = sysmonCategories
			}
			for id, cs := range cats {
				l := []LogSource{base}
				for _, c := range cs {
					l = append(l, LogSource{Product: "windows", Category: c})
				}
				ss.byID[id] = l[:len(l):len(l)]
			}
			out[svc] = ss
		}
		return out
	}()
)

// channelService is windowsChannels[strings.ToLower(ch)], without
// allocating for ASCII channel names.
func channelService(ch string) string {
	var buf [64]byte
	if len(ch) > len(buf) {
		return windowsChannels[strings.ToLower(ch)]
	}
	for i := 0; i < len(ch); i++ {
		b := ch[i]
		if b >= utf8.RuneSelf {
			return windowsChannels[strings.ToLower(ch)]
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		buf[i] = b
	}
	return windowsChannels[string(buf[:len(ch)])]
}

// FlattenEVTX flattens an event in the EVTX-to-JSON layout
// ({"Event":{"System":…,"EventData":…}}) to the field names Sigma rules
// use: the members of EventData (and UserData) at the top level, plus
// EventID, Channel, Computer and Provider_Name from System.
func FlattenEVTX(raw map[string]any) Event {
	ev := Event{}
	e, _ := raw["Event"].(map[string]any)
	if e == nil {
		e = raw
	}
	for _, sec := range []string{"EventData", "UserData"} {
		switch d := e[sec].(type) {
		case map[string]any:
			flattenData(ev, d)
		}
	}
	if sys, ok := e["System"].(map[string]any); ok {
		for _, k := range []string{"EventID", "Channel", "Computer", "Level", "Task", "Opcode", "Keywords", "EventRecordID", "Version"} {
			if v, ok := sys[k]; ok {
				if m, ok := v.(map[string]any); ok { // {"#text": 4688, "#attributes": …}
					v = m["#text"]
				}
				ev[k] = v
			}
		}
		if p, ok := sys["Provider"].(map[string]any); ok {
			if a, ok := p["#attributes"].(map[string]any); ok {
				if n, ok := a["Name"]; ok {
					ev["Provider_Name"] = n
				}
				if n, ok := a["Guid"]; ok {
					ev["Provider_Guid"] = n
				}
			}
		}
		if t, ok := sys["TimeCreated"].(map[string]any); ok {
			if a, ok := t["#attributes"].(map[string]any); ok {
				ev["TimeCreated_SystemTime"] = a["SystemTime"]
			}
		}
		if x, ok := sys["Execution"].(map[string]any); ok {
			if a, ok := x["#attributes"].(map[string]any); ok {
				ev["Execution_ProcessID"] = a["ProcessID"]
				ev["Execution_ThreadID"] = a["ThreadID"]
			}
		}
		if s, ok := sys["Security"].(map[string]any); ok {
			if a, ok := s["#attributes"].(map[string]any); ok {
				ev["Security_UserID"] = a["UserID"]
			}
		}
	}
	return ev
}

func flattenData(ev Event, d map[string]any) {
	for k, v := range d {
		if k == "#attributes" {
			continue
		}
		if m, ok := v.(map[string]any); ok {
			// UserData wraps its members in one element named after the event.
			flattenData(ev, m)
			continue
		}
		ev[k] = v
		// Some providers name their data with spaces (Windows Defender:
		// "Threat Name", "Source Name"); Sigma rules write the names
		// without them (ThreatName). A member of that name wins.
		if strings.IndexByte(k, ' ') >= 0 {
			if alias := strings.ReplaceAll(k, " ", ""); alias != "" {
				if _, ok := d[alias]; !ok {
					ev[alias] = v
				}
			}
		}
	}
}

// WindowsFieldMappings are the default field mappings: Sigma rules written
// on Sysmon's field names read Windows Security events that log the same
// thing under other names. Each applies only to events of the Security
// channel (Event: windows/security) and falls back to the Sysmon name where
// the event lacks the Security one (see FieldMapping).
//
//   - process_creation from Security 4688: Image is NewProcessName,
//     ParentImage ParentProcessName, User SubjectUserName (the account that
//     started the process, without its domain), IntegrityLevel
//     MandatoryLabel (a SID such as S-1-16-12288: SigmaHQ rules list those
//     beside High and System), LogonId SubjectLogonId; CommandLine has the
//     same name. Not mapped, because 4688 does not carry them or carries
//     them in another form: OriginalFileName, Hashes, Company, Product,
//     Description, CurrentDirectory, ParentCommandLine, ParentUser,
//     ProcessId and ParentProcessId (hexadecimal in 4688). Rules that test
//     those do not match 4688 events unless the test is negative.
//   - file_access from Security 4663: TargetFilename and FileName are
//     ObjectName, Image ProcessName. (4663 also logs registry access, with
//     ObjectType Key; routing by event id cannot tell it from file access,
//     so registry rules are not routed to it.)
//   - network_connection from Security 5156 (the filtering platform allowed
//     a connection): Image is Application (a \device\harddiskvolumeN\ path,
//     so endswith tests work and startswith C:\ tests do not), SourceIp
//     SourceAddress, DestinationIp DestAddress, DestinationPort DestPort;
//     SourcePort has the same name. Protocol and Initiated are numbers and
//     %% codes in 5156 and are not mapped.
func WindowsFieldMappings() []FieldMapping {
	security := LogSource{Product: "windows", Service: "security"}
	return []FieldMapping{
		{LogSource: LogSource{Product: "windows", Category: "process_creation"}, Event: security, Fields: map[string]string{
			"Image":          "NewProcessName",
			"ParentImage":    "ParentProcessName",
			"User":           "SubjectUserName",
			"IntegrityLevel": "MandatoryLabel",
			"LogonId":        "SubjectLogonId",
		}},
		{LogSource: LogSource{Product: "windows", Category: "file_access"}, Event: security, Fields: map[string]string{
			"TargetFilename": "ObjectName",
			"FileName":       "ObjectName",
			"Image":          "ProcessName",
		}},
		{LogSource: LogSource{Product: "windows", Category: "network_connection"}, Event: security, Fields: map[string]string{
			"Image":           "Application",
			"SourceIp":        "SourceAddress",
			"DestinationIp":   "DestAddress",
			"DestinationPort": "DestPort",
		}},
	}
}
