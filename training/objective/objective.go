// Package objective adapts the losses of training/losses to the
// gradient-cache engine's Objective interface: which text streams the
// student encodes, which fixed targets (teacher vectors) come with them, and
// the learnable projection psi that MIMO's distillation uses.
//
// Streams and targets per method:
//
//	infonce, xlco  streams [q, p]          targets []
//	lakda          streams [q_a, q_b, p]   targets []
//	mimo stage 1   streams [t_XX]          targets [E_t(t_en)]
//	mimo stage 2   streams [q_XX, p_YY]    targets [E_t(q_en), E_t(p_en)]
//
// psi (W [student_dim, teacher_dim], b [teacher_dim]) lives in the objective's
// scope (training/gradcache.LossScope) under "psi"; it is trained in stage 1,
// reused in stage 2 and never written into the model folder.
package objective

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/training/losses"
)

// PsiScope is the sub-scope of the objective's context holding psi.
const PsiScope = "psi"

// InitPsi creates psi in ctx (the objective's scope) if it does not exist,
// initialised as PyTorch's nn.Linear: W and b uniform in +-1/sqrt(in), from
// seed, in dtype (float32 when unset, or float64).
func InitPsi(ctx *context.Context, in, out int, seed uint64, dtype dtypes.DType) error {
	if in <= 0 || out <= 0 {
		return fmt.Errorf("psi: dimensions %d -> %d must be positive", in, out)
	}
	pctx := ctx.In(PsiScope).Checked(false)
	if w := pctx.GetVariable("weights"); w != nil {
		if d := w.Shape().Dimensions; len(d) != 2 || d[0] != in || d[1] != out {
			return fmt.Errorf("psi: existing weights have shape %s, want [%d, %d]", w.Shape(), in, out)
		}
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	bound := 1 / math.Sqrt(float64(in))
	w := make([]float64, in*out)
	for i := range w {
		w[i] = (2*r.Float64() - 1) * bound
	}
	b := make([]float64, out)
	for i := range b {
		b[i] = (2*r.Float64() - 1) * bound
	}
	wt, bt := tensors.FromFlatDataAndDimensions(w, in, out), tensors.FromFlatDataAndDimensions(b, out)
	switch dtype {
	case dtypes.Float64:
	case dtypes.Float32, dtypes.InvalidDType:
		wt, bt = convert[float64, float32](wt), convert[float64, float32](bt)
	default:
		return fmt.Errorf("psi: dtype %s not supported (float32 or float64)", dtype)
	}
	pctx.VariableWithValue("weights", wt)
	pctx.VariableWithValue("bias", bt)
	return nil
}

// HasPsi reports whether psi exists in ctx (the objective's scope).
func HasPsi(ctx *context.Context) bool {
	return ctx.In(PsiScope).GetVariable("weights") != nil
}

// SetPsi creates psi in ctx (the objective's scope) from W [in, out] and b
// [out], row-major, in dtype (float32 when unset, or float64): a warm start.
func SetPsi(ctx *context.Context, in, out int, w, b []float32, dtype dtypes.DType) error {
	if in <= 0 || out <= 0 || len(w) != in*out || len(b) != out {
		return fmt.Errorf("psi: %d weights and %d biases for %d -> %d", len(w), len(b), in, out)
	}
	wt, bt := tensors.FromFlatDataAndDimensions(slices.Clone(w), in, out), tensors.FromFlatDataAndDimensions(slices.Clone(b), out)
	switch dtype {
	case dtypes.Float32, dtypes.InvalidDType:
	case dtypes.Float64:
		wt, bt = convert[float32, float64](wt), convert[float32, float64](bt)
	default:
		return fmt.Errorf("psi: dtype %s not supported (float32 or float64)", dtype)
	}
	pctx := ctx.In(PsiScope).Checked(false)
	pctx.VariableWithValue("weights", wt)
	pctx.VariableWithValue("bias", bt)
	return nil
}

// convert copies t's values from element type F to T.
func convert[F, T float32 | float64](t *tensors.Tensor) *tensors.Tensor {
	src := tensors.MustCopyFlatData[F](t)
	out := make([]T, len(src))
	for i, v := range src {
		out[i] = T(v)
	}
	return tensors.FromFlatDataAndDimensions(out, t.Shape().Dimensions...)
}

func psi(ctx *context.Context, z *graph.Node) *graph.Node {
	pctx := ctx.In(PsiScope)
	w, b := pctx.GetVariable("weights"), pctx.GetVariable("bias")
	if w == nil || b == nil {
		panic("objective: psi is not initialised (call objective.InitPsi)")
	}
	return losses.Psi(z, w.ValueGraph(z.Graph()), b.ValueGraph(z.Graph()))
}

// Contrastive is InfoNCE (same-language pairs) or XLCO (cross-lingual pairs).
type Contrastive struct {
	Scale float64
	// CrossLingual names the objective "xlco"; the formula is the same.
	CrossLingual bool
}

func (c Contrastive) Name() string {
	if c.CrossLingual {
		return "xlco"
	}
	return "infonce"
}
func (Contrastive) Streams() int          { return 2 }
func (Contrastive) Targets() int          { return 0 }
func (c Contrastive) TermNames() []string { return []string{c.Name()} }
func (c Contrastive) Build(_ *context.Context, reps, _ []*graph.Node) (*graph.Node, []*graph.Node) {
	l := losses.InfoNCE(reps[0], reps[1], c.Scale)
	return l, []*graph.Node{l}
}

// LaKDA is the LaKDA baseline.
type LaKDA struct{ Opts losses.LaKDAOptions }

func (LaKDA) Name() string        { return "lakda" }
func (LaKDA) Streams() int        { return 3 }
func (LaKDA) Targets() int        { return 0 }
func (LaKDA) TermNames() []string { return []string{"infonce", "kl"} }
func (l LaKDA) Build(_ *context.Context, reps, _ []*graph.Node) (*graph.Node, []*graph.Node) {
	tot, nce, kl := losses.LaKDA(reps[0], reps[1], reps[2], l.Opts)
	return tot, []*graph.Node{nce, kl}
}

// Stage1 is MIMO's distillation warm-up: 1 - cos(psi(E_s(t_XX)), E_t(t_en)).
type Stage1 struct{}

func (Stage1) Name() string        { return "mimo-stage1" }
func (Stage1) Streams() int        { return 1 }
func (Stage1) Targets() int        { return 1 }
func (Stage1) TermNames() []string { return []string{"distill"} }
func (Stage1) Build(ctx *context.Context, reps, targets []*graph.Node) (*graph.Node, []*graph.Node) {
	l := losses.Distill(psi(ctx, reps[0]), targets[0])
	return l, []*graph.Node{l}
}

// Stage2 is MIMO's joint objective lambda*XLCO + (1-lambda)*L_distill.
type Stage2 struct{ Opts losses.Stage2Options }

func (Stage2) Name() string        { return "mimo-stage2" }
func (Stage2) Streams() int        { return 2 }
func (Stage2) Targets() int        { return 2 }
func (Stage2) TermNames() []string { return []string{"xlco", "distill"} }
func (s Stage2) Build(ctx *context.Context, reps, targets []*graph.Node) (*graph.Node, []*graph.Node) {
	tot, x, d := losses.Stage2(reps[0], reps[1], psi(ctx, reps[0]), psi(ctx, reps[1]), targets[0], targets[1], s.Opts)
	return tot, []*graph.Node{x, d}
}
