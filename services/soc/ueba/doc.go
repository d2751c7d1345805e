// Package ueba is user behaviour analytics: a baseline per user learned
// from authentication and privileged-action events, anomalies that explain
// themselves, and a risk score per user and per host that sums recent
// alerts with decay.
//
// A Detector keeps one profile per tenant and user; profiles of two
// tenants are never mixed, even for the same user name. Each event is
// first judged against the profile as it stood before the event, then
// learned, so an anomaly seen often enough becomes the user's normal.
// Nothing is judged while a profile is still learning: it needs
// Config.LearnEvents successful logins spread over Config.LearnFor.
//
// The anomalies:
//
//   - new_source_network: a successful login from a network (IPv4 /24,
//     IPv6 /48) the user never logged in from;
//   - first_host: a successful login to a host the user never used;
//   - unusual_hour: a successful login at an hour of the day (in
//     Config.Location) with no login of the user's within an hour either
//     side, and at least Config.HourDistance hours from the nearest
//     usual one;
//   - failure_burst: at least Config.BurstMin failed logins within
//     Config.BurstWindow, and more than three times the most the user had
//     in any such window before (flagged once a burst);
//   - first_privileged_action: a privileged action (sudo, an admin role) by
//     a user who never took one;
//   - impossible_travel: two successful logins whose locations, given by
//     the operator's Locator (a MaxMind-format database), lie further apart
//     than Config.MaxSpeedKmh allows in the time between them.
//
// Each Anomaly carries the baseline it was judged against, the value
// observed and the reason, in words an analyst reads in the alert.
//
// The Detector holds no database: the SOC feeds it the tenant's events as
// they are ingested and turns anomalies into alerts; its profiles are
// bounded (Config.MaxNetworks, Config.MaxHosts per user) so that a hostile
// stream of fresh addresses cannot grow them without end.
package ueba
