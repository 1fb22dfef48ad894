package treceval

import (
	"math"
	"strconv"
	"testing"

	"github.com/mimo-mlir/mimo/harness/metrics"
)

// TestMetricsMatchTrecEval checks that harness/metrics, which the harness
// uses to score tasks, gives bit-identical per-query values to this
// package, whose output matches trec_eval byte for byte (TestGolden), on
// the tie-heavy inputs.
func TestMetricsMatchTrecEval(t *testing.T) {
	for _, input := range []string{"testdata/random", "testdata/ties"} {
		t.Run(input, func(t *testing.T) {
			qrels, err := ReadQrels(input + "/qrels")
			if err != nil {
				t.Fatal(err)
			}
			run, err := ReadRun(input + "/run")
			if err != nil {
				t.Fatal(err)
			}
			ks := metrics.DefaultKs
			var specs []string
			for _, m := range []string{"ndcg_cut", "map_cut", "recall", "P", "success"} {
				spec := m + "."
				for i, k := range ks {
					if i > 0 {
						spec += ","
					}
					spec += strconv.Itoa(k)
				}
				specs = append(specs, spec)
			}
			ms, err := ParseMeasures(append(specs, "recip_rank"))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Compute(qrels, run, ms, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}

			mq := metrics.Qrels{}
			for qid, js := range qrels.Queries {
				mq[qid] = map[string]int{}
				for _, j := range js {
					mq[qid][j.Doc] = int(j.Rel)
				}
			}
			mr := metrics.Run{}
			for qid, rs := range run.Queries {
				for _, r := range rs {
					mr[qid] = append(mr[qid], metrics.Scored{ID: r.Doc, Score: r.Sim})
				}
			}
			per, err := metrics.Evaluate(mq, mr, ks, metrics.Options{})
			if err != nil {
				t.Fatal(err)
			}
			pairs := map[string]string{"ndcg_cut_": "ndcg_at_", "map_cut_": "map_at_", "recall_": "recall_at_", "P_": "precision_at_", "success_": "hit_rate_at_"}
			compared := 0
			for i, qid := range rep.Queries {
				got, ok := per[qid]
				if !ok {
					continue // no relevant document: metrics drops it
				}
				for j, name := range rep.Names {
					want := rep.PerQuery[i][j]
					var key string
					if name == "recip_rank" {
						key = "mrr_at_1000"
					} else {
						for te, mt := range pairs {
							if k, ok := cutSuffix(name, te); ok {
								key = mt + k
							}
						}
					}
					if math.Float64bits(got[key]) != math.Float64bits(want) {
						t.Errorf("query %s: metrics %s = %v, trec_eval %s = %v", qid, key, got[key], name, want)
					}
					compared++
				}
			}
			if compared == 0 {
				t.Fatal("nothing compared")
			}
		})
	}
}

func cutSuffix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		if _, err := strconv.Atoi(s[len(prefix):]); err == nil {
			return s[len(prefix):], true
		}
	}
	return "", false
}
