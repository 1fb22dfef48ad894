package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryEnv is the environment variable naming libonnxruntime.so.
const LibraryEnv = "ONNXRUNTIME_LIB"

// DefaultLibrary is where scripts/get-onnxruntime.sh puts the library,
// relative to the repository root.
const DefaultLibrary = "third_party/onnxruntime/libonnxruntime.so.1"

// ErrNoLibrary says that libonnxruntime.so was not found.
var ErrNoLibrary = errors.New("ONNX Runtime library not found: run make ort (scripts/get-onnxruntime.sh) or set " + LibraryEnv)

// FindLibrary returns the ONNX Runtime shared library to load: explicit if
// not empty, else $ONNXRUNTIME_LIB, else DefaultLibrary looked up from the
// working directory and the executable's directory and their parents.
func FindLibrary(explicit string) (string, error) {
	for _, p := range []string{explicit, os.Getenv(LibraryEnv)} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("ONNX Runtime library %s: %w", p, err)
		}
		return p, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, DefaultLibrary)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", ErrNoLibrary
}

// The ONNX Runtime environment is process-wide: it is created once, with the
// first library asked for, and lives until the process ends. Sessions (one
// per Encoder) are what Close frees.
var (
	envMu   sync.Mutex
	envLib  string
	envErr  error
	envDone bool
)

// initRuntime loads the library (once) and returns the path in use.
func initRuntime(explicit string) (string, error) {
	lib, err := FindLibrary(explicit)
	if err != nil {
		return "", err
	}
	envMu.Lock()
	defer envMu.Unlock()
	if envDone {
		if envErr != nil {
			return "", envErr
		}
		if abs(lib) != abs(envLib) {
			return "", fmt.Errorf("ONNX Runtime already loaded from %s; cannot also load %s in one process", envLib, lib)
		}
		return envLib, nil
	}
	envDone, envLib = true, lib
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		envErr = fmt.Errorf("ONNX Runtime %s: %w", lib, err)
		return "", envErr
	}
	return lib, nil
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.EvalSymlinks(a); err == nil {
		return r
	}
	return a
}
