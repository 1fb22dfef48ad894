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

// newLangFilter is the set of LoadOptions.Langs (tasks.LangSet).
func newLangFilter(langs []string) tasks.LangSet { return tasks.NewLangSet(langs) }

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
//   - the language filter, tasks.FilterLangs (LoadOptions.Langs; qrels of
//     dropped docs and of queries not in the query set removed; queries
//     left without a positive dropped, counted under noPositive);
//   - Dataset.Languages lists the MTEB tags of the languages present, in the
//     order of order (the task's languages), using tag for the mapping.
func finish(ds *tasks.Dataset, opts tasks.LoadOptions, noPositive string, order []string, tag func(string) string) {
	*ds = tasks.FilterLangs(*ds, opts.Langs, noPositive)
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
