package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLog2TableBits(t *testing.T) {
	// Bits of glibc 2.36 log2(n), read off the generator's output; the
	// C library's values are what trec_eval divides by.
	tests := []struct {
		n    int
		bits uint64
	}{
		{1, 0},
		{2, 0x3ff0000000000000},
		{3, 0x3ff95c01a39fbd68},
		{9, 0x40095c01a39fbd68},
		{10, 0x400a934f0979a371},
		{107, 0x401af7431f26a05d},
		{1000, 0x4023ee7b471b3a95},
		{1001, 0x4023ef3847bb10e8},
	}
	for _, tt := range tests {
		if got := math.Float64bits(Log2(tt.n)); got != tt.bits {
			t.Errorf("Log2(%d) bits = %#x, want %#x", tt.n, got, tt.bits)
		}
	}
	if Log2TableSize < 1002 {
		t.Errorf("Log2TableSize = %d, want >= 1002 (MTEB depth 1000 needs log2(1001))", Log2TableSize)
	}
}

// TestLog2DiffersFromGo documents why the table exists: Go's math.Log2 is off
// by one ulp from glibc for these integers.
func TestLog2DiffersFromGo(t *testing.T) {
	for _, n := range []int{3, 9, 107, 137} {
		if math.Float64bits(math.Log2(float64(n))) == math.Float64bits(Log2(n)) {
			t.Errorf("math.Log2(%d) equals the glibc value; expected a last-bit difference", n)
		}
		if d := math.Abs(math.Log2(float64(n)) - Log2(n)); d > 4e-15*Log2(n) {
			t.Errorf("Log2(%d) = %v is far from math.Log2 = %v", n, Log2(n), math.Log2(float64(n)))
		}
	}
	if got, want := Log2(Log2TableSize+5), math.Log2(float64(Log2TableSize+5)); got != want {
		t.Errorf("beyond the table Log2 = %v, want math.Log2 = %v", got, want)
	}
}

func TestRank(t *testing.T) {
	tests := []struct {
		name string
		in   []Scored
		want []string
	}{
		{"score descending", []Scored{{"a", 0.1}, {"b", 0.9}, {"c", 0.5}}, []string{"b", "c", "a"}},
		{"ties by id descending byte-wise", []Scored{{"10", 1}, {"9", 1}, {"100", 1}, {"B", 1}, {"a", 1}}, []string{"a", "B", "9", "100", "10"}},
		{"float32 narrowing makes ties", []Scored{{"x", float32(0.1)}, {"y", float32(0.1 + 1e-12)}}, []string{"y", "x"}},
		{"negative zero equals zero", []Scored{{"a", float32(math.Copysign(0, -1))}, {"b", 0}}, []string{"b", "a"}},
		{"NaN last", []Scored{{"n", float32(math.NaN())}, {"a", -5}}, []string{"a", "n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := append([]Scored(nil), tt.in...)
			Rank(docs)
			var got []string
			for _, d := range docs {
				got = append(got, d.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func run(m map[string]map[string]float32) Run {
	r := Run{}
	for qid, docs := range m {
		for id, s := range docs {
			r[qid] = append(r[qid], Scored{id, s})
		}
	}
	return r
}

// TestEvaluateMTEBGolden pins the values of MTEB's own evaluator tests
// (spec/evaluation.md).
func TestEvaluateMTEBGolden(t *testing.T) {
	qrels := Qrels{"0": {"0": 1, "1": 1}, "1": {"1": 1}}
	r := run(map[string]map[string]float32{
		"0": {"0": 1.0, "1": 0.9, "2": 0.8},
		"1": {"0": 0.0, "1": 1.0, "2": 0.0},
	})
	tests := []struct {
		name string
		opts Options
		want map[string]float64
	}{
		{"plain", Options{}, map[string]float64{
			"ndcg_at_1": 1, "ndcg_at_2": 1, "ndcg_at_3": 1,
			"map_at_1": 0.75, "precision_at_2": 0.75,
		}},
		{"ignore identical ids", Options{IgnoreIdenticalIDs: true}, map[string]float64{
			"ndcg_at_2": 0.30657, "precision_at_3": 0.16667,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			per, err := Evaluate(qrels, r, []int{1, 2, 3}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			avg := Average(per)
			for name, want := range tt.want {
				if got, ok := avg[name]; !ok || got != want {
					t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
				}
			}
		})
	}
}

// TestEvaluateGradedTies is computed by hand. Ranking of q1:
// c(0.9, rel 0), then the 0.5 tie in id-descending order e(unjudged),
// b(1), a(2), then d(0.1, rel 3). Relevant (rel >= 1): a, b, d.
func TestEvaluateGradedTies(t *testing.T) {
	qrels := Qrels{
		"q1":      {"a": 2, "b": 1, "c": 0, "d": 3},
		"norel":   {"a": 0},          // no relevant doc: dropped
		"missing": {"z": 1},          // not in the run: all zeros
		"q2":      {"10": 0, "9": 1}, // tie broken byte-wise: "9" before "10"
	}
	r := Run{
		"q1":      {{"a", 0.5}, {"b", 0.5}, {"c", 0.9}, {"e", 0.5}, {"d", 0.1}},
		"norel":   {{"a", 1}},
		"notjudg": {{"a", 1}}, // no qrels: dropped
		"q2":      {{"10", 0.25}, {"9", 0.25}, {"x", 0.3}},
	}
	l3, l4, l5, l6 := 1/math.Log2(3), 1/math.Log2(4), 1/math.Log2(5), 1/math.Log2(6)
	idcg := func(n int) float64 { // ideal [3, 2, 1]
		return []float64{0, 3, 3 + 2*l3, 3 + 2*l3 + l4}[min(n, 3)]
	}
	dcg5 := l4 + 2*l5 + 3*l6
	want := map[string]map[string]float64{
		"q1": {
			"ndcg_at_1": 0, "ndcg_at_3": l4 / idcg(3), "ndcg_at_5": dcg5 / idcg(5), "ndcg_at_10": dcg5 / idcg(10),
			"map_at_1": 0, "map_at_3": (1.0 / 3) / 3, "map_at_5": (1.0/3 + 2.0/4 + 3.0/5) / 3, "map_at_10": (1.0/3 + 2.0/4 + 3.0/5) / 3,
			"recall_at_1": 0, "recall_at_3": 1.0 / 3, "recall_at_5": 1, "recall_at_10": 1,
			"precision_at_1": 0, "precision_at_3": 1.0 / 3, "precision_at_5": 3.0 / 5, "precision_at_10": 3.0 / 10,
			"mrr_at_1": 0, "mrr_at_3": 1.0 / 3, "mrr_at_5": 1.0 / 3, "mrr_at_10": 1.0 / 3,
			"hit_rate_at_1": 0, "hit_rate_at_3": 1, "hit_rate_at_5": 1, "hit_rate_at_10": 1,
			"accuracy": 0,
		},
		"missing": {
			"ndcg_at_1": 0, "ndcg_at_3": 0, "ndcg_at_5": 0, "ndcg_at_10": 0,
			"map_at_1": 0, "map_at_3": 0, "map_at_5": 0, "map_at_10": 0,
			"recall_at_1": 0, "recall_at_3": 0, "recall_at_5": 0, "recall_at_10": 0,
			"precision_at_1": 0, "precision_at_3": 0, "precision_at_5": 0, "precision_at_10": 0,
			"mrr_at_1": 0, "mrr_at_3": 0, "mrr_at_5": 0, "mrr_at_10": 0,
			"hit_rate_at_1": 0, "hit_rate_at_3": 0, "hit_rate_at_5": 0, "hit_rate_at_10": 0,
			"accuracy": 0,
		},
		// ranking x(0.3, unjudged), 9 (rel 1), 10 (rel 0)
		"q2": {
			"ndcg_at_1": 0, "ndcg_at_3": l3, "ndcg_at_5": l3, "ndcg_at_10": l3,
			"map_at_1": 0, "map_at_3": 0.5, "map_at_5": 0.5, "map_at_10": 0.5,
			"recall_at_1": 0, "recall_at_3": 1, "recall_at_5": 1, "recall_at_10": 1,
			"precision_at_1": 0, "precision_at_3": 1.0 / 3, "precision_at_5": 1.0 / 5, "precision_at_10": 1.0 / 10,
			"mrr_at_1": 0, "mrr_at_3": 0.5, "mrr_at_5": 0.5, "mrr_at_10": 0.5,
			"hit_rate_at_1": 0, "hit_rate_at_3": 1, "hit_rate_at_5": 1, "hit_rate_at_10": 1,
			"accuracy": 0,
		},
	}
	got, err := Evaluate(qrels, r, []int{10, 1, 5, 3, 10}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("per-query values (-want +got):\n%s", diff)
	}
	if names := MetricNames([]int{10, 1, 5, 3, 10}); len(names) != len(want["q1"]) {
		t.Errorf("MetricNames gives %d names, Evaluate %d", len(names), len(want["q1"]))
	}
}

func TestEvaluateErrors(t *testing.T) {
	tests := []struct {
		name    string
		run     Run
		ks      []int
		wantErr string
	}{
		{"duplicate doc", Run{"q": {{"a", 1}, {"b", 0.5}, {"a", 0.2}}}, []int{1}, `query "q": document "a" retrieved twice`},
		{"no cutoffs", Run{}, nil, "no cutoffs"},
		{"zero cutoff", Run{}, []int{0, 5}, "cutoff 0 is not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(Qrels{"q": {"a": 1}}, tt.run, tt.ks, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestAverage(t *testing.T) {
	per := map[string]map[string]float64{
		"a": {"x": 1, "y": 0.5},
		"b": {"x": 0, "y": 0.25},
		"c": {"x": 0},
	}
	want := map[string]float64{"x": 0.33333, "y": 0.375}
	if diff := cmp.Diff(want, Average(per)); diff != "" {
		t.Errorf("Average (-want +got):\n%s", diff)
	}
}

func TestRound5MatchesPython(t *testing.T) {
	// Expected values printed by CPython 3: round(x, 5).
	tests := []struct{ x, want float64 }{
		{0.123455, 0.12345},
		{0.306565, 0.30656},
		{0.002675, 0.00267},
		{0.1666666666, 0.16667},
		{1.0 / 3, 0.33333},
		{1.5e-05, 2e-05},
		{0.999995, 0.99999},
		{0.8300049999999999, 0.83},
		{0.45678500000000005, 0.45679},
		{0.123465, 0.12347},
	}
	for _, tt := range tests {
		if got := Round5(tt.x); got != tt.want {
			t.Errorf("Round5(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
}
