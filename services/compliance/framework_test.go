package compliance_test

import (
	"strings"
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/compliance"
)

// The embedded frameworks hold what the standards define, and every
// mapping and control points at requirements that exist.
func TestFrameworkCounts(t *testing.T) {
	leaves := map[string]int{}
	prefix := map[string]map[string]int{}
	for _, f := range compliance.Frameworks() {
		leaves[f.ID] = len(f.Leaves())
		prefix[f.ID] = map[string]int{}
		for _, r := range f.Requirements {
			top := r.ID
			if i := strings.IndexAny(top[1:], ".-(") + 1; i > 0 {
				top = top[:i]
			}
			prefix[f.ID][top]++
		}
	}
	want := map[string]int{"iso27001": 93, "soc2": 61, "nist-csf": 106}
	for id, n := range want {
		if leaves[id] != n {
			t.Errorf("%s has %d leaf requirements, want %d", id, leaves[id], n)
		}
	}
	iso, _ := compliance.FrameworkByID("iso27001")
	for theme, n := range map[string]int{"A.5": 37, "A.6": 8, "A.7": 14, "A.8": 34} {
		if got := len(iso.Children(theme)); got != n {
			t.Errorf("ISO 27001 theme %s has %d controls, want %d", theme, got, n)
		}
	}
	nist, _ := compliance.FrameworkByID("nist-csf")
	if got := len(nist.Children("")); got != 6 {
		t.Errorf("NIST CSF 2.0 has %d functions, want 6", got)
	}
	cats := 0
	for _, fn := range nist.Children("") {
		cats += len(nist.Children(fn.ID))
	}
	if cats != 22 {
		t.Errorf("NIST CSF 2.0 has %d categories, want 22", cats)
	}
	pci, _ := compliance.FrameworkByID("pci-dss")
	if got := len(pci.Children("")); got != 12 {
		t.Errorf("PCI DSS has %d principal requirements, want 12", got)
	}
	for _, id := range []string{"6.3", "8.4", "10.2", "11.5", "12.10"} {
		if _, err := pci.Requirement(id); err != nil {
			t.Errorf("PCI DSS: %v", err)
		}
	}
	hipaa, _ := compliance.FrameworkByID("hipaa")
	for _, id := range []string{"164.308", "164.310", "164.312"} {
		if len(hipaa.Children(id)) == 0 {
			t.Errorf("HIPAA %s has no requirements below it", id)
		}
	}
	soc2, _ := compliance.FrameworkByID("soc2")
	if got := len(soc2.Children("CC6")); got != 8 {
		t.Errorf("SOC 2 CC6 has %d criteria, want 8", got)
	}
}

func TestMappingsResolve(t *testing.T) {
	if len(compliance.Mappings()) == 0 {
		t.Fatal("no mappings")
	}
	for _, m := range compliance.Mappings() {
		fws := map[string]bool{}
		for _, r := range m.Refs {
			if _, err := compliance.Resolve(r); err != nil {
				t.Errorf("mapping %s: %v", m.Topic, err)
			}
			fws[r.Framework] = true
		}
		if len(fws) < 2 {
			t.Errorf("mapping %s joins %d framework(s): a mapping is across frameworks", m.Topic, len(fws))
		}
	}
	for _, c := range compliance.Library() {
		if len(c.Requirements()) == 0 {
			t.Errorf("control %s satisfies no requirement", c.ID)
		}
		for _, r := range c.Requirements() {
			if _, err := compliance.Resolve(r); err != nil {
				t.Errorf("control %s: %v", c.ID, err)
			}
		}
		for _, id := range c.Tests {
			tt, err := compliance.TestByID(id)
			if err != nil || tt.Control != c.ID {
				t.Errorf("control %s: test %s is not its own (%v)", c.ID, id, err)
			}
		}
		for _, topic := range c.Topics {
			if _, ok := compliance.MappingByTopic(topic); !ok {
				t.Errorf("control %s: no mapping %q", c.ID, topic)
			}
		}
	}
	for _, tt := range compliance.Tests() {
		if _, err := compliance.ControlByID(tt.Control); err != nil {
			t.Errorf("test %s: %v", tt.ID, err)
		}
	}
	rel := compliance.Related(compliance.Ref{Framework: "iso27001", Requirement: "A.8.5"})
	found := false
	for _, r := range rel {
		found = found || r == compliance.Ref{Framework: "pci-dss", Requirement: "8.4.2"}
	}
	if !found {
		t.Errorf("ISO A.8.5 (authentication) is not related to PCI 8.4.2 (MFA): %v", rel)
	}
}

func TestUnknownIDsNameTheField(t *testing.T) {
	_, err := compliance.FrameworkByID("cobit")
	if e, ok := err.(*opsward.Error); !ok || e.Field != "framework" {
		t.Errorf("unknown framework: %v", err)
	}
	_, err = compliance.Resolve(compliance.Ref{Framework: "iso27001", Requirement: "A.9.9"})
	if e, ok := err.(*opsward.Error); !ok || e.Field != "requirement" {
		t.Errorf("unknown requirement: %v", err)
	}
	_, err = compliance.ControlByID("CTL-NOPE")
	if e, ok := err.(*opsward.Error); !ok || e.Field != "controlId" {
		t.Errorf("unknown control: %v", err)
	}
}
