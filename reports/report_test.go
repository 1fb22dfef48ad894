package reports

import (
	"bytes"
	"errors"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestReportGolden(t *testing.T) {
	entries, problems, err := Load("testdata/results")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 10 {
		t.Errorf("loaded %d entries, want 10 (4 models x 2 tasks + bge-m3's 2)", len(entries))
	}
	var buf bytes.Buffer
	figs := []Figure{{Title: "Example", Caption: "Caption.", SVG: "figures/x.svg", PNG: "figures/x.png"}}
	if err := Render(&buf, entries, problems, figs, Options{Title: "Golden report"}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("report differs from %s (-want +got):\n%s", golden, diff)
	}
}

func TestLoadReportsProblemsByName(t *testing.T) {
	_, problems, err := Load("testdata/results")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range problems {
		if !errors.Is(p.Err, ErrNotTaskResult) {
			t.Errorf("%s: error %v does not wrap ErrNotTaskResult", p.Path, p.Err)
		}
		got[filepath.Base(p.Path)] = true
	}
	for _, name := range []string{"XQuADRetrieval.json", "notes.json"} {
		if !got[name] {
			t.Errorf("problem file %s not reported; got %v", name, problems)
		}
	}
	if _, _, err := Load("testdata/no-such-folder"); err == nil {
		t.Error("a missing results folder must be an error")
	}
}

func TestWriteFigures(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.md")
	problems, err := Write(out, []string{"testdata/results"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 2 {
		t.Errorf("got %d problems, want 2", len(problems))
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lambda_sweep", "align_uniformity_belebelemlir", "mrc_radar_xquadmlir", "by_query_lang_belebelemlir"} {
		for _, ext := range []string{".svg", ".png"} {
			rel := "figures/" + name + ext
			if !strings.Contains(string(md), rel) {
				t.Errorf("report does not link %s", rel)
			}
			b, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				t.Errorf("figure missing: %v", err)
				continue
			}
			if ext == ".png" {
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Errorf("%s: %v", rel, err)
				} else if img.Bounds().Dx() < 300 {
					t.Errorf("%s: width %d", rel, img.Bounds().Dx())
				}
			} else if !strings.Contains(string(b), "<svg") {
				t.Errorf("%s is not SVG", rel)
			}
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "figures", ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestPaperFor(t *testing.T) {
	for _, tc := range []struct {
		model, want string
	}{
		{"BAAI/bge-m3", "bge-m3"},
		{"intfloat/multilingual-e5-large", "multilingual-e5-large"},
		{"intfloat/multilingual-e5-large-instruct", "multilingual-e5-large-instruct"},
		{"me/mimo-mmbert-base-cls", "MIMO, mmBERT-base (cls)"},
		{"me/mimo-mmbert-base", "MIMO, mmBERT-base"},
		{"someone/multilingual-e5-large-finetuned", ""},
		{"lexical", ""},
	} {
		t.Run(tc.model, func(t *testing.T) {
			r, ok := PaperFor(tc.model)
			if tc.want == "" {
				if ok {
					t.Errorf("matched %q, want no match", r.Name)
				}
				return
			}
			if !ok || r.Name != tc.want {
				t.Errorf("got %q (%v), want %q", r.Name, ok, tc.want)
			}
		})
	}
}

func TestTableBoldsBestAsShown(t *testing.T) {
	tb := Table{Header: []string{"Model", "Score", "Loss"}, Best: map[int]Best{1: BestHigh, 2: BestLow},
		Rows: [][]Cell{
			{Txt("a"), Num(50.004, 2), Num(0.2, 2)},
			{Txt("b"), Num(49.996, 2), Num(0.1, 2)}, // shows 50.00 too: a tie
			{Txt("c|d"), Missing, Num(0.3, 2)},
		}}
	var buf bytes.Buffer
	if err := tb.Render(&buf); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"**50.00**", "**0.10**", `c\|d`} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "**50.00**") != 2 {
		t.Errorf("both displayed 50.00 should be bold:\n%s", got)
	}
	if strings.Contains(got, "**0.20**") || strings.Contains(got, "**0.30**") {
		t.Errorf("only the lowest loss is bold:\n%s", got)
	}
}

func TestFormatNum(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		d    int
		want string
	}{{1.005, 2, "1.00"}, {-0.0001, 2, "0.00"}, {84.175, 2, "84.17"}, {-3.5712, 4, "-3.5712"}} {
		if got := FormatNum(tc.v, tc.d); got != tc.want {
			t.Errorf("FormatNum(%v, %d) = %q, want %q", tc.v, tc.d, got, tc.want)
		}
	}
}

// TestLegacyMimoNames: a file mimo wrote under MTEB's name before the
// rename (extras beside it) is read as the paper's task of the new name;
// an MTEB file of that name stays MTEB's task.
func TestLegacyMimoNames(t *testing.T) {
	root := t.TempDir()
	src := "testdata/results/mimo-mini__infonce/v1"
	rev := filepath.Join(root, "mimo-mini__infonce", "v1")
	for _, p := range []struct{ from, to string }{
		{"XQuADMLIR.json", "XQuADRetrieval.json"}, {"mimo/XQuADMLIR.json", "mimo/XQuADRetrieval.json"}, {"model_meta.json", "model_meta.json"},
	} {
		b, err := os.ReadFile(filepath.Join(src, p.from))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte(`"XQuADMLIR"`), []byte(`"XQuADRetrieval"`))
		if err := os.MkdirAll(filepath.Dir(filepath.Join(rev, p.to)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rev, p.to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := LoadResults(root, "testdata/results/BAAI__bge-m3")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range res.Entries {
		got[e.Model+" "+filepath.Base(e.Path)] = e.Task
	}
	want := map[string]string{
		"mimo-mini/infonce XQuADRetrieval.json": "XQuADMLIR",
		"BAAI/bge-m3 BelebeleRetrieval.json":    "BelebeleRetrieval",
		"BAAI/bge-m3 MIRACLRetrieval.json":      "MIRACLRetrieval",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tasks read (-want +got):\n%s", d)
	}
}
