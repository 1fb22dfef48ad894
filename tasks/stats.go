package tasks

import (
	"fmt"
	"sort"
	"strings"
)

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

// CheckSizes compares the datasets of a task with the sizes its Metadata
// expects (paper Table 7), summed over datasets; a zero expectation is not
// checked. The error lists every mismatch. It is the acceptance check of a
// builder run on the real sources.
func CheckSizes(m Metadata, ds []Dataset) error {
	var queries, docs, qrels int
	for _, d := range ds {
		queries += len(d.Queries)
		docs += len(d.Corpus)
		for _, rel := range d.Qrels {
			qrels += len(rel)
		}
	}
	var bad []string
	for _, c := range []struct {
		what      string
		got, want int
	}{{"queries", queries, m.ExpectedQueries}, {"corpus", docs, m.ExpectedCorpus}, {"qrels", qrels, m.ExpectedQrels}} {
		if c.want != 0 && c.got != c.want {
			bad = append(bad, fmt.Sprintf("%s %d, expected %d", c.what, c.got, c.want))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: sizes differ from the paper's: %s", m.Name, strings.Join(bad, "; "))
	}
	return nil
}
