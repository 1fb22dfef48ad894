package transformer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/google/go-cmp/cmp"
)

// The tiny ModernBERTs of tools/tinymodel/gen_modernbert.py: mmBERT's
// settings (no biases) with the committed SentencePiece vocabulary, and one
// with every bias on. Both are stored as ModernBertForMaskedLM checkpoints.
var modernDirs = []string{filepath.Join("testdata", "tiny-modernbert"), filepath.Join("testdata", "tiny-modernbert-bias")}

type modernGolden struct {
	InputIDs        [][]int64     `json:"input_ids"`
	Mean            [][]float32   `json:"mean"`
	CLS             [][]float32   `json:"cls"`
	LastHiddenState [][][]float32 `json:"last_hidden_state"`
	BatchMean       [][]float32   `json:"batch_mean"`
}

func loadModern(t testing.TB, dir, pooling string) (*Model, modernGolden) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatalf("goldens (tools/tinymodel/gen_modernbert.py): %v", err)
	}
	var g modernGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.InputIDs) == 0 || len(g.Mean) != len(g.InputIDs) || len(g.BatchMean) != len(g.InputIDs) {
		t.Fatalf("%s/golden.json: %d input_ids, %d mean, %d batch_mean", dir, len(g.InputIDs), len(g.Mean), len(g.BatchMean))
	}
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Pooling = pooling
	ctx := mlctx.New()
	if err := LoadSafetensors(ctx, cfg, filepath.Join(dir, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(newBackend(t), ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, g
}

// TestModernBERTMatchesPyTorch compares pooled vectors (each text alone and
// all in one right-padded batch) and every token's last hidden state with
// the PyTorch forward pass.
func TestModernBERTMatchesPyTorch(t *testing.T) {
	for _, dir := range modernDirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			for _, pooling := range []string{PoolingMean, PoolingCLS} {
				m, g := loadModern(t, dir, pooling)
				want := g.Mean
				if pooling == PoolingCLS {
					want = g.CLS
				}
				for i, ids := range g.InputIDs {
					got, err := m.Forward([][]int64{ids}, len(ids))
					if err != nil {
						t.Fatal(err)
					}
					if d := maxAbsDiff(t, got[0], want[i]); d > goldenTol {
						t.Errorf("%s, text %d (%d tokens): max |diff| %.3g > %g", pooling, i, len(ids), d, goldenTol)
					}
				}
				if pooling != PoolingMean {
					continue
				}
				got, err := m.Forward(g.InputIDs, 0) // padded to a multiple of 16
				if err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if d := maxAbsDiff(t, got[i], g.BatchMean[i]); d > goldenTol {
						t.Errorf("padded batch, text %d: max |diff| %.3g > %g", i, d, goldenTol)
					}
				}
				compareLastHidden(t, m, g.InputIDs, g.LastHiddenState)
			}
		})
	}
}

func TestReadConfigModernBERT(t *testing.T) {
	got, err := ReadConfig(filepath.Join(modernDirs[0], "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ModelType: ModelModernBERT, VocabSize: 4002, HiddenSize: 64, NumLayers: 4, NumHeads: 4,
		IntermediateSize: 96, MaxPositions: 512, PadTokenID: 1, LayerNormEps: 1e-5, Pooling: PoolingMean,
		LocalAttention: 8, GlobalEvery: 3, GlobalRopeTheta: 160000, LocalRopeTheta: 10000,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !got.GlobalLayer(0) || got.GlobalLayer(1) || got.GlobalLayer(2) || !got.GlobalLayer(3) {
		t.Errorf("global layers of every-3 over 4 layers: want 0 and 3")
	}

	// Absent keys take ModernBertConfig's defaults; the newer spelling
	// (layer_types, rope_parameters) is read too.
	base := `"model_type": "modernbert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 3, "num_attention_heads": 2, "intermediate_size": 12, "max_position_embeddings": 64`
	dir := t.TempDir()
	read := func(t *testing.T, extra string) (Config, error) {
		t.Helper()
		p := filepath.Join(dir, "config.json")
		if err := os.WriteFile(p, []byte("{"+base+extra+"}"), 0o644); err != nil {
			t.Fatal(err)
		}
		return ReadConfig(p)
	}
	t.Run("defaults", func(t *testing.T) {
		c, err := read(t, `, "pad_token_id": 3`)
		if err != nil {
			t.Fatal(err)
		}
		if c.GlobalEvery != 3 || c.LocalAttention != 128 || c.GlobalRopeTheta != 160000 || c.LocalRopeTheta != 10000 || c.LayerNormEps != 1e-5 || c.NormBias {
			t.Errorf("defaults: %+v", c)
		}
	})
	t.Run("rope_parameters", func(t *testing.T) {
		c, err := read(t, `, "pad_token_id": 3, "layer_types": ["full_attention", "sliding_attention", "sliding_attention"],
			"rope_parameters": {"full_attention": {"rope_theta": 8000, "rope_type": "default"}, "sliding_attention": {"rope_theta": 500, "rope_type": "default"}}`)
		if err != nil {
			t.Fatal(err)
		}
		if c.GlobalRopeTheta != 8000 || c.LocalRopeTheta != 500 {
			t.Errorf("thetas %g, %g", c.GlobalRopeTheta, c.LocalRopeTheta)
		}
	})
	for _, tc := range []struct{ name, extra, want string }{
		{"layer types disagree", `, "pad_token_id": 3, "layer_types": ["sliding_attention", "sliding_attention", "sliding_attention"]`, `layer_types[0] is "sliding_attention"`},
		{"scaled rope", `, "pad_token_id": 3, "rope_scaling": {"type": "linear", "factor": 2}`, "rope_scaling"},
		{"activation", `, "pad_token_id": 3, "hidden_activation": "silu"`, `hidden_activation "silu"`},
		{"pad outside vocabulary", ``, "pad_token_id 50283 is outside the vocabulary of 10"},
		{"odd head size", `, "pad_token_id": 3, "hidden_size": 6`, "head size 3 is odd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(t, tc.extra)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestModernBERTRoundTrip writes config and weights (without the MLM head
// and prefix) and reads them back: same config, same vectors.
func TestModernBERTRoundTrip(t *testing.T) {
	for _, dir := range modernDirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m, g := loadModern(t, dir, PoolingMean)
			out := t.TempDir()
			if err := m.Config.WriteConfig(filepath.Join(out, "config.json")); err != nil {
				t.Fatal(err)
			}
			if err := SaveSafetensors(m.ctx, m.Config, filepath.Join(out, "model.safetensors")); err != nil {
				t.Fatal(err)
			}
			cfg, err := ReadConfig(filepath.Join(out, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(m.Config, cfg); diff != "" {
				t.Errorf("config (-written +read):\n%s", diff)
			}
			ctx := mlctx.New()
			if err := LoadSafetensors(ctx, cfg, filepath.Join(out, "model.safetensors")); err != nil {
				t.Fatal(err)
			}
			m2, err := NewModel(m.backend, ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m2.Forward(g.InputIDs[:1], 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(t, got[0], g.BatchMean[0]); d > goldenTol {
				t.Errorf("re-read model: max |diff| %.3g", d)
			}
		})
	}
}

// TestModernBERTSpecs pins the tensor names of ModernBertModel, with and
// without biases, and checks a fresh init fills them all.
func TestModernBERTSpecs(t *testing.T) {
	cfg := modernConfig(PoolingMean)
	var names []string
	for _, s := range tensorSpecs(cfg) {
		names = append(names, s.Name)
	}
	if got := strings.Join(names[:8], " "); got != "embeddings.tok_embeddings.weight embeddings.norm.weight embeddings.norm.bias "+
		"layers.0.attn.Wqkv.weight layers.0.attn.Wqkv.bias layers.0.attn.Wo.weight layers.0.attn.Wo.bias layers.0.mlp_norm.weight" {
		t.Errorf("first names: %s", got)
	}
	if names[len(names)-1] != "final_norm.bias" || !strings.Contains(strings.Join(names, " "), "layers.1.attn_norm.weight") ||
		strings.Contains(strings.Join(names, " "), "layers.0.attn_norm") {
		t.Errorf("names %v", names)
	}
	cfg.NormBias, cfg.AttentionBias, cfg.MLPBias = false, false, false
	for _, s := range tensorSpecs(cfg) {
		if strings.HasSuffix(s.Name, ".bias") {
			t.Errorf("bias-free config has %s", s.Name)
		}
	}
	ctx := mlctx.New()
	if err := InitRandom(ctx, cfg, 3); err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(newBackend(t), ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Forward(sampleIDs(cfg), 0); err != nil {
		t.Fatal(err)
	}
}

// modernConfig is a small random-weight ModernBERT with every bias, a
// 4-token window and global attention every second layer.
func modernConfig(pooling string) Config {
	return Config{
		ModelType: ModelModernBERT, VocabSize: 97, HiddenSize: 32, NumLayers: 3, NumHeads: 4,
		IntermediateSize: 40, MaxPositions: 64, PadTokenID: 1, LayerNormEps: 1e-5, Pooling: pooling,
		NormBias: true, AttentionBias: true, MLPBias: true, LocalAttention: 4, GlobalEvery: 2,
		GlobalRopeTheta: 160000, LocalRopeTheta: 10000, AttentionDropout: 0.1, MLPDropout: 0.1, EmbeddingDropout: 0.1,
	}
}
