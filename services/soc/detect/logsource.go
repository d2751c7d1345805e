package detect

import (
	"regexp"
	"slices"
	"strings"

	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/sigma"
)

// Route is the one logsource routing of the platform: ingest (HTTP and
// syslog), the rule tester (TestRule) and "opsward sigma match" all call
// it, so that a rule matches the same events everywhere. It returns the
// event as Sigma rules read it (see SigmaEvent) and the Sigma logsources
// (product, category, service) the event belongs to (see LogSources). An
// event of no known logsource gets none and meets only the rules that name
// no logsource.
func Route(ev normalize.Event) (sigma.Event, []sigma.LogSource) {
	sources := LogSources(ev)
	return SigmaEvent(ev, sources), sources
}

// windowsFields returns the Windows field map of a Windows event: the
// native map of an EVTX or Winlogbeat document, or the fields of a flat
// JSON event that carries EventID and Channel (the flattened layout rule
// authors write tests in).
func windowsFields(ev normalize.Event) (map[string]any, bool) {
	if _, ok := ev.Native["EventID"]; ok {
		return ev.Native, true
	}
	_, id := ev.Fields["EventID"]
	ch, _ := ev.Fields["Channel"].(string)
	return ev.Fields, id && ch != ""
}

// field returns a field of ev as text: the ECS (or, for generic JSON, the
// sent) name first, then the source's own name.
func field(ev normalize.Event, names ...string) string {
	for _, n := range names {
		if s := ev.String(n); s != "" {
			return s
		}
		if v, ok := ev.Native[n]; ok && v != nil {
			if s := (normalize.Event{Fields: map[string]any{n: v}}).String(n); s != "" {
				return s
			}
		}
	}
	return ""
}

func has(ev normalize.Event, names ...string) bool { return field(ev, names...) != "" }

// list returns a list field (event.category, event.type) in lower case.
func list(ev normalize.Event, name string) []string {
	var out []string
	switch x := ev.Fields[name].(type) {
	case []string:
		out = slices.Clone(x)
	case string:
		out = []string{x}
	}
	for i := range out {
		out[i] = strings.ToLower(out[i])
	}
	return out
}

// dataset is event.dataset (filebeat and Elastic Agent: "zeek.conn",
// "aws.cloudtrail", "system.auth", …), else event.module.
func dataset(ev normalize.Event) (module, set string) {
	set = strings.ToLower(field(ev, "event.dataset"))
	module = strings.ToLower(field(ev, "event.module"))
	if module == "" {
		module, _, _ = strings.Cut(set, ".")
	}
	return module, set
}

// LogSources says which Sigma logsources a normalised event belongs to.
// The mapping is documented in the README ("Sigma log sources"); in
// short, in this order:
//
//   - Windows events (EVTX layout, Winlogbeat): product windows, the
//     service of their channel and the category of their event id
//     (sigma.WindowsLogSources).
//   - Cloud audit records: aws/cloudtrail, azure (activitylogs,
//     auditlogs, signinlogs, riskdetection), gcp/gcp.audit, m365
//     (audit, exchange, threat_management, threat_detection), okta/okta,
//     raw or as shipped by filebeat; Google Workspace
//     (gcp/google_workspace.<application>) and Kubernetes audit events
//     (kubernetes/application/audit).
//   - Products with rules of their own: OpenCanary, FortiGate event logs,
//     GitHub's audit log, Cisco syslog (cisco/aaa for command accounting
//     and logins).
//   - Zeek logs: product zeek, the log's service (conn, dns, http, rdp, …).
//   - Host events (ECS from Elastic Agent, auditbeat, osquery, Sysmon for
//     Linux): the host's product (windows, linux, macos) and the category of
//     the event (process_creation, network_connection, dns_query,
//     file_event, registry_*, image_load, driver_load); auditd records
//     linux/auditd.
//   - Linux logs: linux/auth for authentication (auth.log and ECS
//     authentication events that are not of Windows or macOS), linux/syslog
//     for other syslog, and linux/<program> (sshd, sudo, cron, vsftpd, …).
//   - Network devices: webserver, proxy, firewall and dns.
func LogSources(ev normalize.Event) []sigma.LogSource {
	if w, ok := windowsFields(ev); ok {
		return sigma.WindowsLogSources(w)
	}
	if out := cloudSources(ev); out != nil {
		return out
	}
	if out := zeekSources(ev); out != nil {
		return out
	}
	if out := deviceSources(ev); out != nil {
		return out
	}
	var out []sigma.LogSource
	add := func(ls ...sigma.LogSource) {
		for _, l := range ls {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	module, set := dataset(ev)
	product := hostProduct(ev)
	cats := list(ev, normalize.FieldCategory)
	types := list(ev, "event.type")
	program := programService(field(ev, "process.name", "log.syslog.appname"))

	// auditd: auditbeat's auditd module, or raw audit records (type=…
	// msg=audit(…)), which the key=value parser reads.
	if module == "auditd" || strings.HasPrefix(field(ev, "msg"), "audit(") && has(ev, "type") {
		add(sigma.LogSource{Product: "linux", Service: "auditd"})
		if product == "" {
			product = "linux"
		}
	}
	// osquery results name their query; the table says the category.
	if q := strings.ToLower(field(ev, "name")); has(ev, "hostIdentifier") && q != "" {
		if product == "" {
			product = "linux"
			if strings.Contains(strings.ToLower(field(ev, "decorations.os", "decorations.platform")), "darwin") {
				product = "macos"
			}
		}
		switch {
		case strings.Contains(q, "process_events") || strings.Contains(q, "process_etw_events"):
			add(sigma.LogSource{Product: product, Category: "process_creation"})
		case strings.Contains(q, "socket_events"):
			add(sigma.LogSource{Product: product, Category: "network_connection"})
		case strings.Contains(q, "file_events") || strings.Contains(q, "es_process_file_events"):
			add(sigma.LogSource{Product: product, Category: "file_event"})
		}
	}

	// Host events by ECS category.
	hostProc := has(ev, "process.executable", "process.name", "process.pid")
	if product == "" && hostProc && (slices.Contains(cats, "process") || slices.Contains(cats, "file") ||
		slices.Contains(cats, "registry") || slices.Contains(cats, "library") || slices.Contains(cats, "driver")) {
		product = productOfPath(field(ev, "process.executable", "file.path"))
	}
	if product != "" {
		for _, c := range cats {
			switch c {
			case "process":
				if slices.Contains(types, "start") || strings.Contains(field(ev, normalize.FieldAction), "exec") {
					add(sigma.LogSource{Product: product, Category: "process_creation"})
				}
			case "network":
				switch {
				case has(ev, "dns.question.name"):
					add(sigma.LogSource{Product: product, Category: "dns_query"})
				case hostProc && has(ev, normalize.FieldDestIP):
					add(sigma.LogSource{Product: product, Category: "network_connection"})
				}
			case "file":
				switch {
				case slices.Contains(types, "deletion"):
					add(sigma.LogSource{Product: product, Category: "file_delete"})
				case slices.Contains(types, "access"):
					add(sigma.LogSource{Product: product, Category: "file_access"})
				case slices.Contains(types, "change") && !slices.Contains(types, "creation"):
					add(sigma.LogSource{Product: product, Category: "file_change"}, sigma.LogSource{Product: product, Category: "file_event"})
				default:
					add(sigma.LogSource{Product: product, Category: "file_event"})
				}
			case "registry":
				switch {
				case slices.Contains(types, "deletion"):
					add(sigma.LogSource{Product: product, Category: "registry_delete"})
				case slices.Contains(types, "creation"):
					add(sigma.LogSource{Product: product, Category: "registry_add"})
				default:
					add(sigma.LogSource{Product: product, Category: "registry_set"})
				}
				add(sigma.LogSource{Product: product, Category: "registry_event"})
			case "library":
				add(sigma.LogSource{Product: product, Category: "image_load"})
			case "driver":
				add(sigma.LogSource{Product: product, Category: "driver_load"})
			}
		}
	}

	// Linux logs.
	linuxLike := product == "" || product == "linux"
	switch {
	case ev.Format == normalize.FormatAuth,
		set == "system.auth",
		slices.Contains(cats, "authentication") && linuxLike && module != "okta":
		add(sigma.LogSource{Product: "linux", Service: "auth"})
		if program != "" {
			add(sigma.LogSource{Product: "linux", Service: program})
		}
	case ev.Format == normalize.FormatRFC3164 || ev.Format == normalize.FormatRFC5424 || set == "system.syslog":
		add(sigma.LogSource{Product: "linux", Service: "syslog"})
		if program != "" {
			add(sigma.LogSource{Product: "linux", Service: program})
		}
	}
	if ev.Format == normalize.FormatAuth && product == "" {
		product = "linux"
	}

	// Network devices and servers.
	web := slices.Contains(cats, "web") || has(ev, "url.full", "url.original", "http.request.method", "cs-uri-query", "c-uri")
	switch {
	case web && isProxy(ev, module, set):
		add(sigma.LogSource{Category: "proxy"})
	case web:
		add(sigma.LogSource{Category: "webserver"})
		if module == "nginx" || program == "nginx" {
			add(sigma.LogSource{Category: "webserver", Service: "nginx"}, sigma.LogSource{Service: "nginx"})
		}
	}
	if has(ev, "dns.question.name") && !hostProc {
		add(sigma.LogSource{Category: "dns"})
	}
	appliance := ev.Format == normalize.FormatCEF || ev.Format == normalize.FormatKV || ev.Format == normalize.FormatFilterlog
	flow := has(ev, normalize.FieldSourceIP) && has(ev, normalize.FieldDestIP) && has(ev, normalize.FieldDestPort)
	auditd := slices.Contains(out, sigma.LogSource{Product: "linux", Service: "auditd"})
	switch {
	case auditd, web: // a proxy's or web server's log is not a firewall's
	case strings.EqualFold(field(ev, "observer.type"), "firewall"),
		appliance && !web,
		slices.Contains(cats, "network") && product == "" && !has(ev, "dns.question.name"),
		flow && product == "" && len(out) == 0:
		add(sigma.LogSource{Category: "firewall"})
	}
	return out
}

// ciscoMnemonic is the %FACILITY-SEVERITY-MNEMONIC tag of Cisco IOS, NX-OS
// and ASA syslog messages.
var ciscoMnemonic = regexp.MustCompile(`%([A-Z][A-Z0-9_]*)-[0-7]-[A-Z0-9_]+:`)

// deviceSources recognises the logs of products SigmaHQ has rules for by
// product: OpenCanary honeypots, FortiGate event (configuration) logs,
// GitHub's audit log and Cisco syslog.
func deviceSources(ev normalize.Event) []sigma.LogSource {
	switch {
	case has(ev, "logtype") && has(ev, "node_id") && has(ev, "utc_time", "local_time"):
		return []sigma.LogSource{{Product: "opencanary", Category: "application"}}
	case ev.Format == normalize.FormatKV && strings.EqualFold(field(ev, "type"), "event") && has(ev, "devid", "devname") &&
		strings.HasPrefix(strings.ToUpper(field(ev, "devid")), "FG"):
		return []sigma.LogSource{{Product: "fortigate", Service: "event"}}
	case has(ev, "_document_id") && strings.Contains(field(ev, "action"), ".") && has(ev, "actor", "org", "business"):
		return []sigma.LogSource{{Product: "github", Service: "audit"}}
	}
	if m := ciscoMnemonic.FindStringSubmatch(field(ev, normalize.FieldMessage)); m != nil &&
		(ev.Format == normalize.FormatRFC3164 || ev.Format == normalize.FormatRFC5424) {
		switch m[1] {
		case "PARSER", "AAA", "SEC_LOGIN", "SSH", "LOGIN":
			// Command accounting and logins: Sigma's cisco/aaa.
			return []sigma.LogSource{{Product: "cisco", Service: "aaa"}}
		}
		return []sigma.LogSource{{Product: "cisco"}}
	}
	return nil
}

// programService is the linux service a syslog program logs as.
func programService(p string) string {
	p = strings.ToLower(p)
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	switch p {
	case "sshd-session", "sshd-auth":
		return "sshd"
	case "crond", "anacron", "cron":
		return "cron"
	case "clamd", "freshclam", "clamav":
		return "clamav"
	case "guacd", "guacamole":
		return "guacamole"
	}
	return p
}

// hostProduct is the operating system of the host an event is about
// (windows, linux, macos), from host.os.* or os.type, or "".
func hostProduct(ev normalize.Event) string {
	for _, n := range []string{"host.os.type", "host.os.family", "host.os.platform", "os.type", "host.os.name"} {
		switch v := strings.ToLower(field(ev, n)); {
		case v == "":
		case strings.Contains(v, "windows"):
			return "windows"
		case v == "macos" || v == "darwin" || strings.Contains(v, "mac os"):
			return "macos"
		default:
			return "linux" // linux, debian, ubuntu, redhat, rhel, centos, amazon, suse, arch, …
		}
	}
	return ""
}

// productOfPath guesses the operating system from an executable's path.
func productOfPath(p string) string {
	lp := strings.ToLower(p)
	switch {
	case p == "":
		return ""
	case strings.Contains(p, `\`) || strings.HasSuffix(lp, ".exe") || strings.HasSuffix(lp, ".dll"):
		return "windows"
	case strings.HasPrefix(p, "/System/") || strings.HasPrefix(p, "/Applications/") || strings.HasPrefix(p, "/Library/") || strings.HasPrefix(p, "/Users/"):
		return "macos"
	case strings.HasPrefix(p, "/"):
		return "linux"
	}
	return ""
}

func isProxy(ev normalize.Event, module, set string) bool {
	switch module {
	case "squid", "zscaler", "bluecoat", "zscaler_zia", "netskope", "websense", "forcepoint":
		return true
	}
	appliance := ev.Format == normalize.FormatCEF || ev.Format == normalize.FormatKV || ev.Format == normalize.FormatFilterlog
	return appliance || strings.Contains(set, "proxy") || strings.EqualFold(field(ev, "observer.type"), "proxy") || has(ev, "c-uri", "c-useragent")
}

// cloudSources recognises the audit records of the cloud services.
func cloudSources(ev normalize.Event) []sigma.LogSource {
	module, set := dataset(ev)
	switch {
	case set == "aws.cloudtrail" || strings.HasSuffix(field(ev, "eventSource"), ".amazonaws.com") && has(ev, "eventName"):
		return []sigma.LogSource{{Product: "aws", Service: "cloudtrail"}}
	case field(ev, "kind") == "admin#reports#activity":
		// Google Workspace's Reports API: id.applicationName says the service.
		if app := strings.ToLower(field(ev, "id.applicationName")); app != "" {
			return []sigma.LogSource{{Product: "gcp", Service: "google_workspace." + app}}
		}
	case set == "gcp.audit" || strings.Contains(field(ev, "protoPayload.@type"), "google.cloud.audit.AuditLog") ||
		strings.Contains(field(ev, "logName"), "cloudaudit.googleapis.com"):
		// Workspace's audit logs shared with Cloud Logging are audit log
		// entries of admin.googleapis.com, login.googleapis.com, ….
		switch svc := strings.ToLower(field(ev, "protoPayload.serviceName")); svc {
		case "admin.googleapis.com", "login.googleapis.com":
			return []sigma.LogSource{{Product: "gcp", Service: "google_workspace." + strings.TrimSuffix(svc, ".googleapis.com")}}
		}
		return []sigma.LogSource{{Product: "gcp", Service: "gcp.audit"}}
	case strings.HasPrefix(field(ev, "apiVersion"), "audit.k8s.io/") && field(ev, "kind") == "Event":
		// A Kubernetes API server audit event; SigmaHQ's rules name it
		// with and without category application.
		return []sigma.LogSource{{Product: "kubernetes", Category: "application", Service: "audit"}}
	case set == "okta.system" || has(ev, "eventType") && has(ev, "displayMessage", "legacyEventType", "actor.alternateId"):
		return []sigma.LogSource{{Product: "okta", Service: "okta"}}
	}
	if svc := azureService(ev, module, set); svc != "" {
		return []sigma.LogSource{{Product: "azure", Service: svc}}
	}
	if svc := m365Service(ev, module, set); svc != "" {
		return []sigma.LogSource{{Product: "m365", Service: svc}}
	}
	return nil
}

// azureService is the Sigma service of an Azure Monitor record (the
// diagnostic-settings layout's category, or a Log Analytics table's Type),
// or "".
func azureService(ev normalize.Event, module, set string) string {
	if module == "azure" {
		switch {
		case strings.Contains(set, "signin"):
			return "signinlogs"
		case strings.Contains(set, "audit"):
			return "auditlogs"
		case strings.Contains(set, "activity"):
			return "activitylogs"
		case strings.Contains(set, "risk"):
			return "riskdetection"
		}
	}
	kind := strings.ToLower(field(ev, "Type"))
	if kind == "" && (has(ev, "resourceId", "tenantId") && has(ev, "operationName")) {
		kind = strings.ToLower(field(ev, "category"))
	}
	switch kind {
	case "":
		return ""
	case "signinlogs", "noninteractiveusersigninlogs", "serviceprincipalsigninlogs", "managedidentitysigninlogs",
		"aadnoninteractiveusersigninlogs", "aadserviceprincipalsigninlogs", "aadmanagedidentitysigninlogs":
		return "signinlogs"
	case "auditlogs":
		return "auditlogs"
	case "riskyusers", "userriskevents", "riskyserviceprincipals", "serviceprincipalriskevents", "aaduserriskevents", "aadriskyusers":
		return "riskdetection"
	case "azureactivity", "administrative", "security", "servicehealth", "alert", "recommendation", "policy", "autoscale", "resourcehealth":
		return "activitylogs"
	}
	return ""
}

// m365Service is the Sigma service of an Office 365 Management Activity
// record, or "".
func m365Service(ev normalize.Event, module, set string) string {
	workload := strings.ToLower(field(ev, "Workload"))
	if module == "o365" || module == "m365" || strings.HasPrefix(set, "o365.") {
		if workload == "" {
			workload = strings.ToLower(field(ev, "o365.audit.Workload", "event.provider"))
		}
	} else if workload == "" || !has(ev, "Operation") || !has(ev, "RecordType", "CreationTime") {
		return ""
	}
	switch {
	case workload == "securitycompliancecenter":
		return "threat_management"
	case workload == "threatintelligence" || workload == "airinvestigation" || workload == "microsoft365defender":
		return "threat_detection"
	case workload == "exchange":
		return "exchange"
	}
	return "audit"
}

// zeek log services by a field only that log has.
var zeekFields = []struct{ field, service string }{
	{"qtype_name", "dns"}, {"query", "dns"}, {"cookie", "rdp"}, {"security_protocol", "rdp"},
	{"status_code", "http"}, {"user_agent", "http"}, {"method", "http"},
	{"operation", "dce_rpc"}, {"endpoint", "dce_rpc"}, {"request_type", "kerberos"},
	{"certificate.subject", "x509"}, {"fuids", "smb_files"}, {"action", "smb_files"}, {"server_name", "ssl"},
	{"conn_state", "conn"},
}

// zeekSources recognises Zeek logs: filebeat's zeek module (event.dataset
// zeek.<log>) or Zeek's own JSON (uid and id.orig_h; the log from _path,
// else from a field only that log has).
func zeekSources(ev normalize.Event) []sigma.LogSource {
	module, set := dataset(ev)
	if module == "zeek" {
		svc := strings.TrimPrefix(set, "zeek.")
		if svc == "" || svc == "zeek" {
			return []sigma.LogSource{{Product: "zeek"}}
		}
		return []sigma.LogSource{{Product: "zeek", Service: svc}}
	}
	if !has(ev, "uid") || !has(ev, "id.orig_h") {
		return nil
	}
	if p := strings.ToLower(field(ev, "_path")); p != "" {
		return []sigma.LogSource{{Product: "zeek", Service: p}}
	}
	for _, z := range zeekFields {
		if has(ev, z.field) {
			return []sigma.LogSource{{Product: "zeek", Service: z.service}}
		}
	}
	return []sigma.LogSource{{Product: "zeek"}}
}

// taxonomy gives Sigma's field names of a logsource category from ECS
// names (the first present wins), for events that do not carry the Sigma
// names themselves.
var taxonomy = map[string][][]string{
	"process_creation": {
		{"Image", "process.executable", "columns.path"},
		{"CommandLine", "process.command_line", "columns.cmdline"},
		{"ParentImage", "process.parent.executable"},
		{"ParentCommandLine", "process.parent.command_line"},
		{"User", "user.name", "columns.username"},
		{"CurrentDirectory", "process.working_directory", "columns.cwd"},
		{"ProcessId", "process.pid", "columns.pid"},
		{"ParentProcessId", "process.parent.pid", "columns.parent"},
		{"OriginalFileName", "process.pe.original_file_name"},
		{"LogonId", "user.id", "columns.auid"},
	},
	"network_connection": {
		{"Image", "process.executable", "columns.path"},
		{"User", "user.name"},
		{"SourceIp", "source.ip", "columns.local_address"},
		{"SourcePort", "source.port", "columns.local_port"},
		{"DestinationIp", "destination.ip", "columns.remote_address"},
		{"DestinationPort", "destination.port", "columns.remote_port"},
		{"DestinationHostname", "destination.domain"},
		{"Protocol", "network.transport"},
	},
	"dns_query": {
		{"Image", "process.executable"},
		{"QueryName", "dns.question.name"},
		{"QueryResults", "dns.resolved_ip"},
		{"User", "user.name"},
	},
	"file_event":   fileTaxonomy,
	"file_delete":  fileTaxonomy,
	"file_access":  fileTaxonomy,
	"file_change":  fileTaxonomy,
	"registry_set": registryTaxonomy, "registry_add": registryTaxonomy, "registry_delete": registryTaxonomy,
	"registry_event": registryTaxonomy,
	"image_load": {
		{"Image", "process.executable"},
		{"ImageLoaded", "dll.path", "file.path"},
		{"OriginalFileName", "dll.pe.original_file_name", "file.pe.original_file_name"},
	},
	"driver_load": {
		{"ImageLoaded", "dll.path", "file.path"},
		{"Signature", "dll.code_signature.subject_name", "file.code_signature.subject_name"},
	},
	"webserver": {
		{"cs-method", "http.request.method"},
		{"cs-uri-query", "url.query"},
		{"cs-uri-stem", "url.path"},
		{"cs-uri", "url.original", "url.full"},
		{"sc-status", "http.response.status_code"},
		{"cs-user-agent", "user_agent.original"},
		{"cs-referer", "http.request.referrer"},
		{"cs-username", "user.name"},
		{"c-ip", "source.ip", "client.ip"},
		{"cs-host", "url.domain", "destination.domain"},
	},
	"proxy": {
		{"c-uri", "url.original", "url.full"},
		{"c-uri-query", "url.query"},
		{"c-uri-stem", "url.path"},
		{"c-uri-extension", "url.extension"},
		{"c-useragent", "user_agent.original"},
		{"cs-host", "url.domain", "destination.domain"},
		{"cs-method", "http.request.method"},
		{"cs-referrer", "http.request.referrer"},
		{"sc-status", "http.response.status_code"},
		{"r-dns", "url.domain", "destination.domain"},
		{"src_ip", "source.ip", "client.ip"},
		{"dst_ip", "destination.ip"},
	},
	"firewall": {
		{"src_ip", "source.ip"},
		{"src_port", "source.port"},
		{"dst_ip", "destination.ip"},
		{"dst_port", "destination.port"},
		{"action", "event.action"},
		{"protocol", "network.transport"},
	},
	"dns": {
		{"query", "dns.question.name"},
		{"record_type", "dns.question.type"},
		{"answer", "dns.resolved_ip", "dns.answers.data"},
		{"src_ip", "source.ip", "client.ip"},
		{"dst_ip", "destination.ip", "server.ip"},
	},
}

var fileTaxonomy = [][]string{
	{"TargetFilename", "file.path", "columns.target_path"},
	{"Image", "process.executable"},
	{"User", "user.name"},
}

var registryTaxonomy = [][]string{
	{"TargetObject", "registry.path", "registry.key"},
	{"Details", "registry.data.strings"},
	{"Image", "process.executable"},
	{"User", "user.name"},
}

// serviceTaxonomy is taxonomy for product/service logsources.
var serviceTaxonomy = map[sigma.LogSource][][]string{
	{Product: "linux", Service: "auditd"}: {
		{"type", "auditd.message_type"},
		{"syscall", "auditd.data.syscall"},
		{"SYSCALL", "auditd.data.syscall"},
		{"a0", "auditd.data.a0"}, {"a1", "auditd.data.a1"}, {"a2", "auditd.data.a2"}, {"a3", "auditd.data.a3"},
		{"exe", "process.executable"},
		{"comm", "process.name"},
		{"cwd", "process.working_directory"},
		{"name", "file.path"},
		{"key", "auditd.data.key", "tags"},
	},
	{Product: "aws", Service: "cloudtrail"}: {
		{"eventSource", "event.provider"},
		{"eventName", "event.action"},
		{"errorCode", "aws.cloudtrail.error_code"},
		{"errorMessage", "aws.cloudtrail.error_message"},
		{"userAgent", "user_agent.original"},
		{"userIdentity.type", "aws.cloudtrail.user_identity.type"},
		{"userIdentity.arn", "aws.cloudtrail.user_identity.arn"},
		{"awsRegion", "cloud.region"},
		{"sourceIPAddress", "source.address", "source.ip"},
	},
	{Product: "gcp", Service: "gcp.audit"}: {
		{"gcp.audit.method_name", "protoPayload.methodName", "data.protoPayload.methodName", "event.action"},
		{"gcp.audit.service_name", "protoPayload.serviceName", "data.protoPayload.serviceName", "event.provider"},
		{"gcp.audit.resource_name", "protoPayload.resourceName", "data.protoPayload.resourceName"},
	},
	{Product: "okta", Service: "okta"}: {
		{"eventType", "okta.event_type", "event.action"},
		{"displayMessage", "okta.display_message"},
		{"outcome.result", "okta.outcome.result"},
		{"actor.alternateId", "okta.actor.alternate_id"},
		{"securityContext.isProxy", "okta.security_context.is_proxy"},
	},
}

// SigmaEvent is the field map Sigma rules read for an event routed to
// sources: the ECS names, the source's own names over them (for Windows:
// Image, CommandLine, EventID, Channel, …), and, where the event lacks
// them, the field names of each source's Sigma taxonomy filled from ECS
// (process.executable answers Image in process_creation, url.query
// cs-uri-query in webserver, …). Windows events keep their own names only.
func SigmaEvent(ev normalize.Event, sources []sigma.LogSource) sigma.Event {
	sev := make(sigma.Event, len(ev.Native)+len(ev.Fields)+8)
	for k, v := range ev.Fields {
		sev[k] = v
	}
	for k, v := range ev.Native {
		sev[k] = v
	}
	if _, windows := windowsFields(ev); windows {
		// A flat Windows event keeps the names it was sent with; event
		// data named with spaces (Defender's "Threat Name") also answers
		// the name Sigma rules write (ThreatName), as EVTX and Winlogbeat
		// event data do after normalisation.
		if len(ev.Native) == 0 {
			for k, v := range ev.Fields {
				if strings.IndexByte(k, ' ') >= 0 {
					if alias := strings.ReplaceAll(k, " ", ""); alias != "" {
						if _, ok := sev[alias]; !ok {
							sev[alias] = v
						}
					}
				}
			}
		}
		return sev
	}
	fill := func(table [][]string) {
		for _, row := range table {
			if _, ok := sev[row[0]]; ok {
				continue
			}
			for _, from := range row[1:] {
				if v, ok := sev[from]; ok && v != nil && v != "" {
					sev[row[0]] = v
					break
				}
			}
		}
	}
	for _, s := range sources {
		if t, ok := taxonomy[s.Category]; ok {
			fill(t)
		}
		if t, ok := serviceTaxonomy[sigma.LogSource{Product: s.Product, Service: s.Service}]; ok {
			fill(t)
		}
		switch s.Product {
		case "zeek":
			zeekFill(sev, s.Service)
		case "azure":
			azureFill(sev)
		case "gcp":
			if strings.HasPrefix(s.Service, "google_workspace.") {
				workspaceFill(sev, s.Service)
			}
		case "m365":
			fill([][]string{{"eventSource", "Workload"}, {"eventName", "Name", "Operation"}, {"status", "ResultStatus", "Status"}})
		}
		if s.Product == "windows" && (s.Category == "process_creation" || s.Category == "network_connection") {
			// Windows rules read User as DOMAIN\name (NT AUTHORITY\SYSTEM).
			if d, _ := sev["user.domain"].(string); d != "" {
				if u, _ := sev["User"].(string); u != "" && !strings.Contains(u, `\`) && u == sev["user.name"] {
					sev["User"] = d + `\` + u
				}
			}
		}
		if s.Category == "network_connection" {
			if _, ok := sev["Initiated"]; !ok {
				switch strings.ToLower(toString(sev["network.direction"])) {
				case "outbound", "egress":
					sev["Initiated"] = "true"
				case "inbound", "ingress":
					sev["Initiated"] = "false"
				}
			}
		}
		if s.Category == "process_creation" || s.Category == "image_load" || s.Category == "driver_load" {
			prefix := "process."
			if s.Category != "process_creation" {
				prefix = "dll."
				if _, ok := sev["dll.hash.sha256"]; !ok {
					prefix = "file."
				}
			}
			if _, ok := sev["Hashes"]; !ok {
				// Sysmon's list: SHA1=…,MD5=…,SHA256=…,IMPHASH=…
				var hs []string
				for _, h := range [][2]string{{"SHA1", "hash.sha1"}, {"MD5", "hash.md5"}, {"SHA256", "hash.sha256"}, {"IMPHASH", "pe.imphash"}} {
					if v := toString(sev[prefix+h[1]]); v != "" {
						hs = append(hs, h[0]+"="+strings.ToUpper(v))
					}
				}
				if len(hs) > 0 {
					sev["Hashes"] = strings.Join(hs, ",")
				}
			}
		}
		if s.Category == "process_creation" {
			if _, ok := sev["CommandLine"]; !ok {
				if args, ok := sev["process.args"].([]any); ok {
					parts := make([]string, 0, len(args))
					for _, a := range args {
						if s, ok := a.(string); ok {
							parts = append(parts, s)
						}
					}
					sev["CommandLine"] = strings.Join(parts, " ")
				}
			}
		}
	}
	return sev
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// workspaceFill gives Google Workspace audit records the names of
// SigmaHQ's google_workspace rules: eventService (admin.googleapis.com)
// and eventName (the first event's name), from the Reports API layout or
// from an audit log entry in Cloud Logging.
func workspaceFill(sev sigma.Event, service string) {
	if _, ok := sev["eventService"]; !ok {
		svc := toString(sev["protoPayload.serviceName"])
		if svc == "" {
			svc = strings.TrimPrefix(service, "google_workspace.") + ".googleapis.com"
		}
		sev["eventService"] = svc
	}
	if _, ok := sev["eventName"]; ok {
		return
	}
	if n := toString(sev["protoPayload.metadata.event.eventName"]); n != "" {
		sev["eventName"] = n
		return
	}
	for _, k := range []string{"events", "protoPayload.metadata.event"} {
		if l, ok := sev[k].([]any); ok && len(l) > 0 {
			if e, ok := l[0].(map[string]any); ok {
				for _, n := range []string{"name", "eventName"} {
					if v, ok := e[n].(string); ok && v != "" {
						sev["eventName"] = v
						if _, ok := sev["protoPayload.metadata.event.eventName"]; !ok && k != "events" {
							sev["protoPayload.metadata.event.eventName"] = v
						}
						return
					}
				}
			}
		}
	}
}

// zeekFill gives filebeat's zeek events the names of Zeek's own logs:
// id.orig_h and friends, and the members of zeek.<log>.* without the
// prefix.
func zeekFill(sev sigma.Event, service string) {
	for to, from := range map[string]string{"id.orig_h": "source.ip", "id.orig_p": "source.port",
		"id.resp_h": "destination.ip", "id.resp_p": "destination.port", "uid": "zeek.session_id"} {
		if _, ok := sev[to]; !ok {
			if v, ok := sev[from]; ok {
				sev[to] = v
			}
		}
	}
	if service == "" {
		return
	}
	prefix := "zeek." + service + "."
	var lift [][2]string
	for k := range sev {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			lift = append(lift, [2]string{rest, k})
		}
	}
	for _, l := range lift {
		if _, ok := sev[l[0]]; !ok {
			sev[l[0]] = sev[l[1]]
		}
	}
}

// ecsRoots are the ECS field sets normalisation writes; azureFill leaves
// them alone.
var ecsRoots = map[string]bool{"event": true, "log": true, "host": true, "source": true, "destination": true,
	"user": true, "observer": true, "agent": true, "cloud": true, "url": true, "http": true, "network": true,
	"process": true, "file": true, "error": true, "message": true, "related": true, "client": true, "server": true}

// azureFill gives an Azure Monitor record in the diagnostic-settings
// layout (properties.*, camelCase) the names of the Log Analytics tables
// that Sigma's azure rules use (ResultType, Status.errorCode, …): the
// members of properties without the prefix, and each top-level name with
// its first letter in upper case.
func azureFill(sev sigma.Event) {
	var add [][2]string
	for k := range sev {
		if rest, ok := strings.CutPrefix(k, "properties."); ok && rest != "" {
			add = append(add, [2]string{rest, k})
		}
	}
	for _, a := range add {
		if _, ok := sev[a[0]]; !ok {
			sev[a[0]] = sev[a[1]]
		}
	}
	add = add[:0]
	for k := range sev {
		root, _, _ := strings.Cut(k, ".")
		if k != "" && 'a' <= k[0] && k[0] <= 'z' && root != "properties" && !ecsRoots[root] {
			add = append(add, [2]string{strings.ToUpper(k[:1]) + k[1:], k})
		}
	}
	for _, a := range add {
		if _, ok := sev[a[0]]; !ok {
			sev[a[0]] = sev[a[1]]
		}
	}
}
