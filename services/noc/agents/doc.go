// Package agents keeps probe locations and the remote agents that run a
// location's checks inside a customer's network (`opsward probe`): their
// enrolment with a one-time token, the credential it is exchanged for,
// the checks an agent pulls and the results it pushes back, and each
// agent's health.
//
// An agent acts for its own tenant only: every read and write here runs in
// that tenant's context, so an agent never sees another tenant's monitors
// and cannot store a result for them. This package never runs a probe and
// never steps a monitor's state machine; the monitoring service judges a
// monitor from the results of all its locations (noc.Quorum).
package agents
