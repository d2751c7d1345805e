package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The osquery tables read; a query's name must end with one of them
// (osquery names a pack's queries pack_<pack>_<query>: a query named
// deb_packages in pack inventory logs as pack_inventory_deb_packages).
var osqueryTables = []string{"os_version", "deb_packages", "rpm_packages", "apk_packages", "programs"}

type osqueryLine struct {
	Name        string           `json:"name"`
	Host        string           `json:"hostIdentifier"`
	Action      string           `json:"action"`
	Columns     map[string]any   `json:"columns"`
	Snapshot    []map[string]any `json:"snapshot"`
	DiffResults *struct {
		Added   []map[string]any `json:"added"`
		Removed []map[string]any `json:"removed"`
	} `json:"diffResults"`
}

type osqueryRow struct {
	where   string
	table   string
	removed bool
	cols    map[string]any
}

// ParseOsquery reads osquery's result log (one JSON result per line, as
// the filesystem and TLS loggers write it: event lines with columns and
// an action, snapshot lines, or batch lines with diffResults) and returns
// a Report per host. Lines of other queries are counted in ignored.
// Packages need the host's os_version in the same input to know their
// ecosystem; without it they come with none, and a problem says so.
func ParseOsquery(b []byte) (reports []Report, ignored int, err error) {
	if len(b) > MaxReportBytes {
		return nil, 0, fmt.Errorf("report: %d bytes, more than the %d allowed", len(b), MaxReportBytes)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, 0, fmt.Errorf("report: empty")
	}
	byHost := map[string]*Report{}
	var order []string
	rows := map[string][]osqueryRow{}
	report := func(host string) *Report {
		r := byHost[host]
		if r == nil {
			r = &Report{Host: host}
			byHost[host] = r
			order = append(order, host)
		}
		return r
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), MaxReportBytes)
	n := 0
	var loose []Problem
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		where := "line " + strconv.Itoa(n)
		var l osqueryLine
		if err := json.Unmarshal(line, &l); err != nil {
			loose = append(loose, Problem{where, "not an osquery result: " + jsonReason(err)})
			continue
		}
		table := tableOf(l.Name)
		if table == "" {
			ignored++
			continue
		}
		if l.Host == "" {
			loose = append(loose, Problem{where, "hostIdentifier is missing"})
			continue
		}
		r := report(l.Host)
		add := func(cols map[string]any, removed bool) {
			rows[l.Host] = append(rows[l.Host], osqueryRow{where, table, removed, cols})
		}
		switch {
		case l.Snapshot != nil:
			for _, c := range l.Snapshot {
				add(c, false)
			}
		case l.DiffResults != nil:
			for _, c := range l.DiffResults.Added {
				add(c, false)
			}
			for _, c := range l.DiffResults.Removed {
				add(c, true)
			}
		case l.Columns != nil:
			switch l.Action {
			case "added", "":
				add(l.Columns, false)
			case "removed":
				add(l.Columns, true)
			default:
				r.Problems = append(r.Problems, Problem{where, fmt.Sprintf("action %q is not added, removed or snapshot", l.Action)})
			}
		default:
			r.Problems = append(r.Problems, Problem{where, "no columns, snapshot or diffResults"})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("report: line %d: %w", n+1, err)
	}
	for _, host := range order {
		r := byHost[host]
		for _, row := range rows[host] {
			if row.table == "os_version" && !row.removed {
				// "12 (bookworm)", "22.04.3 LTS (Jammy Jellyfish)": the number
				// leads.
				version, _, _ := strings.Cut(text(row.cols["version"]), " ")
				os := OS{Platform: text(row.cols["platform"]), Version: version, Name: text(row.cols["name"])}
				if os.Platform == "" {
					r.Problems = append(r.Problems, Problem{row.where, "os_version without platform"})
					continue
				}
				r.OS = &os
			}
		}
		for _, row := range rows[host] {
			if row.table == "os_version" {
				continue
			}
			p, err := packageOf(row.table, row.cols, r.OS)
			if err != nil {
				r.Problems = append(r.Problems, Problem{row.where, err.Error()})
				continue
			}
			if row.removed {
				r.Removed = append(r.Removed, p)
			} else {
				r.Packages = append(r.Packages, p)
			}
		}
		r.Packages = sortPackages(r.Packages)
		r.Removed = sortPackages(r.Removed)
		reports = append(reports, *r)
	}
	if len(reports) == 0 && len(loose) > 0 {
		return nil, ignored, fmt.Errorf("report: no line could be read; %s", loose[0].Error())
	}
	if len(loose) > 0 {
		// Lines that name no host belong to no report: the first report
		// carries them so that they are not lost from view.
		reports[0].Problems = append(loose, reports[0].Problems...)
	}
	return reports, ignored, nil
}

func tableOf(query string) string {
	for _, t := range osqueryTables {
		if query == t || strings.HasSuffix(query, "_"+t) {
			return t
		}
	}
	return ""
}

func packageOf(table string, c map[string]any, os *OS) (Package, error) {
	name, version := text(c["name"]), text(c["version"])
	if name == "" {
		return Package{}, fmt.Errorf("%s: name is missing", table)
	}
	if version == "" {
		return Package{}, fmt.Errorf("%s %s: version is missing", table, name)
	}
	if len(name) > 255 || len(version) > 255 {
		return Package{}, fmt.Errorf("%s: name or version longer than 255 bytes", table)
	}
	p := Package{Name: name, Version: version, Arch: text(c["arch"])}
	switch table {
	case "programs":
		p.PURL = buildPURL("generic", "", name, version, map[string]string{"vendor": text(c["publisher"])})
		return p, nil
	case "rpm_packages":
		if e := text(c["epoch"]); e != "" && e != "0" && e != "-1" {
			if _, err := strconv.Atoi(e); err != nil {
				return Package{}, fmt.Errorf("rpm_packages %s: epoch %q is not a number", name, e)
			}
			p.Version = e + ":" + p.Version
		}
		if rel := text(c["release"]); rel != "" {
			p.Version += "-" + rel
		}
	}
	if os == nil {
		return Package{}, fmt.Errorf("%s %s: no os_version for this host, so no ecosystem", table, name)
	}
	eco, err := ecosystemOf(os.Platform, os.Version)
	if err != nil {
		return Package{}, fmt.Errorf("%s %s: %v", table, name, err)
	}
	p.Ecosystem = eco
	typ, ns := purlType(os.Platform)
	distro := os.Platform
	if os.Version != "" {
		distro += "-" + os.Version
	}
	p.PURL = buildPURL(typ, ns, name, p.Version, map[string]string{"arch": p.Arch, "distro": distro})
	return p, nil
}

// text is a column's value as osquery wrote it: a string, or a number
// when the logger runs with numerics.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	return err.Error()
}
