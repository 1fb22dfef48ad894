package metrics

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// MRC computes multilingual rank consistency at k (the MIMO authors'
// definition, docs/evaluation.md "MRC@k"): for every group of parallel queries
// (group -> language -> query id) and every pair of its languages (a, b), U
// is the union of the first k docs of topk[q_a] and topk[q_b] (topk holds
// ranked lists, as from Rank); the pair's correlation is Spearman's rho
// between sim(q_a, d) and sim(q_b, d) over d in U, with average ranks for
// ties. A pair is skipped when |U| < 2 or rho is undefined (constant
// scores). RC_i(a) is the mean over the other languages b of the group;
// MRC@k(a) is 100 x the mean of RC_i(a) over the groups where it is
// defined; mean is the average of MRC@k(a) over the languages in perLang.
// Groups with a single language contribute nothing.
//
// sim must return the similarity of a query to any document (the harness
// recomputes it from the embeddings); its errors are returned wrapped with
// the group, query and document.
func MRC(groups map[string]map[string]string, topk map[string][]Scored, k int, sim func(qid, docID string) (float32, error)) (perLang map[string]float64, mean float64, err error) {
	if k <= 0 {
		return nil, 0, fmt.Errorf("metrics: MRC cutoff %d is not positive", k)
	}
	gids := make([]string, 0, len(groups))
	for g := range groups {
		gids = append(gids, g)
	}
	sort.Strings(gids)

	sum := map[string]float64{}
	count := map[string]int{}
	var xs, ys, rx, ry []float64
	var idx []int
	for _, g := range gids {
		langs := make([]string, 0, len(groups[g]))
		for l := range groups[g] {
			langs = append(langs, l)
		}
		if len(langs) < 2 {
			continue
		}
		sort.Strings(langs)
		tops := make([][]Scored, len(langs))
		for i, l := range langs {
			qid := groups[g][l]
			list, ok := topk[qid]
			if !ok {
				return nil, 0, fmt.Errorf("metrics: MRC group %q language %q: query %q has no ranked list", g, l, qid)
			}
			tops[i] = list[:min(k, len(list))]
		}
		rcSum := make([]float64, len(langs))
		rcN := make([]int, len(langs))
		for a := 0; a < len(langs); a++ {
			for b := a + 1; b < len(langs); b++ {
				union := unionIDs(tops[a], tops[b])
				if len(union) < 2 {
					continue
				}
				qa, qb := groups[g][langs[a]], groups[g][langs[b]]
				xs, ys = xs[:0], ys[:0]
				for _, d := range union {
					sa, err := sim(qa, d)
					if err != nil {
						return nil, 0, fmt.Errorf("metrics: MRC group %q: sim(%q, %q): %w", g, qa, d, err)
					}
					sb, err := sim(qb, d)
					if err != nil {
						return nil, 0, fmt.Errorf("metrics: MRC group %q: sim(%q, %q): %w", g, qb, d, err)
					}
					xs = append(xs, float64(sa))
					ys = append(ys, float64(sb))
				}
				rx, idx = averageRanks(xs, rx, idx)
				ry, idx = averageRanks(ys, ry, idx)
				rho, ok := pearson(rx, ry)
				if !ok {
					continue
				}
				rcSum[a] += rho
				rcN[a]++
				rcSum[b] += rho
				rcN[b]++
			}
		}
		for i, l := range langs {
			if rcN[i] > 0 {
				sum[l] += rcSum[i] / float64(rcN[i])
				count[l]++
			}
		}
	}
	if len(count) == 0 {
		return nil, 0, fmt.Errorf("metrics: MRC@%d: no group with two languages and a defined correlation", k)
	}
	perLang = make(map[string]float64, len(count))
	langs := make([]string, 0, len(count))
	for l := range count {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		perLang[l] = 100 * sum[l] / float64(count[l])
		mean += perLang[l]
	}
	return perLang, mean / float64(len(langs)), nil
}

// unionIDs returns the distinct ids of a and b, sorted.
func unionIDs(a, b []Scored) []string {
	ids := make([]string, 0, len(a)+len(b))
	for _, d := range a {
		ids = append(ids, d.ID)
	}
	for _, d := range b {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// averageRanks returns the 1-based ranks of xs, ties sharing the mean of
// the ranks they span (scipy.stats.rankdata "average").
func averageRanks(xs, ranks []float64, idx []int) ([]float64, []int) {
	n := len(xs)
	idx = idx[:0]
	for i := range n {
		idx = append(idx, i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	ranks = slices.Grow(ranks[:0], n)[:n]
	for i := 0; i < n; {
		j := i + 1
		for j < n && xs[idx[j]] == xs[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2 // mean of ranks i+1..j
		for m := i; m < j; m++ {
			ranks[idx[m]] = r
		}
		i = j
	}
	return ranks, idx
}

// pearson returns the correlation of x and y; ok is false when either is
// constant.
func pearson(x, y []float64) (float64, bool) {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, false
	}
	r := sxy / math.Sqrt(sxx*syy)
	return max(-1, min(1, r)), true
}

// LangPreference returns, for each query language, the share of the top-k
// documents (pooled over that language's queries) that are in each
// document language: result[queryLang][docLang], each row summing to 1.
// topk holds ranked lists; only the first k of each count. Queries or
// documents without a language are counted under "unknown". Queries with
// an empty list contribute nothing.
func LangPreference(topk map[string][]Scored, queryLang map[string]string, docLang map[string]string, k int) map[string]map[string]float64 {
	counts := map[string]map[string]int{}
	totals := map[string]int{}
	for qid, list := range topk {
		ql := queryLang[qid]
		if ql == "" {
			ql = "unknown"
		}
		for _, d := range list[:min(max(k, 0), len(list))] {
			dl := docLang[d.ID]
			if dl == "" {
				dl = "unknown"
			}
			if counts[ql] == nil {
				counts[ql] = map[string]int{}
			}
			counts[ql][dl]++
			totals[ql]++
		}
	}
	out := make(map[string]map[string]float64, len(counts))
	for ql, row := range counts {
		out[ql] = make(map[string]float64, len(row))
		for dl, c := range row {
			out[ql][dl] = float64(c) / float64(totals[ql])
		}
	}
	return out
}
