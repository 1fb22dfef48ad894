// Package shareddata finds the real data shipped beside the project
// (../shared/data: XQuAD in 12 languages, Tatoeba pairs) for tests, demos
// and recipes. The data is read where it lies, never copied into the repo.
//
// Lookup order: $MIMO_DATA; then "../shared/data" beside the module root
// (the folder holding go.mod, found upward from the working directory).
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mimo-mlir/mimo/internal/testenv"
)

// Dir returns the shared data folder and whether it exists.
func Dir() (string, bool) {
	if d := os.Getenv("MIMO_DATA"); d != "" {
		return d, isDir(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(d), "shared", "data")
			return p, isDir(p)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// Path returns a path inside the shared data folder and whether it exists.
func Path(elem ...string) (string, bool) {
	d, ok := Dir()
	if !ok {
		return "", false
	}
	p := filepath.Join(append([]string{d}, elem...)...)
	_, err := os.Stat(p)
	return p, err == nil
}

// Require returns a path inside the shared data folder; when it is absent
// the test is skipped under -short and fails otherwise (internal/testenv),
// saying what is missing and how to point at it.
func Require(tb testing.TB, elem ...string) string {
	tb.Helper()
	p, ok := Path(elem...)
	testenv.Require(tb, ok, fmt.Sprintf("shared data %v", elem), "set MIMO_DATA to the shared data folder, normally ../shared/data beside the repo")
	return p
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
