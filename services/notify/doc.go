// Package notify sends notifications about incidents and alerts to the
// channels a tenant has configured: email, a generic signed webhook,
// Slack, Microsoft Teams and PagerDuty, one subpackage per channel behind
// the Channel interface.
//
// The pieces:
//
//   - Message: what is said (tenant, incident or alert, title, summary,
//     severity, state, time, link, fields, dedup key).
//   - Channel: one configured destination. Channels are decoded from their
//     stored JSON by a Registry, which hands them the outbound HTTP client
//     and SMTP dialer the caller supplies (in production the SSRF-guarded
//     ones).
//   - SealSecrets and OpenSecrets: split a channel's secret fields (signing
//     secret, SMTP password, Slack and Teams webhook URLs, PagerDuty
//     routing key) from its public configuration and seal them with the
//     tenant's storage sealer, bound to the tenant and channel ids.
//   - Route: which severities and states a channel is subscribed to.
//   - Delivery and Handler: the dispatch job that sends one message to one
//     channel, classifies failures (permanent, rate limited, retried) and
//     reports each delivery or final failure to a DeliveryRecorder, which
//     puts it on the incident's timeline.
//
// What this package must never do:
//
//   - Put a secret into a log line, an error message or a recorded
//     delivery. Secret fields have the Secret type, which redacts itself
//     when formatted or logged, transport errors are stripped of URLs, and
//     errors are scrubbed of the channel's secrets before they leave the
//     handler.
//   - Use http.DefaultClient or dial on its own: outbound connections go
//     through the client and dialer given in Deps.
//   - Store anything: configuration, routes and the delivery record belong
//     to the caller's storage layer.
package notify
