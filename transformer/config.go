package transformer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// Model types this package implements. XLM-R and BERT are the same post-LN
// encoder and differ only in how position ids are made (see positionIDs);
// ModernBERT (mmBERT's architecture) is a pre-LN encoder with rotary
// positions, GeGLU and alternating global/sliding-window attention (see
// encodeModernBERT).
const (
	ModelXLMRoberta = "xlm-roberta"
	ModelBERT       = "bert"
	ModelModernBERT = "modernbert"
)

// ModernBERT's defaults (transformers' ModernBertConfig), used for keys a
// config.json leaves out.
const (
	modernBERTGlobalRopeTheta = 160000.0
	modernBERTLocalRopeTheta  = 10000.0
	modernBERTLocalAttention  = 128
	modernBERTGlobalEvery     = 3
	modernBERTNormEps         = 1e-5
)

// Layer types of ModernBERT's layer_types.
const (
	layerFull    = "full_attention"
	layerSliding = "sliding_attention"
)

// Pooling modes of Encode.
const (
	PoolingMean = "mean" // masked mean over tokens (sentence-transformers' mean pooling)
	PoolingCLS  = "cls"  // hidden state of the first token, no pooler dense layer
)

// Config is the architecture of an encoder: the fields of a Hugging Face
// config.json that change the computation, plus the pooling the student uses.
type Config struct {
	ModelType        string // "xlm-roberta" | "bert" ("roberta" is read as xlm-roberta)
	VocabSize        int
	HiddenSize       int
	NumLayers        int
	NumHeads         int
	IntermediateSize int
	MaxPositions     int
	TypeVocabSize    int
	PadTokenID       int
	LayerNormEps     float64
	HiddenDropout    float64
	AttentionDropout float64
	Pooling          string // "mean" | "cls"

	// ModernBERT only (zero otherwise). Layer l attends globally when
	// l % GlobalEvery == 0, else to the keys within LocalAttention/2
	// positions of the query; rotary positions use GlobalRopeTheta in
	// global layers and LocalRopeTheta in local ones. The Bias flags say
	// which LayerNorms and Linears have a bias. AttentionDropout (above)
	// drops attention probabilities and the attention output, MLPDropout
	// the GeGLU's hidden units, EmbeddingDropout the normalised embeddings.
	NormBias         bool
	AttentionBias    bool
	MLPBias          bool
	LocalAttention   int
	GlobalEvery      int
	GlobalRopeTheta  float64
	LocalRopeTheta   float64
	EmbeddingDropout float64
	MLPDropout       float64

	// Compute is the dtype of the encoder's matrix products and activations
	// (Float32 when unset, or BFloat16); it is not part of config.json. The
	// weights stay float32 variables (the master copy the optimiser
	// updates) and are converted where they enter a product; layer norms,
	// the attention softmax and pooling run in float32, and Encode's output
	// is float32 whatever Compute is (see ComputeDType).
	Compute dtypes.DType
}

// ComputeDType is c.Compute, Float32 when unset.
func (c Config) ComputeDType() dtypes.DType {
	if c.Compute == dtypes.InvalidDType {
		return dtypes.Float32
	}
	return c.Compute
}

// GlobalLayer reports whether layer l of a ModernBERT attends to every
// position (else to a sliding window).
func (c Config) GlobalLayer(l int) bool {
	return c.GlobalEvery > 0 && l%c.GlobalEvery == 0
}

// hfConfig is the subset of config.json we read and write. Unknown keys are
// kept (raw) by WriteConfig only through the fields below; Hugging Face
// ignores keys it does not know, so mimo_pooling round-trips harmlessly.
type hfConfig struct {
	Architectures         []string `json:"architectures,omitempty"`
	ModelType             string   `json:"model_type"`
	VocabSize             int      `json:"vocab_size"`
	HiddenSize            int      `json:"hidden_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	IntermediateSize      int      `json:"intermediate_size"`
	HiddenAct             string   `json:"hidden_act,omitempty"`
	HiddenDropoutProb     *float64 `json:"hidden_dropout_prob,omitempty"`
	AttentionDropoutProb  *float64 `json:"attention_probs_dropout_prob,omitempty"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	TypeVocabSize         *int     `json:"type_vocab_size,omitempty"`
	LayerNormEps          float64  `json:"layer_norm_eps,omitempty"`
	PadTokenID            *int     `json:"pad_token_id,omitempty"`
	BosTokenID            *int     `json:"bos_token_id,omitempty"`
	EosTokenID            *int     `json:"eos_token_id,omitempty"`
	PositionEmbeddingType string   `json:"position_embedding_type,omitempty"`
	InitializerRange      float64  `json:"initializer_range,omitempty"`
	TorchDtype            string   `json:"torch_dtype,omitempty"`
	MimoPooling           string   `json:"mimo_pooling,omitempty"`

	// ModernBERT's keys.
	HiddenActivation        string          `json:"hidden_activation,omitempty"`
	NormEps                 *float64        `json:"norm_eps,omitempty"`
	NormBias                *bool           `json:"norm_bias,omitempty"`
	AttentionBias           *bool           `json:"attention_bias,omitempty"`
	MLPBias                 *bool           `json:"mlp_bias,omitempty"`
	AttentionDropout        *float64        `json:"attention_dropout,omitempty"`
	EmbeddingDropout        *float64        `json:"embedding_dropout,omitempty"`
	MLPDropout              *float64        `json:"mlp_dropout,omitempty"`
	LocalAttention          *int            `json:"local_attention,omitempty"`
	GlobalAttnEveryNLayers  *int            `json:"global_attn_every_n_layers,omitempty"`
	GlobalRopeTheta         *float64        `json:"global_rope_theta,omitempty"`
	LocalRopeTheta          *float64        `json:"local_rope_theta,omitempty"`
	LayerTypes              []string        `json:"layer_types,omitempty"`
	RopeParameters          json.RawMessage `json:"rope_parameters,omitempty"`
	RopeScaling             json.RawMessage `json:"rope_scaling,omitempty"`
	InitializerCutoffFactor *float64        `json:"initializer_cutoff_factor,omitempty"`
}

// ropeParameters is one entry of transformers' rope_parameters.
type ropeParameters struct {
	RopeTheta float64 `json:"rope_theta"`
	RopeType  string  `json:"rope_type"`
}

// ReadConfig reads a Hugging Face config.json of a BERT, XLM-RoBERTa or
// ModernBERT (mmBERT) encoder. What this package does not implement
// (relative position embeddings, non-erf activations, scaled RoPE) is an
// error that says so rather than silently wrong vectors. Pooling comes from the
// "mimo_pooling" key that WriteConfig writes, else "mean".
func ReadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("transformer config: %w", err)
	}
	var h hfConfig
	if err := json.Unmarshal(b, &h); err != nil {
		return Config{}, fmt.Errorf("transformer config %s: %w", path, err)
	}
	c := Config{
		ModelType:        h.ModelType,
		VocabSize:        h.VocabSize,
		HiddenSize:       h.HiddenSize,
		NumLayers:        h.NumHiddenLayers,
		NumHeads:         h.NumAttentionHeads,
		IntermediateSize: h.IntermediateSize,
		MaxPositions:     h.MaxPositionEmbeddings,
		TypeVocabSize:    2, // Hugging Face's BertConfig default
		LayerNormEps:     h.LayerNormEps,
		HiddenDropout:    0.1,
		AttentionDropout: 0.1,
		Pooling:          h.MimoPooling,
	}
	switch h.ModelType {
	case "xlm-roberta", "roberta":
		c.ModelType = ModelXLMRoberta
		c.PadTokenID = 1
	case "bert":
		c.ModelType = ModelBERT
		c.PadTokenID = 0
	case ModelModernBERT:
		c, err := modernBERTConfig(c, h)
		if err != nil {
			return Config{}, fmt.Errorf("transformer config %s: %w", path, err)
		}
		return c, nil
	case "":
		return Config{}, fmt.Errorf("transformer config %s: field \"model_type\" is missing", path)
	default:
		return Config{}, fmt.Errorf("transformer config %s: model_type %q is not implemented (only xlm-roberta, roberta, bert and modernbert); run it as an ONNX export instead (optimum-cli export onnx --task feature-extraction, then a model folder of kind onnx)", path, h.ModelType)
	}
	if h.TypeVocabSize != nil {
		c.TypeVocabSize = *h.TypeVocabSize
	}
	if h.PadTokenID != nil {
		c.PadTokenID = *h.PadTokenID
	}
	if h.HiddenDropoutProb != nil {
		c.HiddenDropout = *h.HiddenDropoutProb
	}
	if h.AttentionDropoutProb != nil {
		c.AttentionDropout = *h.AttentionDropoutProb
	}
	if c.LayerNormEps == 0 {
		c.LayerNormEps = 1e-12 // BertConfig default
	}
	if c.Pooling == "" {
		c.Pooling = PoolingMean
	}
	if h.HiddenAct != "" && h.HiddenAct != "gelu" {
		return Config{}, fmt.Errorf("transformer config %s: hidden_act %q is not implemented (only \"gelu\", the erf form)", path, h.HiddenAct)
	}
	if h.PositionEmbeddingType != "" && h.PositionEmbeddingType != "absolute" {
		return Config{}, fmt.Errorf("transformer config %s: position_embedding_type %q is not implemented (only \"absolute\")", path, h.PositionEmbeddingType)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("transformer config %s: %w", path, err)
	}
	return c, nil
}

// modernBERTConfig fills c (sizes and pooling already read) from
// ModernBERT's keys, with ModernBertConfig's defaults for absent ones.
func modernBERTConfig(c Config, h hfConfig) (Config, error) {
	c.ModelType = ModelModernBERT
	c.TypeVocabSize = 0
	c.HiddenDropout = 0
	c.PadTokenID = 50283 // ModernBertConfig's default
	if h.PadTokenID != nil {
		c.PadTokenID = *h.PadTokenID
	}
	c.LayerNormEps = modernBERTNormEps
	if h.NormEps != nil {
		c.LayerNormEps = *h.NormEps
	}
	flag := func(p *bool) bool { return p != nil && *p }
	c.NormBias, c.AttentionBias, c.MLPBias = flag(h.NormBias), flag(h.AttentionBias), flag(h.MLPBias)
	num := func(p *float64, def float64) float64 {
		if p != nil {
			return *p
		}
		return def
	}
	c.AttentionDropout = num(h.AttentionDropout, 0)
	c.EmbeddingDropout = num(h.EmbeddingDropout, 0)
	c.MLPDropout = num(h.MLPDropout, 0)
	c.GlobalRopeTheta = num(h.GlobalRopeTheta, modernBERTGlobalRopeTheta)
	c.LocalRopeTheta = num(h.LocalRopeTheta, modernBERTLocalRopeTheta)
	c.LocalAttention, c.GlobalEvery = modernBERTLocalAttention, modernBERTGlobalEvery
	if h.LocalAttention != nil {
		c.LocalAttention = *h.LocalAttention
	}
	if h.GlobalAttnEveryNLayers != nil {
		c.GlobalEvery = *h.GlobalAttnEveryNLayers
	}
	if act := h.HiddenActivation; act != "" && act != "gelu" {
		return Config{}, fmt.Errorf("hidden_activation %q is not implemented (only \"gelu\", the erf form)", act)
	}
	if len(h.RopeScaling) > 0 && string(h.RopeScaling) != "null" {
		return Config{}, fmt.Errorf("rope_scaling %s is not implemented (only plain RoPE)", h.RopeScaling)
	}
	// Newer transformers write layer_types and per-type rope_parameters;
	// they must agree with global_attn_every_n_layers, which decides the
	// attention window in transformers too.
	if len(h.LayerTypes) > 0 {
		if len(h.LayerTypes) != c.NumLayers {
			return Config{}, fmt.Errorf("layer_types has %d entries for %d layers", len(h.LayerTypes), c.NumLayers)
		}
		for l, t := range h.LayerTypes {
			want := layerSliding
			if c.GlobalLayer(l) {
				want = layerFull
			}
			if t != want {
				return Config{}, fmt.Errorf("layer_types[%d] is %q, but global_attn_every_n_layers %d makes it %q", l, t, c.GlobalEvery, want)
			}
		}
	}
	if len(h.RopeParameters) > 0 && string(h.RopeParameters) != "null" {
		var per map[string]ropeParameters
		if err := json.Unmarshal(h.RopeParameters, &per); err != nil {
			return Config{}, fmt.Errorf("rope_parameters: %w", err)
		}
		for typ, dst := range map[string]*float64{layerFull: &c.GlobalRopeTheta, layerSliding: &c.LocalRopeTheta} {
			p, ok := per[typ]
			if !ok {
				continue
			}
			if p.RopeType != "" && p.RopeType != "default" {
				return Config{}, fmt.Errorf("rope_parameters.%s.rope_type %q is not implemented (only \"default\")", typ, p.RopeType)
			}
			if p.RopeTheta != 0 {
				*dst = p.RopeTheta
			}
		}
	}
	if c.Pooling == "" {
		c.Pooling = PoolingMean
	}
	return c, c.Validate()
}

// Validate checks that the sizes make a well-formed encoder.
func (c Config) Validate() error {
	var errs []error
	pos := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", name, v))
		}
	}
	pos("vocab_size", c.VocabSize)
	pos("hidden_size", c.HiddenSize)
	pos("num_hidden_layers", c.NumLayers)
	pos("num_attention_heads", c.NumHeads)
	pos("intermediate_size", c.IntermediateSize)
	pos("max_position_embeddings", c.MaxPositions)
	if c.ModelType == ModelModernBERT {
		pos("local_attention", c.LocalAttention)
		pos("global_attn_every_n_layers", c.GlobalEvery)
		if c.GlobalRopeTheta <= 0 || c.LocalRopeTheta <= 0 {
			errs = append(errs, fmt.Errorf("rope thetas must be positive, got global %g, local %g", c.GlobalRopeTheta, c.LocalRopeTheta))
		}
		if c.NumHeads > 0 && c.HiddenSize%c.NumHeads == 0 && (c.HiddenSize/c.NumHeads)%2 != 0 {
			errs = append(errs, fmt.Errorf("head size %d is odd: rotary positions rotate pairs", c.HiddenSize/c.NumHeads))
		}
	} else {
		pos("type_vocab_size", c.TypeVocabSize)
	}
	if d := c.ComputeDType(); d != dtypes.Float32 && d != dtypes.BFloat16 {
		errs = append(errs, fmt.Errorf("compute dtype %s is not float32 or bfloat16", d))
	}
	if c.NumHeads > 0 && c.HiddenSize%c.NumHeads != 0 {
		errs = append(errs, fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumHeads))
	}
	if c.ModelType != ModelXLMRoberta && c.ModelType != ModelBERT && c.ModelType != ModelModernBERT {
		errs = append(errs, fmt.Errorf("model_type %q is not %q, %q or %q", c.ModelType, ModelXLMRoberta, ModelBERT, ModelModernBERT))
	}
	if c.PadTokenID < 0 || (c.VocabSize > 0 && c.PadTokenID >= c.VocabSize) {
		errs = append(errs, fmt.Errorf("pad_token_id %d is outside the vocabulary of %d", c.PadTokenID, c.VocabSize))
	}
	if c.ModelType == ModelXLMRoberta && c.MaxPositions > 0 && c.MaxPositions <= c.PadTokenID+1 {
		errs = append(errs, fmt.Errorf("max_position_embeddings %d leaves no positions after the padding offset %d", c.MaxPositions, c.PadTokenID+1))
	}
	if c.LayerNormEps <= 0 {
		errs = append(errs, fmt.Errorf("layer_norm_eps must be positive, got %g", c.LayerNormEps))
	}
	for _, d := range []struct {
		name string
		p    float64
	}{{"hidden_dropout_prob", c.HiddenDropout}, {"attention_probs_dropout_prob", c.AttentionDropout},
		{"embedding_dropout", c.EmbeddingDropout}, {"mlp_dropout", c.MLPDropout}} {
		if d.p < 0 || d.p >= 1 {
			errs = append(errs, fmt.Errorf("%s must be in [0, 1), got %g", d.name, d.p))
		}
	}
	if c.Pooling != PoolingMean && c.Pooling != PoolingCLS {
		errs = append(errs, fmt.Errorf("pooling %q is not %q or %q", c.Pooling, PoolingMean, PoolingCLS))
	}
	return errors.Join(errs...)
}

// MaxSequenceLength is the longest input the position table allows: XLM-R
// spends pad_token_id+1 rows on its offset (514 rows give 512 tokens);
// ModernBERT's rotary positions have no table, max_position_embeddings is
// its trained length.
func (c Config) MaxSequenceLength() int {
	if c.ModelType == ModelXLMRoberta {
		return c.MaxPositions - (c.PadTokenID + 1)
	}
	return c.MaxPositions
}

// WriteConfig writes c as a Hugging Face config.json (atomically) that
// transformers' AutoModel loads as XLMRobertaModel, BertModel or
// ModernBertModel.
func (c Config) WriteConfig(path string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("transformer config %s: %w", path, err)
	}
	if c.ModelType == ModelModernBERT {
		return writeJSONConfig(path, c.modernBERTHF())
	}
	h := hfConfig{
		ModelType:             c.ModelType,
		VocabSize:             c.VocabSize,
		HiddenSize:            c.HiddenSize,
		NumHiddenLayers:       c.NumLayers,
		NumAttentionHeads:     c.NumHeads,
		IntermediateSize:      c.IntermediateSize,
		HiddenAct:             "gelu",
		HiddenDropoutProb:     &c.HiddenDropout,
		AttentionDropoutProb:  &c.AttentionDropout,
		MaxPositionEmbeddings: c.MaxPositions,
		TypeVocabSize:         &c.TypeVocabSize,
		LayerNormEps:          c.LayerNormEps,
		PadTokenID:            &c.PadTokenID,
		PositionEmbeddingType: "absolute",
		InitializerRange:      initStd,
		TorchDtype:            "float32",
		MimoPooling:           c.Pooling,
	}
	if c.ModelType == ModelXLMRoberta {
		h.Architectures = []string{"XLMRobertaModel"}
		bos, eos := 0, 2
		h.BosTokenID, h.EosTokenID = &bos, &eos
	} else {
		h.Architectures = []string{"BertModel"}
	}
	return writeJSONConfig(path, h)
}

// modernBERTHF is c as ModernBERT's config.json keys, both the older
// (global_rope_theta, ...) and the newer (layer_types, rope_parameters)
// spellings, so any transformers version that has ModernBERT reads it.
func (c Config) modernBERTHF() hfConfig {
	types := make([]string, c.NumLayers)
	for l := range types {
		types[l] = layerSliding
		if c.GlobalLayer(l) {
			types[l] = layerFull
		}
	}
	rope, _ := json.Marshal(map[string]ropeParameters{
		layerFull:    {RopeTheta: c.GlobalRopeTheta, RopeType: "default"},
		layerSliding: {RopeTheta: c.LocalRopeTheta, RopeType: "default"},
	})
	return hfConfig{
		Architectures:          []string{"ModernBertModel"},
		ModelType:              ModelModernBERT,
		VocabSize:              c.VocabSize,
		HiddenSize:             c.HiddenSize,
		NumHiddenLayers:        c.NumLayers,
		NumAttentionHeads:      c.NumHeads,
		IntermediateSize:       c.IntermediateSize,
		HiddenActivation:       "gelu",
		MaxPositionEmbeddings:  c.MaxPositions,
		PadTokenID:             &c.PadTokenID,
		NormEps:                &c.LayerNormEps,
		NormBias:               &c.NormBias,
		AttentionBias:          &c.AttentionBias,
		MLPBias:                &c.MLPBias,
		AttentionDropout:       &c.AttentionDropout,
		EmbeddingDropout:       &c.EmbeddingDropout,
		MLPDropout:             &c.MLPDropout,
		LocalAttention:         &c.LocalAttention,
		GlobalAttnEveryNLayers: &c.GlobalEvery,
		GlobalRopeTheta:        &c.GlobalRopeTheta,
		LocalRopeTheta:         &c.LocalRopeTheta,
		LayerTypes:             types,
		RopeParameters:         rope,
		InitializerRange:       initStd,
		TorchDtype:             "float32",
		MimoPooling:            c.Pooling,
	}
}

func writeJSONConfig(path string, h hfConfig) error {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("transformer config %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}
