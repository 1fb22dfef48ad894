package transformer

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Student is the encoder (XLM-R, BERT or ModernBERT layout) as a trainable
// student of training's gradient-cache engine (gradcache.Student): pooled,
// unnormalised outputs, dropout from the context's random state (so the
// gradient cache replays it).
type Student struct {
	Cfg Config
}

// Dim is the hidden size.
func (s Student) Dim() int { return s.Cfg.HiddenSize }

// Embed implements gradcache.Student.
func (s Student) Embed(ctx *context.Context, ids, mask *graph.Node, train bool) *graph.Node {
	return Encode(ctx, s.Cfg, ids, mask, train)
}

// LoadStudent reads config.json and, when weights is not empty, its
// safetensors into ctx (the student scope); with no weights it initialises
// the encoder randomly from seed. pooling overrides the config's pooling
// when not empty.
func LoadStudent(ctx *context.Context, configPath, weights, pooling string, seed int64) (Student, error) {
	cfg, err := ReadConfig(configPath)
	if err != nil {
		return Student{}, fmt.Errorf("student: %w", err)
	}
	if pooling != "" {
		cfg.Pooling = pooling
	}
	if weights == "" {
		if err := InitRandom(ctx, cfg, seed); err != nil {
			return Student{}, fmt.Errorf("student %s: %w", configPath, err)
		}
	} else if err := LoadSafetensors(ctx, cfg, weights); err != nil {
		return Student{}, fmt.Errorf("student %s: %w", weights, err)
	}
	return Student{Cfg: cfg}, nil
}
