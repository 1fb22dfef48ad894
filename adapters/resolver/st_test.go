package resolver

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	"github.com/mimo-mlir/mimo/internal/safetensors"
)

// tinyXLMR is the project's tiny test transformer (tools/tinymodel/gen.py):
// its ONNX graph, safetensors weights and tokenizer, and golden.json with
// PyTorch's mean-pooled vectors of a few texts.
var tinyXLMR = filepath.Join("..", "onnx", "testdata", "tiny-xlmr")

// stModules is modules.json as SentenceTransformer.save writes it for a
// model with a Dense head and a Normalize module (the layout of LaBSE and
// the distilled multilingual models).
const stModules = `[
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
  {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"}
]`

// Module configs in sentence-transformers' own spelling (Pooling.save
// writes every key; Dense.save writes in/out features, bias and the
// activation's class path).
const (
	stPooling = `{"word_embedding_dimension": 64, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false, "pooling_mode_weightedmean_tokens": false, "pooling_mode_lasttoken": false, "include_prompt": true}`
	stDense   = `{"in_features": 64, "out_features": 3, "bias": true, "activation_function": "torch.nn.modules.activation.Tanh"}`
	stBert    = `{"max_seq_length": 128, "do_lower_case": false}`
	stConfig  = `{"__version__": {"sentence_transformers": "3.0.1", "transformers": "4.41.2", "pytorch": "2.3.0"}, "prompts": {"query": "query: ", "Classification": "classify: "}, "default_prompt_name": null, "similarity_fn_name": "cosine"}`
)

// denseW and denseB are the Dense layer of the test folder: W [3, 64], b [3].
func denseWeights() (w, b []float32) {
	w = make([]float32, 3*64)
	for i := range w {
		w[i] = float32(math.Sin(float64(i)*0.37)) * 0.1
	}
	return w, []float32{0.1, -0.2, 0.05}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, string(b))
}

// stFolder lays out the tiny model as `hf download` of a
// sentence-transformers repository would (no mimo-model.json), with the
// transformer as onnx/model.onnx when withONNX, else as model.safetensors
// only (the native encoder).
func stFolder(t *testing.T, withONNX bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range []string{"config.json", "tokenizer.json"} {
		copyFile(t, filepath.Join(tinyXLMR, n), filepath.Join(dir, n))
	}
	if withONNX {
		copyFile(t, filepath.Join(tinyXLMR, "model.onnx"), filepath.Join(dir, "onnx", "model.onnx"))
	} else {
		copyFile(t, filepath.Join(tinyXLMR, "model.safetensors"), filepath.Join(dir, "model.safetensors"))
	}
	writeFile(t, filepath.Join(dir, "modules.json"), stModules)
	writeFile(t, filepath.Join(dir, "1_Pooling", "config.json"), stPooling)
	writeFile(t, filepath.Join(dir, "2_Dense", "config.json"), stDense)
	w, b := denseWeights()
	if err := safetensors.Write(filepath.Join(dir, "2_Dense", "model.safetensors"), []safetensors.Tensor{
		{Name: "linear.weight", Shape: []int{3, 64}, Data: w},
		{Name: "linear.bias", Shape: []int{3}, Data: b},
	}, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "3_Normalize"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sentence_bert_config.json"), stBert)
	writeFile(t, filepath.Join(dir, "config_sentence_transformers.json"), stConfig)
	return dir
}

// byHand is the module pipeline written out: PyTorch's mean pooling
// (golden.json), then W x + b, tanh, and L2 normalisation.
func byHand(mean []float64) []float64 {
	w, b := denseWeights()
	out := make([]float64, 3)
	var norm float64
	for o := range out {
		s := float64(b[o])
		for k, x := range mean {
			s += float64(w[o*64+k]) * x
		}
		out[o] = math.Tanh(s)
		norm += out[o] * out[o]
	}
	for o := range out {
		out[o] /= math.Sqrt(norm)
	}
	return out
}

// TestSentenceTransformersFolderGolden opens a sentence-transformers
// folder with a Dense(64 -> 3, tanh) and a Normalize module, without a
// mimo-model.json, through Open (what --model DIR does), with the ONNX
// and the native encoder: the vectors are the pipeline computed by hand
// from PyTorch's pooled vectors; max_seq_length and the prompts come from
// the folder's files; the Dense head is in the identity.
func TestSentenceTransformersFolderGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(tinyXLMR, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Texts []string    `json:"texts"`
		Mean  [][]float64 `json:"mean"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	want := make([][]float64, len(g.Texts))
	for i, m := range g.Mean {
		want[i] = byHand(m)
	}
	approx := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 2e-5 })
	for _, tc := range []struct {
		name     string
		withONNX bool
		kind     string
	}{{"onnx", true, "onnx"}, {"native", false, "native"}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.withONNX {
				if _, err := onnx.FindLibrary(""); errors.Is(err, onnx.ErrNoLibrary) {
					t.Skip("ONNX Runtime library absent: set ONNXRUNTIME_LIB")
				}
			}
			dir := stFolder(t, tc.withONNX)
			enc, err := Open(context.Background(), dir, adapters.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			id := enc.Identity()
			if id.Kind != tc.kind || enc.Dim() != 3 || id.Dim != 3 || id.MaxLength != 128 || !id.Normalize || id.Pooling != "mean" {
				t.Errorf("identity %+v, dim %d: want kind %s, dim 3, max_length 128 (sentence_bert_config.json), normalize, mean pooling", id, enc.Dim(), tc.kind)
			}
			if id.Head != "dense(64->3,bias,tanh)" {
				t.Errorf("identity head %q, want the Dense layer", id.Head)
			}
			if d := cmp.Diff(map[string]string{"query": "query: "}, id.Prompts); d != "" {
				t.Errorf("prompts from config_sentence_transformers.json (-want +got):\n%s", d)
			}
			// Documents have no prompt (default_prompt_name is null), so
			// the golden texts encode as PyTorch pooled them.
			got, err := enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts})
			if err != nil {
				t.Fatal(err)
			}
			gotF := make([][]float64, len(got))
			for i, v := range got {
				for _, x := range v {
					gotF[i] = append(gotF[i], float64(x))
				}
			}
			if d := cmp.Diff(want, gotF, approx); d != "" {
				t.Errorf("vectors != pooling -> W x + b -> tanh -> L2 (-hand +encoder):\n%s", d)
			}
		})
	}
}

// TestSentenceTransformersHeadKey: the Dense weights are part of the
// identity's key; editing them changes the cache key.
func TestSentenceTransformersHeadKey(t *testing.T) {
	dir := stFolder(t, false)
	open := func() adapters.Identity {
		enc, err := Open(context.Background(), dir, adapters.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.Identity()
	}
	before := open()
	w, _ := denseWeights()
	w[0] += 1
	if err := safetensors.Write(filepath.Join(dir, "2_Dense", "model.safetensors"), []safetensors.Tensor{
		{Name: "linear.weight", Shape: []int{3, 64}, Data: w},
		{Name: "linear.bias", Shape: []int{3}, Data: []float32{0.1, -0.2, 0.05}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if after := open(); after.Key() == before.Key() {
		t.Errorf("editing 2_Dense/model.safetensors kept the identity key %s", before.Key())
	}
}
