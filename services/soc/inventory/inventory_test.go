package inventory

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/opsward/opsward/services/soc/vuln"
)

func read(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseOsquery(t *testing.T) {
	reports, ignored, err := ParseOsquery(read(t, "osquery.log"))
	if err != nil {
		t.Fatal(err)
	}
	if ignored != 1 {
		t.Errorf("ignored = %d, want 1 (the uptime query)", ignored)
	}
	if len(reports) != 3 {
		t.Fatalf("%d reports, want web-1, db-1 and desk-7", len(reports))
	}
	web, db, desk := reports[0], reports[1], reports[2]
	if web.Host != "web-1" || web.OS == nil || web.OS.Platform != "debian" {
		t.Fatalf("web-1: %+v", web)
	}
	want := []Package{
		{Ecosystem: "Debian:12", Name: "bash", Version: "5.2.15-2+b2", Arch: "amd64", PURL: "pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&distro=debian-12"},
		{Ecosystem: "Debian:12", Name: "nginx", Version: "1.22.1-9", Arch: "amd64", PURL: "pkg:deb/debian/nginx@1.22.1-9?arch=amd64&distro=debian-12"},
		{Ecosystem: "Debian:12", Name: "openssl", Version: "3.0.11-1~deb12u2", Arch: "amd64", PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"},
	}
	if !reflect.DeepEqual(web.Packages, want) {
		t.Errorf("web-1 packages:\n%+v\nwant\n%+v", web.Packages, want)
	}
	if len(web.Removed) != 1 || web.Removed[0].Name != "apache2" {
		t.Errorf("web-1 removed: %+v, want apache2", web.Removed)
	}
	problems := map[string]bool{}
	for _, p := range web.Problems {
		problems[p.Error()] = true
	}
	for _, w := range []string{"line 2: deb_packages curl: version is missing", "line 5: not an osquery result: invalid character 'h' in literal true (expecting 'r') (at byte 2)"} {
		if !problems[w] {
			t.Errorf("web-1 problems %v lack %q", web.Problems, w)
		}
	}
	if got := db.Packages; len(got) != 2 || got[1].Name != "openssl" || got[1].Version != "1:3.0.7-27.el9" || got[1].Ecosystem != "Rocky Linux:9" ||
		got[0].Version != "2.34-100.el9" {
		t.Errorf("db-1 (os_version after its packages): %+v", got)
	}
	if len(desk.Packages) != 1 || desk.Packages[0].Ecosystem != "" || desk.Packages[0].PURL != "pkg:generic/7-Zip%2023.01%20%28x64%29@23.01?vendor=Igor+Pavlov" {
		t.Errorf("desk-7: %+v", desk.Packages)
	}
}

func TestParseOsqueryRefusesWhatIsNotOne(t *testing.T) {
	for name, in := range map[string]string{
		"empty":    "  \n",
		"not JSON": "hello\nworld\n",
	} {
		if _, _, err := ParseOsquery([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// No os_version: the package is a problem naming why, not a guess.
	r, _, err := ParseOsquery([]byte(`{"name":"deb_packages","hostIdentifier":"h","snapshot":[{"name":"zlib1g","version":"1:1.2.13"}]}`))
	if err != nil || len(r) != 1 || len(r[0].Packages) != 0 || len(r[0].Problems) != 1 ||
		!strings.Contains(r[0].Problems[0].Reason, "no os_version") {
		t.Errorf("a package without its host's os_version: %+v, %v", r, err)
	}
}

func TestParseCycloneDX(t *testing.T) {
	r, err := ParseCycloneDX(read(t, "sbom.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Host != "shop-api" || r.OS == nil || r.OS.Platform != "alpine" {
		t.Errorf("host %q os %+v", r.Host, r.OS)
	}
	got := map[string]string{}
	for _, p := range r.Packages {
		got[p.Ecosystem+" "+p.Name] = p.Version
	}
	want := map[string]string{
		"npm lodash":           "4.17.20",
		"npm @angular/core":    "17.0.1",
		"Go golang.org/x/net":  "v0.17.0",
		"Go golang.org/x/text": "v0.13.0",
		"Alpine:v3.19 musl":    "1.2.4-r2",
		"Maven com.fasterxml.jackson.core:jackson-databind": "2.15.2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packages:\n%v\nwant\n%v", got, want)
	}
	var where []string
	for _, p := range r.Problems {
		where = append(where, p.Where)
	}
	if !reflect.DeepEqual(where, []string{"components[5]", "components[6].purl"}) {
		t.Errorf("problems at %v (%v), want the component without a purl and the bad purl", where, r.Problems)
	}
	for name, in := range map[string]string{
		"not JSON":     `{`,
		"other format": `{"bomFormat":"SPDX","specVersion":"1.5"}`,
		"old spec":     `{"bomFormat":"CycloneDX","specVersion":"1.1"}`,
	} {
		if _, err := ParseCycloneDX([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPackageFromPURL(t *testing.T) {
	cases := map[string]Package{
		"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12": {Ecosystem: "Debian:12", Name: "openssl", Version: "3.0.11-1~deb12u2", Arch: "amd64"},
		"pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.15?distro=ubuntu-22.04":          {Ecosystem: "Ubuntu:22.04", Name: "curl", Version: "7.81.0-1ubuntu1.15"},
		"pkg:rpm/redhat/openssl@3.0.7-27.el9?epoch=1&distro=rhel-9":           {Ecosystem: "Red Hat", Name: "openssl", Version: "1:3.0.7-27.el9"},
		"pkg:pypi/django@4.2.7":       {Ecosystem: "PyPI", Name: "django", Version: "4.2.7"},
		"pkg:cargo/serde@1.0.190#src": {Ecosystem: "crates.io", Name: "serde", Version: "1.0.190"},
	}
	for in, want := range cases {
		got, err := PackageFromPURL(in)
		want.PURL = in
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v\nwant %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "npm/x@1", "pkg:", "pkg:npm/x", "pkg:npm/x@", "pkg:npm//x@1", "pkg:deb/x@1", "pkg:npm/x@1@2", "pkg:npm/%zz@1"} {
		if _, err := PackageFromPURL(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestInventoryAgainstAdvisory: the hand-checked verdicts of the
// inventory's packages against the OSV advisory of the vuln package's
// tests, including Debian's tilde.
func TestInventoryAgainstAdvisory(t *testing.T) {
	adv, err := vuln.ParseAdvisory(read(t, "../../vuln/testdata/DSA-openssl.json"))
	if err != nil {
		t.Fatal(err)
	}
	reports, _, err := ParseOsquery(read(t, "osquery.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]vuln.Verdict{
		"openssl": {Affected: true, Fixed: "3.0.15-1~deb12u1"},
		"bash":    {},
		"nginx":   {},
	}
	for _, p := range reports[0].Packages {
		v, err := adv.Check(p.Ecosystem, p.Name, p.Version)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if v != want[p.Name] {
			t.Errorf("%s %s: %+v, want %+v", p.Name, p.Version, v, want[p.Name])
		}
	}
}
