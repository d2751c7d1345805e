package main

import (
	"context"
	"fmt"

	"github.com/opsward/opsward/internal/platform"
)

// printBanner tells a person who just started the server where it is and,
// on an empty database, what to do next.
func (m *Main) printBanner(ctx context.Context) {
	fmt.Fprintf(m.Stdout, "Opsward %s is up at %s\n", m.redisKindVersion(), m.URL())
	fmt.Fprintf(m.Stdout, "  GraphQL:  %s/graphql\n", m.URL())
	if m.Config.Introspection() {
		fmt.Fprintf(m.Stdout, "  Explorer: %s/graphql (open in a browser)\n", m.URL())
	}
	n, err := m.Client.Tenant.Query().Count(ctx)
	if err == nil && n == 0 {
		fmt.Fprintln(m.Stdout, "The database is empty. Next: stop the server and run `opsward seed demo` for demonstration data,")
		fmt.Fprintln(m.Stdout, "or try `{ serverInfo { version database redis } }` in the explorer.")
	}
}

func (m *Main) redisKindVersion() string {
	return fmt.Sprintf("(%s, %s database, %s Redis)", platform.Version(), m.DB.Dialect, m.redisKind())
}
