package cache

import (
	"os"

	"github.com/mimo-mlir/mimo/internal/filelock"
)

// tryLock is internal/filelock's TryLock: an exclusive advisory lock on f
// without waiting (false when another open file holds it).
func tryLock(f *os.File) (bool, error) { return filelock.TryLock(f) }
