package native

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"os"
)

// Model types this package implements. Both are the same post-LN encoder;
// they differ only in how position ids are made (see positionIDs).
const (
	ModelXLMRoberta = "xlm-roberta"
	ModelBERT       = "bert"
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
	HiddenAct             string   `json:"hidden_act"`
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
}

// ReadConfig reads a Hugging Face config.json of a BERT or XLM-RoBERTa
// encoder. Architectures this package does not implement (ModernBERT, which
// mmBERT uses; relative position embeddings; non-erf activations) are errors
// that say so rather than silently wrong vectors. Pooling comes from the
// "mimo_pooling" key that WriteConfig writes, else "mean".
func ReadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("native config: %w", err)
	}
	var h hfConfig
	if err := json.Unmarshal(b, &h); err != nil {
		return Config{}, fmt.Errorf("native config %s: %w", path, err)
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
	case "":
		return Config{}, fmt.Errorf("native config %s: field \"model_type\" is missing", path)
	default:
		return Config{}, fmt.Errorf("native config %s: model_type %q is not implemented (only xlm-roberta, roberta and bert; mmBERT is a ModernBERT and needs its own graph)", path, h.ModelType)
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
		return Config{}, fmt.Errorf("native config %s: hidden_act %q is not implemented (only \"gelu\", the erf form)", path, h.HiddenAct)
	}
	if h.PositionEmbeddingType != "" && h.PositionEmbeddingType != "absolute" {
		return Config{}, fmt.Errorf("native config %s: position_embedding_type %q is not implemented (only \"absolute\")", path, h.PositionEmbeddingType)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("native config %s: %w", path, err)
	}
	return c, nil
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
	pos("type_vocab_size", c.TypeVocabSize)
	if c.NumHeads > 0 && c.HiddenSize%c.NumHeads != 0 {
		errs = append(errs, fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumHeads))
	}
	if c.ModelType != ModelXLMRoberta && c.ModelType != ModelBERT {
		errs = append(errs, fmt.Errorf("model_type %q is not %q or %q", c.ModelType, ModelXLMRoberta, ModelBERT))
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
	}{{"hidden_dropout_prob", c.HiddenDropout}, {"attention_probs_dropout_prob", c.AttentionDropout}} {
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
// spends pad_token_id+1 rows on its offset (514 rows give 512 tokens).
func (c Config) MaxSequenceLength() int {
	if c.ModelType == ModelXLMRoberta {
		return c.MaxPositions - (c.PadTokenID + 1)
	}
	return c.MaxPositions
}

// WriteConfig writes c as a Hugging Face config.json (atomically) that
// transformers' AutoModel loads as XLMRobertaModel or BertModel.
func (c Config) WriteConfig(path string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("native config %s: %w", path, err)
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
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return fmt.Errorf("native config %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o644)
}
