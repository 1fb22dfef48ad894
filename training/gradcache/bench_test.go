package gradcache_test

import (
	"math/rand/v2"
	"testing"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/objective"
	"github.com/mimo-mlir/mimo/training/optim"
	"github.com/mimo-mlir/mimo/transformer"
)

// BenchConfig is the tiny encoder of the benchmarks (the shape of
// adapters/onnx/testdata/tiny-xlmr); scripts/bench-train.sh builds the same
// model, batch and loss in PyTorch.
var benchConfig = transformer.Config{
	ModelType: transformer.ModelXLMRoberta, VocabSize: 4002, HiddenSize: 64, NumLayers: 2, NumHeads: 4,
	IntermediateSize: 128, MaxPositions: 514, TypeVocabSize: 1, PadTokenID: 1, LayerNormEps: 1e-5,
	HiddenDropout: 0.1, AttentionDropout: 0.1, Pooling: transformer.PoolingMean,
}

const benchBatch, benchSeq = 32, 32

func benchTokens(r *rand.Rand) gradcache.Tokens {
	t := gradcache.Tokens{IDs: make([]int32, benchBatch*benchSeq), Mask: make([]int32, benchBatch*benchSeq), Batch: benchBatch, Len: benchSeq}
	for i := range t.IDs {
		t.IDs[i] = int32(3 + r.IntN(3999))
		t.Mask[i] = 1
	}
	return t
}

// BenchmarkTrainStep is one optimiser step of XLCO on a full batch of 32
// query/passage pairs of 32 tokens: forward, backward and AdamW update.
// "direct" computes it in one graph (no cache); "cache-mbN" through the
// gradient cache with mini-batches of N (N = 32: the cache's own overhead).
func BenchmarkTrainStep(b *testing.B) {
	be := testBackend(b)
	for _, c := range []struct {
		name   string
		mb     int
		direct bool
	}{{"direct", benchBatch, true}, {"cache-mb32", 32, false}, {"cache-mb8", 8, false}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := mlctx.New()
			if err := transformer.InitRandom(ctx.In(gradcache.StudentScope), benchConfig, 1); err != nil {
				b.Fatal(err)
			}
			if err := ctx.SetRNGStateFromSeed(1); err != nil {
				b.Fatal(err)
			}
			e, err := gradcache.New(be, ctx, transformer.Student{Cfg: benchConfig}, objective.Contrastive{Scale: 20, CrossLingual: true},
				gradcache.Options{MiniBatch: c.mb, Train: true})
			if err != nil {
				b.Fatal(err)
			}
			opt, err := optim.NewAdamW(be, ctx, e.Params(), e.Accumulators(), optim.Default())
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 1))
			batch := gradcache.Batch{Streams: []gradcache.Tokens{benchTokens(r), benchTokens(r)}}
			step := func(t int) {
				var err error
				if c.direct {
					_, err = e.Direct(batch)
				} else {
					_, err = e.Accumulate(batch)
				}
				if err != nil {
					b.Fatal(err)
				}
				if _, err := opt.Step(1e-4, t); err != nil {
					b.Fatal(err)
				}
			}
			step(1) // compile
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step(i + 2)
			}
		})
	}
}
