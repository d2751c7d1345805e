// Package detect runs the SOC's detection: log sources that bind syslog to
// tenants, the rule library (the MSP's global rules and tenants' own,
// versioned, imported from Sigma YAML), the ingest pipeline (HTTP and
// syslog, per-plan limits, normalisation, batched storage, Sigma rules and
// indicators at ingest) and the alerts it raises, deduplicated.
//
// It must never give an event to a tenant it was not bound to, never keep
// a rule's author from its alerts (the SigmaHQ licence requires it), and
// never import the NOC: NOC signals arrive through noc.SignalSink.
package detect
