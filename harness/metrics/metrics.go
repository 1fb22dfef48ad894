// Package metrics computes retrieval scores exactly as MTEB reports them:
// trec_eval 9.0.8 semantics (through pytrec_eval) for nDCG, MAP, recall,
// precision and hit rate, MTEB's own MRR, and the language-fairness and
// embedding-geometry measures of the MIMO paper (MRC, alignment,
// uniformity, language preference).
//
// The mental model: every metric reads one ranked list per query, produced
// by Rank (score descending after narrowing to float32, then document id
// descending byte-wise, which is trec_eval's qsort comparator). Each ranked
// list is turned once into a slice of integer relevance values, one per
// rank, and every measure at every cutoff k is computed from that slice in a
// single pass; no map is touched inside the per-rank loops. Sums are taken
// in rank order in float64, and log2 discounts come from a glibc table, so
// per-query values are bit-identical to trec_eval's.
package metrics

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
)

// Scored is one retrieved document and its similarity to the query.
type Scored struct {
	ID    string
	Score float32
}

// Compare orders a before b (negative) when a ranks higher: score
// descending, then ID descending byte-wise. NaN scores rank last (trec_eval
// has no defined order for them; callers should reject NaN earlier).
func Compare(a, b Scored) int {
	an, bn := a.Score != a.Score, b.Score != b.Score
	switch {
	case an && !bn:
		return 1
	case bn && !an:
		return -1
	case !an && !bn:
		if a.Score > b.Score {
			return -1
		}
		if a.Score < b.Score {
			return 1
		}
	}
	// -0 and +0 compare equal, as in C.
	return cmp.Compare(b.ID, a.ID)
}

// Rank sorts docs into the one canonical order every metric uses: score
// descending (float32), then ID descending byte-wise.
func Rank(docs []Scored) { slices.SortFunc(docs, Compare) }

// Run maps a query id to its retrieved docs, in any order: Evaluate ranks a
// copy.
type Run map[string][]Scored

// Qrels maps query id -> document id -> judged relevance.
type Qrels = map[string]map[string]int

// Options change what Evaluate scores.
type Options struct {
	// IgnoreIdenticalIDs drops a retrieved document whose id equals the
	// query id before ranking (MTEB's ignore_identical_ids). The qrels are
	// left untouched, so such a document still counts in the ideal DCG and
	// in the number of relevant documents.
	IgnoreIdenticalIDs bool
}

// DefaultKs are MTEB's retrieval cutoffs.
var DefaultKs = []int{1, 3, 5, 10, 20, 100, 1000}

// Names of the per-query values, as MTEB v2 names them
// (mteb/_evaluators/retrieval_metrics.py make_score_dict).
const (
	NameNDCG      = "ndcg_at_"
	NameMAP       = "map_at_"
	NameRecall    = "recall_at_"
	NamePrecision = "precision_at_"
	NameMRR       = "mrr_at_"
	NameHitRate   = "hit_rate_at_"
	// NameAccuracy is MTEB's "accuracy": recall at 1. Present only when 1 is
	// among the cutoffs.
	NameAccuracy = "accuracy"
)

// measure indexes the fixed layout of one query's values: for each cutoff,
// numMeasures values in this order.
const (
	mNDCG = iota
	mMAP
	mRecall
	mPrecision
	mMRR
	mHitRate
	numMeasures
)

var measurePrefix = [numMeasures]string{NameNDCG, NameMAP, NameRecall, NamePrecision, NameMRR, NameHitRate}

// MetricNames returns the per-query keys Evaluate produces for ks, in a
// stable order (by measure, then by cutoff ascending).
func MetricNames(ks []int) []string {
	cut := normKs(ks)
	var names []string
	for m := 0; m < numMeasures; m++ {
		for _, k := range cut {
			names = append(names, measurePrefix[m]+strconv.Itoa(k))
		}
	}
	if len(cut) > 0 && cut[0] == 1 {
		names = append(names, NameAccuracy)
	}
	return names
}

// normKs returns the cutoffs sorted ascending without duplicates.
func normKs(ks []int) []int {
	out := slices.Clone(ks)
	slices.Sort(out)
	return slices.Compact(out)
}

// Evaluate returns per-query values keyed by MTEB score names (ndcg_at_k,
// map_at_k, recall_at_k, precision_at_k, mrr_at_k, hit_rate_at_k for every
// k in ks, and accuracy when 1 is in ks). Queries of the run without a
// relevant (rel >= 1) judged document are dropped, as are run queries
// without qrels; qrels queries absent from the run are scored with an empty
// ranking (all zeros), like MTEB, which gives every query a result list.
//
// Semantics (trec_eval 9.0.8 ndcg_cut, map_cut, recall, P, success):
//   - nDCG@k: linear gain rel/log2(rank+1) over the first k ranks, divided
//     by the ideal DCG of the first k places of all judged docs sorted by
//     relevance.
//   - MAP@k: sum of precision at each relevant rank <= k over the total
//     number of relevant docs.
//   - recall@k: relevant in the first k over all relevant; P@k: over k.
//   - MRR@k: 1/rank of the first relevant doc within k; hit rate@k: 1 if any.
//
// A document retrieved twice for one query is an error naming both ids.
// ks must be positive.
func Evaluate(qrels Qrels, run Run, ks []int, opts Options) (map[string]map[string]float64, error) {
	cut := normKs(ks)
	if len(cut) == 0 {
		return nil, fmt.Errorf("metrics: no cutoffs given")
	}
	if cut[0] <= 0 {
		return nil, fmt.Errorf("metrics: cutoff %d is not positive", cut[0])
	}
	qids := make([]string, 0, len(qrels))
	for qid, judged := range qrels {
		if numRelevant(judged) > 0 {
			qids = append(qids, qid)
		}
	}
	sort.Strings(qids)

	values := make([][]float64, len(qids))
	errs := make([]error, len(qids))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(qids)/64))
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s scratch
			for i := range next {
				qid := qids[i]
				values[i], errs[i] = s.query(qid, qrels[qid], run[qid], cut, opts)
			}
		}()
	}
	for i := range qids {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	names := make([]string, 0, numMeasures*len(cut))
	for _, k := range cut {
		for m := 0; m < numMeasures; m++ {
			names = append(names, measurePrefix[m]+strconv.Itoa(k))
		}
	}
	out := make(map[string]map[string]float64, len(qids))
	for i, qid := range qids {
		row := make(map[string]float64, len(names)+1)
		for j, name := range names {
			row[name] = values[i][j]
		}
		if cut[0] == 1 {
			row[NameAccuracy] = values[i][mRecall]
		}
		out[qid] = row
	}
	return out, nil
}

func numRelevant(judged map[string]int) int {
	n := 0
	for _, rel := range judged {
		if rel >= 1 {
			n++
		}
	}
	return n
}

// scratch holds one worker's reusable buffers.
type scratch struct {
	ranked []Scored
	rels   []int32 // relevance per rank; -1 = not judged
	ideal  []int32 // judged relevance values > 0, descending
	seen   map[string]struct{}
}

// query computes one query's values in the layout [k][measure].
func (s *scratch) query(qid string, judged map[string]int, docs []Scored, cut []int, opts Options) ([]float64, error) {
	s.ranked = s.ranked[:0]
	for _, d := range docs {
		if opts.IgnoreIdenticalIDs && d.ID == qid {
			continue
		}
		s.ranked = append(s.ranked, d)
	}
	Rank(s.ranked)
	if s.seen == nil {
		s.seen = make(map[string]struct{}, len(s.ranked))
	}
	clear(s.seen)
	for _, d := range s.ranked {
		if _, dup := s.seen[d.ID]; dup {
			return nil, fmt.Errorf("metrics: query %q: document %q retrieved twice", qid, d.ID)
		}
		s.seen[d.ID] = struct{}{}
	}
	s.rels = s.rels[:0]
	for _, d := range s.ranked {
		rel, ok := judged[d.ID]
		if !ok {
			rel = -1
		}
		s.rels = append(s.rels, int32(rel))
	}
	s.ideal = s.ideal[:0]
	for _, rel := range judged {
		if rel > 0 {
			s.ideal = append(s.ideal, int32(rel))
		}
	}
	slices.SortFunc(s.ideal, func(a, b int32) int { return cmp.Compare(b, a) })
	return scoreRels(s.rels, s.ideal, cut), nil
}

// scoreRels computes all measures at all cutoffs (ascending) from the
// relevance of each rank and the ideal relevance list. It mirrors
// trec_eval's loops operation by operation so the float64 results match.
func scoreRels(rels, ideal []int32, cut []int) []float64 {
	out := make([]float64, numMeasures*len(cut))
	numRel := 0
	for _, r := range ideal {
		if r >= 1 {
			numRel++
		}
	}
	var (
		dcg, apSum float64
		relSoFar   int
		firstRel   int // 1-based rank of the first relevant doc, 0 = none
		ci         int
	)
	emit := func() { // values for cutoff cut[ci], all ranks before it seen
		k := cut[ci]
		v := out[ci*numMeasures : (ci+1)*numMeasures]
		v[mNDCG] = dcg
		v[mMAP] = apSum / float64(numRel)
		v[mRecall] = float64(relSoFar) / float64(numRel)
		v[mPrecision] = float64(relSoFar) / float64(k)
		if firstRel > 0 && firstRel <= k {
			v[mMRR] = 1 / float64(firstRel)
		}
		if relSoFar > 0 {
			v[mHitRate] = 1
		}
	}
	for i, rel := range rels {
		for ci < len(cut) && i == cut[ci] {
			emit()
			ci++
		}
		if ci == len(cut) {
			break
		}
		if rel > 0 {
			dcg += float64(rel) / Log2(i+2)
		}
		if rel >= 1 {
			relSoFar++
			apSum += float64(relSoFar) / float64(i+1)
			if firstRel == 0 {
				firstRel = i + 1
			}
		}
	}
	for ; ci < len(cut); ci++ {
		emit()
	}
	// Ideal DCG at each cutoff, normalising the DCG stored above.
	var idcg float64
	ci = 0
	for i := 0; ci < len(cut); i++ {
		for ci < len(cut) && (i == cut[ci] || i >= len(ideal)) {
			if idcg > 0 {
				out[ci*numMeasures+mNDCG] /= idcg
			}
			ci++
		}
		if i >= len(ideal) {
			break
		}
		idcg += float64(ideal[i]) / Log2(i+2)
	}
	return out
}

// Average returns the arithmetic mean over queries of every key, rounded
// with Round5 (MTEB: round(sum / n, 5)). Queries are summed in sorted id
// order so the result does not depend on map iteration. A key missing from
// some queries is averaged over the queries that have it.
func Average(perQuery map[string]map[string]float64) map[string]float64 {
	qids := make([]string, 0, len(perQuery))
	for qid := range perQuery {
		qids = append(qids, qid)
	}
	sort.Strings(qids)
	sums := map[string]float64{}
	counts := map[string]int{}
	for _, qid := range qids {
		for name, v := range perQuery[qid] {
			sums[name] += v
			counts[name]++
		}
	}
	out := make(map[string]float64, len(sums))
	for name, s := range sums {
		out[name] = Round5(s / float64(counts[name]))
	}
	return out
}

// Round5 rounds x to 5 decimals the way Python's round(x, 5) does: to the
// nearest decimal of the exact binary value, ties to even.
func Round5(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 5, 64), 64)
	if err != nil { // unreachable: FormatFloat output always parses
		panic(err)
	}
	return v
}
