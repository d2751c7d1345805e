package opsward

import (
	"fmt"
	"io"
	"strconv"
)

// Role is what a membership lets a user do in a tenant and its subtree.
type Role string

const (
	RoleOwner   Role = "owner"   // everything, including closing the tenant
	RoleAdmin   Role = "admin"   // manage the tenant, its users, keys and settings
	RoleAnalyst Role = "analyst" // work the NOC and SOC: monitors, incidents, alerts, cases
	RoleViewer  Role = "viewer"  // read everything operational, change nothing
	RoleBilling Role = "billing" // read and manage billing, nothing operational
)

// Values lists every role; ent uses it for the enum column.
func (Role) Values() []string {
	return []string{string(RoleOwner), string(RoleAdmin), string(RoleAnalyst), string(RoleViewer), string(RoleBilling)}
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	for _, v := range r.Values() {
		if string(r) == v {
			return true
		}
	}
	return false
}

// MarshalGQL writes the role as a GraphQL enum value.
func (r Role) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL reads a role from a GraphQL enum value.
func (r *Role) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("role must be a string")
	}
	*r = Role(s)
	if !r.Valid() {
		return fmt.Errorf("%q is not a role", s)
	}
	return nil
}
