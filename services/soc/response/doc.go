// Package response keeps indicator lists and playbooks: threat
// intelligence matched at ingest, block lists served as External Dynamic
// Lists, and playbooks run as jobs when alerts match their trigger.
package response

// Service keeps indicator lists and playbooks.
type Service struct{}
