package lsa

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomMatrix returns a rows×cols matrix U diag(s) Vᵀ (random
// orthonormal U, V) with about half its entries then zeroed when sparse.
func randomMatrix(rows, cols int, spectrum []float64, sparse bool, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 7))
	orth := func(n, k int) *mat.Dense {
		g := mat.NewDense(n, k, nil)
		for i := range n {
			for j := range k {
				g.Set(i, j, rng.NormFloat64())
			}
		}
		if err := orthonormalize(g); err != nil {
			panic(err)
		}
		return g
	}
	k := len(spectrum)
	u, v := orth(rows, k), orth(cols, k)
	var us, a mat.Dense
	us.Mul(u, mat.NewDiagDense(k, spectrum))
	a.Mul(&us, v.T())
	if sparse {
		for i := range rows {
			for j := range cols {
				if rng.Float64() < 0.5 {
					a.Set(i, j, 0)
				}
			}
		}
	}
	// Round to float32, as CSR stores it, so gonum sees the same matrix.
	for i := range rows {
		for j := range cols {
			a.Set(i, j, float64(float32(a.At(i, j))))
		}
	}
	return &a
}

func fullSVD(t *testing.T, a *mat.Dense) []float64 {
	t.Helper()
	var s mat.SVD
	if !s.Factorize(a, mat.SVDNone) {
		t.Fatal("gonum full SVD did not converge")
	}
	return s.Values(nil)
}

func TestRandomizedSVDMatchesFullSVD(t *testing.T) {
	geometric := func(n int, r float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = 10 * math.Pow(r, float64(i))
		}
		return s
	}
	tests := []struct {
		name       string
		rows, cols int
		spectrum   []float64
		sparse     bool
		k, p, q    int
		tolS       float64 // relative error of each of the top k singular values
		tolRecon   float64 // ‖A − U S Vᵀ‖_F may exceed the optimum by this factor (+1e-6)
	}{
		{"exact rank 5, tall", 60, 40, []float64{9, 7, 5, 3, 1}, false, 5, 5, 0, 1e-9, 1},
		{"exact rank 5, wide", 30, 80, []float64{9, 7, 5, 3, 1}, false, 5, 2, 1, 1e-9, 1},
		{"decaying full rank", 80, 50, geometric(50, 0.8), false, 8, 10, 3, 1e-6, 1.0001},
		{"sparse, slow decay", 120, 70, geometric(70, 0.95), true, 10, 10, 4, 2e-3, 1.01},
		{"k = min(rows, cols)", 12, 9, geometric(9, 0.7), true, 9, 10, 1, 1e-9, 1.0001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := randomMatrix(tc.rows, tc.cols, tc.spectrum, tc.sparse, 42)
			got, err := RandomizedSVD(context.Background(), NewCSR(a), SVDOptions{K: tc.k, Oversample: tc.p, PowerIters: tc.q, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			want := fullSVD(t, a)
			for i := range tc.k {
				if rel := math.Abs(got.S[i]-want[i]) / want[i]; rel > tc.tolS {
					t.Errorf("σ%d = %.10g, gonum full SVD %.10g (relative error %.2g > %.2g)", i, got.S[i], want[i], rel, tc.tolS)
				}
			}
			// Orthonormal factors.
			for name, f := range map[string]*mat.Dense{"U": got.U, "V": got.V} {
				var g mat.Dense
				g.Mul(f.T(), f)
				if !mat.EqualApprox(&g, eye(tc.k), 1e-9) {
					t.Errorf("%sᵀ%s is not the identity", name, name)
				}
			}
			// Reconstruction error against the Eckart-Young optimum.
			var us, r mat.Dense
			us.Mul(got.U, mat.NewDiagDense(tc.k, got.S))
			r.Mul(&us, got.V.T())
			r.Sub(a, &r)
			resid := mat.Norm(&r, 2)
			var opt float64
			for _, s := range want[tc.k:] {
				opt += s * s
			}
			opt = math.Sqrt(opt)
			// 1e-6 absolute slack: the float32 rounding of A is full rank.
			if resid > tc.tolRecon*opt+1e-6 {
				t.Errorf("‖A − USVᵀ‖ = %g, optimum %g (ratio %.5f > %.5f)", resid, opt, resid/opt, tc.tolRecon)
			}
		})
	}
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}

func TestRandomizedSVDDeterministic(t *testing.T) {
	a := NewCSR(randomMatrix(90, 60, []float64{5, 4, 3, 2, 1, 0.5, 0.2}, true, 9))
	run := func(seed uint64) *SVD {
		s, err := RandomizedSVD(context.Background(), a, SVDOptions{K: 4, Oversample: 3, PowerIters: 1, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	x, y, z := run(5), run(5), run(6)
	if !slices.Equal(x.S, y.S) || !slices.Equal(x.V.RawMatrix().Data, y.V.RawMatrix().Data) || !slices.Equal(x.U.RawMatrix().Data, y.U.RawMatrix().Data) {
		t.Error("two runs with seed 5 differ")
	}
	if slices.Equal(x.V.RawMatrix().Data, z.V.RawMatrix().Data) {
		t.Error("seeds 5 and 6 gave bit-identical V: the seed is not used")
	}
	// Sign convention: each V column's largest-magnitude entry is positive.
	for j := range 4 {
		col := mat.Col(nil, j, x.V)
		best := 0
		for i := range col {
			if math.Abs(col[i]) > math.Abs(col[best]) {
				best = i
			}
		}
		if col[best] < 0 {
			t.Errorf("V column %d: largest entry %g is negative", j, col[best])
		}
	}
}

func TestRandomizedSVDBadOptions(t *testing.T) {
	a := NewCSR(randomMatrix(10, 6, []float64{3, 2, 1}, false, 1))
	tests := []struct {
		name string
		o    SVDOptions
		want string
	}{
		{"zero k", SVDOptions{K: 0}, "want ≥ 1"},
		{"k too big", SVDOptions{K: 7}, "exceeds min(rows, cols) = 6"},
		{"negative oversample", SVDOptions{K: 2, Oversample: -1}, "must be ≥ 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RandomizedSVD(context.Background(), a, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCSRTranspose(t *testing.T) {
	a := randomMatrix(7, 5, []float64{2, 1}, true, 4)
	got := NewCSR(a).T()
	want := NewCSR(a.T())
	if got.Rows != want.Rows || got.ColsN != want.ColsN || !slices.Equal(got.RowPtr, want.RowPtr) ||
		!slices.Equal(got.Cols, want.Cols) || !slices.Equal(got.Vals, want.Vals) {
		t.Errorf("transpose differs:\n got %+v\nwant %+v", got, want)
	}
}
