package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestAcquire(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("advisory locks are a no-op here")
	}
	path := filepath.Join(t.TempDir(), "x.lock")
	a, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	// A second open of the same path, even in this process, does not get it,
	// and the error names the holder.
	_, err = Acquire(path)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != os.Getpid() || held.Path != path {
		t.Fatalf("second Acquire: %v, want a HeldError naming pid %d", err, os.Getpid())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	b, err := Acquire(path)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	defer b.Close()
	// TryLock on another open file of the path sees it held.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, err := TryLock(f); ok || err != nil {
		t.Fatalf("TryLock while held: %v, %v", ok, err)
	}
}

func TestAcquireBadPath(t *testing.T) {
	if _, err := Acquire(filepath.Join(t.TempDir(), "no", "such", "x.lock")); err == nil {
		t.Fatal("want an error")
	}
}
