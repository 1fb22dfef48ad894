package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/results"
)

// first is the entry's first subset's extras (mimo's tasks have one), nil
// for MTEB's files.
func first(e Entry) *results.SubsetExtras {
	if e.Extras == nil || len(e.Extras.Subsets) == 0 {
		return nil
	}
	return &e.Extras.Subsets[0]
}

// scopeScore is a cross- or same-language score map's value for the
// entry's main metric, else the first of mainOf's keys.
func scopeScore(m map[string]float64, metric string) (float64, bool) {
	if v, ok := m[metric]; ok {
		return v, true
	}
	return mainOf(m)
}

// crossSame writes, per task of a mixed-language corpus, the main metric
// with each query's relevant set restricted to documents in its own
// language (same) and in the other languages (cross), overall and by
// query language (results.SubsetExtras CrossLanguage, SameLanguage).
func (p *builder) crossSame(rs []*row) {
	for _, task := range allTasks(rs) {
		langSet := map[string]bool{}
		var use []*row
		metric := ""
		for _, r := range rs {
			e, ok := r.entries[task]
			s := first(e)
			if !ok || s == nil || s.CrossLanguage == nil && s.SameLanguage == nil {
				continue
			}
			use = append(use, r)
			if metric == "" {
				metric = e.MainMetric
			}
			for _, ls := range []*results.LangScores{s.CrossLanguage, s.SameLanguage} {
				if ls != nil {
					for l := range ls.ByQueryLang {
						langSet[l] = true
					}
				}
			}
		}
		if len(use) == 0 {
			continue
		}
		delete(langSet, "all")
		langs := sortedKeys(langSet)
		t := Table{Header: []string{"Model", "Same", "Cross", "Same − cross"}, Best: map[int]Best{1: BestHigh, 2: BestHigh}, ColLang: map[int]string{}}
		for _, l := range langs {
			t.ColLang[len(t.Header)] = l
			t.ColLang[len(t.Header)+1] = l
			t.Best[len(t.Header)] = BestHigh
			t.Best[len(t.Header)+1] = BestHigh
			t.Header = append(t.Header, l+" same", l+" cross")
		}
		num := func(ls *results.LangScores, lang string) (float64, Cell) {
			if ls == nil {
				return 0, Missing
			}
			m := ls.Scores
			if lang != "" {
				m = ls.ByQueryLang[lang]
			}
			v, ok := scopeScore(m, metric)
			if !ok {
				return 0, Missing
			}
			return 100 * v, Num(100*v, 2)
		}
		for _, r := range use {
			s := first(r.entries[task])
			sv, sc := num(s.SameLanguage, "")
			cv, cc := num(s.CrossLanguage, "")
			gap := Missing
			if sc.IsNum && cc.IsNum {
				gap = Cell{Text: fmt.Sprintf("%+.2f", sv-cv), Value: sv - cv, IsNum: true}
			}
			cells := []Cell{Txt(r.label), sc, cc, gap}
			for _, l := range langs {
				_, a := num(s.SameLanguage, l)
				_, b := num(s.CrossLanguage, l)
				cells = append(cells, a, b)
			}
			t.Rows = append(t.Rows, cells)
		}
		p.task = task
		p.h(2, "%s: same- and cross-language scores (%s)", task, metricLabel(metric))
		p.para("Same: each query's relevant documents restricted to those in the query's language; cross: to those in the other languages (the ranking is unchanged; gold of the other scope counts as non-relevant). A large gap means the model finds relevant documents in the query's language and misses the others.")
		p.table(t)
	}
}

// peerKeys orders "peer_at_20", "peer_at_100" by k.
func peerKeys[V any](m map[string]V, prefix string) []string {
	keys := sortedKeys(m)
	sort.SliceStable(keys, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(keys[i], prefix))
		b, _ := strconv.Atoi(strings.TrimPrefix(keys[j], prefix))
		return a < b
	})
	return keys
}

// peer writes PEER@k (language fairness of the ranking; higher is fairer)
// per model and task.
func (p *builder) peer(rs []*row) {
	keySet := map[string]bool{}
	for _, r := range rs {
		for _, e := range r.entries {
			if s := first(e); s != nil {
				for k := range s.PEER {
					keySet[k] = true
				}
			}
		}
	}
	if len(keySet) == 0 {
		return
	}
	keys := peerKeys(keySet, "peer_at_")
	t := Table{Header: []string{"Model", "Task"}, Best: map[int]Best{}}
	for _, k := range keys {
		t.Best[len(t.Header)] = BestHigh
		t.Header = append(t.Header, strings.ToUpper(strings.Replace(k, "_at_", "@", 1)))
	}
	t.Header = append(t.Header, "Queries")
	for _, task := range allTasks(rs) {
		for _, r := range rs {
			s := first(r.entries[task])
			if s == nil || len(s.PEER) == 0 {
				continue
			}
			cells := []Cell{Txt(r.label), Txt(task)}
			n := 0
			for _, k := range keys {
				ps, ok := s.PEER[k]
				if !ok || ps.Value == nil {
					cells = append(cells, Missing)
					continue
				}
				cells = append(cells, Num(100**ps.Value, 2))
				n = max(n, ps.NQueries)
			}
			t.Rows = append(t.Rows, append(cells, Txt(strconv.Itoa(n))))
		}
	}
	p.h(2, "Language fairness (PEER)")
	p.para("PEER@k (Yang et al., SIGIR 2024), x100: how evenly the top k serves the languages of each query's relevant documents, over the queries whose relevant documents are in two or more languages (Queries). Higher is fairer.")
	p.table(t)
}

// contaminated is the share of the entry's queries or documents seen in
// the model's training texts (0 when none or not recorded).
func contaminated(e Entry) float64 {
	if s := first(e); s != nil && s.Contamination != nil {
		return s.Contamination.Share()
	}
	return 0
}

// contaminationMark is the mark the score tables put on a contaminated
// run's cell.
const contaminationMark = " †"

// contamination lists the runs whose results record how many of the
// evaluated queries and documents were in the model's training texts.
func (p *builder) contamination(rs []*row) {
	t := Table{Header: []string{"Model", "Task", "Queries seen", "Documents seen", "Share"}, Best: map[int]Best{4: BestLow}}
	for _, task := range allTasks(rs) {
		for _, r := range rs {
			s := first(r.entries[task])
			if s == nil || s.Contamination == nil {
				continue
			}
			c := s.Contamination
			t.Rows = append(t.Rows, []Cell{Txt(r.label), Txt(task),
				Txt(fmt.Sprintf("%d/%d", c.QueriesSeen, c.Queries)), Txt(fmt.Sprintf("%d/%d", c.DocsSeen, c.Docs)),
				Num(100*c.Share(), 2)})
		}
	}
	if len(t.Rows) == 0 {
		return
	}
	p.h(2, "Contamination: evaluated texts seen in training")
	p.para("Counted from the training-texts record of the model folder (normalised fingerprints). Share: the larger of the two shares, in percent. Scores of runs with a share above 0 carry † in the score tables.")
	p.table(t)
}

// scoreCell is a main score cell, marked when the run saw some of the
// evaluated texts in training.
func scoreCell(e Entry, v float64) Cell {
	c := Num(v, 2)
	if contaminated(e) > 0 {
		c.Text += contaminationMark
	}
	return c
}
