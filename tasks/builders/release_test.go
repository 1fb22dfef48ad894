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
	"github.com/mimo-mlir/mimo/tasks/formats"
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
	real := shareddata.Require(t, "xquad")
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

// miraclReleaseFiles are the fixture's MIRACL release files (the layout of
// miracl/miracl and miracl/miracl-corpus, see internal/cmd/buildersfixtures), by
// repository.
var miraclReleaseFiles = map[string][]string{
	"miracl/miracl": {
		"miracl-v1.0-de/topics/topics.miracl-v1.0-de-dev.tsv", "miracl-v1.0-de/qrels/qrels.miracl-v1.0-de-dev.tsv",
		"miracl-v1.0-de/topics/topics.miracl-v1.0-de-train.tsv", "miracl-v1.0-de/qrels/qrels.miracl-v1.0-de-train.tsv",
		"miracl-v1.0-ja/topics/topics.miracl-v1.0-ja-dev.tsv", "miracl-v1.0-ja/qrels/qrels.miracl-v1.0-ja-dev.tsv",
	},
	"miracl/miracl-corpus": {
		"miracl-corpus-v1.0-de/docs-0.jsonl.gz", "miracl-corpus-v1.0-ja/docs-0.jsonl.gz", "miracl-corpus-v1.0-ja/docs-1.jsonl.gz",
	},
}

// TestMIRACLReleaseLocalFolder builds MIRACLRetrievalRelease from one
// folder holding both repositories' files (what `hf download
// --local-dir DIR` of miracl/miracl and miracl/miracl-corpus writes), as
// from the Hub layout; checks the train split, the errors, and that "all"
// leaves the task out while its group and name select it.
func TestMIRACLReleaseLocalFolder(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for repo, list := range miraclReleaseFiles {
		for _, f := range list {
			files[repo+"/"+f] = f
		}
	}
	copyFixture(t, dir, files)
	task, err := New("MIRACLRetrievalRelease", tasks.DirSource{Root: dir, Flat: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ds, err := task.Load(ctx, tasks.LoadOptions{Langs: []string{"de", "ja"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(readGolden(t, "miracl_release_de_ja.json"), toGolden(ds)); diff != "" {
		t.Errorf("miracl_release_de_ja.json (-golden +got):\n%s", diff)
	}

	train, err := task.Load(ctx, tasks.LoadOptions{Langs: []string{"de"}, Variant: map[string]string{MIRACLSplitVariant: "train"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []goldenDataset{{Subset: "de", Split: "train", Languages: []string{"deu-Latn"},
		Queries: []string{"10 | de |  | Trainingsfrage"},
		Corpus: []string{"100#0 | de |  | Pidgin Ein Pidgin ist eine reduzierte Sprache.",
			"100#1 | de |  | Pidgin Pidgins entstehen im Handel.", "200#0 | de |  | Der Turm ist 324 Meter hoch."},
		Qrels: map[string]map[string]int{"10": {"200#0": 1}}}}
	if diff := cmp.Diff(want, toGolden(train)); diff != "" {
		t.Errorf("train split (-want +got):\n%s", diff)
	}

	for _, c := range []struct {
		name string
		opts tasks.LoadOptions
		is   error
		want []string
	}{
		{"a language missing", tasks.LoadOptions{Langs: []string{"de", "ar"}}, tasks.ErrNotFound,
			[]string{"miracl/miracl-corpus@d921ec7e349ce0d28daf30b2da9da5ee698bef0d", "miracl-corpus-v1.0-ar/docs-{n}.jsonl.gz"}},
		{"train split of ja missing", tasks.LoadOptions{Langs: []string{"ja"}, Variant: map[string]string{MIRACLSplitVariant: "train"}}, tasks.ErrNotFound,
			[]string{"miracl/miracl@5be20db9509754dadad47689368639fcec739c00", "miracl-v1.0-ja/topics/topics.miracl-v1.0-ja-train.tsv"}},
		{"test split has no qrels", tasks.LoadOptions{Variant: map[string]string{MIRACLSplitVariant: "test-a"}}, nil,
			[]string{`miracl_split="test-a": want dev or train`}},
		{"unknown language", tasks.LoadOptions{Langs: []string{"xx"}}, nil, []string{`no language "xx"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := task.Load(ctx, c.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("%v does not wrap %v", err, c.is)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}

	for spec, want := range map[string]bool{"all": false, "miracl": false, "miracl-release": true, "MIRACLRetrievalRelease": true} {
		sel, err := tasks.Select(spec)
		if err != nil {
			t.Fatal(err)
		}
		got := false
		for _, s := range sel {
			got = got || s.Metadata().Name == "MIRACLRetrievalRelease"
		}
		if got != want {
			t.Errorf("Select(%q) selects MIRACLRetrievalRelease: %v, want %v", spec, got, want)
		}
	}
}

// TestMIRACLReleaseMalformed: a malformed line of each release file is an
// error naming the repository, the file and the line.
func TestMIRACLReleaseMalformed(t *testing.T) {
	for _, c := range []struct {
		name, repo, file, data, want string
	}{
		{"topics without a tab", "miracl/miracl", "miracl-v1.0-de/topics/topics.miracl-v1.0-de-dev.tsv", "0\tfine\n1 no tab\n",
			`topics.miracl-v1.0-de-dev.tsv:2: want "qid<TAB>query"`},
		{"qrels with 3 columns", "miracl/miracl", "miracl-v1.0-de/qrels/qrels.miracl-v1.0-de-dev.tsv", "0\tQ0\t100#0\n",
			"qrels.miracl-v1.0-de-dev.tsv:1: want 4 fields"},
		{"qrels grade not an integer", "miracl/miracl", "miracl-v1.0-de/qrels/qrels.miracl-v1.0-de-dev.tsv", "0\tQ0\t100#0\tyes\n",
			`column relevance: "yes" is not an integer`},
		{"passage with an unknown field", "miracl/miracl-corpus", "miracl-corpus-v1.0-de/docs-0.jsonl.gz", `{"docid": "1#0", "text": "x", "url": "u"}` + "\n",
			`docs-0.jsonl.gz:1: `},
		{"passage without docid", "miracl/miracl-corpus", "miracl-corpus-v1.0-de/docs-0.jsonl.gz", `{"title": "t", "text": "x"}` + "\n",
			`docs-0.jsonl.gz:1: field "docid" missing`},
		{"empty shard", "miracl/miracl-corpus", "miracl-corpus-v1.0-de/docs-0.jsonl.gz", "",
			"docs-0.jsonl.gz: no passages"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &overlaySource{base: tasks.DirSource{Root: fixtures}, ref: fileRef{repo: c.repo, path: c.file}, data: []byte(c.data)}
			_, err := BuildMIRACLRelease(context.Background(), src, MIRACLTopicsRef, MIRACLCorpusRef, tasks.LoadOptions{Langs: []string{"de"}})
			if !errors.Is(err, formats.ErrSchema) {
				t.Fatalf("error %v, want ErrSchema", err)
			}
			for _, w := range []string{c.repo + "@", c.want} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}
