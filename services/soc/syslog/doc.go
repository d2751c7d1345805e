// Package syslog is Opsward's syslog receiver: a Server that listens on
// UDP (RFC 5426), TCP (RFC 6587, octet counting or newline framing,
// detected per message) and TLS (RFC 5425), binds every message to the
// tenant and log source that registered it, normalises it with
// services/soc/normalize and hands it to a Sink (batching and storage live
// elsewhere).
//
// Binding is the security boundary of this package. A Binder decides, from
// what the network and the message say (peer address, the listener's port,
// a token in the RFC 5424 structured data), which source a message comes
// from; Sources is the ready in-memory Binder. The rules of Sources, in
// order:
//
//  1. Token. A message that carries a token ([opsward@32473 token="…"])
//     belongs to the source registered with that token, whatever its
//     address or port. A token that matches no source is not a mistake
//     to paper over: the message is unclaimed, never bound by address.
//  2. Port. A message that arrives on a listener port registered to one
//     source (a per-tenant port) belongs to that source.
//  3. Address. Otherwise the source whose CIDR holds the peer address
//     belongs to it, the longest prefix winning.
//
// Registrations that would make these rules ambiguous (one token, port or
// identical prefix for two sources) are refused when sources are set.
// Address binding over UDP trusts a source address that can be forged;
// tenants that need better use a token over TLS.
//
// What this package must never do:
//
//   - Give a message to a tenant no rule names. Unclaimed messages are
//     counted (Stats) and dropped, never delivered to a default or guessed
//     tenant.
//   - Lose a message it accepted because it did not parse: such a message
//     is kept as a plain event with its text and the parse error, and
//     counted.
//   - Keep a source's token in the event it delivers, or in a log line:
//     the token is replaced by "[REDACTED]" in event.original and the
//     structured data fields.
//   - Log through a global logger, or listen anywhere it was not told to.
package syslog
