package normalize

import (
	"strconv"
	"strings"
)

// cefFullNames maps the long CEF key names to the short ones.
var cefFullNames = map[string]string{
	"sourceAddress": "src", "destinationAddress": "dst", "sourcePort": "spt", "destinationPort": "dpt",
	"sourceUserName": "suser", "destinationUserName": "duser", "sourceHostName": "shost", "destinationHostName": "dhost",
	"deviceAction": "act", "eventOutcome": "outcome", "requestUrl": "request", "transportProtocol": "proto",
	"fileName": "fname", "message": "msg", "receiptTime": "rt", "deviceAddress": "dvc", "deviceHostName": "dvchost",
	"sourceProcessName": "sproc", "sourceProcessId": "spid", "sourceMacAddress": "smac", "destinationMacAddress": "dmac",
	"fileSize": "fsize", "startTime": "start", "endTime": "end", "applicationProtocol": "app",
}

// cefFields maps short CEF extension keys to ECS names.
var cefFields = map[string]string{
	"src": FieldSourceIP, "dst": FieldDestIP, "spt": FieldSourcePort, "dpt": FieldDestPort,
	"smac": "source.mac", "dmac": "destination.mac", "shost": "source.domain", "dhost": "destination.domain",
	"suser": "source.user.name", "duser": "destination.user.name", "suid": "source.user.id", "duid": "destination.user.id",
	"sntdom": "source.user.domain", "dntdom": "destination.user.domain",
	"act": FieldAction, "outcome": FieldOutcome, "request": "url.full", "requestMethod": "http.request.method",
	"requestClientApplication": "user_agent.original", "proto": "network.transport", "app": "network.protocol",
	"fname": "file.name", "filePath": "file.path", "fileHash": "file.hash", "fsize": "file.size",
	"msg": FieldMessage, "rt": FieldTimestamp, "start": "event.start", "end": "event.end",
	"dvc": "observer.ip", "dvchost": "observer.hostname", "deviceExternalId": "observer.serial_number",
	"sproc": "process.name", "spid": "process.pid", "dproc": "process.name", "dpid": "process.pid",
	"deviceDirection": "network.direction", "reason": "event.reason", "externalId": "event.id",
	"in": "source.bytes", "out": "destination.bytes", "cnt": "event.count",
	"sourceTranslatedAddress": "source.nat.ip", "destinationTranslatedAddress": "destination.nat.ip",
	"sourceTranslatedPort": "source.nat.port", "destinationTranslatedPort": "destination.nat.port",
	"requestContext": "http.request.referrer", "cat": "event.dataset",
}

var cefSeverities = map[string]int64{"unknown": 0, "low": 3, "medium": 5, "high": 8, "very-high": 10, "very high": 10}

// applyCEF maps a CEF message to ECS fields of ev and keeps the header and
// extension keys as native fields (custom fields also under their label:
// cs1Label=Policy cs1=Block-All gives Native["Policy"] = "Block-All").
func applyCEF(ev Event, c CEF) {
	ev.setNative("cefVersion", int64(c.Version))
	ev.setNative("deviceVendor", c.DeviceVendor)
	ev.setNative("deviceProduct", c.DeviceProduct)
	ev.setNative("deviceVersion", c.DeviceVersion)
	ev.setNative("signatureId", c.SignatureID)
	ev.setNative("name", c.Name)
	ev.setNative("severity", c.Severity)
	ev.set("observer.vendor", c.DeviceVendor)
	ev.set("observer.product", c.DeviceProduct)
	ev.set("observer.version", c.DeviceVersion)
	ev.set("event.code", c.SignatureID)
	ev.set("rule.name", c.Name)
	sev := strings.TrimSpace(c.Severity)
	if n, err := strconv.ParseInt(sev, 10, 64); err == nil && n >= 0 && n <= 10 {
		ev.Fields["event.severity"] = n
	} else if n, ok := cefSeverities[strings.ToLower(sev)]; ok {
		ev.Fields["event.severity"] = n
	}
	ext := make(map[string]string, len(c.Extensions))
	for _, e := range c.Extensions {
		ev.setNative(e.Key, e.Value)
		if _, dup := ext[e.Key]; !dup {
			ext[e.Key] = e.Value
		}
	}
	for k, v := range ext {
		short := k
		if s, ok := cefFullNames[k]; ok {
			short = s
		}
		if strings.HasSuffix(k, "Label") {
			if val, ok := ext[strings.TrimSuffix(k, "Label")]; ok && v != "" && len(ev.Native) < MaxFields {
				ev.setNative(v, val)
			}
			continue
		}
		name, ok := cefFields[short]
		if !ok {
			continue
		}
		switch name {
		case FieldSourceIP, FieldDestIP, "observer.ip", "source.nat.ip", "destination.nat.ip":
			ev.setIP(name, v)
		case FieldSourcePort, FieldDestPort, "source.nat.port", "destination.nat.port":
			ev.setPort(name, v)
		case "process.pid", "file.size", "source.bytes", "destination.bytes", "event.count":
			ev.setInt(name, v)
		case FieldTimestamp, "event.start", "event.end":
			if t, ok := deviceTime(v); ok {
				ev.Fields[name] = t
			}
		case "network.transport":
			ev.set(name, transportName(v))
		case "network.direction":
			ev.set(name, directionName(v))
		case "file.hash":
			setHash(ev, "file.hash.", v)
		case FieldOutcome:
			ev.set(name, outcomeName(v))
		default:
			ev.set(name, v)
		}
	}
	if u := ev.String("source.user.name"); u != "" {
		ev.Fields[FieldUserName] = u
	} else if u := ev.String("destination.user.name"); u != "" {
		ev.Fields[FieldUserName] = u
	}
	if _, ok := ev.Fields[FieldMessage]; !ok {
		ev.set(FieldMessage, c.Name)
	}
	if ev.Fields[FieldSourceIP] != nil || ev.Fields[FieldDestIP] != nil {
		ev.addCategory("network")
	}
	if _, ok := ev.Fields[FieldOutcome]; !ok {
		switch firewallVerdict(ev.String(FieldAction)) {
		case "allowed":
			ev.Fields[FieldOutcome] = "success"
		case "denied":
			ev.Fields[FieldOutcome] = "failure"
		}
	}
}

// outcomeName maps the outcome words devices use to ECS's success,
// failure and unknown.
func outcomeName(v string) string {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(v), "/")) {
	case "success", "successful", "succeeded", "allowed", "allow", "ok", "pass", "passed":
		return "success"
	case "failure", "failed", "fail", "blocked", "denied", "deny", "error", "rejected":
		return "failure"
	}
	return "unknown"
}
