package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomIDs returns n distinct ids of mixed length, so byte-wise order
// differs from numeric order ("d10" < "d9").
func randomIDs(r *rand.Rand, n int) []string {
	ids := make([]string, n)
	perm := r.Perm(n)
	for i := range ids {
		ids[i] = fmt.Sprintf("d%d", perm[i])
	}
	return ids
}

// vectors returns n vectors; with distinct > 0 they are drawn from only that
// many different vectors, which makes heavy ties.
func vectors(r *rand.Rand, n, dim, distinct int) [][]float32 {
	pool := distinct
	if pool <= 0 {
		pool = n
	}
	base := make([][]float32, pool)
	for i := range base {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		base[i] = v
	}
	out := make([][]float32, n)
	for i := range out {
		if distinct > 0 {
			out[i] = append([]float32(nil), base[r.IntN(pool)]...)
		} else {
			out[i] = base[i]
		}
	}
	return out
}

// refDot is the package's summation order written as plainly as possible
// (see kernel.go): eight lane sums of rounded products over the first
// multiple of 8 components, combined ((0+4)+(2+6))+((1+5)+(3+7)), then
// the remaining components one by one.
func refDot(a, b []float32) float32 {
	var l [8]float32
	n := len(a) / 8 * 8
	for k := 0; k < n; k++ {
		p := a[k] * b[k]
		l[k%8] = l[k%8] + float32(p)
	}
	s := ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
	for k := n; k < len(a); k++ {
		s += float32(a[k] * b[k])
	}
	return s
}

// bruteForce ranks every document for every query by the definition: dot
// product in the package's order (refDot), then id descending byte-wise.
func bruteForce(q, c Matrix, ids []string, k int) [][]Hit {
	out := make([][]Hit, q.Rows)
	for i := 0; i < q.Rows; i++ {
		hits := make([]Hit, c.Rows)
		for j := 0; j < c.Rows; j++ {
			hits[j] = Hit{Doc: int32(j), Score: refDot(q.Row(i), c.Row(j))}
		}
		sort.Slice(hits, func(a, b int) bool {
			if hits[a].Score != hits[b].Score {
				return hits[a].Score > hits[b].Score
			}
			return ids[hits[a].Doc] > ids[hits[b].Doc]
		})
		if len(hits) > k {
			hits = hits[:k]
		}
		out[i] = hits
	}
	return out
}

func mustMatrix(t testing.TB, prefix string, vecs [][]float32, dim int) Matrix {
	t.Helper()
	ids := make([]string, len(vecs))
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	m, err := Normalized(ids, vecs, dim)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSearchMatchesBruteForce(t *testing.T) {
	cases := []struct {
		name             string
		nq, nc, dim, k   int
		distinct         int // 0: all distinct vectors
		block, chunk, wk int
	}{
		{"small-k1", 7, 50, 13, 1, 0, 4, 8, 1},
		{"ragged-edges", 9, 103, 17, 10, 0, 4, 12, 3},
		{"k-exceeds-corpus", 5, 30, 8, 1000, 0, 0, 0, 0},
		{"heavy-ties", 13, 300, 6, 40, 3, 8, 32, 2},
		{"all-identical", 4, 77, 5, 20, 1, 0, 16, 2},
		{"segments-few-queries", 2, 500, 16, 25, 5, 64, 16, 4},
		{"defaults", 70, 600, 32, 100, 0, 0, 0, 0},
		{"dim-1", 6, 40, 1, 15, 0, 4, 8, 2},
		{"dim-tail", 11, 57, 19, 9, 0, 8, 16, 2},
		{"dim-384", 9, 70, 384, 30, 0, 4, 16, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.nq), uint64(tc.nc)))
			ids := randomIDs(r, tc.nc)
			q := mustMatrix(t, "q", vectors(r, tc.nq, tc.dim, 0), tc.dim)
			c := mustMatrix(t, "d", vectors(r, tc.nc, tc.dim, tc.distinct), tc.dim)
			got, err := Search(context.Background(), q, c, TieOrder(ids),
				Options{K: tc.k, QueryBlock: tc.block, Chunk: tc.chunk, Workers: tc.wk})
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(q, c, ids, tc.k)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Search differs from brute force (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKernelsAgree checks, bit for bit, that the kernel in use (assembly
// where the CPU has it) and the portable Go kernel both follow refDot, for
// dimensions around the 8-lane boundaries.
func TestKernelsAgree(t *testing.T) {
	t.Logf("kernel in use: %s", kernelName)
	r := rand.New(rand.NewPCG(7, 7))
	for _, dim := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 64, 100, 384, 1024} {
		t.Run(fmt.Sprint("dim=", dim), func(t *testing.T) {
			q := make([]float32, 4*dim)
			d := make([]float32, 2*dim)
			for i := range q {
				q[i] = float32(r.NormFloat64())
			}
			for i := range d {
				d[i] = float32(r.NormFloat64()) * 1e3
			}
			n := dim &^ 7
			var got, gotGo [8]float32
			if dim > 0 {
				lanes4x2(&got, q, dim, d, dim, n)
				lanes4x2Go(&gotGo, q, dim, d, dim, n)
			}
			for i := range 4 {
				for j := range 2 {
					qa, dj := q[i*dim:(i+1)*dim], d[j*dim:(j+1)*dim]
					want := refDot(qa, dj)
					for name, v := range map[string]float32{
						"lanes4x2":   tail(got[2*i+j], qa, dj, n),
						"lanes4x2Go": tail(gotGo[2*i+j], qa, dj, n),
						"Dot":        Dot(qa, dj),
						"lanes1Go":   tail(lanes1Go(qa, dj, n), qa, dj, n),
					} {
						if math.Float32bits(v) != math.Float32bits(want) {
							t.Errorf("%s(q%d, d%d) = %v, refDot = %v", name, i, j, v, want)
						}
					}
				}
			}
		})
	}
}

func TestTieOrder(t *testing.T) {
	ids := []string{"b", "a10", "a9", "b", "", "a"}
	got := TieOrder(ids)
	want := []int32{4, 2, 3, 4, 0, 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TieOrder (-want +got):\n%s", diff)
	}
}

// TestTieBreakByIDDescending pins the ranking rule on a constant scorer: all
// scores equal, so the order is pure id-descending (MTEB issue 5092).
func TestTieBreakByIDDescending(t *testing.T) {
	ids := []string{"doc1", "doc10", "doc2", "Doc3", "doc9"}
	vecs := [][]float32{{1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}}
	c, err := Normalized(ids, vecs, 2)
	if err != nil {
		t.Fatal(err)
	}
	q := mustMatrix(t, "q", [][]float32{{3, 0}}, 2)
	got, err := Search(context.Background(), q, c, TieOrder(ids), Options{K: 3})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range got[0] {
		names = append(names, ids[h.Doc])
	}
	if diff := cmp.Diff([]string{"doc9", "doc2", "doc10"}, names); diff != "" {
		t.Errorf("tie order (-want +got):\n%s", diff)
	}
}

func TestNormalizedErrors(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		name string
		vec  []float32
		want string
	}{
		{"nan", []float32{1, nan, 0}, "component 1 is NaN"},
		{"inf", []float32{inf, 0, 0}, "component 0 is +Inf"},
		{"zero", []float32{0, 0, 0}, "zero norm"},
		{"wrong-dim", []float32{1, 2}, "dimension 2, want 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Normalized([]string{"ok", "bad-id"}, [][]float32{{1, 0, 0}, tc.vec}, 3)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrBadVector) || !strings.Contains(err.Error(), `"bad-id"`) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrBadVector naming \"bad-id\" and %q", err, tc.want)
			}
		})
	}
}

func TestNormalizedUnitLength(t *testing.T) {
	m, err := Normalized([]string{"a"}, [][]float32{{3, 4}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float32{0.6, 0.8}, m.Row(0)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSearchErrors(t *testing.T) {
	q := mustMatrix(t, "q", [][]float32{{1, 0}}, 2)
	c := mustMatrix(t, "d", [][]float32{{1, 0, 0}}, 3)
	if _, err := Search(context.Background(), q, c, []int32{0}, Options{}); err == nil {
		t.Error("dimension mismatch: no error")
	}
	c2 := mustMatrix(t, "d", [][]float32{{1, 0}}, 2)
	if _, err := Search(context.Background(), q, c2, nil, Options{}); err == nil {
		t.Error("missing ordinals: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Search(ctx, q, c2, []int32{0}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestSearchEmpty(t *testing.T) {
	q := mustMatrix(t, "q", [][]float32{{1, 0}}, 2)
	got, err := Search(context.Background(), q, Matrix{Dim: 2}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("got %v, want one empty list", got)
	}
}

// TestTopK checks the threshold-and-quickselect collector against a full
// sort, with few distinct scores (many ties broken by ordinal) and offers
// split across calls so compaction happens mid-stream.
func TestTopK(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{1, 2, 3, 7, 50, 500} {
		for trial := range 20 {
			n := 1 + r.IntN(1200)
			scores := make([]float32, n)
			order := make([]int32, n)
			for i := range scores {
				scores[i] = float32(r.IntN(1 + trial%5*3))
			}
			perm := r.Perm(n)
			for i, p := range perm {
				order[i] = int32(p) // distinct ordinals, as for distinct ids
			}
			tk := topK{k: k}
			for s := 0; s < n; {
				e := min(n, s+1+r.IntN(100))
				tk.offer(scores[s:e], order, int32(s))
				s = e
			}
			got := tk.result()
			want := make([]entry, n)
			for i := range want {
				want[i] = entry{scores[i], order[i], int32(i)}
			}
			sort.Slice(want, func(a, b int) bool { return better(want[a], want[b]) })
			want = want[:min(k, n)]
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(entry{})); diff != "" {
				t.Fatalf("k=%d n=%d trial %d (-want +got):\n%s", k, n, trial, diff)
			}
		}
	}
}
