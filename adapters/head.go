package adapters

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mimo-mlir/mimo/adapters/digest"
	"github.com/mimo-mlir/mimo/internal/safetensors"
)

// HeadStep is one module a model applies to the pooled vector, in the
// order of Folder.Head: a sentence-transformers Dense layer (y = act(W x +
// b)) or an L2 normalisation. A folder read from a sentence-transformers
// model (modules.json) lists its modules after Pooling here.
type HeadStep struct {
	Type string `json:"type"` // "dense" or "normalize"
	// Path is the module's folder, relative to the model folder
	// (sentence-transformers' "2_Dense"): it holds model.safetensors with
	// linear.weight [out, in] and, when Bias, linear.bias [out].
	Path        string `json:"path,omitempty"`
	InFeatures  int    `json:"in_features,omitempty"`
	OutFeatures int    `json:"out_features,omitempty"`
	Bias        bool   `json:"bias,omitempty"`
	// Activation is applied after the linear map: identity, tanh, relu,
	// gelu, sigmoid or silu.
	Activation string `json:"activation,omitempty"`
	// Module names where the step came from ("modules.json entry 2
	// (sentence_transformers.models.Dense, 2_Dense)"), for errors.
	Module string `json:"module,omitempty"`
}

// Head step types.
const (
	StepDense     = "dense"
	StepNormalize = "normalize"
)

// DenseWeightsFile is the file of a Dense module's weights, in its folder.
const DenseWeightsFile = "model.safetensors"

// activations are the Dense activations a head applies.
var activations = map[string]func(float64) float64{
	"identity": func(x float64) float64 { return x },
	"tanh":     math.Tanh,
	"relu":     func(x float64) float64 { return max(x, 0) },
	"gelu":     func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
	"sigmoid":  func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
	"silu":     func(x float64) float64 { return x / (1 + math.Exp(-x)) },
}

// Activations lists the activation names a Dense step accepts.
func Activations() []string {
	out := make([]string, 0, len(activations))
	for k := range activations {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ErrHead is wrapped by every error about a model's head (a Dense step
// whose weights are missing or do not fit, an unknown step).
var ErrHead = errors.New("post-pooling head")

// Head is the post-pooling pipeline of an encoder: the folder's Head
// steps, then the L2 normalisation of Folder.Normalize. The ONNX and
// native encoders pool, then call Apply on every vector; what it does is
// in Describe, which the encoders put in Identity.Head so that the
// embedding cache key changes with it, and the files it reads are Parts,
// which go into Identity.Content.
type Head struct {
	ops   []headOp
	in    int
	out   int
	desc  string
	parts []digest.Part
}

type headOp struct {
	normalize bool
	w         []float32 // [out, in] row-major
	b         []float32 // [out] or nil
	act       func(float64) float64
	in, out   int
}

// OpenHead builds the head of folder f for pooled vectors of dimension in
// (0: unknown, as for an ONNX graph whose output dimension is dynamic;
// the first Dense step then sets it). Dense weights are read from
// f.Path(step.Path)/model.safetensors; a folder that has only
// pytorch_model.bin is refused (mimo never reads pickles). Errors wrap
// ErrHead and name the module and file.
func OpenHead(f Folder, in int) (*Head, error) {
	h := &Head{in: in, out: in}
	var desc []string
	for i, s := range f.Head {
		where := fmt.Sprintf("head step %d (%s)", i, s.Type)
		if s.Module != "" {
			where = fmt.Sprintf("head step %d (%s, %s)", i, s.Type, s.Module)
		}
		switch s.Type {
		case StepNormalize:
			h.ops = append(h.ops, headOp{normalize: true})
			desc = append(desc, "normalize")
		case StepDense:
			op, err := openDense(f, s, h.out, where)
			if err != nil {
				return nil, err
			}
			h.parts = append(h.parts, digest.Part{Name: "head:" + s.Path, Path: f.Path(joinRel(s.Path, DenseWeightsFile))})
			if h.in == 0 && h.out == 0 {
				h.in = op.in
			}
			h.out = op.out
			h.ops = append(h.ops, op)
			bias := "nobias"
			if s.Bias {
				bias = "bias"
			}
			desc = append(desc, fmt.Sprintf("dense(%d->%d,%s,%s)", op.in, op.out, bias, s.Activation))
		default:
			return nil, fmt.Errorf("%s: %w: unknown step type %q (want %s or %s)", where, ErrHead, s.Type, StepDense, StepNormalize)
		}
	}
	if f.NormalizeOrDefault() && (len(h.ops) == 0 || !h.ops[len(h.ops)-1].normalize) {
		h.ops = append(h.ops, headOp{normalize: true})
	}
	// Only the Head steps describe: the final normalisation is already
	// Identity.Normalize, so a folder without steps keeps its old key.
	h.desc = strings.Join(desc, " > ")
	return h, nil
}

// joinRel joins folder-relative path parts with "/".
func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}

func openDense(f Folder, s HeadStep, in int, where string) (headOp, error) {
	act, ok := activations[s.Activation]
	if !ok {
		return headOp{}, fmt.Errorf("%s: %w: activation %q is not supported (supported: %s)", where, ErrHead, s.Activation, strings.Join(Activations(), ", "))
	}
	if s.InFeatures <= 0 || s.OutFeatures <= 0 || s.InFeatures > MaxFolderDim || s.OutFeatures > MaxFolderDim {
		return headOp{}, fmt.Errorf("%s: %w: in_features %d, out_features %d: want both in [1, %d]", where, ErrHead, s.InFeatures, s.OutFeatures, MaxFolderDim)
	}
	if in > 0 && s.InFeatures != in {
		return headOp{}, fmt.Errorf("%s: %w: in_features %d, but the vectors it gets have %d dimensions", where, ErrHead, s.InFeatures, in)
	}
	path := f.Path(joinRel(s.Path, DenseWeightsFile))
	st, err := safetensors.Open(path)
	if err != nil {
		return headOp{}, fmt.Errorf("%s: %w: %w", where, ErrHead, err)
	}
	defer st.Close()
	read := func(name string, shape ...int) ([]float32, error) {
		e, ok := st.Entry(name)
		if !ok {
			return nil, fmt.Errorf("%s: %w: %s has no tensor %q (tensors: %s)", where, ErrHead, path, name, strings.Join(st.Names(), ", "))
		}
		if !slices.Equal(e.Shape, shape) {
			return nil, fmt.Errorf("%s: %w: %s: tensor %q has shape %v, want %v (out_features, in_features)", where, ErrHead, path, name, e.Shape, shape)
		}
		return st.Float32s(name)
	}
	op := headOp{act: act, in: s.InFeatures, out: s.OutFeatures}
	if op.w, err = read("linear.weight", s.OutFeatures, s.InFeatures); err != nil {
		return headOp{}, err
	}
	if s.Bias {
		if op.b, err = read("linear.bias", s.OutFeatures); err != nil {
			return headOp{}, err
		}
	} else if _, has := st.Entry("linear.bias"); has {
		return headOp{}, fmt.Errorf("%s: %w: %s has linear.bias but the module's config says bias false", where, ErrHead, path)
	}
	return op, nil
}

// Dim is the dimension of the vectors Apply returns (0 when neither the
// input dimension nor a Dense step is known).
func (h *Head) Dim() int { return h.out }

// InDim is the pooled dimension the head expects (0: any, when it has no
// Dense step and was opened with 0).
func (h *Head) InDim() int { return h.in }

// Describe is the head's steps ("dense(768->3,bias,tanh) > normalize"),
// "" when it has none.
func (h *Head) Describe() string { return h.desc }

// Parts are the files the head's weights come from, for ContentDigest.
func (h *Head) Parts() []digest.Part { return slices.Clone(h.parts) }

// Apply runs the head on one pooled vector and returns the result (v
// itself when only normalisation applies). The linear maps accumulate
// in float64.
func (h *Head) Apply(v []float32) ([]float32, error) {
	for i, op := range h.ops {
		if op.normalize {
			Normalize(v)
			continue
		}
		if len(v) != op.in {
			return nil, fmt.Errorf("%w: step %d: vector of %d dimensions, the Dense layer takes %d", ErrHead, i, len(v), op.in)
		}
		out := make([]float32, op.out)
		for o := range op.out {
			var s float64
			if op.b != nil {
				s = float64(op.b[o])
			}
			row := op.w[o*op.in : (o+1)*op.in]
			for k, x := range v {
				s += float64(row[k]) * float64(x)
			}
			out[o] = float32(op.act(s))
		}
		v = out
	}
	return v, nil
}

// ApplyAll runs Apply on every vector, in place in vs.
func (h *Head) ApplyAll(vs [][]float32) error {
	for i, v := range vs {
		out, err := h.Apply(v)
		if err != nil {
			return fmt.Errorf("vector %d: %w", i, err)
		}
		vs[i] = out
	}
	return nil
}
