//go:build !unix

package filelock

import "os"

// TryLock is a no-op where advisory locks are not available: there, two
// processes must not share a locked folder (a cache directory, a training
// output folder).
func TryLock(*os.File) (bool, error) { return true, nil }
