// Package intel is Opsward's threat-intelligence core: indicators of
// compromise (IOCs), their parsing and normalisation, import from STIX 2.1
// bundles and CSV files, and the in-memory Matcher that the SOC ingest path
// runs over every normalised event.
//
// The pieces:
//
//   - Indicator: one IOC (kind, normalised value, source, confidence, TLP,
//     validity window, tags, description, owning tenant and list).
//     ParseValue normalises a value for a kind, Guess finds the kind of a
//     bare value, Indicator.Validate names the first wrong field.
//   - ImportSTIX and ImportCSV: turn a feed into indicators plus a list of
//     per-object (per-row) rejections with a reason. Only STIX `indicator`
//     objects with `pattern_type: stix` are imported; observed-data,
//     sightings and relationships are not, and patterns that need more than
//     a test of one value (AND, FOLLOWEDBY, MATCHES, LIKE, qualifiers, ...)
//     are rejected with the reason, never silently dropped.
//   - Matcher: an immutable snapshot built once from a list of indicators
//     (hash sets for exact values, a path-compressed binary radix trie per
//     address family for CIDRs), matched against flat ECS events
//     (map[string]any keyed by dotted field names) with per-tenant scoping
//     and expiry checked at match time. Store holds the current Matcher
//     behind an atomic pointer so that a rebuilt list is swapped in while
//     ingest keeps reading. Lookup answers "is this value known?" for one
//     bare value; Fields lists the ECS fields Match reads.
//
// Memory and speed: the Matcher keeps a 24-byte record per indicator, the
// values of string kinds and the ids in one byte arena, exact IPs and
// hashes as binary map keys (their text is rebuilt on a hit), and what
// indicators of one feed share (source, TLP, confidence, tags,
// description, owner) once per distinct combination. A miss costs a few
// map probes and, for addresses, a trie walk (with a /16 jump table for
// large IPv4 tries) and allocates nothing; building is linear in the
// number of indicators. Changing one list means rebuilding the snapshot
// (about two seconds for a million indicators), done off the ingest path.
//
// Matching rules, decided here so that every caller gets the same answers:
//
//   - A domain indicator matches that domain and every subdomain of it
//     (evil.example matches a.b.evil.example). Domain indicators need at
//     least two labels, so no indicator can match a whole top-level domain.
//     The domain of an email address is also tested against domain
//     indicators, and so is the host of url.full / url.original when the
//     event has no url.domain.
//   - Exact IPs, URLs, email addresses and file hashes match by equality of
//     normalised values. CIDR indicators match by longest prefix: of all the
//     CIDRs that contain an address, the most specific one with a live,
//     in-scope indicator is reported.
//   - An indicator matches only inside its validity window [ValidFrom,
//     ValidUntil) at the `now` the caller passes (second precision).
//   - Scoping: indicators with an empty TenantID are global (the MSP-wide
//     library) and apply to every event; an indicator owned by a tenant
//     applies only when that tenant id is in the Scope the caller passes.
//     The caller decides which owners apply (typically the event's tenant
//     and, if the MSP shares lists down the tree, its ancestors from the
//     tenant path); this package knows nothing of the tenant tree.
//   - One Hit per indicator per event: the first field (in the fixed field
//     order of Fields) that hits an indicator reports it.
//
// What this package must never do:
//
//   - Touch the network or storage. It reads the io.Reader it is given and
//     nothing else; loading lists, persisting indicators, fetching TAXII
//     collections and raising alerts belong to callers.
//   - Mutate a published Matcher. A Matcher is shared by every ingest
//     goroutine without locks; a change means building a new one and
//     swapping it into the Store.
//   - Let one tenant's indicators match another tenant's events. Scope is
//     an explicit argument with no "everything" default.
//   - Allocate on the miss path of Match: the ingest path runs it on every
//     event, and almost every event is a miss.
package intel
