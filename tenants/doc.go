// Package tenants is identity and isolation: the tenant tree, users,
// memberships and roles, invitations, API keys, sessions, the actor that
// travels in every request's context, and the audit log.
//
// It must never let a query run without a tenant scope: a context with no
// actor is refused, and cross-tenant work goes through Privileged alone.
package tenants
