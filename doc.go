// Package opsward holds the few types every part of the platform shares:
// the error type with its machine-readable codes, and prefixed IDs.
//
// It must never import another package of this module: everything else
// imports it.
package opsward
