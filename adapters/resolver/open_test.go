package resolver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	"github.com/mimo-mlir/mimo/adapters/registry"
	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/hub/hubtest"
)

// TestOfflineTriesNextCandidate reproduces issue 11: with HF_HUB_OFFLINE=1
// a fully cached model without onnx/model.onnx (safetensors only, as
// mmBERT) failed on the first ONNX candidate instead of trying the next
// file. It now resolves to the native weights; a model with nothing cached
// still fails with the typed offline error.
func TestOfflineTriesNextCandidate(t *testing.T) {
	cache := t.TempDir()
	commit := strings.Repeat("cd", 20)
	hubtest.WritePythonCache(t, cache, hub.Model, "org/tiny-bert", commit, map[string]string{
		"tokenizer.json":    "{}",
		"config.json":       `{"hidden_size": 8, "model_type": "bert"}`,
		"model.safetensors": "weights",
	})
	c, err := hub.New(hub.WithCacheDir(cache), hub.WithOffline(true))
	if err != nil {
		t.Fatal(err)
	}
	f, err := registry.Resolve(context.Background(), "hf:org/tiny-bert", hubDownloader{c})
	if err != nil {
		t.Fatalf("offline resolve of a cached safetensors-only model: %v", err)
	}
	if f.Kind != "native" || f.Revision != commit {
		t.Errorf("folder kind %q revision %q, want native at %s", f.Kind, f.Revision, commit)
	}
	_, err = registry.Resolve(context.Background(), "hf:org/not-cached", hubDownloader{c})
	if !errors.Is(err, hub.ErrOffline) {
		t.Errorf("uncached model: %v, want hub.ErrOffline", err)
	}
}

// TestOfflinePythonCacheONNX: a tiny ONNX model laid out as huggingface_hub
// caches it (root model.onnx, no onnx/ folder, sentence-transformers
// pooling config) is opened offline through HF_HUB_CACHE with no network,
// and gives the same vectors as the same files opened as a folder (issue
// 11: a cache filled by Python is used offline, for a model).
func TestOfflinePythonCacheONNX(t *testing.T) {
	if _, err := onnx.FindLibrary(""); err != nil {
		t.Skipf("ONNX Runtime library: %v (make ort)", err)
	}
	src := filepath.Join("..", "onnx", "testdata", "tiny-xlmr")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cache := t.TempDir()
	commit := strings.Repeat("ef", 20)
	hubtest.WritePythonCache(t, cache, hub.Model, "org/tiny-xlmr", commit, map[string]string{
		"tokenizer.json":        read("tokenizer.json"),
		"config.json":           read("config.json"),
		"model.onnx":            read("model.onnx"),
		"1_Pooling/config.json": `{"word_embedding_dimension": 64, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}`,
		// The folder's own prompts and length, as sentence-transformers
		// stores them, so both sides encode the same input.
		"config_sentence_transformers.json": `{"prompts": {"query": "query: ", "document": "passage: "}, "default_prompt_name": null, "similarity_fn_name": "cosine"}`,
		"sentence_bert_config.json":         `{"max_seq_length": 512, "do_lower_case": false}`,
	})
	t.Setenv("HF_HUB_CACHE", cache)
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:1") // nothing listens: any request fails
	ctx := context.Background()
	enc, err := Open(ctx, "hf:org/tiny-xlmr", adapters.Options{})
	if err != nil {
		t.Fatalf("offline open of a Python-filled cache: %v", err)
	}
	defer enc.Close()
	if id := enc.Identity(); id.Revision != commit {
		t.Errorf("revision %q, want the commit refs/main names (%s)", id.Revision, commit)
	}
	texts := []string{"Wo liegt Paris?", "Paris is in France."}
	got, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: texts})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Open(ctx, src, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	want, err := ref.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: texts})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for j := range want[i] {
			if d := got[i][j] - want[i][j]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("text %d dim %d: %g from the cache, %g from the folder", i, j, got[i][j], want[i][j])
			}
		}
	}
}
