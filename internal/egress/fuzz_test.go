package egress_test

import (
	"net/netip"
	"testing"

	"github.com/opsward/opsward/internal/egress"
)

// The IPv4-mapped form of an address must be judged exactly as the address.
func FuzzCheckMappedAgreesWithIPv4(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "127.0.0.1", "1.1.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "255.255.255.255"} {
		a := netip.MustParseAddr(s).As4()
		f.Add(a[0], a[1], a[2], a[3])
	}
	g := &egress.Guard{}
	lg := loopbackGuard()
	f.Fuzz(func(t *testing.T, a, b, c, d byte) {
		v4 := netip.AddrFrom4([4]byte{a, b, c, d})
		v6 := netip.AddrFrom16(v4.As16())
		for _, guard := range []*egress.Guard{g, lg} {
			if (guard.Check(v4) == nil) != (guard.Check(v6) == nil) {
				t.Fatalf("%s and %s judged differently", v4, v6)
			}
		}
	})
}

func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"127.0.0.0/8", "::1", "10.0.0.0/33", "fe80::1%eth0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := egress.ParsePrefixes([]string{s})
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() {
				t.Fatalf("ParsePrefixes(%q) returned invalid %v", s, p)
			}
		}
	})
}
