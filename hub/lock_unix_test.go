//go:build unix

package hub

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLockAcrossProcesses holds a cache lock here and checks that a second
// process (this test binary again) cannot take it until it is released.
func TestLockAcrossProcesses(t *testing.T) {
	if p := os.Getenv("MIMO_HUB_LOCK_HELPER"); p != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		unlock, err := lockPath(ctx, p)
		if err != nil {
			if _, err := os.Stdout.WriteString("LOCKED-OUT: " + err.Error()); err != nil {
				t.Fatal(err)
			}
			return
		}
		unlock()
		if _, err := os.Stdout.WriteString("ACQUIRED"); err != nil {
			t.Fatal(err)
		}
		return
	}
	lock := filepath.Join(t.TempDir(), "locks", "x.lock")
	helper := func() string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockAcrossProcesses$")
		cmd.Env = append(os.Environ(), "MIMO_HUB_LOCK_HELPER="+lock)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper: %v\n%s", err, out)
		}
		return string(out)
	}
	unlock, err := lockPath(context.Background(), lock)
	if err != nil {
		t.Fatal(err)
	}
	if out := helper(); !strings.Contains(out, "LOCKED-OUT: waiting for another download") {
		t.Errorf("second process while locked: %q", out)
	}
	unlock()
	if out := helper(); !strings.Contains(out, "ACQUIRED") {
		t.Errorf("second process after unlock: %q", out)
	}
}
