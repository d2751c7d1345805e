// Package sigma is Opsward's Sigma detection engine: it parses Sigma rules,
// correlation rules and filters (the SigmaHQ specification), compiles a rule
// library once into a RuleSet that routes each event only to the rules whose
// logsource fits and skips, through a literal index, the rules that cannot
// match, and evaluates flattened events (map[string]any) against it. Rules
// written on Sysmon field names also read Windows Security events (4688
// process creation, 4663 file access, 5156 connections) through the
// default field mappings (WindowsFieldMappings).
// Correlation rules are evaluated by a Correlator over the matches, with
// windows kept per tenant (the tenant travels in the context) by a
// WindowStore: in memory (MemoryCorrelator) or in Redis (package rediscorr).
//
// The package must never drop a rule's author from a match: the Detection
// Rule License requires that every match of a SigmaHQ rule shows its author.
// Apart from correlation windows it holds no tenant state, and it performs
// no I/O besides reading rule files it is pointed at and what a WindowStore
// does; storage, alerting and tenancy live elsewhere.
package sigma
