package builders

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/tasks"
)

// copyFixture copies fixture files (paths under testdata/hub/datasets) to
// dir/dst, making the folder a user would have after downloading only some
// of a release's files.
func copyFixture(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for src, dst := range files {
		b, err := os.ReadFile(filepath.Join(fixtures, filepath.FromSlash(src)))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(dst))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBelebeleSubsetOfFiles: a folder holding only the German and English
// files (Hub layout data/{flores}.jsonl, or the files at the folder's root)
// builds with Langs de,en, and a selected language without its file is an
// error naming every missing file.
func TestBelebeleSubsetOfFiles(t *testing.T) {
	layouts := map[string]map[string]string{
		"hub layout": {
			"facebook/belebele/data/deu_Latn.jsonl": "data/deu_Latn.jsonl",
			"facebook/belebele/data/eng_Latn.jsonl": "data/eng_Latn.jsonl",
		},
		"files at the root": {
			"facebook/belebele/data/deu_Latn.jsonl": "deu_Latn.jsonl",
			"facebook/belebele/data/eng_Latn.jsonl": "eng_Latn.jsonl",
		},
	}
	for name, files := range layouts {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			copyFixture(t, dir, files)
			src := tasks.DirSource{Root: dir, Flat: true}
			task, err := New("BelebeleMLIR", src)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := task.Load(context.Background(), tasks.LoadOptions{Langs: []string{"de", "en"}})
			if err != nil {
				t.Fatal(err)
			}
			got := toGolden(ds)
			if diff := cmp.Diff(readGolden(t, "belebele_de_en.json"), got); diff != "" {
				t.Errorf("belebele_de_en.json (-golden +got):\n%s", diff)
			}

			for _, c := range []struct {
				langs   []string
				missing []string
				absent  []string
			}{
				{[]string{"de", "fr", "en", "ar"}, []string{"data/fra_Latn.jsonl (fr)", "data/acm_Arab.jsonl (ar)", "2 of the 4"}, []string{"deu_Latn", "eng_Latn"}},
				{nil, []string{"data/acm_Arab.jsonl (ar)", "data/zho_Hans.jsonl (zh)", "12 of the 14"}, []string{"deu_Latn", "eng_Latn"}},
			} {
				_, err := task.Load(context.Background(), tasks.LoadOptions{Langs: c.langs})
				if err == nil {
					t.Fatalf("Langs %v: no error", c.langs)
				}
				if !errors.Is(err, tasks.ErrNotFound) {
					t.Errorf("Langs %v: %v does not wrap ErrNotFound", c.langs, err)
				}
				for _, m := range c.missing {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("Langs %v: error %q does not name %q", c.langs, err, m)
					}
				}
				for _, m := range c.absent {
					if strings.Contains(err.Error(), m) {
						t.Errorf("Langs %v: error %q names %q, which is present", c.langs, err, m)
					}
				}
			}
		})
	}
}
