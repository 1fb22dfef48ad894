package transformer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// knownPrefixes are stripped from tensor names on load: task-head models
// (XLMRobertaForMaskedLM, BertForPreTraining, ...) keep the encoder under
// them.
var knownPrefixes = []string{"roberta.", "bert.", "xlm_roberta.", "model."}

// ignoredPrefixes are tensors of a checkpoint that the encoder does not use:
// the pooler (Encode pools by mean or raw [CLS]), pre-training heads and the
// position-id buffer older checkpoints store.
// ModernBertForMaskedLM keeps its MLM head in "head." and "decoder.".
var ignoredPrefixes = []string{"pooler.", "lm_head.", "cls.", "embeddings.position_ids", "classifier.", "qa_outputs.", "head.", "decoder."}

// canonicalName strips a known model prefix from a checkpoint tensor name.
func canonicalName(name string) string {
	for _, p := range knownPrefixes {
		if rest, ok := strings.CutPrefix(name, p); ok {
			return rest
		}
	}
	return name
}

func ignored(name string) bool {
	for _, p := range ignoredPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// LoadSafetensors reads the encoder weights of cfg from a safetensors file
// with Hugging Face names into ctx's variables (creating them if needed),
// converting F16/BF16/F64 to float32. Every tensor the config needs must be
// present with the config's shape; a tensor that is neither needed nor a
// known head/pooler is an error too (it means the file is not this
// architecture). Errors name the file and the tensor.
func LoadSafetensors(ctx *context.Context, cfg Config, path string) (err error) {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	st, err := openSafetensors(path)
	if err != nil {
		return err
	}
	defer st.Close()

	byCanon := map[string]string{} // canonical -> name in file
	var unexpected []string
	needed := map[string]bool{}
	for _, s := range tensorSpecs(cfg) {
		needed[s.Name] = true
	}
	for _, n := range st.names() {
		c := canonicalName(n)
		if prev, dup := byCanon[c]; dup {
			return fmt.Errorf("load %s: tensors %q and %q are both %q", path, prev, n, c)
		}
		byCanon[c] = n
		if !needed[c] && !ignored(c) {
			unexpected = append(unexpected, n)
		}
	}
	if len(unexpected) > 0 {
		return fmt.Errorf("load %s: tensors not part of a %s encoder with %d layers: %s", path, cfg.ModelType, cfg.NumLayers, strings.Join(firstN(unexpected, 8), ", "))
	}

	var missing []string
	for _, s := range tensorSpecs(cfg) {
		n, ok := byCanon[s.Name]
		if !ok {
			missing = append(missing, s.Name)
			continue
		}
		e := st.entries[n]
		if !slices.Equal(e.Shape, s.Shape) {
			return fmt.Errorf("load %s: tensor %q has shape %v, the config wants %v", path, n, e.Shape, s.Shape)
		}
		data, err := st.float32s(n)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		if err := setVariable(ctx, s.Name, tensors.FromFlatDataAndDimensions(data, s.Shape...)); err != nil {
			return fmt.Errorf("load %s: tensor %q: %w", path, n, err)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("load %s: %d tensors missing, e.g. %s", path, len(missing), strings.Join(firstN(missing, 8), ", "))
	}
	return nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(slices.Clone(s[:n]), fmt.Sprintf("... (%d more)", len(s)-n))
	}
	return s
}

// setVariable creates or overwrites the variable of tensor name.
func setVariable(ctx *context.Context, name string, t *tensors.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("setting variable: %v", r)
		}
	}()
	if v := lookupVariable(ctx, name); v != nil {
		if !v.Shape().Equal(t.Shape()) {
			return fmt.Errorf("existing variable %s has shape %s, not %s", v.ScopeAndName(), v.Shape(), t.Shape())
		}
		return v.SetValue(t)
	}
	c, vn := varScope(ctx, name)
	c.Checked(false).VariableWithValue(vn, t)
	return nil
}

// SaveSafetensors writes the encoder's variables under ctx to path as F32
// safetensors with Hugging Face names (no model prefix, as
// XLMRobertaModel.save_pretrained writes them), atomically.
func SaveSafetensors(ctx *context.Context, cfg Config, path string) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	out, err := readVariables(ctx, cfg)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return writeSafetensors(path, out, map[string]string{"format": "pt"})
}

// readVariables copies every tensor of cfg's encoder out of ctx, in
// tensorSpecs order, checking dtype and shape.
func readVariables(ctx *context.Context, cfg Config) ([]stTensor, error) {
	specs := tensorSpecs(cfg)
	out := make([]stTensor, 0, len(specs))
	for _, s := range specs {
		v := lookupVariable(ctx, s.Name)
		if v == nil {
			return nil, fmt.Errorf("no variable for tensor %q under scope %q", s.Name, ctx.Scope())
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", s.Name, err)
		}
		if t.DType() != dtypes.Float32 || !slices.Equal(t.Shape().Dimensions, s.Shape) {
			return nil, fmt.Errorf("tensor %q is %s, want float32%v", s.Name, t.Shape(), s.Shape)
		}
		data, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", s.Name, err)
		}
		out = append(out, stTensor{Name: s.Name, Shape: s.Shape, Data: data})
	}
	return out, nil
}

// InitRandom creates (or overwrites) the encoder's variables under ctx with
// Hugging Face's initialisation, reproducibly from seed on any backend (the
// numbers are drawn in Go): weights of linear and embedding layers from a
// normal of std 0.02 truncated at two standard deviations (as the original
// BERT did; transformers' PyTorch code uses the untruncated normal), biases
// 0, LayerNorm gains 1; the padding rows of embeddings that have a
// padding_idx in transformers are zero.
func InitRandom(ctx *context.Context, cfg Config, seed int64) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d696d6f)) // "mimo"
	var errs []error
	for _, s := range tensorSpecs(cfg) {
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		data := make([]float32, n)
		switch s.Init {
		case initNormal:
			std := s.Std
			if std == 0 {
				std = initStd
			}
			for i := range data {
				z := rng.NormFloat64()
				for z < -2 || z > 2 {
					z = rng.NormFloat64()
				}
				data[i] = float32(z * std)
			}
		case initOnes:
			for i := range data {
				data[i] = 1
			}
		}
		if s.Name == "embeddings.word_embeddings.weight" ||
			(cfg.ModelType == ModelXLMRoberta && s.Name == "embeddings.position_embeddings.weight") {
			h := s.Shape[1]
			clear(data[cfg.PadTokenID*h : (cfg.PadTokenID+1)*h])
		}
		if err := setVariable(ctx, s.Name, tensors.FromFlatDataAndDimensions(data, s.Shape...)); err != nil {
			errs = append(errs, fmt.Errorf("init tensor %q: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

// SetTensor overwrites (or creates) the variable under ctx that holds cfg's
// Hugging Face tensor name with data, which must have the tensor's shape.
func SetTensor(ctx *context.Context, cfg Config, name string, data []float32) error {
	for _, s := range tensorSpecs(cfg) {
		if s.Name != name {
			continue
		}
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		if len(data) != n {
			return fmt.Errorf("set tensor %q: %d values, want %v", name, len(data), s.Shape)
		}
		return setVariable(ctx, name, tensors.FromFlatDataAndDimensions(data, s.Shape...))
	}
	return fmt.Errorf("set tensor %q: not a tensor of a %s encoder", name, cfg.ModelType)
}
