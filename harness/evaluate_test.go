package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/harness/metrics"
	"github.com/mimo-mlir/mimo/harness/search"
	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// memTask is a Task held in memory. Load honours LoadOptions.Langs.
type memTask struct {
	meta  tasks.Metadata
	ds    []tasks.Dataset
	loads int
}

func (t *memTask) Metadata() tasks.Metadata { return t.meta }

func (t *memTask) Load(_ context.Context, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	t.loads++
	keep := func(l string) bool { return len(opts.Langs) == 0 || slices.Contains(opts.Langs, l) }
	var out []tasks.Dataset
	for _, d := range t.ds {
		c := d
		c.Queries, c.Corpus = nil, nil
		for _, q := range d.Queries {
			if keep(q.Lang) {
				c.Queries = append(c.Queries, q)
			}
		}
		for _, x := range d.Corpus {
			if keep(x.Lang) {
				c.Corpus = append(c.Corpus, x)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// fakeEncoder returns table[text] when present, else a deterministic vector
// derived from sha256(role, text). It counts what it encodes and can be made
// to fail on a given call.
type fakeEncoder struct {
	dim     int
	table   map[string][]float32
	prompts map[string]string
	calls   int
	texts   int
	failOn  int    // 1-based Encode call that fails (0: never)
	nanText string // a text whose vector is NaN
	batches [][]string
	id      *adapters.Identity // overrides Identity() when set
}

func (f *fakeEncoder) Encode(_ context.Context, req adapters.Request) ([][]float32, error) {
	f.calls++
	if f.failOn > 0 && f.calls == f.failOn {
		return nil, errors.New("simulated crash")
	}
	f.texts += len(req.Texts)
	f.batches = append(f.batches, slices.Clone(req.Texts))
	out := make([][]float32, len(req.Texts))
	for i, t := range req.Texts {
		if v, ok := f.table[t]; ok {
			out[i] = slices.Clone(v)
			continue
		}
		v := make([]float32, f.dim)
		h := sha256.Sum256([]byte(string(req.Role) + "\x00" + t))
		for j := range v {
			b := h[(2*j)%len(h) : (2*j)%len(h)+2]
			v[j] = float32(int16(binary.LittleEndian.Uint16(b))) / 32768
		}
		if t == f.nanText {
			v[0] = float32(math.NaN())
		}
		out[i] = v
	}
	return out, nil
}

func (f *fakeEncoder) Dim() int { return f.dim }
func (f *fakeEncoder) Identity() adapters.Identity {
	if f.id != nil {
		return *f.id
	}
	return adapters.Identity{Name: "test-org/tiny model", Kind: "fake", Dim: f.dim, Normalize: true, Prompts: f.prompts}
}
func (f *fakeEncoder) Close() error { return nil }

// handTask is small enough to score by hand (see TestHandChecked).
func handTask() (*memTask, *fakeEncoder) {
	t := &memTask{
		meta: tasks.Metadata{Name: "TinyRetrieval", Group: "test", MainScore: "ndcg_at_20",
			Languages: []string{"de", "en"}, Source: "memory", Revision: "rev1"},
		ds: []tasks.Dataset{{
			Split: "test", Subset: "default", Languages: []string{"deu-Latn", "eng-Latn"},
			Queries: []tasks.Query{
				{ID: "en_q", Text: "which one?", Lang: "en", Group: "g1"},
				{ID: "de_q", Text: "welche?", Lang: "de", Group: "g1"},
			},
			Corpus: []tasks.Doc{
				{ID: "d1", Text: "one", Lang: "en", Group: "p1"},
				{ID: "d2", Text: "eins", Lang: "de", Group: "p1"},
				{ID: "d3", Text: "three", Lang: "en", Group: "p2"},
			},
			Qrels:   tasks.Qrels{"en_q": {"d1": 1}, "de_q": {"d1": 1, "d2": 1}},
			Skipped: map[string]int{"no positives": 1},
		}},
	}
	enc := &fakeEncoder{dim: 3, table: map[string][]float32{
		"which one?": {1, 1, 0},     // ties d1 and d2 at 0.70710677
		"welche?":    {0.6, 0, 0.8}, // d3 0.8, d1 0.6, d2 0
		"one":        {1, 0, 0},
		"eins":       {0, 2, 0},
		"three":      {0, 0, 0.5},
	}, prompts: map[string]string{"query": "query: ", "document": "passage: "}}
	return t, enc
}

func testOptions(t *testing.T) Options {
	return Options{OutputDir: t.TempDir(), CacheDir: t.TempDir(), Progress: &bytes.Buffer{}, BatchSize: 2}
}

// TestHandChecked pins every number of a case worked out by hand:
//
//	en_q = (1,1,0)/sqrt2: d1 and d2 tie at 0.70710677; ids descending puts
//	d2 first, so the relevant d1 is at rank 2: nDCG@20 = 1/log2(3) = 0.63093,
//	MRR = 0.5, nDCG@1 = 0.
//	de_q = (0.6,0,0.8): d3 0.8, d1 0.6, d2 0; relevant d1, d2 at ranks 2, 3:
//	nDCG@20 = (1/log2 3 + 1/2) / (1 + 1/log2 3) = 0.69343, MRR = 0.5.
//	Mean nDCG@20 = 0.66218; MAP@3 = (1/2 + (1/2 + 2/3)/2) / 2 = 0.54167.
//	MRC: union {d1,d2,d3}; en scores (.707,.707,0) ranks (2.5,2.5,1); de
//	scores (.6,0,.8) ranks (2,1,3); Spearman = -1.5/sqrt(3) -> -86.60254.
//	Alignment: only p1 = {d1,d2} pairs: ||e1-e2||^2 = 2.
//	Uniformity: every pair at squared distance 2: log(exp(-4)) = -4.
//	Language preference at 10: both queries see d1, d3 (en) and d2 (de).
func TestHandChecked(t *testing.T) {
	task, enc := handTask()
	opts := testOptions(t)
	opts.RunFile = filepath.Join(t.TempDir(), "{task}-{subset}.run")
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].Reused {
		t.Fatalf("outcomes %+v", outs)
	}
	dir := filepath.Join(opts.OutputDir, "test-org__tiny_model", results.NoRevision)
	if outs[0].Path != filepath.Join(dir, "TinyRetrieval.json") {
		t.Errorf("result path %s", outs[0].Path)
	}
	res, err := results.ReadResult(outs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if res.TaskName != "TinyRetrieval" || res.DatasetRevision != "rev1" || res.MTEBVersion != MTEBVersion {
		t.Errorf("result header %+v", res)
	}
	s := res.Scores["test"][0]
	want := map[string]any{
		"main_score": 0.66218, "ndcg_at_20": 0.66218, "ndcg_at_1": 0.0,
		"mrr_at_10": 0.5, "recall_at_1": 0.0, "recall_at_3": 1.0, "precision_at_1": 0.0,
		"precision_at_3": 0.5, "map_at_3": 0.54167, "hit_rate_at_1": 0.0,
		"hf_subset": "default", "languages": []any{"deu-Latn", "eng-Latn"},
	}
	for k, w := range want {
		if diff := cmp.Diff(w, s[k]); diff != "" {
			t.Errorf("score %s (-want +got):\n%s", k, diff)
		}
	}

	x, err := results.ReadExtras(filepath.Join(dir, results.ExtrasDir, "TinyRetrieval.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*outs[0].Extras, x, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("extras on disk differ from returned (-returned +disk):\n%s", diff)
	}
	sx := x.Subsets[0]
	approx := cmpopts.EquateApprox(0, 1e-6)
	if diff := cmp.Diff(map[string]float64{"en": 0.63093, "de": 0.69343},
		map[string]float64{"en": sx.ByQueryLang["en"]["ndcg_at_20"], "de": sx.ByQueryLang["de"]["ndcg_at_20"]}); diff != "" {
		t.Errorf("by query language (-want +got):\n%s", diff)
	}
	rho := -1.5 / math.Sqrt(3) * 100
	wantMRC := map[string]map[string]float64{
		"mrc_at_10": {"en": rho, "de": rho, "mean": rho},
		"mrc_at_20": {"en": rho, "de": rho, "mean": rho},
	}
	if diff := cmp.Diff(wantMRC, sx.MRC, approx); diff != "" {
		t.Errorf("MRC (-want +got):\n%s", diff)
	}
	if sx.Alignment == nil || math.Abs(*sx.Alignment-2) > 1e-6 {
		t.Errorf("alignment %v, want 2", sx.Alignment)
	}
	if sx.Uniformity == nil || math.Abs(*sx.Uniformity+4) > 1e-6 {
		t.Errorf("uniformity %v, want -4", sx.Uniformity)
	}
	pref := map[string]map[string]float64{"en": {"en": 2.0 / 3, "de": 1.0 / 3}, "de": {"en": 2.0 / 3, "de": 1.0 / 3}}
	if diff := cmp.Diff(map[string]map[string]map[string]float64{"at_10": pref, "at_20": pref}, sx.LangPreference, approx); diff != "" {
		t.Errorf("language preference (-want +got):\n%s", diff)
	}
	if sx.NQueries != 2 || sx.NCorpus != 3 || sx.NQrels != 3 || sx.Skipped["no positives"] != 1 {
		t.Errorf("counts %+v", sx)
	}
	st := x.Settings
	if st.BatchSize != 2 || st.Dtype != "float32" || st.Depth != 1000 || st.DatasetRevision != "rev1" ||
		st.Prompts["query"] != "query: " || st.Prompts["document"] != "passage: " || st.Encoder["name"] != "test-org/tiny model" {
		t.Errorf("settings %+v", st)
	}

	var meta results.ModelMeta
	if err := results.ReadModelMeta(filepath.Join(dir, "model_meta.json"), &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Name != "test-org/tiny model" || meta.Revision != results.NoRevision || meta.EmbedDim != 3 || meta.SimilarityFnName != "cosine" {
		t.Errorf("model meta %+v", meta)
	}

	run, err := os.ReadFile(strings.NewReplacer("{task}", "TinyRetrieval", "{subset}", "default").Replace(opts.RunFile))
	if err != nil {
		t.Fatal(err)
	}
	wantRun := strings.Join([]string{
		"de_q Q0 d3 1 0.8 test-org/tiny_model",
		"de_q Q0 d1 2 0.6 test-org/tiny_model",
		"de_q Q0 d2 3 0 test-org/tiny_model",
		"en_q Q0 d2 1 0.70710677 test-org/tiny_model",
		"en_q Q0 d1 2 0.70710677 test-org/tiny_model",
		"en_q Q0 d3 3 0 test-org/tiny_model",
	}, "\n") + "\n"
	if diff := cmp.Diff(wantRun, string(run)); diff != "" {
		t.Errorf("TREC run (-want +got):\n%s", diff)
	}

	var table bytes.Buffer
	if err := WriteTable(&table, outs); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.golden", table.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// hashTask is a larger task whose vectors come from hashes.
func hashTask(name string, nq, nd int) *memTask {
	t := &memTask{meta: tasks.Metadata{Name: name, MainScore: "ndcg_at_10", Revision: "r"}}
	ds := tasks.Dataset{Split: "test", Subset: "default", Qrels: tasks.Qrels{}}
	langs := []string{"en", "fr"}
	for i := range nq {
		l := langs[i%2]
		id := fmt.Sprintf("%s_q%d", l, i)
		ds.Queries = append(ds.Queries, tasks.Query{ID: id, Text: fmt.Sprintf("query %d %s", i/2, l), Lang: l, Group: fmt.Sprint(i / 2)})
		ds.Qrels[id] = map[string]int{fmt.Sprintf("d%d", (i*7)%nd): 1, fmt.Sprintf("d%d", (i*3)%nd): 2}
	}
	for i := range nd {
		// Some duplicate texts, to exercise deduplication.
		ds.Corpus = append(ds.Corpus, tasks.Doc{ID: fmt.Sprintf("d%d", i), Text: strings.Repeat("x", (i%(nd-3))%5) + fmt.Sprint(i%(nd-3)), Lang: langs[i%2]})
	}
	t.ds = []tasks.Dataset{ds}
	return t
}

func TestReuseOverwriteAndCache(t *testing.T) {
	task := hashTask("HashRetrieval", 10, 40)
	enc := &fakeEncoder{dim: 8}
	opts := testOptions(t)
	ctx := context.Background()
	first, err := Evaluate(ctx, enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatal(err)
	}
	// 10 queries + 37 distinct corpus texts.
	if enc.texts != 47 {
		t.Errorf("first run encoded %d texts, want 47", enc.texts)
	}
	for _, b := range enc.batches {
		for i := 1; i < len(b); i++ {
			if len(b[i]) > len(b[i-1]) {
				t.Errorf("batch %q is not sorted longest first", b)
			}
		}
	}

	t.Run("reuse", func(t *testing.T) {
		enc.texts, enc.calls = 0, 0
		loads := task.loads
		again, err := Evaluate(ctx, enc, []tasks.Task{task}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !again[0].Reused || enc.calls != 0 || task.loads != loads {
			t.Errorf("reused=%v, %d encode calls, %d loads: want the file read back", again[0].Reused, enc.calls, task.loads-loads)
		}
		if diff := cmp.Diff(first[0].Result, again[0].Result); diff != "" {
			t.Errorf("reused result differs (-first +reused):\n%s", diff)
		}
		if diff := cmp.Diff(first[0].Extras, again[0].Extras, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("reused extras differ:\n%s", diff)
		}
	})
	t.Run("stale-settings-refused", func(t *testing.T) {
		for name, change := range map[string]func(*Options){
			"langs": func(o *Options) { o.Langs = []string{"en"} },
			"depth": func(o *Options) { o.Depth = 1500 },
		} {
			t.Run(name, func(t *testing.T) {
				enc.texts, enc.calls = 0, 0
				o := opts
				change(&o)
				_, err := Evaluate(ctx, enc, []tasks.Task{task}, o)
				if !errors.Is(err, ErrStaleResult) || !strings.Contains(err.Error(), name) {
					t.Fatalf("err = %v, want ErrStaleResult naming %s", err, name)
				}
				if enc.calls != 0 {
					t.Errorf("%d encode calls for a refused run", enc.calls)
				}
			})
		}
		o := opts
		o.BatchSize = 7 // does not change scores: still reused
		again, err := Evaluate(ctx, enc, []tasks.Task{task}, o)
		if err != nil || !again[0].Reused {
			t.Fatalf("batch size change: reused=%v, err=%v; want reused", len(again) > 0 && again[0].Reused, err)
		}
	})
	t.Run("overwrite-recomputes-vectors", func(t *testing.T) {
		enc.texts, enc.calls = 0, 0
		o := opts
		o.Overwrite = true
		again, err := Evaluate(ctx, enc, []tasks.Task{task}, o)
		if err != nil {
			t.Fatal(err)
		}
		if again[0].Reused || enc.texts != 47 {
			t.Errorf("reused=%v, %d texts encoded: want all 47 recomputed, none from the cache", again[0].Reused, enc.texts)
		}
		ignoreTime := cmpopts.IgnoreFields(results.TaskResult{}, "EvaluationTime")
		if diff := cmp.Diff(first[0].Result, again[0].Result, ignoreTime); diff != "" {
			t.Errorf("recomputed result differs (-first +again):\n%s", diff)
		}
		// Without --overwrite, a new output folder is served from the cache.
		enc.texts, enc.calls = 0, 0
		o = opts
		o.OutputDir = t.TempDir()
		if _, err := Evaluate(ctx, enc, []tasks.Task{task}, o); err != nil {
			t.Fatal(err)
		}
		if enc.calls != 0 {
			t.Errorf("%d encode calls: want everything from the cache", enc.calls)
		}
	})
	t.Run("overwrite-replaces-cached-vectors", func(t *testing.T) {
		// A model whose vectors changed behind the same identity (a server
		// serving another model under the old name): --overwrite scores the
		// new vectors and leaves them in the cache.
		changed := &fakeEncoder{dim: 8, table: map[string][]float32{}}
		for _, q := range task.ds[0].Queries {
			changed.table[q.Text] = []float32{1, 0, 0, 0, 0, 0, 0, 0}
		}
		o := opts
		o.Overwrite = true
		got, err := Evaluate(ctx, changed, []tasks.Task{task}, o)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first[0].Result.Scores, got[0].Result.Scores); diff == "" {
			t.Fatal("--overwrite with other vectors gave the first run's scores")
		}
		o.Overwrite, o.OutputDir = false, t.TempDir()
		enc.calls = 0
		cached, err := Evaluate(ctx, enc, []tasks.Task{task}, o)
		if err != nil {
			t.Fatal(err)
		}
		if enc.calls != 0 {
			t.Errorf("%d encode calls, want the refreshed cache to serve everything", enc.calls)
		}
		if diff := cmp.Diff(got[0].Result.Scores, cached[0].Result.Scores); diff != "" {
			t.Errorf("cache does not serve the refreshed vectors (-overwrite +cached):\n%s", diff)
		}
	})
	t.Run("no-cache", func(t *testing.T) {
		enc.texts, enc.calls = 0, 0
		o := opts
		o.Overwrite, o.NoCache, o.BatchSize = true, true, 5
		again, err := Evaluate(ctx, enc, []tasks.Task{task}, o)
		if err != nil {
			t.Fatal(err)
		}
		if enc.texts != 47 {
			t.Errorf("encoded %d texts without cache, want 47", enc.texts)
		}
		// Batch size does not change scores.
		if diff := cmp.Diff(first[0].Result.Scores, again[0].Result.Scores); diff != "" {
			t.Errorf("scores depend on batch size (-bs2 +bs5):\n%s", diff)
		}
	})
}

// TestResumeFromCache interrupts a run part-way through encoding and checks
// that the next run encodes only what the first did not finish.
func TestResumeFromCache(t *testing.T) {
	task := hashTask("HashRetrieval", 10, 40)
	opts := testOptions(t)
	opts.BatchSize = 4
	crash := &fakeEncoder{dim: 8, failOn: 5} // 3 query batches (10 texts) + 1 corpus batch succeed
	_, err := Evaluate(context.Background(), crash, []tasks.Task{task}, opts)
	if err == nil || !strings.Contains(err.Error(), "simulated crash") {
		t.Fatalf("err = %v, want the simulated crash", err)
	}
	dir, err := results.ModelDir(opts.OutputDir, crash.Identity().Name, crash.Identity().Revision)
	if err != nil {
		t.Fatal(err)
	}
	path, err := results.ResultPath(dir, "HashRetrieval")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := exists(path); ok {
		t.Error("a result file was written for the interrupted task")
	}
	enc := &fakeEncoder{dim: 8}
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if enc.texts != 47-14 {
		t.Errorf("resumed run encoded %d texts, want %d", enc.texts, 47-14)
	}
	o := opts
	o.NoCache, o.Overwrite, o.OutputDir = true, true, t.TempDir()
	fresh, err := Evaluate(context.Background(), &fakeEncoder{dim: 8}, []tasks.Task{task}, o)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fresh[0].Result.Scores, outs[0].Result.Scores); diff != "" {
		t.Errorf("resumed scores differ from a fresh run (-fresh +resumed):\n%s", diff)
	}
}

func TestBadEmbeddingNamesText(t *testing.T) {
	task := hashTask("HashRetrieval", 4, 10)
	enc := &fakeEncoder{dim: 8, nanText: "xx2"}
	_, err := Evaluate(context.Background(), enc, []tasks.Task{task}, testOptions(t))
	if err == nil || !strings.Contains(err.Error(), `document "d2"`) || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("err = %v, want one naming document d2 and NaN", err)
	}
}

func TestDefaultMainScore(t *testing.T) {
	task, enc := handTask()
	task.meta.MainScore = ""
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	s := outs[0].Result.Scores["test"][0]
	if s["main_score"] != s["ndcg_at_10"] {
		t.Errorf("main_score %v, ndcg_at_10 %v", s["main_score"], s["ndcg_at_10"])
	}
}

func TestNoJudgedQuery(t *testing.T) {
	task, enc := handTask()
	task.ds[0].Qrels = tasks.Qrels{"en_q": {"d1": 0}}
	_, err := Evaluate(context.Background(), enc, []tasks.Task{task}, testOptions(t))
	if err == nil || !strings.Contains(err.Error(), "no query has a relevant document") || !strings.Contains(err.Error(), "TinyRetrieval") {
		t.Fatalf("err = %v", err)
	}
}

func TestLangsFilter(t *testing.T) {
	task, enc := handTask()
	opts := testOptions(t)
	opts.Langs = []string{"en"}
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatal(err)
	}
	sx := outs[0].Extras.Subsets[0]
	if sx.NQueries != 1 || sx.NCorpus != 2 || sx.MRC != nil || sx.Alignment != nil {
		t.Errorf("en only: %+v", sx)
	}
	if got := outs[0].Extras.Settings.Langs; !cmp.Equal(got, []string{"en"}) {
		t.Errorf("settings langs %v", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		nTasks int
		want   string // substring of the error; "" for valid
	}{
		{"defaults", Options{OutputDir: "out", CacheDir: "c"}, 1, ""},
		{"no-output", Options{CacheDir: "c"}, 1, "output directory is empty"},
		{"negative-batch", Options{OutputDir: "o", CacheDir: "c", BatchSize: -1}, 1, "batch size -1"},
		{"k-beyond-depth", Options{OutputDir: "o", CacheDir: "c", Depth: 10, Ks: []int{5, 20}}, 1, "k=20 exceeds the search depth 10"},
		{"bad-k", Options{OutputDir: "o", CacheDir: "c", Ks: []int{0}}, 1, "k=0"},
		{"bad-lang", Options{OutputDir: "o", CacheDir: "c", Langs: []string{"en,de"}}, 1, `language "en,de"`},
		{"run-file-needs-task", Options{OutputDir: "o", CacheDir: "c", RunFile: "x.run"}, 2, "must contain {task}"},
		{"run-file-one-task", Options{OutputDir: "o", CacheDir: "c", RunFile: "x.run"}, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			err := o.Validate(tc.nTasks)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if o.BatchSize != 32 || o.Depth != 1000 || len(o.Ks) != 7 || o.Progress == nil {
					t.Errorf("defaults not filled: %+v", o)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestUnsafePathsRefused reproduces issue 12 item 1: a model name of "..",
// a revision of "../../../x" (from mimo-model.json or a mirror's
// X-Repo-Commit) and a task name with a separator each wrote outside
// --output. Each must be refused, naming the field, with nothing written
// anywhere.
func TestUnsafePathsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, field string
		id          adapters.Identity
		task        string
		subset      string
	}{
		{"name dot-dot", "model name", adapters.Identity{Name: "..", Dim: 3}, "TinyRetrieval", "default"},
		{"revision climbs", "model revision", adapters.Identity{Name: "m", Revision: "../../../x", Dim: 3}, "TinyRetrieval", "default"},
		{"revision NUL", "model revision", adapters.Identity{Name: "m", Revision: "a\x00b", Dim: 3}, "TinyRetrieval", "default"},
		{"name newline", "model name", adapters.Identity{Name: "m\nx", Dim: 3}, "TinyRetrieval", "default"},
		{"task climbs", "task name", adapters.Identity{Name: "m", Dim: 3}, "../../TinyRetrieval", "default"},
		{"subset separator", "subset", adapters.Identity{Name: "m", Dim: 3}, "TinyRetrieval", "../x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task, enc := handTask()
			task.meta.Name = tc.task
			task.ds[0].Subset = tc.subset
			enc.id = &tc.id
			root := t.TempDir()
			opts := testOptions(t)
			opts.OutputDir = filepath.Join(root, "a", "b", "out")
			opts.RunFile = filepath.Join(opts.OutputDir, "{task}-{subset}.run")
			_, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err = %v, want an error naming %q", err, tc.field)
			}
			var files []string
			_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, _ error) error {
				if d != nil && !d.IsDir() {
					files = append(files, p)
				}
				return nil
			})
			if len(files) > 0 {
				t.Errorf("files written: %v", files)
			}
		})
	}
}

func TestRunFileCollision(t *testing.T) {
	task, enc := handTask()
	task.ds = append(task.ds, task.ds[0])
	task.ds[1].Subset = "other"
	opts := testOptions(t)
	opts.RunFile = filepath.Join(t.TempDir(), "{task}.run")
	_, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err == nil || !strings.Contains(err.Error(), "would hold both") {
		t.Fatalf("err = %v, want a run file collision", err)
	}
}

// TestEvaluateInBatches checks that scoring in query batches gives exactly
// what one metrics.Evaluate call over every query gives.
func TestEvaluateInBatches(t *testing.T) {
	const nq, nd = queryBatch*2 + 17, 50
	qids := make([]string, nq)
	dids := make([]string, nd)
	for j := range dids {
		dids[j] = fmt.Sprintf("d%d", j)
	}
	qrels := tasks.Qrels{}
	hits := make([][]search.Hit, nq)
	run := metrics.Run{}
	for i := range qids {
		qids[i] = fmt.Sprintf("q%d", i)
		if i%7 != 0 { // some queries unjudged
			qrels[qids[i]] = map[string]int{dids[i%nd]: 1, dids[(i*3)%nd]: 2}
		}
		for r := range 20 {
			hits[i] = append(hits[i], search.Hit{Doc: int32((i*11 + r) % nd), Score: float32(20-r) / 20})
		}
		run[qids[i]] = scored(hits[i], dids)
	}
	want, err := metrics.Evaluate(qrels, run, metrics.DefaultKs, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := evaluateInBatches(qrels, qids, dids, hits, metrics.DefaultKs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batched differs from one call (-one +batched):\n%s", diff)
	}
}
