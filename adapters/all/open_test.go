package all

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters/known"
	"github.com/mimo-mlir/mimo/hub"
)

// pythonCache lays out one model as huggingface_hub writes it (blobs named
// by SHA-256, relative snapshot symlinks, refs/main with the bare commit).
func pythonCache(t *testing.T, cache, folder, commit string, files map[string]string) {
	t.Helper()
	repo := filepath.Join(cache, folder)
	for p, content := range files {
		sum := sha256.Sum256([]byte(content))
		blob := filepath.Join(repo, "blobs", hex.EncodeToString(sum[:]))
		pointer := filepath.Join(repo, "snapshots", commit, filepath.FromSlash(p))
		for _, d := range []string{filepath.Dir(blob), filepath.Dir(pointer)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(blob, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Dir(pointer), blob)
		if err := os.Symlink(rel, pointer); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(repo, "refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOfflineTriesNextCandidate reproduces issue 11: with HF_HUB_OFFLINE=1
// a fully cached model without onnx/model.onnx (safetensors only, as
// mmBERT) failed on the first ONNX candidate instead of trying the next
// file. It now resolves to the native weights; a model with nothing cached
// still fails with the typed offline error.
func TestOfflineTriesNextCandidate(t *testing.T) {
	cache := t.TempDir()
	commit := strings.Repeat("cd", 20)
	pythonCache(t, cache, "models--org--tiny-bert", commit, map[string]string{
		"tokenizer.json":    "{}",
		"config.json":       `{"hidden_size": 8, "model_type": "bert"}`,
		"model.safetensors": "weights",
	})
	c, err := hub.New(hub.WithCacheDir(cache), hub.WithOffline(true))
	if err != nil {
		t.Fatal(err)
	}
	f, err := known.Resolve(context.Background(), "hf:org/tiny-bert", hubDownloader{c})
	if err != nil {
		t.Fatalf("offline resolve of a cached safetensors-only model: %v", err)
	}
	if f.Kind != "native" || f.Revision != commit {
		t.Errorf("folder kind %q revision %q, want native at %s", f.Kind, f.Revision, commit)
	}
	_, err = known.Resolve(context.Background(), "hf:org/not-cached", hubDownloader{c})
	if !errors.Is(err, hub.ErrOffline) {
		t.Errorf("uncached model: %v, want hub.ErrOffline", err)
	}
}
