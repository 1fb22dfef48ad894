package treceval

import (
	"fmt"
	"math/rand/v2"
	"os"
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

// benchMeasures are the 28 measures of the issue 14 benchmark
// (scripts/bench-metrics.sh).
var benchMeasures = []string{"ndcg_cut.5,10,20,100", "map_cut.10,100,1000", "P.5,10,20,100", "recall.5,10,20,100,1000", "success.1,5,10", "map", "ndcg", "recip_rank", "Rprec", "bpref", "num_ret", "num_rel", "num_rel_ret", "gm_map"}

// scoreBenchFiles writes a realistic case to b.TempDir(): nq queries x
// 1,000 documents, 3-50 graded (1-3) relevant documents per query plus
// judged non-relevant ones, most of them retrieved with high scores.
func scoreBenchFiles(b *testing.B, nq int) (qrelsPath, runPath string) {
	rng := rand.New(rand.NewPCG(42, 14))
	var qrels, run []byte
	for q := 1; q <= nq; q++ {
		nrel := 3 + rng.IntN(48)
		njudged := nrel + 20 + rng.IntN(80)
		docs := make([]int, 0, 1000)
		seen := map[int]bool{}
		judged := map[int]bool{}
		for i := range njudged {
			d := rng.IntN(5_000_000)*2 + 1 // odd: judged
			if judged[d] {
				continue
			}
			judged[d] = true
			rel := 0
			if i < nrel {
				rel = 1 + rng.IntN(3)
			}
			qrels = fmt.Appendf(qrels, "%d 0 D%07d %d\n", q, d, rel)
			if rng.IntN(10) < 7 {
				docs = append(docs, d)
			}
		}
		for len(docs) < 1000 {
			docs = append(docs, rng.IntN(5_000_000)*2) // even: unjudged, distinct enough
		}
		rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		for i, d := range docs {
			if seen[d] {
				continue
			}
			seen[d] = true
			run = fmt.Appendf(run, "%d Q0 D%07d %d %.6f bench\n", q, d, i+1, float64(int(rng.Float64()*200000))/200000)
		}
	}
	dir := b.TempDir()
	qrelsPath, runPath = dir+"/qrels", dir+"/run"
	if err := os.WriteFile(qrelsPath, qrels, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(runPath, run, 0o644); err != nil {
		b.Fatal(err)
	}
	return qrelsPath, runPath
}

// BenchmarkScoreFile is what `mimo-eval score` does (Main): qrels read,
// run streamed and scored, 2,000 queries x 1,000 documents.
func BenchmarkScoreFile(b *testing.B) {
	qp, rp := scoreBenchFiles(b, 2000)
	ms, err := ParseMeasures(benchMeasures)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		qrels, err := ReadQrels(qp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ScoreFile(qrels, rp, ms, DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScoreWhole is the same with the run read whole (ReadRun, then
// Compute), the path of an interleaved run and of library callers.
func BenchmarkScoreWhole(b *testing.B) {
	qp, rp := scoreBenchFiles(b, 2000)
	ms, err := ParseMeasures(benchMeasures)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		qrels, err := ReadQrels(qp)
		if err != nil {
			b.Fatal(err)
		}
		run, err := ReadRun(rp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compute(qrels, run, ms, DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBytes measures the streaming scorer's in-place parse of
// run bytes (fields, scores, spans), without reading or scoring.
func BenchmarkParseBytes(b *testing.B) {
	_, run := benchInput()
	b.SetBytes(int64(len(run)))
	var rb runBytes
	for b.Loop() {
		rb.parse("run", run, 1)
		if rb.err != nil {
			b.Fatal(rb.err)
		}
	}
}

// BenchmarkRankQuery measures one query's fast path (relevance, ranking,
// the 28 measures of the issue 14 benchmark) on 1,000 results.
func BenchmarkRankQuery(b *testing.B) {
	qd, rd := benchInput()
	qrels, err := ParseQrels("qrels", qd)
	if err != nil {
		b.Fatal(err)
	}
	var rb runBytes
	rb.parse("run", rd, 1)
	ms, err := ParseMeasures(benchMeasures)
	if err != nil {
		b.Fatal(err)
	}
	var ev evaluator
	vals := make([]float64, 64)
	sp := rb.spans[0]
	judged := qrels.Queries[string(rd[sp.qlo:sp.qhi])]
	for b.Loop() {
		if err := ev.queryBytes("qrels", "run", "q", judged, rd, rb.recs[sp.lo:sp.hi], sp, ms, DefaultOptions(), vals); err != nil {
			b.Fatal(err)
		}
	}
}
