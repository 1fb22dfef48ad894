package transformer

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

const (
	// SeqBucket: padded sequence lengths are rounded up to a multiple of
	// this, so a corpus compiles a handful of graphs, not one per length.
	SeqBucket = 16
	// maxCompiled bounds the graphs a Model keeps compiled.
	maxCompiled = 64
)

// PaddedLength is the length Forward pads a sequence of n ids to: n rounded
// up to a multiple of SeqBucket, capped at the model's maximum.
func (c Config) PaddedLength(n int) int {
	return min((n+SeqBucket-1)/SeqBucket*SeqBucket, c.MaxSequenceLength())
}

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
			return nil, fmt.Errorf("transformer: no variable for tensor %q under scope %q: load or initialise the weights first", s.Name, ctx.Scope())
		}
	}
	m := &Model{Config: cfg, backend: backend, ctx: ctx}
	exec, err := mlctx.NewExec(backend, ctx.Reuse(), func(ctx *mlctx.Context, ids, mask *graph.Node) *graph.Node {
		return Encode(ctx, cfg, ids, mask, false)
	})
	if err != nil {
		return nil, fmt.Errorf("transformer: building executor: %w", err)
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
			return nil, fmt.Errorf("transformer: input %d has no tokens", i)
		}
		longest = max(longest, len(s))
	}
	limit := m.Config.MaxSequenceLength()
	if seqLen == 0 {
		seqLen = m.Config.PaddedLength(longest)
	}
	if longest > seqLen || seqLen > limit {
		return nil, fmt.Errorf("transformer: %d tokens do not fit sequence length %d (model maximum %d)", longest, seqLen, limit)
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
				return nil, fmt.Errorf("transformer: input %d token %d: id %d outside the vocabulary of %d", i, j, id, m.Config.VocabSize)
			}
			row[j] = int32(id)
			flatMask[i*seqLen+j] = 1
		}
	}
	outs, err := m.exec.Exec(tensors.FromFlatDataAndDimensions(flatIDs, b, seqLen), tensors.FromFlatDataAndDimensions(flatMask, b, seqLen))
	if err != nil {
		return nil, fmt.Errorf("transformer: forward pass [%d x %d]: %w", b, seqLen, err)
	}
	defer outs[0].FinalizeAll()
	flat, err := tensors.CopyFlatData[float32](outs[0])
	if err != nil {
		return nil, fmt.Errorf("transformer: reading output: %w", err)
	}
	h := m.Config.HiddenSize
	vecs := make([][]float32, b)
	for i := range vecs {
		vecs[i] = flat[i*h : (i+1)*h : (i+1)*h]
	}
	return vecs, nil
}

// Close releases the compiled graphs and the weights (not the backend,
// which the Model does not own). It is idempotent.
func (m *Model) Close() {
	if m.exec == nil {
		return
	}
	m.exec.Finalize()
	m.ctx.Finalize()
	m.exec = nil
}
