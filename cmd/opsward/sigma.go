package main

import (
	"context"
	"fmt"
	"io"
)

// runSigma runs the sigma command and returns its exit code.
func runSigma(_ context.Context, args []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "opsward sigma: not available yet")
	return 2
}
