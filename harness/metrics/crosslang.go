package metrics

import "sort"

// Scope selects which relevant documents of a query count.
type Scope int

const (
	// CrossLanguage keeps the relevant documents in a language other than
	// the query's.
	CrossLanguage Scope = iota
	// SameLanguage keeps those in the query's language.
	SameLanguage
)

// RestrictQrels returns the qrels of queries in qlang with each query's
// relevant set restricted to scope. Nothing else changes: the ranking is the
// same, so a same-language gold document still ranked first counts as
// non-relevant for the cross-language score, which is what makes the score
// measure finding the document in another language. A query left with no
// document of relevance > 0 is dropped (MTEB and trec_eval drop queries
// without relevant documents), so each scope averages over its own queries.
// Queries or documents with no language are left out.
func RestrictQrels(qrels Qrels, qlang, dlang map[string]string, scope Scope) Qrels {
	out := Qrels{}
	for qid, rels := range qrels {
		ql := qlang[qid]
		if ql == "" {
			continue
		}
		var m map[string]int
		pos := false
		for did, rel := range rels {
			dl := dlang[did]
			if dl == "" || (dl == ql) != (scope == SameLanguage) {
				continue
			}
			if m == nil {
				m = map[string]int{}
			}
			m[did] = rel
			pos = pos || rel > 0
		}
		if pos {
			out[qid] = m
		}
	}
	return out
}

// LangMatrix says where the relevant documents are found: for each query
// language and document language, the share of the relevant documents
// (relevance > 0) in that document language that appear in the top k of
// the queries in that query language (recall@k restricted to one cell).
// Cells without any relevant document are absent.
func LangMatrix(qrels Qrels, run Run, qlang, dlang map[string]string, k int) map[string]map[string]float64 {
	found := map[[2]string]int{}
	total := map[[2]string]int{}
	qids := make([]string, 0, len(qrels))
	for q := range qrels {
		qids = append(qids, q)
	}
	sort.Strings(qids)
	for _, qid := range qids {
		ql := qlang[qid]
		if ql == "" {
			continue
		}
		top := map[string]bool{}
		for i, s := range run[qid] {
			if i >= k {
				break
			}
			top[s.ID] = true
		}
		for did, rel := range qrels[qid] {
			dl := dlang[did]
			if rel <= 0 || dl == "" {
				continue
			}
			cell := [2]string{ql, dl}
			total[cell]++
			if top[did] {
				found[cell]++
			}
		}
	}
	out := map[string]map[string]float64{}
	for cell, n := range total {
		if out[cell[0]] == nil {
			out[cell[0]] = map[string]float64{}
		}
		out[cell[0]][cell[1]] = float64(found[cell]) / float64(n)
	}
	return out
}
