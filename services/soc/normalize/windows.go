package normalize

import (
	"strings"
)

// nstr returns a native field as text ("" for absent, null and "-").
func nstr(n map[string]any, k string) string {
	s := toText(n[k])
	if s == "-" {
		return ""
	}
	return s
}

// setUser stores "DOMAIN\name" (or a bare name) as <prefix>.name and
// <prefix>.domain.
func setUser(ev Event, prefix, v string) {
	if d, u, ok := strings.Cut(v, `\`); ok {
		ev.set(prefix+".domain", d)
		ev.set(prefix+".name", u)
		return
	}
	ev.set(prefix+".name", v)
}

// setProcess stores an executable path as <prefix>.executable and .name.
func setProcess(ev Event, prefix, exe string) {
	if exe == "" || exe == "-" {
		return
	}
	ev.Fields[prefix+".executable"] = exe
	ev.Fields[prefix+".name"] = baseName(exe)
}

// setHashes reads Sysmon's "MD5=…,SHA256=…,IMPHASH=…" list.
func setHashes(ev Event, prefix, v string) {
	for _, h := range strings.Split(v, ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(h), "=")
		if !ok {
			if len(v) > 0 && !strings.Contains(v, "=") { // a bare hash
				setHash(ev, prefix+".hash.", v)
			}
			continue
		}
		switch strings.ToUpper(alg) {
		case "MD5", "SHA1", "SHA256", "SHA512":
			setHash(ev, prefix+".hash.", val)
		case "IMPHASH":
			ev.set(prefix+".pe.imphash", strings.ToLower(val))
		}
	}
}

// mapWindows fills the ECS fields of a Windows event from its native
// (Sigma) field map: the header fields of every event, then the fields of
// the common Sysmon and Security event ids.
func mapWindows(ev Event, n map[string]any) {
	eid, _ := parseInt(nstr(n, "EventID"))
	channel := nstr(n, "Channel")
	provider := nstr(n, "Provider_Name")
	ev.set("event.code", nstr(n, "EventID"))
	ev.set("event.provider", provider)
	ev.set("winlog.channel", channel)
	ev.set(FieldHostName, nstr(n, "Computer"))
	ev.set("host.hostname", nstr(n, "Computer"))
	ev.setInt("winlog.record_id", nstr(n, "EventRecordID"))
	ev.Fields["event.kind"] = "event"
	if t, ok := deviceTime(nstr(n, "TimeCreated_SystemTime")); ok {
		ev.Fields[FieldTimestamp] = t
	}
	ch := strings.ToLower(channel)
	switch {
	case ch == "microsoft-windows-sysmon/operational" || provider == "Microsoft-Windows-Sysmon":
		ev.Fields["event.module"] = "sysmon"
		mapSysmon(ev, n, eid)
	case ch == "security":
		ev.Fields["event.module"] = "security"
		// The audit keywords say whether the audited action succeeded.
		switch strings.ToLower(nstr(n, "Keywords")) {
		case "0x8020000000000000":
			ev.Fields[FieldOutcome] = "success"
		case "0x8010000000000000":
			ev.Fields[FieldOutcome] = "failure"
		}
		mapSecurity(ev, n, eid)
	default:
		mapOtherWindows(ev, n, eid, ch)
	}
}

func mapSysmon(ev Event, n map[string]any, eid int64) {
	setProcess(ev, "process", nstr(n, "Image"))
	ev.setInt("process.pid", nstr(n, "ProcessId"))
	ev.set("process.entity_id", nstr(n, "ProcessGuid"))
	setUser(ev, "user", nstr(n, "User"))
	if t, ok := deviceTime(nstr(n, "UtcTime")); ok {
		ev.Fields[FieldTimestamp] = t
	}
	switch eid {
	case 1:
		ev.addCategory("process")
		ev.addType("start")
		ev.Fields[FieldAction] = "process_creation"
		ev.set("process.command_line", nstr(n, "CommandLine"))
		ev.set("process.working_directory", nstr(n, "CurrentDirectory"))
		ev.set("process.pe.original_file_name", nstr(n, "OriginalFileName"))
		setProcess(ev, "process.parent", nstr(n, "ParentImage"))
		ev.set("process.parent.command_line", nstr(n, "ParentCommandLine"))
		ev.setInt("process.parent.pid", nstr(n, "ParentProcessId"))
		ev.set("process.parent.entity_id", nstr(n, "ParentProcessGuid"))
		setHashes(ev, "process", nstr(n, "Hashes"))
	case 3:
		ev.addCategory("network")
		ev.addType("connection", "start")
		ev.Fields[FieldAction] = "network_connection"
		ev.setIP(FieldSourceIP, nstr(n, "SourceIp"))
		ev.setPort(FieldSourcePort, nstr(n, "SourcePort"))
		ev.set("source.domain", nstr(n, "SourceHostname"))
		ev.setIP(FieldDestIP, nstr(n, "DestinationIp"))
		ev.setPort(FieldDestPort, nstr(n, "DestinationPort"))
		ev.set("destination.domain", nstr(n, "DestinationHostname"))
		ev.set("network.transport", transportName(nstr(n, "Protocol")))
		switch strings.ToLower(nstr(n, "Initiated")) {
		case "true":
			ev.Fields["network.direction"] = "egress"
		case "false":
			ev.Fields["network.direction"] = "ingress"
		}
	case 5:
		ev.addCategory("process")
		ev.addType("end")
		ev.Fields[FieldAction] = "process_terminated"
	case 6, 7:
		ev.addCategory("driver")
		if eid == 7 {
			ev.Fields[FieldCategory] = []string{"library"}
		}
		ev.addType("start")
		ev.Fields[FieldAction] = map[int64]string{6: "driver_loaded", 7: "image_loaded"}[eid]
		ev.set("file.path", nstr(n, "ImageLoaded"))
		setHashes(ev, "file", nstr(n, "Hashes"))
	case 8, 10:
		ev.addCategory("process")
		ev.addType("access")
		ev.Fields[FieldAction] = map[int64]string{8: "create_remote_thread", 10: "process_access"}[eid]
		setProcess(ev, "process", nstr(n, "SourceImage"))
		ev.setInt("process.pid", nstr(n, "SourceProcessId"))
		ev.set("process.target.executable", nstr(n, "TargetImage"))
	case 11, 15, 23, 26, 27, 28, 29:
		ev.addCategory("file")
		switch eid {
		case 23, 26:
			ev.addType("deletion")
		case 11, 29:
			ev.addType("creation")
		default:
			ev.addType("info")
		}
		ev.Fields[FieldAction] = map[int64]string{11: "file_created", 15: "file_stream_created", 23: "file_deleted", 26: "file_deleted", 27: "file_block_executable", 28: "file_block_shredding", 29: "file_executable_detected"}[eid]
		ev.set("file.path", nstr(n, "TargetFilename"))
		if p := nstr(n, "TargetFilename"); p != "" {
			ev.Fields["file.name"] = baseName(p)
		}
		setHashes(ev, "file", nstr(n, "Hashes"))
		setHashes(ev, "file", nstr(n, "Hash"))
	case 12, 13, 14:
		ev.addCategory("registry")
		ev.addType("change")
		ev.set(FieldAction, nstr(n, "EventType"))
		ev.set("registry.path", nstr(n, "TargetObject"))
		ev.set("registry.data.strings", nstr(n, "Details"))
	case 17, 18:
		ev.addCategory("file")
		ev.addType("creation")
		ev.Fields[FieldAction] = map[int64]string{17: "pipe_created", 18: "pipe_connected"}[eid]
		ev.set("file.name", nstr(n, "PipeName"))
	case 22:
		ev.addCategory("network")
		ev.addType("protocol", "info")
		ev.Fields[FieldAction] = "dns_query"
		ev.Fields["network.protocol"] = "dns"
		ev.set("dns.question.name", nstr(n, "QueryName"))
		var ips []string
		for _, r := range strings.Split(nstr(n, "QueryResults"), ";") {
			if ip, ok := parseIP(strings.TrimSpace(r)); ok {
				ips = append(ips, ip)
			}
		}
		if len(ips) > 0 {
			ev.Fields["dns.resolved_ip"] = ips
		}
	case 25:
		ev.addCategory("process")
		ev.addType("change")
		ev.Fields[FieldAction] = "process_tampering"
	}
}

// logonTypes names the LogonType numbers of 4624 and 4625.
var logonTypes = map[string]string{"2": "Interactive", "3": "Network", "4": "Batch", "5": "Service", "7": "Unlock", "8": "NetworkCleartext", "9": "NewCredentials", "10": "RemoteInteractive", "11": "CachedInteractive"}

func mapSecurity(ev Event, n map[string]any, eid int64) {
	subject := func() {
		ev.set(FieldUserName, nstr(n, "SubjectUserName"))
		ev.set("user.domain", nstr(n, "SubjectDomainName"))
		ev.set("user.id", nstr(n, "SubjectUserSid"))
	}
	target := func(prefix string) {
		ev.set(prefix+".name", nstr(n, "TargetUserName"))
		ev.set(prefix+".domain", nstr(n, "TargetDomainName"))
		ev.set(prefix+".id", nstr(n, "TargetUserSid"))
	}
	source := func() {
		ev.setIP(FieldSourceIP, nstr(n, "IpAddress"))
		ev.setPort(FieldSourcePort, nstr(n, "IpPort"))
		ev.set("source.domain", nstr(n, "WorkstationName"))
	}
	switch eid {
	case 4688:
		// The subject created the process; a TargetUserName, when set,
		// is the account the new process runs as (Winlogbeat's mapping).
		ev.addCategory("process")
		ev.addType("start")
		ev.Fields[FieldAction] = "process_creation"
		subject()
		target("user.effective")
		setProcess(ev, "process", nstr(n, "NewProcessName"))
		ev.set("process.command_line", nstr(n, "CommandLine"))
		ev.setInt("process.pid", nstr(n, "NewProcessId"))
		setProcess(ev, "process.parent", nstr(n, "ParentProcessName"))
		ev.setInt("process.parent.pid", nstr(n, "ProcessId"))
	case 4689:
		ev.addCategory("process")
		ev.addType("end")
		ev.Fields[FieldAction] = "process_terminated"
		subject()
		setProcess(ev, "process", nstr(n, "ProcessName"))
		ev.setInt("process.pid", nstr(n, "ProcessId"))
	case 4624, 4625, 4648:
		ev.addCategory("authentication")
		ev.addType("start")
		ev.Fields[FieldAction] = map[int64]string{4624: "logged-in", 4625: "logon-failed", 4648: "logged-in-explicit"}[eid]
		ev.Fields[FieldOutcome] = map[int64]string{4624: "success", 4625: "failure", 4648: "success"}[eid]
		if eid == 4648 {
			subject()
			target("user.target")
		} else {
			target("user")
		}
		source()
		if lt := nstr(n, "LogonType"); lt != "" {
			ev.Fields["winlog.logon.type"] = logonTypes[lt]
			if logonTypes[lt] == "" {
				ev.Fields["winlog.logon.type"] = lt
			}
		}
		setProcess(ev, "process", nstr(n, "ProcessName"))
		ev.set("event.reason", nstr(n, "FailureReason"))
	case 4634, 4647:
		ev.addCategory("authentication")
		ev.addType("end")
		ev.Fields[FieldAction] = "logged-out"
		target("user")
	case 4672:
		ev.addCategory("iam")
		ev.addType("admin")
		ev.Fields[FieldAction] = "logged-in-special"
		subject()
	case 4720, 4722, 4723, 4724, 4725, 4726, 4738, 4740:
		ev.addCategory("iam")
		ev.addType("user", map[int64]string{4720: "creation", 4726: "deletion"}[eid])
		if eid != 4720 && eid != 4726 {
			ev.addType("change")
		}
		ev.Fields[FieldAction] = map[int64]string{4720: "added-user-account", 4722: "enabled-user-account", 4723: "changed-password", 4724: "reset-password", 4725: "disabled-user-account", 4726: "deleted-user-account", 4738: "modified-user-account", 4740: "locked-out-user-account"}[eid]
		subject()
		target("user.target")
		fixEmptyType(ev)
	case 4728, 4732, 4756, 4729, 4733, 4757:
		ev.addCategory("iam")
		ev.addType("group", "change")
		added := eid == 4728 || eid == 4732 || eid == 4756
		ev.Fields[FieldAction] = map[bool]string{true: "added-member-to-group", false: "removed-member-from-group"}[added]
		subject()
		ev.set("group.name", nstr(n, "TargetUserName"))
		ev.set("group.domain", nstr(n, "TargetDomainName"))
		setUser(ev, "user.target", nstr(n, "MemberName"))
	case 4768, 4769, 4771, 4776:
		ev.addCategory("authentication")
		ev.addType("start")
		ev.Fields[FieldAction] = map[int64]string{4768: "kerberos-authentication-ticket-requested", 4769: "kerberos-service-ticket-requested", 4771: "kerberos-preauth-failed", 4776: "credential-validated"}[eid]
		if eid == 4776 {
			ev.set(FieldUserName, nstr(n, "TargetUserName"))
			ev.set("source.domain", nstr(n, "Workstation"))
		} else {
			target("user")
			source()
		}
		switch st := strings.ToLower(nstr(n, "Status")); {
		case st == "0x0" || st == "0":
			ev.Fields[FieldOutcome] = "success"
		case st != "":
			ev.Fields[FieldOutcome] = "failure"
		}
		if eid == 4771 {
			ev.Fields[FieldOutcome] = "failure"
		}
	case 4697:
		ev.addCategory("iam", "configuration")
		ev.addType("creation")
		ev.Fields[FieldAction] = "service-installed"
		subject()
		ev.set("service.name", nstr(n, "ServiceName"))
		ev.set("file.path", nstr(n, "ServiceFileName"))
	case 1102:
		ev.addCategory("iam")
		ev.addType("admin", "change")
		ev.Fields[FieldAction] = "audit-log-cleared"
		ev.set(FieldUserName, nstr(n, "SubjectUserName"))
	case 5156, 5157:
		ev.addCategory("network")
		ev.addType("connection", map[int64]string{5156: "allowed", 5157: "denied"}[eid])
		ev.Fields[FieldOutcome] = map[int64]string{5156: "success", 5157: "failure"}[eid]
		ev.setIP(FieldSourceIP, nstr(n, "SourceAddress"))
		ev.setPort(FieldSourcePort, nstr(n, "SourcePort"))
		ev.setIP(FieldDestIP, nstr(n, "DestAddress"))
		ev.setPort(FieldDestPort, nstr(n, "DestPort"))
		ev.set("network.transport", transportName(nstr(n, "Protocol")))
		setProcess(ev, "process", nstr(n, "Application"))
		ev.setInt("process.pid", nstr(n, "ProcessID"))
	}
}

func fixEmptyType(ev Event) {
	l, _ := ev.Fields["event.type"].([]string)
	out := l[:0]
	for _, t := range l {
		if t != "" {
			out = append(out, t)
		}
	}
	ev.Fields["event.type"] = out
}

func mapOtherWindows(ev Event, n map[string]any, eid int64, ch string) {
	switch {
	case (ch == "microsoft-windows-powershell/operational" && (eid == 4104 || eid == 4103)) || (ch == "windows powershell" && (eid == 400 || eid == 800)):
		ev.Fields["event.module"] = "powershell"
		ev.addCategory("process")
		ev.addType("info")
		ev.set("powershell.file.script_block_text", nstr(n, "ScriptBlockText"))
		ev.set("powershell.file.script_block_id", nstr(n, "ScriptBlockId"))
		ev.set("file.path", nstr(n, "Path"))
	case ch == "system" && eid == 7045:
		ev.Fields["event.module"] = "system"
		ev.addCategory("configuration")
		ev.addType("creation")
		ev.Fields[FieldAction] = "service-installed"
		ev.set("service.name", nstr(n, "ServiceName"))
		ev.set("service.type", nstr(n, "ServiceType"))
		ev.set("file.path", nstr(n, "ImagePath"))
		ev.set(FieldUserName, nstr(n, "AccountName"))
	case ch == "system" && eid == 104:
		ev.addCategory("iam")
		ev.addType("admin", "change")
		ev.Fields[FieldAction] = "audit-log-cleared"
	}
}
