// Package teacher provides the frozen teacher's vectors of the English side
// of the training data. The teacher never runs during training: its vectors
// are computed once, stored in a file of vectors keyed by text (the
// precomputed format of adapters/precomputed), and training only looks them up.
//
// Roles matter: MIMO stage 2 encodes English queries with the teacher's query
// prompt and English passages with none, and stage 1 encodes English sentences
// with no prompt at all. The same text can therefore have different vectors
// in different roles, so each role has its own cache (Role* constants name
// them) and the teacher Encoder is asked with the matching adapters.Role:
// queries as RoleQuery (the encoder's own query prompt applies, or
// QueryPrompt when the encoder has none), passages and stage-1 sentences as
// RoleDocument with no prompt.
package teacher

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/mimo-mlir/mimo/adapters"
)

// Qwen3QueryPrompt is the teacher's query prompt in the paper (Appendix C).
const Qwen3QueryPrompt = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: "

// Vectors is a read-only map from text to teacher vector.
type Vectors interface {
	Lookup(text string) ([]float32, bool)
	Dim() int
}

// Memory is an in-memory Vectors.
type Memory struct {
	dim  int
	vecs map[string][]float32
	// Prompt is what the teacher saw before each text (set by Compute).
	Prompt string
}

// NewMemory makes an empty store of dimension dim.
func NewMemory(dim int) *Memory { return &Memory{dim: dim, vecs: map[string][]float32{}} }

// Lookup implements Vectors.
func (m *Memory) Lookup(text string) ([]float32, bool) { v, ok := m.vecs[text]; return v, ok }

// Dim implements Vectors.
func (m *Memory) Dim() int { return m.dim }

// Len is the number of texts.
func (m *Memory) Len() int { return len(m.vecs) }

// Put stores a vector; its length must be Dim.
func (m *Memory) Put(text string, v []float32) error {
	if len(v) != m.dim {
		return fmt.Errorf("teacher: vector for %.40q has %d dimensions, store has %d", text, len(v), m.dim)
	}
	m.vecs[text] = v
	return nil
}

// Texts returns the stored texts, sorted.
func (m *Memory) Texts() []string {
	out := make([]string, 0, len(m.vecs))
	for t := range m.vecs {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Options say how to call the teacher.
type Options struct {
	Role adapters.Role
	// QueryPrompt is prepended to queries when the encoder itself has no
	// query prompt (e.g. an HTTP server that takes raw text).
	QueryPrompt string
	// NoPrompt sends texts as RoleDocument with no prompt whatever the role
	// (stage 1: "we do not use any prompt in Stage 1 training").
	NoPrompt  bool
	BatchSize int
	// Progress, if set, is called after each batch with done and total texts.
	Progress func(done, total int)
}

// Compute encodes the distinct texts with enc in batches and returns them in
// a Memory. Vectors are stored as the encoder returns them; the losses use
// cosine, so normalisation does not matter.
func Compute(ctx context.Context, enc adapters.Encoder, texts []string, o Options) (*Memory, error) {
	uniq := map[string]bool{}
	var pending []string
	for _, t := range texts {
		if !uniq[t] {
			uniq[t] = true
			pending = append(pending, t)
		}
	}
	sort.Strings(pending)
	role := o.Role
	if role == "" || o.NoPrompt {
		role = adapters.RoleDocument
	}
	prefix := ""
	if role == adapters.RoleQuery && o.QueryPrompt != "" && enc.Identity().PromptFor(adapters.RoleQuery, "") == "" {
		prefix = o.QueryPrompt
	}
	seen := enc.Identity().PromptFor(role, "") + prefix
	bs := o.BatchSize
	if bs <= 0 {
		bs = 64
	}
	m := NewMemory(enc.Dim())
	m.Prompt = seen
	for from := 0; from < len(pending); from += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := pending[from:min(from+bs, len(pending))]
		in := batch
		if prefix != "" {
			in = make([]string, len(batch))
			for i, t := range batch {
				in[i] = prefix + t
			}
		}
		vecs, err := enc.Encode(ctx, adapters.Request{Role: role, Texts: in})
		if err != nil {
			return nil, fmt.Errorf("teacher %s: texts %d-%d: %w", enc.Identity().Name, from, from+len(batch), err)
		}
		if len(vecs) != len(batch) {
			return nil, fmt.Errorf("teacher %s: %d vectors for %d texts", enc.Identity().Name, len(vecs), len(batch))
		}
		for i, v := range vecs {
			if !finite(v) {
				return nil, fmt.Errorf("teacher %s: non-finite vector for text %d (%.40q)", enc.Identity().Name, from+i, batch[i])
			}
			if err := m.Put(batch[i], v); err != nil {
				return nil, err
			}
		}
		if o.Progress != nil {
			o.Progress(min(from+bs, len(pending)), len(pending))
		}
	}
	return m, nil
}

func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// Gather returns the vectors of texts as one row-major [len(texts), Dim]
// slice; a missing text is an error naming it and its index.
func Gather(v Vectors, texts []string) ([]float32, error) {
	d := v.Dim()
	out := make([]float32, 0, len(texts)*d)
	for i, t := range texts {
		x, ok := v.Lookup(t)
		if !ok {
			return nil, fmt.Errorf("teacher cache: no vector for text %d (%.60q); rebuild the cache over this data", i, t)
		}
		if len(x) != d {
			return nil, fmt.Errorf("teacher cache: vector for text %d has %d dimensions, want %d", i, len(x), d)
		}
		out = append(out, x...)
	}
	return out, nil
}
