package registry

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
)

// FuzzSentenceTransformers reads fuzzed sentence-transformers files
// (config_sentence_transformers.json, 1_Pooling/config.json, config.json;
// bit i of present says whether file i exists) the way Resolve does for a
// model the registry does not know (issue 12, "Fuzzing, in CI"). The
// invariant: no panic; an error is non-empty and names the file; what is
// accepted is a folder mimo-model.json can hold: a known pooling, a
// dimension >= 0, and JSON that ReadFolder reads back.
func FuzzSentenceTransformers(f *testing.F) {
	f.Add([]byte(`{"__version__": {"sentence_transformers": "2.2.2"}, "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": null}`),
		[]byte(`{"word_embedding_dimension": 1024, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}`),
		[]byte(`{"model_type": "xlm-roberta", "hidden_size": 1024}`), uint8(7))
	f.Add([]byte(`{"prompts": {"query": "Represent this sentence for searching relevant passages: ", "document": ""}}`),
		[]byte(`{"word_embedding_dimension": 768, "pooling_mode_cls_token": true}`), []byte(`{}`), uint8(3))
	f.Add([]byte(`{}`), []byte(`{"pooling_mode_lasttoken": true}`), []byte(`{"hidden_size": -5}`), uint8(6))
	f.Add([]byte(`not json`), []byte(`{"word_embedding_dimension": "768"}`), []byte(`[]`), uint8(7))
	f.Fuzz(func(t *testing.T, stConfig, pooling, config []byte, present uint8) {
		if len(stConfig)+len(pooling)+len(config) > 1<<20 {
			t.Skip()
		}
		dir := t.TempDir()
		files := map[string][]byte{"config_sentence_transformers.json": stConfig, "1_Pooling/config.json": pooling, "config.json": config}
		names := []string{"config_sentence_transformers.json", "1_Pooling/config.json", "config.json"}
		for i, name := range names {
			if present&(1<<i) == 0 {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, files[name], 0o644); err != nil {
				t.Fatal(err)
			}
		}
		get := func(name string) (string, error) {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("fake hub: %s: %w", name, fs.ErrNotExist)
			}
			return p, nil
		}
		fo := adapters.Folder{Kind: "onnx", Name: "org/model", Revision: "main"}
		if err := adapters.ReadSentenceTransformers(&fo, get); err != nil {
			if msg := err.Error(); !strings.Contains(msg, dir) {
				t.Fatalf("error %q does not name the file", msg)
			}
			return
		}
		switch fo.Pooling {
		case "mean", "cls", "last-token":
		default:
			t.Fatalf("pooling %q", fo.Pooling)
		}
		if fo.Dim < 0 {
			t.Fatalf("dimension %d accepted", fo.Dim)
		}
		b, err := json.Marshal(fo)
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if err := os.WriteFile(filepath.Join(out, adapters.FolderFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := adapters.ReadFolder(out); err != nil {
			t.Fatalf("the folder Resolve would write does not read back: %v\n%s", err, b)
		}
	})
}

// TestSentenceTransformersDimRange pins what FuzzSentenceTransformers found
// (testdata/fuzz/FuzzSentenceTransformers/negative-hidden-size): a negative
// hidden_size or word_embedding_dimension went into the mimo-model.json
// Resolve writes; it is now an error naming the file and the field.
func TestSentenceTransformersDimRange(t *testing.T) {
	for name, c := range map[string]struct{ file, body, field string }{
		"hidden_size":              {"config.json", `{"hidden_size": -5}`, "hidden_size"},
		"word_embedding_dimension": {"1_Pooling/config.json", `{"word_embedding_dimension": 2000000}`, "word_embedding_dimension"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, filepath.FromSlash(c.file))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			get := func(name string) (string, error) {
				if name != c.file {
					return "", fs.ErrNotExist
				}
				return p, nil
			}
			var fo adapters.Folder
			err := adapters.ReadSentenceTransformers(&fo, get)
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("ReadSentenceTransformers = %v (dim %d), want an error naming %s and %s", err, fo.Dim, p, c.field)
			}
		})
	}
}
