package reports

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// Options shape a report.
type Options struct {
	// Title is the report's first heading.
	Title string
	// FiguresDir is where figures are written (relative paths are taken
	// relative to the report's folder). Empty: "figures".
	FiguresDir string
	// NoFigures skips figures.
	NoFigures bool
	// MRCKey selects the MRC cut-off shown ("mrc_at_10" by default).
	MRCKey string
}

func (o Options) withDefaults() Options {
	if o.Title == "" {
		o.Title = "Retrieval report"
	}
	if o.FiguresDir == "" {
		o.FiguresDir = "figures"
	}
	if o.MRCKey == "" {
		o.MRCKey = "mrc_at_10"
	}
	return o
}

// row is one (model, revision) line of the tables.
type row struct {
	label   string
	model   string
	entries map[string]Entry // task -> entry
}

func rows(entries []Entry) []*row {
	revs := map[string]map[string]bool{}
	for _, e := range entries {
		if revs[e.Model] == nil {
			revs[e.Model] = map[string]bool{}
		}
		revs[e.Model][e.Revision] = true
	}
	byLabel := map[string]*row{}
	var out []*row
	for _, e := range entries {
		label := e.Model
		if len(revs[e.Model]) > 1 {
			r := e.Revision
			if len(r) > 8 {
				r = r[:8]
			}
			label += "@" + r
		}
		rw, ok := byLabel[label]
		if !ok {
			rw = &row{label: label, model: e.Model, entries: map[string]Entry{}}
			byLabel[label] = rw
			out = append(out, rw)
		}
		rw.entries[e.Task] = e
	}
	return out
}

// Write loads the result folders, writes the Markdown report to out and its
// figures beside it. Problems (foreign or malformed files) are listed at the
// end of the report and returned; they are not fatal.
func Write(out string, dirs []string, opts Options) ([]Problem, error) {
	entries, problems, err := Load(dirs...)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	figDir := opts.FiguresDir
	if !filepath.IsAbs(figDir) {
		figDir = filepath.Join(filepath.Dir(out), figDir)
	}
	var figs []Figure
	if !opts.NoFigures {
		figs, err = WriteFigures(entries, figDir)
		if err != nil {
			return problems, err
		}
	}
	var buf bytes.Buffer
	if err := Render(&buf, entries, problems, figs, opts); err != nil {
		return problems, err
	}
	return problems, atomicfile.WriteFile(out, buf.Bytes(), 0o644)
}

// Render writes the Markdown report. figs are linked as they are given
// (their paths relative to the report's folder).
func Render(w io.Writer, entries []Entry, problems []Problem, figs []Figure, opts Options) error {
	opts = opts.withDefaults()
	rs := rows(entries)
	p := &printer{w: w}
	p.f("# %s\n\n", opts.Title)
	p.f("Scores are x100. Best per column in **bold**. %s from %s.\n\n", plural(len(entries), "result file"), plural(len(rs), "model"))

	p.mlir(rs)
	p.other(rs)
	p.miracl(rs)
	p.paper(rs)
	p.byQueryLang(rs)
	p.mrc(rs, opts.MRCKey)
	p.geometry(rs)
	p.settings(rs)
	if len(figs) > 0 {
		p.f("## Figures\n\n")
		for _, f := range figs {
			p.f("### %s\n\n![%s](%s)\n\n%s ([SVG](%s), [PNG](%s))\n\n", f.Title, f.Title, f.SVG, f.Caption, f.SVG, f.PNG)
		}
	}
	if len(problems) > 0 {
		p.f("## Skipped files\n\n")
		for _, pr := range problems {
			p.f("- `%s`: %v\n", pr.Path, pr.Err)
		}
		p.f("\n")
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

func (p *printer) table(t Table) {
	if p.err != nil {
		return
	}
	if p.err = t.Render(p.w); p.err == nil {
		p.f("\n")
	}
}

func isMLIR(task string) bool {
	for _, t := range MLIRTasks {
		if t.Name == task {
			return true
		}
	}
	return false
}

// mlir writes the main table: models x MLIR tasks with the average (the
// shape of the paper's Tables 2 and 8).
func (p *printer) mlir(rs []*row) {
	var cols []int
	for i, t := range MLIRTasks {
		for _, r := range rs {
			if _, ok := r.entries[t.Name]; ok {
				cols = append(cols, i)
				break
			}
		}
	}
	if len(cols) == 0 {
		return
	}
	p.f("## MLIR (main score, nDCG@20)\n\n")
	t := Table{Header: []string{"Model"}, Best: map[int]Best{}}
	for _, c := range cols {
		t.Header = append(t.Header, MLIRTasks[c].Short)
	}
	t.Header = append(t.Header, "Avg", "Paper avg")
	for j := 1; j <= len(cols)+1; j++ {
		t.Best[j] = BestHigh
	}
	foreign := false
	for _, r := range rs {
		cells := []Cell{Txt(r.label)}
		sum, n := 0.0, 0
		for _, c := range cols {
			e, ok := r.entries[MLIRTasks[c].Name]
			if !ok {
				cells = append(cells, Missing)
				continue
			}
			v := 100 * e.MainScore()
			cell := Num(v, 2)
			if e.Extras == nil {
				// Not comparable: shown, but never counted as best.
				cell = Txt(cell.Text + " †")
				foreign = true
			}
			cells = append(cells, cell)
			sum += v
			n++
		}
		if n == len(cols) && n > 0 {
			cells = append(cells, Num(sum/float64(n), 2))
		} else {
			cells = append(cells, Missing)
		}
		if pr, ok := PaperFor(r.model); ok && pr.MLIRAvg > 0 {
			cells = append(cells, Num(pr.MLIRAvg, 2))
		} else {
			cells = append(cells, Missing)
		}
		if n > 0 {
			t.Rows = append(t.Rows, cells)
		}
	}
	p.table(t)
	if len(cols) < len(MLIRTasks) {
		p.f("Avg is over the %d MLIR tasks shown; the paper's average is over all six.\n\n", len(cols))
	}
	if foreign {
		p.f("† written by another tool (no mimo extras): MTEB's own task of that name scores language pairs separately, not the mixed-language corpus, so it is not comparable with the paper's MLIR numbers.\n\n")
	}
}

// other writes the tasks that are neither MLIR nor MIRACL (mini, local ones).
func (p *printer) other(rs []*row) {
	set := map[string]bool{}
	for _, r := range rs {
		for task := range r.entries {
			if !isMLIR(task) && task != MIRACLTask {
				set[task] = true
			}
		}
	}
	if len(set) == 0 {
		return
	}
	tasks := sortedKeys(set)
	p.f("## Other tasks (main score)\n\n")
	t := Table{Header: append([]string{"Model"}, tasks...), Best: map[int]Best{}}
	for j := range tasks {
		t.Best[j+1] = BestHigh
	}
	for _, r := range rs {
		cells := []Cell{Txt(r.label)}
		any := false
		for _, task := range tasks {
			if e, ok := r.entries[task]; ok {
				cells = append(cells, Num(100*e.MainScore(), 2))
				any = true
			} else {
				cells = append(cells, Missing)
			}
		}
		if any {
			t.Rows = append(t.Rows, cells)
		}
	}
	p.table(t)
}

// miracl writes MIRACL per language (the paper's Table 4).
func (p *printer) miracl(rs []*row) {
	var have []*row
	langSet := map[string]bool{}
	for _, r := range rs {
		if e, ok := r.entries[MIRACLTask]; ok {
			have = append(have, r)
			for _, s := range e.Subsets() {
				langSet[s] = true
			}
		}
	}
	if len(have) == 0 {
		return
	}
	langs := orderLangs(langSet, MIRACLLangs)
	p.f("## MIRACL (nDCG@10, per language)\n\n")
	t := Table{Header: append(append([]string{"Model"}, langs...), "Avg", "Paper avg"), Best: map[int]Best{}}
	for j := 1; j <= len(langs)+1; j++ {
		t.Best[j] = BestHigh
	}
	for _, r := range have {
		e := r.entries[MIRACLTask]
		cells := []Cell{Txt(r.label)}
		sum, n := 0.0, 0
		for _, l := range langs {
			v, ok := e.Score(l, "ndcg_at_10")
			if !ok {
				cells = append(cells, Missing)
				continue
			}
			cells = append(cells, Num(100*v, 2))
			sum += 100 * v
			n++
		}
		if n == len(langs) {
			cells = append(cells, Num(sum/float64(n), 2))
		} else {
			cells = append(cells, Missing)
		}
		if pr, ok := PaperFor(r.model); ok && pr.MIRACL > 0 {
			cells = append(cells, Num(pr.MIRACL, 2))
		} else {
			cells = append(cells, Missing)
		}
		t.Rows = append(t.Rows, cells)
	}
	p.table(t)
}

// orderLangs puts the known languages first in their order, then the rest sorted.
func orderLangs(set map[string]bool, known []string) []string {
	var out []string
	for _, l := range known {
		if set[l] {
			out = append(out, l)
		}
	}
	for _, l := range sortedKeys(set) {
		found := false
		for _, k := range known {
			found = found || k == l
		}
		if !found {
			out = append(out, l)
		}
	}
	return out
}

// paper compares ours with the published numbers where the model and task match.
func (p *printer) paper(rs []*row) {
	t := Table{Header: []string{"Model", "Paper row", "Task", "Ours", "Paper", "Δ", "Ours differs in"}}
	for _, r := range rs {
		pr, ok := PaperFor(r.model)
		if !ok {
			continue
		}
		for _, task := range MLIRTasks {
			e, ok := r.entries[task.Name]
			want, pok := pr.MLIR[task.Name]
			if !ok || !pok {
				continue
			}
			ours := 100 * e.MainScore()
			t.Rows = append(t.Rows, []Cell{Txt(r.label), Txt(pr.Name + " (" + pr.Source + ")"), Txt(task.Short),
				Num(ours, 2), Num(want, 2), {Text: fmt.Sprintf("%+.2f", ours-want), Value: ours - want, IsNum: true}, Txt(differsFromPaper(e))})
		}
	}
	if len(t.Rows) == 0 {
		return
	}
	p.f("## Comparison with the paper's published numbers\n\n")
	p.table(t)
}

// differsFromPaper names what a run did differently from the paper's setup
// as tasks.md pins it (dataset revision) and as the result records it.
func differsFromPaper(e Entry) string {
	var d []string
	if e.Extras == nil {
		d = append(d, "not a mixed-language (mimo) run")
	}
	if e.Extras != nil && len(e.Extras.Settings.Langs) > 0 {
		d = append(d, "languages "+strings.Join(e.Extras.Settings.Langs, ","))
	}
	if len(d) == 0 {
		return "–"
	}
	return strings.Join(d, "; ")
}

// byQueryLang writes, per task, the main score by query language.
func (p *printer) byQueryLang(rs []*row) {
	for _, task := range allTasks(rs) {
		langSet := map[string]bool{}
		for _, r := range rs {
			if e, ok := r.entries[task]; ok && e.Extras != nil {
				for _, s := range e.Extras.Subsets {
					for l := range s.ByQueryLang {
						langSet[l] = true
					}
				}
			}
		}
		if len(langSet) == 0 {
			continue
		}
		delete(langSet, "all")
		langs := sortedKeys(langSet)
		t := Table{Header: append([]string{"Model"}, langs...), Best: map[int]Best{}}
		for j := range langs {
			t.Best[j+1] = BestHigh
		}
		for _, r := range rs {
			e, ok := r.entries[task]
			if !ok || e.Extras == nil || len(e.Extras.Subsets) == 0 {
				continue
			}
			s := e.Extras.Subsets[0]
			cells := []Cell{Txt(r.label)}
			for _, l := range langs {
				if v, ok := mainOf(s.ByQueryLang[l]); ok {
					cells = append(cells, Num(100*v, 2))
				} else {
					cells = append(cells, Missing)
				}
			}
			t.Rows = append(t.Rows, cells)
		}
		p.f("## %s: main score by query language\n\n", task)
		p.table(t)
	}
}

// mainOf picks the main score from a per-language score map.
func mainOf(m map[string]float64) (float64, bool) {
	for _, k := range []string{"main_score", "ndcg_at_20", "ndcg_at_10"} {
		if v, ok := m[k]; ok {
			return v, true
		}
	}
	return 0, false
}

func allTasks(rs []*row) []string {
	set := map[string]bool{}
	for _, r := range rs {
		for t := range r.entries {
			set[t] = true
		}
	}
	var out []string
	for _, t := range MLIRTasks {
		if set[t.Name] {
			out = append(out, t.Name)
			delete(set, t.Name)
		}
	}
	return append(out, sortedKeys(set)...)
}

// mrc writes MRC@k per query language (the paper's Figure 4 as a table).
func (p *printer) mrc(rs []*row, key string) {
	for _, task := range allTasks(rs) {
		langSet := map[string]bool{}
		for _, r := range rs {
			if e, ok := r.entries[task]; ok && e.Extras != nil && len(e.Extras.Subsets) > 0 {
				for l := range e.Extras.Subsets[0].MRC[key] {
					langSet[l] = true
				}
			}
		}
		delete(langSet, "mean")
		if len(langSet) == 0 {
			continue
		}
		langs := sortedKeys(langSet)
		t := Table{Header: append(append([]string{"Model"}, langs...), "MRC"), Best: map[int]Best{}}
		for j := 1; j <= len(langs)+1; j++ {
			t.Best[j] = BestHigh
		}
		for _, r := range rs {
			e, ok := r.entries[task]
			if !ok || e.Extras == nil || len(e.Extras.Subsets) == 0 || e.Extras.Subsets[0].MRC[key] == nil {
				continue
			}
			m := e.Extras.Subsets[0].MRC[key]
			cells := []Cell{Txt(r.label)}
			for _, l := range append(langs, "mean") {
				if v, ok := m[l]; ok {
					cells = append(cells, Num(v, 2))
				} else {
					cells = append(cells, Missing)
				}
			}
			t.Rows = append(t.Rows, cells)
		}
		p.f("## %s: %s by query language\n\n", task, strings.ToUpper(strings.Replace(key, "_at_", "@", 1)))
		p.table(t)
	}
}

// geometry writes cross-lingual alignment and uniformity (lower is better).
func (p *printer) geometry(rs []*row) {
	t := Table{Header: []string{"Model", "Task", "Alignment ↓", "Uniformity ↓", "Main score"}, Best: map[int]Best{2: BestLow, 3: BestLow}}
	for _, task := range allTasks(rs) {
		for _, r := range rs {
			e, ok := r.entries[task]
			if !ok || e.Extras == nil || len(e.Extras.Subsets) == 0 {
				continue
			}
			s := e.Extras.Subsets[0]
			if s.Alignment == nil && s.Uniformity == nil {
				continue
			}
			cells := []Cell{Txt(r.label), Txt(task), Missing, Missing, Num(100*e.MainScore(), 2)}
			if s.Alignment != nil {
				cells[2] = Num(*s.Alignment, 4)
			}
			if s.Uniformity != nil {
				cells[3] = Num(*s.Uniformity, 4)
			}
			t.Rows = append(t.Rows, cells)
		}
	}
	if len(t.Rows) == 0 {
		return
	}
	p.f("## Cross-lingual alignment and uniformity\n\n")
	p.f("Alignment: mean squared distance between parallel documents in different languages. Uniformity: log mean exp(-2 d²) over document pairs. Lower is better for both (paper: InfoNCE alignment ≈ 0.83; XLCO/LaKDA ≈ 0.19 and -3.37; MIMO ≈ 0.15 and -3.57).\n\n")
	p.table(t)
}

// settings lists, per task, what changes scores, and marks what differs
// between the runs being compared.
func (p *printer) settings(rs []*row) {
	type col struct {
		name string
		get  func(Entry) string
	}
	cols := []col{
		{"Dataset revision", func(e Entry) string { return short(e.Result.DatasetRevision) }},
		{"Max length", func(e Entry) string {
			if e.Extras == nil || e.Extras.Settings.MaxLength == 0 {
				return "–"
			}
			return fmt.Sprint(e.Extras.Settings.MaxLength)
		}},
		{"Prompts", func(e Entry) string {
			if e.Extras == nil {
				return "–"
			}
			var parts []string
			for _, k := range sortedKeys(e.Extras.Settings.Prompts) {
				parts = append(parts, fmt.Sprintf("%s=%q", k, e.Extras.Settings.Prompts[k]))
			}
			if len(parts) == 0 {
				return "none"
			}
			return strings.Join(parts, " ")
		}},
		{"Dtype", func(e Entry) string {
			if e.Extras == nil || e.Extras.Settings.Dtype == "" {
				return "–"
			}
			return e.Extras.Settings.Dtype
		}},
		{"Batch", func(e Entry) string {
			if e.Extras == nil || e.Extras.Settings.BatchSize == 0 {
				return "–"
			}
			return fmt.Sprint(e.Extras.Settings.BatchSize)
		}},
	}
	var out bytes.Buffer
	for _, task := range allTasks(rs) {
		var es []Entry
		var labels []string
		for _, r := range rs {
			if e, ok := r.entries[task]; ok {
				es = append(es, e)
				labels = append(labels, r.label)
			}
		}
		if len(es) < 2 {
			continue
		}
		t := Table{Header: []string{"Model"}}
		var differ []string
		for _, c := range cols {
			vals := map[string]bool{}
			for _, e := range es {
				vals[c.get(e)] = true
			}
			h := c.name
			if len(vals) > 1 {
				h += " ⚠"
				differ = append(differ, strings.ToLower(c.name))
			}
			t.Header = append(t.Header, h)
		}
		for i, e := range es {
			cells := []Cell{Txt(labels[i])}
			for _, c := range cols {
				cells = append(cells, Txt(c.get(e)))
			}
			t.Rows = append(t.Rows, cells)
		}
		sub := &printer{w: &out}
		sub.f("### %s\n\n", task)
		if len(differ) > 0 {
			sub.f("⚠ The compared runs differ in %s: their scores are not strictly comparable.\n\n", strings.Join(differ, ", "))
		} else {
			sub.f("The compared runs agree on every recorded setting.\n\n")
		}
		sub.table(t)
		if sub.err != nil {
			p.err = sub.err
			return
		}
	}
	if out.Len() > 0 {
		p.f("## Run settings that change scores\n\n")
		if p.err == nil {
			_, p.err = p.w.Write(out.Bytes())
		}
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func short(s string) string {
	if s == "" {
		return "–"
	}
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// mlirAverage is a row's mean main score over the MLIR tasks it has (and how many).
func mlirAverage(r *row) (float64, int) {
	sum, n := 0.0, 0
	for _, t := range MLIRTasks {
		if e, ok := r.entries[t.Name]; ok && e.Extras != nil {
			sum += 100 * e.MainScore()
			n++
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return sum / float64(n), n
}

var _ = sort.Strings
