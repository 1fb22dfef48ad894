package builders

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/tasks"
)

func TestSplitFiles(t *testing.T) {
	files := []string{
		"README.md",
		"ar-corpus/dev-00000-of-00002.parquet",
		"ar-corpus/dev-00001-of-00002.parquet",
		"ar-queries/queries-00000-of-00001.parquet",
		"ar-qrels/dev-00000-of-00001.parquet",
		"ar-qrels/train-00000-of-00001.parquet",
		"mlqa.en.de/test/0000.parquet",
		"mlqa.en.de/test/0001.parquet",
		"mlqa.en.de/validation/0000.parquet",
		"gap/dev-00000-of-00003.parquet",
		"gap/dev-00002-of-00003.parquet",
	}
	cases := []struct {
		config, split string
		anySplit      bool
		want          []string
		err           string
	}{
		{"ar-corpus", "dev", false, []string{"ar-corpus/dev-00000-of-00002.parquet", "ar-corpus/dev-00001-of-00002.parquet"}, ""},
		{"ar-qrels", "dev", false, []string{"ar-qrels/dev-00000-of-00001.parquet"}, ""},
		{"ar-queries", "dev", true, []string{"ar-queries/queries-00000-of-00001.parquet"}, ""},
		{"ar-queries", "dev", false, nil, `splits found: [queries]`},
		{"ar-qrels", "test", true, nil, `splits found: [dev train]`}, // two splits: no guessing
		{"mlqa.en.de", "test", false, []string{"mlqa.en.de/test/0000.parquet", "mlqa.en.de/test/0001.parquet"}, ""},
		{"mlqa.en", "test", false, nil, "no parquet files"}, // a prefix of another config is not that config
		{"gap", "dev", false, nil, "shard 1 of 3 missing"},
	}
	for _, c := range cases {
		t.Run(c.config+"/"+c.split, func(t *testing.T) {
			got, err := splitFiles(files, c.config, c.split, c.anySplit)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStats(t *testing.T) {
	ds := tasks.Dataset{
		Queries: []tasks.Query{{ID: "q1", Lang: "en"}, {ID: "q2", Lang: "de"}, {ID: "q3", Lang: "en"}},
		Corpus:  []tasks.Doc{{ID: "d1", Lang: "en"}, {ID: "d2", Lang: "de"}, {ID: "d3", Lang: "fr"}},
		Qrels: tasks.Qrels{
			"q1": {"d1": 1, "d2": 1},
			"q2": {"d2": 2, "d3": 0},
			"q3": {"d3": 1},
			"qX": {"d1": 1}, // a judgement of a query not asked: not counted
		},
	}
	want := []tasks.LangStats{
		{Lang: "de", Queries: 1, Docs: 1, Qrels: 2, Positives: 1},
		{Lang: "en", Queries: 2, Docs: 1, Qrels: 3, Positives: 3},
		{Lang: "fr", Queries: 0, Docs: 1},
		{Lang: tasks.StatsTotal, Queries: 3, Docs: 3, Qrels: 5, Positives: 4},
	}
	if diff := cmp.Diff(want, tasks.Stats(ds)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFinishLanguageFilter(t *testing.T) {
	ds := tasks.Dataset{
		Queries: []tasks.Query{{ID: "en1", Lang: "en"}, {ID: "de1", Lang: "de"}, {ID: "en2", Lang: "en"}, {ID: "en3", Lang: "en"}},
		Corpus:  []tasks.Doc{{ID: "d_en", Lang: "en"}, {ID: "d_de", Lang: "de"}},
		Qrels: tasks.Qrels{
			"en1":   {"d_en": 1, "d_de": 1},
			"de1":   {"d_de": 1},
			"en2":   {"d_de": 1},               // loses its only positive
			"en3":   {"d_en": 0, "missing": 1}, // judged doc never in the corpus is kept
			"ghost": {"d_en": 1},
		},
	}
	finish(&ds, tasks.LoadOptions{Langs: []string{"EN"}}, "no_pos", []string{"de", "en"}, mtebTag)
	want := tasks.Dataset{
		Languages: []string{"eng-Latn"},
		Queries:   []tasks.Query{{ID: "en1", Lang: "en"}, {ID: "en3", Lang: "en"}},
		Corpus:    []tasks.Doc{{ID: "d_en", Lang: "en"}},
		Qrels:     tasks.Qrels{"en1": {"d_en": 1}, "en3": {"d_en": 0, "missing": 1}},
		Skipped: map[string]int{"doc_lang_filtered": 1, "query_lang_filtered": 1, "qrels_doc_lang_filtered": 2,
			"no_pos": 1, "qrels_query_not_in_queries": 1},
	}
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRegistry(t *testing.T) {
	mlir, err := tasks.Select("mlir")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, task := range mlir {
		m := task.Metadata()
		names = append(names, m.Name)
		if m.MainScore != "ndcg_at_20" || m.Source == "" || m.Revision == "" || m.License == "" || len(m.Languages) == 0 {
			t.Errorf("%s: incomplete metadata %+v", m.Name, m)
		}
	}
	want := []string{"BelebeleMLIR", "MLQAMLIR", "MultiEuPMLIR", "NeuCLIR2022MLIR", "NeuCLIR2023MLIR", "XQuADMLIR"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("mlir group (-want +got):\n%s", diff)
	}
	mir, err := tasks.Select("miracl")
	if err != nil {
		t.Fatal(err)
	}
	if len(mir) != 1 || mir[0].Metadata().MainScore != "ndcg_at_10" {
		t.Errorf("miracl group = %v", mir)
	}
	for _, name := range []string{"xquad", "XQuADRetrieval", "neuclir2023", "MultiEuP"} {
		if _, err := New(name, nil); err != nil {
			t.Errorf("New(%q): %v", name, err)
		}
	}
	if _, err := New("nope", nil); err == nil || !strings.Contains(err.Error(), "XQuADMLIR") {
		t.Errorf("New(nope) = %v, want an error listing the tasks", err)
	}
}

// TestRegisteredWithSource: a registered task reads from the Source
// handed to it (WithSource), the way the command line passes --source;
// there is no package-wide default to set.
func TestRegisteredWithSource(t *testing.T) {
	sel, err := tasks.Select("XQuAD")
	if err != nil {
		t.Fatal(err)
	}
	task := sel[0].(*Task).WithSource(tasks.DirSource{Root: fixtures})
	ds, err := task.Load(context.Background(), tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds[0].Queries) != 24 {
		t.Errorf("%d queries from the fixtures, want 24", len(ds[0].Queries))
	}
	empty := sel[0].(*Task).WithSource(tasks.DirSource{Root: t.TempDir()})
	if _, err := empty.Load(context.Background(), tasks.LoadOptions{}); !errors.Is(err, tasks.ErrNotFound) {
		t.Errorf("Load from an empty source: %v, want ErrNotFound", err)
	}
	if !task.Reads(XQuADRef.Repo) || task.Reads(NeuCLIRBenchRef.Repo) {
		t.Errorf("Reads: XQuAD reads %s only", XQuADRef.Repo)
	}
}

func TestCheckSizes(t *testing.T) {
	task, err := New("XQuADMLIR", tasks.DirSource{Root: fixtures})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := task.Load(context.Background(), tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = tasks.CheckSizes(task.Metadata(), ds)
	want := "XQuADMLIR: sizes differ from the paper's: queries 24, expected 9520; corpus 16, expected 1920; qrels 178, expected 76160"
	if err == nil || err.Error() != want {
		t.Errorf("CheckSizes on the fixture = %v, want %q", err, want)
	}
	if err := tasks.CheckSizes(tasks.Metadata{Name: "X"}, ds); err != nil {
		t.Errorf("no expectations: %v", err)
	}
}

// TestCancelledContext: a cancelled context stops a build with ctx's error.
func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, name := range Names() {
		task, err := New(name, tasks.DirSource{Root: fixtures})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := task.Load(ctx, tasks.LoadOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Load with a cancelled context = %v, want context.Canceled", name, err)
		}
	}
}

// TestOldNamesAreAliases: MTEB's names, which mimo used for its pooled
// tasks before, select the new task with a note, and New accepts them.
func TestOldNamesAreAliases(t *testing.T) {
	for _, tc := range []struct{ item, want string }{
		{"BelebeleRetrieval", "BelebeleMLIR"}, {"MLQARetrieval", "MLQAMLIR"}, {"xquadretrieval", "XQuADMLIR"},
		{"MultiEuPRetrieval", "MultiEuPMLIR"}, {"NeuCLIR2022Retrieval", "NeuCLIR2022MLIR"},
		{"NeuCLIR2023Retrieval", "NeuCLIR2023MLIR"}, {"MIRACLRetrieval", "MIRACLRetrievalHardNegatives"},
	} {
		t.Run(tc.item, func(t *testing.T) {
			sel, notes, err := tasks.SelectNotes(tc.item)
			if err != nil {
				t.Fatal(err)
			}
			if len(sel) != 1 || sel[0].Metadata().Name != tc.want {
				t.Fatalf("SelectNotes(%q) = %v, want only %s", tc.item, sel, tc.want)
			}
			if len(notes) != 1 || !strings.Contains(notes[0], tc.item) || !strings.Contains(notes[0], "written under "+tc.want) {
				t.Errorf("notes = %q, want one line naming %s and %s", notes, tc.item, tc.want)
			}
			if task, err := New(tc.item, nil); err != nil || task.Metadata().Name != tc.want {
				t.Errorf("New(%q) = %v, %v", tc.item, task, err)
			}
		})
	}
	for _, item := range []string{"XQuADMLIR", "xquad", "mlir", "miracl", "MIRACLRetrievalHardNegatives"} {
		if _, notes, err := tasks.SelectNotes(item); err != nil || len(notes) != 0 {
			t.Errorf("SelectNotes(%q): notes %q, err %v; want no note", item, notes, err)
		}
	}
}

// errSource answers every Open with err.
type errSource struct{ err error }

func (s errSource) Open(context.Context, string, string, string) (io.ReadCloser, error) {
	return nil, s.err
}
func (s errSource) List(context.Context, string, string) ([]string, error) { return nil, s.err }
func (s errSource) Describe() string                                       { return "errSource" }

// TestInputOpenNamesFileOnce: a Source's *tasks.FileError about the file
// asked for is passed on as it is (it names repository, revision and
// file); any other error, or a FileError about another file, is wrapped
// with them. Decided by type (tasks.NamesFile), not by the message.
func TestInputOpenNamesFileOnce(t *testing.T) {
	ref := Ref{Repo: "org/data", Revision: "r1"}
	inner := fmt.Errorf("custom text: %w", tasks.ErrNotFound)
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"file error for the file", &tasks.FileError{Repo: "org/data", Revision: "r1", Path: "a.tsv", Err: inner}, "custom text: not found"},
		{"file error for another file", &tasks.FileError{Repo: "org/data", Revision: "r1", Path: "b.tsv", Err: inner}, "opening org/data@r1: a.tsv: custom text: not found"},
		{"plain error naming repo and file in its text", fmt.Errorf("org/data a.tsv: %w", tasks.ErrNotFound), "opening org/data@r1: a.tsv: org/data a.tsv: not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := input{src: errSource{c.err}, ref: ref}.open(context.Background(), "a.tsv")
			if err == nil || err.Error() != c.want {
				t.Errorf("open: %v, want %q", err, c.want)
			}
			if !errors.Is(err, tasks.ErrNotFound) {
				t.Errorf("%v does not wrap ErrNotFound", err)
			}
		})
	}
	_, err := tasks.DirSource{Root: t.TempDir()}.Open(context.Background(), "org/data", "r1", "a.tsv")
	if !tasks.NamesFile(err, "org/data", "a.tsv") || !errors.Is(err, tasks.ErrNotFound) {
		t.Errorf("DirSource.Open of a missing file: %v, want a FileError about org/data a.tsv wrapping ErrNotFound", err)
	}
}
