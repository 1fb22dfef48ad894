package harness

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/harness/metrics"
	"github.com/mimo-mlir/mimo/harness/search"
	"github.com/mimo-mlir/mimo/results"
	"github.com/mimo-mlir/mimo/tasks"
)

// The evaluation of one (split, subset) has three layers, as MTEB separates
// task, evaluator and metrics: the task gives the dataset, an index is
// built from it once (ids, rows, languages, normalised vectors, ranked
// lists), and each measure family below reads the index and fills its part
// of the scores and extras.

// index is one dataset made searchable: everything every measure family
// reads, computed once.
type index struct {
	ds         tasks.Dataset
	qids, dids []string
	qrow, drow map[string]int // id -> row
	// qlang and dlang map ids to their languages, leaving out texts
	// without one (metrics.LangPreference counts them as "unknown").
	qlang, dlang map[string]string
	qm, dm       search.Matrix // normalised query and document vectors
	// corpus, with Options.SearchBlock, is the corpus read from the cache
	// (dm is then empty).
	corpus search.Blocks
	hits   [][]search.Hit
}

// newIndex reads the ids and texts of ds and their rows; a duplicate id is
// an error naming it.
func newIndex(ds tasks.Dataset) (ix *index, qtexts, dtexts []string, err error) {
	ix = &index{ds: ds, qrow: map[string]int{}, drow: map[string]int{}}
	ix.qids, qtexts = make([]string, len(ds.Queries)), make([]string, len(ds.Queries))
	for i, q := range ds.Queries {
		if _, dup := ix.qrow[q.ID]; dup {
			return nil, nil, nil, fmt.Errorf("query id %q appears twice", q.ID)
		}
		ix.qids[i], qtexts[i], ix.qrow[q.ID] = q.ID, q.Text, i
	}
	ix.dids, dtexts = make([]string, len(ds.Corpus)), make([]string, len(ds.Corpus))
	for i, d := range ds.Corpus {
		if _, dup := ix.drow[d.ID]; dup {
			return nil, nil, nil, fmt.Errorf("document id %q appears twice", d.ID)
		}
		ix.dids[i], dtexts[i], ix.drow[d.ID] = d.ID, d.Text, i
	}
	ix.qlang, ix.dlang = langsOf(ds)
	return ix, qtexts, dtexts, nil
}

// buildIndex encodes the queries and documents of ds (through the cache),
// normalises the vectors and runs the search: in memory, or with
// Options.SearchBlock streaming the corpus from the cache.
func (ev *evaluator) buildIndex(ctx context.Context, meta tasks.Metadata, ds tasks.Dataset) (*index, error) {
	ix, qtexts, dtexts, err := newIndex(ds)
	if err != nil {
		return nil, err
	}
	qv, err := ev.encode(ctx, adapters.RoleQuery, meta.Name, ix.qids, qtexts, true)
	if err != nil {
		return nil, err
	}
	if ix.qm, err = search.Normalized(ix.qids, qv, ev.dim); err != nil {
		return nil, fmt.Errorf("query %w", err)
	}
	stream := ev.opts.SearchBlock > 0
	dv, err := ev.encode(ctx, adapters.RoleDocument, meta.Name, ix.dids, dtexts, !stream)
	if err != nil {
		return nil, err
	}
	order := search.TieOrder(ix.dids)
	if stream {
		if ix.corpus, err = ev.streamedCorpus(meta.Name, ix.dids, dtexts); err != nil {
			return nil, err
		}
		ix.hits, err = search.SearchStream(ctx, ix.qm, ix.corpus, order, search.StreamOptions{Options: search.Options{K: ev.opts.Depth}, BlockRows: ev.opts.SearchBlock})
		return ix, err
	}
	if ix.dm, err = search.Normalized(ix.dids, dv, ev.dim); err != nil {
		return nil, fmt.Errorf("document %w", err)
	}
	if ix.hits, err = search.Search(ctx, ix.qm, ix.dm, order, search.Options{K: ev.opts.Depth}); err != nil {
		return nil, err
	}
	return ix, nil
}

// dataset evaluates one (split, subset). sx.Split and sx.Subset are set
// even on error, for the message.
func (ev *evaluator) dataset(ctx context.Context, meta tasks.Metadata, ds tasks.Dataset) (map[string]any, results.SubsetExtras, error) {
	sx := results.SubsetExtras{Split: ds.Split, Subset: ds.Subset, Skipped: ds.Skipped}
	if sx.Split == "" {
		sx.Split = "test"
	}
	if sx.Subset == "" {
		sx.Subset = "default"
	}
	if len(ds.Queries) == 0 {
		return nil, sx, errors.New("no queries (check --langs)")
	}
	if len(ds.Corpus) == 0 {
		return nil, sx, errors.New("empty corpus (check --langs)")
	}
	ix, err := ev.buildIndex(ctx, meta, ds)
	if err != nil {
		return nil, sx, err
	}
	sx.NQueries, sx.NCorpus = len(ix.qids), len(ix.dids)
	for _, m := range ds.Qrels {
		sx.NQrels += len(m)
	}
	if ev.opts.RunFile != "" {
		if err := ev.writeRun(meta.Name, sx.Split, sx.Subset, ix.qids, ix.dids, ix.hits); err != nil {
			return nil, sx, err
		}
	}
	main := MainScore(meta)
	perQuery, err := evaluateInBatches(ds.Qrels, ix.qids, ix.dids, ix.hits, ev.opts.Ks)
	if err != nil {
		return nil, sx, err
	}
	if err := languageMeasures(&sx, ix, ev.opts.Ks, main); err != nil {
		return nil, sx, err
	}
	sx.Contamination = contamination(ev.opts.TrainingTexts, ds)
	scores, err := retrievalScores(perQuery, ev.opts.Ks, main, sx.Subset, ds.Languages)
	if err != nil {
		return nil, sx, err
	}
	sx.PerQuery = mainPerQuery(perQuery, main)
	sx.ByQueryLang = ix.byQueryLang(perQuery)
	// The fairness measures read only the first few ranks of each list.
	run := ix.topRun(slices.Max(append(slices.Clone(MRCKs), PreferenceKs...)))
	if sx.MRC, err = ix.mrc(run); err != nil {
		return nil, sx, err
	}
	if err := ev.geometry(&sx, ix); err != nil {
		return nil, sx, err
	}
	sx.LangPreference = ix.preference(run)
	return scores, sx, nil
}

// retrievalScores is the MTEB score block of a subset: the mean of every
// measure over the queries with relevant documents, main_score, hf_subset
// and languages.
func retrievalScores(perQuery map[string]map[string]float64, ks []int, main, subset string, languages []string) (map[string]any, error) {
	if len(perQuery) == 0 {
		return nil, errors.New("no query has a relevant document in the qrels (check --langs)")
	}
	avg := metrics.Average(perQuery)
	m, ok := avg[main]
	if !ok {
		return nil, fmt.Errorf("main score %q is not among the computed scores (cutoffs %v)", main, ks)
	}
	scores := make(map[string]any, len(avg)+3)
	for k, v := range avg {
		scores[k] = v
	}
	// []any, the shape JSON decoding gives, so that a fresh result and one
	// read back from disk compare equal.
	langs := make([]any, len(languages))
	for i, l := range languages {
		langs[i] = l
	}
	scores["main_score"] = m
	scores["hf_subset"] = subset
	scores["languages"] = langs
	return scores, nil
}

// byQueryLang averages the per-query scores over each query language
// ("unknown" for queries without one).
func (ix *index) byQueryLang(perQuery map[string]map[string]float64) map[string]map[string]float64 {
	byLang := map[string]map[string]map[string]float64{}
	for qid, s := range perQuery {
		l := ix.ds.Queries[ix.qrow[qid]].Lang
		if l == "" {
			l = "unknown"
		}
		if byLang[l] == nil {
			byLang[l] = map[string]map[string]float64{}
		}
		byLang[l][qid] = s
	}
	out := map[string]map[string]float64{}
	for l, m := range byLang {
		out[l] = metrics.Average(m)
	}
	return out
}

// topRun is the first n ranks of every query's list, with string ids.
func (ix *index) topRun(n int) metrics.Run {
	run := make(metrics.Run, len(ix.hits))
	for i, hs := range ix.hits {
		run[ix.qids[i]] = scored(hs[:min(n, len(hs))], ix.dids)
	}
	return run
}

// mrc is the rank consistency over parallel queries (queries of one group
// in several languages), nil when no group has two languages.
func (ix *index) mrc(run metrics.Run) (map[string]map[string]float64, error) {
	groups := map[string]map[string]string{}
	multi := false
	for _, q := range ix.ds.Queries {
		if q.Group == "" {
			continue
		}
		if groups[q.Group] == nil {
			groups[q.Group] = map[string]string{}
		}
		groups[q.Group][q.Lang] = q.ID
		multi = multi || len(groups[q.Group]) > 1
	}
	if !multi {
		return nil, nil
	}
	sim := func(qid, docID string) (float32, error) {
		qi, ok := ix.qrow[qid]
		if !ok {
			return 0, fmt.Errorf("unknown query %q", qid)
		}
		di, ok := ix.drow[docID]
		if !ok {
			return 0, fmt.Errorf("unknown document %q", docID)
		}
		d, err := ix.docRow(di)
		if err != nil {
			return 0, err
		}
		return search.Dot(ix.qm.Row(qi), d), nil
	}
	out := map[string]map[string]float64{}
	for _, k := range MRCKs {
		per, mean, err := metrics.MRC(groups, run, k, sim)
		if err != nil {
			return nil, err
		}
		if per == nil {
			per = map[string]float64{}
		}
		per["mean"] = mean
		out[fmt.Sprintf("mrc_at_%d", k)] = per
	}
	return out, nil
}

// geometry fills the alignment of parallel documents (those sharing a
// group) and the uniformity of the corpus. A corpus searched from the
// cache is read row by row: the vectors of its grouped documents and the
// sampled pairs.
func (ev *evaluator) geometry(sx *results.SubsetExtras, ix *index) error {
	byGroup := map[string][][]float32{}
	var gorder []string
	for i, d := range ix.ds.Corpus {
		if d.Group == "" {
			continue
		}
		if _, ok := byGroup[d.Group]; !ok {
			gorder = append(gorder, d.Group)
		}
		v, err := ix.docRow(i)
		if err != nil {
			return err
		}
		byGroup[d.Group] = append(byGroup[d.Group], v)
	}
	var parallel [][][]float32
	for _, g := range gorder {
		if len(byGroup[g]) > 1 {
			parallel = append(parallel, byGroup[g])
		}
	}
	if len(parallel) > 0 {
		sx.Alignment = finite(metrics.Alignment(parallel))
	}
	n := len(ix.dids)
	var rerr error
	at := func(i int) []float32 {
		v, err := ix.docRow(i)
		if err != nil {
			rerr = cmp.Or(rerr, err)
			return make([]float32, ev.dim)
		}
		return v
	}
	u := metrics.UniformitySampleAt(n, at, 2, ev.opts.UniformityPairs, uniformitySeed)
	if rerr != nil {
		return fmt.Errorf("uniformity: %w", rerr)
	}
	sx.Uniformity = finite(u)
	if sx.Uniformity != nil {
		all := int64(n) * int64(n-1) / 2
		if all <= int64(ev.opts.UniformityPairs) {
			sx.UniformitySample = &results.SampleInfo{Exact: true, Pairs: all}
		} else {
			sx.UniformitySample = &results.SampleInfo{Pairs: int64(ev.opts.UniformityPairs), Seed: uniformitySeed}
		}
	}
	return nil
}

// preference is the language preference of the top ranks, nil when no
// document carries a language.
func (ix *index) preference(run metrics.Run) map[string]map[string]map[string]float64 {
	if len(ix.dlang) == 0 {
		return nil
	}
	out := map[string]map[string]map[string]float64{}
	for _, k := range PreferenceKs {
		out[fmt.Sprintf("at_%d", k)] = metrics.LangPreference(run, ix.qlang, ix.dlang, k)
	}
	return out
}

// langsOf maps query and document ids to their languages, leaving out
// those without one.
func langsOf(ds tasks.Dataset) (qlang, dlang map[string]string) {
	qlang = make(map[string]string, len(ds.Queries))
	for _, q := range ds.Queries {
		if q.Lang != "" {
			qlang[q.ID] = q.Lang
		}
	}
	dlang = make(map[string]string, len(ds.Corpus))
	for _, d := range ds.Corpus {
		if d.Lang != "" {
			dlang[d.ID] = d.Lang
		}
	}
	return qlang, dlang
}
