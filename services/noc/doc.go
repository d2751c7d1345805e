// Package noc is the pure domain logic of the network operations centre:
// the monitor state machine with flap damping, maintenance windows,
// incidents and their timeline, escalation policies, asset dependencies,
// uptime and SLA arithmetic over rollups, and the typed signal the NOC
// hands to the SOC.
//
// Everything here is a function of its arguments and the time it is given:
// no storage, no clock reads, no network. Storage, scheduling and delivery
// wrap these functions elsewhere, so that every rule can be table-tested
// and replayed.
//
// This package must never import services/soc (the SOC implements
// SignalSink; the dependency points one way only), and it must never reach
// a tenant's network: the only way the NOC touches a customer's address is
// a probe in services/noc/probe, through the egress guard.
package noc
