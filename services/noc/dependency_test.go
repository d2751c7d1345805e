package noc_test

import (
	"strings"
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc"
)

func TestDependenciesRefuseCycles(t *testing.T) {
	t.Parallel()
	var g noc.Dependencies
	g.Remove("server", "switch") // on an empty graph: harmless
	mustNil(t, g.Add("server", "switch"))
	mustNil(t, g.Add("switch", "router"))
	mustNil(t, g.Add("server", "switch")) // again: harmless
	tests := []struct {
		child, parent string
		wantIn        string
	}{
		{"router", "server", "router → server → switch → router"},
		{"router", "router", "itself"},
		{"switch", "server", "cycle"},
	}
	for _, tt := range tests {
		err := g.Add(tt.child, tt.parent)
		if opsward.ErrorField(err) != "parentId" || !strings.Contains(opsward.ErrorMessage(err), tt.wantIn) {
			t.Errorf("Add(%s, %s) = %v, want a parentId error mentioning %q", tt.child, tt.parent, err, tt.wantIn)
		}
	}
	if p := g.Parents("server"); len(p) != 1 || p[0] != "switch" {
		t.Fatalf("parents %v", p)
	}
	g.Remove("switch", "router")
	mustNil(t, g.Add("router", "server")) // no longer a cycle
}

// TestDependencySuppression is the "dependency suppression" behaviour: a
// child whose parent is down, directly or further up, has its incident
// suppressed and linked to the parent's, and nobody is paged for it.
func TestDependencySuppression(t *testing.T) {
	t.Parallel()
	var g noc.Dependencies
	mustNil(t, g.Add("site", "server"))
	mustNil(t, g.Add("server", "switch"))
	mustNil(t, g.Add("switch", "router"))
	// A redundant pair: the app runs on two servers.
	mustNil(t, g.Add("app", "server"))
	mustNil(t, g.Add("app", "server2"))

	tests := []struct {
		name   string
		asset  string
		down   []string
		parent string
		ok     bool
	}{
		{"nothing down", "site", nil, "", false},
		{"direct parent down", "site", []string{"server"}, "server", true},
		{"grandparent down", "site", []string{"router"}, "router", true},
		{"nearest down parent wins", "site", []string{"router", "server"}, "server", true},
		{"a root is never suppressed", "router", []string{"router"}, "", false},
		{"only one of two parents down", "app", []string{"server"}, "", false},
		{"both parents down", "app", []string{"server", "server2"}, "server", true},
		{"one parent cut off upstream, other down", "app", []string{"switch", "server2"}, "server2", true},
	}
	for _, tt := range tests {
		down := map[string]bool{}
		for _, d := range tt.down {
			down[d] = true
		}
		p, ok := g.Suppressed(tt.asset, down)
		if p != tt.parent || ok != tt.ok {
			t.Errorf("%s: Suppressed(%s) = %q, %v; want %q, %v", tt.name, tt.asset, p, ok, tt.parent, tt.ok)
		}
	}

	// The child's incident is linked, silent, and escalates no further.
	parent := noc.NewIncident("inc-switch", "m1", "switch", "switch down", noc.CriticalityHigh, t0)
	child := noc.NewIncident("inc-server", "m2", "server", "server down", noc.CriticalityCritical, t0)
	if _, ok := g.Suppressed("server", map[string]bool{"switch": true}); !ok {
		t.Fatal("server not suppressed by its switch")
	}
	child.SuppressBy(parent, t0)
	if !child.Suppressed || child.ParentID != "inc-switch" {
		t.Fatalf("child %+v", child)
	}
	last := child.Timeline[len(child.Timeline)-1]
	if last.Kind != noc.EntrySuppressedByParent || last.ParentIncidentID != "inc-switch" {
		t.Fatalf("timeline entry %+v", last)
	}
	if due := noc.Due(policy(), child, t0); due != nil {
		t.Fatalf("suppressed incident escalates: %+v", due)
	}
}
