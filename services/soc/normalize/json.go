package normalize

import (
	"encoding/json"
	"strings"
	"time"
)

// maxMembers bounds the object members (keys, nested ones included) of a
// JSON message. Counted before decoding, it stops a message of thousands of
// repeated keys, which decodes slowly and flattens to few fields.
const maxMembers = 4 * MaxFields

// checkJSONDepth refuses JSON nested deeper than MaxDepth, or with more
// than maxMembers members, before it is decoded: encoding/json allows
// 10,000 levels, which costs far more than an event is worth.
func checkJSONDepth(b []byte) error {
	depth, inStr, members := 0, false, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			if depth++; depth > MaxDepth {
				return tooLargef(FormatJSON, "at byte %d: nested more than %d levels deep", i, MaxDepth)
			}
		case '}', ']':
			depth--
		case ':':
			if members++; members > maxMembers {
				return tooLargef(FormatJSON, "at byte %d: more than %d object members", i, maxMembers)
			}
		}
	}
	return nil
}

// decodeJSONObject decodes b, which must be one JSON object.
func decodeJSONObject(b []byte) (map[string]any, error) {
	if err := checkJSONDepth(b); err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		if se, ok := err.(*json.SyntaxError); ok {
			return nil, invalidf(FormatJSON, int(se.Offset), "%s", se.Error())
		}
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return nil, invalidf(FormatJSON, int(te.Offset), "the value must be a JSON object, not %s", te.Value)
		}
		return nil, invalidf(FormatJSON, -1, "%v", err)
	}
	if obj == nil {
		return nil, invalidf(FormatJSON, 0, "the value must be a JSON object, not null")
	}
	return obj, nil
}

// ParseJSON normalises one JSON object: a Windows event in the
// EVTX-to-JSON layout, a Winlogbeat document, or any other object, whose
// nested objects are flattened to dotted names ({"source":{"ip":…}} becomes
// "source.ip") and whose common non-ECS names (src_ip, timestamp, msg, …)
// are copied to their ECS names.
func ParseJSON(raw []byte, received time.Time) (Event, error) {
	if err := checkLen(FormatJSON, raw); err != nil {
		return Event{}, err
	}
	raw = trimFrame(raw)
	obj, err := decodeJSONObject(raw)
	if err != nil {
		return Event{}, err
	}
	if e, ok := obj["Event"].(map[string]any); ok {
		if _, ok := e["System"].(map[string]any); ok {
			return fromEVTX(obj, raw, received)
		}
	}
	if w, ok := obj["winlog"].(map[string]any); ok {
		return fromWinlogbeat(obj, w, raw, received)
	}
	ev := newEvent(FormatJSON, raw, received)
	n := 0
	if err := flattenInto(ev.Fields, "", obj, &n); err != nil {
		return Event{}, err
	}
	applyJSONAliases(ev, obj)
	fixTypes(ev, received)
	ev.Fields[FieldOriginal] = cleanText(string(raw))
	return ev, ev.checkSize(FormatJSON)
}

// flattenInto writes the members of obj into dst under dotted names.
// Arrays are kept as values.
func flattenInto(dst map[string]any, prefix string, obj map[string]any, n *int) error {
	for k, v := range obj {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if m, ok := v.(map[string]any); ok {
			// An empty object flattens to nothing.
			if err := flattenInto(dst, name, m, n); err != nil {
				return err
			}
			continue
		}
		if *n++; *n > MaxFields {
			return tooLargef(FormatJSON, "more than %d fields", MaxFields)
		}
		dst[cleanText(name)] = cleanValue(v)
	}
	return nil
}

// jsonAliases are the top-level names of ad-hoc JSON logs and their ECS
// names; the key=value names apply too.
var jsonAliases = map[string]string{
	"hostname": FieldHostName, "host": FieldHostName, "computer": FieldHostName,
	"log": FieldMessage, "program": "process.name", "pid": "process.pid",
	"cmdline": "process.command_line", "command_line": "process.command_line", "commandline": "process.command_line",
	"exe": "process.executable", "image": "process.executable",
	"domain": "dns.question.name", "sha256": "file.hash.sha256", "sha1": "file.hash.sha1", "md5": "file.hash.md5",
	"path": "file.path", "file_path": "file.path",
}

var timeAliases = []string{"@timestamp", "timestamp", "time", "ts", "eventtime", "event_time", "datetime", "date"}

func applyJSONAliases(ev Event, obj map[string]any) {
	for k, v := range obj {
		if _, nested := v.(map[string]any); nested {
			continue
		}
		lk := strings.ToLower(k)
		name, ok := jsonAliases[lk]
		if !ok {
			name, ok = kvAliases[lk]
			if lk == "hostname" || lk == "in" || lk == "out" {
				ok = false
			}
		}
		if !ok || name == k {
			continue
		}
		if _, set := ev.Fields[name]; set {
			continue
		}
		ev.Fields[name] = v
	}
}

// ECS fields of type long, which JSON gives as float64 or strings.
var longFields = []string{FieldSourcePort, FieldDestPort, "process.pid", "process.parent.pid", "source.bytes", "destination.bytes", "event.severity", "winlog.record_id"}

// fixTypes brings the fields the rest of the platform relies on to their
// documented types: @timestamp a UTC time, ports and pids int64, IPs in
// canonical text, event.category and event.type lists of strings.
func fixTypes(ev Event, received time.Time) {
	// A time the document carries wins; a time.Time already set comes
	// from this package (the receive time, or a Windows TimeCreated).
	ts, _ := ev.Fields[FieldTimestamp].(time.Time)
	for _, k := range timeAliases {
		if v, ok := ev.Fields[k]; ok {
			if _, ours := v.(time.Time); ours {
				continue
			}
			if t, ok := anyTime(v); ok {
				ts = t
				break
			}
		}
	}
	if ts.IsZero() {
		ts = received.UTC()
	}
	ev.Fields[FieldTimestamp] = ts
	ev.Fields[FieldIngested] = received.UTC()
	for _, k := range longFields {
		v, ok := ev.Fields[k]
		if !ok {
			continue
		}
		delete(ev.Fields, k)
		switch x := v.(type) {
		case float64:
			if x == float64(int64(x)) {
				ev.Fields[k] = int64(x)
			}
		case string:
			ev.setInt(k, x)
		case int64:
			ev.Fields[k] = x
		}
	}
	for _, k := range []string{FieldSourcePort, FieldDestPort} {
		if p, ok := ev.Fields[k].(int64); ok && (p <= 0 || p > 65535) {
			delete(ev.Fields, k)
		}
	}
	for _, k := range []string{FieldSourceIP, FieldDestIP, "host.ip", "client.ip", "server.ip", "observer.ip"} {
		if v, ok := ev.Fields[k]; ok {
			delete(ev.Fields, k)
			if s, ok := v.(string); ok {
				ev.setIP(k, s)
			}
		}
	}
	for _, k := range []string{FieldCategory, "event.type"} {
		v, ok := ev.Fields[k]
		if !ok {
			continue
		}
		delete(ev.Fields, k)
		switch x := v.(type) {
		case string:
			if x != "" {
				ev.Fields[k] = []string{x}
			}
		case []any:
			l := make([]string, 0, len(x))
			for _, e := range x {
				if s, ok := e.(string); ok && s != "" {
					l = append(l, s)
				}
			}
			if len(l) > 0 {
				ev.Fields[k] = l
			}
		case []string:
			ev.Fields[k] = x
		}
	}
	for _, k := range []string{FieldMessage, FieldUserName, FieldHostName, FieldAction, FieldOutcome} {
		if v, ok := ev.Fields[k]; ok {
			if _, isStr := v.(string); !isStr {
				delete(ev.Fields, k)
				if s := toText(v); s != "" && len(s) <= MaxMessageSize {
					ev.Fields[k] = s
				}
			}
		}
	}
}

func anyTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		return deviceTime(x)
	case float64:
		if x <= 0 || x > 1e19 {
			return time.Time{}, false
		}
		return deviceTime(toText(float64(int64(x))))
	case time.Time:
		return x.UTC(), true
	}
	return time.Time{}, false
}

// fromWinlogbeat normalises a Winlogbeat document: its own fields are
// already ECS, and winlog.* gives the native Windows map.
func fromWinlogbeat(obj, w map[string]any, raw []byte, received time.Time) (Event, error) {
	ev := newEvent(FormatWinlogbeat, raw, received)
	native := map[string]any{}
	for _, sec := range []string{"event_data", "user_data"} {
		if d, ok := w[sec].(map[string]any); ok {
			flattenData(native, d)
		}
	}
	for k, n := range map[string]string{"event_id": "EventID", "channel": "Channel", "computer_name": "Computer", "provider_name": "Provider_Name", "provider_guid": "Provider_Guid", "record_id": "EventRecordID", "task": "Task", "opcode": "Opcode", "version": "Version"} {
		if v, ok := w[k]; ok {
			native[n] = v
		}
	}
	if len(native) > MaxFields {
		return Event{}, tooLargef(FormatWinlogbeat, "more than %d event data fields", MaxFields)
	}
	dropObjects(native)
	sanitizeMap(native)
	ev.Native = native
	mapWindows(ev, native)
	own := map[string]any{}
	n := 0
	if err := flattenInto(own, "", obj, &n); err != nil {
		return Event{}, err
	}
	for k, v := range own {
		if strings.HasPrefix(k, "winlog.event_data.") || strings.HasPrefix(k, "winlog.user_data.") {
			continue // in Native
		}
		ev.Fields[k] = v
	}
	fixTypes(ev, received)
	ev.Fields[FieldOriginal] = cleanText(string(raw))
	return ev, ev.checkSize(FormatWinlogbeat)
}

// fromEVTX normalises a Windows event in the EVTX-to-JSON layout.
func fromEVTX(obj map[string]any, raw []byte, received time.Time) (Event, error) {
	ev := newEvent(FormatEVTX, raw, received)
	ev.Native = FlattenEVTX(obj)
	dropObjects(ev.Native)
	sanitizeMap(ev.Native)
	if len(ev.Native) > MaxFields {
		return Event{}, tooLargef(FormatEVTX, "more than %d event data fields", MaxFields)
	}
	mapWindows(ev, ev.Native)
	return ev, ev.checkSize(FormatEVTX)
}

// FlattenEVTX flattens an event in the EVTX-to-JSON layout to the names
// Sigma rules use: the members of EventData and UserData at the top level,
// plus EventID, Channel, Computer, Provider_Name and the other System
// fields. It builds the same map as sigma.FlattenEVTX (a test holds them
// equal); it is repeated here so that normalisation does not depend on the
// detection engine.
func FlattenEVTX(raw map[string]any) map[string]any {
	ev := map[string]any{}
	e, _ := raw["Event"].(map[string]any)
	if e == nil {
		e = raw
	}
	for _, sec := range []string{"EventData", "UserData"} {
		if d, ok := e[sec].(map[string]any); ok {
			flattenData(ev, d)
		}
	}
	sys, ok := e["System"].(map[string]any)
	if !ok {
		return ev
	}
	for _, k := range []string{"EventID", "Channel", "Computer", "Level", "Task", "Opcode", "Keywords", "EventRecordID", "Version"} {
		if v, ok := sys[k]; ok {
			if m, ok := v.(map[string]any); ok { // {"#text": 4688, "#attributes": …}
				v = m["#text"]
			}
			ev[k] = v
		}
	}
	attr := func(k string) map[string]any {
		if p, ok := sys[k].(map[string]any); ok {
			a, _ := p["#attributes"].(map[string]any)
			return a
		}
		return nil
	}
	if a := attr("Provider"); a != nil {
		if n, ok := a["Name"]; ok {
			ev["Provider_Name"] = n
		}
		if n, ok := a["Guid"]; ok {
			ev["Provider_Guid"] = n
		}
	}
	if a := attr("TimeCreated"); a != nil {
		ev["TimeCreated_SystemTime"] = a["SystemTime"]
	}
	if a := attr("Execution"); a != nil {
		ev["Execution_ProcessID"] = a["ProcessID"]
		ev["Execution_ThreadID"] = a["ThreadID"]
	}
	if a := attr("Security"); a != nil {
		ev["Security_UserID"] = a["UserID"]
	}
	return ev
}

// flattenData lifts the members of EventData or UserData to the top level;
// UserData wraps its members in one element named after the event.
func flattenData(ev map[string]any, d map[string]any) {
	for k, v := range d {
		if k == "#attributes" {
			continue
		}
		if m, ok := v.(map[string]any); ok {
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

// cleanValue applies cleanText to the strings of a decoded JSON value.
func cleanValue(v any) any {
	switch x := v.(type) {
	case string:
		return cleanText(x)
	case []any:
		for i := range x {
			x[i] = cleanValue(x[i])
		}
	case map[string]any:
		sanitizeMap(x)
	}
	return v
}

// dropObjects removes members of a native map that are objects: a native
// field is a value (Windows events never hold an object there; a malformed
// one, such as {"#text":{…}} in System, must not pass as a field).
func dropObjects(m map[string]any) {
	for k, v := range m {
		if _, ok := v.(map[string]any); ok {
			delete(m, k)
		}
	}
}

// sanitizeMap applies cleanText to the keys and strings of m in place.
func sanitizeMap(m map[string]any) {
	for k, v := range m {
		if ck := cleanText(k); ck != k {
			delete(m, k)
			m[ck] = cleanValue(v)
			continue
		}
		m[k] = cleanValue(v)
	}
}
