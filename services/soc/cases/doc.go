// Package cases keeps security cases: status, severity, assignee, tasks,
// evidence with its chain of custody, and the forensic timeline.
package cases

// Service keeps cases.
type Service struct{}
