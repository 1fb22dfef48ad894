package reports

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// Figure is one figure written as SVG and PNG. Paths are relative to the
// report's folder.
type Figure struct {
	Title   string
	Caption string
	SVG     string
	PNG     string
	// Task is the task the figure is about ("" for several).
	Task string
	// Inline is the figure as SVG markup with hover values (<title>
	// elements), for the HTML page; empty for figures written to files.
	Inline string
}

var gray = color.Gray{Y: 170}

// lambdaRE finds a lambda value in a model name: "mimo-lambda0.2",
// "mimo_lambda=0.8", "lambda-1.0".
var lambdaRE = regexp.MustCompile(`(?i)lambda[=_-]?([01](?:\.[0-9]+)?)`)

// hover is a value shown when the pointer is over a point of an inline
// figure: at data coordinates (x, y), shifted dx along the x axis on the
// canvas (bars drawn beside their nominal position).
type hover struct {
	x, y float64
	dx   vg.Length
	text string
}

// figSpec is one figure the entries support: a gonum plot with its hover
// values, or (raw) SVG drawn directly.
type figSpec struct {
	name, title, caption, task string
	w, h                       vg.Length
	plot                       *plot.Plot
	hovers                     []hover
	raw                        string
}

// figureSpecs lists every figure the rows support, in the report's order.
func figureSpecs(rs []*row) []figSpec {
	var out []figSpec
	if p, caption, hs, ok := lambdaSweep(rs); ok {
		out = append(out, figSpec{name: "lambda_sweep", title: "Lambda sweep (Figure 2)", caption: caption, w: 5 * vg.Inch, h: 3.5 * vg.Inch, plot: p, hovers: hs})
	}
	for _, task := range allTasks(rs) {
		if p, hs, ok := alignUniformity(rs, task); ok {
			out = append(out, figSpec{name: "align_uniformity_" + slug(task), title: "Alignment vs uniformity: " + task + " (Figures 3 and 5)",
				caption: "Each point is a model; lower-left is better on both axes.", task: task, w: 5 * vg.Inch, h: 4 * vg.Inch, plot: p, hovers: hs})
		}
	}
	for _, task := range allTasks(rs) {
		if p, hs, ok := mrcRadar(rs, task, "mrc_at_10"); ok {
			out = append(out, figSpec{name: "mrc_radar_" + slug(task), title: "MRC@10 per query language: " + task + " (Figure 4)",
				caption: "A polygon closer to regular and larger means rankings more consistent across query languages.", task: task, w: 5 * vg.Inch, h: 5 * vg.Inch, plot: p, hovers: hs})
		}
	}
	for _, task := range allTasks(rs) {
		if p, hs, ok := langBars(rs, task); ok {
			out = append(out, figSpec{name: "by_query_lang_" + slug(task), title: "Main score by query language: " + task,
				caption: "Grouped by query language, one bar per model.", task: task, w: 7 * vg.Inch, h: 3.5 * vg.Inch, plot: p, hovers: hs})
		}
	}
	for _, task := range allTasks(rs) {
		if svg, k, ok := relevantFoundHeatmap(rs, task); ok {
			out = append(out, figSpec{name: "relevant_found_" + slug(task), title: "Relevant documents found by query and document language: " + task,
				caption: fmt.Sprintf("Share of the relevant documents in each document language (columns) found in the top %d, by query language (rows), one panel per model; darker is more.", k),
				task:    task, raw: svg})
		}
	}
	return out
}

// WriteFigures draws every figure the entries support into dir and returns
// them with paths relative to dir's parent (the report's folder).
func WriteFigures(entries []Entry, dir string) ([]Figure, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	var figs []Figure
	for _, fs := range figureSpecs(rows(entries)) {
		f := Figure{Title: fs.title, Caption: fs.caption, Task: fs.task}
		exts := []string{"svg", "png"}
		if fs.raw != "" {
			exts = exts[:1]
		}
		for _, ext := range exts {
			path := filepath.Join(dir, fs.name+"."+ext)
			if fs.raw != "" {
				if err := atomicfile.WriteFile(path, []byte(fs.raw), 0o644); err != nil {
					return nil, fmt.Errorf("figure %s: %w", path, err)
				}
			} else {
				tmp := filepath.Join(dir, "."+fs.name+".tmp."+ext)
				if err := fs.plot.Save(fs.w, fs.h, tmp); err != nil {
					os.Remove(tmp)
					return nil, fmt.Errorf("figure %s: %w", path, err)
				}
				if err := os.Rename(tmp, path); err != nil {
					return nil, fmt.Errorf("figure %s: %w", path, err)
				}
			}
			rel := filepath.ToSlash(filepath.Join(filepath.Base(dir), fs.name+"."+ext))
			if ext == "svg" {
				f.SVG = rel
			} else {
				f.PNG = rel
			}
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// InlineFigures draws every figure the entries support as SVG markup for
// the HTML page: the same plots WriteFigures saves, each data point
// carrying its value in a <title> (shown on hover).
func InlineFigures(entries []Entry) ([]Figure, error) {
	var figs []Figure
	for _, fs := range figureSpecs(rows(entries)) {
		f := Figure{Title: fs.title, Caption: fs.caption, Task: fs.task, Inline: fs.raw}
		if fs.raw == "" {
			svg, err := inlineSVG(fs)
			if err != nil {
				return nil, fmt.Errorf("figure %s: %w", fs.name, err)
			}
			f.Inline = svg
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// inlineSVG renders the plot with gonum's SVG canvas and adds, inside its
// flipped drawing group (canvas coordinates, origin bottom left), an
// invisible circle with a <title> at each hover point.
func inlineSVG(fs figSpec) (string, error) {
	c := vgsvg.New(fs.w, fs.h)
	dc := draw.New(c)
	fs.plot.Draw(dc)
	da := fs.plot.DataCanvas(dc)
	tx, ty := fs.plot.Transforms(&da)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	svg := buf.String()
	if i := strings.Index(svg, "<svg"); i >= 0 {
		svg = svg[i:] // drop the XML declaration and comment
	}
	end := strings.LastIndex(svg, "</g>")
	if end < 0 {
		return "", errors.New("vgsvg output has no drawing group")
	}
	var hs strings.Builder
	hs.WriteString(`<g class="hover">`)
	for _, h := range fs.hovers {
		x, y := tx(h.x)+h.dx, ty(h.y)
		fmt.Fprintf(&hs, `<circle cx="%.2f" cy="%.2f" r="6" fill="#000" fill-opacity="0" stroke="none"><title>%s</title></circle>`,
			x.Points(), y.Points(), html.EscapeString(h.text))
	}
	hs.WriteString("</g>\n")
	return svg[:end] + hs.String() + svg[end:], nil
}

func slug(s string) string {
	return strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(s, "_"))
}

// lambdaSweep plots the MLIR average (or, without MLIR tasks, the mean main
// score over the tasks each model has) against lambda.
func lambdaSweep(rs []*row) (*plot.Plot, string, []hover, bool) {
	type pt struct {
		lambda, score float64
		label         string
	}
	var pts []pt
	what := "MLIR average nDCG@20"
	anyMLIR := false
	for _, r := range rs {
		if _, n := mlirAverage(r); n > 0 {
			anyMLIR = true
		}
	}
	for _, r := range rs {
		m := lambdaRE.FindStringSubmatch(r.model)
		if m == nil {
			continue
		}
		l, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			continue
		}
		var s float64
		if anyMLIR {
			v, n := mlirAverage(r)
			if n == 0 {
				continue
			}
			s = v
		} else {
			sum := 0.0
			for _, e := range r.entries {
				sum += 100 * e.MainScore()
			}
			s = sum / float64(len(r.entries))
		}
		pts = append(pts, pt{l, s, r.label})
	}
	if len(pts) < 2 {
		return nil, "", nil, false
	}
	if !anyMLIR {
		what = "mean main score"
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].lambda < pts[j].lambda })
	xy := make(plotter.XYs, len(pts))
	var hs []hover
	for i, q := range pts {
		xy[i].X, xy[i].Y = q.lambda, q.score
		hs = append(hs, hover{x: q.lambda, y: q.score, text: fmt.Sprintf("%s: λ=%g, %s %.2f", q.label, q.lambda, what, q.score)})
	}
	p := plot.New()
	p.Title.Text = "Joint-loss weight λ"
	p.X.Label.Text = "λ (weight of the cross-lingual contrastive term)"
	p.Y.Label.Text = what
	p.Add(plotter.NewGrid())
	if err := plotutil.AddLinePoints(p, xy); err != nil {
		return nil, "", nil, false
	}
	return p, fmt.Sprintf("%s against λ over %d models (λ read from model names).", what, len(pts)), hs, true
}

func alignUniformity(rs []*row, task string) (*plot.Plot, []hover, bool) {
	var hs []hover
	p := plot.New()
	p.Title.Text = "Alignment vs uniformity: " + task
	p.X.Label.Text = "uniformity (lower is better)"
	p.Y.Label.Text = "cross-lingual alignment (lower is better)"
	p.Add(plotter.NewGrid())
	n := 0
	for _, r := range rs {
		e, ok := r.entries[task]
		if !ok || e.Extras == nil || len(e.Extras.Subsets) == 0 {
			continue
		}
		s := e.Extras.Subsets[0]
		if s.Alignment == nil || s.Uniformity == nil {
			continue
		}
		sc, err := plotter.NewScatter(plotter.XYs{{X: *s.Uniformity, Y: *s.Alignment}})
		if err != nil {
			return nil, nil, false
		}
		hs = append(hs, hover{x: *s.Uniformity, y: *s.Alignment,
			text: fmt.Sprintf("%s: uniformity %.4f, alignment %.4f, main score %.2f", r.label, *s.Uniformity, *s.Alignment, 100*e.MainScore())})
		sc.GlyphStyle.Radius = vg.Points(4)
		sc.GlyphStyle.Shape = plotutil.Shape(n)
		sc.GlyphStyle.Color = plotutil.Color(n)
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("%s (%.1f)", r.label, 100*e.MainScore()), sc)
		n++
	}
	if n == 0 {
		return nil, nil, false
	}
	p.Legend.Top = true
	padRange(&p.X.Min, &p.X.Max, 0.2)
	// Room above the points for the legend.
	d := p.Y.Max - p.Y.Min
	if d == 0 {
		d = math.Max(math.Abs(p.Y.Max), 0.1)
	}
	p.Y.Min -= 0.1 * d
	p.Y.Max += d * (0.15 + 0.12*float64(n))
	return p, hs, true
}

// padRange widens an axis so labels and single points fit.
func padRange(min, max *float64, frac float64) {
	d := *max - *min
	if d == 0 {
		d = math.Max(math.Abs(*max), 1) * 0.1
	}
	*min -= d * frac / 2
	*max += d * frac
}

func mrcRadar(rs []*row, task, key string) (*plot.Plot, []hover, bool) {
	var hs []hover
	type series struct {
		label string
		vals  map[string]float64
	}
	var ss []series
	langSet := map[string]bool{}
	for _, r := range rs {
		e, ok := r.entries[task]
		if !ok || e.Extras == nil || len(e.Extras.Subsets) == 0 || len(e.Extras.Subsets[0].MRC[key]) == 0 {
			continue
		}
		m := e.Extras.Subsets[0].MRC[key]
		ss = append(ss, series{r.label, m})
		for l := range m {
			if l != "mean" {
				langSet[l] = true
			}
		}
	}
	langs := sortedKeys(langSet)
	if len(ss) == 0 || len(langs) < 3 {
		return nil, nil, false
	}
	lo := 0.0
	for _, s := range ss {
		for _, l := range langs {
			lo = math.Min(lo, math.Floor(s.vals[l]/10)*10)
		}
	}
	hi := 100.0
	radius := func(v float64) float64 { return (v - lo) / (hi - lo) }
	angle := func(i int) float64 { return math.Pi/2 - 2*math.Pi*float64(i)/float64(len(langs)) }
	p := plot.New()
	p.Title.Text = "MRC@10 by query language: " + task
	p.HideAxes()
	// Rings and spokes.
	for _, frac := range []float64{0.25, 0.5, 0.75, 1} {
		ring := make(plotter.XYs, len(langs)+1)
		for i := range ring {
			a := angle(i % len(langs))
			ring[i] = plotter.XY{X: frac * math.Cos(a), Y: frac * math.Sin(a)}
		}
		ln, _ := plotter.NewLine(ring)
		ln.LineStyle.Color = gray
		ln.LineStyle.Width = vg.Points(0.4)
		ln.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(ln)
	}
	var spokeLabels plotter.XYLabels
	for i, l := range langs {
		a := angle(i)
		sp, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: math.Cos(a), Y: math.Sin(a)}})
		sp.LineStyle.Width = vg.Points(0.4)
		sp.LineStyle.Color = gray
		p.Add(sp)
		spokeLabels.XYs = append(spokeLabels.XYs, plotter.XY{X: 1.12 * math.Cos(a), Y: 1.12 * math.Sin(a)})
		spokeLabels.Labels = append(spokeLabels.Labels, l)
	}
	lb, _ := plotter.NewLabels(spokeLabels)
	for i := range lb.TextStyle {
		lb.TextStyle[i].XAlign = draw.XCenter
		lb.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(lb)
	for si, s := range ss {
		poly := make(plotter.XYs, len(langs)+1)
		for i := range poly {
			l := langs[i%len(langs)]
			rad := radius(s.vals[l])
			a := angle(i % len(langs))
			poly[i] = plotter.XY{X: rad * math.Cos(a), Y: rad * math.Sin(a)}
			if i < len(langs) {
				hs = append(hs, hover{x: poly[i].X, y: poly[i].Y, text: fmt.Sprintf("%s, %s: MRC@10 %.2f", s.label, l, s.vals[l])})
			}
		}
		ln, sc, err := plotter.NewLinePoints(poly)
		if err != nil {
			return nil, nil, false
		}
		ln.LineStyle.Color = plotutil.Color(si)
		ln.LineStyle.Width = vg.Points(1.5)
		sc.GlyphStyle.Color = plotutil.Color(si)
		sc.GlyphStyle.Radius = vg.Points(2)
		p.Add(ln, sc)
		p.Legend.Add(fmt.Sprintf("%s (%.1f)", s.label, s.vals["mean"]), ln, sc)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.X.Min, p.X.Max = -1.25, 1.25
	p.Y.Min, p.Y.Max = -1.2, 1.3+0.13*float64(len(ss))
	p.Title.Text += fmt.Sprintf("  (centre %.0f, rim 100)", lo)
	return p, hs, true
}

func langBars(rs []*row, task string) (*plot.Plot, []hover, bool) {
	var hs []hover
	langSet := map[string]bool{}
	var use []*row
	for _, r := range rs {
		e, ok := r.entries[task]
		if !ok || e.Extras == nil || len(e.Extras.Subsets) == 0 || len(e.Extras.Subsets[0].ByQueryLang) == 0 {
			continue
		}
		use = append(use, r)
		for l := range e.Extras.Subsets[0].ByQueryLang {
			if l != "all" {
				langSet[l] = true
			}
		}
	}
	langs := sortedKeys(langSet)
	if len(use) == 0 || len(langs) == 0 {
		return nil, nil, false
	}
	p := plot.New()
	p.Title.Text = "Main score by query language: " + task
	p.Y.Label.Text = "main score (x100)"
	p.Add(plotter.NewGrid())
	n := len(use)
	w := vg.Points(math.Max(3, math.Min(14, 300/float64(n*len(langs)))))
	maxVal := 0.0
	for i, r := range use {
		by := r.entries[task].Extras.Subsets[0].ByQueryLang
		vals := make(plotter.Values, len(langs))
		for j, l := range langs {
			v, _ := mainOf(by[l])
			vals[j] = 100 * v
			maxVal = math.Max(maxVal, vals[j])
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, nil, false
		}
		b.LineStyle.Width = 0
		b.Color = plotutil.Color(i)
		b.Offset = w * vg.Length(float64(i)-float64(n-1)/2)
		for j, l := range langs {
			hs = append(hs, hover{x: float64(j), y: vals[j], dx: b.Offset, text: fmt.Sprintf("%s, %s: %.2f", r.label, l, vals[j])})
		}
		p.Add(b)
		p.Legend.Add(r.label, b)
	}
	p.Legend.Top = true
	p.NominalX(langs...)
	p.Y.Min = 0
	// Leave room above the tallest bar for the legend.
	p.Y.Max = math.Max(maxVal, 1) / math.Max(0.3, 1-0.075*float64(n+1))
	return p, hs, true
}
