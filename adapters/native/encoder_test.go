package native

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
)

// tinyFolder writes a "native" model folder in a temporary directory whose
// files are the tiny model's (absolute paths).
func tinyFolder(t testing.TB, pooling string, normalize bool, prompts map[string]string) adapters.Folder {
	t.Helper()
	abs, err := filepath.Abs(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := map[string]any{
		"kind": Kind, "name": "mimo/tiny-xlmr-native", "revision": "test",
		"weights": filepath.Join(abs, "model.safetensors"), "config": filepath.Join(abs, "config.json"),
		"tokenizer": filepath.Join(abs, "tokenizer.json"), "pooling": pooling, "normalize": normalize,
		"max_length": 512, "dim": 64, "prompts": prompts,
	}
	b, _ := json.Marshal(f)
	if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	folder, err := adapters.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	return folder
}

func openTiny(t testing.TB, pooling string, normalize bool, prompts map[string]string) adapters.Encoder {
	t.Helper()
	return openWith(t, tinyFolder(t, pooling, normalize, prompts), adapters.Options{BatchSize: 4, Engine: adapters.EngineGoMLX})
}

// openWith opens f with opts, closed (and checked) at the end of the test.
func openWith(t testing.TB, f adapters.Folder, opts adapters.Options) *Encoder {
	t.Helper()
	enc, err := Open(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := enc.Close(); err != nil {
			t.Error(err)
		}
	})
	return enc
}

// TestEncoderMatchesPyTorch goes text -> tokenizer -> sorted, padded batches
// -> vectors and compares with the PyTorch goldens (unnormalised).
func TestEncoderMatchesPyTorch(t *testing.T) {
	g := readGolden(t)
	for _, pooling := range []string{PoolingMean, PoolingCLS} {
		t.Run(pooling, func(t *testing.T) {
			enc := openTiny(t, pooling, false, nil)
			got, err := enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts})
			if err != nil {
				t.Fatal(err)
			}
			want := g.Mean
			if pooling == PoolingCLS {
				want = g.CLS
			}
			for i := range g.Texts {
				if d := maxAbsDiff(t, got[i], want[i]); d > goldenTol {
					t.Errorf("text %d %q: max |diff| %.3g", i, g.Texts[i], d)
				}
			}
			id := enc.Identity()
			if id.Kind != Kind || id.Pooling != pooling || id.Dim != 64 || id.Normalize || id.MaxLength != 512 {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

func TestEncoderPromptsAndNormalisation(t *testing.T) {
	prompts := map[string]string{"query": "query: ", "document": "passage: ", "XQuADRetrieval:query": "question: "}
	norm := openTiny(t, PoolingMean, true, prompts)
	raw := openTiny(t, PoolingMean, false, nil)
	ctx := context.Background()
	texts := []string{"Je déteste la chimie.", "他有非凡的音樂天份。"}
	for _, c := range []struct {
		role   adapters.Role
		task   string
		prefix string
	}{
		{adapters.RoleQuery, "", "query: "},
		{adapters.RoleDocument, "", "passage: "},
		{adapters.RoleQuery, "XQuADRetrieval", "question: "},
	} {
		t.Run(string(c.role)+"/"+c.task, func(t *testing.T) {
			got, err := norm.Encode(ctx, adapters.Request{Role: c.role, Task: c.task, Texts: texts})
			if err != nil {
				t.Fatal(err)
			}
			prefixed := make([]string, len(texts))
			for i, s := range texts {
				prefixed[i] = c.prefix + s
			}
			want, err := raw.Encode(ctx, adapters.Request{Role: c.role, Task: c.task, Texts: prefixed})
			if err != nil {
				t.Fatal(err)
			}
			for i := range texts {
				var n float64
				for _, x := range got[i] {
					n += float64(x) * float64(x)
				}
				if math.Abs(math.Sqrt(n)-1) > 1e-5 {
					t.Errorf("text %d: norm %g, want 1", i, math.Sqrt(n))
				}
				adapters.Normalize(want[i])
				if d := maxAbsDiff(t, got[i], want[i]); d > 1e-6 {
					t.Errorf("text %d: prompt %q not applied (diff %.3g)", i, c.prefix, d)
				}
			}
		})
	}
}

func TestOpenFolderErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(f *adapters.Folder)
		want string
	}{
		{"dim", func(f *adapters.Folder) { f.Dim = 65 }, "dim 65 does not match hidden_size 64"},
		{"pooling", func(f *adapters.Folder) { f.Pooling = "last-token" }, `pooling "last-token"`},
		{"weights", func(f *adapters.Folder) { f.Weights = "nope.safetensors" }, "nope.safetensors"},
		{"tokenizer", func(f *adapters.Folder) { f.Tokenizer = "nope.json" }, "nope.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := tinyFolder(t, PoolingMean, true, nil)
			c.edit(&f)
			enc, err := adapters.OpenFolder(context.Background(), f, adapters.Options{})
			if err == nil {
				enc.Close()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), f.Dir) {
				t.Errorf("error = %v, want one naming the folder and containing %q", err, c.want)
			}
		})
	}
}

// TestTokenBudget: a budget of 16 padded ids puts every golden text in a
// batch of its own; the vectors still match PyTorch's, and a bad budget is
// an error naming the option.
func TestTokenBudget(t *testing.T) {
	g := readGolden(t)
	f := tinyFolder(t, PoolingMean, false, nil)
	f.Options = map[string]any{"token_budget": 16.0}
	enc, err := adapters.OpenFolder(context.Background(), f, adapters.Options{Engine: adapters.EngineGoMLX})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	got, err := enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts})
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Texts {
		if d := maxAbsDiff(t, got[i], g.Mean[i]); d > goldenTol {
			t.Errorf("text %d: max |diff| %.3g", i, d)
		}
	}
	if n := enc.(*Encoder).batches; n != len(g.Texts) {
		t.Errorf("%d forward passes for %d texts under a 16-id budget, want one each", n, len(g.Texts))
	}
	def := openTiny(t, PoolingMean, false, nil)
	if _, err := def.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts}); err != nil {
		t.Fatal(err)
	}
	if n, want := def.(*Encoder).batches, (len(g.Texts)+3)/4; n != want { // openTiny's batch size is 4
		t.Errorf("%d forward passes for %d short texts under the default budget, want %d", n, len(g.Texts), want)
	}
	f.Options = map[string]any{"token_budget": "lots"}
	if _, err := adapters.OpenFolder(context.Background(), f, adapters.Options{Engine: adapters.EngineGoMLX}); err == nil || !strings.Contains(err.Error(), "options.token_budget") {
		t.Errorf("bad budget: err %v", err)
	}
}

// TestExportHint: a large model on the pure-Go backend gets the advice to
// export it; the tiny one does not.
func TestExportHint(t *testing.T) {
	enc := openTiny(t, PoolingMean, true, nil).(*Encoder)
	if h := enc.ExportHint("dir"); h != "" {
		t.Errorf("tiny model: hint %q", h)
	}
	big := *enc
	m := *enc.model
	m.Config.VocabSize, m.Config.HiddenSize = 250_000, 512 // 128M embedding weights, 131M in all
	big.model = &m
	if name, _, _ := strings.Cut(big.engine, ":"); name == "go" {
		if h := big.ExportHint("out/big"); !strings.Contains(h, "mimo-export --model out/big") || !strings.Contains(h, "131M parameters") {
			t.Errorf("large model on %s: hint %q", big.engine, h)
		}
	} else if h := big.ExportHint("out/big"); h != "" {
		t.Errorf("backend %s: hint %q", big.engine, h)
	}
}
