package hubtest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/hub"
)

// WritePythonCache lays out files of one repository in cache exactly as
// huggingface_hub writes them (file_download.py: _hf_hub_download_to_cache_dir,
// _create_symlink with a relative target, _cache_commit_hash_for_specific_
// revision writing the bare commit to refs/main):
//
//	{kind}s--{org}--{name}/blobs/{sha256}
//	{kind}s--{org}--{name}/snapshots/{commit}/{path} -> ../../blobs/{sha256}
//	{kind}s--{org}--{name}/refs/main
//
// Blobs are named by the content's SHA-256 (the Hub's ETag of an LFS file),
// so a cache filled by Python can be imitated without Python.
func WritePythonCache(t testing.TB, cache string, kind hub.RepoKind, repo, commit string, files map[string]string) {
	t.Helper()
	dir := filepath.Join(cache, kind.String()+"s--"+strings.ReplaceAll(repo, "/", "--"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for p, content := range files {
		sum := sha256.Sum256([]byte(content))
		blob := filepath.Join(dir, "blobs", hex.EncodeToString(sum[:]))
		pointer := filepath.Join(dir, "snapshots", commit, filepath.FromSlash(p))
		must(os.MkdirAll(filepath.Dir(blob), 0o755))
		must(os.MkdirAll(filepath.Dir(pointer), 0o755))
		must(os.WriteFile(blob, []byte(content), 0o644))
		rel, err := filepath.Rel(filepath.Dir(pointer), blob)
		must(err)
		must(os.Symlink(rel, pointer))
	}
	must(os.MkdirAll(filepath.Join(dir, "refs"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "refs", "main"), []byte(commit), 0o644))
}
