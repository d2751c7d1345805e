// Package cases keeps security cases: the incidents a SOC investigates,
// with their status, severity and assignee, the alerts grouped into them,
// tasks, evidence files with their chain of custody, and a forensic
// timeline to which every change appends a line.
//
// Every operation runs in the caller's tenant scope (the storage layer
// applies it), in one transaction with its timeline entries and its audit
// record; Deps.OnChange hears of each committed change so that the process
// can tell subscribers. The only privileged step is OpenFromAlert's lookup
// of an alert's tenant, for playbooks, which then act as a system actor of
// that tenant alone.
//
// It must never add tenant filters of its own or read another tenant's
// alerts or events into a case, never change or remove a timeline entry
// (they are append-only), never return evidence whose SHA-256 no longer
// matches the one recorded when it was added, and never let a read of
// evidence go unrecorded in its chain of custody.
package cases
