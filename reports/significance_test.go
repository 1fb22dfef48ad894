package reports

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/results"
)

// TestNumpyRNG pins the generator to numpy's, as recorded with numpy 1.24.2
// (/usr/bin/python3, Debian's python3-numpy):
//
//	g = np.random.default_rng(12345); g.bit_generator.random_raw(3)
//	g = np.random.default_rng(12345); g.integers(0, 2, size=40)
//	g = np.random.default_rng(2**40 + 7); g.bit_generator.random_raw(2)
func TestNumpyRNG(t *testing.T) {
	for _, c := range []struct {
		seed uint64
		want []uint64
	}{
		{12345, []uint64{0x3a32b18db2ffc19d, 0x51171315c9e4c4de, 0xcc2024823444efd9}},
		{1<<40 + 7, []uint64{0xd46e9e2034de21aa, 0x415badc99c087675}},
	} {
		t.Run(fmt.Sprint(c.seed), func(t *testing.T) {
			r := newNumpyRNG(c.seed)
			got := make([]uint64, len(c.want))
			for i := range got {
				got[i] = r.next64()
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("raw outputs (-numpy +go):\n%s", diff)
			}
		})
	}
	t.Run("integers(0,2)", func(t *testing.T) {
		r := newNumpyRNG(12345)
		var b strings.Builder
		for range 40 {
			fmt.Fprint(&b, r.next32()>>31)
		}
		if want := "1010011110101100011110111100000101000110"; b.String() != want {
			t.Errorf("bits\n go    %s\n numpy %s", b.String(), want)
		}
	})
}

// readPerQuery reads trec_eval -q lines ("measure qid value"), leaving out
// "all".
func readPerQuery(t *testing.T, path string) map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] == "all" {
			continue
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[f[1]] = v
	}
	return out
}

// TestPairedTestMatchesScript: PairedTest gives scripts/paired-test.py's
// differences and p-values on the same per-query scores
// (testdata/significance/README.md says how the script's output was
// made): the same printed digits (4 decimals), so agreement to 3.
func TestPairedTestMatchesScript(t *testing.T) {
	dir := filepath.Join("testdata", "significance")
	b, err := os.ReadFile(filepath.Join(dir, "script-output.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// "TaskA | close | +0.39 | 0.2943 |"
		f := strings.Split(line, "|")
		if len(f) != 5 {
			t.Fatalf("script output line %q", line)
		}
		task, other := strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
		wantDiff, wantP := strings.TrimSpace(f[2]), strings.TrimSpace(f[3])
		t.Run(task+"/"+other, func(t *testing.T) {
			a := readPerQuery(t, filepath.Join(dir, "pq.mimo."+task+".txt"))
			o := readPerQuery(t, filepath.Join(dir, "pq."+other+"."+task+".txt"))
			r := PairedTest(a, o, DefaultDraws, DefaultSeed)
			if got := fmt.Sprintf("%+.2f", 100*r.MeanDiff); got != wantDiff {
				t.Errorf("difference %s, script %s", got, wantDiff)
			}
			if got := FormatP(r.P); got != wantP {
				t.Errorf("p %s (%.6f), script %s", got, r.P, wantP)
			}
			if p, err := strconv.ParseFloat(wantP, 64); err == nil && math.Abs(p-r.P) >= 5e-4 {
				t.Errorf("p %.6f, script %s: not within 3 decimals", r.P, wantP)
			}
		})
		n++
	}
	if n != 10 {
		t.Errorf("%d script results, want 10", n)
	}
}

// TestPairedTestEdges: no common query gives no test; identical scores
// give p = 1; the test is symmetric in sign.
func TestPairedTestEdges(t *testing.T) {
	if r := PairedTest(map[string]float64{"a": 1}, map[string]float64{"b": 1}, 100, 1); r.N != 0 || !math.IsNaN(r.P) || FormatP(r.P) != "–" {
		t.Errorf("no common query: %+v", r)
	}
	a := map[string]float64{"q1": 0.5, "q2": 0.25, "q3": 1}
	if r := PairedTest(a, a, 1000, 1); r.P != 1 || r.MeanDiff != 0 {
		t.Errorf("identical: %+v", r)
	}
	b := map[string]float64{"q1": 0.1, "q2": 0.3, "q3": 0.2}
	ab, ba := PairedTest(a, b, 1000, 3), PairedTest(b, a, 1000, 3)
	if ab.P != ba.P || ab.MeanDiff != -ba.MeanDiff {
		t.Errorf("a-b %+v, b-a %+v", ab, ba)
	}
}

// TestPairedTestFullPrecision: beyond the printed digits, the count is
// numpy's: the script's loop, run with more digits printed
// ((count + 1) / 20001 for mimo against close on TaskA and TaskB, and
// against partial on TaskB: counts 5886, 2301, 2069).
func TestPairedTestFullPrecision(t *testing.T) {
	dir := filepath.Join("testdata", "significance")
	for _, c := range []struct {
		other, task string
		count       int
	}{{"close", "TaskA", 5886}, {"close", "TaskB", 2301}, {"partial", "TaskB", 2069}} {
		a := readPerQuery(t, filepath.Join(dir, "pq.mimo."+c.task+".txt"))
		o := readPerQuery(t, filepath.Join(dir, "pq."+c.other+"."+c.task+".txt"))
		if r, want := PairedTest(a, o, DefaultDraws, DefaultSeed), float64(c.count+1)/float64(DefaultDraws+1); r.P != want {
			t.Errorf("%s/%s: p %v, numpy %v", c.task, c.other, r.P, want)
		}
	}
}

// TestSignificanceTable: both renderings carry the significance table,
// against the named baseline, with the draws and seed recorded.
func TestSignificanceTable(t *testing.T) {
	dir := filepath.Join("testdata", "significance")
	entry := func(model, method string) Entry {
		pq := readPerQuery(t, filepath.Join(dir, "pq."+method+".TaskA.txt"))
		cross := map[string]float64{}
		sum := 0.0
		for q, v := range pq {
			cross[q] = v / 2
			sum += v
		}
		return Entry{Model: model, Revision: "r1", Task: "TaskA", MainMetric: "ndcg_at_20",
			Result: results.TaskResult{TaskName: "TaskA", Scores: map[string][]map[string]any{"test": {{"main_score": sum / float64(len(pq)), "ndcg_at_20": sum / float64(len(pq)), "hf_subset": "default"}}}},
			Extras: &results.Extras{TaskName: "TaskA", Model: model, Subsets: []results.SubsetExtras{{Split: "test", Subset: "default", PerQuery: pq,
				CrossLanguage: &results.LangScores{PerQuery: cross}}}}}
	}
	res := Results{Entries: []Entry{entry("org/far", "far"), entry("org/mimo-mini", "mimo"), entry("org/close", "close")}}
	rep := Build(res, nil, Options{Baseline: "mimo-mini"})
	var tab *Table
	for _, b := range rep.Blocks {
		if b.Kind == BlockTable && b.Task == "TaskA" && len(b.Table.Header) > 1 && b.Table.Header[1] == "Difference" {
			tab = b.Table
		}
	}
	if tab == nil {
		t.Fatal("no significance table")
	}
	var got [][]string
	for _, r := range tab.Rows {
		var line []string
		for _, c := range r {
			line = append(line, c.Text)
		}
		got = append(got, line)
	}
	// The script's values (testdata/significance/script-output.txt); the
	// cross-language scores are halved, so the differences halve.
	want := [][]string{
		{"org/far", "+10.13", "< 0.0001", "384", "+5.06", "< 0.0001", "384"},
		{"org/close", "+0.39", "0.2943", "384", "+0.20", "0.2943", "384"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("significance rows (-want +got):\n%s", diff)
	}
	var md, page strings.Builder
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.HTML(&page); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"markdown": md.String(), "html": page.String()} {
		for _, w := range []string{"TaskA: significance against org/mimo-mini", "20000 draws", "seeded 12345", "0.2943"} {
			if !strings.Contains(s, w) {
				t.Errorf("%s rendering lacks %q", name, w)
			}
		}
	}
}
