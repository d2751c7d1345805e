package inventory

import "testing"

func FuzzParseOsquery(f *testing.F) {
	f.Add(read(f, "osquery.log"))
	f.Add([]byte(`{"name":"rpm_packages","hostIdentifier":"h","columns":{"name":"a","version":"1","epoch":"x"},"action":"added"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		reports, _, err := ParseOsquery(b)
		if err != nil {
			return
		}
		for _, r := range reports {
			for _, p := range r.Packages {
				if p.Name == "" || p.Version == "" || p.PURL == "" {
					t.Fatalf("package without name, version or purl: %+v", p)
				}
			}
		}
	})
}

func FuzzParseCycloneDX(f *testing.F) {
	f.Add(read(f, "sbom.cdx.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseCycloneDX(b)
		if err != nil {
			return
		}
		for _, p := range r.Packages {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("package without name or version: %+v", p)
			}
		}
	})
}

func FuzzPackageFromPURL(f *testing.F) {
	for _, s := range []string{"pkg:npm/%40angular/core@17.0.1", "pkg:deb/debian/openssl@3.0.11-1?distro=debian-12", "pkg:golang/golang.org/x/net@v0.17.0#sub"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := PackageFromPURL(s)
		if err == nil && (p.Name == "" || p.Version == "") {
			t.Fatalf("%q: package without name or version: %+v", s, p)
		}
	})
}
