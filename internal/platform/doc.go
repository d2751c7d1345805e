// Package platform is the small shared plumbing of every role: the
// configuration, the logger, and the one way to connect to the database
// and to Redis.
//
// It must stay small and must never know a domain: no tenant, monitor or
// plan appears here.
package platform
