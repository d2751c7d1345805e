// Package normalize turns the security events Opsward receives (syslog
// RFC 5424 and RFC 3164, CEF, key=value firewall logs, pfSense/OPNsense
// filterlog, Linux auth logs, JSON objects, Winlogbeat documents and
// Windows events in the EVTX-to-JSON layout) into one Event: a flat map of
// dotted ECS field names ("@timestamp", "event.category", "source.ip",
// "process.command_line", …) beside a second flat map of the source's own
// field names.
//
// Why two maps: the ECS names are what search, storage, intel matching and
// the portal use; the native names are what detection content is written
// against. Sigma rules for Windows name EventData members (Image,
// CommandLine, ParentImage, EventID, Channel, Provider_Name, …), so for a
// Windows event Event.Native is exactly the map sigma.FlattenEVTX builds and
// can be handed to the Sigma engine as it is (sigma.Event is a
// map[string]any). For the other formats Native keeps the keys as the
// device sent them (CEF extension keys and header names, key=value keys,
// the members of a generic JSON object flattened to dotted names).
//
// Every parser is a pure function of its input (plus the receive time the
// caller passes in) with hard size limits: MaxMessageSize bytes of input,
// MaxDepth levels of JSON nesting, MaxFields fields per map. Errors are
// *opsward.Error values with code "invalid" whose message names the format
// and the byte offset of the fault.
//
// What this package must never do:
//
//   - Guess a tenant or decide anything about one: it sees bytes, not
//     tenants. Binding a message to a tenant belongs to the ingest paths
//     (services/soc/syslog, the HTTP ingest endpoint).
//   - Perform I/O, log, or keep state between calls: it runs on the hot
//     ingest path and is fuzzed as a pure function.
//   - Drop what it could not understand: the caller keeps such input as a
//     plain message event built by Fallback, with the original text and the
//     parse error.
package normalize
