package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/opsward/opsward"
)

// Kind tells a detection rule from a correlation rule and a filter.
type Kind int

const (
	KindDetection Kind = iota
	KindCorrelation
	KindFilter
)

func (k Kind) String() string {
	switch k {
	case KindCorrelation:
		return "correlation"
	case KindFilter:
		return "filter"
	}
	return "detection"
}

// LogSource is a rule's logsource. Empty members are wildcards.
type LogSource struct {
	Product  string `json:"product,omitempty"`
	Category string `json:"category,omitempty"`
	Service  string `json:"service,omitempty"`
}

// Fits reports whether an event of source ev is selected by logsource l:
// every member l sets must be equal in ev.
func (l LogSource) Fits(ev LogSource) bool {
	return (l.Product == "" || l.Product == ev.Product) &&
		(l.Category == "" || l.Category == ev.Category) &&
		(l.Service == "" || l.Service == ev.Service)
}

func (l LogSource) String() string {
	return l.Product + "/" + l.Category + "/" + l.Service
}

// Rule is one parsed Sigma document: a detection rule, a correlation rule or
// a filter, as selected by Kind.
type Rule struct {
	File           string // the file the rule came from, for messages
	Kind           Kind
	Title          string
	ID             string
	Name           string
	Status         string
	Description    string
	Author         string // must be shown with every match (Detection Rule License)
	Level          string
	Taxonomy       string
	Date           string
	Modified       string
	References     []string
	Tags           []string
	FalsePositives []string
	Fields         []string
	LogSource      LogSource
	Detection      *Detection   // KindDetection and KindFilter
	Correlation    *Correlation // KindCorrelation
	Filter         *FilterSpec  // KindFilter
}

// Ref is how other documents refer to the rule: its id, else its name.
func (r *Rule) Ref() string {
	if r.ID != "" {
		return r.ID
	}
	return r.Name
}

// Detection is a rule's detection section.
type Detection struct {
	Searches   map[string]*Search
	Order      []string // search identifiers in file order
	Conditions []string // a list of conditions is OR-ed
	Timeframe  string   // legacy; kept for display only
}

// Search is one search identifier: an OR of maps (a single map, a list of
// maps, or a keyword list, where each keyword is its own map).
type Search struct {
	Name string
	Maps []SearchMap
}

// SearchMap is an AND of field items.
type SearchMap []FieldItem

// FieldItem is "Field|mod|mod: values". Field is empty for keywords.
type FieldItem struct {
	Field     string
	Modifiers []string
	Values    []Value
	Path      string // detection.<search>.<key>, for messages
}

// ValueKind is the YAML type of a rule value.
type ValueKind int

const (
	VString ValueKind = iota
	VNumber
	VBool
	VNull
)

// Value is one scalar of a rule.
type Value struct {
	Kind ValueKind
	S    string // text form (numbers in canonical form)
	N    float64
}

// Correlation is a correlation rule's correlation section.
type Correlation struct {
	Type      string
	Rules     []string
	GroupBy   []string
	Timespan  string
	Aliases   map[string]map[string]string // alias -> rule name -> field
	Condition map[string]float64           // gt, gte, lt, lte, eq, neq
	Field     []string                     // the condition's field
	Generate  bool
}

// FilterSpec is a filter document's filter section.
type FilterSpec struct {
	Rules []string
}

var correlationTypes = map[string]bool{
	"event_count": true, "value_count": true, "temporal": true, "temporal_ordered": true,
	"value_sum": true, "value_avg": true, "value_percentile": true,
}

// ruleError is the error for a rule that cannot be used: it names the file,
// the place in the rule and what is wrong.
func ruleError(file, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	where := file
	if field != "" {
		if where != "" {
			where += ": "
		}
		where += field
	}
	if where != "" {
		msg = where + ": " + msg
	}
	return &opsward.Error{Code: opsward.EINVALID, Field: field, Message: msg}
}

// ParseFile reads a YAML file of one or more Sigma documents.
func ParseFile(path string) ([]*Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ruleError(path, "", "cannot read: %v", err)
	}
	return Parse(path, data)
}

// Parse parses one or more YAML documents. name is used in messages. A
// document that only sets defaults for the ones after it (the legacy
// "action: global" form) is refused.
func Parse(name string, data []byte) ([]*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var rules []*Rule
	for i := 0; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ruleError(name, "", "invalid YAML: %v", err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		r, err := parseDoc(name, doc.Content[0])
		if err != nil {
			return nil, err
		}
		if r != nil {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return nil, ruleError(name, "", "no Sigma document in file")
	}
	return rules, nil
}

func parseDoc(file string, n *yaml.Node) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, ruleError(file, "", "a Sigma document must be a YAML map (line %d)", n.Line)
	}
	r := &Rule{File: file}
	var det, corr, filt, ls *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		var err error
		switch k {
		case "title":
			r.Title, err = scalarString(file, k, v)
		case "id":
			r.ID, err = scalarString(file, k, v)
		case "name":
			r.Name, err = scalarString(file, k, v)
		case "status":
			r.Status, err = scalarString(file, k, v)
		case "description":
			r.Description, err = scalarString(file, k, v)
		case "author":
			r.Author, err = scalarString(file, k, v)
		case "level":
			r.Level, err = scalarString(file, k, v)
		case "taxonomy":
			r.Taxonomy, err = scalarString(file, k, v)
		case "date":
			r.Date, err = scalarString(file, k, v)
		case "modified":
			r.Modified, err = scalarString(file, k, v)
		case "references":
			r.References, err = stringList(file, k, v)
		case "tags":
			r.Tags, err = stringList(file, k, v)
		case "falsepositives":
			r.FalsePositives, err = stringList(file, k, v)
		case "fields":
			r.Fields, err = stringList(file, k, v)
		case "logsource":
			ls = v
		case "detection":
			det = v
		case "correlation":
			corr = v
		case "filter":
			filt = v
		case "action":
			return nil, ruleError(file, k, "legacy multi-document rule collections (action: %s) are not supported", v.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	if r.Title == "" {
		return nil, ruleError(file, "title", "missing (every Sigma document needs a title)")
	}
	if ls != nil {
		if err := parseLogSource(file, ls, &r.LogSource); err != nil {
			return nil, err
		}
	}
	switch {
	case corr != nil:
		r.Kind = KindCorrelation
		c, err := parseCorrelation(file, corr)
		if err != nil {
			return nil, err
		}
		r.Correlation = c
	case filt != nil:
		r.Kind = KindFilter
		if ls == nil {
			return nil, ruleError(file, "logsource", "missing (a filter needs a logsource)")
		}
		if filt.Kind != yaml.MappingNode {
			return nil, ruleError(file, "filter", "must be a map with rules, selections and condition")
		}
		f := &FilterSpec{}
		d := &yaml.Node{Kind: yaml.MappingNode}
		for i := 0; i+1 < len(filt.Content); i += 2 {
			if filt.Content[i].Value == "rules" {
				rs, err := stringList(file, "filter.rules", filt.Content[i+1])
				if err != nil {
					return nil, err
				}
				f.Rules = rs
				continue
			}
			d.Content = append(d.Content, filt.Content[i], filt.Content[i+1])
		}
		r.Filter = f
		dd, err := parseDetection(file, "filter", d)
		if err != nil {
			return nil, err
		}
		r.Detection = dd
	default:
		r.Kind = KindDetection
		if det == nil {
			return nil, ruleError(file, "detection", "missing")
		}
		if ls == nil {
			return nil, ruleError(file, "logsource", "missing")
		}
		d, err := parseDetection(file, "detection", det)
		if err != nil {
			return nil, err
		}
		r.Detection = d
	}
	return r, nil
}

func scalarString(file, field string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", ruleError(file, field, "must be a single value (line %d)", v.Line)
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return v.Value, nil
}

func stringList(file, field string, v *yaml.Node) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for i, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return nil, ruleError(file, fmt.Sprintf("%s[%d]", field, i), "must be a single value (line %d)", e.Line)
			}
			out = append(out, e.Value)
		}
		return out, nil
	}
	return nil, ruleError(file, field, "must be a value or a list of values (line %d)", v.Line)
}

func parseLogSource(file string, v *yaml.Node, ls *LogSource) error {
	if v.Kind != yaml.MappingNode {
		return ruleError(file, "logsource", "must be a map (line %d)", v.Line)
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := v.Content[i].Value
		var dst *string
		switch k {
		case "product":
			dst = &ls.Product
		case "category":
			dst = &ls.Category
		case "service":
			dst = &ls.Service
		default:
			continue // definition and custom members are informative
		}
		s, err := scalarString(file, "logsource."+k, v.Content[i+1])
		if err != nil {
			return err
		}
		*dst = strings.ToLower(strings.TrimSpace(s))
	}
	return nil
}

func parseDetection(file, section string, v *yaml.Node) (*Detection, error) {
	if v.Kind != yaml.MappingNode {
		return nil, ruleError(file, section, "must be a map of search identifiers and a condition (line %d)", v.Line)
	}
	d := &Detection{Searches: map[string]*Search{}}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i].Value, v.Content[i+1]
		path := section + "." + k
		switch k {
		case "condition":
			cs, err := stringList(file, path, val)
			if err != nil {
				return nil, err
			}
			d.Conditions = cs
			continue
		case "timeframe":
			d.Timeframe = val.Value
			continue
		}
		s, err := parseSearch(file, path, k, val)
		if err != nil {
			return nil, err
		}
		if _, dup := d.Searches[k]; dup {
			return nil, ruleError(file, path, "search identifier defined twice")
		}
		d.Searches[k] = s
		d.Order = append(d.Order, k)
	}
	if len(d.Conditions) == 0 {
		return nil, ruleError(file, section+".condition", "missing")
	}
	if len(d.Searches) == 0 {
		return nil, ruleError(file, section, "no search identifier")
	}
	for i, c := range d.Conditions {
		if _, err := ParseCondition(c); err != nil {
			f := section + ".condition"
			if len(d.Conditions) > 1 {
				f = fmt.Sprintf("%s[%d]", f, i)
			}
			return nil, ruleError(file, f, "%v", err)
		}
	}
	return d, nil
}

func parseSearch(file, path, name string, v *yaml.Node) (*Search, error) {
	s := &Search{Name: name}
	switch v.Kind {
	case yaml.MappingNode:
		m, err := parseSearchMap(file, path, v)
		if err != nil {
			return nil, err
		}
		s.Maps = append(s.Maps, m)
	case yaml.SequenceNode:
		var keywords []Value
		for i, e := range v.Content {
			switch e.Kind {
			case yaml.MappingNode:
				m, err := parseSearchMap(file, fmt.Sprintf("%s[%d]", path, i), e)
				if err != nil {
					return nil, err
				}
				s.Maps = append(s.Maps, m)
			case yaml.ScalarNode:
				keywords = append(keywords, scalarValue(e))
			default:
				return nil, ruleError(file, fmt.Sprintf("%s[%d]", path, i), "a search list holds maps or keywords, not nested lists (line %d)", e.Line)
			}
		}
		if len(keywords) > 0 {
			s.Maps = append(s.Maps, SearchMap{{Values: keywords, Path: path}})
		}
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, ruleError(file, path, "empty search identifier (line %d)", v.Line)
		}
		s.Maps = append(s.Maps, SearchMap{{Values: []Value{scalarValue(v)}, Path: path}})
	default:
		return nil, ruleError(file, path, "unsupported YAML construct (line %d)", v.Line)
	}
	if len(s.Maps) == 0 {
		return nil, ruleError(file, path, "empty search identifier (line %d)", v.Line)
	}
	return s, nil
}

func parseSearchMap(file, path string, v *yaml.Node) (SearchMap, error) {
	var m SearchMap
	for i := 0; i+1 < len(v.Content); i += 2 {
		key, val := v.Content[i].Value, v.Content[i+1]
		p := path + "." + key
		parts := strings.Split(key, "|")
		it := FieldItem{Field: parts[0], Modifiers: parts[1:], Path: p}
		for _, mod := range it.Modifiers {
			if mod == "" {
				return nil, ruleError(file, p, "empty modifier")
			}
		}
		switch val.Kind {
		case yaml.ScalarNode:
			it.Values = []Value{scalarValue(val)}
		case yaml.SequenceNode:
			for j, e := range val.Content {
				if e.Kind != yaml.ScalarNode {
					return nil, ruleError(file, fmt.Sprintf("%s[%d]", p, j), "values must be scalars (line %d)", e.Line)
				}
				it.Values = append(it.Values, scalarValue(e))
			}
			if len(it.Values) == 0 {
				return nil, ruleError(file, p, "empty list of values (line %d)", val.Line)
			}
		default:
			return nil, ruleError(file, p, "values must be a scalar or a list of scalars, not a map (line %d)", val.Line)
		}
		m = append(m, it)
	}
	if len(m) == 0 {
		return nil, ruleError(file, path, "empty map (line %d)", v.Line)
	}
	return m, nil
}

func scalarValue(n *yaml.Node) Value {
	switch n.Tag {
	case "!!null":
		return Value{Kind: VNull}
	case "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return Value{Kind: VBool, S: strconv.FormatBool(b)}
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return Value{Kind: VNumber, S: strconv.FormatInt(i, 10), N: float64(i)}
		}
		return Value{Kind: VString, S: n.Value}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return Value{Kind: VNumber, S: n.Value, N: f}
		}
	}
	return Value{Kind: VString, S: n.Value}
}

func parseCorrelation(file string, v *yaml.Node) (*Correlation, error) {
	if v.Kind != yaml.MappingNode {
		return nil, ruleError(file, "correlation", "must be a map (line %d)", v.Line)
	}
	c := &Correlation{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i].Value, v.Content[i+1]
		p := "correlation." + k
		var err error
		switch k {
		case "type":
			c.Type, err = scalarString(file, p, val)
		case "rules":
			c.Rules, err = stringList(file, p, val)
		case "group-by":
			c.GroupBy, err = stringList(file, p, val)
		case "timespan":
			c.Timespan, err = scalarString(file, p, val)
		case "generate":
			c.Generate = val.Value == "true"
		case "aliases":
			if val.Kind != yaml.MappingNode {
				return nil, ruleError(file, p, "must be a map of alias -> rule name -> field")
			}
			c.Aliases = map[string]map[string]string{}
			for j := 0; j+1 < len(val.Content); j += 2 {
				alias, m := val.Content[j].Value, val.Content[j+1]
				if m.Kind != yaml.MappingNode {
					return nil, ruleError(file, p+"."+alias, "must be a map of rule name -> field")
				}
				c.Aliases[alias] = map[string]string{}
				for x := 0; x+1 < len(m.Content); x += 2 {
					c.Aliases[alias][m.Content[x].Value] = m.Content[x+1].Value
				}
			}
		case "condition":
			if val.Kind != yaml.MappingNode {
				return nil, ruleError(file, p, "must be a map such as {gte: 10} (line %d)", val.Line)
			}
			c.Condition = map[string]float64{}
			for j := 0; j+1 < len(val.Content); j += 2 {
				op, x := val.Content[j].Value, val.Content[j+1]
				if op == "field" {
					c.Field, err = stringList(file, p+".field", x)
					if err != nil {
						return nil, err
					}
					continue
				}
				switch op {
				case "gt", "gte", "lt", "lte", "eq", "neq":
				default:
					return nil, ruleError(file, p+"."+op, "unknown operator (want gt, gte, lt, lte, eq, neq or field)")
				}
				f, perr := strconv.ParseFloat(x.Value, 64)
				if perr != nil {
					return nil, ruleError(file, p+"."+op, "%q is not a number", x.Value)
				}
				c.Condition[op] = f
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if !correlationTypes[c.Type] {
		return nil, ruleError(file, "correlation.type", "%q is not a correlation type (want event_count, value_count, temporal, temporal_ordered, value_sum, value_avg or value_percentile)", c.Type)
	}
	if len(c.Rules) == 0 {
		return nil, ruleError(file, "correlation.rules", "missing")
	}
	if _, err := ParseTimespan(c.Timespan); err != nil {
		return nil, ruleError(file, "correlation.timespan", "%v", err)
	}
	switch c.Type {
	case "temporal", "temporal_ordered":
	default:
		if len(c.Condition) == 0 {
			return nil, ruleError(file, "correlation.condition", "missing (a %s correlation needs one, e.g. {gte: 10})", c.Type)
		}
		if c.Type != "event_count" && len(c.Field) == 0 {
			return nil, ruleError(file, "correlation.condition.field", "missing (a %s correlation needs the field it aggregates)", c.Type)
		}
	}
	return c, nil
}

// LoadDir parses every .yml/.yaml file under the given folders. It returns
// the rules that parsed and one error per file that did not.
func LoadDir(dirs ...string) ([]*Rule, []error) {
	var rules []*Rule
	var errs []error
	for _, dir := range dirs {
		var files []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, ruleError(dir, "", "cannot read folder: %v", err))
			continue
		}
		sort.Strings(files)
		for _, f := range files {
			rs, err := ParseFile(f)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			rules = append(rules, rs...)
		}
	}
	return rules, errs
}
