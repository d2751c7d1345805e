package normalize

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Syslog is one parsed syslog message, RFC 5424 or RFC 3164.
type Syslog struct {
	// Format is FormatRFC5424 or FormatRFC3164.
	Format   Format
	Priority int // 0..191: Facility*8 + Severity
	Facility int
	Severity int
	// Version is 1 for RFC 5424 and 0 for RFC 3164.
	Version int
	// Timestamp is in UTC; it is zero when the message carries none (the
	// RFC 5424 nil value "-", or an RFC 3164 header without a time).
	Timestamp time.Time
	Hostname  string
	AppName   string // the RFC 3164 TAG
	ProcID    string // the RFC 3164 [pid]
	MsgID     string
	// StructuredData keeps the SD elements in the order sent (RFC 5424).
	StructuredData []SDElement
	Message        string
	// BOM is true when the RFC 5424 MSG began with a UTF-8 byte order mark
	// (removed from Message).
	BOM bool
}

// SDElement is one RFC 5424 structured data element.
type SDElement struct {
	ID     string
	Params []SDParam
}

// SDParam is one PARAM-NAME="PARAM-VALUE" of an SD element, unescaped.
type SDParam struct {
	Name, Value string
}

// SDParam returns the first value of param name in the first element with
// the given SD-ID.
func (s Syslog) SDParam(id, name string) (string, bool) {
	for _, e := range s.StructuredData {
		if e.ID != id {
			continue
		}
		for _, p := range e.Params {
			if p.Name == name {
				return p.Value, true
			}
		}
		return "", false
	}
	return "", false
}

// RFC 5424 header field limits (section 6).
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
	maxSDName   = 32
	// maxTag bounds an RFC 3164 TAG. The RFC says 32; real programs send
	// longer names (systemd units), so RFC 5424's APP-NAME limit is used:
	// a BSD message can then always be rewritten as RFC 5424.
	maxTag = maxAppName
)

var facilityNames = [...]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
var severityNames = [...]string{"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"}

// ParseSyslog parses an RFC 5424 or RFC 3164 message, telling them apart by
// the version number after PRI. An RFC 3164 time has no year; it is taken
// to be in the current year (or the last one, for a December message seen
// in January) and in UTC. Use ParseSyslogAt to give the receive time.
func ParseSyslog(b []byte) (Syslog, error) {
	return ParseSyslogAt(b, time.Now())
}

// ParseSyslogAt is ParseSyslog with the receive time used to complete RFC
// 3164 times that carry no year.
func ParseSyslogAt(b []byte, received time.Time) (Syslog, error) {
	if err := checkLen(FormatRFC5424, b); err != nil {
		return Syslog{}, err
	}
	b = trimFrame(b)
	var m Syslog
	pri, i, err := parsePRI(b)
	if err != nil {
		return Syslog{}, err
	}
	m.Priority, m.Facility, m.Severity = pri, pri/8, pri%8
	// RFC 5424: a version (1*3 digits, no leading zero) and a space. An
	// RFC 3164 header continues with a month name, an ISO year ("2026-")
	// or free text, never digits and a space.
	j := i
	for j < len(b) && j-i < 3 && isDigit(b[j]) {
		j++
	}
	if j > i && j < len(b) && b[j] == ' ' && b[i] != '0' {
		v, _ := strconv.Atoi(string(b[i:j]))
		if v != 1 {
			return Syslog{}, invalidf(FormatRFC5424, i, "syslog protocol version %d is not supported (only 1)", v)
		}
		m.Version = 1
		m.Format = FormatRFC5424
		err = parse5424(&m, b, j+1)
		return m, err
	}
	m.Format = FormatRFC3164
	parse3164(&m, b, i, received)
	return m, nil
}

// parsePRI reads "<N>" and returns N and the offset after '>'.
func parsePRI(b []byte) (int, int, error) {
	if len(b) == 0 {
		return 0, 0, invalidf(FormatRFC5424, 0, "empty message")
	}
	if b[0] != '<' {
		return 0, 0, invalidf(FormatRFC5424, 0, "PRI must begin with '<', found %q", b[0])
	}
	n, i := 0, 1
	for i < len(b) && isDigit(b[i]) && i <= 3 {
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == 1 {
		return 0, 0, invalidf(FormatRFC5424, 1, "PRI must hold 1 to 3 digits")
	}
	if i >= len(b) || b[i] != '>' {
		return 0, 0, invalidf(FormatRFC5424, i, "PRI must end with '>' after at most 3 digits")
	}
	if n > 191 {
		return 0, 0, invalidf(FormatRFC5424, 1, "PRI %d is over 191", n)
	}
	return n, i + 1, nil
}

// field reads a header field of RFC 5424 up to the next space: printable
// US-ASCII, at most max bytes; "-" is the nil value and yields "".
func field5424(b []byte, i int, name string, max int) (string, int, error) {
	j := i
	for j < len(b) && b[j] != ' ' {
		if b[j] < 33 || b[j] > 126 {
			return "", 0, invalidf(FormatRFC5424, j, "%s holds a byte (%#02x) that is not printable US-ASCII", name, b[j])
		}
		j++
	}
	if j == i {
		return "", 0, invalidf(FormatRFC5424, i, "%s is empty (use \"-\" for none)", name)
	}
	if j-i > max {
		return "", 0, invalidf(FormatRFC5424, i, "%s is longer than %d bytes", name, max)
	}
	if j >= len(b) {
		return "", 0, invalidf(FormatRFC5424, j, "message ends after %s", name)
	}
	s := string(b[i:j])
	if s == "-" {
		s = ""
	}
	return s, j + 1, nil
}

func parse5424(m *Syslog, b []byte, i int) error {
	ts, i, err := field5424(b, i, "TIMESTAMP", 64)
	if err != nil {
		return err
	}
	if ts != "" {
		t, ok := parseTimestamp(ts)
		if !ok {
			return invalidf(FormatRFC5424, i-len(ts)-1, "TIMESTAMP %q is not an RFC 3339 time (YYYY-MM-DDThh:mm:ss[.ffffff] and Z or ±hh:mm, years 0001 to 9999 in UTC)", ts)
		}
		m.Timestamp = t
	}
	if m.Hostname, i, err = field5424(b, i, "HOSTNAME", maxHostname); err != nil {
		return err
	}
	if m.AppName, i, err = field5424(b, i, "APP-NAME", maxAppName); err != nil {
		return err
	}
	if m.ProcID, i, err = field5424(b, i, "PROCID", maxProcID); err != nil {
		return err
	}
	// MSGID is the last field before SD, which may end the message.
	if m.MsgID, i, err = field5424(b, i, "MSGID", maxMsgID); err != nil {
		return err
	}
	if i >= len(b) {
		return invalidf(FormatRFC5424, i, "STRUCTURED-DATA is missing (use \"-\" for none)")
	}
	if b[i] == '-' {
		i++
	} else if b[i] == '[' {
		if m.StructuredData, i, err = parseSD(b, i); err != nil {
			return err
		}
	} else {
		return invalidf(FormatRFC5424, i, "STRUCTURED-DATA must be \"-\" or begin with '['")
	}
	if i == len(b) {
		return nil
	}
	if b[i] != ' ' {
		return invalidf(FormatRFC5424, i, "a space must separate STRUCTURED-DATA from MSG")
	}
	msg := b[i+1:]
	if bytes.HasPrefix(msg, bom) {
		m.BOM = true
		msg = msg[len(bom):]
	}
	m.Message = cleanText(string(msg))
	return nil
}

var bom = []byte{0xEF, 0xBB, 0xBF}

func parseSD(b []byte, i int) ([]SDElement, int, error) {
	var out []SDElement
	nparams := 0
	for i < len(b) && b[i] == '[' {
		i++
		var e SDElement
		var err error
		if e.ID, i, err = sdName(b, i, "SD-ID"); err != nil {
			return nil, 0, err
		}
		for {
			if i >= len(b) {
				return nil, 0, invalidf(FormatRFC5424, i, "SD element %q is not closed with ']'", e.ID)
			}
			if b[i] == ']' {
				i++
				break
			}
			if b[i] != ' ' {
				return nil, 0, invalidf(FormatRFC5424, i, "in SD element %q: expected a space or ']', found %q", e.ID, b[i])
			}
			i++
			var p SDParam
			if p.Name, i, err = sdName(b, i, "PARAM-NAME"); err != nil {
				return nil, 0, err
			}
			if i+1 >= len(b) || b[i] != '=' || b[i+1] != '"' {
				return nil, 0, invalidf(FormatRFC5424, i, "SD param %q must be followed by =\"", p.Name)
			}
			if p.Value, i, err = sdValue(b, i+2); err != nil {
				return nil, 0, err
			}
			if nparams++; nparams > MaxFields {
				return nil, 0, tooLargef(FormatRFC5424, "more than %d structured data params", MaxFields)
			}
			e.Params = append(e.Params, p)
		}
		out = append(out, e)
	}
	return out, i, nil
}

// sdName reads an SD-NAME: 1 to 32 printable US-ASCII bytes except
// '=', ' ', ']' and '"'.
func sdName(b []byte, i int, what string) (string, int, error) {
	j := i
	for j < len(b) {
		c := b[j]
		if c == '=' || c == ' ' || c == ']' || c == '"' {
			break
		}
		if c < 33 || c > 126 {
			return "", 0, invalidf(FormatRFC5424, j, "%s holds a byte (%#02x) that is not printable US-ASCII", what, c)
		}
		j++
	}
	if j == i {
		return "", 0, invalidf(FormatRFC5424, i, "%s is empty", what)
	}
	if j-i > maxSDName {
		return "", 0, invalidf(FormatRFC5424, i, "%s is longer than %d bytes", what, maxSDName)
	}
	return string(b[i:j]), j, nil
}

// sdValue reads a PARAM-VALUE after its opening quote up to and past the
// closing one. '\"', '\\' and '\]' are escapes; a backslash before any
// other byte is kept, as RFC 5424 section 6.3.3 says.
func sdValue(b []byte, i int) (string, int, error) {
	start := i
	var sb []byte // only allocated when there is an escape
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '\\':
			if j+1 < len(b) && (b[j+1] == '"' || b[j+1] == '\\' || b[j+1] == ']') {
				if sb == nil {
					sb = make([]byte, 0, j-start+16)
				}
				sb = append(sb, b[i:j]...)
				sb = append(sb, b[j+1])
				j++
				i = j + 1
			}
		case '"':
			if sb == nil {
				return cleanText(string(b[start:j])), j + 1, nil
			}
			sb = append(sb, b[i:j]...)
			return cleanText(string(sb)), j + 1, nil
		}
	}
	return "", 0, invalidf(FormatRFC5424, start-1, "PARAM-VALUE is not closed with '\"'")
}

// parse3164 reads a BSD syslog header leniently: RFC 3164 says a relay
// must accept anything after PRI, so whatever is not a time, a host and a
// tag stays in the message.
func parse3164(m *Syslog, b []byte, i int, received time.Time) {
	rest := b[i:]
	if t, n, ok := bsdTime(rest, received); ok {
		m.Timestamp = t
		rest = rest[n:]
		// Cisco writes "Mar  1 00:00:00.000: %SYS-…".
		if len(rest) > 0 && rest[0] == ':' {
			rest = rest[1:]
		}
		rest = bytes.TrimLeft(rest, " ")
		// HOSTNAME, unless the next word is already the tag (messages
		// written to a local socket carry no host) or a CEF/LEEF payload.
		if w := word(rest); len(w) > 0 && !looksLikeTag(w) && !isPayloadStart(rest) && printASCII(string(w)) && len(w) <= maxHostname {
			m.Hostname = string(w)
			rest = bytes.TrimLeft(rest[len(w):], " ")
		}
	}
	if !isPayloadStart(rest) {
		if tag, pid, n, ok := bsdTag(rest); ok {
			m.AppName, m.ProcID = tag, pid
			rest = rest[n:]
		}
	}
	// "-" is what some senders write for an unknown host or pid; it is
	// also RFC 5424's nil value, so it means none here too.
	for _, f := range []*string{&m.Hostname, &m.AppName, &m.ProcID} {
		if *f == "-" {
			*f = ""
		}
	}
	if bytes.HasPrefix(rest, bom) {
		m.BOM = true
		rest = rest[len(bom):]
	}
	m.Message = cleanText(string(rest))
}

func word(b []byte) []byte {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i]
	}
	return b
}

func looksLikeTag(w []byte) bool {
	return len(w) > 1 && w[len(w)-1] == ':' || bytes.HasSuffix(w, []byte("]:"))
}

func isPayloadStart(b []byte) bool {
	return bytes.HasPrefix(b, []byte("CEF:")) || bytes.HasPrefix(b, []byte("LEEF:"))
}

// bsdTag reads "tag: ", "tag[pid]: " or "tag[pid] " at the start of b.
func bsdTag(b []byte) (tag, pid string, n int, ok bool) {
	j := 0
	for j < len(b) && j <= maxTag {
		c := b[j]
		if c == ':' || c == '[' || c == ' ' || c < 33 || c > 126 {
			break
		}
		j++
	}
	if j == 0 || j > maxTag || j >= len(b) {
		return "", "", 0, false
	}
	tag = string(b[:j])
	if b[j] == '[' {
		k := bytes.IndexByte(b[j:], ']')
		if k < 0 || k > maxProcID+1 {
			return "", "", 0, false
		}
		pid = string(b[j+1 : j+k])
		if !printASCII(pid) {
			return "", "", 0, false
		}
		j += k + 1
		if j < len(b) && b[j] == ':' {
			j++
		} else if j < len(b) && b[j] != ' ' {
			return "", "", 0, false
		}
	} else if b[j] == ':' {
		j++
	} else {
		return "", "", 0, false
	}
	if j < len(b) && b[j] == ' ' {
		j++
	}
	return tag, pid, j, true
}

var months = map[string]time.Month{"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}

// bsdTime reads the time at the start of an RFC 3164 header:
// "Mmm dd hh:mm:ss", "Mmm  d hh:mm:ss", with ".fff" fractions, with the
// year ("Mmm dd yyyy hh:mm:ss", as Cisco and some appliances send) and
// with a leading '*' or '.' (Cisco's unsynchronised clock marks); or an
// RFC 3339 time, which rsyslog and syslog-ng write in BSD-style headers.
func bsdTime(b []byte, received time.Time) (time.Time, int, bool) {
	if len(b) >= 5 && isDigit(b[0]) && isDigit(b[1]) && isDigit(b[2]) && isDigit(b[3]) && b[4] == '-' {
		w := word(b)
		t, ok := parseTimestamp(string(w))
		if !ok {
			return time.Time{}, 0, false
		}
		return t, len(w), true
	}
	i := 0
	if len(b) > 0 && (b[0] == '*' || b[0] == '.') {
		i++
	}
	if len(b) < i+15 {
		return time.Time{}, 0, false
	}
	mon, ok := months[string(b[i:i+3])]
	if !ok || b[i+3] != ' ' {
		return time.Time{}, 0, false
	}
	i += 4
	if b[i] == ' ' {
		i++
	}
	day, j := digits(b, i, 2)
	if j == i || j >= len(b) || b[j] != ' ' || day < 1 || day > 31 {
		return time.Time{}, 0, false
	}
	i = j + 1
	year := 0
	if y, k := digits(b, i, 4); k-i == 4 && k < len(b) && b[k] == ' ' {
		year, i = y, k+1
	}
	if len(b) < i+8 || b[i+2] != ':' || b[i+5] != ':' {
		return time.Time{}, 0, false
	}
	hh, k1 := digits(b, i, 2)
	mm, k2 := digits(b, i+3, 2)
	ss, k3 := digits(b, i+6, 2)
	if k1 != i+2 || k2 != i+5 || k3 != i+8 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, 0, false
	}
	i += 8
	nsec := 0
	if i+1 < len(b) && b[i] == '.' && isDigit(b[i+1]) {
		f, k := digits(b, i+1, 9)
		for n := k - (i + 1); n < 9; n++ {
			f *= 10
		}
		nsec, i = f, k
	}
	if i < len(b) && b[i] != ' ' && b[i] != ':' {
		return time.Time{}, 0, false
	}
	if year == 0 {
		// No year: the one that puts the time closest to receipt, allowing
		// a sender's clock to run a day ahead.
		year = received.UTC().Year()
		if time.Date(year, mon, day, hh, mm, ss, nsec, time.UTC).After(received.Add(48 * time.Hour)) {
			year--
		}
	}
	t := time.Date(year, mon, day, hh, mm, ss, nsec, time.UTC)
	if t.Day() != day { // Feb 30 and the like
		return time.Time{}, 0, false
	}
	return t, i, true
}

// parseTimestamp reads an RFC 5424 TIMESTAMP: RFC 3339 as section 6.2.3
// restricts it (two-digit fields, '.' and fraction digits, "Z" or an
// offset), except that up to 9 fraction digits are taken, as some senders
// write 7 (Windows ticks) or 9. time.Parse alone is more lenient
// (one-digit hours, ',' fractions), and what it accepts beyond the RFC
// does not survive being written again. The time in UTC must fall in years 1 to
// 9999 so that it can be written as RFC 3339.
func parseTimestamp(s string) (time.Time, bool) {
	const shape = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(shape)+1 {
		return time.Time{}, false
	}
	for i := 0; i < len(shape); i++ {
		if shape[i] == 'd' && !isDigit(s[i]) || shape[i] != 'd' && s[i] != shape[i] {
			return time.Time{}, false
		}
	}
	i := len(shape)
	if s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i+1 || j-i-1 > 9 {
			return time.Time{}, false
		}
		i = j
	}
	switch zone := s[i:]; {
	case zone == "Z":
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && isDigit(zone[1]) && isDigit(zone[2]) && zone[3] == ':' && isDigit(zone[4]) && isDigit(zone[5]):
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// digits reads up to max decimal digits at b[i:] and returns their value
// and the offset after them.
func digits(b []byte, i, max int) (int, int) {
	n, j := 0, i
	for j < len(b) && j-i < max && isDigit(b[j]) {
		n = n*10 + int(b[j]-'0')
		j++
	}
	return n, j
}

// AppendRFC5424 appends m written as an RFC 5424 message. Empty fields
// become the nil value "-"; a message whose Format is RFC 3164 is written
// as RFC 5424 too (version 1). Parsing the result gives m back, apart from
// Format and Version.
func (m Syslog) AppendRFC5424(dst []byte) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(m.Priority), 10)
	dst = append(dst, ">1 "...)
	if m.Timestamp.IsZero() {
		dst = append(dst, '-')
	} else {
		dst = m.Timestamp.UTC().AppendFormat(dst, time.RFC3339Nano)
	}
	for _, f := range []string{m.Hostname, m.AppName, m.ProcID, m.MsgID} {
		dst = append(dst, ' ')
		if f == "" {
			f = "-"
		}
		dst = append(dst, f...)
	}
	dst = append(dst, ' ')
	if len(m.StructuredData) == 0 {
		dst = append(dst, '-')
	}
	for _, e := range m.StructuredData {
		dst = append(dst, '[')
		dst = append(dst, e.ID...)
		for _, p := range e.Params {
			dst = append(dst, ' ')
			dst = append(dst, p.Name...)
			dst = append(dst, '=', '"')
			for k := 0; k < len(p.Value); k++ {
				if c := p.Value[k]; c == '"' || c == '\\' || c == ']' {
					dst = append(dst, '\\')
				}
				dst = append(dst, p.Value[k])
			}
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	}
	if m.Message != "" || m.BOM {
		dst = append(dst, ' ')
		if m.BOM {
			dst = append(dst, bom...)
		}
		dst = append(dst, m.Message...)
	}
	return dst
}

// FacilityName returns the RFC 5424 keyword of the facility ("auth", "local0").
func (m Syslog) FacilityName() string {
	if m.Facility >= 0 && m.Facility < len(facilityNames) {
		return facilityNames[m.Facility]
	}
	return ""
}

// SeverityName returns the severity keyword ("error", "informational").
func (m Syslog) SeverityName() string {
	if m.Severity >= 0 && m.Severity < len(severityNames) {
		return severityNames[m.Severity]
	}
	return ""
}

// programName strips a path from an RFC 3164 tag ("/usr/sbin/sshd" -> "sshd").
func programName(app string) string {
	return strings.ToLower(baseName(app))
}
