package student_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/native"
	"github.com/mimo-mlir/mimo/training"
	"github.com/mimo-mlir/mimo/training/backend"
	"github.com/mimo-mlir/mimo/training/gradcache"
	"github.com/mimo-mlir/mimo/training/losses"
	"github.com/mimo-mlir/mimo/training/objective"
	"github.com/mimo-mlir/mimo/training/student"
)

func tinyConfig(arch string, dropout float64) native.Config {
	if arch == native.ModelModernBERT {
		// Global attention in layer 0, a 4-token window in layer 1.
		return native.Config{
			ModelType: native.ModelModernBERT, VocabSize: 60, HiddenSize: 16, NumLayers: 2, NumHeads: 2,
			IntermediateSize: 24, MaxPositions: 40, PadTokenID: 1, LayerNormEps: 1e-5,
			LocalAttention: 4, GlobalEvery: 2, GlobalRopeTheta: 160000, LocalRopeTheta: 10000,
			AttentionDropout: dropout, MLPDropout: dropout, EmbeddingDropout: dropout, Pooling: native.PoolingMean,
		}
	}
	return native.Config{
		ModelType: native.ModelXLMRoberta, VocabSize: 60, HiddenSize: 16, NumLayers: 2, NumHeads: 2,
		IntermediateSize: 24, MaxPositions: 40, TypeVocabSize: 1, PadTokenID: 1, LayerNormEps: 1e-5,
		HiddenDropout: dropout, AttentionDropout: dropout, Pooling: native.PoolingMean,
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
	b, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ arch, pooling string }{
		{native.ModelXLMRoberta, native.PoolingMean}, {native.ModelXLMRoberta, native.PoolingCLS},
		{native.ModelModernBERT, native.PoolingMean}, {native.ModelModernBERT, native.PoolingCLS},
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
				if err := native.InitRandom(ctx.In(gradcache.StudentScope), cfg, 3); err != nil {
					t.Fatal(err)
				}
				if err := objective.InitPsi(ctx.In(gradcache.LossScope), 16, 5, 1, 0); err != nil {
					t.Fatal(err)
				}
				if err := ctx.SetRNGStateFromSeed(8); err != nil {
					t.Fatal(err)
				}
				e, err := gradcache.New(b, ctx, student.Native{Cfg: cfg}, obj, gradcache.Options{MiniBatch: 3, Train: true, TrimPadding: true, Bucket: 4})
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

// TestWrittenFolderLoads writes the trained student's model folder and
// opens it as the evaluation side does (kind "native"): its vectors equal the
// training graph's inference-mode outputs, L2-normalised.
func TestWrittenFolderLoads(t *testing.T) {
	b, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join("..", "..", "adapters", "onnx", "testdata", "tiny-xlmr", "tokenizer.json")
	cfgPath := filepath.Join("..", "..", "adapters", "onnx", "testdata", "tiny-xlmr", "config.json")
	ctx := mlctx.New()
	st, err := student.LoadNative(ctx.InAbsPath("/"+gradcache.StudentScope), cfgPath, "", "", 5)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := training.WriteNativeFolder(ctx, st.Cfg, tok, dir, "test-student", 64, training.Default()); err != nil {
		t.Fatal(err)
	}
	f, err := adapters.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := adapters.OpenFolder(context.Background(), f, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	texts := []string{"Guten Morgen, wie geht es dir?", "where is the station"}
	got, err := enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleQuery, Texts: texts})
	if err != nil {
		t.Fatal(err)
	}
	// The training side: tokenise as Run does and run Embed with train=false.
	tk, err := loadTok(tok)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		e, err := tk.EncodeBatch([]string{text}, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int32, len(e[0].IDs))
		mask := make([]int32, len(ids))
		for j, x := range e[0].IDs {
			ids[j], mask[j] = int32(x), 1
		}
		out, err := mlctx.ExecOnce(b, ctx.Reuse(), func(c *mlctx.Context, idsN, maskN *mlctx.Node) *mlctx.Node {
			return st.Embed(c.InAbsPath("/"+gradcache.StudentScope), idsN, maskN, false)
		}, tensors.FromFlatDataAndDimensions(ids, 1, len(ids)), tensors.FromFlatDataAndDimensions(mask, 1, len(ids)))
		if err != nil {
			t.Fatal(err)
		}
		want := tensors.MustCopyFlatData[float32](out)
		var n float64
		for _, x := range want {
			n += float64(x) * float64(x)
		}
		n = math.Sqrt(n)
		for j := range want {
			if math.Abs(float64(got[i][j])-float64(want[j])/n) > 1e-5 {
				t.Fatalf("text %d dim %d: folder %g, training graph %g", i, j, got[i][j], float64(want[j])/n)
			}
		}
	}
}
