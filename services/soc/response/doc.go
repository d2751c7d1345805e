// Package response is the SOC's answer to what detection finds: indicator
// lists (threat intelligence matched at ingest, and block lists that
// firewalls pull as External Dynamic Lists) and playbooks, which run as
// jobs when an alert matches their trigger.
//
// The pieces:
//
//   - Lists and indicators (lists.go): CRUD, STIX 2.1 and CSV import into
//     a list (upsert on list, kind and value), EDL tokens (random, shown
//     once, stored as a SHA-256 with a visible prefix).
//   - Matching (match.go): an intel.Store built from every intel list of
//     every tenant through the privileged path, swapped atomically when a
//     list changes in this process and every 30 s (Run) for changes made
//     by others. Match scopes a tenant's event to the provider's (global)
//     lists, its own and its ancestors'.
//   - EDL (edl.go): a block list's active values, one per line, for a
//     caller that presents the list's token.
//   - Playbooks (playbook.go, run.go): a trigger over an alert's fields and
//     steps run in order by a job, each step's inputs and outputs recorded
//     in the run's log before the next starts, so that a retried job
//     resumes where it stopped.
//
// Playbook JSON, as the API takes it:
//
//	trigger: {"min_severity":"high", "sources":["sigma","indicator"],
//	          "rule_ids":["…"], "tags_any":["attack.t1059"],
//	          "title_contains":"…"}      every condition given must hold; {} is every alert
//	steps:   [{"type":"notify", "channel_id":"chn_…"},
//	          {"type":"webhook", "url":"https://…", "secret":"…"},
//	          {"type":"block_indicator", "list_id":"iol_…", "field":"indicator" | "source.ip" | …},
//	          {"type":"open_case", "title":"Case: {{title}}"},
//	          {"type":"assign", "user_id":"usr_…"},
//	          {"type":"set_severity", "severity":"critical"},
//	          {"type":"wait", "seconds":300}]
//
// Unknown keys, and keys of another step type, are refused with the
// field named (steps.2.url). A webhook secret is sealed when stored and
// shown as "secret_set": true; an update that leaves it out keeps the one
// stored for the same URL. Playbooks run on alerts of their own tenant
// only, once per alert.
//
// What it must never do:
//
//   - Let one tenant's lists, indicators or playbooks act on another
//     tenant: every query runs under the tenant in the context, and the
//     only privileged reads are the matcher's build and the EDL lookup by
//     list id (which then proves the token).
//   - Keep an EDL token or a webhook secret in clear: tokens are hashed,
//     webhook secrets sealed, and neither is returned after it is made.
//   - Call a URL a tenant gave through anything but the guarded client.
//   - Run a playbook step twice on purpose: a step whose outcome is in the
//     log is not run again.
package response
