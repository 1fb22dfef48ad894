// Package limited reads whole bodies and files from outside with a bound,
// so an endless or oversized answer is an error, never an allocation
// without limit. One owner for the rule the hub client (listings, refs,
// token file) and the HTTP embedding adapter (answers) share.
package limited

import (
	"fmt"
	"io"
	"os"
)

// TooLargeError is input over its bound.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than %d bytes", e.Limit)
}

// ReadAll reads r to its end, refusing more than limit bytes (it reads at
// most limit+1 to tell).
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return b, nil
}

// ReadClose is ReadAll on rc, then closes it.
func ReadClose(rc io.ReadCloser, limit int64) ([]byte, error) {
	defer rc.Close()
	return ReadAll(rc, limit)
}

// ReadFile reads the file at name, refusing one over limit bytes.
func ReadFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := ReadAll(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}
