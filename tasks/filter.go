package tasks

import "strings"

// The Dataset.Skipped reasons of FilterLangs: one vocabulary for every
// kind of task (the Hub builders, local folders, the mini benchmark).
const (
	SkipQueryLang     = "query_lang_filtered"        // a query outside LoadOptions.Langs
	SkipDocLang       = "doc_lang_filtered"          // a document outside LoadOptions.Langs
	SkipQrelsDocLang  = "qrels_doc_lang_filtered"    // a judgement of a document the filter dropped
	SkipQrelsNoQuery  = "qrels_query_not_in_queries" // judgements of a query not (or no longer) in the queries
	SkipNoPositiveDef = "query_without_positive"     // a query left without a relevant document (the default reason)
)

// LangSet is a set of language codes (LoadOptions.Langs: paper codes, or
// MTEB tags for a local folder that uses them), compared trimmed and
// case-insensitively; nil keeps every language.
type LangSet map[string]bool

// NewLangSet returns the set of langs, nil when langs is empty.
func NewLangSet(langs []string) LangSet {
	if len(langs) == 0 {
		return nil
	}
	s := LangSet{}
	for _, l := range langs {
		s[strings.ToLower(strings.TrimSpace(l))] = true
	}
	return s
}

// Keep reports whether lang is in the set (always, for a nil set);
// case is ignored, so an MTEB tag ("eng-Latn") matches as given.
func (s LangSet) Keep(lang string) bool { return s == nil || s[strings.ToLower(lang)] }

// FilterLangs is the one language filter of every task. It returns d with
// only the queries and documents in langs (all when langs is empty); the
// judgements of documents it dropped and of queries that are not in the
// query set are removed (a judged document never in the corpus is kept, as
// MTEB and trec_eval count it); a query left without a relevant document
// (relevance > 0) is dropped with its judgements, counted under noPositive
// (SkipNoPositiveDef when empty). Each drop is counted in Skipped under the
// Skip* reasons. d is not modified: what is filtered is copied, the rest
// (the corpus and judgements when nothing is dropped from them) shared.
func FilterLangs(d Dataset, langs []string, noPositive string) Dataset {
	if noPositive == "" {
		noPositive = SkipNoPositiveDef
	}
	keep := NewLangSet(langs)
	out := d
	out.Skipped = make(map[string]int, len(d.Skipped))
	for k, v := range d.Skipped {
		out.Skipped[k] = v
	}
	count := func(reason string, n int) {
		if n > 0 {
			out.Skipped[reason] += n
		}
	}
	removed := map[string]bool{} // documents the filter dropped
	if keep != nil {
		// Without languages the corpus is kept as it is, shared, not
		// copied: it can hold millions of documents.
		out.Corpus = make([]Doc, 0, len(d.Corpus))
		for _, doc := range d.Corpus {
			if keep.Keep(doc.Lang) {
				out.Corpus = append(out.Corpus, doc)
			} else {
				removed[doc.ID] = true
				count(SkipDocLang, 1)
			}
		}
	}
	out.Queries = make([]Query, 0, len(d.Queries))
	out.Qrels = make(Qrels, len(d.Qrels))
	for _, q := range d.Queries {
		if !keep.Keep(q.Lang) {
			count(SkipQueryLang, 1)
			continue
		}
		rel := d.Qrels[q.ID] // shared, unless documents were dropped from it
		positives := 0
		if len(removed) > 0 {
			rel = make(map[string]int, len(rel))
		}
		for doc, r := range d.Qrels[q.ID] {
			if removed[doc] {
				count(SkipQrelsDocLang, 1)
				continue
			}
			if len(removed) > 0 {
				rel[doc] = r
			}
			if r > 0 {
				positives++
			}
		}
		if positives == 0 {
			count(noPositive, 1)
			continue
		}
		out.Queries = append(out.Queries, q)
		out.Qrels[q.ID] = rel
	}
	// Judgements of a query the filter looked at (kept, or dropped by
	// language or for want of a positive) go with the query; the others
	// name no query at all.
	asked := make(map[string]bool, len(d.Queries))
	for _, q := range d.Queries {
		asked[q.ID] = true
	}
	for id, rel := range d.Qrels {
		if !asked[id] {
			count(SkipQrelsNoQuery, len(rel))
		}
	}
	if len(out.Skipped) == 0 && d.Skipped == nil {
		out.Skipped = nil
	}
	return out
}
