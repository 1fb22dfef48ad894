package transformer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// TestGradientsMatchFiniteDifferences checks that GoMLX's autodiff through
// Encode (embeddings gather, LayerNorm, attention with the mask bias, erf
// GELU, pooling) gives the directional derivative that central finite
// differences measure, for a weight of every kind, both poolings.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	xlmr := []string{
		"embeddings.word_embeddings.weight",
		"embeddings.position_embeddings.weight",
		"embeddings.LayerNorm.weight",
		"encoder.layer.0.attention.self.query.weight",
		"encoder.layer.0.attention.self.value.bias", // (key.bias has zero gradient: softmax is shift-invariant)
		"encoder.layer.1.intermediate.dense.weight",
		"encoder.layer.1.output.LayerNorm.bias",
	}
	// ModernBERT: rotary attention in a global (0) and a sliding (1)
	// layer, the GeGLU's gathers, the bias-optional norms and linears.
	modern := []string{
		"embeddings.tok_embeddings.weight",
		"embeddings.norm.weight",
		"layers.0.attn.Wqkv.weight",
		"layers.1.attn.Wqkv.weight",
		"layers.1.attn.Wo.bias",
		"layers.1.attn_norm.weight",
		"layers.2.mlp.Wi.weight",
		"layers.2.mlp.Wo.weight",
		"final_norm.bias",
	}
	for _, pooling := range []string{PoolingMean, PoolingCLS} {
		t.Run("xlm-roberta/"+pooling, func(t *testing.T) {
			cfg := smallConfig(ModelXLMRoberta, pooling)
			cfg.HiddenDropout, cfg.AttentionDropout = 0, 0
			checkGradients(t, cfg, xlmr)
		})
		t.Run("modernbert/"+pooling, func(t *testing.T) {
			cfg := modernConfig(pooling)
			cfg.AttentionDropout, cfg.MLPDropout, cfg.EmbeddingDropout = 0, 0, 0
			checkGradients(t, cfg, modern)
		})
	}
}

// checkGradients compares, for each named weight, the autodiff directional
// derivative of <Encode(batch), r> with central finite differences.
func checkGradients(t *testing.T, cfg Config, names []string) {
	b := newBackend(t)
	ids := []int64{0, 5, 9, 13, 2, 1, 1, 0, 40, 41, 42, 43, 44, 2}
	mask := []int64{1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1}
	ctx := mlctx.New()
	if err := InitRandom(ctx, cfg, 21); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	r := make([]float32, 2*cfg.HiddenSize) // loss = <Encode, r>, not symmetric
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	loss := func(ctx *mlctx.Context, ids, mask *graph.Node) *graph.Node {
		out := Encode(ctx, cfg, ids, mask, true) // the callers set dropout rates to 0
		return graph.ReduceAllSum(graph.Mul(out, graph.Const(ids.Graph(), tensors.FromFlatDataAndDimensions(r, 2, cfg.HiddenSize))))
	}
	vars := make([]*mlctx.Variable, len(names))
	for i, n := range names {
		vars[i] = lookupVariable(ctx, n)
	}
	gradExec, err := mlctx.NewExec(b, ctx.Reuse(), func(ctx *mlctx.Context, ids, mask *graph.Node) []*graph.Node {
		l := loss(ctx, ids, mask)
		nodes := make([]*graph.Node, len(vars))
		for i, v := range vars {
			nodes[i] = v.ValueGraph(ids.Graph())
		}
		return graph.Gradient(l, nodes...)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer gradExec.Finalize()
	lossExec, err := mlctx.NewExec(b, ctx.Reuse(), loss)
	if err != nil {
		t.Fatal(err)
	}
	defer lossExec.Finalize()
	in := func() []any {
		return []any{tensors.FromFlatDataAndDimensions(ids, 2, 7), tensors.FromFlatDataAndDimensions(mask, 2, 7)}
	}
	grads, err := gradExec.Exec(in()...)
	if err != nil {
		t.Fatal(err)
	}
	evalLoss := func() float64 {
		out, err := lossExec.Exec(in()...)
		if err != nil {
			t.Fatal(err)
		}
		return float64(tensors.MustCopyFlatData[float32](out[0])[0])
	}
	for i, v := range vars {
		g := tensors.MustCopyFlatData[float32](grads[i])
		orig := tensors.MustCopyFlatData[float32](v.MustValue())
		// Direction: the unit gradient plus a unit random vector,
		// normalised, so the derivative is large enough to measure in
		// float32 and off-gradient components are still exercised.
		u := make([]float64, len(orig))
		var gn, un float64
		for k := range u {
			u[k] = rng.NormFloat64()
			gn += float64(g[k]) * float64(g[k])
			un += u[k] * u[k]
		}
		gn, un = math.Sqrt(gn), math.Sqrt(un)
		if gn == 0 {
			t.Fatalf("%s: zero gradient", names[i])
		}
		dir := make([]float32, len(orig))
		var dn float64
		for k := range u {
			d := float64(g[k])/gn + u[k]/un
			dir[k] = float32(d)
			dn += d * d
		}
		var want float64
		for k := range dir {
			dir[k] = float32(float64(dir[k]) / math.Sqrt(dn))
			want += float64(dir[k]) * float64(g[k])
		}
		const eps = 1e-2
		set := func(s float32) {
			w := make([]float32, len(orig))
			for k := range w {
				w[k] = orig[k] + s*dir[k]
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...)); err != nil {
				t.Fatal(err)
			}
		}
		set(eps)
		plus := evalLoss()
		set(-eps)
		minus := evalLoss()
		set(0)
		fd := (plus - minus) / (2 * eps)
		if rel := math.Abs(fd-want) / math.Abs(want); rel > 1e-2 {
			t.Errorf("%s: autodiff directional derivative %.5g, finite differences %.5g (rel %.2g)", names[i], want, fd, rel)
		}
	}
}
