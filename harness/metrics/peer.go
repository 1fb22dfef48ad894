package metrics

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"
)

// PEER is the Probability of Equal Expected Rank at k (Yang et al., "Language
// Fairness in Multilingual Information Retrieval", SIGIR 2024), computed as
// the MIMO authors' compute_peer does (src/mimo/evaluation/metrics.py): for
// each query, the rank of every relevant document (relevance > 0), capped at
// k+1 (a document ranked below k, or not retrieved, counts as k+1), is
// grouped by the document's language; a Kruskal-Wallis H test across the
// language groups gives a p-value; PEER is the mean p over the queries.
// Higher is fairer: 1 means the languages of the relevant documents make no
// difference to where they are ranked.
//
// A query whose relevant documents are all in one language is skipped (the
// test needs two groups); when every capped rank is the same (all found at
// the same rank, or none in the top k) p is 1, as the authors set it when
// scipy refuses identical inputs. run lists each query's ranking, best
// first. It returns the mean, the per-query p-values and the number of
// queries used; with none, the mean is NaN.
func PEER(qrels Qrels, run Run, docLang map[string]string, k int) (mean float64, perQuery map[string]float64, n int) {
	perQuery = map[string]float64{}
	for qid, rels := range qrels {
		rank := map[string]int{}
		for i, s := range run[qid] {
			if i >= k {
				break
			}
			if _, seen := rank[s.ID]; !seen {
				rank[s.ID] = i + 1
			}
		}
		groups := map[string][]float64{}
		for did, rel := range rels {
			if rel <= 0 {
				continue
			}
			r, ok := rank[did]
			if !ok {
				r = k + 1
			}
			l := docLang[did]
			groups[l] = append(groups[l], float64(r))
		}
		if len(groups) < 2 {
			continue
		}
		langs := make([]string, 0, len(groups))
		for l := range groups {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		samples := make([][]float64, len(langs))
		for i, l := range langs {
			samples[i] = groups[l]
		}
		perQuery[qid] = KruskalP(samples)
	}
	if len(perQuery) == 0 {
		return math.NaN(), perQuery, 0
	}
	qids := make([]string, 0, len(perQuery))
	for q := range perQuery {
		qids = append(qids, q)
	}
	sort.Strings(qids) // a fixed summation order
	var sum float64
	for _, q := range qids {
		sum += perQuery[q]
	}
	return sum / float64(len(qids)), perQuery, len(qids)
}

// KruskalP is the p-value of the Kruskal-Wallis H test over samples, as
// scipy.stats.kruskal computes it: midranks for ties, H corrected for ties,
// and the chi-squared survival function with len(samples)-1 degrees of
// freedom. Identical values everywhere (scipy raises) give 1. Empty samples
// are ignored; fewer than two non-empty samples give 1.
func KruskalP(samples [][]float64) float64 {
	type obs struct {
		v float64
		g int
	}
	var all []obs
	groups := 0
	for _, s := range samples {
		if len(s) == 0 {
			continue
		}
		for _, v := range s {
			all = append(all, obs{v, groups})
		}
		groups++
	}
	if groups < 2 {
		return 1
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].v < all[j].v })
	n := float64(len(all))
	rankSum := make([]float64, groups)
	count := make([]float64, groups)
	var ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j, 1-based
		for m := i; m < j; m++ {
			rankSum[all[m].g] += mid
			count[all[m].g]++
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	correction := 1 - ties/(n*n*n-n)
	if correction <= 0 {
		return 1 // every value identical
	}
	var h float64
	for g := range rankSum {
		h += rankSum[g] * rankSum[g] / count[g]
	}
	h = 12/(n*(n+1))*h - 3*(n+1)
	h /= correction
	if h <= 0 {
		return 1
	}
	return mathext.GammaIncRegComp(float64(groups-1)/2, h/2)
}
