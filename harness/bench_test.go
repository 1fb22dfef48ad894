package harness

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/mimo-mlir/mimo/tasks"
)

// BenchmarkEvaluate measures one task end to end with every embedding
// already cached: search, metrics and the extras (MRC, alignment,
// uniformity, language preference) on 8 languages of parallel queries and
// documents, 384-d.
//
//	go test ./harness -run '^$' -bench Evaluate -benchtime 3x
func BenchmarkEvaluate(b *testing.B) {
	const langsN, groups, dim = 8, 250, 384
	langs := []string{"ar", "de", "en", "es", "fr", "ja", "ru", "zh"}[:langsN]
	ds := tasks.Dataset{Split: "test", Subset: "default", Qrels: tasks.Qrels{}}
	for g := range groups {
		for _, l := range langs {
			qid := fmt.Sprintf("%s_q%d", l, g)
			ds.Queries = append(ds.Queries, tasks.Query{ID: qid, Text: fmt.Sprintf("question %d in %s", g, l), Lang: l, Group: fmt.Sprint(g)})
			ds.Corpus = append(ds.Corpus, tasks.Doc{ID: fmt.Sprintf("%s_d%d", l, g), Text: fmt.Sprintf("passage %d in %s", g, l), Lang: l, Group: fmt.Sprint(g)})
			ds.Qrels[qid] = map[string]int{}
			for _, l2 := range langs {
				ds.Qrels[qid][fmt.Sprintf("%s_d%d", l2, g)] = 1
			}
		}
	}
	task := &memTask{meta: tasks.Metadata{Name: "BenchRetrieval", MainScore: "ndcg_at_20"}, ds: []tasks.Dataset{ds}}
	enc := &fakeEncoder{dim: dim}
	opts := Options{OutputDir: b.TempDir(), CacheDir: b.TempDir(), Progress: io.Discard, Overwrite: true}
	if _, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := Evaluate(context.Background(), enc, []tasks.Task{task}, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ds.Queries)*b.N)/b.Elapsed().Seconds(), "queries/s")
}
