package testenv

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that records how Require ended it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Skipf(f string, args ...any)  { r.skipped = f }
func (r *recorder) Fatalf(f string, args ...any) { r.failed = f }

func TestRequire(t *testing.T) {
	r := &recorder{TB: t}
	Require(r, true, "x", "y")
	if r.skipped != "" || r.failed != "" {
		t.Errorf("present: skipped %q, failed %q", r.skipped, r.failed)
	}
	t.Setenv("MIMO_ALLOW_MISSING", "")
	r = &recorder{TB: t}
	Require(r, false, "x", "y")
	wantFail := !testing.Short()
	if wantFail && (r.failed == "" || !strings.Contains(r.failed, "make test-short")) {
		t.Errorf("absent in a full run: failed %q, want a failure naming make test-short", r.failed)
	}
	if !wantFail && r.skipped == "" {
		t.Errorf("absent under -short: not skipped")
	}
	t.Setenv("MIMO_ALLOW_MISSING", "1")
	r = &recorder{TB: t}
	Require(r, false, "x", "y")
	if r.skipped == "" || r.failed != "" {
		t.Errorf("MIMO_ALLOW_MISSING: skipped %q, failed %q, want a skip", r.skipped, r.failed)
	}
}
