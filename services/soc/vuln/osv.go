package vuln

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// MaxAdvisoryBytes bounds one OSV record.
const MaxAdvisoryBytes = 4 << 20

// Advisory is one OSV record, the fields the assessment uses.
type Advisory struct {
	ID        string     `json:"id"`
	Modified  time.Time  `json:"modified"`
	Published *time.Time `json:"published,omitempty"`
	Withdrawn *time.Time `json:"withdrawn,omitempty"`
	Aliases   []string   `json:"aliases,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Severity  []Severity `json:"severity,omitempty"`
	Affected  []Affected `json:"affected"`
}

// Severity is a scored severity: type CVSS_V3 (or CVSS_V4, kept as is)
// and its vector.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one package an advisory names, with the versions affected.
type Affected struct {
	Package  Package    `json:"package"`
	Ranges   []Range    `json:"ranges,omitempty"`
	Versions []string   `json:"versions,omitempty"`
	Severity []Severity `json:"severity,omitempty"`
}

// Package names a package in its ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a list of events over one ordering: ECOSYSTEM (the package's
// own version order), SEMVER, or GIT (commits, which an inventory of
// installed versions cannot judge: skipped).
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one of introduced, fixed, last_affected or limit.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// ParseAdvisory reads one OSV record and checks what the assessment
// relies on; an error names the field.
func ParseAdvisory(b []byte) (*Advisory, error) {
	if len(b) > MaxAdvisoryBytes {
		return nil, fmt.Errorf("the record has %d bytes; an advisory is at most %d", len(b), MaxAdvisoryBytes)
	}
	var a Advisory
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("not an OSV record: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not an OSV record: more than one JSON value")
	}
	switch {
	case strings.TrimSpace(a.ID) == "" || len(a.ID) > 100:
		return nil, fmt.Errorf("id: an advisory has an id of 1 to 100 characters")
	case a.Modified.IsZero():
		return nil, fmt.Errorf("%s: modified: the record has no modification time", a.ID)
	}
	for i, af := range a.Affected {
		if af.Package.Ecosystem == "" || af.Package.Name == "" {
			return nil, fmt.Errorf("%s: affected[%d].package: an affected package names its ecosystem and name", a.ID, i)
		}
		for j, r := range af.Ranges {
			switch r.Type {
			case "ECOSYSTEM", "SEMVER", "GIT":
			default:
				return nil, fmt.Errorf("%s: affected[%d].ranges[%d].type: %q is not ECOSYSTEM, SEMVER or GIT", a.ID, i, j, r.Type)
			}
			if len(r.Events) == 0 {
				return nil, fmt.Errorf("%s: affected[%d].ranges[%d].events: a range has at least one event", a.ID, i, j)
			}
			for k, e := range r.Events {
				n := 0
				for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if v != "" {
						n++
					}
				}
				if n != 1 {
					return nil, fmt.Errorf("%s: affected[%d].ranges[%d].events[%d]: an event is exactly one of introduced, fixed, last_affected or limit", a.ID, i, j, k)
				}
			}
		}
	}
	for i, s := range a.Severity {
		if s.Type == "CVSS_V3" {
			if _, err := CVSS3Score(s.Score); err != nil {
				return nil, fmt.Errorf("%s: severity[%d].score: %v", a.ID, i, err)
			}
		}
	}
	return &a, nil
}

// Verdict is what an advisory says of one installed package version.
type Verdict struct {
	Affected bool
	// Fixed is the first version that fixes it, when the advisory names
	// one past the installed version ("" when none is known).
	Fixed string
}

// Check tells whether version of package name in ecosystem is affected.
// Withdrawn advisories affect nothing. The ecosystem is compared without
// its release ("Debian:12" names the same packages as "Debian" in an
// inventory that knows its release).
func (a *Advisory) Check(ecosystem, name, version string) (Verdict, error) {
	if a.Withdrawn != nil {
		return Verdict{}, nil
	}
	var out Verdict
	for _, af := range a.Affected {
		if !sameEcosystem(af.Package.Ecosystem, ecosystem) || af.Package.Name != name {
			continue
		}
		for _, v := range af.Versions {
			if v == version {
				out.Affected = true
			}
		}
		for _, r := range af.Ranges {
			var o Order
			switch r.Type {
			case "GIT":
				continue
			case "SEMVER":
				o = OrderSemVer
			default:
				var err error
				if o, err = OrderOf(af.Package.Ecosystem); err != nil {
					return Verdict{}, err
				}
			}
			in, fixed, err := inRange(o, r.Events, version)
			if err != nil {
				return Verdict{}, fmt.Errorf("%s: %v", a.ID, err)
			}
			if in {
				out.Affected = true
				if fixed != "" && (out.Fixed == "" || less(o, fixed, out.Fixed)) {
					out.Fixed = fixed
				}
			}
		}
	}
	return out, nil
}

func less(o Order, a, b string) bool {
	c, err := o.Compare(a, b)
	return err == nil && c < 0
}

func sameEcosystem(a, b string) bool {
	ba, _, _ := strings.Cut(a, ":")
	bb, _, _ := strings.Cut(b, ":")
	return ba == bb && (a == ba || b == bb || a == b)
}

// inRange evaluates OSV's events for one version, as the schema defines
// them: sorted by version ("0" first), a version is affected after an
// introduced and before the next fixed (or up to a last_affected); limit
// ends the range there. It returns the fixed version that closes the
// interval the version lies in.
func inRange(o Order, events []Event, version string) (bool, string, error) {
	type point struct {
		v    string
		kind string
	}
	var ps []point
	for _, e := range events {
		switch {
		case e.Introduced != "":
			ps = append(ps, point{e.Introduced, "introduced"})
		case e.Fixed != "":
			ps = append(ps, point{e.Fixed, "fixed"})
		case e.LastAffected != "":
			ps = append(ps, point{e.LastAffected, "last_affected"})
		case e.Limit != "":
			ps = append(ps, point{e.Limit, "limit"})
		}
	}
	cmp := func(a, b string) (int, error) {
		switch {
		case a == b:
			return 0, nil
		case a == "0":
			return -1, nil
		case b == "0":
			return 1, nil
		case a == "*":
			return 1, nil
		case b == "*":
			return -1, nil
		}
		return o.Compare(a, b)
	}
	// Insertion sort with errors: ranges hold a few events.
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0; j-- {
			c, err := cmp(ps[j-1].v, ps[j].v)
			if err != nil {
				return false, "", err
			}
			if c <= 0 {
				break
			}
			ps[j-1], ps[j] = ps[j], ps[j-1]
		}
	}
	affected := false
	for _, p := range ps {
		c, err := cmp(version, p.v)
		if err != nil {
			return false, "", err
		}
		switch p.kind {
		case "introduced":
			if c >= 0 {
				affected = true
			}
		case "fixed":
			if c >= 0 {
				affected = false
			} else if affected {
				return true, p.v, nil
			}
		case "last_affected":
			if c > 0 {
				affected = false
			} else if affected {
				return true, "", nil
			}
		case "limit":
			if c >= 0 {
				return false, "", nil
			}
		}
		if c < 0 {
			// Events past the version decide nothing more about it.
			return affected, "", nil
		}
	}
	return affected, "", nil
}
