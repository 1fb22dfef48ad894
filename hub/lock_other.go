//go:build !unix

package hub

import "context"

// lockPath is a no-op where flock is unavailable; downloads of one file
// are still serialised within a process by lockFile.
func lockPath(context.Context, string) (func(), error) { return func() {}, nil }
