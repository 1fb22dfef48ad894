package native

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
)

// TestModernBERTFolder opens testdata/tiny-modernbert as a model folder
// (kind native: tokenizer, sorted padded batches, L2 normalisation) and
// compares the text vectors with the PyTorch goldens.
func TestModernBERTFolder(t *testing.T) {
	f, err := adapters.ReadFolder(modernDirs[0])
	if err != nil {
		t.Fatal(err)
	}
	enc, err := adapters.OpenFolder(context.Background(), f, adapters.Options{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := enc.Close(); err != nil {
			t.Error(err)
		}
	}()
	var g struct {
		Texts []string    `json:"texts"`
		Mean  [][]float32 `json:"mean"`
	}
	b, err := os.ReadFile(filepath.Join(modernDirs[0], "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	got, err := enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range g.Mean {
		var n float64
		for _, v := range want {
			n += float64(v) * float64(v)
		}
		unit := make([]float32, len(want))
		for k, v := range want {
			unit[k] = float32(float64(v) / math.Sqrt(n))
		}
		if d := maxAbsDiff(t, got[i], unit); d > goldenTol {
			t.Errorf("text %d %q: max |diff| %.3g > %g", i, g.Texts[i], d, goldenTol)
		}
	}
	if id := enc.Identity(); id.Name != "mimo/tiny-modernbert" || id.Dim != 64 || id.Kind != Kind {
		t.Errorf("identity %+v", id)
	}
}

// BenchmarkEncoderTiny is the whole native encoder on the tiny model: prompt,
// tokenisation, length sorting, padded batches, pooling, normalisation.
func BenchmarkEncoderTiny(b *testing.B) {
	g := readGolden(b)
	enc := openTiny(b, PoolingMean, true, map[string]string{"query": "query: "})
	texts := make([]string, 0, 64)
	for len(texts) < 64 {
		texts = append(texts, g.Texts...)
	}
	texts = texts[:64]
	req := adapters.Request{Role: adapters.RoleQuery, Texts: texts}
	if _, err := enc.Encode(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := enc.Encode(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
}
