package graph

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
)

func explorerHandler(endpoint string) http.Handler {
	return playground.Handler("Opsward GraphQL", endpoint)
}
