//go:build ignore

package main

import (
	"fmt"
	"log"
	"regexp"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/schema/ent.graphqls"),
		entgql.WithConfigPath("../graph/gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
		// Time is declared in graph/schema/scalars.graphqls. Left to itself,
		// entgql declares it or not depending on what the previous run
		// wrote, so generation would not be deterministic.
		entgql.WithSchemaHook(func(_ *gen.Graph, s *ast.Schema) error {
			delete(s.Types, "Time")
			return nil
		}, timelinesInTimeOrder, idNamesInCamelCase),
	)
	if err != nil {
		log.Fatalf("entgql extension: %v", err)
	}
	cfg := &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureIntercept,
			gen.FeatureExecQuery,
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureVersionedMigration,
		},
	}
	if err := entc.Generate("./schema", cfg, entc.Extensions(ex)); err != nil {
		log.Fatalf("ent generate: %v", err)
	}
}

// timelinesInTimeOrder makes a timeline read in the order its entries
// happened unless the client asks for another order. Entries are not
// written in that order (an alert that joins a case is dated when it was
// first seen, before the case opened), and entgql's default order is the
// id, which is the order of writing. The default is in the schema, so
// clients see it and the eager loading of nested pages applies it too;
// ties fall back to the id, which keeps pages stable.
func timelinesInTimeOrder(_ *gen.Graph, s *ast.Schema) error {
	for _, typ := range []string{"SecurityCase", "Incident"} {
		t := s.Types[typ]
		if t == nil {
			return fmt.Errorf("timeline order: no type %s", typ)
		}
		f := t.Fields.ForName("timeline")
		if f == nil {
			return fmt.Errorf("timeline order: %s has no timeline", typ)
		}
		arg := f.Arguments.ForName("orderBy")
		if arg == nil {
			return fmt.Errorf("timeline order: %s.timeline has no orderBy", typ)
		}
		arg.DefaultValue = &ast.Value{Kind: ast.ObjectValue, Children: ast.ChildValueList{
			{Name: "direction", Value: &ast.Value{Kind: ast.EnumValue, Raw: "ASC"}},
			{Name: "field", Value: &ast.Value{Kind: ast.EnumValue, Raw: "AT"}},
		}}
		arg.Description = "Ordering options for the timeline; when absent, the time each entry happened, oldest first (ties by id)."
	}
	return nil
}

// idInName is "ID" ending a word inside a name: tenantID, tenantIDNEQ,
// actorTenantIDIn.
var idInName = regexp.MustCompile(`([a-z])ID([A-Z]|$)`)

// idNamesInCamelCase names every field, input field and argument the
// GraphQL way, tenantId and not tenantID, as the hand-written schema
// does. gqlgen binds names to Go fields case-insensitively, so the Go
// side keeps TenantID.
func idNamesInCamelCase(_ *gen.Graph, s *ast.Schema) error {
	rename := func(n string) string {
		for idInName.MatchString(n) {
			n = idInName.ReplaceAllString(n, "${1}Id${2}")
		}
		return n
	}
	for _, t := range s.Types {
		for _, f := range t.Fields {
			f.Name = rename(f.Name)
			for _, a := range f.Arguments {
				a.Name = rename(a.Name)
			}
		}
	}
	return nil
}
