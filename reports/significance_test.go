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
