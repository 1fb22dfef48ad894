package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

//go:embed html/page.tmpl
var pageTmpl string

//go:embed html/page.css
var pageCSS string

//go:embed html/page.js
var pageJS string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"inline": inlineHTML,
	"svg":    func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // drawn by figures.go, every text escaped
	"lower":  strings.ToLower,
}).Parse(pageTmpl))

// WriteHTML loads the result folders and writes the report as one
// self-contained HTML page (styles, script and figures inline; nothing
// fetched). Problems are listed on the page and returned.
func WriteHTML(out string, dirs []string, opts Options) (Results, error) {
	res, err := LoadResults(dirs...)
	if err != nil {
		return Results{}, err
	}
	opts = opts.withDefaults()
	var figs []Figure
	if !opts.NoFigures {
		if figs, err = InlineFigures(res.Entries); err != nil {
			return res, err
		}
	}
	var buf bytes.Buffer
	if err := Build(res, figs, opts).HTML(&buf); err != nil {
		return res, err
	}
	return res, atomicfile.WriteFile(out, buf.Bytes(), 0o644)
}

// htmlCell is one cell as the page shows it.
type htmlCell struct {
	Text  string
	Value string // the number, for sorting ("" for text)
	Bold  bool
	Task  string
	Lang  string
}

type htmlTable struct {
	ID     int
	Header []htmlCell
	Rows   []htmlRow
}

type htmlRow struct {
	Model string
	Cells []htmlCell
}

type htmlBlock struct {
	Block
	Table *htmlTable
}

type htmlPage struct {
	Title                string
	Blocks               []htmlBlock
	Models, Tasks, Langs []string
	CSS                  template.CSS
	JS                   template.JS
}

// HTML writes the report as one self-contained page: the same blocks as
// Markdown, tables sortable by any column, filters by task, query language
// and model, figures inline.
func (r *Report) HTML(w io.Writer) error {
	pg := htmlPage{Title: r.Title, Models: r.Models, Tasks: r.Tasks, Langs: r.Langs,
		CSS: template.CSS(pageCSS), JS: template.JS(pageJS)} //nolint:gosec // our own embedded files
	n := 0
	for _, b := range r.Blocks {
		hb := htmlBlock{Block: b}
		if b.Kind == BlockTable {
			n++
			hb.Table = htmlTableOf(b.Table, n)
		}
		pg.Blocks = append(pg.Blocks, hb)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, pg); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func htmlTableOf(t *Table, id int) *htmlTable {
	ht := &htmlTable{ID: id}
	for j, h := range t.Header {
		ht.Header = append(ht.Header, htmlCell{Text: h, Task: t.ColTask[j], Lang: t.ColLang[j]})
	}
	bold := t.bestCells()
	modelCol := len(t.Header) > 0 && strings.HasPrefix(t.Header[0], "Model")
	for i, r := range t.Rows {
		hr := htmlRow{}
		if modelCol && len(r) > 0 {
			hr.Model = r[0].Text
		}
		for j := range t.Header {
			c := Missing
			if j < len(r) {
				c = r[j]
			}
			hc := htmlCell{Text: c.Text, Bold: bold[[2]int{i, j}], Task: t.ColTask[j], Lang: t.ColLang[j]}
			if c.IsNum && !math.IsNaN(c.Value) && !math.IsInf(c.Value, 0) {
				hc.Value = strconv.FormatFloat(shown(c), 'g', -1, 64)
			}
			hr.Cells = append(hr.Cells, hc)
		}
		ht.Rows = append(ht.Rows, hr)
	}
	return ht
}

var (
	codeRE = regexp.MustCompile("`([^`]*)`")
	boldRE = regexp.MustCompile(`\*\*([^*]+)\*\*`)
)

// inlineHTML renders the Markdown inline text of a block: code spans,
// bold and the escaped star; everything else is escaped.
func inlineHTML(s string) template.HTML {
	s = template.HTMLEscapeString(strings.ReplaceAll(s, `\*`, "*"))
	s = codeRE.ReplaceAllString(s, "<code>$1</code>")
	s = boldRE.ReplaceAllString(s, "<b>$1</b>")
	return template.HTML(s) //nolint:gosec // escaped above
}
