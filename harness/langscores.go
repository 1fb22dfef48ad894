package harness

import (
	"fmt"
	"slices"

	"github.com/mimo-mlir/mimo/harness/metrics"
	"github.com/mimo-mlir/mimo/internal/textset"
	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks"
)

// PEERKs and LangMatrixKs are the cutoffs of PEER and of the
// query-language x document-language matrix in Extras.
var (
	PEERKs       = []int{20, 100}
	LangMatrixKs = []int{20}
)

// languageMeasures fills the measures of a mixed-language corpus: the
// cross- and same-language scores, PEER and the language matrix. It does
// nothing when the corpus holds fewer than two languages or the queries
// carry none.
func languageMeasures(sx *results.SubsetExtras, ix *index, ks []int, main string) error {
	qlang, dlang := ix.qlang, ix.dlang
	docLangs := map[string]bool{}
	for _, l := range dlang {
		docLangs[l] = true
	}
	if len(docLangs) < 2 || len(qlang) == 0 {
		return nil
	}
	qrels := metrics.Qrels(ix.ds.Qrels)
	scope := func(s metrics.Scope) (*results.LangScores, error) {
		sub := metrics.RestrictQrels(qrels, qlang, dlang, s)
		if len(sub) == 0 {
			return nil, nil
		}
		perQuery, err := evaluateInBatches(tasks.Qrels(sub), ix.qids, ix.dids, ix.hits, ks)
		if err != nil {
			return nil, err
		}
		byLang := map[string]map[string]map[string]float64{}
		for qid, m := range perQuery {
			l := qlang[qid]
			if byLang[l] == nil {
				byLang[l] = map[string]map[string]float64{}
			}
			byLang[l][qid] = m
		}
		out := &results.LangScores{NQueries: len(perQuery), Scores: metrics.Average(perQuery), ByQueryLang: map[string]map[string]float64{},
			PerQuery: mainPerQuery(perQuery, main)}
		for l, m := range byLang {
			out.ByQueryLang[l] = metrics.Average(m)
		}
		return out, nil
	}
	var err error
	if sx.CrossLanguage, err = scope(metrics.CrossLanguage); err != nil {
		return fmt.Errorf("cross-language scores: %w", err)
	}
	if sx.SameLanguage, err = scope(metrics.SameLanguage); err != nil {
		return fmt.Errorf("same-language scores: %w", err)
	}

	depth := max(slices.Max(PEERKs), slices.Max(LangMatrixKs))
	run := ix.topRun(depth)
	sx.PEER = map[string]results.PEERScore{}
	for _, k := range PEERKs {
		mean, per, n := metrics.PEER(qrels, run, dlang, k)
		ps := results.PEERScore{NQueries: n, Value: finite(mean), ByQueryLang: map[string]float64{}}
		sum, cnt := map[string]float64{}, map[string]int{}
		for qid, p := range per {
			sum[qlang[qid]] += p
			cnt[qlang[qid]]++
		}
		for l, s := range sum {
			ps.ByQueryLang[l] = s / float64(cnt[l])
		}
		if n > 0 {
			sx.PEER[fmt.Sprintf("peer_at_%d", k)] = ps
		}
	}
	if len(sx.PEER) == 0 {
		sx.PEER = nil
	}
	sx.RelevantFound = map[string]map[string]map[string]float64{}
	for _, k := range LangMatrixKs {
		sx.RelevantFound[fmt.Sprintf("at_%d", k)] = metrics.LangMatrix(qrels, run, qlang, dlang, k)
	}
	return nil
}

// contamination counts the queries and documents of ds found in the
// model's training texts.
func contamination(set *textset.Set, ds tasks.Dataset) *results.Contamination {
	if set == nil {
		return nil
	}
	c := &results.Contamination{Queries: len(ds.Queries), Docs: len(ds.Corpus)}
	for _, q := range ds.Queries {
		if set.Contains(q.Text) {
			c.QueriesSeen++
		}
	}
	for _, d := range ds.Corpus {
		if set.Contains(d.Text) {
			c.DocsSeen++
		}
	}
	return c
}

// mainPerQuery is each query's value of the main score (nil when none has
// it).
func mainPerQuery(perQuery map[string]map[string]float64, main string) map[string]float64 {
	out := make(map[string]float64, len(perQuery))
	for qid, m := range perQuery {
		if v, ok := m[main]; ok {
			out[qid] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
