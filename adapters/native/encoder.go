package native

import (
	"context"
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/digest"
)

// Kind is the model-folder kind this package registers.
const Kind = "native"

// Defaults of the inference encoder.
const (
	DefaultBatchSize = 32
	// seqBucket: padded sequence lengths are rounded up to a multiple of
	// this, so a corpus compiles a handful of graphs, not one per length.
	seqBucket = 16
	// maxCompiled bounds the graphs an Encoder keeps compiled.
	maxCompiled = 64
)

func init() {
	adapters.RegisterKind(Kind, func(ctx context.Context, f adapters.Folder, opts adapters.Options) (adapters.Encoder, error) {
		return Open(ctx, f, opts)
	})
}

// textTokenizer is what the encoder needs of a tokenizer: ids with the
// model's special tokens, truncated to maxLen, unpadded.
type textTokenizer interface {
	Tokenize(texts []string, maxLen int) ([][]int64, error)
}

// loadTokenizer opens tokenizer.json; set by tokenizer.go.
var loadTokenizer func(path string) (textTokenizer, error)

// Model is a loaded encoder ready to run forward passes: weights in a GoMLX
// context, a backend, and an executor that compiles Encode once per
// (batch, seq) shape. It is the part of Encoder that does not tokenise, and
// what tests and benchmarks drive with ids directly.
type Model struct {
	Config  Config
	backend backends.Backend
	ctx     *mlctx.Context
	exec    *mlctx.Exec
}

// NewModel wraps the encoder variables in ctx (InitRandom or
// LoadSafetensors done) for inference on backend. The Model does not own
// backend.
func NewModel(backend backends.Backend, ctx *mlctx.Context, cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, s := range tensorSpecs(cfg) {
		if lookupVariable(ctx, s.Name) == nil {
			return nil, fmt.Errorf("native: no variable for tensor %q under scope %q: load or initialise the weights first", s.Name, ctx.Scope())
		}
	}
	m := &Model{Config: cfg, backend: backend, ctx: ctx}
	exec, err := mlctx.NewExec(backend, ctx.Reuse(), func(ctx *mlctx.Context, ids, mask *graph.Node) *graph.Node {
		return Encode(ctx, cfg, ids, mask, false)
	})
	if err != nil {
		return nil, fmt.Errorf("native: building executor: %w", err)
	}
	m.exec = exec.SetMaxCache(maxCompiled)
	return m, nil
}

// Forward runs the encoder on a batch of token id sequences (special tokens
// included, not padded): each is padded with PadTokenID to seqLen (0: the
// longest, rounded up to a multiple of 16 and capped at the model's maximum)
// and the pooled, unnormalised vectors come back in order.
func (m *Model) Forward(ids [][]int64, seqLen int) ([][]float32, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	longest := 0
	for i, s := range ids {
		if len(s) == 0 {
			return nil, fmt.Errorf("native: input %d has no tokens", i)
		}
		longest = max(longest, len(s))
	}
	limit := m.Config.MaxSequenceLength()
	if seqLen == 0 {
		seqLen = min((longest+seqBucket-1)/seqBucket*seqBucket, limit)
	}
	if longest > seqLen || seqLen > limit {
		return nil, fmt.Errorf("native: %d tokens do not fit sequence length %d (model maximum %d)", longest, seqLen, limit)
	}
	b := len(ids)
	flatIDs := make([]int32, b*seqLen)
	flatMask := make([]int32, b*seqLen)
	pad := int32(m.Config.PadTokenID)
	for i, s := range ids {
		row := flatIDs[i*seqLen : (i+1)*seqLen]
		for j := range row {
			row[j] = pad
		}
		for j, id := range s {
			if id < 0 || id >= int64(m.Config.VocabSize) {
				return nil, fmt.Errorf("native: input %d token %d: id %d outside the vocabulary of %d", i, j, id, m.Config.VocabSize)
			}
			row[j] = int32(id)
			flatMask[i*seqLen+j] = 1
		}
	}
	outs, err := m.exec.Exec(tensors.FromFlatDataAndDimensions(flatIDs, b, seqLen), tensors.FromFlatDataAndDimensions(flatMask, b, seqLen))
	if err != nil {
		return nil, fmt.Errorf("native: forward pass [%d x %d]: %w", b, seqLen, err)
	}
	defer outs[0].FinalizeAll()
	flat, err := tensors.CopyFlatData[float32](outs[0])
	if err != nil {
		return nil, fmt.Errorf("native: reading output: %w", err)
	}
	h := m.Config.HiddenSize
	vecs := make([][]float32, b)
	for i := range vecs {
		vecs[i] = flat[i*h : (i+1)*h : (i+1)*h]
	}
	return vecs, nil
}

// Encoder is the adapters.Encoder of a native model folder.
type Encoder struct {
	model     *Model
	tok       textTokenizer
	id        adapters.Identity
	maxLen    int
	batchSize int
	budget    int            // padded ids per batch
	engine    string         // the GoMLX backend configuration it runs on
	batches   int            // forward passes run so far (what the token budget changes)
	head      *adapters.Head // Dense layers, normalisation
	owned     backends.Backend
}

// Open builds the encoder of a "native" model folder: config.json
// (Config), model.safetensors (Weights) and tokenizer.json (Tokenizer) by
// default. The folder's pooling overrides the config's.
func Open(ctx context.Context, f adapters.Folder, opts adapters.Options) (enc *Encoder, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := ReadConfig(f.PathOr(f.Config, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	if f.Pooling != "" {
		cfg.Pooling = f.Pooling
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
		}
	}
	head, err := adapters.OpenHead(f, cfg.HiddenSize)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	if f.Dim != 0 && f.Dim != head.Dim() {
		if head.Dim() != cfg.HiddenSize {
			return nil, fmt.Errorf("model folder %s: dim %d does not match the head's output %d (hidden_size %d)", f.Dir, f.Dim, head.Dim(), cfg.HiddenSize)
		}
		return nil, fmt.Errorf("model folder %s: dim %d does not match hidden_size %d", f.Dir, f.Dim, cfg.HiddenSize)
	}
	maxLen := cfg.MaxSequenceLength()
	for _, l := range []int{f.MaxLength, opts.MaxLength} {
		if l > 0 {
			maxLen = min(l, cfg.MaxSequenceLength())
		}
	}
	if loadTokenizer == nil {
		return nil, fmt.Errorf("model folder %s: this build has no tokenizer support", f.Dir)
	}
	tok, err := loadTokenizer(f.PathOr(f.Tokenizer, "tokenizer.json"))
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	bcfg, err := BackendConfig("", opts.Device)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	backend, err := NewBackend(bcfg)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	defer func() {
		if err != nil {
			backend.Finalize()
		}
	}()
	gctx := mlctx.New()
	weights := f.PathOr(f.Weights, "model.safetensors")
	if err := LoadSafetensors(gctx, cfg, weights); err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	model, err := NewModel(backend, gctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	bs := opts.BatchSize
	if bs <= 0 {
		bs = DefaultBatchSize
	}
	budget, ok, err := f.IntOption("token_budget")
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	if !ok {
		budget = adapters.DefaultTokenBudget
	}
	revision := f.Revision
	if revision == "" {
		revision = adapters.LocalRevision(weights)
	}
	content, err := adapters.ContentDigest(opts, append([]digest.Part{
		{Name: "config", Path: f.PathOr(f.Config, "config.json")},
		{Name: "weights", Path: weights},
		{Name: "tokenizer", Path: f.PathOr(f.Tokenizer, "tokenizer.json")}}, head.Parts()...)...)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	enc = &Encoder{
		model: model, tok: tok, maxLen: maxLen, batchSize: bs, budget: budget,
		head: head, owned: backend, engine: bcfg,
		id: adapters.Identity{
			Name: f.Name, Revision: revision, Kind: Kind, Pooling: cfg.Pooling,
			Normalize: f.NormalizeOrDefault(), MaxLength: maxLen, Dim: head.Dim(),
			Dtype: "float32", Prompts: f.Prompts, Content: content, Head: head.Describe(),
		},
	}
	return enc, nil
}

// Dim is the embedding dimension: the hidden size, or the output of the
// folder's last Dense layer.
func (e *Encoder) Dim() int { return e.id.Dim }

// Identity describes the encoder.
func (e *Encoder) Identity() adapters.Identity { return e.id }

// Model is the underlying forward pass.
func (e *Encoder) Model() *Model { return e.model }

// slowOnCPU is the size from which the pure-Go backend's speed matters: a
// corpus of an MLIR task takes it hours, where ONNX Runtime takes minutes.
const slowOnCPU = 20_000_000

// ExportHint is advice for a large model run by the pure-Go backend: its
// ONNX export (mimo-export) scores the same about 20x faster on a CPU.
// It is "" for small models and other backends.
func (e *Encoder) ExportHint(dir string) string {
	n := e.model.Config.NumParameters()
	if name, _, _ := strings.Cut(e.engine, ":"); name != "go" || n < slowOnCPU {
		return ""
	}
	return fmt.Sprintf("%s has %.0fM parameters and runs on the pure-Go GoMLX backend; `mimo-export --model %s --output DIR` writes an ONNX copy that scores the same about 20x faster on a CPU",
		e.id.Name, float64(n)/1e6, dir)
}

// Encode prepends the role's prompt, tokenises, sorts the texts by token
// count (longest first), runs batches of at most BatchSize texts and at most
// the token budget (folder option "token_budget", default
// adapters.DefaultTokenBudget) of padded ids, each padded to its longest
// text rounded up to a multiple of 16, pools, runs the folder's head
// (adapters.Head: Dense layers, then the optional L2 normalisation) and
// returns vectors in the request's order. The budget keeps long-context
// models (ModernBERT's 8192 positions) from building batches that do not
// fit in memory.
func (e *Encoder) Encode(ctx context.Context, req adapters.Request) ([][]float32, error) {
	if len(req.Texts) == 0 {
		return nil, nil
	}
	prompt := e.id.PromptFor(req.Role, req.Task)
	texts := req.Texts
	if prompt != "" {
		texts = make([]string, len(req.Texts))
		for i, t := range req.Texts {
			texts[i] = prompt + t
		}
	}
	ids, err := e.tok.Tokenize(texts, e.maxLen)
	if err != nil {
		return nil, fmt.Errorf("native %s: %w", e.id.Name, err)
	}
	padded := make([]int, len(ids)) // what Forward pads each to
	for i, s := range ids {
		padded[i] = min((len(s)+seqBucket-1)/seqBucket*seqBucket, e.model.Config.MaxSequenceLength())
	}
	out := make([][]float32, len(ids))
	for _, idx := range adapters.Batches(padded, e.batchSize, e.budget) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := make([][]int64, len(idx))
		for k, i := range idx {
			batch[k] = ids[i]
		}
		e.batches++
		vecs, err := e.model.Forward(batch, 0)
		if err != nil {
			return nil, fmt.Errorf("native %s: texts %d..: %w", e.id.Name, idx[0], err)
		}
		if err := e.head.ApplyAll(vecs); err != nil {
			return nil, fmt.Errorf("native %s: texts %d..: %w", e.id.Name, idx[0], err)
		}
		for k, i := range idx {
			out[i] = vecs[k]
		}
	}
	return out, nil
}

// Close releases the compiled graphs, the weights and the backend. It is
// idempotent: a second call does nothing.
func (e *Encoder) Close() error {
	if e.owned == nil {
		return nil
	}
	e.model.exec.Finalize()
	e.model.ctx.Finalize()
	e.owned.Finalize()
	e.owned = nil
	return nil
}

var _ adapters.Encoder = (*Encoder)(nil)
