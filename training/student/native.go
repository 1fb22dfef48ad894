package student

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters/native"
)

// Native is the transformer encoder of adapters/native (XLM-R or BERT
// layout) as a trainable student: pooled, unnormalised outputs, dropout from
// the context's random state (so the gradient cache replays it).
type Native struct {
	Cfg native.Config
}

// Dim is the hidden size.
func (n Native) Dim() int { return n.Cfg.HiddenSize }

// Embed implements gradcache.Student.
func (n Native) Embed(ctx *context.Context, ids, mask *Node, train bool) *Node {
	return native.Encode(ctx, n.Cfg, ids, mask, train)
}

// LoadNative reads config.json and, when weights is not empty, its
// safetensors into ctx (the student scope); with no weights it initialises
// the encoder randomly from seed. pooling overrides the config's pooling
// when not empty.
func LoadNative(ctx *context.Context, configPath, weights, pooling string, seed int64) (Native, error) {
	cfg, err := native.ReadConfig(configPath)
	if err != nil {
		return Native{}, fmt.Errorf("student: %w", err)
	}
	if pooling != "" {
		cfg.Pooling = pooling
	}
	if weights == "" {
		if err := native.InitRandom(ctx, cfg, seed); err != nil {
			return Native{}, fmt.Errorf("student %s: %w", configPath, err)
		}
	} else if err := native.LoadSafetensors(ctx, cfg, weights); err != nil {
		return Native{}, fmt.Errorf("student %s: %w", weights, err)
	}
	return Native{Cfg: cfg}, nil
}
