package harness

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/textset"
	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks"
)

// TestLanguageMeasuresHandChecked works the hand task (see TestHandChecked)
// through the mixed-language measures:
//
//	en_q: gold d1 (en) at rank 2. de_q: gold d1 (en) at rank 2, d2 (de) at rank 3.
//	same-language: en_q d1 at 2 -> 1/log2 3 = 0.63093; de_q d2 at 3 -> 1/log2 4 = 0.5;
//	  mean 0.56546 over 2 queries.
//	cross-language: en_q has no gold in another language (dropped); de_q d1 at 2
//	  (d2, its same-language gold, counts as non-relevant) -> 0.63093 over 1 query.
//	PEER@20: en_q skipped (one language); de_q en[2] vs de[3]: H = 1, p = 0.31731.
//	relevant found in the top 20: en->en 1, de->en 1, de->de 1.
func TestLanguageMeasuresHandChecked(t *testing.T) {
	task, enc := handTask()
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	sx := outs[0].Extras.Subsets[0]
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-5 {
			t.Errorf("%s = %.6f, want %.6f", name, got, want)
		}
	}
	if sx.SameLanguage == nil || sx.CrossLanguage == nil {
		t.Fatalf("no cross/same-language scores: %+v", sx)
	}
	if sx.SameLanguage.NQueries != 2 || sx.CrossLanguage.NQueries != 1 {
		t.Errorf("queries: same %d, cross %d; want 2, 1", sx.SameLanguage.NQueries, sx.CrossLanguage.NQueries)
	}
	near("same ndcg@20", sx.SameLanguage.Scores["ndcg_at_20"], 0.56546)
	near("same en", sx.SameLanguage.ByQueryLang["en"]["ndcg_at_20"], 0.63093)
	near("same de", sx.SameLanguage.ByQueryLang["de"]["ndcg_at_20"], 0.5)
	near("cross ndcg@20", sx.CrossLanguage.Scores["ndcg_at_20"], 0.63093)
	if _, ok := sx.CrossLanguage.ByQueryLang["en"]; ok {
		t.Error("cross-language score for en, which has no cross-language gold")
	}
	p := sx.PEER["peer_at_20"]
	if p.NQueries != 1 || p.Value == nil {
		t.Fatalf("PEER@20 %+v", p)
	}
	near("PEER@20", *p.Value, 0.31731)
	near("PEER@20 de", p.ByQueryLang["de"], 0.31731)
	m := sx.RelevantFound["at_20"]
	near("found en->en", m["en"]["en"], 1)
	near("found de->en", m["de"]["en"], 1)
	near("found de->de", m["de"]["de"], 1)
}

// TestLanguageMeasuresMonolingual: a one-language corpus has none of them.
// (hashTask itself is multi-monolingual, en and fr: see TestLanguageMeasuresNoCrossGold.)
func TestLanguageMeasuresMonolingual(t *testing.T) {
	task := hashTask("HashRetrieval", 5, 20)
	for i := range task.ds[0].Queries {
		task.ds[0].Queries[i].Lang = "en"
	}
	for i := range task.ds[0].Corpus {
		task.ds[0].Corpus[i].Lang = "en"
	}
	outs, err := Evaluate(context.Background(), &fakeEncoder{dim: 8}, []tasks.Task{task}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	sx := outs[0].Extras.Subsets[0]
	if sx.CrossLanguage != nil || sx.PEER != nil || sx.RelevantFound != nil {
		t.Errorf("mixed-language measures on a one-language corpus: %+v", sx)
	}
}

// TestLanguageMeasuresNoCrossGold: in a multi-monolingual task (every
// query's gold in its own language) there is no cross-language score and no
// PEER query, and neither is written as a zero.
func TestLanguageMeasuresNoCrossGold(t *testing.T) {
	task := hashTask("HashRetrieval", 5, 20)
	outs, err := Evaluate(context.Background(), &fakeEncoder{dim: 8}, []tasks.Task{task}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	sx := outs[0].Extras.Subsets[0]
	if sx.CrossLanguage != nil || len(sx.PEER) != 0 {
		t.Errorf("cross-language %+v, PEER %+v; want none", sx.CrossLanguage, sx.PEER)
	}
	if sx.SameLanguage == nil || sx.SameLanguage.NQueries != 5 {
		t.Errorf("same-language %+v; want 5 queries", sx.SameLanguage)
	}
}

// TestUniformitySampleRecorded: the extras say whether uniformity used every
// pair or a sample, and with which seed (issue 15 item 5).
func TestUniformitySampleRecorded(t *testing.T) {
	task := hashTask("HashRetrieval", 5, 40) // 780 pairs
	for _, tc := range []struct {
		pairs int
		want  results.SampleInfo
	}{
		{1000, results.SampleInfo{Exact: true, Pairs: 780}},
		{100, results.SampleInfo{Pairs: 100, Seed: uniformitySeed}},
	} {
		opts := testOptions(t)
		opts.UniformityPairs = tc.pairs
		outs, err := Evaluate(context.Background(), &fakeEncoder{dim: 8}, []tasks.Task{task}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := outs[0].Extras.Subsets[0].UniformitySample; got == nil || *got != tc.want {
			t.Errorf("pairs %d: sample %+v, want %+v", tc.pairs, got, tc.want)
		}
	}
}

// TestContamination: with the model's training texts given, the extras count
// the queries and documents it has seen (whatever their case or spacing),
// and the table says so.
func TestContamination(t *testing.T) {
	task, enc := handTask()
	var b textset.Builder
	b.Add("WHICH  one?", "eins", "never evaluated")
	opts := testOptions(t)
	opts.TrainingTexts = b.Set()
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := results.Contamination{QueriesSeen: 1, Queries: 2, DocsSeen: 1, Docs: 3}
	if got := outs[0].Extras.Subsets[0].Contamination; got == nil || *got != want {
		t.Errorf("contamination %+v, want %+v", got, want)
	}
	var buf strings.Builder
	if err := WriteTable(&buf, outs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "seen in training") || !strings.Contains(buf.String(), "q 50% d 33%") {
		t.Errorf("table lacks the contamination column:\n%s", buf.String())
	}
}

// TestSizeCheck: a task with the paper's expected sizes records the
// comparison in its extras and warns when the built task differs (issue 15
// item 6); under --langs nothing is compared.
func TestSizeCheck(t *testing.T) {
	task, enc := handTask()
	task.meta.ExpectedQueries, task.meta.ExpectedCorpus, task.meta.ExpectedQrels = 2, 4, 3
	opts := testOptions(t)
	var log strings.Builder
	opts.Progress = &log
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := results.SizeCheck{Expected: results.Sizes{Queries: 2, Corpus: 4, Qrels: 3}, Built: results.Sizes{Queries: 2, Corpus: 3, Qrels: 3}, Match: false}
	if got := outs[0].Extras.Sizes; got == nil || *got != want {
		t.Errorf("sizes %+v, want %+v", got, want)
	}
	if !strings.Contains(log.String(), "warning") || !strings.Contains(log.String(), "corpus 3, expected 4") {
		t.Errorf("no warning in the output:\n%s", log.String())
	}
	opts = testOptions(t)
	opts.Langs = []string{"en", "de"}
	outs, err = Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Extras.Sizes != nil {
		t.Errorf("sizes compared under --langs: %+v", outs[0].Extras.Sizes)
	}
}

// TestPerQueryMainScores: the extras keep each query's main score (what a
// paired significance test reads), overall and in the cross- and
// same-language scopes, and they survive the round trip through the file.
//
//	en_q: d1 at rank 2 -> 1/log2 3 = 0.63093.
//	de_q: d1 at 2, d2 at 3 -> (0.63093 + 0.5) / (1 + 0.63093) = 0.69343.
//	cross: de_q d1 at 2 alone relevant -> 0.63093; same: en_q 0.63093, de_q d2 at 3 -> 0.5.
func TestPerQueryMainScores(t *testing.T) {
	task, enc := handTask()
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	x, err := results.ReadExtras(strings.Replace(outs[0].Path, "TinyRetrieval.json", results.ExtrasDir+"/TinyRetrieval.json", 1))
	if err != nil {
		t.Fatal(err)
	}
	sx := x.Subsets[0]
	if sx.CrossLanguage == nil || sx.SameLanguage == nil {
		t.Fatalf("no cross/same-language scores: %+v", sx)
	}
	round := func(m map[string]float64) map[string]float64 {
		out := map[string]float64{}
		for k, v := range m {
			out[k] = math.Round(v*1e5) / 1e5
		}
		return out
	}
	for _, c := range []struct {
		name string
		got  map[string]float64
		want map[string]float64
	}{
		{"all", sx.PerQuery, map[string]float64{"en_q": 0.63093, "de_q": 0.69343}},
		{"cross", sx.CrossLanguage.PerQuery, map[string]float64{"de_q": 0.63093}},
		{"same", sx.SameLanguage.PerQuery, map[string]float64{"en_q": 0.63093, "de_q": 0.5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, round(c.got)); diff != "" {
				t.Errorf("per-query ndcg_at_20 (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReuseResultWithNaN: a result file holding bare NaN (as MTEB writes
// nauc_* fields) is reused, not refused with "invalid character 'N'"
// (issue 11).
func TestReuseResultWithNaN(t *testing.T) {
	task, enc := handTask()
	opts := testOptions(t)
	outs, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(outs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), `"main_score":`, `"nauc_ndcg_at_20_max": NaN, "main_score":`, 1)
	if edited == string(b) {
		t.Fatal("no main_score in the result file")
	}
	if err := os.WriteFile(outs[0].Path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	outs, err = Evaluate(context.Background(), enc, []tasks.Task{task}, opts)
	if err != nil {
		t.Fatalf("a result file with NaN was refused: %v", err)
	}
	if !outs[0].Reused {
		t.Error("not reused")
	}
}
