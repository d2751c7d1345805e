// Package vuln is the vulnerability assessment's core: advisories in the
// OSV format (the open vulnerability format of osv.dev, Debian, Ubuntu,
// Alpine, Go, npm, PyPI and others), read as offline files; each
// ecosystem's own version order (Debian's epochs and "~", RPM's, Alpine's,
// semantic versions); and the question an inventory asks of them: is this
// package at this version affected, and which version fixes it. CVSS v3
// vectors give a finding its base score.
//
// It holds no state and reads no tables: the services that keep the
// software inventory and the findings per asset use it.
package vuln
