// Package inventory reads the software an asset runs from the reports
// that describe it: osquery's results (the programs, deb_packages,
// rpm_packages, apk_packages and os_version tables, as snapshot, event
// or batch lines) and CycloneDX SBOMs (JSON). Each package comes out with
// the OSV ecosystem its advisories are filed under ("Debian:12",
// "Alpine:v3.19", "npm", …), its name and version, and its package URL.
//
// It reads bytes and returns values: the service that keeps inventories
// per asset, with first seen, last seen and changes, stores them. A bad
// part of a report refuses only itself: each Report lists the problems
// with their place, and the packages around them are kept.
package inventory

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// MaxReportBytes bounds one report (an osquery log batch or an SBOM).
const MaxReportBytes = 32 << 20

// Package is one installed piece of software.
type Package struct {
	// Ecosystem is the OSV ecosystem ("Debian:12", "Red Hat", "npm");
	// "" when none applies (a Windows program).
	Ecosystem string
	Name      string
	Version   string
	Arch      string
	// PURL is the package URL (pkg:deb/debian/openssl@3.0.11-1?arch=amd64).
	PURL string
}

// Key identifies a package across reports: the same ecosystem, name and
// architecture is the same package at another version.
func (p Package) Key() string { return p.Ecosystem + "\x00" + p.Name + "\x00" + p.Arch }

// Problem is a part of a report that was refused, and why.
type Problem struct {
	// Where names the part: "line 3", "components[7]".
	Where  string
	Reason string
}

func (p Problem) Error() string { return p.Where + ": " + p.Reason }

// OS is the operating system a report describes.
type OS struct {
	// Platform is osquery's os_version.platform or the SBOM's distro id
	// (debian, ubuntu, rhel, rocky, alpine, windows, darwin).
	Platform string
	Version  string
	Name     string
}

// Report is what one report says of one host.
type Report struct {
	// Host is osquery's hostIdentifier, or the SBOM's subject.
	Host     string
	OS       *OS
	Packages []Package
	// Removed lists packages osquery reported as removed.
	Removed  []Package
	Problems []Problem
}

// sortPackages orders packages by key and version and drops exact repeats.
func sortPackages(ps []Package) []Package {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Key() != ps[j].Key() {
			return ps[i].Key() < ps[j].Key()
		}
		return ps[i].Version < ps[j].Version
	})
	out := ps[:0]
	for i, p := range ps {
		if i > 0 && p == ps[i-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// ecosystemOf is the OSV ecosystem of a distribution's packages.
func ecosystemOf(platform, version string) (string, error) {
	major, _, _ := strings.Cut(version, ".")
	switch platform {
	case "debian":
		if major == "" {
			return "", fmt.Errorf("debian without a version")
		}
		return "Debian:" + major, nil
	case "ubuntu":
		// Ubuntu's advisories name the release: 22.04.
		parts := strings.SplitN(version, ".", 3)
		if len(parts) < 2 {
			return "", fmt.Errorf("ubuntu version %q is not YY.MM", version)
		}
		return "Ubuntu:" + parts[0] + "." + parts[1], nil
	case "alpine":
		parts := strings.SplitN(version, ".", 3)
		if len(parts) < 2 {
			return "", fmt.Errorf("alpine version %q is not X.Y", version)
		}
		return "Alpine:v" + parts[0] + "." + parts[1], nil
	case "rhel", "centos":
		return "Red Hat", nil
	case "rocky":
		return "Rocky Linux:" + major, nil
	case "almalinux":
		return "AlmaLinux:" + major, nil
	}
	return "", fmt.Errorf("platform %q has no advisory ecosystem known here (debian, ubuntu, alpine, rhel, centos, rocky, almalinux are)", platform)
}

// purlType is the package URL type and namespace of a distribution.
func purlType(platform string) (typ, namespace string) {
	switch platform {
	case "debian", "ubuntu":
		return "deb", platform
	case "alpine":
		return "apk", "alpine"
	case "rhel", "centos":
		return "rpm", "redhat"
	case "rocky", "almalinux":
		return "rpm", platform
	}
	return "generic", ""
}

// buildPURL writes a package URL with its name and version escaped as the
// specification asks; qualifiers are sorted by key.
func buildPURL(typ, namespace, name, version string, qualifiers map[string]string) string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(typ)
	b.WriteByte('/')
	if namespace != "" {
		for _, seg := range strings.Split(namespace, "/") {
			b.WriteString(url.PathEscape(seg))
			b.WriteByte('/')
		}
	}
	b.WriteString(url.PathEscape(name))
	if version != "" {
		b.WriteByte('@')
		b.WriteString(url.PathEscape(version))
	}
	keys := make([]string, 0, len(qualifiers))
	for k, v := range qualifiers {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(qualifiers[k]))
	}
	return b.String()
}
