// Package httpapi is the HTTP edge of the platform: echo's setup and the
// middleware every route shares, the REST handlers (authentication,
// ingest, heartbeats, the External Dynamic Lists, exports, the Stripe
// webhook, public status pages), the translation of domain errors into
// statuses, and the embedded portal.
//
// It knows the services only through the small interfaces of Deps;
// cmd/opsward builds those and calls New.
package httpapi
