// Package ent holds the relational model. ent/schema is hand written and
// the one source of the model; everything else in this folder is generated
// by `go generate ./ent` and never edited.
package ent

//go:generate go run -mod=mod entc.go
