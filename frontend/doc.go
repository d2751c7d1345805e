// Package frontend holds the portal: a TypeScript single-page application
// (src/, built by Vite into dist/) and, for Go, the built files embedded in
// the binary so that `opsward serve` serves the portal with Go alone.
//
// dist/ is generated, like generated Go code: `npm ci && npm run build`
// rebuilds it and CI fails when the result differs from what is committed.
// This package must never hold logic: it only exposes the files.
package frontend
