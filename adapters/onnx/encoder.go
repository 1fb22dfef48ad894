// Package onnx runs transformer encoders exported to ONNX (Hugging Face
// Optimum layout) through ONNX Runtime, as the model folder kind "onnx".
//
// The mental model: Encode prepends the role/task prompt, tokenises with the
// model's tokenizer.json (tokenize), sorts the texts by length and
// cuts them into batches under a token budget (so short texts are not padded
// to long ones), runs input_ids / attention_mask (/ token_type_ids /
// position_ids when the graph has them) through the session, pools the
// last_hidden_state (mean, cls or last-token; last-token pads on the left),
// runs the folder's post-pooling head (adapters.Head: sentence-transformers
// Dense layers, then the L2 normalisation), and puts the vectors back in
// the caller's order.
//
// The ONNX Runtime library (libonnxruntime.so) is loaded once per process
// from Options.ORTLibrary, $ONNXRUNTIME_LIB or third_party/onnxruntime
// (scripts/get-onnxruntime.sh); each Encoder owns one session, freed by Close.
package onnx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/tokenize"
)

// Kind is the model folder kind this package registers.
const Kind = "onnx"

func init() {
	adapters.RegisterKind(Kind, func(ctx context.Context, f adapters.Folder, opts adapters.Options) (adapters.Encoder, error) {
		return Open(ctx, f, opts)
	})
}

// Pooling names.
const (
	PoolMean      = "mean"
	PoolCLS       = "cls"
	PoolLastToken = "last-token"
)

// Defaults.
const (
	DefaultBatchSize   = 32
	DefaultMaxLength   = 512
	DefaultTokenBudget = adapters.DefaultTokenBudget // ids per batch, padding included
)

// Encoder is an ONNX Runtime session with its tokenizer and pooling.
type Encoder struct {
	id        adapters.Identity
	tok       *tokenize.Tokenizer
	session   *ort.DynamicAdvancedSession
	inputs    []string // in the order Run takes them
	inputType map[string]ort.TensorElementDataType
	output    string
	pooled    bool // the output is already [batch, dim]
	leftPad   bool
	batchSize int
	budget    int
	padID     int64
	head      *adapters.Head // Dense layers, normalisation

	// inRun is the wall time spent inside ONNX Runtime's Run since Open,
	// in nanoseconds (SessionTime).
	inRun atomic.Int64
}

// Open builds an Encoder from a model folder of kind "onnx".
//
// Folder fields: onnx (default model.onnx, else onnx/model.onnx), tokenizer
// (default tokenizer.json), pooling (default mean), normalize, max_length,
// prompts, dim. Folder.Options: "token_budget" (ids per batch),
// "intra_op_threads", "output" (the output tensor to pool).
func Open(ctx context.Context, f adapters.Folder, opts adapters.Options) (*Encoder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	where := "model folder " + f.Dir
	modelPath := f.Path(f.ONNX)
	if f.ONNX == "" {
		modelPath = f.Path("model.onnx")
		if _, err := os.Stat(modelPath); err != nil {
			modelPath = f.Path("onnx/model.onnx")
		}
	}
	tokPath := f.Path(f.Tokenizer)
	if f.Tokenizer == "" {
		tokPath = f.Path("tokenizer.json")
	}
	pooling := f.Pooling
	if pooling == "" {
		pooling = PoolMean
	}
	if pooling != PoolMean && pooling != PoolCLS && pooling != PoolLastToken {
		return nil, fmt.Errorf("%s: pooling %q: want mean, cls or last-token", where, pooling)
	}
	maxLen := f.MaxLength
	if opts.MaxLength > 0 {
		maxLen = opts.MaxLength
	}
	if maxLen <= 0 {
		maxLen = DefaultMaxLength
	}
	e := &Encoder{batchSize: opts.BatchSize, budget: DefaultTokenBudget, leftPad: pooling == PoolLastToken}
	if e.batchSize <= 0 {
		e.batchSize = DefaultBatchSize
	}
	if v, ok, err := f.IntOption("token_budget"); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	} else if ok {
		e.budget = v
	}
	threads, _, err := f.IntOption("intra_op_threads")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	e.tok, err = tokenize.Load(tokPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	e.padID = e.tok.PadID()
	lib, err := initRuntime(opts.ORTLibrary)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	ins, outs, err := ort.GetInputOutputInfo(modelPath)
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", where, modelPath, err)
	}
	if err := e.setInputs(ins, modelPath, where); err != nil {
		return nil, err
	}
	out, dim, err := pickOutput(outs, stringOption(f, "output"))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", where, modelPath, err)
	}
	e.output, e.pooled = out.Name, len(out.Dimensions) == 2
	if e.pooled && len(f.Head) > 0 {
		return nil, fmt.Errorf("%s: output %q is already pooled, and the folder has a head after pooling (%d steps): name a token-level output (options.output) so that the head is applied once", where, e.output, len(f.Head))
	}
	if e.head, err = adapters.OpenHead(f, dim); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	so, err := sessionOptions(opts, threads, lib, where)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	e.session, err = ort.NewDynamicAdvancedSession(modelPath, e.inputs, []string{e.output}, so)
	if err != nil {
		return nil, fmt.Errorf("%s: session for %s: %w", where, modelPath, err)
	}
	if err := e.identify(ctx, f, opts, modelPath, tokPath, pooling, maxLen, dim); err != nil {
		e.Close()
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return e, nil
}

// setInputs checks the model's inputs and records them in Run's order.
func (e *Encoder) setInputs(ins []ort.InputOutputInfo, modelPath, where string) error {
	e.inputType = map[string]ort.TensorElementDataType{}
	for _, in := range ins {
		switch in.Name {
		case "input_ids", "attention_mask", "token_type_ids", "position_ids":
		default:
			return fmt.Errorf("%s: %s has input %q; supported inputs are input_ids, attention_mask, token_type_ids, position_ids (export without past key values)", where, modelPath, in.Name)
		}
		if in.DataType != ort.TensorElementDataTypeInt64 && in.DataType != ort.TensorElementDataTypeInt32 {
			return fmt.Errorf("%s: input %q has type %v, want int64 or int32", where, in.Name, in.DataType)
		}
		e.inputs = append(e.inputs, in.Name)
		e.inputType[in.Name] = in.DataType
	}
	if !slices.Contains(e.inputs, "input_ids") {
		return fmt.Errorf("%s: %s has no input_ids input", where, modelPath)
	}
	return nil
}

// sessionOptions are the session's threads and execution provider (the
// caller destroys them).
func sessionOptions(opts adapters.Options, threads int, lib, where string) (_ *ort.SessionOptions, err error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	defer func() {
		if err != nil {
			so.Destroy()
		}
	}()
	if threads > 0 {
		if err := so.SetIntraOpNumThreads(threads); err != nil {
			return nil, fmt.Errorf("%s: intra_op_threads: %w", where, err)
		}
	}
	if strings.HasPrefix(opts.Device, "cuda") {
		devID, err := cudaDeviceID(opts.Device)
		if err != nil {
			return nil, fmt.Errorf("%s: device %s: %w", where, opts.Device, err)
		}
		if err := appendCUDA(so, devID); err != nil {
			return nil, fmt.Errorf("%s: %w", where, cudaError(opts.Device, lib, opts.ORTLibrary, err))
		}
	} else if opts.Device != "" && opts.Device != "cpu" {
		return nil, fmt.Errorf("%s: device %q: want cpu or cuda[:N]", where, opts.Device)
	}
	return so, nil
}

// identify fills e's Identity once the session is open: revision, content
// digest, the head's and the output's dimension (measured when dynamic).
func (e *Encoder) identify(ctx context.Context, f adapters.Folder, opts adapters.Options, modelPath, tokPath, pooling string, maxLen, dim int) error {
	revision := f.Revision
	if revision == "" {
		revision = adapters.LocalRevision(modelPath, modelPath+"_data")
	}
	content, err := contentDigest(opts, modelPath, tokPath, e.head.Parts()...)
	if err != nil {
		return err
	}
	e.id = adapters.Identity{
		Name: f.Name, Revision: revision, Kind: Kind, Pooling: pooling, Normalize: f.NormalizeOrDefault(),
		MaxLength: maxLen, Dim: f.Dim, Dtype: "float32", Prompts: f.Prompts, Content: content,
		Head: e.head.Describe(),
	}
	if e.pooled {
		e.id.Pooling = ""
		e.id.Extra = map[string]string{"output": e.output}
	}
	if e.id.Name == "" {
		e.id.Name = f.Dir
	}
	if d := e.head.Dim(); d > 0 {
		if f.Dim > 0 && f.Dim != d {
			if d != dim {
				return fmt.Errorf("dim %d, but output %q has %d and the head maps it to %d", f.Dim, e.output, dim, d)
			}
			return fmt.Errorf("dim %d, but output %q has %d", f.Dim, e.output, dim)
		}
		e.id.Dim = d
	}
	if e.id.Dim <= 0 {
		// The output's last axis is dynamic: measure it.
		v, err := e.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: []string{"dim"}})
		if err != nil {
			return fmt.Errorf("probing the dimension: %w", err)
		}
		e.id.Dim = len(v[0])
	}
	return nil
}

// ErrNoCUDA is what the error of Open matches (errors.Is) when the CUDA
// execution provider cannot be appended: the library in use is a CPU build,
// or the CUDA provider or the CUDA/cuDNN libraries it needs do not load.
var ErrNoCUDA = errors.New("ONNX Runtime CUDA execution provider unavailable")

// cudaError explains a failure to append the CUDA provider: which library
// is in use and from where, whether the provider libraries are beside it,
// and where a GPU build comes from (README, "GPU encoding").
func cudaError(device, lib, explicit string, cause error) error {
	from := "$" + LibraryEnv
	switch {
	case explicit != "":
		from = "--ort-lib"
	case os.Getenv(LibraryEnv) == "":
		from = "the default location " + DefaultLibrary
	}
	dir := filepath.Dir(lib)
	var missing []string
	for _, name := range []string{"libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	hint := "the provider libraries are there, so a CUDA or cuDNN library it was built for, or the NVIDIA driver, did not load (see the cause)"
	if len(missing) > 0 {
		hint = fmt.Sprintf("no %s beside it: this is a CPU build (scripts/get-onnxruntime.sh fetches one)", strings.Join(missing, " or "))
	}
	return fmt.Errorf("device %s: %w with the ONNX Runtime library %s (from %s): %s; --device cuda needs an onnxruntime-gpu build, libonnxruntime.so with libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so in one folder "+
		"(Microsoft's release archive onnxruntime-linux-x64-gpu-VERSION.tgz, lib/; or the onnxruntime-gpu package), named by %s or --ort-lib: %w",
		device, ErrNoCUDA, lib, from, hint, LibraryEnv, cause)
}

// cudaDeviceID is N of "cuda:N" ("0" for "cuda").
func cudaDeviceID(device string) (string, error) {
	_, n, ok := strings.Cut(device, ":")
	if !ok {
		return "0", nil
	}
	if _, err := strconv.Atoi(n); err != nil {
		return "", fmt.Errorf("device id %q: %w", n, err)
	}
	return n, nil
}

func appendCUDA(so *ort.SessionOptions, devID string) error {
	cu, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return err
	}
	defer cu.Destroy()
	if err := cu.Update(map[string]string{"device_id": devID}); err != nil {
		return err
	}
	return so.AppendExecutionProviderCUDA(cu)
}

// pickOutput chooses the tensor to pool: the named one, else
// last_hidden_state / token_embeddings, else sentence_embedding, else the
// first float output of rank 3.
func pickOutput(outs []ort.InputOutputInfo, named string) (ort.InputOutputInfo, int, error) {
	var names []string
	for _, o := range outs {
		names = append(names, o.Name)
	}
	find := func(name string) (ort.InputOutputInfo, bool) {
		for _, o := range outs {
			if o.Name == name {
				return o, true
			}
		}
		return ort.InputOutputInfo{}, false
	}
	var out ort.InputOutputInfo
	var ok bool
	if named != "" {
		if out, ok = find(named); !ok {
			return out, 0, fmt.Errorf("no output %q (outputs: %s)", named, strings.Join(names, ", "))
		}
	} else {
		for _, n := range []string{"last_hidden_state", "token_embeddings", "sentence_embedding"} {
			if out, ok = find(n); ok {
				break
			}
		}
		if !ok {
			for _, o := range outs {
				if len(o.Dimensions) == 3 {
					out, ok = o, true
					break
				}
			}
		}
		if !ok {
			return out, 0, fmt.Errorf("no last_hidden_state-like output (outputs: %s)", strings.Join(names, ", "))
		}
	}
	if out.DataType != ort.TensorElementDataTypeFloat {
		return out, 0, fmt.Errorf("output %q has type %v; only float32 outputs are supported", out.Name, out.DataType)
	}
	if r := len(out.Dimensions); r != 2 && r != 3 {
		return out, 0, fmt.Errorf("output %q has rank %d, want 3 (tokens) or 2 (pooled)", out.Name, r)
	}
	return out, int(out.Dimensions[len(out.Dimensions)-1]), nil
}

func stringOption(f adapters.Folder, key string) string {
	s, _ := f.Options[key].(string)
	return s
}

// Dim is the embedding dimension.
func (e *Encoder) Dim() int { return e.id.Dim }

// Identity describes the encoder.
func (e *Encoder) Identity() adapters.Identity { return e.id }

// Tokenizer is the encoder's tokenizer.
func (e *Encoder) Tokenizer() *tokenize.Tokenizer { return e.tok }

// SessionTime is the wall time spent inside ONNX Runtime's Run (the model
// itself) since Open, summed over every batch and caller. Encode's time
// less this is what mimo adds: tokenisation, batching, padding, pooling,
// the head (scripts/bench-encode.sh reports it as the encoder's overhead).
func (e *Encoder) SessionTime() time.Duration { return time.Duration(e.inRun.Load()) }

// Close frees the ONNX Runtime session. It is safe to call twice.
func (e *Encoder) Close() error {
	if e.session == nil {
		return nil
	}
	err := e.session.Destroy()
	e.session = nil
	return err
}

// Encode returns one vector per text, in order.
func (e *Encoder) Encode(ctx context.Context, req adapters.Request) ([][]float32, error) {
	if e.session == nil {
		return nil, errors.New("onnx encoder: Encode after Close")
	}
	prompt := e.id.PromptFor(req.Role, req.Task)
	encs := make([]tokenize.Encoding, len(req.Texts))
	for i, s := range req.Texts {
		enc, err := e.tok.Encode(prompt+s, e.id.MaxLength)
		if err != nil {
			return nil, fmt.Errorf("onnx encoder %s: text %d: %w", e.id.Name, i, err)
		}
		encs[i] = enc
	}
	out := make([][]float32, len(req.Texts))
	lengths := make([]int, len(encs))
	for i, enc := range encs {
		lengths[i] = len(enc.IDs)
	}
	for _, b := range adapters.Batches(lengths, e.batchSize, e.budget) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		vecs, err := e.run(encs, b)
		if err != nil {
			return nil, fmt.Errorf("onnx encoder %s: texts %s: %w", e.id.Name, describe(b), err)
		}
		for k, i := range b {
			out[i] = vecs[k]
		}
	}
	return out, nil
}

func describe(idx []int) string {
	if len(idx) <= 8 {
		return fmt.Sprint(idx)
	}
	return fmt.Sprintf("%v… (%d texts)", idx[:8], len(idx))
}

// run pads one batch, runs the session and pools.
func (e *Encoder) run(encs []tokenize.Encoding, idx []int) ([][]float32, error) {
	b := len(idx)
	seq := 0
	for _, i := range idx {
		seq = max(seq, len(encs[i].IDs))
	}
	ids := make([]int64, b*seq)
	mask := make([]int64, b*seq)
	types := make([]int64, b*seq)
	pos := make([]int64, b*seq)
	for r, i := range idx {
		enc := encs[i]
		off := r * seq
		if e.leftPad {
			off += seq - len(enc.IDs)
		}
		for k := range ids[r*seq : (r+1)*seq] {
			ids[r*seq+k] = e.padID
		}
		copy(ids[off:], enc.IDs)
		copy(mask[off:], enc.Mask)
		copy(types[off:], enc.TypeIDs)
		for k := range enc.IDs {
			pos[off+k] = int64(k)
		}
	}
	shape := ort.NewShape(int64(b), int64(seq))
	values := make([]ort.Value, len(e.inputs))
	defer func() {
		for _, v := range values {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for k, name := range e.inputs {
		var data []int64
		switch name {
		case "input_ids":
			data = ids
		case "attention_mask":
			data = mask
		case "token_type_ids":
			data = types
		case "position_ids":
			data = pos
		}
		v, err := newIntTensor(shape, data, e.inputType[name])
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", name, err)
		}
		values[k] = v
	}
	outs := []ort.Value{nil}
	t0 := time.Now()
	err := e.session.Run(values, outs)
	e.inRun.Add(int64(time.Since(t0)))
	if err != nil {
		return nil, err
	}
	defer outs[0].Destroy()
	t, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("output %s is %T, want a float32 tensor", e.output, outs[0])
	}
	oshape := t.GetShape()
	data := t.GetData()
	var vecs [][]float32
	if e.pooled {
		if len(oshape) != 2 || oshape[0] != int64(b) {
			return nil, fmt.Errorf("output %s has shape %v, want [%d, dim]", e.output, oshape, b)
		}
		d := int(oshape[1])
		for r := range b {
			vecs = append(vecs, slices.Clone(data[r*d:(r+1)*d]))
		}
	} else {
		if len(oshape) != 3 || oshape[0] != int64(b) || oshape[1] != int64(seq) {
			return nil, fmt.Errorf("output %s has shape %v, want [%d, %d, dim]", e.output, oshape, b, seq)
		}
		vecs = Pool(data, mask, b, seq, int(oshape[2]), e.id.Pooling)
	}
	if err := e.head.ApplyAll(vecs); err != nil {
		return nil, err
	}
	return vecs, nil
}

func newIntTensor(shape ort.Shape, data []int64, typ ort.TensorElementDataType) (ort.Value, error) {
	if typ == ort.TensorElementDataTypeInt32 {
		d32 := make([]int32, len(data))
		for i, v := range data {
			d32[i] = int32(v)
		}
		return ort.NewTensor(shape, d32)
	}
	return ort.NewTensor(shape, slices.Clone(data))
}

// Pool reduces hidden states [b, seq, dim] (row-major) to one vector per row:
// mean over the positions where mask is 1, the first position (cls), or the
// last position whose mask is 1 (last-token).
func Pool(hidden []float32, mask []int64, b, seq, dim int, pooling string) [][]float32 {
	out := make([][]float32, b)
	for r := range b {
		v := make([]float32, dim)
		row := hidden[r*seq*dim : (r+1)*seq*dim]
		m := mask[r*seq : (r+1)*seq]
		switch pooling {
		case PoolCLS:
			first := 0
			for first < seq-1 && m[first] == 0 {
				first++
			}
			copy(v, row[first*dim:(first+1)*dim])
		case PoolLastToken:
			last := seq - 1
			for last > 0 && m[last] == 0 {
				last--
			}
			copy(v, row[last*dim:(last+1)*dim])
		default:
			sum := make([]float64, dim)
			n := 0
			for p := range seq {
				if m[p] == 0 {
					continue
				}
				n++
				for k, x := range row[p*dim : (p+1)*dim] {
					sum[k] += float64(x)
				}
			}
			for k := range v {
				if n > 0 {
					v[k] = float32(sum[k] / float64(n))
				}
			}
		}
		out[r] = v
	}
	return out
}
