package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/results"
)

// TestSearchBlockAndStoreDtypeFlags: --search-block gives the scores of
// the in-memory search; --store-dtype f16 is recorded in the extras.
func TestSearchBlockAndStoreDtypeFlags(t *testing.T) {
	base := []string{"-m", "lexical", "-t", "mini", "--langs", "de,en"}
	// read decodes root/<model>/<revision>/sub/MiniMLIR.json.
	read := func(root, sub string, v any) {
		t.Helper()
		m, _ := filepath.Glob(filepath.Join(root, "*", "*", sub, "MiniMLIR.json"))
		if len(m) != 1 {
			t.Fatalf("files %s/MiniMLIR.json under %s: %v", sub, root, m)
		}
		b, err := os.ReadFile(m[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	run := func(extra ...string) string {
		t.Helper()
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		args := append(append(append([]string{}, base...), "--cache-dir", t.TempDir(), "--output", out), extra...)
		if code := Main(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr.String())
		}
		return out
	}
	type result struct {
		Scores any `json:"scores"`
	}
	var memory, blocks result
	read(run(), "", &memory)
	read(run("--search-block", "5"), "", &blocks)
	if diff := cmp.Diff(memory, blocks); diff != "" {
		t.Errorf("--search-block 5 differs from the in-memory search (-memory +blocks):\n%s", diff)
	}
	var x struct {
		Settings struct {
			StoreDtype string `json:"store_dtype"`
		} `json:"settings"`
	}
	read(run("--store-dtype", "f16", "--search-block", "3"), results.ExtrasDir, &x)
	if x.Settings.StoreDtype != "f16" {
		t.Errorf("extras settings store_dtype %q, want f16", x.Settings.StoreDtype)
	}
	var stderr bytes.Buffer
	if code := Main(context.Background(), append(append([]string{}, base...), "--no-cache", "--search-block", "3", "--output", t.TempDir()), &bytes.Buffer{}, &stderr); code != 2 {
		t.Errorf("--search-block with --no-cache: exit %d, want 2 (%s)", code, stderr.String())
	}
}
