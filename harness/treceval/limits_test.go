package treceval

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mimo-mlir/mimo/internal/lines"
)

// allMeasures is every measure the package implements, with cutoffs.
var allMeasures = []string{
	"official", "ndcg", "ndcg_cut.1,3,5,10", "recall.5,100", "map_cut.1,3,10",
	"success.1,3,10", "P.1,3,32", "recip_rank", "runid", "num_q",
}

// TestHugeRelevanceIsCountedSparsely pins issue 12 item 8: a relevance of
// 1e9 made Compute allocate one counter per level (8 GB), and the largest
// value trec_eval can score, 2^31-1, would have needed 16 GB. Relevance
// levels are now counted sparsely, so the allocation does not depend on
// the relevance values; the ndcg values are checked against the formula
// trec_eval evaluates (gain = relevance level).
func TestHugeRelevanceIsCountedSparsely(t *testing.T) {
	for _, rel := range []int64{1e8, 1e9, MaxRelevance} {
		t.Run(strconv.FormatInt(rel, 10), func(t *testing.T) {
			qrels, err := ParseQrels("qrels", fmt.Appendf(nil, "1 0 a %d\n1 0 b 0\n1 0 c 1\n1 0 d -3\n2 0 a 1\n", rel))
			if err != nil {
				t.Fatal(err)
			}
			run, err := ParseRun("run", []byte("1 Q0 c 1 0.9 r\n1 Q0 b 2 0.8 r\n1 Q0 a 3 0.7 r\n1 Q0 d 4 0.6 r\n2 Q0 a 1 0.5 r\n"))
			if err != nil {
				t.Fatal(err)
			}
			ms, err := ParseMeasures(allMeasures)
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rep, err := Compute(qrels, run, ms, DefaultOptions())
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			// The dense counters took 8*(rel+1) bytes; what is left is a
			// few KB of buffers per worker.
			if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
				t.Errorf("Compute allocated %d bytes for a relevance of %d, want well under 4 MiB", got, rel)
			}
			r := float64(rel)
			// Ranking c(1) b(0) a(rel) d(unjudged); ideal a(rel) c(1).
			wantNDCG := (1 + r/2) / (r + 1/math.Log2(3))
			if got := value(t, rep, "1", "ndcg"); got != wantNDCG {
				t.Errorf("ndcg = %v, want %v", got, wantNDCG)
			}
			wantCut3 := (1 + r/2) / (r + 1/math.Log2(3))
			if got := value(t, rep, "1", "ndcg_cut_3"); got != wantCut3 {
				t.Errorf("ndcg_cut_3 = %v, want %v", got, wantCut3)
			}
			if got := value(t, rep, "1", "num_rel"); got != 2 {
				t.Errorf("num_rel = %v, want 2", got)
			}
		})
	}
}

// value returns a per-query value of the report by name.
func value(t *testing.T, rep *Report, qid, name string) float64 {
	t.Helper()
	for i, q := range rep.Queries {
		if q != qid {
			continue
		}
		for j, n := range rep.Names {
			if n == name {
				return rep.PerQuery[i][j]
			}
		}
	}
	t.Fatalf("no value %s for query %s", name, qid)
	return 0
}

// TestNegativeOnlyQuery pins what a query whose judgments are all negative
// scores: trec_eval 9.0.8 prints the values of a query without relevant
// documents for it when an earlier query was scored and its largest
// judgment is -1 (the golden case sparse_all, query q4), but fails when it
// is the first query scored (te_chk_and_malloc returns NULL for zero
// counters: "Can't calculate measure") and crashes when its largest
// judgment is below -1 (memset of a negative size). mimo scores it the
// same way in all three situations (docs/decisions.md).
func TestNegativeOnlyQuery(t *testing.T) {
	run := "1 Q0 a 1 0.5 r\n1 Q0 b 2 0.4 r\n2 Q0 a 1 0.5 r\n"
	ms, err := ParseMeasures(allMeasures)
	if err != nil {
		t.Fatal(err)
	}
	score := func(qrels string) []float64 {
		t.Helper()
		q, err := ParseQrels("qrels", []byte(qrels))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRun("run", []byte(run))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Compute(q, r, ms, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		return rep.PerQuery[0] // query "1", scored first
	}
	noRelevant := score("1 0 a 0\n1 0 b 0\n2 0 a 1\n")
	for _, tt := range []struct{ name, qrels string }{
		{"largest -1", "1 0 a -1\n1 0 b -1\n2 0 a 1\n"},
		{"largest below -1", "1 0 a -2\n1 0 b -9223372036854775808\n2 0 a 1\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := score(tt.qrels)
			for i := range got {
				if got[i] != noRelevant[i] && !(math.IsNaN(got[i]) && math.IsNaN(noRelevant[i])) {
					t.Errorf("value %d = %v, want %v (a query without relevant documents)", i, got[i], noRelevant[i])
				}
			}
		})
	}
}

// TestRelevanceRange pins the relevance values ParseQrels accepts: any
// value C's atol reads without overflow up to MaxRelevance, with atol's
// reading of junk ("x" is 0, "1.9" is 1) as trec_eval has it.
func TestRelevanceRange(t *testing.T) {
	tests := []struct {
		rel     string
		want    int64
		wantErr string
	}{
		{"0", 0, ""},
		{"2147483647", MaxRelevance, ""},
		{"+2147483647", MaxRelevance, ""},
		{"-9223372036854775808", math.MinInt64, ""},
		{"-1", -1, ""},
		{"1.9", 1, ""},
		{"x", 0, ""},
		{"2147483648", 0, "q:2: relevance \"2147483648\" is above 2147483647"},
		{"9223372036854775807", 0, "q:2: relevance \"9223372036854775807\" is above 2147483647"},
		{"99999999999999999999", 0, "q:2: relevance \"99999999999999999999\" overflows a C long"},
		{"-9223372036854775809", 0, "q:2: relevance \"-9223372036854775809\" overflows a C long"},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			q, err := ParseQrels("q", []byte("1 0 a 1\n1 0 b "+tt.rel+"\n"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Queries["1"][1].Rel; got != tt.want {
				t.Errorf("rel = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestMaxDocsZeroOrNegative pins -M: 0 keeps no document (the golden cases
// maxdocs_zero* hold trec_eval's output), and a negative value, on which
// trec_eval 9.0.8 crashes (qsort of a negative count), is refused by
// Compute (and by the command line: cmd/mimo-eval/cli's
// TestScoreNegativeMaxDocs).
func TestMaxDocsZeroOrNegative(t *testing.T) {
	q, err := ParseQrels("q", []byte("1 0 a 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRun("r", []byte("1 Q0 a 1 0.5 r\n"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := ParseMeasures([]string{"num_ret"})
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.MaxDocs = 0
	rep, err := Compute(q, r, ms, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.All[0]; got != 0 {
		t.Errorf("-M 0: num_ret = %v, want 0", got)
	}
	opts.MaxDocs = -1
	if _, err := Compute(q, r, ms, opts); err == nil || !strings.Contains(err.Error(), "-M -1") {
		t.Errorf("Compute with MaxDocs -1: err = %v, want one naming -M -1", err)
	}
}

// TestLevelCountingPathsAgree: the per-level array (small relevance
// values) and the sorted count (any values) give the same levels.
func TestLevelCountingPathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 8))
	for trial := range 200 {
		judged := make([]Judgment, rng.IntN(40))
		maxRel := int64(-1)
		for i := range judged {
			judged[i].Rel = rng.Int64N(denseLevels+4) - 4 // some negative
			if rng.IntN(3) == 0 {
				judged[i].Rel = rng.Int64N(6) - 1 // repeats
			}
			maxRel = max(maxRel, judged[i].Rel)
		}
		if maxRel >= denseLevels {
			continue
		}
		var dense, sorted evaluator
		dense.countLevels(judged, maxRel)
		sorted.sortLevels(judged)
		if diff := cmp.Diff(sorted.rr.levels, dense.rr.levels, cmp.AllowUnexported(relLevel{}), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("trial %d: levels differ (-sorted +dense):\n%s", trial, diff)
		}
	}
}

// TestLineTooLong: an over-long qrels or run line is an error naming the
// file, the line and the limit (MIMO_MAX_LINE lowers it for the test).
func TestLineTooLong(t *testing.T) {
	t.Setenv(lines.EnvLimit, "64")
	long := strings.Repeat("d", 80)
	if _, err := ParseQrels("qrels", []byte("1 0 a 1\n1 0 "+long+" 1\n")); !errors.Is(err, lines.ErrLineTooLong) || !strings.Contains(err.Error(), "qrels:2: line too long: longer than the limit of 64") {
		t.Errorf("qrels: err = %v, want qrels:2 too long", err)
	}
	if _, err := ParseRun("run", []byte("1 Q0 a 1 0.5 r\r\n1 Q0 "+long+" 2 0.4 r\r\n")); !errors.Is(err, lines.ErrLineTooLong) || !strings.Contains(err.Error(), "run:2: line too long: longer than the limit of 64") {
		t.Errorf("run: err = %v, want run:2 too long", err)
	}
}
