package gradcache_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	_ "github.com/mimo-mlir/mimo/training/gradcache"
)

// TestRsqrtGradient checks the registered Rsqrt gradient against the
// analytic derivative and a central finite difference.
func TestRsqrtGradient(t *testing.T) {
	b := testBackend(t)
	xs := []float64{0.25, 1, 3.5, 100}
	exec := graph.MustNewExec(b, func(x *graph.Node) (*graph.Node, *graph.Node) {
		y := graph.ReduceAllSum(graph.Mul(graph.Rsqrt(x), graph.Const(x.Graph(), []float64{1, -2, 3, 0.5})))
		return y, graph.Gradient(y, x)[0]
	})
	out, err := exec.Exec(tensors.FromValue(xs))
	if err != nil {
		t.Fatal(err)
	}
	grad := tensors.MustCopyFlatData[float64](out[1])
	w := []float64{1, -2, 3, 0.5}
	for i, x := range xs {
		analytic := w[i] * -0.5 * math.Pow(x, -1.5)
		h := 1e-6 * x
		numeric := w[i] * (1/math.Sqrt(x+h) - 1/math.Sqrt(x-h)) / (2 * h)
		if math.Abs(grad[i]-analytic) > 1e-12*math.Abs(analytic) || math.Abs(grad[i]-numeric) > 1e-6*math.Abs(analytic) {
			t.Fatalf("x=%g: graph %g, analytic %g, finite difference %g", x, grad[i], analytic, numeric)
		}
	}
}
