package onnx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/onnxpb"
)

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	g := &onnxpb.Graph{Name: "t"}
	x := g.Input("x", onnxpb.Float, onnxpb.Dim{Param: "n"}, onnxpb.Dim{Size: 2})
	w := g.Floats("w", []float32{1, 2, 3, 4}, 2, 2)
	g.Output(g.Op("MatMul", []string{x, w}), "y", onnxpb.Float, onnxpb.Dim{Param: "n"}, onnxpb.Dim{Size: 2})
	_ = g.Int64s([]int64{7, -1}, 2)
	if err := onnxpb.WriteModel(path, g, 17, "test"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       []string
	}{
		{"external", path, []string{"m.onnx_data"}},
		{"inline", filepath.Join(tinyDir, "model.onnx"), []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExternalData(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(dir, "bad.onnx")
		if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ExternalData(bad); err == nil {
			t.Error("a truncated model: no error")
		}
	})
}

// TestContentDigestFollowsExternalData: the digest of an ONNX model changes
// with the bytes of its external data file and of its tokenizer, not only
// with the graph's.
func TestContentDigestFollowsExternalData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	g := &onnxpb.Graph{Name: "t"}
	x := g.Input("x", onnxpb.Float, onnxpb.Dim{Param: "n"}, onnxpb.Dim{Size: 2})
	w := g.Floats("w", []float32{1, 2, 3, 4}, 2, 2)
	g.Output(g.Op("MatMul", []string{x, w}), "y", onnxpb.Float, onnxpb.Dim{Param: "n"}, onnxpb.Dim{Size: 2})
	if err := onnxpb.WriteModel(path, g, 17, "test"); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(tok, []byte(`{"model": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := func() string {
		t.Helper()
		s, err := contentDigest(adapters.Options{}, path, tok)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := sum()
	data, err := os.ReadFile(path + "_data")
	if err != nil {
		t.Fatal(err)
	}
	data[0] ^= 1
	if err := os.WriteFile(path+"_data", data, 0o644); err != nil {
		t.Fatal(err)
	}
	afterData := sum()
	if afterData == before {
		t.Error("external data changed: same digest")
	}
	if err := os.WriteFile(tok, []byte(`{"model": {"x": 1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if sum() == afterData {
		t.Error("tokenizer changed: same digest")
	}
	if err := os.Remove(path + "_data"); err != nil {
		t.Fatal(err)
	}
	if _, err := contentDigest(adapters.Options{}, path, tok); err == nil {
		t.Error("external data missing: no error")
	}
}
