package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

type cdxComponent struct {
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Group      string         `json:"group"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

type cdxBOM struct {
	BOMFormat   string `json:"bomFormat"`
	SpecVersion string `json:"specVersion"`
	Metadata    *struct {
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components []cdxComponent `json:"components"`
}

// ParseCycloneDX reads a CycloneDX SBOM in JSON (spec 1.2 to 1.6). Each
// component with a package URL becomes a package, nested components too;
// a component without one, or with one that does not parse, is a problem
// of its own and the rest are kept. The report's host is the SBOM's
// subject (metadata.component.name), which the caller may override.
func ParseCycloneDX(b []byte) (Report, error) {
	if len(b) > MaxReportBytes {
		return Report{}, fmt.Errorf("sbom: %d bytes, more than the %d allowed", len(b), MaxReportBytes)
	}
	var bom cdxBOM
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&bom); err != nil {
		return Report{}, fmt.Errorf("sbom: not JSON: %s", jsonReason(err))
	}
	if bom.BOMFormat != "CycloneDX" {
		return Report{}, fmt.Errorf("sbom: bomFormat %q, want CycloneDX", bom.BOMFormat)
	}
	switch bom.SpecVersion {
	case "1.2", "1.3", "1.4", "1.5", "1.6":
	default:
		return Report{}, fmt.Errorf("sbom: specVersion %q, want 1.2 to 1.6", bom.SpecVersion)
	}
	var r Report
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		r.Host = bom.Metadata.Component.Name
	}
	var walk func(path string, cs []cdxComponent, depth int)
	walk = func(path string, cs []cdxComponent, depth int) {
		for i, c := range cs {
			where := path + "[" + strconv.Itoa(i) + "]"
			if depth > 32 {
				r.Problems = append(r.Problems, Problem{where, "components nested deeper than 32"})
				return
			}
			switch c.Type {
			case "operating-system":
				r.OS = &OS{Platform: strings.ToLower(c.Name), Version: c.Version, Name: c.Name}
			case "library", "application", "framework", "container", "file", "":
				if c.PURL == "" {
					r.Problems = append(r.Problems, Problem{where, fmt.Sprintf("component %q has no purl", c.Name)})
					break
				}
				p, err := PackageFromPURL(c.PURL)
				if err != nil {
					r.Problems = append(r.Problems, Problem{where + ".purl", err.Error()})
					break
				}
				r.Packages = append(r.Packages, p)
			}
			walk(where+".components", c.Components, depth+1)
		}
	}
	walk("components", bom.Components, 0)
	r.Packages = sortPackages(r.Packages)
	return r, nil
}

// purlEcosystems maps package URL types to OSV ecosystems.
var purlEcosystems = map[string]string{
	"npm": "npm", "pypi": "PyPI", "golang": "Go", "maven": "Maven", "cargo": "crates.io",
	"nuget": "NuGet", "gem": "RubyGems", "composer": "Packagist", "hex": "Hex", "pub": "Pub",
}

// PackageFromPURL reads a package URL
// (pkg:type/namespace/name@version?qualifiers#subpath). Distribution
// packages (deb, apk, rpm) take their ecosystem from the distro
// qualifier (debian-12, ubuntu-22.04, alpine-3.19, rocky-9).
func PackageFromPURL(s string) (Package, error) {
	if len(s) > 1024 {
		return Package{}, fmt.Errorf("purl longer than 1024 bytes")
	}
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return Package{}, fmt.Errorf("purl %q does not start with \"pkg:\"", clip(s))
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, rawQuery, _ := strings.Cut(rest, "?")
	rest = strings.Trim(rest, "/")
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return Package{}, fmt.Errorf("purl %q has no type and name", clip(s))
	}
	typ = strings.ToLower(typ)
	path, rawVersion, hasVersion := strings.Cut(path, "@")
	if strings.Contains(rawVersion, "@") {
		return Package{}, fmt.Errorf("purl %q has two versions", clip(s))
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil || u == "" {
			return Package{}, fmt.Errorf("purl %q: path segment %d is empty or badly escaped", clip(s), i+1)
		}
		segs[i] = u
	}
	name := segs[len(segs)-1]
	namespace := strings.Join(segs[:len(segs)-1], "/")
	version := ""
	if hasVersion {
		v, err := url.PathUnescape(rawVersion)
		if err != nil || v == "" {
			return Package{}, fmt.Errorf("purl %q: version is empty or badly escaped", clip(s))
		}
		version = v
	}
	if version == "" {
		return Package{}, fmt.Errorf("purl %q has no version", clip(s))
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Package{}, fmt.Errorf("purl %q: qualifiers: %v", clip(s), err)
	}
	p := Package{Name: name, Version: version, Arch: q.Get("arch"), PURL: s}
	switch typ {
	case "golang":
		p.Name = path0(namespace, name, "/")
	case "maven":
		p.Name = path0(namespace, name, ":")
	case "npm":
		p.Name = path0(namespace, name, "/")
	case "deb", "apk", "rpm":
		platform, ver, _ := strings.Cut(q.Get("distro"), "-")
		if platform == "" {
			platform = namespace
		}
		switch platform {
		case "redhat":
			platform = "rhel"
		}
		eco, err := ecosystemOf(platform, ver)
		if err != nil {
			return Package{}, fmt.Errorf("purl %q: %v", clip(s), err)
		}
		p.Ecosystem = eco
		if e := q.Get("epoch"); typ == "rpm" && e != "" && e != "0" && !strings.Contains(version, ":") {
			p.Version = e + ":" + version
		}
		return p, nil
	}
	p.Ecosystem = purlEcosystems[typ]
	return p, nil
}

func path0(namespace, name, sep string) string {
	if namespace == "" {
		return name
	}
	return namespace + sep + name
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
