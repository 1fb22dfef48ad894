package transformer

import (
	"math"
	"strconv"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// encodeModernBERT is ModernBertModel's forward pass (transformers' eager
// attention path), giving the last hidden state [batch, seq, hidden]:
//
//	x = drop(norm(tok_embeddings[ids]))
//	per layer l:  x += drop(Wo(attention(attn_norm(x))))   (layer 0: no attn_norm)
//	              x += Wo(drop(gelu(a) * g)), [a g] = Wi(mlp_norm(x))
//	final_norm(x)
//
// Attention rotates queries and keys by rotary positions 0..seq-1 (theta
// GlobalRopeTheta in global layers, LocalRopeTheta in the others); a local
// layer adds maskBias to the scores of keys more than LocalAttention/2
// positions away. Stacked projections (Wqkv, Wi) are split by gathers over
// a leading axis, and rotate_half is a product with a constant signed
// permutation, because the gradient of Slice is a Pad, which the pure-Go
// backend lacks (see firstRow).
func encodeModernBERT(ctx *context.Context, w weights, cfg Config, ids, maskF *graph.Node, train bool) *graph.Node {
	h, ff, nh := cfg.HiddenSize, cfg.IntermediateSize, cfg.NumHeads
	hd := h / nh
	g := ids.Graph()
	dims := ids.Shape().Dimensions
	batch, seq := dims[0], dims[1]

	x := embed(w.get("embeddings.tok_embeddings.weight", cfg.VocabSize, h), ids)
	x = layerNormBias(w, "embeddings.norm", x, cfg, cfg.NormBias)
	cdt := cfg.ComputeDType()
	x = graph.ConvertDType(x, cdt)
	x = dropout(ctx, x, cfg.EmbeddingDropout, train)

	// Additive biases [batch, 1, 1|seq, seq]: padding keys, and for local
	// layers also the keys outside the window.
	keyBias := graph.InsertAxes(graph.MulScalar(graph.OneMinus(maskF), maskBias), 1, 1)
	localBias := graph.Add(keyBias, graph.Const(g, windowBias(seq, cfg.LocalAttention/2)))
	rot := graph.ConvertDType(graph.Const(g, rotateHalfMatrix(hd)), cdt)
	ropes := map[bool][2]*graph.Node{}
	for _, global := range []bool{true, false} {
		theta := cfg.LocalRopeTheta
		if global {
			theta = cfg.GlobalRopeTheta
		}
		cos, sin := ropeTables(seq, hd, theta)
		ropes[global] = [2]*graph.Node{graph.ConvertDType(graph.Const(g, cos), cdt), graph.ConvertDType(graph.Const(g, sin), cdt)}
	}

	for l := range cfg.NumLayers {
		p := "layers." + strconv.Itoa(l)
		a := x
		if l > 0 {
			a = layerNormBias(w, p+".attn_norm", a, cfg, cfg.NormBias)
		}
		global := cfg.GlobalLayer(l)
		bias := localBias
		if global {
			bias = keyBias
		}
		// [batch, seq, 3h] -> [3, batch, heads, seq, hd]
		qkv := linearBias(w, p+".attn.Wqkv", a, 3*h, h, cfg.AttentionBias)
		qkv = graph.TransposeAllAxes(graph.Reshape(qkv, batch, seq, 3, nh, hd), 2, 0, 3, 1, 4)
		rope := ropes[global]
		rotate := func(t *graph.Node) *graph.Node { // t*cos + rotate_half(t)*sin
			half := graph.DotGeneral(t, []int{3}, nil, rot, []int{0}, nil)
			return graph.Add(graph.Mul(t, rope[0]), graph.Mul(half, rope[1]))
		}
		q, k, v := rotate(row(qkv, 0)), rotate(row(qkv, 1)), row(qkv, 2)
		probs := attentionProbs(graph.Einsum("bnqd,bnkd->bnqk", q, k), bias, hd)
		probs = dropout(ctx, graph.ConvertDType(probs, cdt), cfg.AttentionDropout, train)
		att := graph.Einsum("bnqk,bnkd->bnqd", probs, v)
		att = graph.Reshape(graph.TransposeAllAxes(att, 0, 2, 1, 3), batch, seq, h)
		att = linearBias(w, p+".attn.Wo", att, h, h, cfg.AttentionBias)
		x = graph.Add(x, dropout(ctx, att, cfg.AttentionDropout, train))

		m := layerNormBias(w, p+".mlp_norm", x, cfg, cfg.NormBias)
		wi := linearBias(w, p+".mlp.Wi", m, 2*ff, h, cfg.MLPBias) // [batch, seq, 2ff]
		wi = graph.TransposeAllAxes(graph.Reshape(wi, batch, seq, 2, ff), 2, 0, 1, 3)
		f := graph.Mul(gelu(row(wi, 0)), row(wi, 1))
		f = dropout(ctx, f, cfg.MLPDropout, train)
		x = graph.Add(x, linearBias(w, p+".mlp.Wo", f, h, ff, cfg.MLPBias))
	}
	return layerNormBias(w, "final_norm", x, cfg, cfg.NormBias)
}

// windowBias is the [1, 1, seq, seq] bias of a sliding window: 0 where
// |query - key| <= half, maskBias elsewhere.
func windowBias(seq, half int) [][][][]float32 {
	m := make([][]float32, seq)
	for i := range m {
		m[i] = make([]float32, seq)
		for j := range m[i] {
			if d := i - j; d > half || -d > half {
				m[i][j] = maskBias
			}
		}
	}
	return [][][][]float32{{m}}
}

// rotateHalfMatrix is R [hd, hd] with t·R = rotate_half(t) = [-t2, t1] for
// t = [t1, t2] (halves of the head dimension): one ±1 per column, so the
// product is exact.
func rotateHalfMatrix(hd int) [][]float32 {
	r := make([][]float32, hd)
	for i := range r {
		r[i] = make([]float32, hd)
	}
	for j := range hd / 2 {
		r[j+hd/2][j] = -1
		r[j][j+hd/2] = 1
	}
	return r
}

// ropeTables are the rotary cos and sin [1, 1, seq, hd] of positions
// 0..seq-1, computed in float32 the way transformers does (inverse
// frequencies 1/theta^(2i/hd), angles position*frequency, the hd/2
// frequencies repeated for the two halves), so the angles round alike.
func ropeTables(seq, hd int, theta float64) (cos, sin [][][][]float32) {
	inv := make([]float32, hd/2)
	for i := range inv {
		e := float32(2*i) / float32(hd)
		inv[i] = 1 / float32(math.Pow(float64(float32(theta)), float64(e)))
	}
	c, s := make([][]float32, seq), make([][]float32, seq)
	for p := range seq {
		c[p], s[p] = make([]float32, hd), make([]float32, hd)
		for j := range hd {
			a := float32(p) * inv[j%(hd/2)]
			c[p][j] = float32(math.Cos(float64(a)))
			s[p][j] = float32(math.Sin(float64(a)))
		}
	}
	return [][][][]float32{{c}}, [][][][]float32{{s}}
}
