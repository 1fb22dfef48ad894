package objective

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/training/losses"
	"github.com/mimo-mlir/mimo/transformer"
)

func mat(r *rand.Rand, rows, cols int) ([][]float64, *tensors.Tensor) {
	m := make([][]float64, rows)
	flat := make([]float64, 0, rows*cols)
	for i := range m {
		m[i] = make([]float64, cols)
		for j := range m[i] {
			m[i][j] = r.NormFloat64()
		}
		flat = append(flat, m[i]...)
	}
	return m, tensors.FromFlatDataAndDimensions(flat, rows, cols)
}

// TestObjectivesUsePsi checks each objective's value against the losses'
// reference formulas, with psi read back from the context, so the stream,
// target and psi plumbing is what the formulas say.
func TestObjectivesUsePsi(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	const B, D, T = 5, 4, 3
	r := rand.New(rand.NewPCG(3, 3))
	ctx := context.New()
	if err := InitPsi(ctx, D, T, 9, dtypes.Float64); err != nil {
		t.Fatal(err)
	}
	if err := InitPsi(ctx, D, T+1, 9, dtypes.Float64); err == nil {
		t.Fatal("InitPsi accepted a different shape for an existing psi")
	}
	wv := tensors.MustCopyFlatData[float64](ctx.In(PsiScope).GetVariable("weights").MustValue())
	bias := tensors.MustCopyFlatData[float64](ctx.In(PsiScope).GetVariable("bias").MustValue())
	w := make([][]float64, D)
	for i := range w {
		w[i] = wv[i*T : (i+1)*T]
	}
	bound := 1 / math.Sqrt(D)
	for _, x := range append(append([]float64(nil), wv...), bias...) {
		if math.Abs(x) > bound {
			t.Fatalf("psi value %g outside +-1/sqrt(in) = %g", x, bound)
		}
	}
	q, qt := mat(r, B, D)
	p, pt := mat(r, B, D)
	p2, p2t := mat(r, B, D)
	tq, tqt := mat(r, B, T)
	tp, tpt := mat(r, B, T)
	lk := losses.DefaultLaKDA()
	st2 := losses.DefaultStage2()
	cases := []struct {
		name  string
		obj   interface{ Name() string }
		build func(c *context.Context, in []*graph.Node) *graph.Node
		args  []any
		want  float64
	}{
		{"infonce", Contrastive{Scale: 20}, func(c *context.Context, in []*graph.Node) *graph.Node {
			l, _ := Contrastive{Scale: 20}.Build(c, in, nil)
			return l
		}, []any{qt, pt}, losses.RefInfoNCE(q, p, 20)},
		{"lakda", LaKDA{Opts: lk}, func(c *context.Context, in []*graph.Node) *graph.Node {
			l, _ := LaKDA{Opts: lk}.Build(c, in, nil)
			return l
		}, []any{qt, p2t, pt}, func() float64 { v, _, _ := losses.RefLaKDA(q, p2, p, lk); return v }()},
		{"stage1", Stage1{}, func(c *context.Context, in []*graph.Node) *graph.Node {
			l, _ := Stage1{}.Build(c, in[:1], in[1:])
			return l
		}, []any{qt, tqt}, losses.RefStage1(q, w, bias, tq)},
		{"stage2", Stage2{Opts: st2}, func(c *context.Context, in []*graph.Node) *graph.Node {
			l, _ := Stage2{Opts: st2}.Build(c, in[:2], in[2:])
			return l
		}, []any{qt, pt, tqt, tpt}, func() float64 { v, _, _ := losses.RefStage2(q, p, w, bias, tq, tp, st2); return v }()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := context.ExecOnce(b, ctx.Reuse(), c.build, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Value().(float64); math.Abs(got-c.want) > 1e-10*math.Max(1, math.Abs(c.want)) {
				t.Fatalf("%s: graph %.12g, formula %.12g", c.obj.Name(), got, c.want)
			}
		})
	}
}
