package gradcache

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/mimo-mlir/mimo/transformer"
)

// TestDotGeneralGradient holds the registered DotGeneral gradient to
// GoMLX's own (slow but straightforward) rule on contractions with batch
// axes, several contracted axes and permuted layouts.
func TestDotGeneralGradient(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	type dg struct {
		ls, rs         []int
		lc, lb, rc, rb []int
	}
	cases := []dg{
		{[]int{3, 4}, []int{5, 4}, []int{1}, nil, []int{1}, nil},                             // x W^T
		{[]int{2, 3, 4}, []int{5, 4}, []int{2}, nil, []int{1}, nil},                          // [b, s, in] x [out, in]
		{[]int{2, 3, 4, 5}, []int{2, 3, 6, 5}, []int{3}, []int{0, 1}, []int{3}, []int{0, 1}}, // attention scores
		{[]int{2, 3, 4, 5}, []int{2, 3, 5, 6}, []int{3}, []int{0, 1}, []int{2}, []int{0, 1}}, // probs x values
		{[]int{4, 2, 3}, []int{3, 5, 4}, []int{0, 2}, nil, []int{2, 0}, nil},                 // two contracted axes, swapped order
		{[]int{3, 2, 4}, []int{4, 3, 2, 6}, []int{2}, []int{1, 0}, []int{0}, []int{2, 1}},    // permuted batch axes
		{[]int{6}, []int{6}, []int{0}, nil, []int{0}, nil},                                   // dot product
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 3))
			mk := func(dims []int) *tensors.Tensor {
				n := 1
				for _, d := range dims {
					n *= d
				}
				v := make([]float64, n)
				for k := range v {
					v[k] = r.NormFloat64()
				}
				return tensors.FromFlatDataAndDimensions(v, dims...)
			}
			lhs, rhs := mk(c.ls), mk(c.rs)
			run := func() []*tensors.Tensor {
				e := graph.MustNewExec(b, func(l, rr *graph.Node) []*graph.Node {
					out := graph.DotGeneral(l, c.lc, c.lb, rr, c.rc, c.rb)
					if out.Rank() == 0 {
						return graph.Gradient(graph.MulScalar(out, 1.5), l, rr)
					}
					w := graph.Sin(graph.Iota(l.Graph(), out.Shape(), 0)) // non-uniform output weights
					if out.Rank() > 1 {
						w = graph.Add(w, graph.Cos(graph.Iota(l.Graph(), out.Shape(), out.Rank()-1)))
					}
					loss := graph.ReduceAllSum(graph.Mul(out, w))
					return graph.Gradient(loss, l, rr)
				})
				return e.MustExec(lhs, rhs)
			}
			ours := run()
			mine := graph.VJPRegistration[graph.NodeTypeDotGeneral]
			graph.VJPRegistration[graph.NodeTypeDotGeneral] = gomlxDotVJP
			theirs := run()
			graph.VJPRegistration[graph.NodeTypeDotGeneral] = mine
			for k := range ours {
				a, b := tensors.MustCopyFlatData[float64](ours[k]), tensors.MustCopyFlatData[float64](theirs[k])
				if !ours[k].Shape().Equal(theirs[k].Shape()) {
					t.Fatalf("operand %d: shape %s, GoMLX %s", k, ours[k].Shape(), theirs[k].Shape())
				}
				for j := range a {
					if math.Abs(a[j]-b[j]) > 1e-12*math.Max(1, math.Abs(b[j])) {
						t.Fatalf("operand %d [%d]: ours %g, GoMLX %g", k, j, a[j], b[j])
					}
				}
			}
		})
	}
}
