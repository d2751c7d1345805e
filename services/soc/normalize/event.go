package normalize

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// Limits on what one message may hold. They bound the memory and time one
// message from a device can cost, whoever sends it.
const (
	// MaxMessageSize is the largest input, in bytes, any parser accepts.
	MaxMessageSize = 64 << 10
	// MaxDepth is the deepest nesting of JSON objects and arrays accepted.
	MaxDepth = 32
	// MaxFields is the most fields one map of an Event (ECS or native) may
	// hold, and the most key=value pairs, CEF extensions or structured
	// data parameters one message may carry.
	MaxFields = 512
)

// Format names an input format.
type Format string

const (
	// FormatAuto asks Normalize to detect the format.
	FormatAuto    Format = ""
	FormatRFC5424 Format = "rfc5424"
	FormatRFC3164 Format = "rfc3164"
	FormatCEF     Format = "cef"
	FormatKV      Format = "kv"
	FormatAuth    Format = "linux_auth"
	FormatJSON    Format = "json"
	// FormatWinlogbeat is a Winlogbeat document (winlog.event_id, winlog.event_data.*).
	FormatWinlogbeat Format = "winlogbeat"
	// FormatEVTX is a Windows event in the EVTX-to-JSON layout
	// ({"Event":{"System":{…},"EventData":{…}}}).
	FormatEVTX Format = "evtx"
	// FormatPlain is a message no parser understood, kept as text.
	FormatPlain Format = "plain"
)

// Frequently used ECS field names.
const (
	FieldTimestamp  = "@timestamp"
	FieldOriginal   = "event.original"
	FieldMessage    = "message"
	FieldCategory   = "event.category"
	FieldAction     = "event.action"
	FieldOutcome    = "event.outcome"
	FieldIngested   = "event.ingested"
	FieldErrorMsg   = "error.message"
	FieldSourceIP   = "source.ip"
	FieldSourcePort = "source.port"
	FieldDestIP     = "destination.ip"
	FieldDestPort   = "destination.port"
	FieldUserName   = "user.name"
	FieldHostName   = "host.name"
)

// Event is one normalised security event.
//
// Fields holds ECS names. Values are string, int64 (ports, pids, sizes,
// severities), bool, float64 (numbers from JSON that ECS does not type),
// []string (event.category, event.type, dns.resolved_ip), time.Time
// (@timestamp, event.ingested, event.start, event.end: always UTC, years 1
// to 9999), and, from JSON input only, []any (arrays, kept whole with any
// objects in them) and nil (null). Strings are valid UTF-8 without NUL.
// "@timestamp" is always set.
// "event.original" holds the input as received (as text: invalid UTF-8
// and NUL bytes, which text columns refuse, become U+FFFD).
//
// Native holds the source's own names (see the package documentation);
// for Windows events it is the Sigma field map. It is empty (not nil) for
// formats without native names of their own (syslog, auth, plain, generic
// JSON, whose own names are the Fields).
type Event struct {
	// Format is the innermost format understood: a CEF message carried in
	// syslog is FormatCEF, with the syslog header in the log.syslog.* fields.
	Format Format
	Fields map[string]any
	Native map[string]any
}

func newEvent(f Format, raw []byte, received time.Time) Event {
	// A syslog event has about 20 fields: sized once, the map does not
	// grow (and copy) several times per message.
	fields := make(map[string]any, 24)
	fields[FieldOriginal] = cleanText(string(raw))
	fields[FieldTimestamp] = received.UTC()
	fields[FieldIngested] = received.UTC()
	return Event{Format: f, Native: map[string]any{}, Fields: fields}
}

// Time returns @timestamp.
func (e Event) Time() time.Time {
	t, _ := e.Fields[FieldTimestamp].(time.Time)
	return t
}

// String returns the ECS field name as text, or "" when it is absent.
// Numbers are formatted in decimal; lists are joined with ",".
func (e Event) String(name string) string {
	return toText(e.Fields[name])
}

// Categories returns event.category.
func (e Event) Categories() []string {
	c, _ := e.Fields[FieldCategory].([]string)
	return c
}

func toText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []string:
		return strings.Join(x, ",")
	default:
		return fmt.Sprint(x)
	}
}

// set stores a non-empty text value; "-" (the "none" of many log formats) is
// treated as empty.
func (e Event) set(name, v string) {
	if v == "" || v == "-" {
		return
	}
	e.Fields[name] = v
}

// setInt stores v when it is a decimal (or 0x hex) integer.
func (e Event) setInt(name, v string) {
	if n, ok := parseInt(v); ok {
		e.Fields[name] = n
	}
}

// setPort stores a TCP/UDP port when v is one (1..65535).
func (e Event) setPort(name, v string) {
	if n, ok := parseInt(v); ok && n > 0 && n <= 65535 {
		e.Fields[name] = n
	}
}

// setIP stores v when it is an IP address (a bracketed or zoned one too).
func (e Event) setIP(name, v string) {
	if ip, ok := parseIP(v); ok {
		e.Fields[name] = ip
	}
}

func (e Event) addCategory(c ...string) { e.addList(FieldCategory, c...) }
func (e Event) addType(t ...string)     { e.addList("event.type", t...) }

func (e Event) addList(name string, vs ...string) {
	l, _ := e.Fields[name].([]string)
outer:
	for _, v := range vs {
		for _, x := range l {
			if x == v {
				continue outer
			}
		}
		l = append(l, v)
	}
	e.Fields[name] = l
}

// setNative stores a native field; newEvent allocated the map (a method
// on a value cannot).
func (e Event) setNative(k string, v any) {
	e.Native[k] = v
}

func (e Event) checkSize(f Format) error {
	if len(e.Fields) > MaxFields+32 || len(e.Native) > MaxFields {
		return invalidf(f, -1, "more than %d fields", MaxFields)
	}
	return nil
}

// ErrTooLarge is in the chain of the errors returned for input over a
// limit (size, nesting, number of fields), so that callers can count
// those apart: errors.Is(err, ErrTooLarge).
var ErrTooLarge = errors.New("input over limit")

// invalidf builds the error every parser returns: which format, where (a
// byte offset, or -1 when the fault is not at one place) and what.
func invalidf(f Format, at int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if at >= 0 {
		msg = fmt.Sprintf("%s: at byte %d: %s", f, at, msg)
	} else {
		msg = fmt.Sprintf("%s: %s", f, msg)
	}
	return opsward.Errorf(opsward.EINVALID, "%s", msg)
}

func tooLargef(f Format, format string, args ...any) error {
	e := opsward.Errorf(opsward.EINVALID, "%s: %s", f, fmt.Sprintf(format, args...))
	e.Err = ErrTooLarge
	return e
}

func checkLen(f Format, b []byte) error {
	if len(b) > MaxMessageSize {
		return tooLargef(f, "message of %d bytes is over the limit of %d bytes", len(b), MaxMessageSize)
	}
	return nil
}

// Fallback builds the event kept for input no parser understood (or that
// failed to parse): the text as message and event.original, the receive
// time, and the parse error in error.message. Input over MaxMessageSize is
// cut to that size so that the event stays bounded; event.original then
// ends where the cut is and the error says so.
func Fallback(raw []byte, received time.Time, err error) Event {
	if len(raw) > MaxMessageSize {
		raw = raw[:MaxMessageSize]
	}
	raw = trimFrame(raw)
	ev := newEvent(FormatPlain, raw, received)
	ev.Fields[FieldMessage] = cleanText(string(raw))
	if err != nil {
		ev.Fields[FieldErrorMsg] = opsward.ErrorMessage(err)
	}
	return ev
}

// trimFrame drops the line ending and NUL padding some senders add.
func trimFrame(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\n', '\r', 0:
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}
