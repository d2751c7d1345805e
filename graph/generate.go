package graph

// gqlgen keeps generated files of schema files that no longer exist; start
// from an empty folder so that generation is deterministic.
//go:generate sh -c "rm -rf generated && go tool gqlgen generate --config gqlgen.yml"
