package transformer

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Scope is the sub-scope of the caller's context that holds the encoder's
// variables.
const Scope = "encoder"

// maskBias is added to attention scores of padded keys. exp(score-1e9)
// underflows to exactly 0 in float32, as Hugging Face's finfo.min bias does,
// without the risk of -inf - -inf.
const maskBias = -1e9

// initKind says how InitRandom fills a tensor.
type initKind int

const (
	initNormal initKind = iota // truncated normal, std initStd
	initZeros
	initOnes
)

// initStd is Hugging Face's initializer_range for BERT and XLM-R.
const initStd = 0.02

// tensorSpec is one weight of the encoder under its Hugging Face name.
type tensorSpec struct {
	Name  string
	Shape []int
	Init  initKind
	Std   float64 // of initNormal; 0 means initStd
}

// tensorSpecs lists every weight of cfg's encoder, in a fixed order.
func tensorSpecs(cfg Config) []tensorSpec {
	if cfg.ModelType == ModelModernBERT {
		return modernBERTSpecs(cfg)
	}
	h, ff := cfg.HiddenSize, cfg.IntermediateSize
	specs := []tensorSpec{
		{"embeddings.word_embeddings.weight", []int{cfg.VocabSize, h}, initNormal, 0},
		{"embeddings.position_embeddings.weight", []int{cfg.MaxPositions, h}, initNormal, 0},
		{"embeddings.token_type_embeddings.weight", []int{cfg.TypeVocabSize, h}, initNormal, 0},
		{"embeddings.LayerNorm.weight", []int{h}, initOnes, 0},
		{"embeddings.LayerNorm.bias", []int{h}, initZeros, 0},
	}
	linear := func(prefix string, out, in int) {
		specs = append(specs,
			tensorSpec{prefix + ".weight", []int{out, in}, initNormal, 0},
			tensorSpec{prefix + ".bias", []int{out}, initZeros, 0})
	}
	norm := func(prefix string) {
		specs = append(specs,
			tensorSpec{prefix + ".weight", []int{h}, initOnes, 0},
			tensorSpec{prefix + ".bias", []int{h}, initZeros, 0})
	}
	for l := range cfg.NumLayers {
		p := "encoder.layer." + strconv.Itoa(l)
		linear(p+".attention.self.query", h, h)
		linear(p+".attention.self.key", h, h)
		linear(p+".attention.self.value", h, h)
		linear(p+".attention.output.dense", h, h)
		norm(p + ".attention.output.LayerNorm")
		linear(p+".intermediate.dense", ff, h)
		linear(p+".output.dense", h, ff)
		norm(p + ".output.LayerNorm")
	}
	return specs
}

// NumParameters is the number of weights of cfg's encoder.
func (c Config) NumParameters() int64 {
	var n int64
	for _, s := range tensorSpecs(c) {
		k := int64(1)
		for _, d := range s.Shape {
			k *= int64(d)
		}
		n += k
	}
	return n
}

// varScope returns the context and variable name holding Hugging Face tensor
// name under ctx.
func varScope(ctx *context.Context, name string) (*context.Context, string) {
	parts := strings.Split(name, ".")
	c := ctx.In(Scope)
	for _, p := range parts[:len(parts)-1] {
		c = c.In(p)
	}
	return c, parts[len(parts)-1]
}

// lookupVariable finds the variable of tensor name under ctx, or nil.
func lookupVariable(ctx *context.Context, name string) *context.Variable {
	c, v := varScope(ctx, name)
	return c.GetVariableByScopeAndName(c.Scope(), v)
}

// weights fetches the encoder's variables as graph nodes, checking shapes.
type weights struct {
	ctx *context.Context
	g   *graph.Graph
}

func (w weights) get(name string, dims ...int) *graph.Node {
	v := lookupVariable(w.ctx, name)
	if v == nil {
		panicf("transformer: variable for %q does not exist under scope %q: call InitRandom or LoadSafetensors before Encode", name, w.ctx.Scope())
	}
	if want := shapes.Make(dtypes.Float32, dims...); !v.Shape().Equal(want) {
		panicf("transformer: variable for %q has shape %s, the config wants %s", name, v.Shape(), want)
	}
	return v.ValueGraph(w.g)
}

// modernBERTSpecs lists ModernBertModel's weights. Layer 0 has no attn_norm
// (the embeddings' norm precedes it); Wqkv stacks the query, key and value
// projections, Wi the GeGLU's input and gate halves. Output projections
// start with transformers' smaller std, 0.02/sqrt(2 layers).
func modernBERTSpecs(cfg Config) []tensorSpec {
	h, ff := cfg.HiddenSize, cfg.IntermediateSize
	outStd := initStd / math.Sqrt(2*float64(cfg.NumLayers))
	specs := []tensorSpec{{Name: "embeddings.tok_embeddings.weight", Shape: []int{cfg.VocabSize, h}, Init: initNormal}}
	norm := func(prefix string) {
		specs = append(specs, tensorSpec{Name: prefix + ".weight", Shape: []int{h}, Init: initOnes})
		if cfg.NormBias {
			specs = append(specs, tensorSpec{Name: prefix + ".bias", Shape: []int{h}, Init: initZeros})
		}
	}
	linear := func(prefix string, out, in int, bias bool, std float64) {
		specs = append(specs, tensorSpec{Name: prefix + ".weight", Shape: []int{out, in}, Init: initNormal, Std: std})
		if bias {
			specs = append(specs, tensorSpec{Name: prefix + ".bias", Shape: []int{out}, Init: initZeros})
		}
	}
	norm("embeddings.norm")
	for l := range cfg.NumLayers {
		p := "layers." + strconv.Itoa(l)
		if l > 0 {
			norm(p + ".attn_norm")
		}
		linear(p+".attn.Wqkv", 3*h, h, cfg.AttentionBias, initStd)
		linear(p+".attn.Wo", h, h, cfg.AttentionBias, outStd)
		norm(p + ".mlp_norm")
		linear(p+".mlp.Wi", 2*ff, h, cfg.MLPBias, initStd)
		linear(p+".mlp.Wo", h, ff, cfg.MLPBias, outStd)
	}
	norm("final_norm")
	return specs
}

// Encode builds the encoder's graph: token ids and attention mask, both
// [batch, seq] of an integer dtype (int32 or int64; mask 1 for real tokens,
// 0 for padding), give pooled vectors [batch, hidden] in float32, not
// normalised. Pooling is cfg.Pooling. train switches dropout on (it draws
// from ctx's random state). Variables are read from ctx's scope + "/encoder"
// and must exist (InitRandom or LoadSafetensors).
//
// Position ids follow Hugging Face: for XLM-R they count the non-padding
// tokens (ids != PadTokenID) from PadTokenID+1 and padded positions get
// PadTokenID; for BERT and ModernBERT they are 0..seq-1 (so inputs are
// padded on the right). Token type ids are all 0.
func Encode(ctx *context.Context, cfg Config, ids, mask *graph.Node, train bool) *graph.Node {
	hidden := EncodeTokens(ctx, cfg, ids, mask, train)
	return Pool(graph.ConvertDType(hidden, dtypes.Float32), mask, cfg.Pooling)
}

// EncodeTokens is Encode without the pooling: the last hidden state
// [batch, seq, hidden], in cfg.ComputeDType().
func EncodeTokens(ctx *context.Context, cfg Config, ids, mask *graph.Node, train bool) *graph.Node {
	if ids.Rank() != 2 || !ids.Shape().Equal(shapes.Make(ids.DType(), mask.Shape().Dimensions...)) {
		panicf("transformer.Encode: ids %s and mask %s must both be [batch, seq]", ids.Shape(), mask.Shape())
	}
	if !ids.DType().IsInt() || !mask.DType().IsInt() {
		panicf("transformer.Encode: ids (%s) and mask (%s) must be integers", ids.DType(), mask.DType())
	}
	seq := ids.Shape().Dimensions[1]
	if seq > cfg.MaxSequenceLength() {
		panicf("transformer.Encode: sequence length %d exceeds the model's %d positions", seq, cfg.MaxSequenceLength())
	}
	g := ids.Graph()
	w := weights{ctx: ctx, g: g}
	h, ff := cfg.HiddenSize, cfg.IntermediateSize
	ids = graph.ConvertDType(ids, dtypes.Int32)
	maskF := graph.ConvertDType(mask, dtypes.Float32)
	if cfg.ModelType == ModelModernBERT {
		return encodeModernBERT(ctx, w, cfg, ids, maskF, train)
	}

	// Embeddings.
	x := embed(w.get("embeddings.word_embeddings.weight", cfg.VocabSize, h), ids)
	x = graph.Add(x, embed(w.get("embeddings.position_embeddings.weight", cfg.MaxPositions, h), positionIDs(cfg, ids)))
	tt := w.get("embeddings.token_type_embeddings.weight", cfg.TypeVocabSize, h)
	x = graph.Add(x, graph.Reshape(firstRow(tt), 1, 1, h))
	x = layerNorm(w, "embeddings.LayerNorm", x, cfg)
	x = graph.ConvertDType(x, cfg.ComputeDType())
	x = dropout(ctx, x, cfg.HiddenDropout, train)

	// Additive attention bias [batch, 1, 1, seq]: 0 for real keys, maskBias for padding.
	bias := graph.MulScalar(graph.OneMinus(maskF), maskBias)
	bias = graph.InsertAxes(bias, 1, 1)

	for l := range cfg.NumLayers {
		p := "encoder.layer." + strconv.Itoa(l)
		a := selfAttention(ctx, w, p+".attention.self", x, bias, cfg, train)
		a = linear(w, p+".attention.output.dense", a, h, h)
		a = dropout(ctx, a, cfg.HiddenDropout, train)
		x = layerNorm(w, p+".attention.output.LayerNorm", graph.Add(a, x), cfg)

		f := gelu(linear(w, p+".intermediate.dense", x, ff, h))
		f = linear(w, p+".output.dense", f, h, ff)
		f = dropout(ctx, f, cfg.HiddenDropout, train)
		x = layerNorm(w, p+".output.LayerNorm", graph.Add(f, x), cfg)
	}
	return x
}

// Pool reduces the last hidden state [batch, seq, hidden] to [batch, hidden]:
// "mean" averages the tokens whose mask is non-zero (a row with no tokens
// gives zeros), "cls" takes the first token.
func Pool(hidden, mask *graph.Node, pooling string) *graph.Node {
	switch pooling {
	case PoolingMean, "":
		m := graph.InsertAxes(graph.ConvertDType(mask, hidden.DType()), -1) // [batch, seq, 1]
		sum := graph.ReduceSum(graph.Mul(hidden, m), 1)
		n := graph.MaxScalar(graph.ReduceSum(m, 1), 1e-9) // sentence-transformers' clamp
		return graph.Div(sum, n)
	case PoolingCLS:
		return firstRow(graph.TransposeAllAxes(hidden, 1, 0, 2)) // [seq, batch, h] -> [batch, h]
	default:
		panicf("transformer.Pool: pooling %q is not %q or %q", pooling, PoolingMean, PoolingCLS)
		return nil
	}
}

// positionIDs gives the position id of every token [batch, seq] (int32).
func positionIDs(cfg Config, ids *graph.Node) *graph.Node {
	g := ids.Graph()
	if cfg.ModelType == ModelBERT {
		return graph.Iota(g, ids.Shape(), 1)
	}
	// create_position_ids_from_input_ids: cumsum(ids != pad) * (ids != pad) + pad.
	notPad := graph.ConvertDType(graph.NotEqual(ids, graph.Scalar(g, dtypes.Int32, cfg.PadTokenID)), dtypes.Int32)
	return graph.AddScalar(graph.Mul(graph.CumSum(notPad, 1), notPad), cfg.PadTokenID)
}

// embed looks rows of table [n, h] up by index [batch, seq]: [batch, seq, h].
func embed(table, idx *graph.Node) *graph.Node {
	return graph.Gather(table, graph.InsertAxes(idx, -1))
}

// linear applies a PyTorch Linear (weight [out, in], bias [out]) to x [..., in].
func linear(w weights, prefix string, x *graph.Node, out, in int) *graph.Node {
	return linearBias(w, prefix, x, out, in, true)
}

// linearBias is linear for a Linear that may have no bias (bias=False). The
// float32 weights are converted to x's dtype (the compute dtype).
func linearBias(w weights, prefix string, x *graph.Node, out, in int, bias bool) *graph.Node {
	wt := graph.ConvertDType(w.get(prefix+".weight", out, in), x.DType())
	y := graph.DotGeneral(x, []int{x.Rank() - 1}, nil, wt, []int{1}, nil)
	if !bias {
		return y
	}
	return graph.Add(y, lastAxis(graph.ConvertDType(w.get(prefix+".bias", out), y.DType()), y.Rank()))
}

// layerNorm normalises the last axis with biased variance, as torch does.
func layerNorm(w weights, prefix string, x *graph.Node, cfg Config) *graph.Node {
	return layerNormBias(w, prefix, x, cfg, true)
}

// layerNormBias is layerNorm for a LayerNorm that may have no bias
// (ModernBERT's norm_bias=False). It computes in float32 and returns x's
// dtype (as mixed-precision training keeps normalisation in float32).
func layerNormBias(w weights, prefix string, x *graph.Node, cfg Config, bias bool) *graph.Node {
	if dt := x.DType(); dt != dtypes.Float32 {
		return graph.ConvertDType(layerNormBias(w, prefix, graph.ConvertDType(x, dtypes.Float32), cfg, bias), dt)
	}
	h := cfg.HiddenSize
	gamma := w.get(prefix+".weight", h)
	mean := graph.ReduceAndKeep(x, graph.ReduceMean, -1)
	c := graph.Sub(x, mean)
	variance := graph.ReduceAndKeep(graph.Square(c), graph.ReduceMean, -1)
	// Div by Sqrt, not Mul by Rsqrt: GoMLX v0.26.0 has no gradient for Rsqrt.
	y := graph.Mul(graph.Div(c, graph.Sqrt(graph.AddScalar(variance, cfg.LayerNormEps))), lastAxis(gamma, x.Rank()))
	if !bias {
		return y
	}
	return graph.Add(y, lastAxis(w.get(prefix+".bias", h), y.Rank()))
}

// lastAxis reshapes a vector [n] to [1, ..., 1, n] of the given rank, for
// broadcasting along the last axis (GoMLX broadcasts only equal ranks).
func lastAxis(v *graph.Node, rank int) *graph.Node {
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = 1
	}
	dims[rank-1] = v.Shape().Dimensions[0]
	return graph.Reshape(v, dims...)
}

// gelu is the exact (erf) GELU of Hugging Face's "gelu".
func gelu(x *graph.Node) *graph.Node {
	cdf := graph.MulScalar(graph.OnePlus(graph.Erf(graph.MulScalar(x, 1/math.Sqrt2))), 0.5)
	return graph.Mul(x, cdf)
}

// selfAttention is multi-head scaled dot-product attention over x
// [batch, seq, h] with the additive key bias [batch, 1, 1, seq].
//
// The projections stay three products: on the pure-Go backend each already
// takes the blocked kernel (more than 16k output elements per batch entry),
// and stacking them [3h, h] (tried for issue 14) only moved the layout copy
// into the gathers that split the heads again, which cost more instructions
// than the two transposes saved (docs/performance.md).
func selfAttention(ctx *context.Context, w weights, prefix string, x, bias *graph.Node, cfg Config, train bool) *graph.Node {
	h, nh := cfg.HiddenSize, cfg.NumHeads
	hd := h / nh
	dims := x.Shape().Dimensions
	batch, seq := dims[0], dims[1]
	heads := func(name string) *graph.Node { // [batch, heads, seq, hd]
		y := linear(w, prefix+"."+name, x, h, h)
		return graph.TransposeAllAxes(graph.Reshape(y, batch, seq, nh, hd), 0, 2, 1, 3)
	}
	q, k, v := heads("query"), heads("key"), heads("value")
	probs := attentionProbs(graph.Einsum("bnqd,bnkd->bnqk", q, k), bias, hd)
	probs = dropout(ctx, graph.ConvertDType(probs, v.DType()), cfg.AttentionDropout, train)
	out := graph.Einsum("bnqk,bnkd->bnqd", probs, v)
	return graph.Reshape(graph.TransposeAllAxes(out, 0, 2, 1, 3), batch, seq, h)
}

// attentionProbs is softmax(scores/sqrt(hd) + bias) over the keys, in
// float32 whatever the dtype of the scores (bias is float32).
func attentionProbs(scores, bias *graph.Node, hd int) *graph.Node {
	scores = graph.MulScalar(graph.ConvertDType(scores, dtypes.Float32), 1/math.Sqrt(float64(hd)))
	return graph.Softmax(graph.Add(scores, bias), -1)
}

// dropout zeroes each element with probability rate and scales the rest by
// 1/(1-rate) when train; otherwise it is the identity. Random numbers come
// from ctx's random state, so a caller that restores the state replays the
// same mask (the gradient cache relies on this).
func dropout(ctx *context.Context, x *graph.Node, rate float64, train bool) *graph.Node {
	if !train || rate <= 0 {
		return x
	}
	g := x.Graph()
	u := ctx.RandomUniform(g, shapes.Make(x.DType(), x.Shape().Dimensions...))
	keep := graph.GreaterOrEqual(u, graph.Scalar(g, x.DType(), rate))
	return graph.Where(keep, graph.DivScalar(x, 1-rate), graph.ZerosLike(x))
}

// panicf aborts graph building with an error; GoMLX's executors recover it
// and return it from Exec.
func panicf(format string, args ...any) {
	panic(fmt.Errorf(format, args...))
}

// firstRow is x[0] for x [n, ...], as a gather: the gradient of Slice is a
// Pad, which GoMLX's pure-Go backend does not implement (v0.26.0), while a
// gather's gradient is a scatter-add, which it does.
func firstRow(x *graph.Node) *graph.Node {
	return row(x, 0)
}

// row is x[i] for x [n, ...], as a gather (see firstRow).
func row(x *graph.Node, i int) *graph.Node {
	idx := graph.Const(x.Graph(), []int32{int32(i)})
	return graph.Gather(x, idx)
}
