package tasks

import "sort"

// LangStats counts one language of a Dataset: its queries, its documents,
// and the qrels pairs of its queries (Positives: those with relevance > 0).
// Lang "" collects items without a language; the row with Lang "all" (last)
// holds the totals.
type LangStats struct {
	Lang      string `json:"lang"`
	Queries   int    `json:"queries"`
	Docs      int    `json:"docs"`
	Qrels     int    `json:"qrels"`
	Positives int    `json:"positives"`
}

// StatsTotal is the Lang of the totals row Stats appends.
const StatsTotal = "all"

// Stats counts a Dataset per language (queries and qrels by the query's
// language, docs by the doc's), sorted by language, followed by the totals.
// It is what `mimo-eval stats` prints and what the builders' acceptance
// checks (paper Table 7) compare against.
func Stats(ds Dataset) []LangStats {
	by := map[string]*LangStats{}
	get := func(l string) *LangStats {
		s := by[l]
		if s == nil {
			s = &LangStats{Lang: l}
			by[l] = s
		}
		return s
	}
	total := LangStats{Lang: StatsTotal}
	qlang := make(map[string]string, len(ds.Queries))
	for _, q := range ds.Queries {
		get(q.Lang).Queries++
		total.Queries++
		qlang[q.ID] = q.Lang
	}
	for _, d := range ds.Corpus {
		get(d.Lang).Docs++
		total.Docs++
	}
	for qid, rel := range ds.Qrels {
		l, ok := qlang[qid]
		if !ok {
			continue // judgements of queries the dataset does not ask
		}
		s := get(l)
		for _, r := range rel {
			s.Qrels++
			total.Qrels++
			if r > 0 {
				s.Positives++
				total.Positives++
			}
		}
	}
	out := make([]LangStats, 0, len(by)+1)
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Lang < out[j].Lang })
	return append(out, total)
}
