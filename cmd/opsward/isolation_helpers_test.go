package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/internal/httpapi"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// This file holds the machinery of the cross-tenant suite: introspection,
// the generator that turns the live schema into operations, the HTTP
// client that sends them as an actor, the scan of responses for another
// tenant's data, and the fingerprint of a tenant's rows.

// --- introspection ---------------------------------------------------------

type isoTypeRef struct {
	Kind   string      `json:"kind"`
	Name   string      `json:"name"`
	OfType *isoTypeRef `json:"ofType"`
}

// named returns the innermost named type.
func (r isoTypeRef) named() isoTypeRef {
	for r.OfType != nil {
		r = *r.OfType
	}
	return r
}

func (r isoTypeRef) nonNull() bool { return r.Kind == "NON_NULL" }

// isList reports whether the type is a list, under any non-null wrapper.
func (r isoTypeRef) isList() bool {
	if r.Kind == "NON_NULL" && r.OfType != nil {
		return r.OfType.isList()
	}
	return r.Kind == "LIST"
}

// elem is the element type of a list (unwrapping non-null).
func (r isoTypeRef) elem() isoTypeRef {
	if r.Kind == "NON_NULL" && r.OfType != nil {
		return r.OfType.elem()
	}
	if r.Kind == "LIST" && r.OfType != nil {
		return *r.OfType
	}
	return r
}

// String renders the type as GraphQL writes it, for variable declarations.
func (r isoTypeRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return r.Name
}

type isoInputValue struct {
	Name string     `json:"name"`
	Type isoTypeRef `json:"type"`
}

type isoField struct {
	Name string          `json:"name"`
	Args []isoInputValue `json:"args"`
	Type isoTypeRef      `json:"type"`
}

type isoType struct {
	Kind          string          `json:"kind"`
	Name          string          `json:"name"`
	Fields        []isoField      `json:"fields"`
	InputFields   []isoInputValue `json:"inputFields"`
	Interfaces    []struct{ Name string }
	PossibleTypes []struct{ Name string }
	EnumValues    []struct{ Name string }
}

type isoSchema struct {
	QueryType        *struct{ Name string } `json:"queryType"`
	MutationType     *struct{ Name string } `json:"mutationType"`
	SubscriptionType *struct{ Name string } `json:"subscriptionType"`
	Types            []isoType              `json:"types"`
	byName           map[string]*isoType
}

const isoIntrospection = `query {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name
      fields(includeDeprecated: true) { name args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } }
      interfaces { name }
      possibleTypes { name }
      enumValues(includeDeprecated: true) { name }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }`

func (s *isoSchema) index() {
	s.byName = map[string]*isoType{}
	for i := range s.Types {
		s.byName[s.Types[i].Name] = &s.Types[i]
	}
}

func (s *isoSchema) typ(name string) *isoType { return s.byName[name] }

// nodeTypes lists the object types that implement Node.
func (s *isoSchema) nodeTypes() []string {
	var out []string
	for _, t := range s.Types {
		if t.Kind != "OBJECT" {
			continue
		}
		for _, i := range t.Interfaces {
			if i.Name == "Node" {
				out = append(out, t.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// --- the HTTP side ----------------------------------------------------------

// isoActor is who sends an operation: its Authorization header and, when
// set, the acting tenant it asks for.
type isoActor struct {
	Name   string
	Auth   string // "Bearer …", or "" for anonymous
	Tenant string // X-Opsward-Tenant
}

type isoResult struct {
	Status int
	Data   any
	Errors []isoError
	Raw    string
}

type isoError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func (e isoError) code() string { s, _ := e.Extensions["code"].(string); return s }

var isoHTTP = &http.Client{Timeout: 30 * time.Second}

// isoPost sends one GraphQL operation as actor and decodes what it can.
func isoPost(ctx context.Context, base string, a isoActor, query string, vars map[string]any) (isoResult, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return isoResult{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return isoResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.Auth != "" {
		req.Header.Set("Authorization", a.Auth)
	}
	if a.Tenant != "" {
		req.Header.Set(httpapi.TenantHeader, a.Tenant)
	}
	resp, err := isoHTTP.Do(req)
	if err != nil {
		return isoResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return isoResult{}, err
	}
	out := isoResult{Status: resp.StatusCode, Raw: string(raw)}
	var r struct {
		Data   any        `json:"data"`
		Errors []isoError `json:"errors"`
	}
	if json.Unmarshal(raw, &r) == nil {
		out.Data, out.Errors = r.Data, r.Errors
	}
	return out, nil
}

// isoMust sends an operation that has to succeed (test set-up) and returns
// its data.
func isoMust(t *testing.T, base string, a isoActor, query string, vars map[string]any) map[string]any {
	t.Helper()
	r, err := isoPost(context.Background(), base, a, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := r.Data.(map[string]any)
	if r.Status != http.StatusOK || len(r.Errors) > 0 || data == nil {
		t.Fatalf("%s as %s: status %d: %s", firstWord(query), a.Name, r.Status, r.Raw)
	}
	for _, v := range data {
		if p, ok := v.(map[string]any); ok {
			if ue, _ := p["userErrors"].([]any); len(ue) > 0 {
				t.Fatalf("%s as %s: userErrors %v", firstWord(query), a.Name, ue)
			}
		}
	}
	return data
}

func firstWord(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexAny(q, "{("); i > 0 {
		return strings.TrimSpace(q[:i])
	}
	return q
}

// isoLogin logs in through the REST endpoint.
func isoLogin(t *testing.T, base, email, password string) tenants.Tokens {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := isoHTTP.Post(base+"/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok tenants.Tokens
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("login %s: status %d: %s", email, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login %s: %v %+v", email, err, tok)
	}
	return tok
}

// corrupt returns a well-formed opaque secret (kind_prefix_secret) that
// keeps the real prefix but whose secret part is wrong.
func corrupt(secret string) string {
	i := strings.LastIndex(secret, "_")
	if i < 0 || len(secret)-i < 12 {
		return secret + "x"
	}
	b := []byte(secret)
	for _, p := range []int{i + 3, i + 7, i + 11} {
		if b[p] == 'a' {
			b[p] = 'b'
		} else {
			b[p] = 'a'
		}
	}
	return string(b)
}

// --- leak detection --------------------------------------------------------

// isoMarker is a value that belongs to the victim tenant: an ID, an email,
// a secret or a key prefix.
type isoMarker struct {
	Value string
	What  string
}

// scanLeaks returns the markers found in data. Inside a userErrors list,
// a marker the caller sent itself (in sent) is an echo of its input, not
// a leak. Strings shaped like a JWT are decoded and their claims scanned.
func scanLeaks(data any, markers []isoMarker, sent string) []string {
	found := map[string]bool{}
	var walk func(v any, inUserErrors bool)
	check := func(s string, inUserErrors bool) {
		if s == "" {
			return
		}
		candidates := []string{s}
		if parts := strings.Split(s, "."); len(parts) == 3 {
			if claims, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
				candidates = append(candidates, string(claims))
			}
		}
		for _, c := range candidates {
			for _, m := range markers {
				if strings.Contains(c, m.Value) && !(inUserErrors && strings.Contains(sent, m.Value)) {
					found[m.What+" "+m.Value] = true
				}
			}
		}
	}
	walk = func(v any, inUE bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, inUE || k == "userErrors")
			}
		case []any:
			for _, e := range x {
				walk(e, inUE)
			}
		case string:
			check(x, inUE)
		}
	}
	walk(data, false)
	out := make([]string, 0, len(found))
	for k := range found {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// --- the victim's rows -------------------------------------------------------

// transientTables hold rows that live for moments (a relay moves them on
// and deletes them): their content says nothing about a tenant's state.
var transientTables = map[string]bool{"dispatch_outbox": true}

// tenantTables lists every table with a tenant_id column, so that a table
// added later is part of the fingerprint without editing this test.
func tenantTables(ctx context.Context, m *Main) ([]string, error) {
	q := `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
	      WHERE m.type = 'table' AND p.name = 'tenant_id' ORDER BY m.name`
	if m.DB.Dialect == platform.Postgres {
		q = `SELECT table_name FROM information_schema.columns
		     WHERE table_schema = current_schema() AND column_name = 'tenant_id' ORDER BY table_name`
	}
	return queryStrings(ctx, m, q)
}

func queryStrings(ctx context.Context, m *Main, q string, args ...any) ([]string, error) {
	rows, err := m.DB.DB.QueryContext(tenants.Privileged(ctx, "cross-tenant test"), q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// placeholders returns n bind parameters for m's database.
func placeholders(m *Main, n, from int) string {
	ps := make([]string, n)
	for i := range ps {
		if m.DB.Dialect == platform.Postgres {
			ps[i] = fmt.Sprintf("$%d", from+i)
		} else {
			ps[i] = "?"
		}
	}
	return strings.Join(ps, ", ")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// tenantSubtree returns the ids of a tenant and every tenant below it.
func tenantSubtree(ctx context.Context, m *Main, id string) ([]string, error) {
	paths, err := queryStrings(ctx, m, "SELECT path FROM tenants WHERE id = "+placeholders(m, 1, 1), id)
	if err != nil || len(paths) != 1 {
		return nil, fmt.Errorf("path of %s: %v (%d rows)", id, err, len(paths))
	}
	return queryStrings(ctx, m, "SELECT id FROM tenants WHERE path LIKE "+placeholders(m, 1, 1)+" ORDER BY id", paths[0]+"%")
}

// ownedRows is every row that belongs to a set of tenants, by table and
// by a row key, each rendered as text; users are those with a membership
// in the set.
type ownedRows map[string]map[string]string

func readOwnedRows(ctx context.Context, m *Main, tenantIDs []string) (ownedRows, error) {
	tables, err := tenantTables(ctx, m)
	if err != nil {
		return nil, err
	}
	in := placeholders(m, len(tenantIDs), 1)
	out := ownedRows{}
	read := func(table, q string, args []any) error {
		rows, err := m.DB.DB.QueryContext(tenants.Privileged(ctx, "cross-tenant test"), q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		key := slices.Index(cols, "id")
		out[table] = map[string]string{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			var b strings.Builder
			for i, c := range cols {
				v := vals[i]
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				if tm, ok := v.(time.Time); ok {
					v = tm.UTC().Format(time.RFC3339Nano)
				}
				fmt.Fprintf(&b, "%s=%v;", c, v)
			}
			k := b.String()
			if key >= 0 {
				k = fmt.Sprint(vals[key])
				if bs, ok := vals[key].([]byte); ok {
					k = string(bs)
				}
			} else {
				sum := sha256.Sum256([]byte(k))
				k = hex.EncodeToString(sum[:8])
			}
			out[table][k] = b.String()
		}
		return rows.Err()
	}
	for _, tb := range tables {
		if transientTables[tb] {
			continue
		}
		if err := read(tb, fmt.Sprintf(`SELECT * FROM %q WHERE tenant_id IN (%s)`, tb, in), anys(tenantIDs)); err != nil {
			return nil, err
		}
	}
	if err := read("tenants", `SELECT * FROM tenants WHERE id IN (`+in+`)`, anys(tenantIDs)); err != nil {
		return nil, err
	}
	if err := read("users", `SELECT * FROM users WHERE id IN (SELECT user_id FROM memberships WHERE tenant_id IN (`+in+`))`, anys(tenantIDs)); err != nil {
		return nil, err
	}
	return out, nil
}

// ids returns every row key of tables whose rows have an id.
func (o ownedRows) ids() []string {
	var out []string
	for _, rows := range o {
		for k, v := range rows {
			if strings.Contains(v, "id="+k+";") {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// diffRows describes how after differs from before. allowNew says which
// new rows are expected (a failed login against a victim's address is
// audited in the victim's log, by design).
func diffRows(before, after ownedRows, allowNew func(table, row string) bool) []string {
	var out []string
	for table, rows := range after {
		for k, v := range rows {
			old, ok := before[table][k]
			switch {
			case !ok && !allowNew(table, v):
				out = append(out, fmt.Sprintf("%s: new row %s", table, v))
			case ok && old != v:
				out = append(out, fmt.Sprintf("%s: row %s changed from %s to %s", table, k, old, v))
			}
		}
	}
	for table, rows := range before {
		for k := range rows {
			if _, ok := after[table][k]; !ok {
				out = append(out, fmt.Sprintf("%s: row %s deleted", table, k))
			}
		}
	}
	sort.Strings(out)
	return out
}

// remarshal converts decoded JSON into a typed value.
func remarshal(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

// --- the generator -----------------------------------------------------------

// isoGen turns the live schema into operations aimed at a victim tenant's
// objects: every ID argument and every id-named input field gets the
// victim's IDs, every where-filter names them, and every selection follows
// object fields and connection edges a few hops deep.
type isoGen struct {
	s *isoSchema
	// victim maps a Node type name (or "prefix:xyz" for IDs that are not
	// nodes, such as sessions) to the victim's IDs of that kind.
	victim map[string][]string
	// hints gives plausible values for fields by lower-case name:
	// addresses, passwords and tokens that look like the victim's.
	hints map[string][]any
	// isVictimValue reports whether a rendered value names the victim.
	isVictimValue func(string) bool
	maxLevel      int // the server's depth limit
	maxHops       int // object hops a selection follows
	maxCost       int // the server's cost limit
	// refs are IDs of shared reference data anyone may name (plans), by
	// the singular of the root field that lists them: an argument named
	// plan gets them, so that it passes validation and the victim's ID
	// beside it is what is tested.
	refs map[string][]any
	// every makes ID arguments take every victim ID, not a few of each
	// kind: set while generating a field that returns an interface
	// (node, nodes), which must refuse each of them.
	every bool
	seq   int
}

// isoOp is one generated operation.
type isoOp struct {
	Field    string // Type.field
	Mutation bool
	Doc      string
	Vars     map[string]any
	sent     string // Vars as JSON, to tell an echo of the input from a leak
}

const (
	isoPerKind  = 6 // IDs of one kind tried in one argument
	isoPage     = 5 // page size of a top-level connection
	isoSubPage  = 3 // page size of a nested connection
	isoMaxInDep = 3 // nesting of input objects filled
	// isoCostPage is what the server charges for a page whatever its size.
	// It prices a connection by its first/last argument, but reads that
	// argument as an int, and a page size arrives as an int64, so every
	// connection is charged as the largest page, 100.
	isoCostPage = 100
)

func (g *isoGen) kinds() []string {
	ks := make([]string, 0, len(g.victim))
	for k := range g.victim {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func capped(ids []string, n int) []string {
	if len(ids) > n {
		return ids[:n]
	}
	return ids
}

// isIDName reports whether a field or argument name says it holds an ID.
func isIDName(name string) bool {
	l := strings.ToLower(name)
	return l == "id" || l == "ids" || (len(l) > 2 && (strings.HasSuffix(l, "id") || strings.HasSuffix(l, "ids")) &&
		(strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID") || strings.HasSuffix(name, "Ids") || strings.HasSuffix(name, "IDs")))
}

// idKind finds the kind an ID name points at: tenantId → Tenant.
func (g *isoGen) idKind(name string) string {
	l := strings.ToLower(name)
	for _, suf := range []string{"ids", "id"} {
		if strings.HasSuffix(l, suf) {
			l = strings.TrimSuffix(l, suf)
			break
		}
	}
	for _, k := range g.kinds() {
		if strings.ToLower(k) == l && l != "" {
			return k
		}
	}
	return ""
}

// idCands are the victim IDs an argument named name gets: those of the
// kind its name says, or a few of every kind.
func (g *isoGen) idCands(name string) []any {
	var out []any
	if g.every {
		return g.idList("")
	}
	if r := g.refs[strings.ToLower(name)]; len(r) > 0 && g.idKind(name) == "" {
		return r
	}
	if k := g.idKind(name); k != "" {
		for _, id := range capped(g.victim[k], isoPerKind) {
			out = append(out, id)
		}
		return out
	}
	for _, k := range g.kinds() {
		for _, id := range capped(g.victim[k], isoPerKind) {
			out = append(out, id)
		}
	}
	return out
}

// idList is the value of an ID-list argument: every victim ID of the kind
// its name says, or of every kind.
func (g *isoGen) idList(name string) []any {
	var ids []any
	if k := g.idKind(name); k != "" {
		for _, id := range g.victim[k] {
			ids = append(ids, id)
		}
	} else {
		for _, k := range g.kinds() {
			for _, id := range g.victim[k] {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// cands returns the values to try for an argument or input field.
func (g *isoGen) cands(t isoTypeRef, name string, depth int) []any {
	if t.isList() {
		el := t.elem()
		nt := el.named()
		var out []any
		if nt.Name == "ID" || (nt.Name == "String" && isIDName(name)) {
			// Pages of at most 100, the most a list argument takes.
			ids := g.idList(name)
			for i := 0; i < len(ids); i += 100 {
				out = append(out, ids[i:min(i+100, len(ids))])
			}
			return out
		}
		for _, c := range g.cands(el, strings.TrimSuffix(name, "s"), depth) {
			out = append(out, []any{c})
		}
		if len(out) == 0 {
			if h, ok := g.hints[strings.ToLower(name)]; ok {
				return []any{h}
			}
		}
		return out
	}
	nt := t.named()
	typ := g.s.typ(nt.Name)
	if typ == nil {
		return nil
	}
	switch typ.Kind {
	case "SCALAR":
		if nt.Name == "ID" || (nt.Name == "String" && isIDName(name)) {
			return g.idCands(name)
		}
		if h, ok := g.hints[strings.ToLower(name)]; ok {
			return h
		}
		g.seq++
		switch nt.Name {
		case "String":
			return []any{fmt.Sprintf("x-%d", g.seq)}
		case "Int":
			return []any{1}
		case "Float":
			return []any{1.5}
		case "Boolean":
			return []any{true}
		case "Time":
			return []any{time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
		case "Cursor":
			return nil
		}
		return []any{fmt.Sprintf("x-%d", g.seq)}
	case "ENUM":
		var out []any
		for _, v := range typ.EnumValues {
			out = append(out, v.Name)
		}
		return out
	case "INPUT_OBJECT":
		if strings.HasSuffix(typ.Name, "WhereInput") {
			return g.whereCands(typ)
		}
		if depth >= isoMaxInDep {
			return nil
		}
		fields := map[string][]any{}
		n := 1
		for _, f := range typ.InputFields {
			ft := f.Type.named()
			fk := g.s.typ(ft.Name)
			if !f.Type.nonNull() && fk != nil && fk.Kind == "INPUT_OBJECT" && !isIDName(f.Name) {
				continue // optional nested inputs stay out; required ones are filled
			}
			c := g.cands(f.Type, f.Name, depth+1)
			if len(c) == 0 {
				if f.Type.nonNull() {
					return nil
				}
				continue
			}
			fields[f.Name] = c
			n = max(n, len(c))
		}
		out := make([]any, n)
		for v := range n {
			obj := map[string]any{}
			for k, c := range fields {
				obj[k] = c[v%len(c)]
			}
			out[v] = obj
		}
		return out
	}
	return nil
}

// whereCands are filters that name the victim: by its objects' IDs, by
// its tenant, by any id-named predicate and through has…With edges.
func (g *isoGen) whereCands(typ *isoType) []any {
	kind := strings.TrimSuffix(typ.Name, "WhereInput")
	var out []any
	for _, f := range typ.InputFields {
		nt := f.Type.named()
		switch {
		case f.Name == "id":
			for _, id := range capped(g.victim[kind], 3) {
				out = append(out, map[string]any{"id": id})
			}
		case f.Name == "idIn" && len(g.victim[kind]) > 0:
			out = append(out, map[string]any{"idIn": g.idList(kind + "Ids")})
		case isIDName(f.Name) && !f.Type.isList() && (nt.Name == "ID" || nt.Name == "String"):
			for i, id := range g.idCands(f.Name) {
				if i == 3 {
					break
				}
				out = append(out, map[string]any{f.Name: id})
			}
		case strings.HasPrefix(f.Name, "has") && strings.HasSuffix(f.Name, "With") && strings.HasSuffix(nt.Name, "WhereInput"):
			other := strings.TrimSuffix(nt.Name, "WhereInput")
			for _, id := range capped(g.victim[other], 2) {
				out = append(out, map[string]any{f.Name: []any{map[string]any{"id": id}}})
			}
		}
	}
	return out
}

// refFields lists the root query fields that take no argument and return a
// list of objects with an id: reference data such as plans.
func (g *isoGen) refFields(rootType string) []string {
	var out []string
	for _, f := range g.s.typ(rootType).Fields {
		t := g.s.typ(f.Type.named().Name)
		if len(f.Args) > 0 || !f.Type.isList() || t == nil || t.Kind != "OBJECT" {
			continue
		}
		for _, tf := range t.Fields {
			if tf.Name == "id" {
				out = append(out, f.Name)
			}
		}
	}
	return out
}

// ops generates the operations for every field of a root type.
func (g *isoGen) ops(rootType string, mutation bool) []isoOp {
	root := g.s.typ(rootType)
	if root == nil {
		return nil
	}
	var out []isoOp
	for _, f := range root.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		out = append(out, g.fieldOps(rootType, f, mutation)...)
	}
	return out
}

func (g *isoGen) fieldOps(rootType string, f isoField, mutation bool) []isoOp {
	if rt := g.s.typ(f.Type.named().Name); rt != nil && (rt.Kind == "INTERFACE" || rt.Kind == "UNION") {
		g.every = true
		defer func() { g.every = false }()
	}
	var required, optional []isoInputValue
	fixed := map[string]any{}
	for _, a := range f.Args {
		nt := a.Type.named()
		switch {
		case a.Type.nonNull():
			required = append(required, a)
		case a.Name == "first" && nt.Name == "Int":
			fixed[a.Name] = isoPage
		case isIDName(a.Name) || nt.Name == "ID" || strings.HasSuffix(nt.Name, "WhereInput"):
			optional = append(optional, a)
		}
	}
	reqCands := map[string][]any{}
	n := 1
	for _, a := range required {
		c := g.cands(a.Type, a.Name, 0)
		if len(c) == 0 {
			return nil // the generator cannot fill it; reported as uncovered
		}
		reqCands[a.Name] = c
		n = max(n, len(c))
	}
	base := func(v int) map[string]any {
		vars := map[string]any{}
		for k, c := range reqCands {
			vars[k] = c[v%len(c)]
		}
		for k, val := range fixed {
			vars[k] = val
		}
		return vars
	}
	var variants []map[string]any
	for v := range n {
		variants = append(variants, base(v))
	}
	for _, a := range optional {
		for i, c := range g.cands(a.Type, a.Name, 0) {
			vars := base(i)
			vars[a.Name] = c
			variants = append(variants, vars)
		}
	}

	// The document declares every argument the variants use.
	used := map[string]isoTypeRef{}
	for _, a := range f.Args {
		for _, vars := range variants {
			if _, ok := vars[a.Name]; ok {
				used[a.Name] = a.Type
			}
		}
	}
	var decl, pass []string
	for _, a := range f.Args {
		if t, ok := used[a.Name]; ok {
			decl = append(decl, "$"+a.Name+": "+t.String())
			pass = append(pass, a.Name+": $"+a.Name)
		}
	}
	opKind := "query"
	if mutation {
		opKind = "mutation"
	}
	var doc strings.Builder
	doc.WriteString(opKind)
	if len(decl) > 0 {
		doc.WriteString("(" + strings.Join(decl, ", ") + ")")
	}
	doc.WriteString(" { " + f.Name)
	if len(pass) > 0 {
		doc.WriteString("(" + strings.Join(pass, ", ") + ")")
	}
	mult := 1
	if _, ok := fixed["first"]; ok {
		mult = isoCostPage
	}
	if sel, _ := g.selection(f.Type.named().Name, 0, 2, (g.maxCost*9/10-1)/mult); sel != "" {
		doc.WriteString(" { " + sel + " }")
	}
	doc.WriteString(" }")

	var out []isoOp
	seen := map[string]bool{}
	for _, vars := range variants {
		b, _ := json.Marshal(vars)
		sent := string(b)
		if seen[sent] {
			continue
		}
		seen[sent] = true
		// A mutation that names nothing of the victim's cannot reach it.
		if mutation && !g.isVictimValue(sent) {
			continue
		}
		out = append(out, isoOp{Field: rootType + "." + f.Name, Mutation: mutation, Doc: doc.String(), Vars: vars, sent: sent})
	}
	return out
}

// selection selects, at GraphQL depth level, every scalar of a type and
// follows object fields and connections while hops, the server's depth
// limit and the cost budget allow. Connection and edge wrappers do not
// count as hops. It returns the selection and its cost as the server
// prices it: one per field plus its children, times the largest page
// (isoCostPage) for a field with a page argument. Inside an interface,
// each type's fields are aliased by type name, so that fields of the same
// name and different types do not conflict.
func (g *isoGen) selection(typeName string, hops, level, budget int) (string, int) {
	t := g.s.typ(typeName)
	if t == nil || budget <= 0 {
		return "", 0
	}
	switch t.Kind {
	case "SCALAR", "ENUM":
		return "", 0
	case "INTERFACE", "UNION":
		parts, total := []string{"__typename"}, 1
		for _, p := range t.PossibleTypes {
			sub, c := g.fields(p.Name, p.Name+"_", hops, level, budget-total)
			if sub != "" {
				parts = append(parts, "... on "+p.Name+" { "+sub+" }")
				total += c
			}
		}
		return strings.Join(parts, " "), total
	}
	return g.fields(typeName, "", hops, level, budget)
}

func (g *isoGen) fields(typeName, alias string, hops, level, budget int) (string, int) {
	t := g.s.typ(typeName)
	var parts []string
	total := 0
	for _, f := range t.Fields {
		args, mult, skip := "", 1, false
		for _, a := range f.Args {
			if a.Name == "first" {
				args, mult = fmt.Sprintf("(first: %d)", isoSubPage), isoCostPage
			} else if a.Type.nonNull() {
				skip = true // nested fields with required arguments are not generated
			}
		}
		nt := f.Type.named()
		ft := g.s.typ(nt.Name)
		if skip || ft == nil {
			continue
		}
		name := f.Name
		if alias != "" {
			name = alias + f.Name + ": " + f.Name
		}
		if ft.Kind == "SCALAR" || ft.Kind == "ENUM" {
			if total+1 <= budget {
				parts = append(parts, name)
				total++
			}
			continue
		}
		next := hops
		if !strings.HasSuffix(nt.Name, "Connection") && !strings.HasSuffix(nt.Name, "Edge") {
			next++
		}
		if next > g.maxHops || level+1 > g.maxLevel {
			continue
		}
		sub, c := g.selection(nt.Name, next, level+1, (budget-total-1)/mult)
		if sub == "" || total+1+mult*c > budget {
			continue
		}
		parts = append(parts, name+args+" { "+sub+" }")
		total += 1 + mult*c
	}
	return strings.Join(parts, " "), total
}

// waitPlatformJobs waits until the start-up jobs have made the monthly
// compliance reports of the customer and no platform job is left in the
// provider's queues.
func waitPlatformJobs(t *testing.T, m *Main, customerID string) {
	t.Helper()
	ctx := tenants.Privileged(t.Context(), "cross-tenant test: platform jobs")
	root, err := m.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindProvider)).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		var reports int
		if err := m.DB.QueryRowContext(ctx, m.DB.Q(`SELECT count(*) FROM compliance_reports WHERE tenant_id = ?`), customerID).Scan(&reports); err != nil {
			t.Fatal(err)
		}
		depth, err := m.Dispatch.QueueDepth(ctx, root.ID)
		if err != nil {
			t.Fatal(err)
		}
		if reports >= 2 && len(depth) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the platform's start-up jobs did not finish in 2 minutes: %d reports of %s, provider queue %v", reports, customerID, depth)
		}
	}
}

// gaugeSample reports whether a usage_events row is a sample of a gauge
// meter, which the platform's hourly job writes.
func gaugeSample(row string) bool {
	for _, m := range []billing.Meter{billing.MeterActiveMonitors, billing.MeterAssets, billing.MeterSeats, billing.MeterStoredEventBytes} {
		if strings.Contains(row, "meter="+string(m)+";") {
			return true
		}
	}
	return false
}
