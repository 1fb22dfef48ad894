package transformer

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Fuzz targets for the safetensors header and the Hugging Face config.json
// readers (issue 12, "Fuzzing, in CI"). The invariant: no panic, no hang,
// no allocation beyond the file's size; an error is non-empty and names
// the file; what is read, written back with the package's writer, reads the
// same. Seeds: the f.Add calls and testdata/fuzz/FuzzXxx/.

const fuzzMaxInput = 1 << 20

// stBytes builds a safetensors file from a header and data.
func stBytes(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func FuzzSafetensors(f *testing.F) {
	dir := f.TempDir()
	small := filepath.Join(dir, "small.safetensors")
	if err := WriteTensors(small, []Tensor{
		{Name: "embeddings.word_embeddings.weight", Shape: []int{3, 2}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "scalar", Shape: []int{}, Data: []float32{0.5}},
		{Name: "empty", Shape: []int{0, 4}, Data: []float32{}},
	}); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(small)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(stBytes(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1,1],"data_offsets":[4,6]},"c":{"dtype":"F64","shape":[1],"data_offsets":[6,14]}}`, make([]byte, 14)))
	f.Add(stBytes(`{"__metadata__":{"format":"pt"},"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(stBytes(`{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, nil))
	f.Add(stBytes(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(stBytes(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[4,0]}}`, make([]byte, 8)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if real, err := os.ReadFile("testdata/tiny-modernbert/model.safetensors"); err == nil {
		n := binary.LittleEndian.Uint64(real)
		f.Add(real[:8+n+64]) // the real header, its data cut short
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		path := filepath.Join(t.TempDir(), "model.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ts, err := ReadTensors(path)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, path) {
				t.Fatalf("error %q does not name the file", msg)
			}
			return
		}
		total := 0
		for _, tn := range ts {
			n := 1
			for _, d := range tn.Shape {
				if d < 0 {
					t.Fatalf("tensor %q: negative dimension in %v accepted", tn.Name, tn.Shape)
				}
				if d != 0 && n > len(data)/d {
					if slices.Contains(tn.Shape, 0) {
						n = 0
						break
					}
					t.Fatalf("tensor %q: shape %v holds more values than the file has bytes (%d), yet it was accepted", tn.Name, tn.Shape, len(data))
				}
				n *= d
			}
			if n != len(tn.Data) {
				t.Fatalf("tensor %q: shape %v holds %d values, read %d", tn.Name, tn.Shape, n, len(tn.Data))
			}
			total += len(tn.Data)
		}
		if total > len(data) {
			t.Fatalf("%d values from %d bytes", total, len(data))
		}
		// Round trip through the writer (F32, which every dtype read becomes).
		back := filepath.Join(t.TempDir(), "back.safetensors")
		if err := WriteTensors(back, ts); err != nil {
			t.Fatalf("writing back: %v", err)
		}
		ts2, err := ReadTensors(back)
		if err != nil {
			t.Fatalf("written back, does not read: %v", err)
		}
		if diff := cmp.Diff(ts, ts2, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
	})
}

func FuzzReadConfig(f *testing.F) {
	for _, p := range []string{"testdata/tiny-modernbert/config.json", "testdata/tiny-modernbert-bias/config.json"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"model_type": "xlm-roberta", "vocab_size": 250002, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu", "max_position_embeddings": 514, "type_vocab_size": 1, "layer_norm_eps": 1e-05, "pad_token_id": 1, "position_embedding_type": "absolute"}`))
	f.Add([]byte(`{"model_type": "bert", "vocab_size": 119547, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512}`))
	f.Add([]byte(`{"model_type": "modernbert", "vocab_size": 256000, "hidden_size": 768, "num_hidden_layers": 3, "num_attention_heads": 12, "intermediate_size": 1152, "max_position_embeddings": 8192, "layer_types": ["full_attention", "sliding_attention", "sliding_attention"], "rope_parameters": {"full_attention": {"rope_theta": 160000, "rope_type": "default"}}}`))
	f.Add([]byte(`{"model_type": "gpt2"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := ReadConfig(path)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, path) {
				t.Fatalf("error %q does not name the file", msg)
			}
			return
		}
		if c.NumLayers > 1<<16 {
			return // WriteConfig lists every layer's type; a real model has far fewer
		}
		back := filepath.Join(t.TempDir(), "back.json")
		if err := c.WriteConfig(back); err != nil {
			t.Fatalf("ReadConfig accepted what WriteConfig refuses: %v", err)
		}
		c2, err := ReadConfig(back)
		if err != nil {
			raw, _ := os.ReadFile(back)
			t.Fatalf("written back, does not read: %v\n%s", err, raw)
		}
		if diff := cmp.Diff(c, c2, cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("round trip differs (-first +second):\n%s", diff)
		}
	})
}

// TestSafetensorsShapeOverflow pins the crasher FuzzSafetensors found
// (testdata/fuzz/FuzzSafetensors/shape-product-overflow): the byte count of
// a shape was multiplied without an overflow check, so [2^32, 2^32] of F32
// wrapped to 0 bytes and an empty tensor of 2^64 values was accepted.
func TestSafetensorsShapeOverflow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	data := stBytes(`{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, nil)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadTensors(path)
	if err == nil || !strings.Contains(err.Error(), "overflows") || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("ReadTensors = %v, want an error naming the tensor and the overflow", err)
	}
}
