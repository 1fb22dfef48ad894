package reports

import (
	"bytes"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// The recipe's students (scripts/paper.sh), as its model names spell them,
// and the paper's four methods.
var (
	PaperStudents = []struct{ Key, Name string }{
		{"xlmr-large", "xlm-roberta-large"}, {"mmbert-base", "mmBERT-base"}, {"mmbert-base-cls", "mmBERT-base ([CLS] pooling)"},
	}
	PaperMethods = []struct{ Key, Name string }{{"infonce", "InfoNCE"}, {"xlco", "XLCO"}, {"lakda", "LaKDA"}, {"mimo", "MIMO"}}
)

// paperCells are the published cells of Tables 2, 3 and 9 (six MLIR tasks
// in MLIRTasks order, then the average) and Table 4 (MIRACLLangs, then the
// average), keyed "table/method/student".
var paperCells = map[string][]float64{
	"2/infonce/xlmr-large":      {35.86, 24.86, 42.47, 17.23, 36.83, 31.20, 31.41},
	"2/xlco/xlmr-large":         {74.02, 41.95, 77.50, 41.02, 46.99, 37.62, 53.18},
	"2/lakda/xlmr-large":        {73.90, 41.99, 77.54, 41.09, 46.20, 36.96, 52.95},
	"2/mimo/xlmr-large":         {84.18, 49.83, 86.05, 47.06, 55.40, 41.62, 60.69},
	"2/infonce/mmbert-base":     {31.45, 25.86, 39.92, 15.61, 40.19, 32.12, 30.86},
	"2/xlco/mmbert-base":        {70.70, 40.21, 76.00, 35.97, 45.28, 39.34, 51.25},
	"2/lakda/mmbert-base":       {70.79, 40.27, 75.94, 36.08, 44.84, 39.93, 51.31},
	"2/mimo/mmbert-base":        {80.27, 46.06, 83.18, 45.11, 50.51, 43.37, 58.08},
	"9/infonce/mmbert-base-cls": {29.85, 24.92, 38.03, 15.04, 39.21, 33.87, 30.15},
	"9/xlco/mmbert-base-cls":    {67.89, 38.51, 71.94, 34.63, 40.13, 34.41, 47.92},
	"9/lakda/mmbert-base-cls":   {68.13, 38.67, 72.21, 34.87, 40.72, 34.87, 48.24},
	"9/mimo/mmbert-base-cls":    {78.48, 44.61, 81.24, 44.72, 51.19, 41.78, 57.01},
	"3/mimo-stage1/xlmr-large":  {83.22, 45.26, 87.02, 40.70, 48.50, 39.88, 57.43},
	"3/mimo-stage2/xlmr-large":  {73.29, 41.10, 76.90, 40.24, 46.83, 38.29, 52.77},
	"3/mimo/xlmr-large":         {84.39, 49.86, 86.41, 46.99, 55.40, 41.62, 60.78},
	"4/infonce/xlmr-large":      {51.88, 33.75, 35.74, 39.20, 33.61, 36.86, 37.88, 39.01, 38.81, 36.44, 38.32},
	"4/xlco/xlmr-large":         {51.34, 37.95, 38.04, 39.46, 35.13, 37.49, 38.15, 40.41, 40.65, 41.28, 39.99},
	"4/lakda/xlmr-large":        {52.40, 38.56, 38.41, 39.72, 36.96, 37.98, 38.41, 41.10, 41.70, 41.09, 40.63},
	"4/mimo/xlmr-large":         {53.40, 43.81, 42.72, 43.10, 43.46, 41.19, 39.51, 44.11, 47.54, 42.78, 44.16},
	"4/infonce/mmbert-base":     {50.26, 35.16, 35.73, 39.73, 33.75, 36.15, 36.40, 40.58, 36.65, 34.29, 37.87},
	"4/xlco/mmbert-base":        {44.23, 37.54, 37.42, 38.78, 35.91, 29.94, 36.66, 39.71, 36.17, 38.26, 37.46},
	"4/lakda/mmbert-base":       {44.87, 37.59, 37.57, 39.26, 36.21, 30.76, 37.37, 39.95, 36.48, 38.40, 37.85},
	"4/mimo/mmbert-base":        {43.65, 40.28, 40.79, 41.38, 39.09, 31.78, 36.56, 40.26, 38.88, 42.46, 39.51},
}

// paperGeometry is Figure 5 as Appendix F's text gives it (approximate:
// alignment, uniformity; NaN where the text gives none).
var paperGeometry = map[string][2]float64{
	"infonce": {0.83, math.NaN()}, "xlco": {0.19, -3.37}, "lakda": {0.19, -3.37}, "mimo": {0.15, -3.57},
}

// PaperSetup says how the recipe named its models: METHOD-STUDENT+Suffix
// (mimo-xlmr-large, mimo-stage1-xlmr-large, mimo-lambda0.5-xlmr-large,
// infonce-mmbert-base-cls; Suffix "-mini" in miniature), and the lambdas
// of its sweep (0.2 is the mimo run itself).
type PaperSetup struct {
	Suffix  string
	Lambdas []float64
}

// paperIndex finds results by the recipe's model names (the last path
// component of the model, as mimo-eval names it after --name).
type paperIndex struct {
	byModel map[string]map[string]Entry
	extra   []string // evaluated tasks that are not the paper's six
	setup   PaperSetup
}

func newPaperIndex(res Results, s PaperSetup) *paperIndex {
	ix := &paperIndex{byModel: map[string]map[string]Entry{}, setup: s}
	paper := map[string]bool{}
	for _, t := range MLIRTasks {
		paper[t.Name] = true
	}
	seen := map[string]bool{}
	for _, e := range res.Entries {
		m := strings.ToLower(path.Base(e.Model))
		if ix.byModel[m] == nil {
			ix.byModel[m] = map[string]Entry{}
		}
		if _, dup := ix.byModel[m][e.Task]; !dup {
			ix.byModel[m][e.Task] = e
		}
		if !paper[e.Task] && !isMIRACL(e.Task) && !seen[e.Task] {
			seen[e.Task] = true
			ix.extra = append(ix.extra, e.Task)
		}
	}
	return ix
}

func (ix *paperIndex) entry(method, student, task string) (Entry, bool) {
	e, ok := ix.byModel[method+"-"+student+strings.ToLower(ix.setup.Suffix)][task]
	return e, ok
}

// cell is "ours (paper)", x100, "–" for what is missing.
func cell(ours, paper float64) Cell {
	o, p := FormatNum(ours, 2), FormatNum(paper, 2)
	if math.IsNaN(paper) {
		return Cell{Text: o, Value: ours, IsNum: !math.IsNaN(ours)}
	}
	return Cell{Text: o + " (" + p + ")", Value: ours, IsNum: !math.IsNaN(ours)}
}

// mlirRow is one row of Tables 2, 3 or 9: the six tasks and the average
// (ours over the six only when all six are there), then the extra tasks.
func (ix *paperIndex) mlirRow(label, table, method, student string) []Cell {
	pub, ok := paperCells[table+"/"+method+"/"+student]
	if !ok {
		pub = []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}
	}
	cells := []Cell{Txt(label)}
	sum, n := 0.0, 0
	for i, t := range MLIRTasks {
		v := math.NaN()
		if e, ok := ix.entry(method, student, t.Name); ok {
			v = 100 * e.MainScore()
			sum, n = sum+v, n+1
		}
		cells = append(cells, cell(v, pub[i]))
	}
	avg := math.NaN()
	if n == len(MLIRTasks) {
		avg = sum / float64(n)
	}
	cells = append(cells, cell(avg, pub[len(MLIRTasks)]))
	for _, t := range ix.extra {
		v := math.NaN()
		if e, ok := ix.entry(method, student, t); ok {
			v = 100 * e.MainScore()
		}
		cells = append(cells, cell(v, math.NaN()))
	}
	return cells
}

func (ix *paperIndex) mlirHeader(first string) []string {
	h := []string{first}
	for _, t := range MLIRTasks {
		h = append(h, t.Short)
	}
	h = append(h, "AVG")
	for _, t := range ix.extra {
		h = append(h, t+" (not in the paper)")
	}
	return h
}

// PaperTables is the report of scripts/paper.sh: the MIMO paper's Tables
// 2, 3, 4, 8 and 9 in the paper's shape, every cell "ours (paper)"
// (nDCG x100; "–" where a run or the published number is missing), and
// the numbers behind Figures 2-5 (the paper gives Figure 5's in its text
// only, and Figures 2-4 as plots: those columns are ours alone). Tasks
// evaluated that are not the paper's (the miniature's MiniMLIR) are extra
// columns.
func PaperTables(res Results, s PaperSetup, title string) *Report {
	ix := newPaperIndex(res, s)
	p := &builder{}
	p.h(1, "%s", title)
	p.para("Each cell: ours (the paper's). nDCG@20 x100 for MLIR, nDCG@10 x100 for MIRACL. Model names: METHOD-STUDENT%s (scripts/paper.sh).", s.Suffix)
	ix.table2(p)
	ix.table3(p)
	ix.table4(p)
	ix.table8(res, p)
	ix.table9(p)
	ix.figure2and3(p)
	ix.figure4(p)
	ix.figure5(p)
	return &Report{Title: title, Blocks: p.blocks}
}

func (ix *paperIndex) table2(p *builder) {
	t := Table{Header: append([]string{"Model"}, ix.mlirHeader("Method")...)}
	for _, st := range PaperStudents[:2] {
		for _, m := range PaperMethods {
			t.Rows = append(t.Rows, append([]Cell{Txt(st.Name)}, ix.mlirRow(m.Name, "2", m.Key, st.Key)...))
		}
	}
	p.h(2, "Table 2: MLIR nDCG@20")
	p.table(t)
}

func (ix *paperIndex) table3(p *builder) {
	t := Table{Header: ix.mlirHeader("Training (xlm-roberta-large)")}
	for _, r := range [][2]string{{"Stage 1 only", "mimo-stage1"}, {"Stage 2 only", "mimo-stage2"}, {"Stage 1 + Stage 2", "mimo"}} {
		t.Rows = append(t.Rows, ix.mlirRow(r[0], "3", r[1], "xlmr-large"))
	}
	p.h(2, "Table 3: training stages (nDCG@20)")
	p.para("The paper's Table 3 is transposed (tasks as rows); here its rows are the runs, as in Table 2.")
	p.table(t)
}

func (ix *paperIndex) table4(p *builder) {
	t := Table{Header: append(append([]string{"Model", "Method"}, MIRACLLangs...), "AVG")}
	for _, st := range PaperStudents[:2] {
		for _, m := range PaperMethods {
			pub := paperCells["4/"+m.Key+"/"+st.Key]
			e, ok := ix.entry(m.Key, st.Key, MIRACLTask)
			cells := []Cell{Txt(st.Name), Txt(m.Name)}
			sum, n := 0.0, 0
			for i, l := range MIRACLLangs {
				v := math.NaN()
				if ok {
					if x, has := e.Score(l, "ndcg_at_10"); has {
						v = 100 * x
						sum, n = sum+v, n+1
					}
				}
				cells = append(cells, cell(v, pub[i]))
			}
			avg := math.NaN()
			if n == len(MIRACLLangs) {
				avg = sum / float64(n)
			}
			t.Rows = append(t.Rows, append(cells, cell(avg, pub[len(MIRACLLangs)])))
		}
	}
	p.h(2, "Table 4: MIRACL (%s) nDCG@10", MIRACLTask)
	p.table(t)
}

// table8 lists the off-the-shelf rows of the paper (reports.Paper, Table
// 8) with whatever results name those models, and the recipe's MIMO.
func (ix *paperIndex) table8(res Results, p *builder) {
	t := Table{Header: ix.mlirHeader("Model")}
	for _, pr := range Paper {
		if pr.Source != "Table 8" {
			continue
		}
		var found map[string]Entry
		for _, e := range res.Entries {
			if r, ok := PaperFor(e.Model); ok && r.Name == pr.Name {
				found = ix.byModel[strings.ToLower(path.Base(e.Model))]
				break
			}
		}
		cells := []Cell{Txt(pr.Name)}
		sum, n := 0.0, 0
		for _, task := range MLIRTasks {
			v := math.NaN()
			if e, ok := found[task.Name]; ok {
				v = 100 * e.MainScore()
				sum, n = sum+v, n+1
			}
			cells = append(cells, cell(v, pr.MLIR[task.Name]))
		}
		avg := math.NaN()
		if n == len(MLIRTasks) {
			avg = sum / float64(n)
		}
		cells = append(cells, cell(avg, pr.MLIRAvg))
		for _, task := range ix.extra {
			v := math.NaN()
			if e, ok := found[task]; ok {
				v = 100 * e.MainScore()
			}
			cells = append(cells, cell(v, math.NaN()))
		}
		t.Rows = append(t.Rows, cells)
	}
	t.Rows = append(t.Rows, ix.mlirRow("MIMO (xlm-roberta-large)", "2", "mimo", "xlmr-large"))
	// Models evaluated that are neither the recipe's runs nor the paper's
	// (the miniature's teacher and lexical baseline): ours alone.
	for _, m := range sortedKeys(ix.byModel) {
		if ix.isRun(m) || paperModel(res, m) {
			continue
		}
		cells := []Cell{Txt(m + " (not in the paper)")}
		for _, task := range MLIRTasks {
			cells = append(cells, ix.score(m, task.Name))
		}
		cells = append(cells, Missing)
		for _, task := range ix.extra {
			cells = append(cells, ix.score(m, task))
		}
		t.Rows = append(t.Rows, cells)
	}
	p.h(2, "Table 8: off-the-shelf models (nDCG@20)")
	p.para("A paper row is ours when a result's model is the paper's (reports.PaperFor: the Hub id); the teacher row is the recipe's teacher only when it is that model.")
	p.table(t)
}

func (ix *paperIndex) table9(p *builder) {
	t := Table{Header: ix.mlirHeader("Method (mmBERT-base, [CLS] pooling)")}
	for _, m := range PaperMethods {
		t.Rows = append(t.Rows, ix.mlirRow(m.Name, "9", m.Key, "mmbert-base-cls"))
	}
	p.h(2, "Table 9: [CLS] pooling (nDCG@20)")
	p.table(t)
}

// geometryTask is where alignment, uniformity and MRC are read: Belebele
// (the paper's), else the first task of the runs that has them.
func (ix *paperIndex) geometryTask() string {
	tasks := append([]string{MLIRTasks[0].Name}, ix.extra...)
	for _, task := range tasks {
		for _, byTask := range ix.byModel {
			if e, ok := byTask[task]; ok && e.Extras != nil && len(e.Extras.Subsets) > 0 && e.Extras.Subsets[0].Alignment != nil {
				return task
			}
		}
	}
	return MLIRTasks[0].Name
}

func geometry(e Entry, ok bool) (align, unif float64) {
	align, unif = math.NaN(), math.NaN()
	if !ok || e.Extras == nil || len(e.Extras.Subsets) == 0 {
		return
	}
	if s := e.Extras.Subsets[0]; s.Alignment != nil {
		align = *s.Alignment
	}
	if s := e.Extras.Subsets[0]; s.Uniformity != nil {
		unif = *s.Uniformity
	}
	return
}

// lambdaKey is the recipe's method name of a lambda (0.2: "mimo").
func lambdaKey(l float64) string {
	if l == 0.2 {
		return "mimo"
	}
	return "mimo-lambda" + lambdaText(l)
}

// lambdaText writes a lambda as the recipe's LAMBDAS do: shortest form,
// at least one decimal ("0.0", "0.25", "1.0").
func lambdaText(l float64) string {
	s := strconv.FormatFloat(l, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func (ix *paperIndex) figure2and3(p *builder) {
	gt := ix.geometryTask()
	h := ix.mlirHeader("λ (xlm-roberta-large)")
	t := Table{Header: append(h, "Alignment ↓ ("+gt+")", "Uniformity ↓ ("+gt+")")}
	for _, l := range ix.setup.Lambdas {
		row := ix.mlirRow(lambdaText(l), "2", lambdaKey(l), "xlmr-large")
		if l != 0.2 { // the paper plots the sweep; only 0.2 is in a table (Table 2)
			for i := 1; i <= len(MLIRTasks)+1; i++ {
				row[i] = cell(row[i].Value, math.NaN())
				if !row[i].IsNum {
					row[i] = Missing
				}
			}
		}
		a, u := geometry(ix.entry(lambdaKey(l), "xlmr-large", gt))
		t.Rows = append(t.Rows, append(row, cell(a, math.NaN()), cell(u, math.NaN())))
	}
	p.h(2, "Figures 2 and 3: the λ sweep")
	p.para("MLIR nDCG@20 by λ (Figure 2; the paper prints only λ = 0.2, Table 2) and cross-lingual alignment and uniformity (Figure 3; the paper plots them on Belebele, without numbers).")
	p.table(t)
}

func (ix *paperIndex) figure4(p *builder) {
	gt := ix.geometryTask()
	langSet := map[string]bool{}
	for _, m := range PaperMethods {
		if e, ok := ix.entry(m.Key, "xlmr-large", gt); ok && e.Extras != nil && len(e.Extras.Subsets) > 0 {
			for l := range e.Extras.Subsets[0].MRC["mrc_at_10"] {
				langSet[l] = true
			}
		}
	}
	delete(langSet, "mean")
	langs := sortedKeys(langSet)
	t := Table{Header: append(append([]string{"Method (xlm-roberta-large)"}, langs...), "mean")}
	for _, m := range PaperMethods {
		cells := []Cell{Txt(m.Name)}
		e, ok := ix.entry(m.Key, "xlmr-large", gt)
		for _, l := range append(langs, "mean") {
			v := math.NaN()
			if ok && e.Extras != nil && len(e.Extras.Subsets) > 0 {
				if x, has := e.Extras.Subsets[0].MRC["mrc_at_10"][l]; has {
					v = x
				}
			}
			cells = append(cells, cell(v, math.NaN()))
		}
		t.Rows = append(t.Rows, cells)
	}
	p.h(2, "Figure 4: MRC@10 by query language (%s)", gt)
	p.para("x100 Spearman's rho; the paper draws these as a radar chart without numbers.")
	p.table(t)
}

func (ix *paperIndex) figure5(p *builder) {
	gt := ix.geometryTask()
	t := Table{Header: []string{"Method (xlm-roberta-large)", "Alignment ↓", "Uniformity ↓"}}
	for _, m := range PaperMethods {
		a, u := geometry(ix.entry(m.Key, "xlmr-large", gt))
		pg := paperGeometry[m.Key]
		t.Rows = append(t.Rows, []Cell{Txt(m.Name), cell(a, pg[0]), cell(u, pg[1])})
	}
	p.h(2, "Figure 5: alignment and uniformity (%s)", gt)
	p.para("Paper values as Appendix F's text gives them (≈; no uniformity for InfoNCE).")
	p.table(t)
	if len(ix.extra) > 0 {
		p.para("Tasks not in the paper: %s.", strings.Join(ix.extra, ", "))
	}
}

// WritePaperTables loads the results under dirs and writes PaperTables as
// Markdown to out, atomically.
func WritePaperTables(out string, dirs []string, s PaperSetup, title string) (Results, error) {
	res, err := LoadResults(dirs...)
	if err != nil {
		return res, err
	}
	var buf bytes.Buffer
	if err := PaperTables(res, s, title).Markdown(&buf); err != nil {
		return res, err
	}
	return res, atomicfile.WriteFile(out, buf.Bytes(), 0o644)
}

// ParseLambdas reads a comma-separated list of lambdas ("0.0,0.2,1.0").
func ParseLambdas(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 0 || v > 1 {
			return nil, fmt.Errorf("lambda %q: want a number from 0 to 1", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// isRun reports whether a model name is one of the recipe's runs.
func (ix *paperIndex) isRun(m string) bool {
	if !strings.HasSuffix(m, strings.ToLower(ix.setup.Suffix)) {
		return false
	}
	for _, st := range PaperStudents {
		if strings.Contains(m, "-"+st.Key) {
			return true
		}
	}
	return false
}

// paperModel reports whether a model (by its index name) is a paper row's.
func paperModel(res Results, m string) bool {
	for _, e := range res.Entries {
		if strings.ToLower(path.Base(e.Model)) == m {
			_, ok := PaperFor(e.Model)
			return ok
		}
	}
	return false
}

func (ix *paperIndex) score(m, task string) Cell {
	if e, ok := ix.byModel[m][task]; ok {
		return Num(100*e.MainScore(), 2)
	}
	return Missing
}
