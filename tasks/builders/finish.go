package builders

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
)

// mtebTag returns the MTEB language tag of a paper language code, or the
// code itself when unknown.
func mtebTag(code string) string { return lang.MTEBTag(code) }

// langFilter answers whether a language is kept by LoadOptions.Langs.
type langFilter map[string]bool

func newLangFilter(langs []string) langFilter {
	if len(langs) == 0 {
		return nil
	}
	f := langFilter{}
	for _, l := range langs {
		f[strings.ToLower(strings.TrimSpace(l))] = true
	}
	return f
}

func (f langFilter) keep(lang string) bool { return f == nil || f[lang] }

// checkLangs fails when LoadOptions.Langs names a language the task lacks, so
// a typo does not silently yield an empty dataset.
func checkLangs(task string, have []string, want []string) error {
	for _, l := range want {
		l = strings.ToLower(strings.TrimSpace(l))
		if !slices.Contains(have, l) {
			return fmt.Errorf("%s has no language %q (languages: %s)", task, l, strings.Join(have, " "))
		}
	}
	return nil
}

// skip counts one dropped input under a reason.
func skip(ds *tasks.Dataset, reason string, n int) {
	if n == 0 {
		return
	}
	if ds.Skipped == nil {
		ds.Skipped = map[string]int{}
	}
	ds.Skipped[reason] += n
}

// finish applies the rules every builder shares, in place:
//   - LoadOptions.Langs keeps only queries and docs in those languages;
//   - qrels lose the docs the language filter removed and the queries that
//     are not in the query set (judged docs never in the corpus are kept, as
//     MTEB and trec_eval count them);
//   - queries left without a positive judgement (relevance > 0) are dropped
//     with their qrels, counted under noPositive;
//   - Dataset.Languages lists the MTEB tags of the languages present, in the
//     order of order (the task's languages), using tag for the mapping.
func finish(ds *tasks.Dataset, opts tasks.LoadOptions, noPositive string, order []string, tag func(string) string) {
	f := newLangFilter(opts.Langs)
	removed := map[string]bool{} // docs dropped by the language filter
	if f != nil {
		docs := ds.Corpus[:0]
		for _, d := range ds.Corpus {
			if f.keep(d.Lang) {
				docs = append(docs, d)
			} else {
				removed[d.ID] = true
				skip(ds, "doc_lang_filtered", 1)
			}
		}
		ds.Corpus = docs
	}
	queries := ds.Queries[:0]
	for _, q := range ds.Queries {
		if !f.keep(q.Lang) {
			skip(ds, "query_lang_filtered", 1)
			delete(ds.Qrels, q.ID)
			continue
		}
		rel := ds.Qrels[q.ID]
		positives := 0
		for doc, r := range rel {
			if removed[doc] {
				delete(rel, doc)
				skip(ds, "qrels_doc_lang_filtered", 1)
				continue
			}
			if r > 0 {
				positives++
			}
		}
		if positives == 0 {
			skip(ds, noPositive, 1)
			delete(ds.Qrels, q.ID)
			continue
		}
		queries = append(queries, q)
	}
	ds.Queries = queries
	kept := make(map[string]bool, len(queries))
	for _, q := range queries {
		kept[q.ID] = true
	}
	for id, rel := range ds.Qrels {
		if !kept[id] {
			skip(ds, "qrels_query_not_in_queries", len(rel))
			delete(ds.Qrels, id)
		}
	}
	present := map[string]bool{}
	for _, q := range ds.Queries {
		present[q.Lang] = true
	}
	for _, d := range ds.Corpus {
		present[d.Lang] = true
	}
	ds.Languages = nil
	for _, l := range order {
		if present[l] {
			ds.Languages = append(ds.Languages, tag(l))
		}
	}
}
