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
	anySeen := false
	rows := make([]tableRow, 0, len(outs))
	for _, o := range outs {
		rs := outcomeRows(o, langSet)
		anySeen = anySeen || rs[0].seen != ""
		rows = append(rows, rs...)
	}
	langs := make([]string, 0, len(langSet))
	for l := range langSet {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	return renderTable(w, rows, langs, anySeen)
}

// tableRow is one line of WriteTable's table.
type tableRow struct {
	task, metric string
	all          float64
	byLang       map[string]float64
	seen         string // contamination: share of queries / documents seen in training
}

// outcomeRows is the row of one outcome, then its cross- and same-language
// rows; the languages met are added to langSet.
func outcomeRows(o Outcome, langSet map[string]bool) []tableRow {
	main := MainScore(o.Task)
	r := tableRow{task: o.Task.Name, metric: main, all: meanMain(o.Result), byLang: map[string]float64{}}
	if o.Extras == nil {
		return []tableRow{r}
	}
	r.byLang = perLangMain(main, func(sx results.SubsetExtras) map[string]map[string]float64 { return sx.ByQueryLang }, o.Extras.Subsets, langSet)
	r.seen = seenCell(o.Extras)
	rows := []tableRow{r}
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
		rows = append(rows, tableRow{task: "", metric: main + " " + sc.label, all: sum / float64(n),
			byLang: perLangMain(main, func(sx results.SubsetExtras) map[string]map[string]float64 {
				if ls := sc.get(sx); ls != nil {
					return ls.ByQueryLang
				}
				return nil
			}, o.Extras.Subsets, langSet)})
	}
	return rows
}

// perLangMain averages scores[main] of each language over the subsets; the
// languages are added to langSet.
func perLangMain(main string, each func(sx results.SubsetExtras) map[string]map[string]float64, subsets []results.SubsetExtras, langSet map[string]bool) map[string]float64 {
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

// seenCell is the "seen in training" cell: the contamination shares and
// whether the model declares the task ("" for neither).
func seenCell(x *results.Extras) string {
	var seen results.Contamination
	has := false
	for _, sx := range x.Subsets {
		if c := sx.Contamination; c != nil {
			has = true
			seen.QueriesSeen += c.QueriesSeen
			seen.Queries += c.Queries
			seen.DocsSeen += c.DocsSeen
			seen.Docs += c.Docs
		}
	}
	cell := ""
	if has {
		cell = fmt.Sprintf("q %s d %s", share(seen.QueriesSeen, seen.Queries), share(seen.DocsSeen, seen.Docs))
	}
	if d := x.DeclaredTraining; d != nil && d.Declared {
		if cell != "" {
			cell += ", "
		}
		cell += "declared"
	}
	return cell
}

// renderTable writes the rows under a header of the languages, with the
// "seen in training" column when any row has one.
func renderTable(w io.Writer, rows []tableRow, langs []string, anySeen bool) error {
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
