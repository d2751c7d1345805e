package noc

import (
	"slices"
	"strings"

	"github.com/opsward/opsward"
)

// Dependencies is the parent/child graph of a tenant's assets: a child
// depends on its parents (a server on its switch, a site on its server).
// The zero value is empty and ready.
type Dependencies struct {
	parents map[string][]string
}

// Add records that child depends on parent. It refuses a dependency that
// would close a cycle, naming the path, since a cycle would let two assets
// suppress each other and nobody would be told.
func (g *Dependencies) Add(child, parent string) error {
	if child == parent {
		return opsward.FieldErrorf("parentId", "an asset cannot depend on itself")
	}
	if path := g.path(parent, child); path != nil {
		return opsward.FieldErrorf("parentId", "this dependency would make a cycle: %s → %s",
			child, strings.Join(path, " → "))
	}
	if g.parents == nil {
		g.parents = map[string][]string{}
	}
	if !slices.Contains(g.parents[child], parent) {
		g.parents[child] = append(g.parents[child], parent)
	}
	return nil
}

// Remove drops a dependency; removing one that is absent is harmless.
func (g *Dependencies) Remove(child, parent string) {
	if g.parents == nil {
		return
	}
	g.parents[child] = slices.DeleteFunc(g.parents[child], func(p string) bool { return p == parent })
}

// Parents returns the direct parents of an asset.
func (g *Dependencies) Parents(asset string) []string { return slices.Clone(g.parents[asset]) }

// path returns the chain of parents from "from" up to "to", or nil.
func (g *Dependencies) path(from, to string) []string {
	seen := map[string]bool{}
	var walk func(a string) []string
	walk = func(a string) []string {
		if a == to {
			return []string{a}
		}
		if seen[a] {
			return nil
		}
		seen[a] = true
		for _, p := range g.parents[a] {
			if rest := walk(p); rest != nil {
				return append([]string{a}, rest...)
			}
		}
		return nil
	}
	return walk(from)
}

// Suppressed reports whether an asset's alerts are to be suppressed
// because what it depends on is down, and returns the nearest down parent,
// whose incident the child's is linked to.
//
// An asset with several parents (redundant uplinks) is cut off only when
// every parent is down or itself cut off: one working path means the
// child's own failure is real news.
func (g *Dependencies) Suppressed(asset string, down map[string]bool) (parent string, ok bool) {
	memo := map[string]string{}
	var cut func(a string, depth int) string
	cut = func(a string, depth int) string {
		if r, ok := memo[a]; ok {
			return r
		}
		memo[a] = "" // the graph is acyclic; this only guards a corrupt one
		ps := g.parents[a]
		if len(ps) == 0 || depth > 1000 {
			return ""
		}
		first := ""
		for _, p := range ps {
			r := p
			if !down[p] {
				r = cut(p, depth+1)
			}
			if r == "" {
				return ""
			}
			if first == "" {
				first = r
			}
		}
		memo[a] = first
		return first
	}
	// The nearest down parent: prefer a direct parent that is down.
	r := cut(asset, 0)
	if r == "" {
		return "", false
	}
	for _, p := range g.parents[asset] {
		if down[p] {
			return p, true
		}
	}
	return r, true
}
