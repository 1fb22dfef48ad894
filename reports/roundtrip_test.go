package reports

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/harness"
	"github.com/mimo-mlir/mimo/tasks"
)

// mteb fields, as recorded in testdata/mteb-fields.json from MTEB's source.
type mtebFields struct {
	TaskResult struct {
		File, Commit        string
		Fields, Required    []string
		ScoresEntryRequired []string `json:"scores_entry_required"`
	} `json:"task_result"`
	ModelMeta struct {
		File, Commit     string
		Fields, Required []string
		WrittenExtra     []string `json:"written_extra"`
		NotNull          []string `json:"not_null"`
		RealFile         string   `json:"real_file_with_these_keys"`
	} `json:"model_meta"`
}

func readMTEBFields(t *testing.T) mtebFields {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mteb-fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f mtebFields
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

type rtTask struct{ meta tasks.Metadata }

func (t rtTask) Metadata() tasks.Metadata { return t.meta }
func (t rtTask) Load(context.Context, tasks.LoadOptions) ([]tasks.Dataset, error) {
	return []tasks.Dataset{{
		Split: "test", Subset: "default", Languages: []string{"deu-Latn", "eng-Latn"},
		Queries: []tasks.Query{{ID: "q1", Text: "one?", Lang: "en", Group: "g1"}, {ID: "q2", Text: "eins?", Lang: "de", Group: "g1"}},
		Corpus:  []tasks.Doc{{ID: "d1", Text: "one", Lang: "en", Group: "p1"}, {ID: "d2", Text: "eins", Lang: "de", Group: "p1"}, {ID: "d3", Text: "two", Lang: "en", Group: "p2"}},
		Qrels:   tasks.Qrels{"q1": {"d1": 1, "d2": 1}, "q2": {"d1": 1, "d2": 1}},
	}}, nil
}

type rtEncoder struct{}

func (rtEncoder) Encode(_ context.Context, req adapters.Request) ([][]float32, error) {
	vecs := map[string][]float32{"one?": {1, 0.1, 0}, "eins?": {0.9, 0.2, 0.1}, "one": {1, 0, 0}, "eins": {0.8, 0.3, 0}, "two": {0, 0, 1}}
	out := make([][]float32, len(req.Texts))
	for i, s := range req.Texts {
		out[i] = vecs[s]
	}
	return out, nil
}
func (rtEncoder) Dim() int { return 3 }
func (rtEncoder) Identity() adapters.Identity {
	return adapters.Identity{Name: "test-org/round-trip", Revision: "r1", Kind: "fake", Dim: 3, Normalize: true}
}
func (rtEncoder) Close() error { return nil }

// TestRoundTrip: what mimo-eval writes, mimo-report reads back, and the
// JSON it writes has MTEB's field sets (TaskResult, its score entries,
// ModelMeta), as read from MTEB's source.
func TestRoundTrip(t *testing.T) {
	fields := readMTEBFields(t)
	out := t.TempDir()
	task := rtTask{tasks.Metadata{Name: "BelebeleMLIR", MainScore: "ndcg_at_20", Languages: []string{"de", "en"}, Source: "memory", Revision: "rev1"}}
	outs, err := harness.Evaluate(context.Background(), rtEncoder{}, []tasks.Task{task},
		harness.Options{OutputDir: out, NoCache: true, Progress: &discard{}})
	if err != nil {
		t.Fatal(err)
	}

	res, err := LoadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 || len(res.Entries) != 1 || len(res.Metas) != 1 {
		t.Fatalf("read back %d entries, %d model_meta, problems %v", len(res.Entries), len(res.Metas), res.Problems)
	}
	e := res.Entries[0]
	got := []any{e.Model, e.Revision, e.Task, e.ByMimo(), e.MainMetric, e.Layout, e.MainScore()}
	want := []any{"test-org/round-trip", "r1", "BelebeleMLIR", true, "ndcg_at_20", LayoutCurrent, outs[0].Result.Scores["test"][0]["main_score"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}

	keys := func(path string) (map[string]any, []string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m, sortedKeys(m)
	}
	sorted := func(s ...[]string) []string {
		out := slices.Concat(s...)
		sort.Strings(out)
		return out
	}

	// TaskResult: exactly the fields to_disk writes.
	tr, trKeys := keys(outs[0].Path)
	if diff := cmp.Diff(sorted(fields.TaskResult.Fields), trKeys); diff != "" {
		t.Errorf("TaskResult fields differ from MTEB's (%s @ %s) (-MTEB +mimo):\n%s", fields.TaskResult.File, fields.TaskResult.Commit, diff)
	}
	for split, list := range tr["scores"].(map[string]any) {
		for i, s := range list.([]any) {
			for _, k := range fields.TaskResult.ScoresEntryRequired {
				if _, ok := s.(map[string]any)[k]; !ok {
					t.Errorf("scores.%s[%d] lacks %q, which MTEB requires", split, i, k)
				}
			}
		}
	}

	// ModelMeta: exactly the fields to_dict writes (ModelMeta forbids
	// others), the ones MTEB forbids to be null not null.
	mm, mmKeys := keys(filepath.Join(filepath.Dir(outs[0].Path), "model_meta.json"))
	if diff := cmp.Diff(sorted(fields.ModelMeta.Fields, fields.ModelMeta.WrittenExtra), mmKeys); diff != "" {
		t.Errorf("model_meta.json fields differ from MTEB's (%s @ %s) (-MTEB +mimo):\n%s", fields.ModelMeta.File, fields.ModelMeta.Commit, diff)
	}
	for _, k := range fields.ModelMeta.NotNull {
		if mm[k] == nil {
			t.Errorf("model_meta.json: %s is null; MTEB's ModelMeta does not accept null there", k)
		}
	}
	for _, k := range fields.ModelMeta.Required {
		if !slices.Contains(fields.ModelMeta.Fields, k) {
			t.Errorf("testdata: required %s is not among the fields", k)
		}
	}
}

// The recorded ModelMeta field list is the one MTEB 2.x really writes: a
// real model_meta.json of shared/data has exactly these keys.
func TestMTEBFieldsMatchARealFile(t *testing.T) {
	fields := readMTEBFields(t)
	m, err := readModelMeta(filepath.Join(realResults(t), filepath.FromSlash(fields.ModelMeta.RealFile)))
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Concat(fields.ModelMeta.Fields, fields.ModelMeta.WrittenExtra)
	sort.Strings(want)
	if diff := cmp.Diff(want, m.Fields); diff != "" {
		t.Errorf("%s (-recorded +real):\n%s", fields.ModelMeta.RealFile, diff)
	}
}

type discard struct{}

func (*discard) Write(p []byte) (int, error) { return len(p), nil }
