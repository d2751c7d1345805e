package normalize

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// Normalize parses one message of the given format (FormatAuto to detect
// it) into an Event. received is the time the message arrived; it becomes
// @timestamp when the message carries no time of its own.
//
// Detection, for FormatAuto: a JSON object goes to ParseJSON (EVTX layout,
// Winlogbeat or generic); "<PRI>" to the syslog parsers, after which the
// message body is read as CEF, a Linux auth message (by the program name),
// key=value pairs or JSON when it is one; "CEF:" to ParseCEF; a line that
// begins with a BSD time ("Nov 26 04:01:58 host sshd[1]: …", as in
// /var/log/auth.log) as RFC 3164 without PRI; a line of key=value pairs to
// ParseKV; anything else becomes a plain message event.
//
// A hint narrows the parsers tried: FormatRFC5424 and FormatRFC3164 both
// mean syslog (either version; the body is still read as above), FormatJSON,
// FormatWinlogbeat and FormatEVTX all mean a JSON object (its layout is
// still detected), FormatCEF takes CEF with or without a syslog header,
// FormatAuth a syslog message or a log file line, FormatPlain keeps the text.
//
// On error no Event is returned; keep the message with Fallback.
func Normalize(raw []byte, hint Format, received time.Time) (Event, error) {
	if err := checkLen(FormatAuto, raw); err != nil {
		return Event{}, err
	}
	body := bytes.TrimLeft(trimFrame(raw), " \t\r\n")
	if len(body) == 0 {
		return Event{}, invalidf(hint, 0, "empty message")
	}
	switch hint {
	case FormatAuto:
	case FormatRFC5424, FormatRFC3164:
		return normalizeSyslog(raw, body, received)
	case FormatCEF:
		if i := cefStart(string(body)); i > 0 && body[0] == '<' {
			return normalizeSyslog(raw, body, received)
		}
		return normalizeCEF(raw, body, received)
	case FormatJSON, FormatWinlogbeat, FormatEVTX:
		return ParseJSON(body, received)
	case FormatKV:
		return normalizeKV(raw, body, received)
	case FormatAuth:
		if body[0] == '<' {
			return normalizeSyslog(raw, body, received)
		}
		if _, _, ok := bsdTime(body, received); ok {
			return normalizeBSDLine(raw, body, received)
		}
		return Event{}, invalidf(FormatAuth, 0, "an auth log line must begin with a syslog header or a BSD time")
	case FormatPlain:
		return plain(raw, received), nil
	default:
		return Event{}, opsward.FieldErrorf("format", "unknown format %q", hint)
	}
	switch {
	case body[0] == '{':
		return ParseJSON(body, received)
	case body[0] == '<' && len(body) > 1 && isDigit(body[1]):
		return normalizeSyslog(raw, body, received)
	case bytes.HasPrefix(body, []byte("CEF:")):
		return normalizeCEF(raw, body, received)
	}
	if _, _, ok := bsdTime(body, received); ok {
		return normalizeBSDLine(raw, body, received)
	}
	if looksKV(string(body)) {
		return normalizeKV(raw, body, received)
	}
	return plain(raw, received), nil
}

func plain(raw []byte, received time.Time) Event {
	raw = trimFrame(raw)
	ev := newEvent(FormatPlain, raw, received)
	ev.Fields[FieldMessage] = cleanText(string(raw))
	return ev
}

func normalizeSyslog(raw, body []byte, received time.Time) (Event, error) {
	m, err := ParseSyslogAt(body, received)
	if err != nil {
		return Event{}, err
	}
	return FromSyslog(m, raw, received), nil
}

// normalizeBSDLine reads a syslog line as written to a file (no PRI). It
// gets RFC 3164's default priority for a message without one, user.notice.
func normalizeBSDLine(raw, body []byte, received time.Time) (Event, error) {
	m := Syslog{Format: FormatRFC3164, Priority: 13, Facility: 1, Severity: 5}
	parse3164(&m, body, 0, received)
	return FromSyslog(m, raw, received), nil
}

func normalizeCEF(raw, body []byte, received time.Time) (Event, error) {
	c, err := ParseCEF(body)
	if err != nil {
		return Event{}, err
	}
	ev := newEvent(FormatCEF, trimFrame(raw), received)
	applyCEF(ev, c)
	return ev, ev.checkSize(FormatCEF)
}

func normalizeKV(raw, body []byte, received time.Time) (Event, error) {
	pairs, err := ParseKV(body)
	if err != nil {
		return Event{}, err
	}
	ev := newEvent(FormatKV, trimFrame(raw), received)
	applyKV(ev, pairs, string(body))
	if _, ok := ev.Fields[FieldMessage]; !ok {
		ev.Fields[FieldMessage] = cleanText(string(body))
	}
	return ev, ev.checkSize(FormatKV)
}

// cefStart returns the offset of "CEF:<digit>" in s when it begins s or
// follows a space within the first 512 bytes (a tag or prefix some
// senders write before it), or -1.
func cefStart(s string) int {
	lim := s
	if len(lim) > 512 {
		lim = lim[:512]
	}
	off := 0
	for {
		i := strings.Index(lim[off:], "CEF:")
		if i < 0 {
			return -1
		}
		i += off
		if (i == 0 || s[i-1] == ' ') && i+4 < len(s) && isDigit(s[i+4]) {
			return i
		}
		off = i + 4
	}
}

// looksKV reports whether s reads as a key=value log line: at least three
// pairs, or two of which one is a known firewall key. Prose that mentions
// one "x=y" stays a plain message.
func looksKV(s string) bool {
	pairs, known := 0, false
	i := 0
	for i < len(s) && pairs < 3 {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if k := kvKeyAt(s, i); k > 0 {
			pairs++
			if _, ok := kvAliases[strings.ToLower(s[i:i+k])]; ok {
				known = true
			}
		}
		inQuote := false
		for i < len(s) && (inQuote || (s[i] != ' ' && s[i] != '\t')) {
			if s[i] == '"' {
				inQuote = !inQuote
			} else if s[i] == '\\' {
				i++
			}
			i++
		}
	}
	return pairs >= 3 || (pairs == 2 && known)
}

// FromSyslog builds the Event of a parsed syslog message: the header as
// log.syslog.*, host.*, process.* and @timestamp, and the message body read
// as CEF, a Linux auth message, a pfSense filterlog line, JSON or
// key=value pairs when it is one. A
// body that looks like one of those but does not parse leaves the syslog
// event as it is, with the body's error in error.message (see ParseError).
// raw is the message as received, kept as event.original.
func FromSyslog(m Syslog, raw []byte, received time.Time) Event {
	ev := newEvent(m.Format, trimFrame(raw), received)
	if !m.Timestamp.IsZero() {
		ev.Fields[FieldTimestamp] = m.Timestamp
	}
	ev.Fields["log.syslog.priority"] = int64(m.Priority)
	ev.Fields["log.syslog.facility.code"] = int64(m.Facility)
	ev.Fields["log.syslog.severity.code"] = int64(m.Severity)
	ev.set("log.syslog.facility.name", m.FacilityName())
	ev.set("log.syslog.severity.name", m.SeverityName())
	if m.Version > 0 {
		ev.Fields["log.syslog.version"] = strconv.Itoa(m.Version)
	}
	ev.set("log.syslog.hostname", m.Hostname)
	ev.set("log.syslog.appname", m.AppName)
	ev.set("log.syslog.procid", m.ProcID)
	ev.set("log.syslog.msgid", m.MsgID)
	ev.set(FieldHostName, m.Hostname)
	ev.set("host.hostname", m.Hostname)
	ev.set("process.name", m.AppName)
	ev.setInt("process.pid", m.ProcID)
	for _, e := range m.StructuredData {
		for _, p := range e.Params {
			k := "log.syslog.structured_data." + e.ID + "." + p.Name
			if _, dup := ev.Fields[k]; !dup && len(ev.Fields) < MaxFields {
				ev.Fields[k] = p.Value
			}
		}
	}
	ev.set(FieldMessage, m.Message)
	body := m.Message
	program := programName(m.AppName)
	switch {
	case cefStart(body) >= 0:
		c, err := ParseCEF([]byte(body[cefStart(body):]))
		if err != nil {
			ev.Fields[FieldErrorMsg] = opsward.ErrorMessage(err)
			break
		}
		ev.Format = FormatCEF
		delete(ev.Fields, FieldMessage)
		applyCEF(ev, c)
	case program == "filterlog":
		if applyFilterlog(ev, body) {
			ev.Format = FormatFilterlog
		}
	case authPrograms[program] || strings.HasPrefix(body, "pam_"):
		if f, ok := ParseAuth(program, body); ok {
			ev.Format = FormatAuth
			for k, v := range f {
				ev.Fields[k] = v
			}
		}
	case strings.HasPrefix(body, "{"):
		j, err := ParseJSON([]byte(body), received)
		if err != nil {
			ev.Fields[FieldErrorMsg] = opsward.ErrorMessage(err)
			break
		}
		ev.Format = j.Format
		ev.Native = j.Native
		for k, v := range j.Fields {
			if _, ok := ev.Fields[k]; ok && k != FieldTimestamp && k != FieldMessage && k != "host.name" {
				continue // the syslog header's own fields stay
			}
			if k == FieldTimestamp && !m.Timestamp.IsZero() && j.Time().Equal(received.UTC()) {
				continue // the JSON had no time: keep the header's
			}
			ev.Fields[k] = v
		}
		ev.Fields[FieldOriginal] = string(trimFrame(raw))
		ev.Fields[FieldIngested] = received.UTC()
	case looksKV(body):
		pairs, err := ParseKV([]byte(body))
		if err != nil {
			break
		}
		ev.Format = FormatKV
		applyKV(ev, pairs, body)
	}
	// A firewall or appliance that sends CEF or key=value lines is the
	// observer of the traffic it reports.
	if _, ok := ev.Fields["observer.hostname"]; !ok && (ev.Format == FormatCEF || ev.Format == FormatKV || ev.Format == FormatFilterlog) {
		ev.set("observer.hostname", m.Hostname)
	}
	return ev
}

// ParseError returns the error.message of an event kept after a parse
// failure, or "".
func (e Event) ParseError() string {
	s, _ := e.Fields[FieldErrorMsg].(string)
	return s
}
