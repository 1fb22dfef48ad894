package metrics

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// synthetic builds nq queries with depth retrieved docs each and 1-5 graded
// relevant docs, a third of them retrieved.
func synthetic(nq, depth int) (Qrels, Run) {
	r := rand.New(rand.NewPCG(11, 12))
	qrels := Qrels{}
	run := Run{}
	for q := range nq {
		qid := "q" + strconv.Itoa(q)
		docs := make([]Scored, depth)
		for i := range docs {
			docs[i] = Scored{"d" + strconv.Itoa(r.IntN(50*depth)), float32(r.IntN(1000)) / 1000}
		}
		// make ids unique within the query
		for i := range docs {
			docs[i].ID += "-" + strconv.Itoa(i)
		}
		run[qid] = docs
		judged := map[string]int{}
		for j := range 1 + r.IntN(5) {
			if j%3 == 0 {
				judged[docs[r.IntN(depth)].ID] = 1 + r.IntN(3)
			} else {
				judged["unretrieved"+strconv.Itoa(j)] = 1
			}
		}
		qrels[qid] = judged
	}
	return qrels, run
}

func BenchmarkEvaluate10kx1000(b *testing.B) {
	qrels, run := synthetic(10000, 1000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Evaluate(qrels, run, DefaultKs, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUniformity4000x768(b *testing.B) {
	vecs := normalised(rand.New(rand.NewPCG(5, 6)), 4000, 768)
	b.ResetTimer()
	for b.Loop() {
		Uniformity(vecs, 2)
	}
}

func BenchmarkMRC1000Groups(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	langs := []string{"en", "de", "fr", "zh"}
	sims := simTable{}
	groups := map[string]map[string]string{}
	for g := range 1000 {
		gid := strconv.Itoa(g)
		groups[gid] = map[string]string{}
		for _, l := range langs {
			qid := gid + "-" + l
			groups[gid][l] = qid
			sims[qid] = map[string]float32{}
			for d := range 60 {
				sims[qid]["d"+strconv.Itoa(d)] = r.Float32()
			}
		}
	}
	top := sims.topFrom()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := MRC(groups, top, 20, sims.sim); err != nil {
			b.Fatal(err)
		}
	}
}
