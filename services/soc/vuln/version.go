package vuln

import (
	"fmt"
	"strings"

	apk "github.com/knqyf263/go-apk-version"
	deb "github.com/knqyf263/go-deb-version"
	rpm "github.com/knqyf263/go-rpm-version"
	"golang.org/x/mod/semver"
)

// Order is how an ecosystem's versions compare.
type Order int

const (
	OrderDebian Order = iota + 1 // dpkg: epoch, upstream, revision, "~" before anything
	OrderRPM                     // rpmvercmp with epoch and release
	OrderAlpine                  // apk: suffixes _alpha … _p, -rN
	OrderSemVer                  // semantic versions (Go modules, npm, crates.io, …)
)

// OrderOf names the version order of an OSV ecosystem ("Debian:12",
// "Ubuntu:22.04:LTS", "Alpine:v3.19", "Red Hat", "Go", "npm", …).
func OrderOf(ecosystem string) (Order, error) {
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "Debian", "Ubuntu":
		return OrderDebian, nil
	case "Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE", "Mageia", "openEuler":
		return OrderRPM, nil
	case "Alpine", "Wolfi", "Chainguard":
		return OrderAlpine, nil
	case "Go", "npm", "crates.io", "NuGet", "Hex", "Pub", "Packagist", "RubyGems":
		return OrderSemVer, nil
	}
	return 0, fmt.Errorf("ecosystem %q: its version order is not known here (Debian, Ubuntu, Alpine, the RPM distributions and the semantic-version ecosystems are)", ecosystem)
}

// Compare compares two versions in order o: -1, 0 or 1. A version that
// does not parse in that order is an error naming it.
func (o Order) Compare(a, b string) (int, error) {
	switch o {
	case OrderDebian:
		va, err := deb.NewVersion(a)
		if err != nil {
			return 0, fmt.Errorf("%q is not a Debian version: %v", a, err)
		}
		vb, err := deb.NewVersion(b)
		if err != nil {
			return 0, fmt.Errorf("%q is not a Debian version: %v", b, err)
		}
		return sign(va.Compare(vb)), nil
	case OrderRPM:
		for _, v := range []string{a, b} {
			if strings.TrimSpace(v) == "" {
				return 0, fmt.Errorf("%q is not an RPM version", v)
			}
		}
		return sign(rpm.NewVersion(a).Compare(rpm.NewVersion(b))), nil
	case OrderAlpine:
		// A version without a package revision is revision 0; the
		// library orders suffixes (_alpha, _rc, _p) right only with one.
		a, b := withRevision(a), withRevision(b)
		va, err := apk.NewVersion(a)
		if err != nil || !apk.Valid(a) {
			return 0, fmt.Errorf("%q is not an Alpine version", a)
		}
		vb, err := apk.NewVersion(b)
		if err != nil || !apk.Valid(b) {
			return 0, fmt.Errorf("%q is not an Alpine version", b)
		}
		return sign(va.Compare(vb)), nil
	case OrderSemVer:
		sa, sb := canonicalSemver(a), canonicalSemver(b)
		if !semver.IsValid(sa) {
			return 0, fmt.Errorf("%q is not a semantic version", a)
		}
		if !semver.IsValid(sb) {
			return 0, fmt.Errorf("%q is not a semantic version", b)
		}
		return semver.Compare(sa, sb), nil
	}
	return 0, fmt.Errorf("unknown version order %d", o)
}

// canonicalSemver writes v as golang.org/x/mod/semver reads it: with a
// leading "v" (Go's own versions have it, npm's do not).
func canonicalSemver(v string) string {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	return v
}

func withRevision(v string) string {
	if v != "" && !strings.Contains(v, "-r") {
		return v + "-r0"
	}
	return v
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
