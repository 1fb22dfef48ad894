package harness

import (
	"fmt"
	"io"
	"sort"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/mimo-mlir/mimo/results"
)

// WriteTable renders, for each outcome, its main score x 100 overall ("all":
// the mean over the task's subsets, as MTEB averages them) and per query
// language (from the extras; a language evaluated in several subsets is
// averaged over them). Languages a task lacks show "-".
func WriteTable(w io.Writer, outs []Outcome) error {
	langSet := map[string]bool{}
	type row struct {
		task, metric string
		all          float64
		byLang       map[string]float64
		seen         string // contamination: share of queries / documents seen in training
	}
	anySeen := false
	rows := make([]row, 0, len(outs))
	// perLang averages scores[main] of each language over the subsets.
	perLang := func(main string, each func(sx results.SubsetExtras) map[string]map[string]float64, subsets []results.SubsetExtras) map[string]float64 {
		sum, n := map[string]float64{}, map[string]int{}
		for _, sx := range subsets {
			for l, scores := range each(sx) {
				if v, ok := scores[main]; ok {
					sum[l] += v
					n[l]++
				}
			}
		}
		out := map[string]float64{}
		for l, s := range sum {
			out[l] = s / float64(n[l])
			langSet[l] = true
		}
		return out
	}
	for _, o := range outs {
		main := MainScore(o.Task)
		r := row{task: o.Task.Name, metric: main, all: meanMain(o.Result), byLang: map[string]float64{}}
		if o.Extras == nil {
			rows = append(rows, r)
			continue
		}
		r.byLang = perLang(main, func(sx results.SubsetExtras) map[string]map[string]float64 { return sx.ByQueryLang }, o.Extras.Subsets)
		var seen results.Contamination
		has := false
		for _, sx := range o.Extras.Subsets {
			if c := sx.Contamination; c != nil {
				has = true
				seen.QueriesSeen += c.QueriesSeen
				seen.Queries += c.Queries
				seen.DocsSeen += c.DocsSeen
				seen.Docs += c.Docs
			}
		}
		if has {
			anySeen = true
			r.seen = fmt.Sprintf("q %s d %s", share(seen.QueriesSeen, seen.Queries), share(seen.DocsSeen, seen.Docs))
		}
		if d := o.Extras.DeclaredTraining; d != nil && d.Declared {
			anySeen = true
			if r.seen != "" {
				r.seen += ", "
			}
			r.seen += "declared"
		}
		rows = append(rows, r)
		// The cross- and same-language pair of a mixed-language corpus:
		// each query's gold restricted to other languages / its own.
		for _, sc := range []struct {
			label string
			get   func(results.SubsetExtras) *results.LangScores
		}{
			{"cross-lang", func(sx results.SubsetExtras) *results.LangScores { return sx.CrossLanguage }},
			{"same-lang", func(sx results.SubsetExtras) *results.LangScores { return sx.SameLanguage }},
		} {
			sum, n := 0.0, 0
			for _, sx := range o.Extras.Subsets {
				if ls := sc.get(sx); ls != nil {
					if v, ok := ls.Scores[main]; ok {
						sum += v
						n++
					}
				}
			}
			if n == 0 || !hasCross(o.Extras.Subsets) {
				continue
			}
			rows = append(rows, row{task: "", metric: main + " " + sc.label, all: sum / float64(n),
				byLang: perLang(main, func(sx results.SubsetExtras) map[string]map[string]float64 {
					if ls := sc.get(sx); ls != nil {
						return ls.ByQueryLang
					}
					return nil
				}, o.Extras.Subsets)})
		}
	}
	langs := make([]string, 0, len(langSet))
	for l := range langSet {
		langs = append(langs, l)
	}
	sort.Strings(langs)

	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignRight),
	)
	header := append([]any{"task", "metric", "all"}, toAny(langs)...)
	if anySeen {
		header = append(header, "seen in training")
	}
	t.Header(header...)
	for _, r := range rows {
		cells := []any{r.task, r.metric, pct(r.all)}
		for _, l := range langs {
			if v, ok := r.byLang[l]; ok {
				cells = append(cells, pct(v))
			} else {
				cells = append(cells, "-")
			}
		}
		if anySeen {
			cells = append(cells, r.seen)
		}
		if err := t.Append(cells...); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

// hasCross reports whether any subset has cross-language gold: a
// multi-monolingual task has none, and its same-language row would only
// repeat the main one.
func hasCross(subsets []results.SubsetExtras) bool {
	for _, sx := range subsets {
		if sx.CrossLanguage != nil {
			return true
		}
	}
	return false
}

// share formats n of total as a whole percentage ("-" with no total).
func share(n, total int) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(total))
}

func pct(v float64) string {
	if v != v {
		return "-"
	}
	return fmt.Sprintf("%.2f", 100*v)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
