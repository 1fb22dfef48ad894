package reports

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Best says which end of a column is best.
type Best int

const (
	BestNone Best = iota
	BestHigh
	BestLow
)

// Table is a Markdown table under construction: a header and rows of
// cells; numeric cells are kept as numbers so the best per column can be
// bolded, as the paper does.
type Table struct {
	Header []string
	Rows   [][]Cell
	// Best per column index (columns not listed are not bolded).
	Best map[int]Best
	// ColTask and ColLang name, per column index, the task or the query
	// language the column holds (absent: none). The HTML page's filters
	// hide columns by them; the Markdown rendering ignores them.
	ColTask map[int]string
	ColLang map[int]string
}

// Cell is a text or a number.
type Cell struct {
	Text  string
	Value float64
	IsNum bool
}

// Txt makes a text cell.
func Txt(s string) Cell { return Cell{Text: s} }

// Num makes a numeric cell shown with the given decimals.
func Num(v float64, decimals int) Cell {
	return Cell{Text: FormatNum(v, decimals), Value: v, IsNum: true}
}

// Missing is the cell for a value that does not exist.
var Missing = Cell{Text: "–"}

// FormatNum formats numbers consistently: fixed decimals, "–" for NaN.
func FormatNum(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	s := fmt.Sprintf("%.*f", decimals, v)
	if s == "-"+fmt.Sprintf("%.*f", decimals, 0.0) {
		s = s[1:]
	}
	return s
}

// Render writes the table as GitHub Markdown with tablewriter.
func (t Table) Render(w io.Writer) error {
	rows := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		rows[i] = make([]string, len(t.Header))
		for j := range t.Header {
			if j < len(r) {
				rows[i][j] = escape(r[j].Text)
			}
		}
	}
	for c := range t.bestCells() {
		rows[c[0]][c[1]] = "**" + rows[c[0]][c[1]] + "**"
	}
	// Numbers align right, text left.
	aligns := make([]tw.Align, len(t.Header))
	for j := range aligns {
		aligns[j] = tw.AlignLeft
		for _, r := range t.Rows {
			if j > 0 && j < len(r) && r[j].IsNum {
				aligns[j] = tw.AlignRight
				break
			}
		}
	}
	var buf bytes.Buffer
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithAlignment(aligns),
	)
	header := make([]any, len(t.Header))
	for i, h := range t.Header {
		header[i] = escape(h)
	}
	tbl.Header(header...)
	for _, r := range rows {
		cells := make([]any, len(r))
		for i, c := range r {
			cells[i] = c
		}
		if err := tbl.Append(cells...); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func shown(c Cell) float64 {
	var v float64
	if _, err := fmt.Sscanf(c.Text, "%g", &v); err != nil {
		return c.Value
	}
	return v
}

func escape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
