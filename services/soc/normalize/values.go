package normalize

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseInt reads a decimal integer, or a 0x hexadecimal one (Windows
// writes process ids as 0x1a2c).
func parseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		n, err := strconv.ParseInt(s[2:], 16, 64)
		return n, err == nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseIP reads an IP address in any of the spellings devices use
// ("10.0.0.1", "::ffff:10.0.0.1", "[2001:db8::1]", "fe80::1%eth0") and
// returns its canonical text. IPv4-mapped addresses become IPv4 so that the
// same host always has the same text.
func parseIP(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return a.Unmap().WithZone("").String(), true
}

// cleanText makes s safe to store as text: invalid UTF-8 and NUL bytes
// (which Postgres text refuses) become U+FFFD. It does not allocate when
// there is nothing to replace.
func cleanText(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if s[i] == 0 || s[i] >= utf8.RuneSelf {
			ok = false
			break
		}
	}
	if ok || (utf8.ValidString(s) && strings.IndexByte(s, 0) < 0) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// baseName returns the last element of a Windows or POSIX path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// printASCII reports whether s is made of printable US-ASCII (33..126),
// the alphabet of RFC 5424 header fields.
func printASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}
