package builders

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/shareddata"
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

// TestXQuADLAReQANames: LAReQA's XQuAD-R copy names its files {lang}.json
// (google-research-datasets/lareqa, folder xquad-r/); a folder holding
// them, or the root of a LAReQA checkout, builds like xquad.{lang}.json.
func TestXQuADLAReQANames(t *testing.T) {
	for name, src := range map[string]tasks.Source{
		"xquad-r folder":  tasks.DirSource{Root: "testdata/release/lareqa/xquad-r", Flat: true},
		"lareqa checkout": tasks.DirSource{Root: "testdata/release/lareqa", Flat: true},
	} {
		t.Run(name, func(t *testing.T) {
			task, err := New("XQuADMLIR", src)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := task.Load(context.Background(), tasks.LoadOptions{Langs: []string{"de", "hi"}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(readGolden(t, "xquad_lareqa_de_hi.json"), toGolden(ds)); diff != "" {
				t.Errorf("xquad_lareqa_de_hi.json (-golden +got):\n%s", diff)
			}
			_, err = task.Load(context.Background(), tasks.LoadOptions{Langs: []string{"de", "en", "hi", "zh"}})
			if !errors.Is(err, tasks.ErrNotFound) {
				t.Fatalf("Langs de,en,hi,zh: error %v, want ErrNotFound", err)
			}
			for _, w := range []string{"2 selected language(s)", "en (none of xquad.en.json, en.json, xquad-r/en.json", "zh (none of"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// TestXQuADRealDataLAReQANames builds the real XQuAD (../shared/data/xquad,
// read in place) through a folder of {lang}.json links to it, LAReQA's
// naming, and checks it is the build from xquad.{lang}.json, with the
// paper's sizes.
func TestXQuADRealDataLAReQANames(t *testing.T) {
	real, ok := shareddata.Path("xquad")
	if !ok {
		t.Fatalf("shared XQuAD data not found at %s (set MIMO_DATA)", real)
	}
	dir := t.TempDir()
	for _, l := range XQuADLangs {
		abs, err := filepath.Abs(filepath.Join(real, "xquad."+l+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, l+".json")); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	want, err := BuildXQuAD(ctx, tasks.DirSource{Root: real, Flat: true}, XQuADRef, tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := BuildXQuAD(ctx, tasks.DirSource{Root: dir, Flat: true}, XQuADRef, tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LAReQA naming differs from xquad.{lang}.json (-want +got):\n%s", diff)
	}
	task, err := New("XQuADMLIR", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.CheckSizes(task.Metadata(), got); err != nil {
		t.Errorf("Table 7: %v", err)
	}
}

// mlqaRelease is the fixture of MLQA's original release
// (github.com/facebookresearch/MLQA, MLQA_V1.zip): MLQA_V1/{test,dev}/
// {split}-context-{c}-question-{q}.json, SQuAD format.
const mlqaRelease = "testdata/release/mlqa"

// TestMLQAReleaseJSON builds MLQAMLIR from the release's JSON files, from
// the folder the zip was unpacked in, from MLQA_V1 itself and from the
// split's own folder, for test and dev.
func TestMLQAReleaseJSON(t *testing.T) {
	for _, c := range []struct {
		name, root, split, golden string
	}{
		{"unpacked zip, test", mlqaRelease, "", "mlqa_release_test.json"},
		{"MLQA_V1, test", mlqaRelease + "/MLQA_V1", "test", "mlqa_release_test.json"},
		{"test folder", mlqaRelease + "/MLQA_V1/test", "", "mlqa_release_test.json"},
		{"unpacked zip, dev", mlqaRelease, "dev", "mlqa_release_dev.json"},
		{"MLQA_V1, validation", mlqaRelease + "/MLQA_V1", "validation", "mlqa_release_dev.json"},
		{"dev folder", mlqaRelease + "/MLQA_V1/dev", "dev", "mlqa_release_dev.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			task, err := New("MLQAMLIR", tasks.DirSource{Root: c.root, Flat: true})
			if err != nil {
				t.Fatal(err)
			}
			opts := tasks.LoadOptions{}
			if c.split != "" {
				opts.Variant = map[string]string{MLQASplitVariant: c.split}
			}
			ds, err := task.Load(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(readGolden(t, c.golden), toGolden(ds)); diff != "" {
				t.Errorf("%s (-golden +got):\n%s", c.golden, diff)
			}
		})
	}
}

// TestMLQAReleaseIncomplete: a release folder missing some of its 49 files
// is an error naming each, not a build from the Parquet configs or from
// fewer files.
func TestMLQAReleaseIncomplete(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(mlqaRelease, "MLQA_V1", "test")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	drop := map[string]bool{"test-context-hi-question-zh.json": true, "test-context-vi-question-vi.json": true}
	for _, e := range ents {
		if drop[e.Name()] {
			continue
		}
		abs, err := filepath.Abs(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	task, err := New("MLQAMLIR", tasks.DirSource{Root: dir, Flat: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = task.Load(context.Background(), tasks.LoadOptions{})
	if !errors.Is(err, tasks.ErrNotFound) {
		t.Fatalf("error %v, want ErrNotFound", err)
	}
	for _, w := range []string{"2 of the 49 files of split test missing", "test-context-hi-question-zh.json", "test-context-vi-question-vi.json"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
	_, err = task.Load(context.Background(), tasks.LoadOptions{Variant: map[string]string{MLQASplitVariant: "train"}})
	if err == nil || !strings.Contains(err.Error(), `mlqa_split="train": want test or validation (dev)`) {
		t.Errorf("split train: error %v", err)
	}
}
