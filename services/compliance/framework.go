package compliance

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/opsward/opsward"
)

//go:embed frameworks/*.txt
var frameworkFiles embed.FS

// Framework is one standard at one version: its requirements form a tree
// (Parent "" at the top).
type Framework struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Version      string        `json:"version"`
	Requirements []Requirement `json:"requirements"`
	byID         map[string]int
}

// Requirement is one node of a framework's tree, with its official id
// and a short description of our own.
type Requirement struct {
	ID          string `json:"id"`
	Parent      string `json:"parent,omitempty"`
	Description string `json:"description"`
}

// Ref names a requirement of a framework, written "framework:id".
type Ref struct {
	Framework   string `json:"framework"`
	Requirement string `json:"requirement"`
}

func (r Ref) String() string { return r.Framework + ":" + r.Requirement }

// ParseRef reads "framework:requirement".
func ParseRef(s string) (Ref, error) {
	fw, req, ok := strings.Cut(s, ":")
	if !ok || fw == "" || req == "" {
		return Ref{}, fmt.Errorf("%q is not framework:requirement", s)
	}
	return Ref{fw, req}, nil
}

// Mapping is a set of requirements, across frameworks, that the same
// evidence satisfies.
type Mapping struct {
	Topic string `json:"topic"`
	Refs  []Ref  `json:"refs"`
}

// Requirement returns the requirement id of f, or a not-found error
// naming the field "requirement".
func (f *Framework) Requirement(id string) (Requirement, error) {
	i, ok := f.byID[id]
	if !ok {
		return Requirement{}, &opsward.Error{Code: opsward.ENOTFOUND, Field: "requirement",
			Message: fmt.Sprintf("framework %s has no requirement %q", f.ID, id)}
	}
	return f.Requirements[i], nil
}

// Children lists the requirements directly below id ("" for the top).
func (f *Framework) Children(id string) []Requirement {
	var out []Requirement
	for _, r := range f.Requirements {
		if r.Parent == id {
			out = append(out, r)
		}
	}
	return out
}

// Leaves lists the requirements with no children: those a report states.
func (f *Framework) Leaves() []Requirement {
	parents := map[string]bool{}
	for _, r := range f.Requirements {
		parents[r.Parent] = true
	}
	var out []Requirement
	for _, r := range f.Requirements {
		if !parents[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

type catalogue struct {
	frameworks []*Framework
	mappings   []Mapping
	err        error
}

var (
	catOnce sync.Once
	cat     catalogue
)

func loadCatalogue() *catalogue {
	catOnce.Do(func() { cat = readCatalogue(frameworkFiles) })
	if cat.err != nil {
		// The files are embedded and checked by the tests: a failure is a
		// build defect, not an input error.
		panic(cat.err)
	}
	return &cat
}

func readCatalogue(fsys fs.FS) catalogue {
	var c catalogue
	names, err := fs.Glob(fsys, "frameworks/*.txt")
	if err != nil {
		return catalogue{err: err}
	}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return catalogue{err: err}
		}
		if strings.HasSuffix(n, "/mappings.txt") {
			if c.mappings, err = parseMappings(string(b)); err != nil {
				return catalogue{err: fmt.Errorf("%s: %w", n, err)}
			}
			continue
		}
		f, err := parseFramework(string(b))
		if err != nil {
			return catalogue{err: fmt.Errorf("%s: %w", n, err)}
		}
		c.frameworks = append(c.frameworks, f)
	}
	slices.SortFunc(c.frameworks, func(a, b *Framework) int { return strings.Compare(a.ID, b.ID) })
	return c
}

// parseFramework reads the embedded line format: a header comment
// "# framework ID | NAME | VERSION", then "id | parent | description".
func parseFramework(text string) (*Framework, error) {
	f := &Framework{byID: map[string]int{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if h, ok := strings.CutPrefix(line, "# framework "); ok {
			p := splitBar(h)
			if len(p) != 3 {
				return nil, fmt.Errorf("line %d: header needs id | name | version", n)
			}
			f.ID, f.Name, f.Version = p[0], p[1], p[2]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := splitBar(line)
		if len(p) != 3 || p[0] == "" || p[2] == "" {
			return nil, fmt.Errorf("line %d: want id | parent | description", n)
		}
		if _, dup := f.byID[p[0]]; dup {
			return nil, fmt.Errorf("line %d: requirement %s twice", n, p[0])
		}
		if p[1] != "" {
			if _, ok := f.byID[p[1]]; !ok {
				return nil, fmt.Errorf("line %d: parent %s of %s is not above it", n, p[1], p[0])
			}
		}
		f.byID[p[0]] = len(f.Requirements)
		f.Requirements = append(f.Requirements, Requirement{ID: p[0], Parent: p[1], Description: p[2]})
	}
	if f.ID == "" {
		return nil, fmt.Errorf("no framework header")
	}
	return f, sc.Err()
}

func parseMappings(text string) ([]Mapping, error) {
	var out []Mapping
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := splitBar(line)
		if len(p) != 2 {
			return nil, fmt.Errorf("line %d: want topic | refs", n+1)
		}
		m := Mapping{Topic: p[0]}
		for _, s := range strings.Fields(p[1]) {
			r, err := ParseRef(s)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			m.Refs = append(m.Refs, r)
		}
		out = append(out, m)
	}
	return out, nil
}

func splitBar(s string) []string {
	p := strings.Split(s, "|")
	for i := range p {
		p[i] = strings.TrimSpace(p[i])
	}
	return p
}

// Frameworks lists every framework, by id.
func Frameworks() []*Framework { return loadCatalogue().frameworks }

// FrameworkByID returns a framework, or a not-found error naming the
// field "framework".
func FrameworkByID(id string) (*Framework, error) {
	for _, f := range loadCatalogue().frameworks {
		if f.ID == id {
			return f, nil
		}
	}
	ids := make([]string, 0, len(loadCatalogue().frameworks))
	for _, f := range loadCatalogue().frameworks {
		ids = append(ids, f.ID)
	}
	return nil, &opsward.Error{Code: opsward.ENOTFOUND, Field: "framework",
		Message: fmt.Sprintf("unknown framework %q (known: %s)", id, strings.Join(ids, ", "))}
}

// Resolve checks that a reference names a requirement that exists.
func Resolve(r Ref) (Requirement, error) {
	f, err := FrameworkByID(r.Framework)
	if err != nil {
		return Requirement{}, err
	}
	return f.Requirement(r.Requirement)
}

// Mappings lists the cross-framework mappings.
func Mappings() []Mapping { return loadCatalogue().mappings }

// MappingByTopic returns a mapping by its topic.
func MappingByTopic(topic string) (Mapping, bool) {
	for _, m := range loadCatalogue().mappings {
		if m.Topic == topic {
			return m, true
		}
	}
	return Mapping{}, false
}

// Related lists the requirements of other frameworks that share a
// mapping with r: evidence for r counts for them too.
func Related(r Ref) []Ref {
	seen := map[Ref]bool{r: true}
	var out []Ref
	for _, m := range loadCatalogue().mappings {
		if !slices.Contains(m.Refs, r) {
			continue
		}
		for _, o := range m.Refs {
			if !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	return out
}
