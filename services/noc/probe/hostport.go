package probe

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/opsward/opsward"
)

// validHost accepts a DNS name or an IP literal (IPv6 without brackets).
func validHost(field, h string) error {
	if h == "" {
		return opsward.FieldErrorf(field, "is required")
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return nil
	}
	if len(h) > 253 || strings.ContainsAny(h, " /:@?#[]%\\\t\r\n") {
		return opsward.FieldErrorf(field, "must be a host name or an IP address")
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return opsward.FieldErrorf(field, "must be a host name or an IP address")
		}
	}
	return nil
}

func validPort(field string, p int) error {
	if p < 1 || p > 65535 {
		return opsward.FieldErrorf(field, "must be between 1 and 65535")
	}
	return nil
}

func joinHostPort(h string, p int) string { return net.JoinHostPort(h, strconv.Itoa(p)) }

func wrongKind(s Settings) Result {
	return Result{Status: StatusDown, Reason: ReasonInternal, Message: fmt.Sprintf("settings of the wrong kind (%T)", s)}
}
