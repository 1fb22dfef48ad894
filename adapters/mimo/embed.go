package mimo

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// Name is the model's name: `--model mimo-mini` (and mimo-eval's default)
// opens the embedded copy.
const Name = "mimo-mini"

// Files is the model folder, embedded in every binary that links this
// package, so `go install .../cmd/mimo-eval@latest && mimo-eval` evaluates
// the default model from any folder.
//
//go:embed mimo-model.json config.json model.safetensors tokenizer.json training.json training-texts.mimoset README.md
var Files embed.FS

// Dir returns a folder on disk holding the embedded model, extracting it on
// first use into the user's cache ($XDG_CACHE_HOME/mimo/models/mimo-mini-
// <content hash>, else the system temp folder). The folder is named by the
// SHA-256 of the embedded files, so a binary with another model never reads
// a stale copy, and it is filled through a temporary folder and a rename,
// so a crash never leaves half a model.
func Dir() (string, error) {
	sum, err := contentHash()
	if err != nil {
		return "", err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "mimo", "models", Name+"-"+sum[:16])
	err = atomicfile.FillDir(dir, []byte(sum+"\n"), func(tmp string) error {
		entries, err := fs.ReadDir(Files, ".")
		if err != nil {
			return err
		}
		for _, e := range entries {
			b, err := Files.ReadFile(e.Name())
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("%s: extracting the embedded model: %w", Name, err)
	}
	return dir, nil
}

// contentHash is the SHA-256 over the embedded files' names and bytes.
func contentHash() (string, error) {
	entries, err := fs.ReadDir(Files, ".")
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := Files.ReadFile(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
