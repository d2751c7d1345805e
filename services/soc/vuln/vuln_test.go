package vuln

import (
	"os"
	"strings"
	"testing"
)

func TestVersionOrders(t *testing.T) {
	for _, c := range []struct {
		eco, a, b string
		want      int
	}{
		{"Debian", "1:1.0", "2.0", 1},    // the epoch first
		{"Debian", "1.0~rc1", "1.0", -1}, // "~" before anything, even the end
		{"Debian", "3.0.14-1~deb12u2", "3.0.15-1~deb12u1", -1},
		{"Ubuntu:22.04:LTS", "2.35-0ubuntu3.6", "2.35-0ubuntu3.10", -1},
		{"Debian", "1.0-1", "1.0-1", 0},
		{"Red Hat", "5.14.0-362.el9", "5.14.0-427.el9", -1},
		{"Rocky Linux", "2:1.0-1", "1:9.9-1", 1},
		{"Alpine", "1.36.1-r15", "1.36.1-r16", -1},
		{"Alpine:v3.19", "1.0_alpha1", "1.0", -1},
		{"npm", "1.2.3", "1.10.0", -1},
		{"Go", "v1.0.0-rc.1", "v1.0.0", -1},
		{"crates.io", "0.9.0", "0.9.0", 0},
	} {
		o, err := OrderOf(c.eco)
		if err != nil {
			t.Fatal(err)
		}
		got, err := o.Compare(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("%s: %s vs %s = %d, %v; want %d", c.eco, c.a, c.b, got, err, c.want)
		}
		if back, _ := o.Compare(c.b, c.a); back != -c.want {
			t.Errorf("%s: %s vs %s is not the reverse of the other way (%d)", c.eco, c.b, c.a, back)
		}
	}
	if _, err := OrderOf("PyPI"); err == nil || !strings.Contains(err.Error(), "PyPI") {
		t.Errorf("an ecosystem without a known order: %v", err)
	}
	for _, c := range []struct {
		o    Order
		a, b string
	}{{OrderDebian, "1:", "1.0"}, {OrderAlpine, "1.0", "not a version!"}, {OrderSemVer, "1.0.0", "1.x"}, {OrderRPM, "", "1.0"}} {
		if _, err := c.o.Compare(c.a, c.b); err == nil {
			t.Errorf("order %d: %q vs %q compared", c.o, c.a, c.b)
		}
	}
}

func TestCVSS3Scores(t *testing.T) {
	for _, c := range []struct {
		vector string
		want   float64
		band   string
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "high"},
		{"CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "medium"},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "low"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, "none"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O", 9.8, "critical"},
	} {
		got, err := CVSS3Score(c.vector)
		if err != nil || got != c.want || SeverityOf(got) != c.band {
			t.Errorf("%s = %v (%s), %v; want %v (%s)", c.vector, got, SeverityOf(got), err, c.want, c.band)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:Q/C:H/I:H/A:H/X"} {
		if _, err := CVSS3Score(bad); err == nil {
			t.Errorf("%q scored", bad)
		}
	}
}

func TestAdvisoryVerdicts(t *testing.T) {
	b, err := os.ReadFile("testdata/DSA-openssl.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAdvisory(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		eco, name, version string
		affected           bool
		fixed              string
	}{
		{"Debian:12", "openssl", "3.0.14-1~deb12u2", true, "3.0.15-1~deb12u1"},
		{"Debian:12", "openssl", "3.0.15-1~deb12u1", false, ""},
		{"Debian", "openssl", "1:1.0", false, ""},       // an epoch puts it past the fix
		{"Debian:11", "openssl", "1.1.1n-0", false, ""}, // another release
		{"npm", "left-pad", "0.9.0", false, ""},
		{"npm", "left-pad", "1.1.0", true, "1.2.1"},
		{"npm", "left-pad", "1.5.0", false, ""},
		{"npm", "left-pad", "2.0.2", true, "2.0.3"},
		{"npm", "left-pad", "2.0.3", false, ""},
		{"npm", "right-pad", "1.1.0", false, ""},
		{"Alpine:v3.19", "busybox", "1.36.1-r15", true, ""},
		{"Alpine:v3.19", "busybox", "1.36.1-r16", false, ""},
		{"Red Hat", "kernel", "5.14.0-362.el9", true, "0:5.14.0-427.el9"},
		{"Red Hat", "kernel", "5.14.0-999.custom", true, ""}, // listed by version
	} {
		v, err := a.Check(c.eco, c.name, c.version)
		if err != nil || v.Affected != c.affected || v.Fixed != c.fixed {
			t.Errorf("%s %s %s: %+v, %v; want affected %t fixed %q", c.eco, c.name, c.version, v, err, c.affected, c.fixed)
		}
	}
	// A withdrawn advisory affects nothing.
	w, err := ParseAdvisory([]byte(strings.Replace(string(b), `"published"`, `"withdrawn": "2026-11-21T00:00:00Z", "published"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := w.Check("npm", "left-pad", "1.1.0"); v.Affected {
		t.Error("a withdrawn advisory still affects")
	}
	// A version the ecosystem cannot read is an error, not a verdict.
	if _, err := a.Check("npm", "left-pad", "latest"); err == nil {
		t.Error("an unreadable version was judged")
	}
}

func TestBadAdvisories(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`not json`, "not an OSV record"},
		{`{"modified":"2026-11-20T10:00:00Z","affected":[]}`, "id:"},
		{`{"id":"X-1","affected":[]}`, "modified"},
		{`{"id":"X-1","modified":"2026-11-20T10:00:00Z","affected":[{"package":{"name":"a"}}]}`, "affected[0].package"},
		{`{"id":"X-1","modified":"2026-11-20T10:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"RANGE","events":[{"introduced":"0"}]}]}]}`, "ranges[0].type"},
		{`{"id":"X-1","modified":"2026-11-20T10:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]}]}`, "events[0]"},
		{`{"id":"X-1","modified":"2026-11-20T10:00:00Z","severity":[{"type":"CVSS_V3","score":"9.8"}],"affected":[]}`, "severity[0].score"},
		{`{"id":"X-1","modified":"2026-11-20T10:00:00Z","affected":[]} {}`, "more than one"},
	} {
		if _, err := ParseAdvisory([]byte(c.doc)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error naming %q", c.doc, err, c.want)
		}
	}
}

func FuzzParseAdvisory(f *testing.F) {
	b, _ := os.ReadFile("testdata/DSA-openssl.json")
	f.Add(b)
	f.Add([]byte(`{"id":"X","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian","name":"p"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"limit":"2"}]}]}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		a, err := ParseAdvisory(doc)
		if err != nil {
			return
		}
		for _, af := range a.Affected {
			for _, v := range []string{"0", "1.0", "1:2.3-4", "v1.2.3"} {
				_, _ = a.Check(af.Package.Ecosystem, af.Package.Name, v)
			}
		}
	})
}

func FuzzCVSS3(f *testing.F) {
	f.Add("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	f.Add("CVSS:3.0/AV:P/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := CVSS3Score(v)
		if err == nil && (s < 0 || s > 10) {
			t.Fatalf("%q scored %v", v, s)
		}
	})
}

func FuzzCompare(f *testing.F) {
	f.Add(uint8(1), "1:1.0~rc1-2", "1.0-1")
	f.Add(uint8(2), "2:1.0-1.el9", "1.0-1")
	f.Add(uint8(3), "1.0_alpha1-r0", "1.0-r1")
	f.Add(uint8(4), "1.2.3-rc.1", "1.2.3")
	f.Fuzz(func(t *testing.T, o uint8, a, b string) {
		ord := Order(o%4 + 1)
		ab, err1 := ord.Compare(a, b)
		ba, err2 := ord.Compare(b, a)
		if err1 == nil && err2 == nil && ab != -ba {
			t.Fatalf("order %d: %q vs %q is %d, but the reverse is %d", ord, a, b, ab, ba)
		}
	})
}
