package main

import (
	"fmt"

	"github.com/opsward/opsward/internal/platform"
)

// printBanner tells a person who just started the server where it is and
// what to do next.
func (m *Main) printBanner() {
	fmt.Fprintf(m.Stdout, "Opsward %s is up at %s\n", m.redisKindVersion(), m.URL())
	fmt.Fprintf(m.Stdout, "  Portal:   %s/\n", m.URL())
	fmt.Fprintf(m.Stdout, "  GraphQL:  %s/graphql\n", m.URL())
	if m.Config.Introspection() {
		fmt.Fprintf(m.Stdout, "  Explorer: %s/explorer (open in a browser)\n", m.URL())
	}
	fmt.Fprintf(m.Stdout, "Next: log in with POST %s/auth/login {\"email\", \"password\"} and send the accessToken\n", m.URL())
	fmt.Fprintln(m.Stdout, "as `Authorization: Bearer …` to /graphql; try `{ viewer { roles actingTenant { name } } }`.")
}

func (m *Main) redisKindVersion() string {
	return fmt.Sprintf("(%s, %s database, %s Redis)", platform.Version(), m.DB.Dialect, m.redisKind())
}
