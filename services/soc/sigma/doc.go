// Package sigma is Opsward's Sigma detection engine: it parses Sigma rules,
// correlation rules and filters (the SigmaHQ specification), compiles a rule
// library once into a RuleSet that routes each event only to the rules whose
// logsource fits and skips, through a literal index, the rules that cannot
// match, and evaluates flattened events (map[string]any) against it. Rules
// written on Sysmon field names also read Windows Security events (4688
// process creation, 4663 file access, 5156 connections) through the
// default field mappings (WindowsFieldMappings).
// Correlation rules are evaluated by a Correlator over the matches.
//
// The package must never drop a rule's author from a match: the Detection
// Rule License requires that every match of a SigmaHQ rule shows its author.
// It holds no tenant state and performs no I/O besides reading rule files it
// is pointed at; storage, alerting and tenancy live elsewhere.
package sigma
