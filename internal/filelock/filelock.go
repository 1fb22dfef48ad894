// Package filelock takes exclusive advisory locks on files (flock on unix;
// a no-op elsewhere, where two processes must not share what the lock
// guards). A lock belongs to one open file: a second open of the same path,
// in another process or in this one, does not get it, and it goes away with
// the file descriptor, so a process killed with -9 leaves no stale lock.
//
// TryLock locks an open file (harness/cache locks its logs with it); Acquire
// locks a lock file beside what it guards and records the holder's pid in it,
// so the error a second holder gets names the first.
package filelock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HeldError is Acquire's error when another open file holds the lock.
type HeldError struct {
	Path string // the lock file
	PID  int    // the holder's pid as recorded in the file; 0 if unknown
}

func (e *HeldError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s is held by process %d", e.Path, e.PID)
	}
	return fmt.Sprintf("%s is held by another process", e.Path)
}

// Lock is a held lock file. Close releases it (idempotent); the file itself
// stays, so that no second holder ever locks an unlinked twin of it.
type Lock struct {
	f *os.File
}

// Acquire creates path if needed, locks it without waiting and writes this
// process's pid into it. It fails with a *HeldError when another open file
// holds the lock.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	ok, err := TryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
		return nil, &HeldError{Path: path, PID: pid}
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
