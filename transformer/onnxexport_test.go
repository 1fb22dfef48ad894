package transformer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/mimo-mlir/mimo/adapters"
	_ "github.com/mimo-mlir/mimo/adapters/native" // kind "native"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	"github.com/mimo-mlir/mimo/internal/tinymodel"
	"github.com/mimo-mlir/mimo/transformer"
)

// exportTexts cover many scripts and lengths, longer ones past the tiny
// ModernBERT's sliding window.
var exportTexts = []string{
	"Nobody is going to hurt you.", "他去義大利的目的是學習音樂。", "彼は彼の人生の話を私にしてくれた。",
	"لن يسيء لكن أحد.", "फ़ेसबुक पर हमें लाइक करें!", "Она усовершенствовала искусство обращения со сложными клиентами.",
	"x", "Chúng tôi sống ở nông thôn trong suốt mùa hè. Chúng tôi sống ở nông thôn trong suốt mùa hè. Chúng tôi sống ở nông thôn.",
}

// randomFolder writes a native folder of cfg with random weights and the
// tiny XLM-R's tokenizer (4002 ids).
func randomFolder(t *testing.T, cfg transformer.Config) adapters.Folder {
	t.Helper()
	dir := t.TempDir()
	ctx := mlctx.New()
	if err := transformer.InitRandom(ctx, cfg, 5); err != nil {
		t.Fatal(err)
	}
	if err := transformer.SaveSafetensors(ctx, cfg, filepath.Join(dir, "model.safetensors")); err != nil {
		t.Fatal(err)
	}
	if err := cfg.WriteConfig(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile(filepath.Join("..", "adapters", "onnx", "testdata", "tiny-xlmr", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644); err != nil {
		t.Fatal(err)
	}
	return adapters.Folder{Kind: transformer.Kind, Name: "random-" + cfg.ModelType, Revision: "r1", Pooling: cfg.Pooling,
		MaxLength: 64, Prompts: map[string]string{"query": "query: "}, Dir: dir}
}

// TestExportONNX exports native folders of every architecture (the tiny
// XLM-R and ModernBERT checkpoints, a random BERT, a random ModernBERT with
// every bias) to ONNX and requires ONNX Runtime to give the native vectors,
// for both poolings and roles. Skipped when the ONNX Runtime library is
// absent.
func TestExportONNX(t *testing.T) {
	if _, err := onnx.FindLibrary(""); err != nil {
		t.Skipf("ONNX Runtime library not found (make ort): %v", err)
	}
	read := func(dir string) adapters.Folder {
		f, err := adapters.ReadFolder(dir)
		if err != nil {
			t.Fatal(err)
		}
		f.Kind = transformer.Kind
		return f
	}
	bert := transformer.Config{ModelType: transformer.ModelBERT, VocabSize: 4002, HiddenSize: 32, NumLayers: 2, NumHeads: 4,
		IntermediateSize: 48, MaxPositions: 64, TypeVocabSize: 2, PadTokenID: 1, LayerNormEps: 1e-12, Pooling: transformer.PoolingMean}
	modern := transformer.Config{ModelType: transformer.ModelModernBERT, VocabSize: 4002, HiddenSize: 32, NumLayers: 3, NumHeads: 4,
		IntermediateSize: 40, MaxPositions: 64, PadTokenID: 1, LayerNormEps: 1e-5, Pooling: transformer.PoolingMean,
		NormBias: true, AttentionBias: true, MLPBias: true, LocalAttention: 4, GlobalEvery: 2, GlobalRopeTheta: 160000, LocalRopeTheta: 10000}
	for _, c := range []struct {
		name   string
		folder func() adapters.Folder
	}{
		{"tiny-xlmr", func() adapters.Folder { return read(filepath.Join("..", "adapters", "onnx", "testdata", "tiny-xlmr")) }},
		{"tiny-modernbert", func() adapters.Folder { return read(filepath.Join("testdata", "tiny-modernbert")) }},
		{"random-bert", func() adapters.Folder { return randomFolder(t, bert) }},
		{"random-modernbert-bias", func() adapters.Folder { return randomFolder(t, modern) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.folder()
			for _, pooling := range []string{"mean", "cls"} {
				src.Pooling = pooling
				exp, err := transformer.ExportFolder(src, filepath.Join(t.TempDir(), "onnx"))
				if err != nil {
					t.Fatal(err)
				}
				if exp.Kind != "onnx" || exp.Name != src.Name || exp.Revision != src.Revision+"-onnx" || exp.Pooling != pooling {
					t.Errorf("exported folder %+v", exp)
				}
				back, err := adapters.ReadFolder(exp.Dir)
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				ort, err := adapters.OpenFolder(ctx, back, adapters.Options{BatchSize: 3})
				if err != nil {
					t.Fatal(err)
				}
				nat, err := adapters.OpenFolder(ctx, src, adapters.Options{BatchSize: 3})
				if err != nil {
					t.Fatal(err)
				}
				tinymodel.SameVectors(t, ort, nat, exportTexts, 1e-5)
				if ort.Identity().Dim != nat.Identity().Dim {
					t.Errorf("dim: onnx %d, native %d", ort.Identity().Dim, nat.Identity().Dim)
				}
				ort.Close()
				nat.Close()
			}
		})
	}
}

// TestExportRefusesHead: a folder with a Dense head is not exported
// without it (the ONNX copy would give the pooled vectors).
func TestExportRefusesHead(t *testing.T) {
	src := adapters.Folder{Kind: transformer.Kind, Dir: t.TempDir(), Head: []adapters.HeadStep{{Type: adapters.StepDense, Path: "2_Dense", Module: "modules.json entry 2"}}}
	_, err := transformer.ExportFolder(src, t.TempDir())
	if !errors.Is(err, adapters.ErrHead) || !strings.Contains(err.Error(), "modules.json entry 2") {
		t.Fatalf("ExportFolder = %v, want an ErrHead naming the module", err)
	}
}
