package treceval

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchInput is a synthetic TREC run of 500 queries x 1,000 documents
// with graded qrels (0-3, and some -1) for 100 documents per query.
func benchInput() (qrels, run []byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	for q := range 500 {
		for d := range 100 {
			qrels = fmt.Appendf(qrels, "q%d 0 doc%d %d\n", q, d*7, rng.IntN(5)-1)
		}
		for d := range 1000 {
			run = fmt.Appendf(run, "q%d Q0 doc%d %d %.6f bench\n", q, d, d+1, rng.Float64())
		}
	}
	return qrels, run
}

// BenchmarkParseRun measures reading a run (line splitting, fields, atof).
func BenchmarkParseRun(b *testing.B) {
	_, run := benchInput()
	b.SetBytes(int64(len(run)))
	for b.Loop() {
		if _, err := ParseRun("run", run); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompute measures scoring with the measures mimo reports.
func BenchmarkCompute(b *testing.B) {
	qd, rd := benchInput()
	qrels, err := ParseQrels("qrels", qd)
	if err != nil {
		b.Fatal(err)
	}
	run, err := ParseRun("run", rd)
	if err != nil {
		b.Fatal(err)
	}
	ms, err := ParseMeasures([]string{"official", "ndcg", "ndcg_cut.10", "recall.100"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compute(qrels, run, ms, DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
