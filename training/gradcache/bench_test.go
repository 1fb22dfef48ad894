package gradcache_test

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
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

// defaultModelConfig is the student of scripts/default-model.sh (hidden
// 256, 1 layer, 4 heads, FFN 256, its 12,000-piece vocabulary, 130
// positions), whose stage 1 runs batches of 32 rows of up to 32 tokens.
var defaultModelConfig = transformer.Config{
	ModelType: transformer.ModelXLMRoberta, VocabSize: 12000, HiddenSize: 256, NumLayers: 1, NumHeads: 4,
	IntermediateSize: 256, MaxPositions: 130, TypeVocabSize: 1, PadTokenID: 1, LayerNormEps: 1e-5,
	HiddenDropout: 0.1, AttentionDropout: 0.1, Pooling: transformer.PoolingMean,
}

const benchBatch, benchSeq = 32, 32

// bf16 is c computing in bfloat16 (float32 weights, losses and AdamW).
func bf16(c transformer.Config) transformer.Config {
	c.Compute = dtypes.BFloat16
	return c
}

func benchTokens(r *rand.Rand, vocab int) gradcache.Tokens {
	t := gradcache.Tokens{IDs: make([]int32, benchBatch*benchSeq), Mask: make([]int32, benchBatch*benchSeq), Batch: benchBatch, Len: benchSeq}
	for i := range t.IDs {
		t.IDs[i] = int32(3 + r.IntN(vocab-3))
		t.Mask[i] = 1
	}
	return t
}

// cpuTime is the user+system CPU time of the process so far. On a machine
// shared with other work the wall time of a step varies with the load; the
// CPU time the step itself used varies much less, so the benchmarks report
// both (cpu-ms/op beside ns/op).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTrainStep is one optimiser step of XLCO on a full batch of 32
// query/passage pairs of 32 tokens: forward, backward and AdamW update.
// "direct" computes it in one graph (no cache); "cache-mbN" through the
// gradient cache with mini-batches of N (N = 32: the cache's own overhead).
// "default-model" is the direct step of the default model's student
// (defaultModelConfig) on the same batch shape, "direct-bf16" the direct
// step computing in bfloat16.
func BenchmarkTrainStep(b *testing.B) {
	be := testBackend(b)
	for _, c := range []struct {
		name   string
		cfg    transformer.Config
		mb     int
		direct bool
	}{
		{"direct", benchConfig, benchBatch, true},
		{"cache-mb32", benchConfig, 32, false},
		{"cache-mb8", benchConfig, 8, false},
		{"default-model", defaultModelConfig, benchBatch, true},
		{"direct-bf16", bf16(benchConfig), benchBatch, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := mlctx.New()
			if err := transformer.InitRandom(ctx.In(gradcache.StudentScope), c.cfg, 1); err != nil {
				b.Fatal(err)
			}
			if err := ctx.SetRNGStateFromSeed(1); err != nil {
				b.Fatal(err)
			}
			e, err := gradcache.New(be, ctx, transformer.Student{Cfg: c.cfg}, objective.Contrastive{Scale: 20, CrossLingual: true},
				gradcache.Options{MiniBatch: c.mb, Train: true})
			if err != nil {
				b.Fatal(err)
			}
			opt, err := optim.NewAdamW(be, ctx, e.Params(), e.Accumulators(), optim.Default())
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 1))
			batch := gradcache.Batch{Streams: []gradcache.Tokens{benchTokens(r, c.cfg.VocabSize), benchTokens(r, c.cfg.VocabSize)}}
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
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				step(i + 2)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}
