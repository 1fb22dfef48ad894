package local

import (
	"strings"

	"github.com/mimo-mlir/mimo/tasks"
)

// authorsDocID reports whether id is the MIMO authors' document id of a
// language, "doc_{lang}_{n}" (their Belebele and MLQA builds).
func authorsDocID(id, lang string) bool {
	n, ok := strings.CutPrefix(id, "doc_"+lang+"_")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parallelGroups gives the documents with authors' ids "doc_{lang}_{n}"
// and no group the parallel group the task's own structure implies: in
// the authors' Belebele and MLQA builds a query's relevant set is every
// language version of its passage, so documents relevant (>= 1) to one
// query are versions of one passage. A group is a connected component of
// "relevant to the same query" (MLQA's contexts are shared across
// question ids, so components can span several queries), named by its
// first document in corpus order, the rule tasks/builders' MLQA uses.
// Documents never relevant keep no group. It runs on the whole folder,
// before any language filter, so a group's name does not depend on
// --langs.
func parallelGroups(d *tasks.Dataset) {
	idx := map[string]int{} // doc id -> corpus index, for the docs that take a group
	for i, doc := range d.Corpus {
		if doc.Group == "" && authorsDocID(doc.ID, doc.Lang) {
			idx[doc.ID] = i
		}
	}
	if len(idx) == 0 {
		return
	}
	parent := map[int]int{}
	var find func(int) int
	find = func(i int) int {
		p, ok := parent[i]
		if !ok || p == i {
			parent[i] = i
			return i
		}
		r := find(p)
		parent[i] = r
		return r
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra < rb {
			parent[rb] = ra
		} else if rb < ra {
			parent[ra] = rb
		}
	}
	for _, q := range d.Queries {
		first := -1
		for did, rel := range d.Qrels[q.ID] {
			i, ok := idx[did]
			if !ok || rel < 1 {
				continue
			}
			if first < 0 {
				first = find(i)
				continue
			}
			union(first, i)
		}
	}
	for i := range parent {
		d.Corpus[i].Group = d.Corpus[find(i)].ID
	}
}
