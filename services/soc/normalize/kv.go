package normalize

import (
	"strings"
	"time"
)

// ParseKV reads the key=value pairs of a firewall or appliance log line
// (FortiGate, iptables/pfSense/UFW kernel lines, generic src= dst=).
// Values are either bare (up to the next space or tab) or quoted with '"'
// ("\"" and "\\" are escapes; an unclosed quote runs to the end, as
// truncated FortiGate lines do). Words that are not key=value (iptables
// flags such as DF or SYN, a log prefix) are skipped. A line without any
// pair is an error.
func ParseKV(b []byte) ([]KV, error) {
	if err := checkLen(FormatKV, b); err != nil {
		return nil, err
	}
	s := string(trimFrame(b))
	var out []KV
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		k := kvKeyAt(s, i)
		if k == 0 {
			// a bare word: skip it
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				i++
			}
			continue
		}
		key := s[i : i+k]
		i += k + 1
		var v string
		if i < len(s) && s[i] == '"' {
			v, i = kvQuoted(s, i+1)
		} else {
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' {
				j++
			}
			v, i = s[i:j], j
		}
		if len(out) >= MaxFields {
			return nil, tooLargef(FormatKV, "more than %d key=value pairs", MaxFields)
		}
		out = append(out, KV{Key: key, Value: cleanText(v)})
	}
	if len(out) == 0 {
		return nil, invalidf(FormatKV, -1, "no key=value pairs")
	}
	return out, nil
}

func isKVKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-' || c == ':' || c == '@'
}

// kvKeyAt returns the length of the key of a key=value word at s[i:], or 0.
func kvKeyAt(s string, i int) int {
	j := i
	for j < len(s) && j-i <= 64 && isKVKeyByte(s[j]) {
		j++
	}
	if j > i && j-i <= 64 && j < len(s) && s[j] == '=' {
		return j - i
	}
	return 0
}

// kvQuoted reads a quoted value from after its opening quote; it returns
// the unescaped value and the offset after the closing quote.
func kvQuoted(s string, i int) (string, int) {
	var sb strings.Builder
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
				sb.WriteByte(s[j+1])
				j++
				continue
			}
		case '"':
			return sb.String(), j + 1
		}
		sb.WriteByte(s[j])
	}
	return sb.String(), len(s)
}

// AppendKV appends pairs written as a key=value line that ParseKV reads
// back to the same pairs.
func AppendKV(dst []byte, pairs []KV) []byte {
	for n, p := range pairs {
		if n > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, p.Key...)
		dst = append(dst, '=')
		if p.Value != "" && !strings.ContainsAny(p.Value, " \t\r\n\x00\"\\") {
			dst = append(dst, p.Value...)
			continue
		}
		dst = append(dst, '"')
		for k := 0; k < len(p.Value); k++ {
			if c := p.Value[k]; c == '"' || c == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, p.Value[k])
		}
		dst = append(dst, '"')
	}
	return dst
}

// kvAliases maps lower-cased key names of firewalls and appliances to ECS.
var kvAliases = map[string]string{
	"src": FieldSourceIP, "srcip": FieldSourceIP, "src_ip": FieldSourceIP, "source_ip": FieldSourceIP, "sourceip": FieldSourceIP, "src-ip": FieldSourceIP, "client_ip": FieldSourceIP, "remip": FieldSourceIP,
	"dst": FieldDestIP, "dstip": FieldDestIP, "dst_ip": FieldDestIP, "dest": FieldDestIP, "dest_ip": FieldDestIP, "destip": FieldDestIP, "destination_ip": FieldDestIP, "dst-ip": FieldDestIP, "locip": FieldDestIP,
	"spt": FieldSourcePort, "srcport": FieldSourcePort, "src_port": FieldSourcePort, "sport": FieldSourcePort, "source_port": FieldSourcePort, "sourceport": FieldSourcePort, "src-port": FieldSourcePort, "remport": FieldSourcePort,
	"dpt": FieldDestPort, "dstport": FieldDestPort, "dst_port": FieldDestPort, "dport": FieldDestPort, "dest_port": FieldDestPort, "destport": FieldDestPort, "destination_port": FieldDestPort, "dst-port": FieldDestPort, "locport": FieldDestPort,
	"proto": "network.transport", "protocol": "network.transport", "transport": "network.transport",
	"action": FieldAction, "act": FieldAction, "fw_action": FieldAction, "disposition": FieldAction,
	"user": FieldUserName, "usr": FieldUserName, "username": FieldUserName, "user_name": FieldUserName, "srcuser": FieldUserName, "suser": FieldUserName,
	"devname": "observer.name", "device_name": "observer.name", "devid": "observer.serial_number",
	"msg": FieldMessage, "message": FieldMessage,
	"sentbyte": "source.bytes", "rcvdbyte": "destination.bytes", "bytes_out": "source.bytes", "bytes_in": "destination.bytes",
	"policyid": "rule.id", "policyname": "rule.name", "rule": "rule.name", "rule_id": "rule.id",
	"url": "url.full", "qname": "dns.question.name", "query": "dns.question.name",
	"in": "observer.ingress.interface.name", "srcintf": "observer.ingress.interface.name",
	"out": "observer.egress.interface.name", "dstintf": "observer.egress.interface.name",
	"hostname": "url.domain", "service": "network.protocol", "app": "network.application",
	"direction": "network.direction", "srcmac": "source.mac", "dstmac": "destination.mac",
	"filename": "file.name", "file": "file.name", "filehash": "file.hash",
}

// applyKV maps pairs to ECS fields of ev and keeps them as native fields.
// text is the whole line, searched for the action word of a log prefix
// ("[UFW BLOCK]", "iptables-DROP") when no pair names the action.
func applyKV(ev Event, pairs []KV, text string) {
	var date, clock, tz, etime string
	for _, p := range pairs {
		ev.setNative(p.Key, p.Value)
		lk := strings.ToLower(p.Key)
		switch lk {
		case "date":
			date = p.Value
			continue
		case "time":
			clock = p.Value
			continue
		case "tz":
			tz = p.Value
			continue
		case "eventtime", "timestamp", "rt":
			etime = p.Value
			continue
		}
		name, ok := kvAliases[lk]
		if !ok {
			continue
		}
		if _, done := ev.Fields[name]; done && name != FieldMessage {
			continue // the first spelling wins
		}
		switch name {
		case FieldSourceIP, FieldDestIP:
			ev.setIP(name, p.Value)
		case FieldSourcePort, FieldDestPort:
			ev.setPort(name, p.Value)
		case "source.bytes", "destination.bytes":
			ev.setInt(name, p.Value)
		case "network.transport":
			ev.set(name, transportName(p.Value))
		case "file.hash":
			setHash(ev, "file.hash.", p.Value)
		case "network.direction":
			ev.set(name, directionName(p.Value))
		default:
			ev.set(name, p.Value)
		}
	}
	if t, ok := deviceTime(etime); ok {
		ev.Fields[FieldTimestamp] = t
	} else if date != "" && clock != "" {
		if t, ok := deviceTime(date + " " + clock + tzSuffix(tz)); ok {
			ev.Fields[FieldTimestamp] = t
		}
	}
	if _, ok := ev.Fields[FieldSourceIP]; ok {
		ev.addCategory("network")
		ev.addType("connection")
	}
	action := ev.String(FieldAction)
	if action == "" {
		action = prefixAction(text)
	}
	switch firewallVerdict(action) {
	case "allowed":
		ev.addType("allowed")
		ev.Fields[FieldOutcome] = "success"
	case "denied":
		ev.addType("denied")
		ev.Fields[FieldOutcome] = "failure"
	}
}

func tzSuffix(tz string) string {
	tz = strings.TrimSpace(tz)
	if len(tz) == 5 && (tz[0] == '+' || tz[0] == '-') {
		return " " + tz
	}
	return ""
}

// firewallVerdict sorts an action word into allowed and denied.
func firewallVerdict(a string) string {
	switch strings.ToLower(a) {
	case "accept", "accepted", "allow", "allowed", "pass", "passed", "permit", "permitted", "close", "start", "server-rst", "client-rst", "timeout":
		return "allowed"
	case "deny", "denied", "drop", "dropped", "block", "blocked", "reject", "rejected", "reset", "ip-conn", "blackhole":
		return "denied"
	}
	return ""
}

// prefixAction finds the verdict word in a kernel log prefix.
func prefixAction(text string) string {
	end := len(text)
	if i := strings.Index(text, "IN="); i >= 0 {
		end = i
	}
	p := strings.ToUpper(text[:end])
	for _, w := range []string{"BLOCK", "DROP", "REJECT", "DENY"} {
		if strings.Contains(p, w) {
			return "block"
		}
	}
	for _, w := range []string{"ALLOW", "ACCEPT", "PASS"} {
		if strings.Contains(p, w) {
			return "allow"
		}
	}
	return ""
}

var ipProtocols = map[string]string{"1": "icmp", "6": "tcp", "17": "udp", "47": "gre", "50": "esp", "51": "ah", "58": "ipv6-icmp", "132": "sctp"}

// transportName gives the IANA keyword of a protocol, lower case.
func transportName(p string) string {
	if n, ok := ipProtocols[strings.TrimSpace(p)]; ok {
		return n
	}
	return strings.ToLower(strings.TrimSpace(p))
}

func directionName(d string) string {
	switch strings.ToLower(d) {
	case "in", "inbound", "incoming", "ingress", "0":
		return "ingress"
	case "out", "outbound", "outgoing", "egress", "1":
		return "egress"
	}
	return strings.ToLower(d)
}

// setHash stores a hash under the ECS algorithm name its length gives.
func setHash(ev Event, prefix, h string) {
	h = strings.TrimSpace(h)
	for _, c := range []byte(h) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return
		}
	}
	switch len(h) {
	case 32:
		ev.Fields[prefix+"md5"] = strings.ToLower(h)
	case 40:
		ev.Fields[prefix+"sha1"] = strings.ToLower(h)
	case 64:
		ev.Fields[prefix+"sha256"] = strings.ToLower(h)
	case 128:
		ev.Fields[prefix+"sha512"] = strings.ToLower(h)
	}
}

// Layouts of device times, split by whether they begin with a digit so
// that a time is not tried against layouts that cannot fit (each failed
// time.Parse allocates an error).
var (
	numericTimeLayouts = []string{
		time.RFC3339Nano,
		"2006-01-02 15:04:05 -0700",
		"2006-01-02 15:04:05",
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05.999999999",
		"2006/01/02 15:04:05",
	}
	monthTimeLayouts = []string{
		"Jan 2 2006 15:04:05",
		"Jan 2 2006 15:04:05.000",
		"Jan 2 2006 15:04:05 MST",
		"Jan 2 2006 15:04:05.000 MST",
		"Jan 2 2006 15:04:05 -0700",
	}
)

// deviceTime reads a device's time (see deviceTimeAny) and keeps it only
// within years 1 to 9999, which every consumer of @timestamp (JSON,
// RFC 3339, the databases) can represent.
func deviceTime(s string) (time.Time, bool) {
	t, ok := deviceTimeAny(s)
	if !ok || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// deviceTimeAny reads the time formats devices put in their own fields:
// epoch seconds, milliseconds, microseconds or nanoseconds (told apart by
// their number of digits), RFC 3339, and the CEF/ArcSight layouts. Times
// without a zone are UTC.
func deviceTimeAny(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	if n, ok := parseInt(s); ok && !strings.HasPrefix(s, "0x") {
		switch {
		case len(s) <= 10:
			return time.Unix(n, 0).UTC(), true
		case len(s) <= 13:
			return time.UnixMilli(n).UTC(), true
		case len(s) <= 16:
			return time.UnixMicro(n).UTC(), true
		default:
			return time.Unix(0, n).UTC(), true
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	layouts := monthTimeLayouts
	if isDigit(s[0]) {
		layouts = numericTimeLayouts
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
