package reports

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestLoadLayouts reads the layouts MTEB's TaskResult.from_disk reads:
// the current one with bare NaN/Infinity, and the one before 1.11 (with
// and without subsets), converted as _convert_from_before_v1_11_0 does.
// Files neither reads are problems naming the reason.
func TestLoadLayouts(t *testing.T) {
	res, err := LoadResults("testdata/layouts")
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Task, Layout, Metric, Revision string
		Subsets                        []string
		Main, EvalTime                 float64
	}
	byTask := map[string]got{}
	for _, e := range res.Entries {
		byTask[e.Task] = got{e.Task, e.Layout, e.MainMetric, e.Result.DatasetRevision, e.Subsets(), e.MainScore(), e.Result.EvaluationTime}
	}
	want := map[string]got{
		// main_score filled from the task's main score (nDCG@20 for NeuCLIR),
		// evaluation_time moved out of the split.
		"NeuCLIR2023Retrieval": {"NeuCLIR2023Retrieval", LayoutPre111, "ndcg_at_20", "dfad7cc7fe4064d6568d6b7d43b99e3a0246d29b",
			[]string{"fas", "rus", "zho"}, (0.43442 + 0.33686 + 0.33918) / 3, 36410.42},
		// No subsets: one subset "default"; main_score was in the file.
		"Banking77Classification": {"Banking77Classification", LayoutPre111, "accuracy", "0fd18e25b25c072e09e0d92ab615fda904d66300",
			[]string{"default"}, 0.8177, 2.47},
		"XQuADRetrieval": {"XQuADRetrieval", LayoutCurrent, "ndcg_at_10", "51adfef1c1287aab1d2d91b5bead9bcfb9c68583",
			[]string{"de", "en"}, 0.85, 10.5},
	}
	if diff := cmp.Diff(want, byTask, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}

	// NaN and ±Inf read as numbers; the string "NaN" stays a string.
	for _, e := range res.Entries {
		if e.Task != "XQuADRetrieval" {
			continue
		}
		s := e.Result.Scores["validation"]
		if v, ok := s[0]["nauc_recall_at_1000_max"].(float64); !ok || !math.IsNaN(v) {
			t.Errorf("nauc_recall_at_1000_max = %#v, want NaN", s[0]["nauc_recall_at_1000_max"])
		}
		if v, _ := s[1]["nauc_recall_at_1000_max"].(float64); !math.IsInf(v, 1) {
			t.Errorf("Infinity read as %v", v)
		}
		if v, _ := s[1]["nauc_recall_at_1000_std"].(float64); !math.IsInf(v, -1) {
			t.Errorf("-Infinity read as %v", v)
		}
		if s[0]["note"] != "NaN" || s[1]["note"] != "NaN" {
			t.Errorf("string values changed: %#v %#v", s[0]["note"], s[1]["note"])
		}
	}

	reasons := map[string]string{}
	for _, p := range res.Problems {
		if !errors.Is(p.Err, ErrNotTaskResult) {
			t.Errorf("%s: %v does not wrap ErrNotTaskResult", p.Path, p.Err)
		}
		reasons[filepath.Base(filepath.Dir(filepath.Dir(p.Path)))] = p.Err.Error()
	}
	for dir, want := range map[string]string{
		"old__unknown": "task ArguAna is not one mimo knows the main score of",
		"bad__mixed":   `field "task_name" is missing`,
	} {
		if !strings.Contains(reasons[dir], want) {
			t.Errorf("%s: reason %q, want it to say %q", dir, reasons[dir], want)
		}
	}
	if len(res.Problems) != 2 {
		t.Errorf("%d problems, want 2: %v", len(res.Problems), res.Problems)
	}
}

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"1.6.3", true}, {"1.1.2.dev0", true}, {"1.10.99", true}, {"1.11.0", false}, {"1.11", false},
		{"1.12.75", false}, {"2.0.0rc1", false}, {"1.11.0.dev0", false}, {"mimo 0.1.0", false}, {"", false},
	} {
		if got := versionLess(tc.v, []int{1, 11, 0}); got != tc.want {
			t.Errorf("versionLess(%q, 1.11.0) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestCoverageAndMainMetric(t *testing.T) {
	sub := func(name string, main, n10, n20 float64) map[string]any {
		return map[string]any{"hf_subset": name, "languages": []any{}, "main_score": main, "ndcg_at_10": n10, "ndcg_at_20": n20}
	}
	for _, tc := range []struct {
		name             string
		task             string
		scores           map[string][]map[string]any
		cov, metric, why string
		full             bool
	}{
		{"XQuAD 1 of 12", "XQuADRetrieval", map[string][]map[string]any{"validation": {sub("th", 0.9, 0.9, 0.91)}},
			"1/12 (th)", "ndcg_at_10", "", false},
		{"NeuCLIR main score is nDCG@20", "NeuCLIR2023Retrieval", map[string][]map[string]any{"test": {sub("fas", 0.4, 0.45, 0.4), sub("rus", 0.3, 0.35, 0.3), sub("zho", 0.3, 0.33, 0.3)}},
			"3/3", "ndcg_at_20", "", true},
		{"MLQA one split missing", "MLQARetrieval", map[string][]map[string]any{"test": {sub("ara-ara", 0.5, 0.5, 0.6)}},
			"validation none, test 1/49 (ara-ara)", "ndcg_at_10", "", false},
		{"split outside the task's eval splits ignored", "XQuADRetrieval", map[string][]map[string]any{"validation": {sub("en", 0.9, 0.9, 0.9)}, "train": {sub("en", 0.1, 0.1, 0.1)}},
			"1/12 (en)", "ndcg_at_10", "", false},
		{"file disagrees with the task", "XQuADRetrieval", map[string][]map[string]any{"validation": {sub("en", 0.95, 0.9, 0.95)}},
			"1/12 (en)", "ndcg_at_20", "the task's main score is nDCG@10, but main_score differs from it in this file", false},
		{"unknown task: inferred", "SomeRetrieval", map[string][]map[string]any{"test": {sub("default", 0.7, 0.6, 0.7)}},
			"1 subset (full set unknown)", "ndcg_at_20", "inferred from the file", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Task: tc.task}
			e.Result.TaskName = tc.task
			e.Result.Scores = tc.scores
			e.MainMetric, e.MainMetricNote = mainMetric(e)
			c := e.Coverage()
			if c.String() != tc.cov || c.full() != tc.full {
				t.Errorf("coverage %q (full %v), want %q (%v)", c, c.full(), tc.cov, tc.full)
			}
			if e.MainMetric != tc.metric || e.MainMetricNote != tc.why {
				t.Errorf("main metric %q (%q), want %q (%q)", e.MainMetric, e.MainMetricNote, tc.metric, tc.why)
			}
		})
	}
}

// MTEB's Belebele and MLQA subset lists, rebuilt from its rules, have the
// sizes of its result files.
func TestMTEBSubsetLists(t *testing.T) {
	for task, n := range map[string]int{"BelebeleRetrieval": 376, "MLQARetrieval": 49, "XQuADRetrieval": 12, "MIRACLRetrievalHardNegatives": 18} {
		subs := mtebTasks[task].Subsets
		seen := map[string]bool{}
		for _, s := range subs {
			if seen[s] {
				t.Errorf("%s: subset %s twice", task, s)
			}
			seen[s] = true
		}
		if len(subs) != n {
			t.Errorf("%s: %d subsets, want %d", task, len(subs), n)
		}
	}
}

// A model_meta.json is read as MTEB writes it (max_tokens 8192.0, NaN); one
// that cannot be read is a problem of its own, never dropped silently, and
// the task result beside it is still used under the folder's model name.
func TestModelMetaReadOrNamed(t *testing.T) {
	dir := t.TempDir()
	result := `{"dataset_revision": "r", "task_name": "XQuADRetrieval", "mteb_version": "1.18.0", "evaluation_time": 1.0,
 "kg_co2_emissions": null, "scores": {"validation": [{"hf_subset": "en", "languages": ["eng-Latn"], "main_score": 0.5, "ndcg_at_10": 0.5}]}}`
	for _, f := range []struct{ path, body string }{
		{"good__model/1/XQuADRetrieval.json", result},
		{"good__model/1/model_meta.json", `{"name": "good/model-name", "revision": "1", "max_tokens": 8192.0, "n_parameters": NaN}`},
		{"bad__model/1/XQuADRetrieval.json", result},
		{"bad__model/1/model_meta.json", `{"name": "bad/model", "revision": `},
	} {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := LoadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	var models []string
	for _, e := range res.Entries {
		models = append(models, e.Model)
	}
	if diff := cmp.Diff([]string{"bad/model", "good/model-name"}, models); diff != "" {
		t.Errorf("models (-want +got):\n%s", diff)
	}
	if len(res.Problems) != 1 || !strings.HasSuffix(res.Problems[0].Path, filepath.Join("bad__model", "1", "model_meta.json")) ||
		!strings.Contains(res.Problems[0].Err.Error(), "model_meta.json: invalid JSON") {
		t.Errorf("problems %v, want the broken model_meta.json named", res.Problems)
	}
	if len(res.Metas) != 1 || res.Metas[0].Meta.Name != "good/model-name" || res.Metas[0].TaskFiles != 1 {
		t.Errorf("metas %+v", res.Metas)
	}
}
