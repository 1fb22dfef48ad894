package onnxpb

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteModel checks the two files' layout: weights in the data file at
// the offsets the graph names, constants inline, and a stale graph removed
// before anything is written.
func TestWriteModel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	g := &Graph{Name: "t"}
	x := g.Input("x", Float, Dim{Param: "n"}, Dim{Size: 2})
	w := g.Floats("w", []float32{1, 2, 3, 4}, 2, 2)
	b := g.Floats("b", []float32{-0.5, 0.25}, 2)
	y := g.Op("Add", []string{g.Op("MatMul", []string{x, w}), b})
	g.Output(y, "y", Float, Dim{Param: "n"}, Dim{Size: 2})
	_ = g.Int64s([]int64{7, -1}, 2)
	if err := WriteModel(path, g, 17, "test"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path + "_data")
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 6*4 {
		t.Fatalf("data file has %d bytes, want 24 (the two weights only; constants are inline)", len(data))
	}
	for i, want := range []float32{1, 2, 3, 4, -0.5, 0.25} {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])); got != want {
			t.Errorf("value %d: %g, want %g", i, got, want)
		}
	}
	model, err := os.ReadFile(path)
	if err != nil || len(model) == 0 {
		t.Fatalf("graph: %v", err)
	}

	// A failing rewrite (the data file's folder turned into a file) must not
	// leave the old graph behind.
	if err := os.Remove(path + "_data"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path+"_data", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path+"_data", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteModel(path, g, 17, "test"); err == nil {
		t.Fatal("writing over a directory succeeded")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("stale graph left behind: %v", err)
	}
}
