// Package testenv is the one policy for tests that need something from
// outside the repository (the real data in ../shared/data, the ONNX Runtime
// library): under `go test -short` (make test-short) such a test is
// skipped, saying what is missing; in a full run (make test, CI) a missing
// requirement fails the test with what to do, so a green full run means
// every real-data and real-runtime test ran. MIMO_ALLOW_MISSING=1 turns
// the failure back into a skip for a full run on a machine that lacks them.
package testenv

import (
	"os"
	"testing"
)

// Require ends tb when present is false: a skip under -short or
// MIMO_ALLOW_MISSING, a failure otherwise. what names the requirement and
// how says how to provide it.
func Require(tb testing.TB, present bool, what, how string) {
	tb.Helper()
	if present {
		return
	}
	if testing.Short() || os.Getenv("MIMO_ALLOW_MISSING") != "" {
		tb.Skipf("%s not found (%s)", what, how)
		return
	}
	tb.Fatalf("%s not found: %s; or run `make test-short` (go test -short) to skip the tests that need it, or set MIMO_ALLOW_MISSING=1", what, how)
}
