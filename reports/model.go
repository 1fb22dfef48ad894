package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Report is the model of a report: the blocks (headings, paragraphs,
// tables, figures, lists) in the order both renderings show them, and the
// models, tasks and query languages the HTML page filters by. Markdown and
// HTML are two renderings of one Report, so they show the same numbers.
type Report struct {
	Title  string
	Blocks []Block
	Models []string // row labels, in table order
	Tasks  []string // task names, the paper's order first
	Langs  []string // query languages any per-language table shows
}

// BlockKind says what a Block holds.
type BlockKind int

const (
	BlockHeading BlockKind = iota
	BlockPara
	BlockTable
	BlockFigure
	BlockList
)

// Block is one element of a report. Text is Markdown inline text (code in
// backticks, **bold**, \* for a literal star): the HTML rendering converts
// those three and escapes the rest.
type Block struct {
	Kind   BlockKind
	Level  int // headings: 1 to 3
	Text   string
	Table  *Table
	Figure *Figure
	Items  []string // lists
	// Task is the task the block is about, "" when none (or several).
	Task string
}

// Markdown writes the report as GitHub Markdown.
func (r *Report) Markdown(w io.Writer) error {
	ew := &errWriter{w: w}
	for _, b := range r.Blocks {
		switch b.Kind {
		case BlockHeading:
			ew.f("%s %s\n\n", strings.Repeat("#", b.Level), b.Text)
		case BlockPara:
			ew.f("%s\n\n", b.Text)
		case BlockTable:
			if ew.err == nil {
				if ew.err = b.Table.Render(ew.w); ew.err == nil {
					ew.f("\n")
				}
			}
		case BlockFigure:
			f := b.Figure
			if f.SVG == "" {
				continue // an inline-only figure (HTML)
			}
			links := fmt.Sprintf("[SVG](%s)", f.SVG)
			if f.PNG != "" {
				links += fmt.Sprintf(", [PNG](%s)", f.PNG)
			}
			ew.f("![%s](%s)\n\n%s (%s)\n\n", f.Title, f.SVG, f.Caption, links)
		case BlockList:
			for _, it := range b.Items {
				ew.f("- %s\n", it)
			}
			ew.f("\n")
		}
	}
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) f(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

// Tables returns the report's tables in order.
func (r *Report) Tables() []*Table {
	var out []*Table
	for _, b := range r.Blocks {
		if b.Kind == BlockTable {
			out = append(out, b.Table)
		}
	}
	return out
}

// bestCells marks the cells shown bold: per column with a Best, the best
// value as displayed (equal displayed values tie), when at least two rows
// have a number there.
func (t Table) bestCells() map[[2]int]bool {
	out := map[[2]int]bool{}
	for col, b := range t.Best {
		if b == BestNone {
			continue
		}
		best, n := math.NaN(), 0
		for _, r := range t.Rows {
			if col >= len(r) || !r[col].IsNum || math.IsNaN(r[col].Value) {
				continue
			}
			v := shown(r[col])
			n++
			if math.IsNaN(best) || b == BestHigh && v > best || b == BestLow && v < best {
				best = v
			}
		}
		if n < 2 { // a lone value is not "best" of anything
			continue
		}
		for i, r := range t.Rows {
			if col < len(r) && r[col].IsNum && shown(r[col]) == best {
				out[[2]int{i, col}] = true
			}
		}
	}
	return out
}

func modelLabels(rs []*row) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.label
	}
	return out
}

// queryLangs are the query languages of every per-language measure.
func queryLangs(rs []*row) []string {
	set := map[string]bool{}
	for _, r := range rs {
		for _, e := range r.entries {
			if e.Extras == nil {
				continue
			}
			for _, s := range e.Extras.Subsets {
				for l := range s.ByQueryLang {
					set[l] = true
				}
			}
		}
		for _, task := range MIRACLTasks {
			if _, ok := r.entries[task]; ok {
				for _, l := range MIRACLLangs {
					set[l] = true
				}
			}
		}
	}
	delete(set, "all")
	return sortedKeys(set)
}
