package reports

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
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
	// Baseline names the model the significance tables compare with every
	// other (a label, a model name, or its last part); empty: per task,
	// the model with the best main score.
	Baseline string
	// Draws and Seed set the paired randomisation tests (PairedTest);
	// 0: DefaultDraws, DefaultSeed.
	Draws int
	Seed  uint64
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
	if o.Draws == 0 {
		o.Draws = DefaultDraws
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
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

// only is the row with the entries keep accepts.
func (r *row) only(keep func(Entry) bool) *row {
	out := &row{label: r.label, model: r.model, entries: map[string]Entry{}}
	for t, e := range r.entries {
		if keep(e) {
			out.entries[t] = e
		}
	}
	return out
}

// Write loads the result folders, writes the Markdown report to out and its
// figures beside it. Problems (foreign or malformed files) are listed at the
// end of the report and returned; they are not fatal.
func Write(out string, dirs []string, opts Options) ([]Problem, error) {
	res, err := WriteResults(out, dirs, opts)
	return res.Problems, err
}

// WriteResults is Write, returning everything read (for a summary).
func WriteResults(out string, dirs []string, opts Options) (Results, error) {
	res, err := LoadResults(dirs...)
	if err != nil {
		return Results{}, err
	}
	opts = opts.withDefaults()
	figDir := opts.FiguresDir
	if !filepath.IsAbs(figDir) {
		figDir = filepath.Join(filepath.Dir(out), figDir)
	}
	var figs []Figure
	if !opts.NoFigures {
		figs, err = WriteFigures(res.Entries, figDir)
		if err != nil {
			return res, err
		}
	}
	var buf bytes.Buffer
	if err := RenderResults(&buf, res, figs, opts); err != nil {
		return res, err
	}
	return res, atomicfile.WriteFile(out, buf.Bytes(), 0o644)
}

// Render writes the Markdown report. figs are linked as they are given
// (their paths relative to the report's folder).
func Render(w io.Writer, entries []Entry, problems []Problem, figs []Figure, opts Options) error {
	return RenderResults(w, Results{Entries: entries, Problems: problems}, figs, opts)
}

// RenderResults is Render over everything LoadResults read, model_meta.json
// files included.
func RenderResults(w io.Writer, res Results, figs []Figure, opts Options) error {
	return Build(res, figs, opts).Markdown(w)
}

// Build makes the model of the report: every heading, paragraph, table and
// figure, in order, that both renderings (Markdown and HTML) show.
func Build(res Results, figs []Figure, opts Options) *Report {
	opts = opts.withDefaults()
	entries := res.Entries
	rs := rows(entries)
	p := &builder{}
	p.h(1, "%s", opts.Title)
	p.para("Scores are x100. Best per column in **bold**. %s.", res.Summary())

	var mimoRows, mtebRows []*row
	for _, r := range rs {
		if m := r.only(Entry.ByMimo); len(m.entries) > 0 {
			mimoRows = append(mimoRows, m)
		}
		if m := r.only(func(e Entry) bool { return !e.ByMimo() }); len(m.entries) > 0 {
			mtebRows = append(mtebRows, m)
		}
	}
	p.section()
	p.mlir(mimoRows)
	p.section()
	p.other(mimoRows)
	p.section()
	p.miracl(rs)
	p.section()
	p.mteb(mtebRows)
	p.section()
	p.paper(rs)
	p.section()
	p.byQueryLang(rs)
	p.section()
	p.mrc(rs, opts.MRCKey)
	p.section()
	p.crossSame(rs)
	p.section()
	p.significance(rs, opts)
	p.section()
	p.peer(rs)
	p.section()
	p.contamination(rs)
	p.section()
	p.geometry(rs)
	p.section()
	p.settings(rs)
	p.section()
	if len(figs) > 0 {
		p.h(2, "Figures")
		for i := range figs {
			p.task = figs[i].Task
			p.h(3, "%s", figs[i].Title)
			p.blocks = append(p.blocks, Block{Kind: BlockFigure, Figure: &figs[i], Task: p.task})
		}
		p.section()
	}
	p.files(res)
	p.section()
	if len(res.Problems) > 0 {
		p.h(2, "Skipped files")
		p.para("%s could not be read; each is named with the reason.", plural(len(res.Problems), "file"))
		var items []string
		for _, pr := range res.Problems {
			items = append(items, fmt.Sprintf("`%s`: %v", relTo(pr.Root, pr.Path), pr.Err))
		}
		p.blocks = append(p.blocks, Block{Kind: BlockList, Items: items})
	}
	return &Report{Title: opts.Title, Blocks: p.blocks, Models: modelLabels(rs), Tasks: allTasks(rs), Langs: queryLangs(rs)}
}

// Summary counts what was read: "39 task result files of 6 models at 10
// revisions (0 written by mimo, 39 by MTEB); 14 model_meta.json files, 4 of
// them in revision folders without task results; 0 files skipped".
func (res Results) Summary() string {
	models := map[string]bool{}
	revs := map[string]bool{}
	byMimo := 0
	for _, e := range res.Entries {
		models[e.Model] = true
		revs[e.Model+"\x00"+e.Revision] = true
		if e.ByMimo() {
			byMimo++
		}
	}
	s := fmt.Sprintf("%s of %s at %s (%d written by mimo, %d by MTEB)",
		plural(len(res.Entries), "task result file"), plural(len(models), "model"), plural(len(revs), "revision"),
		byMimo, len(res.Entries)-byMimo)
	if len(res.Metas) > 0 {
		s += fmt.Sprintf("; %s", plural(len(res.Metas), "model_meta.json file"))
		only := 0
		for _, m := range res.Metas {
			if m.TaskFiles == 0 {
				only++
			}
		}
		if only > 0 {
			s += fmt.Sprintf(", %d of them in revision folders without task results", only)
		}
	}
	s += fmt.Sprintf("; %s skipped", plural(len(res.Problems), "file"))
	if len(res.Problems) > 0 {
		s += " (listed at the end)"
	}
	return s
}

// builder collects the blocks of a report; task is the task the blocks
// being added are about ("" for none), which the HTML filters use.
type builder struct {
	blocks []Block
	task   string
}

// section starts a part of the report about no task in particular.
func (p *builder) section() { p.task = "" }

func (p *builder) h(level int, format string, args ...any) {
	p.blocks = append(p.blocks, Block{Kind: BlockHeading, Level: level, Text: fmt.Sprintf(format, args...), Task: p.task})
}

func (p *builder) para(format string, args ...any) {
	p.blocks = append(p.blocks, Block{Kind: BlockPara, Text: fmt.Sprintf(format, args...), Task: p.task})
}

func (p *builder) table(t Table) {
	p.blocks = append(p.blocks, Block{Kind: BlockTable, Table: &t, Task: p.task})
}

func isMLIR(task string) bool {
	for _, t := range MLIRTasks {
		if t.Name == task {
			return true
		}
	}
	return false
}

// metricsOf lists the distinct main metrics of the entries, in order.
func metricsOf(es []Entry) []string {
	var out []string
	for _, e := range es {
		if !slices.Contains(out, e.MainMetric) {
			out = append(out, e.MainMetric)
		}
	}
	return out
}

// mlir writes the main table: models x MLIR tasks with the average (the
// shape of the paper's Tables 2 and 8), for mimo's runs: the paper's
// setting (one corpus pooling every language). Files written by MTEB under
// the same task names score each language pair apart; they are in the MTEB
// section, never here.
func (p *builder) mlir(rs []*row) {
	var cols []int
	var colMetric []string
	for i, t := range MLIRTasks {
		var es []Entry
		for _, r := range rs {
			if e, ok := r.entries[t.Name]; ok {
				es = append(es, e)
			}
		}
		if len(es) > 0 {
			cols = append(cols, i)
			colMetric = append(colMetric, strings.Join(mapStrings(metricsOf(es), metricLabel), " / "))
		}
	}
	if len(cols) == 0 {
		return
	}
	uniform := true
	for _, m := range colMetric {
		uniform = uniform && m == colMetric[0]
	}
	if uniform {
		p.h(2, "MLIR, the paper's setting (mimo runs; main score %s)", colMetric[0])
	} else {
		p.h(2, "MLIR, the paper's setting (mimo runs; main score per column)")
	}
	p.para("One corpus pools every language of the task; queries in every language. Each cell is the file's main_score (%s), mean over the subsets of split test (else dev, else validation).",
		strings.Join(uniqueStrings(colMetric), ", "))
	t := Table{Header: []string{"Model"}, Best: map[int]Best{}, ColTask: map[int]string{}}
	for i, c := range cols {
		t.ColTask[i+1] = MLIRTasks[c].Name
		h := MLIRTasks[c].Short
		if !uniform {
			h += " (" + colMetric[i] + ")"
		}
		t.Header = append(t.Header, h)
	}
	t.Header = append(t.Header, "Avg", "Paper avg")
	marked := false
	for j := 1; j <= len(cols)+1; j++ {
		t.Best[j] = BestHigh
	}
	for _, r := range rs {
		cells := []Cell{Txt(r.label)}
		sum, n := 0.0, 0
		all20 := true
		for _, c := range cols {
			e, ok := r.entries[MLIRTasks[c].Name]
			if !ok {
				cells = append(cells, Missing)
				continue
			}
			v := 100 * e.MainScore()
			cells = append(cells, scoreCell(e, v))
			marked = marked || contaminated(e) > 0
			sum += v
			n++
			all20 = all20 && e.MainMetric == "ndcg_at_20"
		}
		if n == len(cols) && n > 0 && uniform {
			cells = append(cells, Num(sum/float64(n), 2))
		} else {
			cells = append(cells, Missing)
		}
		if pr, ok := PaperFor(r.model); ok && pr.MLIRAvg > 0 && all20 {
			cells = append(cells, Num(pr.MLIRAvg, 2))
		} else {
			cells = append(cells, Missing)
		}
		if n > 0 {
			t.Rows = append(t.Rows, cells)
		}
	}
	p.table(t)
	if marked {
		p.para("† some of the task's queries or documents were in the model's training texts (see Contamination).")
	}
	if len(cols) < len(MLIRTasks) {
		p.para("Avg is over the %d MLIR tasks shown; the paper's average (nDCG@20) is over all six.", len(cols))
	}
	if !uniform {
		p.para("The columns hold different metrics, so no average is taken.")
	}
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

func uniqueStrings(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// other writes mimo's runs of tasks that are neither MLIR nor MIRACL (mini,
// local ones).
func (p *builder) other(rs []*row) {
	set := map[string]bool{}
	for _, r := range rs {
		for task := range r.entries {
			if !isMLIR(task) && !isMIRACL(task) {
				set[task] = true
			}
		}
	}
	if len(set) == 0 {
		return
	}
	tasks := sortedKeys(set)
	p.h(2, "Other tasks (mimo runs, main score)")
	t := Table{Header: []string{"Model"}, Best: map[int]Best{}, ColTask: map[int]string{}}
	for j, task := range tasks {
		t.ColTask[j+1] = task
		var es []Entry
		for _, r := range rs {
			if e, ok := r.entries[task]; ok {
				es = append(es, e)
			}
		}
		t.Header = append(t.Header, task+" ("+strings.Join(mapStrings(metricsOf(es), metricLabel), " / ")+")")
		t.Best[j+1] = BestHigh
	}
	marked := false
	for _, r := range rs {
		cells := []Cell{Txt(r.label)}
		any := false
		for _, task := range tasks {
			if e, ok := r.entries[task]; ok {
				cells = append(cells, scoreCell(e, 100*e.MainScore()))
				marked = marked || contaminated(e) > 0
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
	if marked {
		p.para("† some of the task's queries or documents were in the model's training texts (see Contamination).")
	}
}

// miraclDataset is the dataset an entry of a MIRACL task was computed on:
// for mimo's runs the source its extras record, for MTEB's files the
// dataset of MTEB's task of that name.
func miraclDataset(e Entry) string {
	if e.ByMimo() && e.Extras.Settings.DatasetSource != "" {
		return e.Extras.Settings.DatasetSource
	}
	if t, ok := mtebTasks[e.Task]; ok {
		return t.Dataset
	}
	return e.Task
}

// miracl writes MIRACL per language (the paper's Table 4), one table per
// dataset: MTEB's MIRACLRetrieval (full corpus) and
// MIRACLRetrievalHardNegatives (the paper's) are different tasks.
func (p *builder) miracl(rs []*row) {
	type item struct {
		label, model string
		e            Entry
	}
	byDataset := map[string][]item{}
	for _, r := range rs {
		for _, task := range MIRACLTasks {
			if e, ok := r.entries[task]; ok {
				d := miraclDataset(e)
				byDataset[d] = append(byDataset[d], item{r.label, r.model, e})
			}
		}
	}
	datasets := sortedKeys(byDataset)
	slices.SortStableFunc(datasets, func(a, b string) int { // the paper's first
		return boolRank(a != MIRACLPaperDataset) - boolRank(b != MIRACLPaperDataset)
	})
	for _, d := range datasets {
		items := byDataset[d]
		var names []string
		for _, it := range items {
			n := "`" + it.e.Task + "` (" + strings.SplitN(it.e.Writer(), " ", 2)[0] + ")"
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		paper := d == MIRACLPaperDataset
		p.h(2, "MIRACL per language: %s (nDCG@10, split dev)", d)
		text := fmt.Sprintf("Rows: %s. Columns: the paper's ten languages (%s); Avg is their mean, shown only when all ten are in the file; Langs is the file's coverage of the task's 18 languages.",
			strings.Join(names, ", "), strings.Join(MIRACLLangs, " "))
		if paper {
			text += " This is the dataset of the paper's Table 4 (Paper avg)."
		} else {
			text += fmt.Sprintf(" The paper reports MIRACL on %s, not on this dataset: no paper column.", MIRACLPaperDataset)
		}
		p.para("%s", text)
		t := Table{Header: append([]string{"Model"}, MIRACLLangs...), Best: map[int]Best{}, ColLang: langCols(MIRACLLangs, 1)}
		t.Header = append(t.Header, "Avg", "Langs")
		if paper {
			t.Header = append(t.Header, "Paper avg")
		}
		for j := 1; j <= len(MIRACLLangs)+1; j++ {
			t.Best[j] = BestHigh
		}
		for _, it := range items {
			e := it.e
			label := it.label
			if len(names) > 1 {
				label += " (" + e.Task + ")"
			}
			cells := []Cell{Txt(label)}
			sum, n := 0.0, 0
			for _, l := range MIRACLLangs {
				v, ok := e.Score(l, "ndcg_at_10")
				if !ok {
					cells = append(cells, Missing)
					continue
				}
				cells = append(cells, Num(100*v, 2))
				sum += 100 * v
				n++
			}
			if n == len(MIRACLLangs) {
				cells = append(cells, Num(sum/float64(n), 2))
			} else {
				cells = append(cells, Missing)
			}
			if e.ByMimo() {
				cells = append(cells, Txt(plural(len(e.Subsets()), "lang")))
			} else {
				cells = append(cells, Txt(e.Coverage().String()))
			}
			if paper {
				if pr, ok := PaperFor(it.model); ok && pr.MIRACL > 0 {
					cells = append(cells, Num(pr.MIRACL, 2))
				} else {
					cells = append(cells, Missing)
				}
			}
			t.Rows = append(t.Rows, cells)
		}
		p.table(t)
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mteb writes the files MTEB wrote, one table per task, as MTEB scores
// them: main_score per subset (one language or language pair), averaged
// over the subsets and the task's eval splits (TaskResult.get_score). The
// metric is named from the task's definition and checked against the
// file; a file holding only some of the task's subsets says so and is not
// ranked with the whole ones.
func (p *builder) mteb(rs []*row) {
	set := map[string]bool{}
	for _, r := range rs {
		for task := range r.entries {
			set[task] = true
		}
	}
	if len(set) == 0 {
		return
	}
	var tasks []string
	for _, t := range MLIRTasks { // MTEB's tasks on the paper's data first, in its order
		if set[t.MTEB] {
			tasks = append(tasks, t.MTEB)
			delete(set, t.MTEB)
		}
	}
	tasks = append(tasks, sortedKeys(set)...)
	p.h(2, "Results written by MTEB, as MTEB scores them")
	p.para("MTEB's tasks of these names score every subset (one language, or one pair of query and corpus languages) on its own corpus: " +
		"they are not the paper's pooled MLIR tasks, and their numbers are not comparable with the MLIR table. " +
		"Main score: the mean of main_score over the file's subsets and splits, as MTEB's TaskResult.get_score computes it. " +
		"Subsets: the file's coverage of the task's subsets; a file that covers only some (marked *) is averaged over those only and never bolded.")
	for _, task := range tasks {
		var es []Entry
		var labels []string
		for _, r := range rs {
			if e, ok := r.entries[task]; ok {
				es = append(es, e)
				labels = append(labels, r.label)
			}
		}
		metrics := metricsOf(es)
		def, known := mtebTasks[task]
		p.task = task
		p.h(3, "%s", task)
		var notes []string
		if known {
			notes = append(notes, fmt.Sprintf("MTEB's main score for this task: %s; eval splits %s; %s.",
				metricLabel(def.MainScore), strings.Join(def.EvalSplits, " and "), plural(len(def.Subsets), "subset")))
		} else {
			notes = append(notes, "A task mimo does not know: its metric is inferred from the file and its full subset list is unknown.")
		}
		for i, e := range es {
			if e.MainMetricNote != "" && known {
				notes = append(notes, fmt.Sprintf("%s: %s.", labels[i], e.MainMetricNote))
			}
		}
		p.para("%s", strings.Join(notes, " "))
		mainHdr := "Main score"
		if len(metrics) == 1 {
			mainHdr += " (" + metricLabel(metrics[0]) + ")"
		}
		with20 := !(len(metrics) == 1 && metrics[0] == "ndcg_at_20")
		t := Table{Header: []string{"Model", "Subsets", "Splits", mainHdr}, Best: map[int]Best{3: BestHigh}}
		if len(metrics) > 1 {
			t.Header = append(t.Header, "Metric")
		}
		if with20 {
			t.Header = append(t.Header, "nDCG@20")
			t.Best[len(t.Header)-1] = BestHigh
		}
		t.Header = append(t.Header, "MTEB version", "Dataset revision")
		partial := false
		for i, e := range es {
			cov := e.Coverage()
			whole := cov.full()
			cell := func(v float64, ok bool) Cell {
				if !ok || math.IsNaN(v) {
					return Missing
				}
				c := Num(100*v, 2)
				if !whole {
					partial = true
					return Txt(c.Text + " *")
				}
				return c
			}
			cells := []Cell{Txt(labels[i]), Txt(cov.String()), Txt(strings.Join(e.Splits(), ", "))}
			v, ok := e.Mean("main_score")
			cells = append(cells, cell(v, ok))
			if len(metrics) > 1 {
				cells = append(cells, Txt(metricLabel(e.MainMetric)))
			}
			if with20 {
				v, ok := e.Mean("ndcg_at_20")
				cells = append(cells, cell(v, ok))
			}
			cells = append(cells, Txt(e.Result.MTEBVersion), Txt(short(e.Result.DatasetRevision)))
			t.Rows = append(t.Rows, cells)
		}
		p.table(t)
		if partial {
			p.para("\\* covers only some of the task's subsets or splits: the mean is over those only, not MTEB's score for the task.")
		}
		if with20 {
			p.para("nDCG@20: ndcg_at_20 of the file, averaged the same way (where every subset has it).")
		}
	}
}

// paper compares results with the published numbers where the model and
// task match. The paper's MLIR numbers are nDCG@20 on the pooled corpus:
// mimo's runs compare directly; a file written by MTEB compares only
// through its ndcg_at_20, averaged over MTEB's per-pair subsets, and says so.
func (p *builder) paper(rs []*row) {
	t := Table{Header: []string{"Model", "Paper row", "Task", "Ours (nDCG@20)", "Paper (nDCG@20)", "Δ", "Ours differs in"}}
	for _, r := range rs {
		pr, ok := PaperFor(r.model)
		if !ok {
			continue
		}
		for _, task := range MLIRTasks {
			want, pok := pr.MLIR[task.Name]
			if !pok {
				continue
			}
			for _, name := range []string{task.Name, task.MTEB} { // mimo's pooled run, then MTEB's per-pair file
				e, ok := r.entries[name]
				if !ok {
					continue
				}
				var ours float64
				var have bool
				if e.ByMimo() && e.MainMetric == "ndcg_at_20" {
					ours, have = 100*e.MainScore(), true
				} else if v, ok := e.Mean("ndcg_at_20"); ok {
					ours, have = 100*v, true
				}
				row := []Cell{Txt(r.label), Txt(pr.Name + " (" + pr.Source + ")"), Txt(task.Short)}
				if have {
					row = append(row, Num(ours, 2), Num(want, 2), Cell{Text: fmt.Sprintf("%+.2f", ours-want), Value: ours - want, IsNum: true})
				} else {
					row = append(row, Missing, Num(want, 2), Missing)
				}
				t.Rows = append(t.Rows, append(row, Txt(differsFromPaper(e, have))))
			}
		}
	}
	if len(t.Rows) == 0 {
		return
	}
	p.h(2, "Comparison with the paper's published numbers")
	p.table(t)
}

// differsFromPaper names what a run did differently from the paper's setup
// as tasks.md pins it and as the result records it.
func differsFromPaper(e Entry, have20 bool) string {
	var d []string
	if !e.ByMimo() {
		d = append(d, "MTEB's per-pair task (each language pair its own corpus, not pooled)")
		if have20 {
			d = append(d, "mean ndcg_at_20 over subsets "+e.Coverage().String())
		} else {
			d = append(d, "no ndcg_at_20 in the file: nothing to compare")
		}
	}
	if e.ByMimo() && e.MainMetric != "ndcg_at_20" {
		d = append(d, "main score is "+metricLabel(e.MainMetric))
	}
	if e.ByMimo() && len(e.Extras.Settings.Langs) > 0 {
		d = append(d, "languages "+strings.Join(e.Extras.Settings.Langs, ","))
	}
	if len(d) == 0 {
		return "–"
	}
	return strings.Join(d, "; ")
}

// files lists every task result file read, with its layout and what the
// report takes from it, and the revision folders that hold only a
// model_meta.json.
func (p *builder) files(res Results) {
	if len(res.Entries) == 0 && len(res.Metas) == 0 {
		return
	}
	p.h(2, "Files read")
	if len(res.Entries) > 0 {
		t := Table{Header: []string{"File", "Task", "Written by", "Layout", "Splits", "Subsets", "Main score is"}}
		es := slices.Clone(res.Entries)
		slices.SortStableFunc(es, func(a, b Entry) int { return strings.Compare(a.RelPath(), b.RelPath()) })
		for _, e := range es {
			layout := "current (MTEB ≥ 1.11)"
			if e.Layout == LayoutPre111 {
				layout = "before MTEB 1.11 (converted as MTEB does)"
			}
			var splits []string
			for _, sp := range splitOrder(sortedKeys(e.Result.Scores)) {
				splits = append(splits, fmt.Sprintf("%s (%d)", sp, len(e.Result.Scores[sp])))
			}
			metric := metricLabel(e.MainMetric)
			if e.MainMetricNote != "" {
				metric += " (" + e.MainMetricNote + ")"
			}
			cov := plural(len(e.Subsets()), "subset") + " (mimo's task)"
			if !e.ByMimo() {
				cov = e.Coverage().String()
			}
			t.Rows = append(t.Rows, []Cell{Txt(e.RelPath()), Txt(e.Task), Txt(e.Writer()), Txt(layout), Txt(strings.Join(splits, ", ")), Txt(cov), Txt(metric)})
		}
		p.table(t)
	}
	var only []string
	for _, m := range res.Metas {
		if m.TaskFiles == 0 {
			only = append(only, "`"+m.RelPath()+"`")
		}
	}
	if len(only) > 0 {
		sort.Strings(only)
		p.para("Revision folders with a model_meta.json and no task result (read, nothing to tabulate): %s.", strings.Join(only, ", "))
	}
}

// byQueryLang writes, per task, the main score by query language.
func (p *builder) byQueryLang(rs []*row) {
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
		t := Table{Header: append([]string{"Model"}, langs...), Best: map[int]Best{}, ColLang: langCols(langs, 1)}
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
		p.task = task
		p.h(2, "%s: main score by query language", task)
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
	for _, t := range MLIRTasks { // the paper's order: mimo's task, then MTEB's on the same data
		for _, name := range []string{t.Name, t.MTEB} {
			if set[name] {
				out = append(out, name)
				delete(set, name)
			}
		}
	}
	return append(out, sortedKeys(set)...)
}

// mrc writes MRC@k per query language (the paper's Figure 4 as a table).
func (p *builder) mrc(rs []*row, key string) {
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
		t := Table{Header: append(append([]string{"Model"}, langs...), "MRC"), Best: map[int]Best{}, ColLang: langCols(langs, 1)}
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
		p.task = task
		p.h(2, "%s: %s by query language", task, strings.ToUpper(strings.Replace(key, "_at_", "@", 1)))
		p.table(t)
	}
}

// geometry writes cross-lingual alignment and uniformity (lower is better).
func (p *builder) geometry(rs []*row) {
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
	p.h(2, "Cross-lingual alignment and uniformity")
	p.para("Alignment: mean squared distance between parallel documents in different languages. Uniformity: log mean exp(-2 d²) over document pairs. Lower is better for both (paper: InfoNCE alignment ≈ 0.83; XLCO/LaKDA ≈ 0.19 and -3.37; MIMO ≈ 0.15 and -3.57).")
	p.table(t)
}

// settings lists, per task, what changes scores, and marks what differs
// between the runs being compared.
func (p *builder) settings(rs []*row) {
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
	sub := &builder{}
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
		sub.task = task
		sub.h(3, "%s", task)
		if len(differ) > 0 {
			sub.para("⚠ The compared runs differ in %s: their scores are not strictly comparable.", strings.Join(differ, ", "))
		} else {
			sub.para("The compared runs agree on every recorded setting.")
		}
		sub.table(t)
	}
	if len(sub.blocks) > 0 {
		p.task = ""
		p.h(2, "Run settings that change scores")
		p.blocks = append(p.blocks, sub.blocks...)
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

// langCols maps column first+i to langs[i].
func langCols(langs []string, first int) map[int]string {
	m := make(map[int]string, len(langs))
	for i, l := range langs {
		m[first+i] = l
	}
	return m
}
