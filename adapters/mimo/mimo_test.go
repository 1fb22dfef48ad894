package mimo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/lexical"
	_ "github.com/mimo-mlir/mimo/adapters/native"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	"github.com/mimo-mlir/mimo/harness/metrics"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/mini"
)

// crossLingualNDCG encodes the dataset with enc, ranks the whole pooled
// corpus for every query by cosine similarity, and scores nDCG@k against
// each query's qrels restricted to documents in other languages than the
// query's: the same-language version of the gold passage still sits in the
// ranking but no longer counts. It returns the score of every query that
// has such a document.
func crossLingualNDCG(ctx context.Context, enc adapters.Encoder, ds tasks.Dataset, k int) (map[string]float64, error) {
	texts := func(n int, at func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	qv, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Task: mini.Name,
		Texts: texts(len(ds.Queries), func(i int) string { return ds.Queries[i].Text })})
	if err != nil {
		return nil, fmt.Errorf("%s: queries: %w", enc.Identity().Name, err)
	}
	dv, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Task: mini.Name,
		Texts: texts(len(ds.Corpus), func(i int) string { return ds.Corpus[i].Text })})
	if err != nil {
		return nil, fmt.Errorf("%s: documents: %w", enc.Identity().Name, err)
	}
	for _, v := range append(qv, dv...) {
		normalize(v)
	}
	docLang := map[string]string{}
	for _, d := range ds.Corpus {
		docLang[d.ID] = d.Lang
	}
	qrels := metrics.Qrels{}
	run := metrics.Run{}
	for i, q := range ds.Queries {
		rel := map[string]int{}
		for id, g := range ds.Qrels[q.ID] {
			if docLang[id] != q.Lang {
				rel[id] = g
			}
		}
		if len(rel) == 0 {
			continue
		}
		qrels[q.ID] = rel
		scored := make([]metrics.Scored, len(ds.Corpus))
		for j, d := range ds.Corpus {
			var s float32
			for x := range qv[i] {
				s += qv[i][x] * dv[j][x]
			}
			scored[j] = metrics.Scored{ID: d.ID, Score: s}
		}
		run[q.ID] = scored
	}
	if len(qrels) == 0 {
		return nil, fmt.Errorf("no query has a relevant document in another language")
	}
	perQuery, err := metrics.Evaluate(qrels, run, []int{k}, metrics.Options{})
	if err != nil {
		return nil, err
	}
	name := metrics.MetricNames([]int{k})[0] // ndcg_at_k
	out := make(map[string]float64, len(perQuery))
	for id, v := range perQuery {
		out[id] = v[name]
	}
	return out, nil
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// What the shipped model is for: retrieving across languages where
// surface matching cannot. The issue asks it to clearly beat the lexical
// baseline on the cross-lingual queries of mini. "Clearly" is three
// conditions, each of which a model a little better than lexical would
// fail: cross-lingual nDCG@20 at least 0.10 above the lexical baseline's
// overall (0.113 for lexical), ahead in at least 6 of the 8 query
// languages, and better per query beyond chance: a paired sign-flip
// randomisation test over the queries (seeded, 20,000 draws) gives p < 0.001.
func TestBeatsLexicalCrossLingual(t *testing.T) {
	got, base, ds := compare(t)
	g, gl := summarize(got, ds)
	b, bl := summarize(base, ds)
	wins := 0
	for _, l := range mini.Langs() {
		if gl[l] > bl[l] {
			wins++
		}
	}
	p := pairedP(got, base, 20000)
	t.Logf("cross-lingual nDCG@20 on %s: mimo-mini %.4f, lexical %.4f; ahead in %d of 8 query languages; paired p = %.5f",
		mini.Name, g, b, wins, p)
	if g < b+0.10 || wins < 6 || p >= 0.001 {
		t.Errorf("mimo-mini cross-lingual nDCG@20 %.4f vs lexical %.4f, ahead in %d of 8 query languages, p = %.5f; want +0.10, at least 6 and p < 0.001",
			g, b, wins, p)
	}
}

// Where surface matching has nothing to work with: queries in Russian,
// Japanese and Arabic, whose scripts share no character n-grams with the
// other languages' passages (Chinese is left out: its Han characters match
// Japanese kanji lexically). There the lexical baseline is near zero, and
// mimo-mini must be at least three times as good and 0.05 above it.
func TestBeatsLexicalCrossLingualOtherScripts(t *testing.T) {
	got, base, ds := compare(t)
	_, gl := summarize(got, ds)
	_, bl := summarize(base, ds)
	var g, b float64
	other := []string{"ru", "ja", "ar"}
	for _, l := range other {
		g += gl[l] / float64(len(other))
		b += bl[l] / float64(len(other))
	}
	t.Logf("cross-lingual nDCG@20 of ru/ja/ar queries: mimo-mini %.4f, lexical %.4f", g, b)
	if g < 3*b || g < b+0.05 {
		t.Errorf("mimo-mini's cross-lingual nDCG@20 on ru/ja/ar queries %.4f does not clearly beat the lexical baseline's %.4f", g, b)
	}
}

// The paired test must be able to fail: two identical score lists are not
// significantly different, and a list far above another is.
func TestPairedP(t *testing.T) {
	a, b := map[string]float64{}, map[string]float64{}
	for i := 0; i < 200; i++ {
		id := fmt.Sprint(i)
		a[id] = float64(i%7) / 7
		b[id] = a[id]
	}
	if p := pairedP(a, b, 2000); p < 0.5 {
		t.Errorf("identical lists: p = %.4f, want ~1", p)
	}
	for id := range a {
		b[id] = a[id] - 0.05
	}
	if p := pairedP(a, b, 2000); p >= 0.001 {
		t.Errorf("a list 0.05 above the other on every query: p = %.4f, want < 0.001", p)
	}
	b["0"] += 20 // one large difference the other way outweighs 199 small ones
	if p := pairedP(a, b, 2000); p < 0.05 {
		t.Errorf("one large opposite difference: p = %.4f, want not significant", p)
	}
}

// pairedP is the two-sided p-value of a paired sign-flip randomisation test
// of the mean per-query difference a - b (queries in both), with n random
// sign assignments from a fixed seed; (count+1)/(n+1), never 0.
func pairedP(a, b map[string]float64, n int) float64 {
	ids := make([]string, 0, len(a))
	for id := range a {
		if _, ok := b[id]; ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	d := make([]float64, len(ids))
	var obs float64
	for i, id := range ids {
		d[i] = a[id] - b[id]
		obs += d[i]
	}
	obs = math.Abs(obs)
	rng := rand.New(rand.NewPCG(1, 2))
	count := 0
	for k := 0; k < n; k++ {
		var s float64
		for _, x := range d {
			if rng.Uint64()&1 == 0 {
				s += x
			} else {
				s -= x
			}
		}
		if math.Abs(s) >= obs-1e-12 {
			count++
		}
	}
	return float64(count+1) / float64(n+1)
}

// summarize returns the mean of per-query scores and their means per query
// language.
func summarize(perQuery map[string]float64, ds tasks.Dataset) (float64, map[string]float64) {
	byLang, n := map[string]float64{}, map[string]int{}
	var sum float64
	for _, q := range ds.Queries {
		v, ok := perQuery[q.ID]
		if !ok {
			continue
		}
		sum += v
		byLang[q.Lang] += v
		n[q.Lang]++
	}
	for l := range byLang {
		byLang[l] /= float64(n[l])
	}
	return sum / float64(len(perQuery)), byLang
}

// compare returns the per-query cross-lingual nDCG@20 of the shipped model
// and of the lexical baseline on mini (computed once for all tests).
func compare(t *testing.T) (got, base map[string]float64, ds tasks.Dataset) {
	t.Helper()
	shipped.once.Do(func() { shipped.got, shipped.base, shipped.ds, shipped.err = score() })
	if shipped.err != nil {
		t.Fatal(shipped.err)
	}
	ds = shipped.ds
	g, gl := summarize(shipped.got, ds)
	b, bl := summarize(shipped.base, ds)
	t.Logf("cross-lingual nDCG@20 on %s: mimo-mini %.4f, lexical %.4f", mini.Name, g, b)
	for _, l := range mini.Langs() {
		t.Logf("  %s: mimo-mini %.4f, lexical %.4f", l, gl[l], bl[l])
	}
	return shipped.got, shipped.base, ds
}

var shipped struct {
	once      sync.Once
	got, base map[string]float64
	ds        tasks.Dataset
	err       error
}

func score() (got, base map[string]float64, ds tasks.Dataset, err error) {
	ctx := context.Background()
	f, err := adapters.ReadFolder(".")
	if err != nil {
		return nil, nil, ds, fmt.Errorf("the shipped model folder: %w", err)
	}
	if f.Kind != "native" || f.Name != "mimo-mini" {
		return nil, nil, ds, fmt.Errorf("adapters/mimo holds kind %q name %q, want the native mimo-mini", f.Kind, f.Name)
	}
	student, err := adapters.OpenFolder(ctx, f, adapters.Options{})
	if err != nil {
		return nil, nil, ds, err
	}
	defer student.Close()
	lex := lexical.Default()
	defer lex.Close()
	dss, err := mini.Task{}.Load(ctx, tasks.LoadOptions{})
	if err != nil {
		return nil, nil, ds, err
	}
	ds = dss[0]
	if got, err = crossLingualNDCG(ctx, student, ds, 20); err != nil {
		return nil, nil, ds, err
	}
	if base, err = crossLingualNDCG(ctx, lex, ds, 20); err != nil {
		return nil, nil, ds, err
	}
	return got, base, ds, nil
}

// TestEnginesScoreTheSame: the shipped model through ONNX Runtime (its
// cached export, the default on a CPU) and through the GoMLX graph gives
// every query of mini the same cross-lingual nDCG@20. Skipped without the
// ONNX Runtime library.
func TestEnginesScoreTheSame(t *testing.T) {
	if _, err := onnx.FindLibrary(""); err != nil {
		t.Skipf("ONNX Runtime library not found (make ort): %v", err)
	}
	ctx := context.Background()
	f, err := adapters.ReadFolder(".")
	if err != nil {
		t.Fatal(err)
	}
	dss, err := mini.Task{}.Load(ctx, tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exports := t.TempDir()
	var scores [2]map[string]float64
	for i, engine := range []string{adapters.EngineGoMLX, adapters.EngineONNXRuntime} {
		enc, err := adapters.OpenFolder(ctx, f, adapters.Options{Engine: engine, ExportDir: exports})
		if err != nil {
			t.Fatal(err)
		}
		scores[i], err = crossLingualNDCG(ctx, enc, dss[0], 20)
		if cerr := enc.Close(); cerr != nil {
			t.Error(cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(scores[0], scores[1]); diff != "" {
		t.Errorf("per-query cross-lingual nDCG@20 differs (-gomlx +onnxruntime):\n%s", diff)
	}
	g, _ := summarize(scores[0], dss[0])
	t.Logf("%d queries, nDCG@20 %.6f on both engines", len(scores[0]), g)
}
