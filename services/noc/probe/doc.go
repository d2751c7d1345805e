// Package probe holds the monitor kinds of the NOC: one file per kind, each
// behind the Prober interface. A probe takes typed, validated settings and
// returns a Result (status, latency, timings, metrics, and the state the
// next run needs) that the NOC service stores and feeds to the monitor's
// state machine.
//
// Probes never decide incidents, never store anything, and never open a
// connection except through the egress guard: every address here comes
// from a tenant.
package probe
