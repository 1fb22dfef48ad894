package search

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTopKEqualOrdinals: with repeated ordinals (equal ids) and repeated
// scores, topK keeps and orders candidates by score, then ordinal, then
// row, whatever the chunks they were offered in and whether they went
// through a segment's unordered best list first.
func TestTopKEqualOrdinals(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{1, 5, 64, 300} {
		for trial := range 30 {
			n := 1 + r.IntN(2000)
			scores := make([]float32, n)
			order := make([]int32, n)
			for i := range scores {
				scores[i] = float32(r.IntN(4))
				order[i] = int32(r.IntN(6))
			}
			want := make([]entry, n)
			for i := range want {
				want[i] = entry{scores[i], order[i], int32(i)}
			}
			sort.Slice(want, func(a, b int) bool {
				x, y := want[a], want[b]
				if x.score != y.score || x.ord != y.ord {
					return better(x, y)
				}
				return x.doc < y.doc
			})
			want = want[:min(k, n)]
			// Two segments, each offered in random chunks, merged as Search does.
			mid := r.IntN(n + 1)
			var merged topK
			merged.k = k
			for _, seg := range [][2]int{{0, mid}, {mid, n}} {
				tk := topK{k: k}
				for s := seg[0]; s < seg[1]; {
					e := min(seg[1], s+1+r.IntN(150))
					tk.offer(scores[s:e], order, int32(s))
					s = e
				}
				merged.h = append(merged.h, tk.best()...)
			}
			if diff := cmp.Diff(want, merged.result(), cmp.AllowUnexported(entry{})); diff != "" {
				t.Fatalf("k=%d n=%d trial %d (-want +got):\n%s", k, n, trial, diff)
			}
		}
	}
}

// TestSkipBelow: the vector threshold test finds the first score that is
// not below the threshold (NaN included, -0 equal to +0) in whole blocks of
// 16, as the scalar test of topK.offer would.
func TestSkipBelow(t *testing.T) {
	if skipBelow == nil {
		t.Skip("no AVX-512 on this CPU: topK.offer tests one score at a time")
	}
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, 0.5, float32(math.Inf(1)), float32(math.Inf(-1))}
	for trial := range 2000 {
		n := r.IntN(70)
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.IntN(7)-5) / 2
			if r.IntN(40) == 0 {
				s[i] = special[r.IntN(len(special))]
			}
		}
		thr := []float32{0, 0.5, float32(math.Copysign(0, -1)), -1, float32(math.Inf(-1))}[r.IntN(5)]
		want := n &^ 15
		for i := range want {
			if !(s[i] < thr) {
				want = i
				break
			}
		}
		if got := skipBelow(s, thr); got != want {
			t.Fatalf("trial %d: skipBelow(%v, %v) = %d, want %d", trial, s, thr, got, want)
		}
	}
}
