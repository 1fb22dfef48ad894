package cli

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/digest"
	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks/mini"
)

// copyModel copies the shipped default model folder into a temporary one.
func copyModel(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "..", DefaultModelDir)
	dst := t.TempDir()
	for _, name := range []string{adapters.FolderFile, "config.json", "model.safetensors", "tokenizer.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// miniScore runs mimo-eval on MiniMLIR with args and returns its main score.
func miniScore(t *testing.T, output string, args ...string) (float64, string, int) {
	t.Helper()
	code, _, stderr := run(append([]string{"--tasks", mini.Name, "--output", output}, args...)...)
	if code != 0 {
		return 0, stderr, code
	}
	paths, _ := filepath.Glob(filepath.Join(output, "*", "*", mini.Name+".json"))
	if len(paths) != 1 {
		t.Fatalf("result files %v, want one", paths)
	}
	r, err := results.ReadResult(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	return r.Scores["test"][0]["main_score"].(float64), stderr, code
}

// editTokenizer renumbers the pieces of the tokenizer's vocabulary (the
// special tokens stay): every text gets other ids, so other vectors.
func editTokenizer(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, "tokenizer.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	if err := json.Unmarshal(b, &tok); err != nil {
		t.Fatal(err)
	}
	vocab := tok["model"].(map[string]any)["vocab"].([]any)
	slices.Reverse(vocab[4:])
	b, err = json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEditedModelIsNotServedFromCache is issue 12 item 4: the folder
// declares a revision, so before the content digest the cache key ignored
// an edited tokenizer.json and replaced weights, even with --overwrite.
func TestEditedModelIsNotServedFromCache(t *testing.T) {
	// The memo does not trust a stamp fresher than digest.RacyWindow (2 s);
	// shortened here, so that what it remembers does not depend on how
	// fast this machine runs the first evaluation (or on exports left in
	// the user's cache by earlier runs: XDG_CACHE_HOME is this test's own).
	old := digest.RacyWindow
	digest.RacyWindow = time.Millisecond
	t.Cleanup(func() { digest.RacyWindow = old })
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	model := copyModel(t)
	time.Sleep(10 * time.Millisecond)
	cache := t.TempDir()
	common := []string{"--model", model, "--cache-dir", cache, "--langs", "en,de"}

	before, stderr, code := miniScore(t, t.TempDir(), common...)
	if code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}

	t.Run("tokenizer", func(t *testing.T) {
		editTokenizer(t, model)
		out := t.TempDir()
		after, stderr, code := miniScore(t, out, common...)
		if code != 0 {
			t.Fatalf("after the edit: exit %d\n%s", code, stderr)
		}
		if after == before {
			t.Errorf("score %.5f after editing tokenizer.json, same as before: served from the cache", after)
		}
		if !strings.Contains(stderr, "encoding") {
			t.Errorf("nothing encoded after the edit:\n%s", stderr)
		}
		// The files copied before the first run are older than the
		// (shortened) RacyWindow, so they are remembered.
		if _, err := os.Stat(filepath.Join(cache, digest.MemoFile)); err != nil {
			t.Errorf("no digest memo in the cache folder: %v", err)
		}
		// The same output folder: the result file is reused, now from
		// the same files.
		again, stderr, code := miniScore(t, out, common...)
		if code != 0 || again != after || !strings.Contains(stderr, "reusing") {
			t.Errorf("rerun: exit %d, score %.5f (want %.5f, reused)\n%s", code, again, after, stderr)
		}
	})

	t.Run("result-reuse", func(t *testing.T) {
		// A result computed before an edit is not reused.
		out := t.TempDir()
		if _, stderr, code := miniScore(t, out, common...); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		editTokenizer(t, model) // back to the original order
		_, stderr, code := miniScore(t, out, common...)
		if code == 0 || !strings.Contains(stderr, "model files") || !strings.Contains(stderr, "--overwrite") {
			t.Errorf("stale result: exit %d, want an error naming the model files and --overwrite\n%s", code, stderr)
		}
		now, stderr, code := miniScore(t, out, append(common, "--overwrite")...)
		if code != 0 || now != before {
			t.Errorf("--overwrite: exit %d, score %.5f, want the original %.5f\n%s", code, now, before, stderr)
		}
	})

	t.Run("weights", func(t *testing.T) {
		// NaN weights: the vectors are recomputed, found NaN, refused.
		p := filepath.Join(model, "model.safetensors")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := binary.LittleEndian.Uint64(b)
		for i := 8 + int(n); i < len(b); i++ {
			b[i] = 0xff // every float32 is a NaN
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := miniScore(t, t.TempDir(), common...)
		if code == 0 || !strings.Contains(stderr, "NaN") {
			t.Errorf("NaN weights: exit %d, want the NaN vectors refused (not the cached ones served)\n%s", code, stderr)
		}
	})
}
