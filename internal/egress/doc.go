// Package egress is the one way the platform reaches an address that a
// tenant points at: monitors, webhooks, anything whose target a customer
// types in.
//
// A Guard refuses loopback, private, link-local (the cloud metadata service
// included), shared (CGNAT), multicast, unspecified, broadcast, reserved and
// documentation addresses, in their IPv4, IPv6 and IPv4-in-IPv6 forms,
// unless the MSP has allowed a range in the configuration. The check runs
// at dial time on the address actually being connected to, after DNS
// resolution, so a name that resolves to a public address once and to a
// private one later (DNS rebinding) cannot slip through.
//
// This package must never fall back to an unguarded dialer, honour proxy
// settings from the environment, or use http.DefaultClient: every
// connection it makes is one the guard has checked.
package egress
