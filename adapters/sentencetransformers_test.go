package adapters

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/safetensors"
)

// Files of a sentence-transformers folder as SentenceTransformer.save
// writes them (the Hugging Face model files besides: tokenizer.json,
// config.json, model.safetensors).
const (
	tModules = `[
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
  {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"}
]`
	tPooling = `{"word_embedding_dimension": 4, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false, "pooling_mode_weightedmean_tokens": false, "pooling_mode_lasttoken": false, "include_prompt": true}`
	tDense   = `{"in_features": 4, "out_features": 2, "bias": true, "activation_function": "torch.nn.modules.activation.Tanh"}`
)

// writeST writes files (path -> content; content "" makes a folder) into
// a new folder with the Hugging Face files, and the Dense weights unless
// files names 2_Dense/model.safetensors.
func writeST(t *testing.T, files map[string]string, denseWeights bool) string {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{
		"tokenizer.json": `{}`, "config.json": `{"hidden_size": 4}`, "model.safetensors": "x",
		"modules.json": tModules, "1_Pooling/config.json": tPooling, "2_Dense/config.json": tDense, "3_Normalize/": "",
	}
	for k, v := range files {
		base[k] = v
	}
	for rel, content := range base {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if strings.HasSuffix(rel, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if content == "-" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if denseWeights {
		if err := safetensors.Write(filepath.Join(dir, "2_Dense", "model.safetensors"), []safetensors.Tensor{
			{Name: "linear.weight", Shape: []int{2, 4}, Data: []float32{1, 0, 0, 0, 0, 1, 0, 0}},
			{Name: "linear.bias", Shape: []int{2}, Data: []float32{0.5, -0.5}},
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadPlainFolder(t *testing.T) {
	dir := writeST(t, map[string]string{
		"sentence_bert_config.json":         `{"max_seq_length": 256, "do_lower_case": false}`,
		"config_sentence_transformers.json": `{"prompts": {"query": "query: ", "passage": "passage: ", "XQuADRetrieval-query": "q: ", "STS": "sts: "}, "default_prompt_name": null, "similarity_fn_name": "cosine"}`,
	}, true)
	f, err := ReadFolder(dir) // no mimo-model.json: ReadPlainFolder
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := Folder{
		Kind: "native", Name: filepath.Clean(dir), Pooling: "cls", Normalize: &yes, MaxLength: 256, Dim: 2,
		Prompts:   map[string]string{"query": "query: ", "document": "passage: ", "XQuADRetrieval:query": "q: "},
		Tokenizer: "tokenizer.json", Weights: "model.safetensors", Config: "config.json", Dir: dir,
		Head: []HeadStep{{Type: StepDense, Path: "2_Dense", InFeatures: 4, OutFeatures: 2, Bias: true, Activation: "tanh",
			Module: filepath.Join(dir, "modules.json") + ` entry 2 (type "sentence_transformers.models.Dense", path "2_Dense")`}},
	}
	if d := cmp.Diff(want, f); d != "" {
		t.Errorf("folder (-want +got):\n%s", d)
	}
	h, err := OpenHead(f, 4)
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.Apply([]float32{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	a, b := math.Tanh(1.5), math.Tanh(1.5)
	n := math.Hypot(a, b)
	if d := cmp.Diff([]float32{float32(a / n), float32(b / n)}, got); d != "" {
		t.Errorf("head output (-tanh(Wx+b) normalised +got):\n%s", d)
	}
	if h.Describe() != "dense(4->2,bias,tanh)" || h.Dim() != 2 || len(h.Parts()) != 1 {
		t.Errorf("head %q dim %d parts %v", h.Describe(), h.Dim(), h.Parts())
	}
}

func TestReadPlainFolderSettings(t *testing.T) {
	for _, tc := range []struct {
		name      string
		files     map[string]string
		normalize bool
		prompts   map[string]string
		head      int
	}{
		{"dot without Normalize: raw vectors", map[string]string{"modules.json": `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]`,
			"config_sentence_transformers.json": `{"similarity_fn_name": "dot"}`}, false, nil, 0},
		{"dot after Normalize", map[string]string{"config_sentence_transformers.json": `{"similarity_fn_name": "dot"}`}, true, nil, 1},
		{"default prompt for both roles", map[string]string{"config_sentence_transformers.json": `{"prompts": {"retrieval": "Represent: ", "query": "q: "}, "default_prompt_name": "retrieval"}`},
			true, map[string]string{"query": "q: ", "document": "Represent: "}, 1},
		{"Normalize between Dense layers stays a step", map[string]string{"modules.json": `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"},{"idx":3,"name":"3","path":"2_Dense","type":"sentence_transformers.models.Dense"}]`},
			true, nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ReadPlainFolder(writeST(t, tc.files, true))
			if err != nil {
				t.Fatal(err)
			}
			if f.NormalizeOrDefault() != tc.normalize || len(f.Head) != tc.head {
				t.Errorf("normalize %v, %d head steps; want %v, %d", f.NormalizeOrDefault(), len(f.Head), tc.normalize, tc.head)
			}
			if d := cmp.Diff(tc.prompts, f.Prompts); d != "" {
				t.Errorf("prompts (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadPlainFolderErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		weights bool
		is      error
		want    []string
	}{
		{"unknown module", map[string]string{"modules.json": `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_LayerNorm","type":"sentence_transformers.models.LayerNorm"}]`},
			true, ErrSTModule, []string{"modules.json entry 2", `"sentence_transformers.models.LayerNorm"`}},
		{"custom module", map[string]string{"modules.json": `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_X","type":"my_package.Projection"}]`},
			true, ErrSTModule, []string{"modules.json entry 2", `"my_package.Projection"`}},
		{"pytorch_model.bin only", map[string]string{"2_Dense/pytorch_model.bin": "pickle"}, false, ErrSTModule,
			[]string{"modules.json entry 2", "2_Dense/pytorch_model.bin", "pickle"}},
		{"no Dense weights", nil, false, os.ErrNotExist, []string{"2_Dense/model.safetensors"}},
		{"max pooling", map[string]string{"1_Pooling/config.json": `{"word_embedding_dimension": 4, "pooling_mode_mean_tokens": false, "pooling_mode_max_tokens": true}`},
			true, ErrSTModule, []string{"1_Pooling/config.json", "pooling mode max"}},
		{"mean is pooling's default", map[string]string{"1_Pooling/config.json": `{"word_embedding_dimension": 4, "pooling_mode_cls_token": true}`},
			true, ErrSTModule, []string{"pooling mode cls+mean"}},
		{"activation", map[string]string{"2_Dense/config.json": `{"in_features": 4, "out_features": 2, "bias": true, "activation_function": "torch.nn.modules.activation.Softplus"}`},
			true, ErrSTModule, []string{"2_Dense/config.json", "Softplus"}},
		{"in_features", map[string]string{"2_Dense/config.json": `{"in_features": 8, "out_features": 2, "bias": true, "activation_function": "torch.nn.modules.linear.Identity"}`},
			true, nil, []string{"in_features 8", "gives 4"}},
		{"lower case", map[string]string{"sentence_bert_config.json": `{"max_seq_length": 128, "do_lower_case": true}`}, true, ErrSTModule, []string{"do_lower_case"}},
		{"max_seq_length", map[string]string{"sentence_bert_config.json": `{"max_seq_length": -1}`}, true, nil, []string{"sentence_bert_config.json", "max_seq_length -1"}},
		{"manhattan", map[string]string{"config_sentence_transformers.json": `{"similarity_fn_name": "manhattan"}`}, true, nil, []string{"config_sentence_transformers.json", "manhattan"}},
		{"default prompt missing", map[string]string{"config_sentence_transformers.json": `{"prompts": {"query": "q"}, "default_prompt_name": "doc"}`}, true, nil, []string{"config_sentence_transformers.json", `"doc"`}},
		{"path outside", map[string]string{"modules.json": `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"../x","type":"sentence_transformers.models.Pooling"}]`},
			true, nil, []string{"entry 1", `"../x"`}},
		{"json", map[string]string{"modules.json": `[{"idx":0,`}, true, nil, []string{"modules.json", "line 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeST(t, tc.files, tc.weights)
			_, err := ReadFolder(dir)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestOpenHeadErrors(t *testing.T) {
	dir := writeST(t, nil, true)
	f, err := ReadPlainFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Folder)
		in   int
		want string
	}{
		{"pooled dimension", func(*Folder) {}, 8, "in_features 4, but the vectors it gets have 8"},
		{"weight shape", func(f *Folder) { f.Head[0].InFeatures, f.Head[0].OutFeatures = 2, 4 }, 0, `tensor "linear.weight" has shape [2 4], want [4 2]`},
		{"bias absent from config", func(f *Folder) { f.Head[0].Bias = false }, 4, "linear.bias but the module's config says bias false"},
		{"unknown step", func(f *Folder) { f.Head[0].Type = "layernorm" }, 4, `unknown step type "layernorm"`},
		{"activation", func(f *Folder) { f.Head[0].Activation = "softplus" }, 4, `activation "softplus"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := f
			g.Head = append([]HeadStep(nil), f.Head...)
			tc.edit(&g)
			_, err := OpenHead(g, tc.in)
			if !errors.Is(err, ErrHead) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("OpenHead = %v, want an ErrHead containing %q", err, tc.want)
			}
		})
	}
}

// TestHeadKeepsOldKeys: a folder without head steps keeps the identity it
// had before heads existed (no "head" key), so existing caches stay valid.
func TestHeadKeepsOldKeys(t *testing.T) {
	h, err := OpenHead(Folder{}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if h.Describe() != "" || h.Dim() != 4 || len(h.Parts()) != 0 {
		t.Errorf("empty head: %q dim %d parts %v", h.Describe(), h.Dim(), h.Parts())
	}
	id := Identity{Name: "m", Kind: "onnx", Dim: 4, Normalize: true}
	if b, _ := json.Marshal(id); strings.Contains(string(b), "head") {
		t.Errorf("identity without head serialises a head key: %s", b)
	}
	v, err := h.Apply([]float32{3, 4, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]float32{0.6, 0.8, 0, 0}, v); d != "" {
		t.Error(d)
	}
}
