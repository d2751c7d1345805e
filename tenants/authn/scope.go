package authn

import (
	"slices"
	"strings"

	"github.com/opsward/opsward"
)

// Scope names what an API key (or a token) may do.
type Scope string

// The scopes. Admin implies every other scope; a write scope implies the
// read scope of the same domain. events:ingest implies nothing else and
// nothing implies it but admin.
const (
	ScopeNOCRead      Scope = "noc:read"
	ScopeNOCWrite     Scope = "noc:write"
	ScopeSOCRead      Scope = "soc:read"
	ScopeSOCWrite     Scope = "soc:write"
	ScopeEventsIngest Scope = "events:ingest"
	ScopeBillingRead  Scope = "billing:read"
	ScopeAdmin        Scope = "admin"
)

// allScopes lists every scope in a fixed order (the order of the
// documentation and of Scopes.String).
var allScopes = []Scope{
	ScopeNOCRead, ScopeNOCWrite, ScopeSOCRead, ScopeSOCWrite,
	ScopeEventsIngest, ScopeBillingRead, ScopeAdmin,
}

// writeImpliesRead maps a write scope to the read scope it includes.
var writeImpliesRead = map[Scope]Scope{
	ScopeNOCWrite: ScopeNOCRead,
	ScopeSOCWrite: ScopeSOCRead,
}

// AllScopes returns every scope.
func AllScopes() []Scope { return slices.Clone(allScopes) }

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(allScopes, s) }

// Scopes is a set of scopes.
type Scopes []Scope

// ParseScopes validates names and returns them as a set without
// duplicates, in the canonical order. An unknown name is an EINVALID
// error on the field "scopes"; an empty list is refused, since a key that
// may do nothing is a mistake.
func ParseScopes(names []string) (Scopes, error) {
	if len(names) == 0 {
		return nil, opsward.FieldErrorf("scopes", "at least one scope is required")
	}
	seen := make(map[Scope]bool, len(names))
	for _, n := range names {
		s := Scope(strings.TrimSpace(n))
		if !s.Valid() {
			return nil, opsward.FieldErrorf("scopes", "unknown scope %q (known: %s)", n, Scopes(allScopes).String())
		}
		seen[s] = true
	}
	var out Scopes
	for _, s := range allScopes {
		if seen[s] {
			out = append(out, s)
		}
	}
	return out, nil
}

// ParseScopeString parses a space-separated scope list, as found in the
// scope claim of a token.
func ParseScopeString(s string) (Scopes, error) { return ParseScopes(strings.Fields(s)) }

// Allows reports whether the set grants required: it holds required, or
// admin, or the write scope that includes the required read scope. An
// unknown required scope is never allowed.
func (ss Scopes) Allows(required Scope) bool {
	if !required.Valid() {
		return false
	}
	for _, s := range ss {
		if s == required || s == ScopeAdmin || writeImpliesRead[s] == required {
			return true
		}
	}
	return false
}

// String returns the scopes separated by spaces.
func (ss Scopes) String() string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}
