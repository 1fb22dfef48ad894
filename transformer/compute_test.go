package transformer

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// TestBFloat16Compute runs the encoder with bfloat16 products and
// activations on the test backend (the pure-Go one runs bfloat16): the
// variables stay float32, the pooled output is float32, and it agrees with
// the float32 encoder to bfloat16's precision (8 significant bits: a
// relative error near 2^-8 per rounding, a few of them compounded) while
// not being identical to it (so the products really ran in bfloat16).
func TestBFloat16Compute(t *testing.T) {
	b := newBackend(t)
	for _, cfg := range []Config{smallConfig(ModelXLMRoberta, PoolingMean), smallConfig(ModelBERT, PoolingCLS), modernConfig(PoolingMean)} {
		t.Run(cfg.ModelType+"-"+cfg.Pooling, func(t *testing.T) {
			ctx := mlctx.New()
			if err := InitRandom(ctx, cfg, 3); err != nil {
				t.Fatal(err)
			}
			ids := sampleIDs(cfg)
			f32, err := NewModel(b, ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			want, err := f32.Forward(ids, 0)
			if err != nil {
				t.Fatal(err)
			}
			bcfg := cfg
			bcfg.Compute = dtypes.BFloat16
			bf, err := NewModel(b, ctx, bcfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := bf.Forward(ids, 0)
			if err != nil {
				t.Fatal(err)
			}
			var maxRel float64
			identical := true
			for i := range want {
				var num, den float64
				for j := range want[i] {
					d := float64(got[i][j] - want[i][j])
					num += d * d
					den += float64(want[i][j]) * float64(want[i][j])
					identical = identical && got[i][j] == want[i][j]
				}
				maxRel = max(maxRel, math.Sqrt(num/den))
			}
			if maxRel > 0.05 {
				t.Errorf("bfloat16 output differs from float32 by %.4f (relative L2, worst row), want < 0.05", maxRel)
			}
			if identical {
				t.Errorf("bfloat16 output is identical to float32: the products did not run in bfloat16")
			}
			for _, s := range tensorSpecs(cfg) {
				if v := lookupVariable(ctx, s.Name); v.DType() != dtypes.Float32 {
					t.Errorf("variable %s is %s after a bfloat16 forward, want float32", s.Name, v.DType())
				}
			}
		})
	}
}

// TestBFloat16Gradients: with bfloat16 compute the gradient of a weight is
// float32 (the master copy's dtype) and close to the float32 gradient. The
// backward pass rounds every activation gradient to bfloat16 too, and the
// LayerNorm backward subtracts nearly equal terms, so on this random tiny
// encoder the gradient differs by ~7% (relative L2): the bound is loose on
// purpose and catches a wrong or missing gradient, not rounding.
func TestBFloat16Gradients(t *testing.T) {
	b := newBackend(t)
	cfg := smallConfig(ModelXLMRoberta, PoolingMean)
	ctx := mlctx.New()
	if err := InitRandom(ctx, cfg, 5); err != nil {
		t.Fatal(err)
	}
	name := "encoder.layer.0.intermediate.dense.weight"
	grad := func(compute dtypes.DType) []float32 {
		c := cfg
		c.Compute = compute
		exec, err := mlctx.NewExec(b, ctx.Reuse(), func(ctx *mlctx.Context, ids, mask *graph.Node) *graph.Node {
			out := Encode(ctx, c, ids, mask, false)
			loss := graph.ReduceAllSum(graph.Square(out))
			g := graph.Gradient(loss, lookupVariable(ctx, name).ValueGraph(ids.Graph()))[0]
			if g.DType() != dtypes.Float32 {
				t.Errorf("compute %s: gradient of %s is %s, want float32", compute, name, g.DType())
			}
			return g
		})
		if err != nil {
			t.Fatal(err)
		}
		ids := []int32{0, 5, 9, 2, 0, 7, 2, 1}
		mask := []int32{1, 1, 1, 1, 1, 1, 1, 0}
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(ids, 2, 4), tensors.FromFlatDataAndDimensions(mask, 2, 4))
		if err != nil {
			t.Fatal(err)
		}
		flat, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			t.Fatal(err)
		}
		return flat
	}
	want, got := grad(dtypes.Float32), grad(dtypes.BFloat16)
	var num, den float64
	for i := range want {
		d := float64(got[i] - want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	if rel := math.Sqrt(num / den); rel > 0.15 || den == 0 {
		t.Errorf("bfloat16 gradient of %s differs from float32 by %.4f (relative L2; |g|^2 %g), want < 0.15", name, rel, den)
	}
}

func TestComputeDTypeValidated(t *testing.T) {
	cfg := smallConfig(ModelXLMRoberta, PoolingMean)
	cfg.Compute = dtypes.Float16
	if err := cfg.Validate(); err == nil {
		t.Fatal("float16 compute accepted, want an error naming float32 and bfloat16")
	}
}
