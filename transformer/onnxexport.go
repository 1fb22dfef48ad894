package transformer

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/internal/onnxpb"
)

// onnxOpset is the default-domain opset of exported graphs (17 has
// LayerNormalization).
const onnxOpset = 17

// ExportONNX writes the encoder under ctx (InitRandom or LoadSafetensors
// done) as an ONNX graph at path, its weights in path+"_data", with the
// inputs input_ids and attention_mask ([batch, sequence], int64) and the
// output last_hidden_state ([batch, sequence, hidden], float32): the
// layout Optimum exports and the "onnx" model kind runs. The graph computes
// what EncodeTokens computes, op for op where ONNX has the op (the same
// position ids, mask bias, erf GELU, rotary tables and window), so ONNX
// Runtime reproduces the native vectors up to float32 rounding, at ONNX
// Runtime's speed on a CPU.
func ExportONNX(ctx *mlctx.Context, cfg Config, path string) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	vars, err := readVariables(ctx, cfg)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	weights := make(map[string][]float32, len(vars))
	for _, v := range vars {
		weights[v.Name] = v.Data
	}
	x := &onnxBuilder{g: &onnxpb.Graph{Name: "mimo-" + cfg.ModelType}, cfg: cfg, w: weights}
	x.build()
	return onnxpb.WriteModel(path, x.g, onnxOpset, "mimo")
}

// onnxBuilder writes the encoder's graph into g.
type onnxBuilder struct {
	g   *onnxpb.Graph
	cfg Config
	w   map[string][]float32
}

func (b *onnxBuilder) build() {
	g, cfg := b.g, b.cfg
	batch, seqDim := onnxpb.Dim{Param: "batch"}, onnxpb.Dim{Param: "sequence"}
	ids := g.Input("input_ids", onnxpb.Int64, batch, seqDim)
	mask := g.Input("attention_mask", onnxpb.Int64, batch, seqDim)
	// [batch, 1, 1, seq]: 0 for real keys, maskBias for padding.
	maskF := g.Op("Cast", []string{mask}, onnxpb.I("to", onnxpb.Float))
	keyBias := g.Op("Mul", []string{g.Op("Sub", []string{g.Scalar(1), maskF}), g.Scalar(maskBias)})
	keyBias = g.Op("Unsqueeze", []string{keyBias, g.Int64s([]int64{1, 2}, 2)})
	seq := g.Op("Gather", []string{g.Op("Shape", []string{ids}), g.Int64s([]int64{1})}, onnxpb.I("axis", 0)) // scalar
	var x string
	if cfg.ModelType == ModelModernBERT {
		x = b.modernBERT(ids, keyBias, seq)
	} else {
		x = b.bert(ids, keyBias, seq)
	}
	g.Output(x, "last_hidden_state", onnxpb.Float, batch, seqDim, onnxpb.Dim{Size: int64(cfg.HiddenSize)})
}

// bert is the XLM-R / BERT graph of EncodeTokens.
func (b *onnxBuilder) bert(ids, keyBias, seq string) string {
	g, cfg := b.g, b.cfg
	h, ff := cfg.HiddenSize, cfg.IntermediateSize
	x := g.Op("Gather", []string{b.weight("embeddings.word_embeddings.weight", cfg.VocabSize, h), ids}, onnxpb.I("axis", 0))
	var pos string
	if cfg.ModelType == ModelBERT {
		pos = g.Op("Range", []string{g.Int64s([]int64{0}), seq, g.Int64s([]int64{1})})
	} else {
		pad := g.Int64s([]int64{int64(cfg.PadTokenID)})
		notPad := g.Op("Cast", []string{g.Op("Not", []string{g.Op("Equal", []string{ids, pad})})}, onnxpb.I("to", onnxpb.Int64))
		cum := g.Op("CumSum", []string{notPad, g.Int64s([]int64{1})})
		pos = g.Op("Add", []string{g.Op("Mul", []string{cum, notPad}), pad})
	}
	x = g.Op("Add", []string{x, g.Op("Gather", []string{b.weight("embeddings.position_embeddings.weight", cfg.MaxPositions, h), pos}, onnxpb.I("axis", 0))})
	tt := b.w["embeddings.token_type_embeddings.weight"][:h] // token type 0
	x = g.Op("Add", []string{x, g.Floats("token_type_0", tt, int64(h))})
	x = b.norm("embeddings.LayerNorm", x, true)
	for l := range cfg.NumLayers {
		p := "encoder.layer." + strconv.Itoa(l)
		q := b.heads(b.linear(p+".attention.self.query", x, h, h, true), 0, 2, 1, 3)
		k := b.heads(b.linear(p+".attention.self.key", x, h, h, true), 0, 2, 3, 1)
		v := b.heads(b.linear(p+".attention.self.value", x, h, h, true), 0, 2, 1, 3)
		a := b.attend(q, k, v, keyBias)
		a = b.linear(p+".attention.output.dense", a, h, h, true)
		x = b.norm(p+".attention.output.LayerNorm", g.Op("Add", []string{a, x}), true)
		f := b.gelu(b.linear(p+".intermediate.dense", x, ff, h, true))
		f = b.linear(p+".output.dense", f, h, ff, true)
		x = b.norm(p+".output.LayerNorm", g.Op("Add", []string{f, x}), true)
	}
	return x
}

// modernBERT is the graph of encodeModernBERT.
func (b *onnxBuilder) modernBERT(ids, keyBias, seq string) string {
	g, cfg := b.g, b.cfg
	h, ff, nh := cfg.HiddenSize, cfg.IntermediateSize, cfg.NumHeads
	hd := h / nh
	x := g.Op("Gather", []string{b.weight("embeddings.tok_embeddings.weight", cfg.VocabSize, h), ids}, onnxpb.I("axis", 0))
	x = b.norm("embeddings.norm", x, cfg.NormBias)

	// The window: maskBias where |query - key| > LocalAttention/2.
	r := g.Op("Range", []string{g.Int64s([]int64{0}), seq, g.Int64s([]int64{1})})
	dist := g.Op("Abs", []string{g.Op("Sub", []string{
		g.Op("Unsqueeze", []string{r, g.Int64s([]int64{1}, 1)}),
		g.Op("Unsqueeze", []string{r, g.Int64s([]int64{0}, 1)})})})
	outside := g.Op("Greater", []string{dist, g.Int64s([]int64{int64(cfg.LocalAttention / 2)})})
	localBias := g.Op("Add", []string{keyBias, g.Op("Where", []string{outside, g.Scalar(maskBias), g.Scalar(0)})})

	// Rotary tables for every position, cut to the sequence.
	seq1 := g.Op("Unsqueeze", []string{seq, g.Int64s([]int64{0}, 1)})
	rope := func(theta float64) [2]string {
		c, s := ropeTables(cfg.MaxPositions, hd, theta)
		cut := func(name string, t [][][][]float32) string {
			flat := make([]float32, 0, cfg.MaxPositions*hd)
			for _, row := range t[0][0] {
				flat = append(flat, row...)
			}
			table := g.Floats(name, flat, int64(cfg.MaxPositions), int64(hd))
			return g.Op("Slice", []string{table, g.Int64s([]int64{0}, 1), seq1, g.Int64s([]int64{0}, 1)})
		}
		tag := strconv.FormatFloat(theta, 'g', -1, 64)
		return [2]string{cut("rope_cos_"+tag, c), cut("rope_sin_"+tag, s)}
	}
	ropes := map[bool][2]string{true: rope(cfg.GlobalRopeTheta)}
	if cfg.LocalRopeTheta == cfg.GlobalRopeTheta {
		ropes[false] = ropes[true]
	} else {
		ropes[false] = rope(cfg.LocalRopeTheta)
	}
	var rot []float32
	for _, row := range rotateHalfMatrix(hd) {
		rot = append(rot, row...)
	}
	rotName := g.Floats("rotate_half", rot, int64(hd), int64(hd))

	for l := range cfg.NumLayers {
		p := "layers." + strconv.Itoa(l)
		a := x
		if l > 0 {
			a = b.norm(p+".attn_norm", a, cfg.NormBias)
		}
		global := cfg.GlobalLayer(l)
		bias := localBias
		if global {
			bias = keyBias
		}
		qkv := b.linear(p+".attn.Wqkv", a, 3*h, h, cfg.AttentionBias)
		qkv = g.Op("Reshape", []string{qkv, g.Int64s([]int64{0, 0, 3, int64(nh), int64(hd)}, 5)})
		qkv = g.Op("Transpose", []string{qkv}, onnxpb.Is("perm", 2, 0, 3, 1, 4)) // [3, batch, heads, seq, hd]
		part := func(i int64) string {
			return g.Op("Gather", []string{qkv, g.Int64s([]int64{i})}, onnxpb.I("axis", 0))
		}
		rp := ropes[global]
		rotate := func(t string) string {
			half := g.Op("MatMul", []string{t, rotName})
			return g.Op("Add", []string{g.Op("Mul", []string{t, rp[0]}), g.Op("Mul", []string{half, rp[1]})})
		}
		q, k, v := rotate(part(0)), rotate(part(1)), part(2)
		k = g.Op("Transpose", []string{k}, onnxpb.Is("perm", 0, 1, 3, 2))
		att := b.attend(q, k, v, bias)
		att = b.linear(p+".attn.Wo", att, h, h, cfg.AttentionBias)
		x = g.Op("Add", []string{x, att})

		m := b.norm(p+".mlp_norm", x, cfg.NormBias)
		wi := b.linear(p+".mlp.Wi", m, 2*ff, h, cfg.MLPBias)
		halves := g.OpN("Split", 2, []string{wi, g.Int64s([]int64{int64(ff), int64(ff)}, 2)}, onnxpb.I("axis", -1))
		f := g.Op("Mul", []string{b.gelu(halves[0]), halves[1]})
		x = g.Op("Add", []string{x, b.linear(p+".mlp.Wo", f, h, ff, cfg.MLPBias)})
	}
	return b.norm("final_norm", x, cfg.NormBias)
}

// weight adds the tensor as an initializer of the given shape.
func (b *onnxBuilder) weight(name string, dims ...int) string {
	d := make([]int64, len(dims))
	for i, v := range dims {
		d[i] = int64(v)
	}
	return b.g.Floats(name, b.w[name], d...)
}

// linear is x·Wᵀ (+ bias), the transpose stored as the initializer.
func (b *onnxBuilder) linear(prefix string, x string, out, in int, bias bool) string {
	w := b.w[prefix+".weight"]
	wt := make([]float32, len(w))
	for o := range out {
		for i := range in {
			wt[i*out+o] = w[o*in+i]
		}
	}
	y := b.g.Op("MatMul", []string{x, b.g.Floats(prefix+".weight.T", wt, int64(in), int64(out))})
	if bias {
		y = b.g.Op("Add", []string{y, b.weight(prefix+".bias", out)})
	}
	return y
}

// norm is a LayerNormalization over the last axis.
func (b *onnxBuilder) norm(prefix, x string, bias bool) string {
	h := b.cfg.HiddenSize
	in := []string{x, b.weight(prefix+".weight", h)}
	if bias {
		in = append(in, b.weight(prefix+".bias", h))
	}
	return b.g.Op("LayerNormalization", in, onnxpb.I("axis", -1), onnxpb.F("epsilon", float32(b.cfg.LayerNormEps)))
}

// gelu is x * 0.5 * (1 + erf(x / sqrt 2)), as gelu in model.go.
func (b *onnxBuilder) gelu(x string) string {
	g := b.g
	e := g.Op("Erf", []string{g.Op("Mul", []string{x, g.Scalar(float32(1 / math.Sqrt2))})})
	cdf := g.Op("Mul", []string{g.Op("Add", []string{e, g.Scalar(1)}), g.Scalar(0.5)})
	return g.Op("Mul", []string{x, cdf})
}

// heads reshapes [batch, seq, h] to [batch, seq, heads, hd] and permutes.
func (b *onnxBuilder) heads(x string, perm ...int64) string {
	nh := int64(b.cfg.NumHeads)
	hd := int64(b.cfg.HiddenSize) / nh
	x = b.g.Op("Reshape", []string{x, b.g.Int64s([]int64{0, 0, nh, hd}, 4)})
	return b.g.Op("Transpose", []string{x}, onnxpb.Is("perm", perm...))
}

// attend is softmax(q·k / sqrt(hd) + bias)·v for q, v [batch, heads, seq,
// hd] and k [batch, heads, hd, seq], back to [batch, seq, h].
func (b *onnxBuilder) attend(q, k, v, bias string) string {
	g := b.g
	hd := b.cfg.HiddenSize / b.cfg.NumHeads
	scores := g.Op("Mul", []string{g.Op("MatMul", []string{q, k}), g.Scalar(float32(1 / math.Sqrt(float64(hd))))})
	probs := g.Op("Softmax", []string{g.Op("Add", []string{scores, bias})}, onnxpb.I("axis", -1))
	out := g.Op("Transpose", []string{g.Op("MatMul", []string{probs, v})}, onnxpb.Is("perm", 0, 2, 1, 3))
	return g.Op("Reshape", []string{out, g.Int64s([]int64{0, 0, int64(b.cfg.HiddenSize)}, 3)})
}

// ExportFolder writes the native model folder src as an ONNX model folder
// in out: model.onnx (+ model.onnx_data), tokenizer.json and a
// mimo-model.json of kind "onnx" with src's name, pooling, normalisation,
// prompts, maximum length and license, so `mimo-eval --model OUT` scores the
// same model through ONNX Runtime. The revision is src's + "-onnx": the
// vectors agree with the native ones to float32 rounding, not bit for bit,
// so their results and cache entries are kept apart. The pooling comes from
// src (else the config's); the onnx kind pools the same way.
//
// A folder with a post-pooling head (sentence-transformers Dense layers)
// is refused: the export would carry the transformer and drop the head.
func ExportFolder(src adapters.Folder, out string) (adapters.Folder, error) {
	if len(src.Head) > 0 {
		return adapters.Folder{}, fmt.Errorf("export %s: %w: the folder has %d head steps after pooling (%s), which the export does not carry", src.Dir, adapters.ErrHead, len(src.Head), src.Head[0].Module)
	}
	files := FolderFiles(src)
	cfg, err := ReadConfig(files.Config)
	if err != nil {
		return adapters.Folder{}, fmt.Errorf("export %s: %w", src.Dir, err)
	}
	ctx := mlctx.New()
	if err := LoadSafetensors(ctx, cfg, files.Weights); err != nil {
		return adapters.Folder{}, fmt.Errorf("export %s: %w", src.Dir, err)
	}
	defer ctx.Finalize()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return adapters.Folder{}, fmt.Errorf("export: %w", err)
	}
	if err := ExportONNX(ctx, cfg, filepath.Join(out, "model.onnx")); err != nil {
		return adapters.Folder{}, err
	}
	tok, err := os.ReadFile(files.Tokenizer)
	if err != nil {
		return adapters.Folder{}, fmt.Errorf("export %s: %w", src.Dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "tokenizer.json"), tok, 0o644); err != nil {
		return adapters.Folder{}, fmt.Errorf("export: %w", err)
	}
	f := adapters.Folder{
		Kind: "onnx", Name: src.Name, Revision: strings.TrimPrefix(src.Revision+"-onnx", "-"), Pooling: src.Pooling, Normalize: src.Normalize,
		MaxLength: src.MaxLength, Dim: cfg.HiddenSize, Prompts: src.Prompts, License: src.License,
		NParameters: cfg.NumParameters(), ONNX: "model.onnx", Tokenizer: "tokenizer.json",
	}
	if f.Pooling == "" {
		f.Pooling = cfg.Pooling
	}
	if f.MaxLength == 0 || f.MaxLength > cfg.MaxSequenceLength() {
		f.MaxLength = cfg.MaxSequenceLength()
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return adapters.Folder{}, err
	}
	if err := atomicfile.WriteFile(filepath.Join(out, adapters.FolderFile), append(b, '\n'), 0o644); err != nil {
		return adapters.Folder{}, fmt.Errorf("export: %w", err)
	}
	f.Dir = out
	return f, nil
}
