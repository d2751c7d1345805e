package normalize

import (
	"strconv"
	"strings"
)

// CEF is one parsed ArcSight Common Event Format message.
type CEF struct {
	Version       int
	DeviceVendor  string
	DeviceProduct string
	DeviceVersion string
	SignatureID   string
	Name          string
	Severity      string
	// Extensions keep the key=value pairs in the order sent, unescaped.
	Extensions []KV
}

// KV is one key=value pair, unescaped.
type KV struct {
	Key, Value string
}

// Ext returns the first value of extension key k.
func (c CEF) Ext(k string) (string, bool) {
	for _, e := range c.Extensions {
		if e.Key == k {
			return e.Value, true
		}
	}
	return "", false
}

// ParseCEF parses a CEF message that begins with "CEF:". Header fields
// are split on '|', with "\|" and "\\" as escapes; extension values run to
// the space before the next key=, with "\=", "\\", "\n" and "\r" as
// escapes. Another backslash is kept as it is: devices write Windows paths
// unescaped.
func ParseCEF(b []byte) (CEF, error) {
	if err := checkLen(FormatCEF, b); err != nil {
		return CEF{}, err
	}
	b = trimFrame(b)
	s := string(b)
	if !strings.HasPrefix(s, "CEF:") {
		return CEF{}, invalidf(FormatCEF, 0, "message must begin with \"CEF:\"")
	}
	var c CEF
	i := 4
	j := i
	for j < len(s) && j-i < 3 && isDigit(s[j]) {
		j++
	}
	if j == i || j >= len(s) || s[j] != '|' {
		return CEF{}, invalidf(FormatCEF, i, "version must be 1 to 3 digits followed by '|'")
	}
	c.Version, _ = strconv.Atoi(s[i:j])
	i = j + 1
	hdr := [6]*string{&c.DeviceVendor, &c.DeviceProduct, &c.DeviceVersion, &c.SignatureID, &c.Name, &c.Severity}
	for n, p := range hdr {
		v, next, ok := cefHeaderField(s, i)
		if !ok {
			return CEF{}, invalidf(FormatCEF, i, "the header must have 7 fields each ended by '|' (Version to Severity); found %d", n+1)
		}
		*p = cleanText(v)
		i = next
	}
	ext, err := parseCEFExtension(s, i)
	if err != nil {
		return CEF{}, err
	}
	c.Extensions = ext
	return c, nil
}

// cefHeaderField reads a header field up to its unescaped '|' and returns
// the offset after the '|'.
func cefHeaderField(s string, i int) (string, int, bool) {
	var sb *strings.Builder
	start := i
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 < len(s) && (s[j+1] == '|' || s[j+1] == '\\') {
				if sb == nil {
					sb = &strings.Builder{}
				}
				sb.WriteString(s[start:j])
				sb.WriteByte(s[j+1])
				j++
				start = j + 1
			}
		case '|':
			if sb == nil {
				return s[start:j], j + 1, true
			}
			sb.WriteString(s[start:j])
			return sb.String(), j + 1, true
		}
	}
	return "", 0, false
}

func isCEFKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-' || c == '[' || c == ']'
}

// cefKeyAt returns the length of a key followed by '=' at s[i:], or 0.
func cefKeyAt(s string, i int) int {
	j := i
	for j < len(s) && j-i <= 64 && isCEFKeyByte(s[j]) {
		j++
	}
	if j > i && j < len(s) && s[j] == '=' && j-i <= 64 {
		return j - i
	}
	return 0
}

func parseCEFExtension(s string, i int) ([]KV, error) {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i == len(s) {
		return nil, nil
	}
	var out []KV
	for i < len(s) {
		n := cefKeyAt(s, i)
		if n == 0 {
			return nil, invalidf(FormatCEF, i, "extension must be key=value pairs; no key= here")
		}
		key := s[i : i+n]
		vstart := i + n + 1
		// The value ends at the last space before the next "key=" that is
		// not escaped, or at the end.
		end, next := len(s), len(s)
		for j := vstart; j < len(s); j++ {
			if s[j] == '\\' {
				j++
				continue
			}
			if s[j] == ' ' && cefKeyAt(s, j+1) > 0 {
				end, next = j, j+1
				break
			}
		}
		v := strings.TrimRight(s[vstart:end], " ")
		if len(out) >= MaxFields {
			return nil, tooLargef(FormatCEF, "more than %d extension fields", MaxFields)
		}
		out = append(out, KV{Key: key, Value: cleanText(unescapeCEFValue(v))})
		i = next
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	return out, nil
}

func unescapeCEFValue(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var sb strings.Builder
	sb.Grow(len(v))
	for j := 0; j < len(v); j++ {
		c := v[j]
		if c == '\\' && j+1 < len(v) {
			switch v[j+1] {
			case '=', '\\', '|':
				sb.WriteByte(v[j+1])
				j++
				continue
			case 'n':
				sb.WriteByte('\n')
				j++
				continue
			case 'r':
				sb.WriteByte('\r')
				j++
				continue
			}
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// AppendCEF appends c written as CEF text, escaped so that ParseCEF gives
// c back (values lose trailing spaces, which CEF cannot carry).
func (c CEF) AppendCEF(dst []byte) []byte {
	dst = append(dst, "CEF:"...)
	dst = strconv.AppendInt(dst, int64(c.Version), 10)
	for _, f := range []string{c.DeviceVendor, c.DeviceProduct, c.DeviceVersion, c.SignatureID, c.Name, c.Severity} {
		dst = append(dst, '|')
		for k := 0; k < len(f); k++ {
			if f[k] == '|' || f[k] == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, f[k])
		}
	}
	dst = append(dst, '|')
	for n, e := range c.Extensions {
		if n > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, e.Key...)
		dst = append(dst, '=')
		for k := 0; k < len(e.Value); k++ {
			switch ch := e.Value[k]; ch {
			case '\\', '=':
				dst = append(dst, '\\', ch)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			default:
				dst = append(dst, ch)
			}
		}
	}
	return dst
}
