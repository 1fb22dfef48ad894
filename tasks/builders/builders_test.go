package builders

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/hub/hubtest"
	"github.com/mimo-mlir/mimo/tasks"
)

// fixtures is the folder of fixture repositories, laid out as the Hub's
// datasets/<org>/<name>/<files> (written by internal/cmd/buildersfixtures).
const fixtures = "testdata/hub/datasets"

// goldenDataset is a Dataset in a form that is easy to write by hand:
// queries and docs as "id | lang | group | text" lines.
type goldenDataset struct {
	Subset    string                    `json:"subset"`
	Split     string                    `json:"split"`
	Languages []string                  `json:"languages"`
	Queries   []string                  `json:"queries"`
	Corpus    []string                  `json:"corpus"`
	Qrels     map[string]map[string]int `json:"qrels"`
	Skipped   map[string]int            `json:"skipped,omitempty"`
}

func toGolden(ds []tasks.Dataset) []goldenDataset {
	out := make([]goldenDataset, 0, len(ds))
	for _, d := range ds {
		g := goldenDataset{Subset: d.Subset, Split: d.Split, Languages: d.Languages, Qrels: map[string]map[string]int(d.Qrels), Skipped: d.Skipped}
		for _, q := range d.Queries {
			g.Queries = append(g.Queries, strings.Join([]string{q.ID, q.Lang, q.Group, q.Text}, " | "))
		}
		for _, c := range d.Corpus {
			g.Corpus = append(g.Corpus, strings.Join([]string{c.ID, c.Lang, c.Group, c.Text}, " | "))
		}
		out = append(out, g)
	}
	return out
}

func readGolden(t *testing.T, name string) []goldenDataset {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	var g []goldenDataset
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	return g
}

// goldenCase is one build checked against a hand-written golden file.
type goldenCase struct {
	name   string
	task   string // registered task name
	opts   tasks.LoadOptions
	golden string
}

var goldenCases = []goldenCase{
	{"belebele acm ar+en+zh", "BelebeleMLIR", tasks.LoadOptions{Langs: []string{"ar", "en", "zh"}}, "belebele_ar_en_zh.json"},
	{"belebele arb", "BelebeleMLIR", tasks.LoadOptions{Langs: []string{"ar"}, Variant: map[string]string{BelebeleArabicVariant: "arb_Arab"}}, "belebele_arb.json"},
	{"xquad de+hi", "XQuADMLIR", tasks.LoadOptions{Langs: []string{"de", "hi"}}, "xquad_de_hi.json"},
	{"mlqa", "MLQAMLIR", tasks.LoadOptions{}, "mlqa.json"},
	{"mlqa de+es", "MLQAMLIR", tasks.LoadOptions{Langs: []string{"de", "es"}}, "mlqa_de_es.json"},
	{"multieup", "MultiEuPMLIR", tasks.LoadOptions{}, "multieup.json"},
	{"neuclir 2022", "NeuCLIR2022MLIR", tasks.LoadOptions{}, "neuclir2022.json"},
	{"neuclir 2023", "NeuCLIR2023MLIR", tasks.LoadOptions{}, "neuclir2023.json"},
	{"miracl", "MIRACLRetrievalHardNegatives", tasks.LoadOptions{}, "miracl.json"},
	{"miracl release de+ja", "MIRACLRetrievalRelease", tasks.LoadOptions{Langs: []string{"de", "ja"}}, "miracl_release_de_ja.json"},
}

// testBenchRev pins neuclir/bench in the tests (the NeuCLIR builders
// refuse to run unpinned): the fake Hub's X-Repo-Commit for it
// (hubtest.Commit), so runs through the fake Hub resolve to the pin;
// DirSource ignores revisions.
var testBenchRev = hubtest.Commit(NeuCLIRBenchRef.Repo)

// newTask is New with neuclir/bench pinned at testBenchRev for the tasks
// that read it.
func newTask(name string, src tasks.Source) (*Task, error) {
	t, err := New(name, src)
	if err != nil || !slices.ContainsFunc(t.refs, func(r Ref) bool { return r.Repo == NeuCLIRBenchRef.Repo }) {
		return t, err
	}
	return t.WithRevision(NeuCLIRBenchRef.Repo, testBenchRev)
}

// runGoldenCases loads every golden case from src and compares.
func runGoldenCases(t *testing.T, src tasks.Source) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			task, err := newTask(c.task, src)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := task.Load(context.Background(), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(readGolden(t, c.golden), toGolden(ds)); diff != "" {
				t.Errorf("%s (-golden +got):\n%s", c.golden, diff)
			}
		})
	}
}

func TestBuildersGoldenDirSource(t *testing.T) {
	runGoldenCases(t, tasks.DirSource{Root: fixtures})
}

// TestFixtureSizes checks the unfiltered fixture builds against counts
// worked out by hand from internal/cmd/buildersfixtures's tables.
func TestFixtureSizes(t *testing.T) {
	src := tasks.DirSource{Root: fixtures}
	cases := []struct {
		task                  string
		queries, docs, qrels  int
		skipped               map[string]int
		perLangQueries, langs int
	}{
		// 14 languages x (A1, A2, B1) + zh's C1; 14 x 2 passages + zh's C;
		// 42 queries x 14 languages + C1's single positive.
		{"BelebeleMLIR", 43, 29, 589, map[string]int{"passage_missing_in_language": 13}, 3, 14},
		// 8 x 3 questions (hi: q1 q2 q4); 8 x 2 paragraphs;
		// q1, q2: 16 x 8; q3: 7 x 7; q4: 1.
		{"XQuADMLIR", 24, 16, 178, map[string]int{"question_missing_in_language": 14}, 3, 8},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			task, err := newTask(c.task, src)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := task.Load(context.Background(), tasks.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			st := tasks.Stats(ds[0])
			total := st[len(st)-1]
			if total.Queries != c.queries || total.Docs != c.docs || total.Qrels != c.qrels || total.Positives != c.qrels {
				t.Errorf("totals %+v, want %d queries, %d docs, %d qrels", total, c.queries, c.docs, c.qrels)
			}
			if len(st) != c.langs+1 {
				t.Errorf("%d language rows, want %d", len(st)-1, c.langs)
			}
			if st[0].Queries != c.perLangQueries {
				t.Errorf("first language %+v, want %d queries", st[0], c.perLangQueries)
			}
			if diff := cmp.Diff(c.skipped, ds[0].Skipped); diff != "" {
				t.Errorf("Skipped (-want +got):\n%s", diff)
			}
		})
	}
}
