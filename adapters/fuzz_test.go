package adapters

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzReadFolder reads a fuzzed mimo-model.json (issue 12, "Fuzzing, in
// CI"). The invariant: no panic, no hang; an error is non-empty and names
// the file or folder; a folder that was read, written back as JSON, reads
// the same. Seeds: the f.Add calls and testdata/fuzz/FuzzReadFolder/.
func FuzzReadFolder(f *testing.F) {
	f.Add([]byte(`{"kind": "onnx", "name": "intfloat/multilingual-e5-large", "revision": "ab10c1a7f42e74530fe7ae5be82e6d4f11a719eb", "onnx": "onnx/model.onnx", "tokenizer": "tokenizer.json", "pooling": "mean", "normalize": true, "max_length": 512, "dim": 1024, "prompts": {"query": "query: ", "document": "passage: "}, "license": "mit", "n_parameters": 559890432}`))
	f.Add([]byte(`{"kind": "native", "name": "mimo-mini", "weights": "model.safetensors", "config": "config.json", "tokenizer": "tokenizer.json", "max_length": 128}`))
	f.Add([]byte(`{"kind": "http", "name": "e5", "url": "http://localhost:8080", "api": "tei", "model": "e5", "normalize": false}`))
	f.Add([]byte(`{"kind": "lexical", "name": "lexical", "options": {"ngram_min": 3, "ngram_max": 5, "weights": [1.5, null, "x"]}}`))
	f.Add([]byte(`{"kind": "onnx", "max_length": -5} {"trailing": true}`))
	f.Add([]byte(`{"name": "no kind"}`))
	f.Add([]byte(`{"kind": "precomputed", "vectors": "vectors.bin", "prompts": {}, "options": {}}`))
	f.Add([]byte(`{"kind": "onnx", "revision": "../../../x", "name": ".."}`))
	if b, err := os.ReadFile("mimo/mimo-model.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FolderFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		fo, err := ReadFolder(dir)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, dir) {
				t.Fatalf("error %q does not name the folder %s", msg, dir)
			}
			return
		}
		if fo.Kind == "" {
			t.Fatal("a folder without a kind was accepted")
		}
		for k := range fo.Options {
			_, _, _ = fo.IntOption(k)
		}
		b, err := json.Marshal(fo)
		if err != nil {
			t.Fatalf("a folder that was read does not marshal: %v", err)
		}
		dir2 := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir2, FolderFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		fo2, err := ReadFolder(dir2)
		if err != nil {
			t.Fatalf("written back, does not read: %v\n%s", err, b)
		}
		fo.Dir, fo2.Dir = "", ""
		if diff := cmp.Diff(fo, fo2, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
	})
}
