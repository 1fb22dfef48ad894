package gradcache_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/losses"
	"github.com/mimo-mlir/mimo/training/objective"
	"github.com/mimo-mlir/mimo/transformer"
)

func tinyConfig(arch string, dropout float64) transformer.Config {
	if arch == transformer.ModelModernBERT {
		// Global attention in layer 0, a 4-token window in layer 1.
		return transformer.Config{
			ModelType: transformer.ModelModernBERT, VocabSize: 60, HiddenSize: 16, NumLayers: 2, NumHeads: 2,
			IntermediateSize: 24, MaxPositions: 40, PadTokenID: 1, LayerNormEps: 1e-5,
			LocalAttention: 4, GlobalEvery: 2, GlobalRopeTheta: 160000, LocalRopeTheta: 10000,
			AttentionDropout: dropout, MLPDropout: dropout, EmbeddingDropout: dropout, Pooling: transformer.PoolingMean,
		}
	}
	return transformer.Config{
		ModelType: transformer.ModelXLMRoberta, VocabSize: 60, HiddenSize: 16, NumLayers: 2, NumHeads: 2,
		IntermediateSize: 24, MaxPositions: 40, TypeVocabSize: 1, PadTokenID: 1, LayerNormEps: 1e-5,
		HiddenDropout: dropout, AttentionDropout: dropout, Pooling: transformer.PoolingMean,
	}
}

func tokens(r *rand.Rand, rows, maxLen int) gradcache.Tokens {
	t := gradcache.Tokens{IDs: make([]int32, rows*maxLen), Mask: make([]int32, rows*maxLen), Batch: rows, Len: maxLen}
	for i := 0; i < rows; i++ {
		n := 2 + r.IntN(maxLen-1)
		for j := 0; j < maxLen; j++ {
			t.IDs[i*maxLen+j] = 1 // pad
			if j < n {
				t.IDs[i*maxLen+j] = int32(3 + r.IntN(57))
				t.Mask[i*maxLen+j] = 1
			}
		}
	}
	return t
}

// TestNativeCachedEqualsDirect runs the transformer students (XLM-R and
// ModernBERT, dropout on everywhere it applies, uneven mini-batches, mean
// and cls pooling) through the gradient cache and the direct path.
func TestNativeCachedEqualsDirect(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ arch, pooling string }{
		{transformer.ModelXLMRoberta, transformer.PoolingMean}, {transformer.ModelXLMRoberta, transformer.PoolingCLS},
		{transformer.ModelModernBERT, transformer.PoolingMean}, {transformer.ModelModernBERT, transformer.PoolingCLS},
	} {
		arch, pooling := c.arch, c.pooling
		for _, obj := range []gradcache.Objective{
			objective.Contrastive{Scale: 20, CrossLingual: true},
			objective.Stage2{Opts: losses.DefaultStage2()},
		} {
			t.Run(arch+"/"+pooling+"/"+obj.Name(), func(t *testing.T) {
				cfg := tinyConfig(arch, 0.1)
				cfg.Pooling = pooling
				ctx := mlctx.New()
				if err := transformer.InitRandom(ctx.In(gradcache.StudentScope), cfg, 3); err != nil {
					t.Fatal(err)
				}
				if err := objective.InitPsi(ctx.In(gradcache.LossScope), 16, 5, 1, 0); err != nil {
					t.Fatal(err)
				}
				if err := ctx.SetRNGStateFromSeed(8); err != nil {
					t.Fatal(err)
				}
				e, err := gradcache.New(b, ctx, transformer.Student{Cfg: cfg}, obj, gradcache.Options{MiniBatch: 3, Train: true, TrimPadding: true, Bucket: 4})
				if err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, 2))
				var batch gradcache.Batch
				for range obj.Streams() {
					batch.Streams = append(batch.Streams, tokens(r, 7, 12))
				}
				for range obj.Targets() {
					v := make([]float32, 7*5)
					for i := range v {
						v[i] = float32(r.NormFloat64())
					}
					batch.Targets = append(batch.Targets, tensors.FromFlatDataAndDimensions(v, 7, 5))
				}
				rng := ctx.GetVariableByScopeAndName(mlctx.RootScope, mlctx.RNGStateVariableName)
				start, _ := rng.MustValue().LocalClone()
				cached, err := e.Accumulate(batch)
				if err != nil {
					t.Fatal(err)
				}
				gc, _ := e.Gradients()
				if err := e.ZeroGradients(); err != nil {
					t.Fatal(err)
				}
				if err := rng.SetValue(start); err != nil {
					t.Fatal(err)
				}
				direct, err := e.Direct(batch)
				if err != nil {
					t.Fatal(err)
				}
				gd, _ := e.Gradients()
				if math.Abs(cached.Loss-direct.Loss) > 1e-5*math.Abs(direct.Loss) {
					t.Fatalf("loss: cached %.9g, direct %.9g", cached.Loss, direct.Loss)
				}
				worst := 0.0
				for name, want := range gd {
					w := tensors.MustCopyFlatData[float32](want)
					g := tensors.MustCopyFlatData[float32](gc[name])
					scale := 0.0
					for _, x := range w {
						scale = math.Max(scale, math.Abs(float64(x)))
					}
					for i := range w {
						d := math.Abs(float64(w[i] - g[i]))
						if scale > 0 {
							worst = math.Max(worst, d/scale)
						}
						if d > 1e-5*scale+1e-9 {
							t.Fatalf("%s[%d]: cached %.9g, direct %.9g (max |grad| %.3g)", name, i, g[i], w[i], scale)
						}
					}
				}
				t.Logf("worst relative gradient difference %.2g over %d tensors", worst, len(gd))
			})
		}
	}
}
