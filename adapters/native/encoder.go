// Package native is the adapters.Encoder of model folder kind "native": a
// thin adapter over the transformer package (which owns the model: config,
// graph, weights, folder files, backend, export). It adds what an Encoder
// does around a forward pass: prompts, tokenisation (tokenize), length-
// sorted batches under a token budget, the folder's post-pooling head and
// the identity that keys the embedding cache.
package native

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/backends"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/digest"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	"github.com/mimo-mlir/mimo/transformer"
)

// Kind is the model-folder kind this package registers.
const Kind = transformer.Kind

// DefaultBatchSize is the inference encoder's default batch size.
const DefaultBatchSize = 32

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

// Encoder is the adapters.Encoder of a native model folder. It runs on
// one of two engines (adapters.Options.Engine): ONNX Runtime, on the
// folder's ONNX export (transformer.CachedExport: made once per weights),
// the default on a CPU; or the GoMLX graph, the one training runs, for
// checking and for GPU backends.
type Encoder struct {
	id adapters.Identity
	// ONNX Runtime engine: set when it runs the export.
	ort *onnx.Encoder
	// GoMLX engine.
	model     *transformer.Model
	tok       textTokenizer
	maxLen    int
	batchSize int
	budget    int              // padded ids per batch
	engine    string           // the GoMLX backend configuration it runs on
	batches   int              // forward passes run so far (what the token budget changes)
	head      *adapters.Head   // Dense layers, normalisation
	owned     backends.Backend // nil once closed
	note      string           // why the GoMLX engine runs where ONNX Runtime would
}

// EngineExtra is the Identity.Extra key naming the engine when it is ONNX
// Runtime: its vectors agree with the GoMLX graph's to float32 rounding,
// not bit for bit, so the embedding cache keeps the two apart.
const EngineExtra = "engine"

// Open builds the encoder of a "native" model folder: the files its
// mimo-model.json names (transformer.FolderFiles: config.json,
// model.safetensors and tokenizer.json by default). The folder's pooling
// overrides the config's. See Encoder for the engines, engineFor for how
// one is chosen.
func Open(ctx context.Context, f adapters.Folder, opts adapters.Options) (enc *Encoder, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files := transformer.FolderFiles(f)
	cfg, err := transformer.ReadFolderConfig(f)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
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
	useORT, bcfg, err := engineFor(opts)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	revision := f.Revision
	if revision == "" {
		revision = adapters.LocalRevision(files.Weights)
	}
	content, err := adapters.ContentDigest(opts, append([]digest.Part{
		{Name: "config", Path: files.Config},
		{Name: "weights", Path: files.Weights},
		{Name: "tokenizer", Path: files.Tokenizer}}, head.Parts()...)...)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	enc = &Encoder{
		engine: bcfg,
		id: adapters.Identity{
			Name: f.Name, Revision: revision, Kind: Kind, Pooling: cfg.Pooling,
			Normalize: f.NormalizeOrDefault(), MaxLength: maxLen, Dim: head.Dim(),
			Dtype: "float32", Prompts: f.Prompts, Content: content, Head: head.Describe(),
		},
	}
	if useORT {
		enc.ort, err = openONNX(ctx, f, opts, cfg, files, maxLen)
		switch {
		case err == nil:
			enc.id.Extra = map[string]string{EngineExtra: adapters.EngineONNXRuntime}
			return enc, nil
		case opts.Engine == adapters.EngineAuto && errors.Is(err, errNoRuntime):
			enc.note = fmt.Sprintf("%v; %s runs on GoMLX's pure-Go backend instead, much slower on a CPU (install ONNX Runtime with `make ort` or set $%s, or choose --engine gomlx to silence this)",
				err, f.Name, onnx.LibraryEnv)
		default:
			return nil, err // names the folder
		}
	}
	if err := enc.openGoMLX(f, opts, cfg, files, head, maxLen); err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	return enc, nil
}

// errNoRuntime marks a missing ONNX Runtime library, the one failure of
// the ONNX Runtime engine after which the automatic choice falls back to
// GoMLX.
var errNoRuntime = errors.New("no ONNX Runtime")

// engineFor says whether opts choose ONNX Runtime and returns the GoMLX
// backend configuration otherwise in effect. The automatic choice is ONNX
// Runtime when GoMLX would run on its pure-Go backend (a CPU): a GPU
// backend ($GOMLX_BACKEND=xla:cuda, device cuda) keeps the GoMLX graph.
func engineFor(opts adapters.Options) (useORT bool, bcfg string, err error) {
	bcfg, err = transformer.BackendConfig("", opts.Device)
	switch opts.Engine {
	case adapters.EngineGoMLX:
		return false, bcfg, err
	case adapters.EngineONNXRuntime:
		return true, bcfg, nil
	case adapters.EngineAuto:
		if err != nil {
			return false, "", err
		}
		name, _, _ := strings.Cut(bcfg, ":")
		return name == transformer.DefaultBackend, bcfg, nil
	default:
		return false, "", fmt.Errorf("engine %q: want %s or %s", opts.Engine, adapters.EngineONNXRuntime, adapters.EngineGoMLX)
	}
}

// openONNX opens the ONNX Runtime engine: the folder's cached export
// (made now when missing) as an "onnx" folder with the native folder's
// tokenizer, pooling, prompts, head and options. Errors name the folder.
func openONNX(ctx context.Context, f adapters.Folder, opts adapters.Options, cfg transformer.Config, files transformer.Files, maxLen int) (*onnx.Encoder, error) {
	if _, err := onnx.FindLibrary(opts.ORTLibrary); err != nil {
		return nil, fmt.Errorf("model folder %s: %w: %w", f.Dir, errNoRuntime, err)
	}
	root := opts.ExportDir
	if root == "" {
		var err error
		if root, err = transformer.DefaultExportCache(); err != nil {
			return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
		}
	}
	path, _, err := transformer.CachedExport(cfg, files, root, digest.Shared(opts.CacheDir))
	if err == nil {
		path, err = filepath.Abs(path)
	}
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	tok := f.Tokenizer // relative to f.Dir, as the onnx folder resolves it
	if tok == "" {
		tok = transformer.TokenizerFile
	}
	of := adapters.Folder{
		Kind: onnx.Kind, Name: f.Name, Revision: f.Revision, Pooling: cfg.Pooling, Normalize: f.Normalize,
		MaxLength: maxLen, Dim: f.Dim, Prompts: f.Prompts, ONNX: path, Tokenizer: tok,
		Head: f.Head, Options: f.Options, Dir: f.Dir,
	}
	o := opts
	o.MaxLength = 0 // maxLen already has it
	return onnx.Open(ctx, of, o)
}

// openGoMLX opens the GoMLX engine: tokenizer, backend, weights, Model.
func (e *Encoder) openGoMLX(f adapters.Folder, opts adapters.Options, cfg transformer.Config, files transformer.Files, head *adapters.Head, maxLen int) (err error) {
	if loadTokenizer == nil {
		return fmt.Errorf("this build has no tokenizer support")
	}
	tok, err := loadTokenizer(files.Tokenizer)
	if err != nil {
		return err
	}
	backend, err := transformer.NewBackend(e.engine)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			backend.Finalize()
		}
	}()
	gctx := mlctx.New()
	if err := transformer.LoadSafetensors(gctx, cfg, files.Weights); err != nil {
		return err
	}
	model, err := transformer.NewModel(backend, gctx, cfg)
	if err != nil {
		return err
	}
	bs := opts.BatchSize
	if bs <= 0 {
		bs = DefaultBatchSize
	}
	budget, ok, err := f.IntOption("token_budget")
	if err != nil {
		model.Close()
		return err
	}
	if !ok {
		budget = adapters.DefaultTokenBudget
	}
	e.model, e.tok, e.maxLen, e.batchSize, e.budget, e.head, e.owned = model, tok, maxLen, bs, budget, head, backend
	return nil
}

// Dim is the embedding dimension: the hidden size, or the output of the
// folder's last Dense layer.
func (e *Encoder) Dim() int { return e.id.Dim }

// Identity describes the encoder.
func (e *Encoder) Identity() adapters.Identity { return e.id }

// Model is the underlying GoMLX forward pass, nil on the ONNX Runtime
// engine.
func (e *Encoder) Model() *transformer.Model { return e.model }

// slowOnCPU is the size from which the pure-Go backend's speed matters: a
// corpus of an MLIR task takes it hours, where ONNX Runtime takes minutes.
const slowOnCPU = 20_000_000

// ExportHint is advice for a model run by the pure-Go backend: why ONNX
// Runtime does not run it when the automatic choice fell back (no
// library), else, for a large model on the GoMLX engine, that its ONNX
// export (mimo-export) scores the same about 20x faster on a CPU. It is
// "" on ONNX Runtime, for small models and for other backends.
func (e *Encoder) ExportHint(dir string) string {
	if e.note != "" {
		return e.note
	}
	if e.model == nil {
		return ""
	}
	n := e.model.Config.NumParameters()
	if name, _, _ := strings.Cut(e.engine, ":"); name != "go" || n < slowOnCPU {
		return ""
	}
	return fmt.Sprintf("%s has %.0fM parameters and runs on the pure-Go GoMLX backend; the default engine (ONNX Runtime on its cached export: drop --engine gomlx) or `mimo-export --model %s --output DIR` scores the same about 20x faster on a CPU",
		e.id.Name, float64(n)/1e6, dir)
}

// Encode is, on ONNX Runtime, the onnx encoder's Encode (the same steps); on
// GoMLX it prepends the role's prompt, tokenises, sorts the texts by token
// count (longest first), runs batches of at most BatchSize texts and at most
// the token budget (folder option "token_budget", default
// adapters.DefaultTokenBudget) of padded ids, each padded to its longest
// text rounded up to a multiple of 16, pools, runs the folder's head
// (adapters.Head: Dense layers, then the optional L2 normalisation) and
// returns vectors in the request's order. The budget keeps long-context
// models (ModernBERT's 8192 positions) from building batches that do not
// fit in memory.
func (e *Encoder) Encode(ctx context.Context, req adapters.Request) ([][]float32, error) {
	if e.ort != nil {
		return e.ort.Encode(ctx, req)
	}
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
		padded[i] = e.model.Config.PaddedLength(len(s))
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

// Close releases the ONNX Runtime session, or the compiled graphs, the
// weights and the backend. It is idempotent: a second call does nothing.
func (e *Encoder) Close() error {
	if e.ort != nil {
		err := e.ort.Close()
		e.ort = nil
		return err
	}
	if e.owned == nil {
		return nil
	}
	e.model.Close()
	e.owned.Finalize()
	e.owned = nil
	return nil
}

var _ adapters.Encoder = (*Encoder)(nil)
