package reports

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// mdTables reads back every table of a Markdown report: header and rows of
// cell texts (bold marks and escapes removed).
func mdTables(md string) [][][]string {
	var out [][][]string
	var cur [][]string
	sep := regexp.MustCompile(`^\|[:\-| ]+\|$`)
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			if cur != nil {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		if sep.MatchString(line) {
			continue
		}
		line = strings.ReplaceAll(line, `\|`, "\x00")
		parts := strings.Split(strings.Trim(line, "|"), "|")
		row := make([]string, len(parts))
		for i, p := range parts {
			p = strings.TrimSpace(strings.ReplaceAll(p, "\x00", "|"))
			row[i] = strings.TrimSuffix(strings.TrimPrefix(p, "**"), "**")
		}
		cur = append(cur, row)
	}
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// htmlTables reads back every table.report of the page, and checks every
// src and href on the way.
func htmlTables(t *testing.T, page string) [][][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out [][][]string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				if k == "src" || k == "href" || strings.HasSuffix(k, ":href") || k == "srcset" {
					if !strings.HasPrefix(a.Val, "#") {
						t.Errorf("<%s %s=%q>: the page must fetch nothing", n.Data, a.Key, a.Val)
					}
				}
			}
			if n.Data == "link" || n.Data == "iframe" || n.Data == "img" {
				t.Errorf("<%s> in a self-contained page", n.Data)
			}
			if n.Data == "table" {
				var tbl [][]string
				var rows func(*html.Node)
				rows = func(n *html.Node) {
					if n.Type == html.ElementNode && n.Data == "tr" {
						var r []string
						for c := n.FirstChild; c != nil; c = c.NextSibling {
							if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
								r = append(r, text(c))
							}
						}
						tbl = append(tbl, r)
						return
					}
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						rows(c)
					}
				}
				rows(n)
				out = append(out, tbl)
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// The page and the Markdown report come from one model and show the same
// tables, cell for cell; the page is self-contained.
func TestHTMLSameNumbersAsMarkdown(t *testing.T) {
	res, err := LoadResults("testdata/results")
	if err != nil {
		t.Fatal(err)
	}
	figs, err := InlineFigures(res.Entries)
	if err != nil {
		t.Fatal(err)
	}
	rep := Build(res, figs, Options{Title: "Parity"})
	var md, page bytes.Buffer
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.HTML(&page); err != nil {
		t.Fatal(err)
	}
	mt, ht := mdTables(md.String()), htmlTables(t, page.String())
	if len(mt) < 10 {
		t.Fatalf("only %d Markdown tables", len(mt))
	}
	if diff := cmp.Diff(mt, ht); diff != "" {
		t.Errorf("HTML tables differ from the Markdown ones (-md +html):\n%s", diff)
	}
	p := page.String()
	for _, want := range []string{
		"<svg", "<title>mimo-mini/mimo-lambda0.2, ar: 75.00</title>", // a hover value of the bars
		"queries in ar, documents in de", // the heatmap
		`<th data-col="2" data-task="XQuADMLIR"`, `data-lang="ar"`, `tr data-model="mimo-mini/infonce"`,
		`<select id="f-task">`, `<select id="f-lang">`, `<select id="f-model">`,
		"Same − cross", "PEER@20", "30.00 †",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "//cdn"} {
		for _, line := range strings.Split(p, "\n") {
			if strings.Contains(line, bad) && !strings.Contains(line, "xmlns") {
				t.Errorf("page names a URL: %.200s", line)
			}
		}
	}
	// Bold best cells are the same in both.
	if strings.Count(md.String(), "**75.00**") == 0 || strings.Count(p, "<b>75.00</b>") != strings.Count(md.String(), "**75.00**") {
		t.Errorf("bold 75.00: %d in Markdown, %d in HTML", strings.Count(md.String(), "**75.00**"), strings.Count(p, "<b>75.00</b>"))
	}
}

func TestInlineHTML(t *testing.T) {
	for in, want := range map[string]string{
		"`a<b>` and **c**": "<code>a&lt;b&gt;</code> and <b>c</b>",
		`\* covers`:        "* covers",
		"x & y":            "x &amp; y",
	} {
		if got := string(inlineHTML(in)); got != want {
			t.Errorf("inlineHTML(%q) = %q, want %q", in, got, want)
		}
	}
}
