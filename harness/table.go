package harness

import (
	"fmt"
	"io"
	"sort"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
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
	}
	rows := make([]row, 0, len(outs))
	for _, o := range outs {
		main := MainScore(o.Task)
		r := row{task: o.Task.Name, metric: main, all: meanMain(o.Result), byLang: map[string]float64{}}
		if o.Extras != nil {
			sum, n := map[string]float64{}, map[string]int{}
			for _, sx := range o.Extras.Subsets {
				for l, scores := range sx.ByQueryLang {
					if v, ok := scores[main]; ok {
						sum[l] += v
						n[l]++
					}
				}
			}
			for l, s := range sum {
				r.byLang[l] = s / float64(n[l])
				langSet[l] = true
			}
		}
		rows = append(rows, r)
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
		if err := t.Append(cells...); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
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
