package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	_ "github.com/mimo-mlir/mimo/adapters/native" // kind "native"
	"github.com/mimo-mlir/mimo/adapters/onnx"
	"github.com/mimo-mlir/mimo/internal/safetensors"
)

const tinyDir = "../onnx/testdata/tiny-xlmr"

// fakeHub serves repositories from local folders, copying each requested
// file into a cache laid out like the Hugging Face cache
// (cache/<repo>/snapshots/<rev>/<path>).
type fakeHub struct {
	cache string
	repos map[string]map[string]string // repo -> repo path -> local source file
	calls []string
	fail  map[string]error // repo path -> error to return
}

func (h *fakeHub) Download(ctx context.Context, kind, repo, rev, path string) (string, error) {
	h.calls = append(h.calls, kind+" "+repo+"@"+rev+" "+path)
	if err := h.fail[path]; err != nil {
		return "", err
	}
	src, ok := h.repos[repo][path]
	if !ok {
		return "", fmt.Errorf("fake hub: %s/%s: %w", repo, path, fs.ErrNotExist)
	}
	dst := filepath.Join(h.cache, strings.ReplaceAll(repo, "/", "--"), "snapshots", rev, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	return dst, os.WriteFile(dst, b, 0o644)
}

func tinyRepo(onnxAt string) map[string]string {
	return map[string]string{
		"tokenizer.json": filepath.Join(tinyDir, "tokenizer.json"),
		onnxAt:           filepath.Join(tinyDir, "model.onnx"),
		"config.json":    filepath.Join(tinyDir, "config.json"),
	}
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		want    Spec
		wantErr bool
	}{
		{"hf:intfloat/multilingual-e5-large", Spec{Name: "intfloat/multilingual-e5-large"}, false},
		{"hf:BAAI/bge-m3@5617a9f", Spec{Name: "BAAI/bge-m3", Revision: "5617a9f"}, false},
		{"bge-m3", Spec{Name: "bge-m3"}, false},
		{"Qwen/Qwen3-Embedding-8B@v1", Spec{Name: "Qwen3-Embedding-8B", Revision: "v1"}, false},
		{"hf:noslash", Spec{}, true},
		{"hf:a/b/c", Spec{}, true},
		{"hf:a/b@", Spec{}, true},
		{"not-a-model", Spec{}, true},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseSpec(tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		key     string
		pooling string
		query   string
		doc     string
		dim     int
	}{
		{"hf id resolves to the default entry", "FacebookAI/xlm-roberta-large", "mean", "", "", 1024},
		{"cls variant by key", "mmBERT-base-cls", "cls", "", "", 768},
		{"e5 prompts", "intfloat/multilingual-e5-large", "mean", "query: ", "passage: ", 1024},
		{"qwen3 query-only instruction", "Qwen/Qwen3-Embedding-8B", "last-token", QwenWebSearch, "", 4096},
		{"qwen3 small", "Qwen3-Embedding-0.6B", "last-token", QwenWebSearch, "", 1024},
		{"nomic prompts", "nomic-embed-text-v2-moe", "mean", "search_query: ", "search_document: ", 768},
		{"bge-m3 cls", "bge-m3", "cls", "", "", 1024},
		{"gte-qwen2", "Alibaba-NLP/gte-Qwen2-1.5B-instruct", "last-token", "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: ", "", 1536},
		{"e5 instruct: documents plain", "multilingual-e5-large-instruct", "mean", "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: ", "", 1024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := Lookup(tc.key)
			if !ok {
				t.Fatalf("%s not in the registry", tc.key)
			}
			id := adapters.Identity{Prompts: m.Prompts}
			got := []any{m.Pooling, id.PromptFor(adapters.RoleQuery, "XQuADRetrieval"), id.PromptFor(adapters.RoleDocument, ""), m.Dim, m.Normalize}
			if d := cmp.Diff([]any{tc.pooling, tc.query, tc.doc, tc.dim, true}, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if m.License == "" || m.MaxLength == 0 || m.Repo == "" {
				t.Errorf("incomplete entry %+v", m)
			}
		})
	}
	if n := len(All()); n < 11 {
		t.Errorf("All() has %d models", n)
	}
}

func TestResolveKnown(t *testing.T) {
	Register(Model{Key: "tiny-xlmr-test", Repo: "mimo-test/tiny-xlmr", Revision: "pinned1", Pooling: "cls", Normalize: true,
		MaxLength: 128, Dim: 64, License: "mit", Prompts: map[string]string{"query": "query: "}})
	for _, tc := range []struct {
		name, spec, onnxAt, wantRev, wantONNX string
	}{
		{"optimum layout, pinned revision", "hf:mimo-test/tiny-xlmr", "onnx/model.onnx", "pinned1", "onnx/model.onnx"},
		{"root layout, spec revision wins", "hf:mimo-test/tiny-xlmr@abc", "model.onnx", "abc", "model.onnx"},
		{"registry key", "tiny-xlmr-test", "onnx/model.onnx", "pinned1", "onnx/model.onnx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := &fakeHub{cache: t.TempDir(), repos: map[string]map[string]string{"mimo-test/tiny-xlmr": tinyRepo(tc.onnxAt)}}
			f, err := Resolve(context.Background(), tc.spec, hub)
			if err != nil {
				t.Fatal(err)
			}
			no := true
			want := adapters.Folder{Kind: "onnx", Name: "mimo-test/tiny-xlmr", Revision: tc.wantRev, Pooling: "cls", Normalize: &no,
				MaxLength: 128, Dim: 64, License: "mit", Prompts: map[string]string{"query": "query: "},
				ONNX: tc.wantONNX, Tokenizer: "tokenizer.json", Dir: f.Dir}
			if d := cmp.Diff(want, f); d != "" {
				t.Errorf("folder (-want +got):\n%s", d)
			}
			// The folder on disk reads back the same.
			back, err := adapters.ReadFolder(f.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(f, back); d != "" {
				t.Errorf("mimo-model.json reads back differently (-want +got):\n%s", d)
			}
			if !strings.Contains(strings.Join(hub.calls, "\n"), "model mimo-test/tiny-xlmr@"+tc.wantRev+" tokenizer.json") {
				t.Errorf("downloads %q", hub.calls)
			}
		})
	}
}

// TestResolveOpens: the resolved folder opens as an ONNX encoder and gives
// the same vectors as the committed folder with the same settings.
func TestResolveOpens(t *testing.T) {
	if _, err := onnx.FindLibrary(""); errors.Is(err, onnx.ErrNoLibrary) {
		t.Skip("ONNX Runtime library absent: run scripts/get-onnxruntime.sh or set ONNXRUNTIME_LIB")
	}
	hub := &fakeHub{cache: t.TempDir(), repos: map[string]map[string]string{"mimo-test/unregistered": tinyRepo("onnx/model.onnx")}}
	f, err := Resolve(context.Background(), "hf:mimo-test/unregistered", hub)
	if err != nil {
		t.Fatal(err)
	}
	if f.Pooling != "mean" || f.Dim != 64 {
		t.Errorf("unregistered model: pooling %q dim %d, want mean 64 (from config.json)", f.Pooling, f.Dim)
	}
	ref, err := adapters.ReadFolder(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	ref.Prompts, ref.MaxLength = nil, 0
	sameVectors(t, f, ref)
}

// sameVectors opens both folders and checks they encode three texts alike.
func sameVectors(t *testing.T, got, want adapters.Folder) {
	t.Helper()
	ctx := context.Background()
	encode := func(f adapters.Folder) [][]float32 {
		enc, err := adapters.OpenFolder(ctx, f, adapters.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		v, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Texts: []string{"Hello world", "你好，世界", "Привет, мир"}})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if d := cmp.Diff(encode(want), encode(got)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestResolveNative: a repository with safetensors weights and no ONNX
// export (as jhu-clsp/mmBERT-base is) resolves to a native folder that
// gives the vectors of the same files opened directly.
func TestResolveNative(t *testing.T) {
	src := filepath.Join("..", "..", "transformer", "testdata", "tiny-modernbert")
	repo := map[string]string{}
	for _, f := range []string{"tokenizer.json", "config.json", "model.safetensors"} {
		repo[f] = filepath.Join(src, f)
	}
	Register(Model{Key: "tiny-modernbert-test", Repo: "mimo-test/tiny-modernbert", Pooling: "cls", Normalize: true, MaxLength: 256, Dim: 64})
	hub := &fakeHub{cache: t.TempDir(), repos: map[string]map[string]string{"mimo-test/tiny-modernbert": repo}}
	f, err := Resolve(context.Background(), "tiny-modernbert-test", hub)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := adapters.Folder{Kind: "native", Name: "mimo-test/tiny-modernbert", Revision: "main", Pooling: "cls", Normalize: &yes,
		MaxLength: 256, Dim: 64, Tokenizer: "tokenizer.json", Config: "config.json", Weights: "model.safetensors", Dir: f.Dir}
	if d := cmp.Diff(want, f); d != "" {
		t.Errorf("folder (-want +got):\n%s", d)
	}
	ref, err := adapters.ReadFolder(src)
	if err != nil {
		t.Fatal(err)
	}
	ref.Pooling, ref.MaxLength = "cls", 256
	sameVectors(t, f, ref)
}

func TestResolveSentenceTransformersPooling(t *testing.T) {
	dir := t.TempDir()
	pool := filepath.Join(dir, "pool.json")
	if err := os.WriteFile(pool, []byte(`{"word_embedding_dimension": 64, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false, "pooling_mode_weightedmean_tokens": false, "pooling_mode_lasttoken": false, "include_prompt": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	stConfig := filepath.Join(dir, "st.json")
	if err := os.WriteFile(stConfig, []byte(`{"prompts": {"query": "Instruct: find\nQuery:", "passage": "passage: ", "classification": "x"}, "default_prompt_name": null}`), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := tinyRepo("model.onnx")
	repo["1_Pooling/config.json"] = pool
	repo["config_sentence_transformers.json"] = stConfig
	hub := &fakeHub{cache: t.TempDir(), repos: map[string]map[string]string{"someone/model": repo}}
	f, err := Resolve(context.Background(), "hf:someone/model", hub)
	if err != nil {
		t.Fatal(err)
	}
	if f.Pooling != "cls" || f.Dim != 64 || f.Revision != "main" {
		t.Errorf("pooling %q dim %d revision %q", f.Pooling, f.Dim, f.Revision)
	}
	if d := cmp.Diff(map[string]string{"query": "Instruct: find\nQuery:", "document": "passage: "}, f.Prompts); d != "" {
		t.Errorf("prompts from config_sentence_transformers.json (-want +got):\n%s", d)
	}
}

func TestResolveErrors(t *testing.T) {
	boom := errors.New("connection reset")
	for _, tc := range []struct {
		name  string
		repo  map[string]string
		fail  map[string]error
		want  string
		isErr error
	}{
		{"no tokenizer", map[string]string{"model.onnx": filepath.Join(tinyDir, "model.onnx")}, nil, "tokenizer.json", fs.ErrNotExist},
		{"no onnx, no safetensors", map[string]string{"tokenizer.json": filepath.Join(tinyDir, "tokenizer.json"), "config.json": filepath.Join(tinyDir, "config.json")},
			nil, "no ONNX export (tried onnx/model.onnx, model.onnx) and no model.safetensors", nil},
		{"sharded safetensors", map[string]string{"tokenizer.json": filepath.Join(tinyDir, "tokenizer.json"), "config.json": filepath.Join(tinyDir, "config.json"),
			"model.safetensors.index.json": filepath.Join(tinyDir, "config.json")}, nil, "sharded", nil},
		{"network error is not absence", tinyRepo("model.onnx"), map[string]error{"onnx/model.onnx": boom}, "connection reset", boom},
		{"external data error", tinyRepo("model.onnx"), map[string]error{"model.onnx_data": boom}, "model.onnx_data", boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := &fakeHub{cache: t.TempDir(), repos: map[string]map[string]string{"x/y": tc.repo}, fail: tc.fail}
			_, err := Resolve(context.Background(), "hf:x/y", hub)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Errorf("error %v does not wrap %v", err, tc.isErr)
			}
		})
	}
}

// committingHub is a fakeHub that reports a commit for every branch file.
type committingHub struct{ *fakeHub }

func (h committingHub) Commit(kind, repo, rev, path string) string {
	return "c0ffee" + strings.Repeat("0", 34)
}

// TestResolveRecordsCommit: with a Downloader that knows commits, the
// folder's revision is the commit, not the branch name.
func TestResolveRecordsCommit(t *testing.T) {
	hub := committingHub{&fakeHub{cache: t.TempDir(), repos: map[string]map[string]string{"x/y": tinyRepo("model.onnx")}}}
	f, err := Resolve(context.Background(), "hf:x/y", hub)
	if err != nil {
		t.Fatal(err)
	}
	if want := "c0ffee" + strings.Repeat("0", 34); f.Revision != want {
		t.Errorf("revision %q, want %q", f.Revision, want)
	}
	if !strings.Contains(strings.Join(hub.calls, "\n"), "x/y@main tokenizer.json") {
		t.Errorf("downloads %q: the branch is what is fetched", hub.calls)
	}
}

// TestPromptedFamilies: every registered model of a family that needs
// prompts carries them (issue 11: the README's e5 example ran without
// "query: "/"passage: ").
func TestPromptedFamilies(t *testing.T) {
	for _, m := range All() {
		r := strings.ToLower(m.Repo)
		var want map[string]string
		switch {
		case strings.HasPrefix(r, "intfloat/multilingual-e5-") && !strings.HasSuffix(r, "-instruct"):
			want = map[string]string{"query": "query: ", "document": "passage: "}
		case strings.HasPrefix(r, "nomic-ai/nomic-embed-text"):
			want = map[string]string{"query": "search_query: ", "document": "search_document: "}
		case strings.HasPrefix(r, "qwen/qwen3-embedding"), strings.HasSuffix(r, "-instruct"):
			if !strings.HasPrefix(m.Prompts["query"], "Instruct: ") {
				t.Errorf("%s: query prompt %q, want an instruction", m.Key, m.Prompts["query"])
			}
			continue
		default:
			continue
		}
		for role, p := range want {
			if m.Prompts[role] != p {
				t.Errorf("%s: %s prompt %q, want %q", m.Key, role, m.Prompts[role], p)
			}
		}
	}
}

// TestResolveDenseHead: an unregistered hub model with a Dense module
// (LaBSE's layout) resolves to a folder whose head applies it, with the
// Dense files downloaded beside the others; before, 2_Dense was never
// fetched and the vectors were the pooled ones.
func TestResolveDenseHead(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"modules.json": `[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},` +
			`{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},` +
			`{"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"},` +
			`{"idx":3,"name":"3","path":"3_Normalize","type":"sentence_transformers.models.Normalize"}]`,
		"1_Pooling/config.json":     `{"word_embedding_dimension": 64, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}`,
		"2_Dense/config.json":       `{"in_features": 64, "out_features": 64, "bias": false, "activation_function": "torch.nn.modules.linear.Identity"}`,
		"sentence_bert_config.json": `{"max_seq_length": 100, "do_lower_case": false}`,
	}
	repo := tinyRepo("onnx/model.onnx")
	for rel, content := range files {
		p := filepath.Join(dir, strings.ReplaceAll(rel, "/", "_"))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		repo[rel] = p
	}
	w := make([]float32, 64*64)
	for i := range w {
		w[i] = float32(i%7) * 0.01
	}
	dense := filepath.Join(dir, "dense.safetensors")
	if err := safetensors.Write(dense, []safetensors.Tensor{{Name: "linear.weight", Shape: []int{64, 64}, Data: w}}, nil); err != nil {
		t.Fatal(err)
	}
	repo["2_Dense/model.safetensors"] = dense
	hub := &fakeHub{cache: t.TempDir(), repos: map[string]map[string]string{"someone/labse-like": repo}}
	f, err := Resolve(context.Background(), "hf:someone/labse-like", hub)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Head) != 1 || f.Head[0].Type != adapters.StepDense || f.Head[0].Path != "2_Dense" || f.Pooling != "cls" || f.MaxLength != 100 || !f.NormalizeOrDefault() {
		t.Fatalf("folder %+v: want the Dense step, cls pooling, max_length 100, normalised", f)
	}
	back, err := adapters.ReadFolder(f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(f.Head, back.Head); d != "" {
		t.Errorf("head read back from mimo-model.json (-resolved +read):\n%s", d)
	}
	if _, err := adapters.OpenHead(back, 64); err != nil {
		t.Errorf("the downloaded Dense weights do not open: %v", err)
	}
}

// TestTrainingDatasets: the registry carries MTEB's declared training
// datasets (mteb/models/e5_models.py ME5_TRAINING_DATA, bge_models.py
// bge_m3_training_data) and nothing where MTEB was not read.
func TestTrainingDatasets(t *testing.T) {
	for _, tc := range []struct {
		model, dataset string
		want           bool
	}{
		{"multilingual-e5-large", "MIRACLRetrievalHardNegatives", true},
		{"multilingual-e5-small", "MSMARCO", true},
		{"intfloat/multilingual-e5-base", "MrTidyRetrieval", true},
		{"bge-m3", "MIRACLRetrieval", true},
		{"bge-m3", "FEVER", false},
		{"multilingual-e5-large", "XQuADRetrieval", false},
		{"xlm-roberta-large", "MIRACLRetrievalHardNegatives", false},
	} {
		t.Run(tc.model+"/"+tc.dataset, func(t *testing.T) {
			m, ok := Lookup(tc.model)
			if !ok {
				t.Fatalf("%s not registered", tc.model)
			}
			splits, got := m.TrainedOn(tc.dataset)
			if got != tc.want {
				t.Fatalf("TrainedOn(%s) = %v, want %v", tc.dataset, got, tc.want)
			}
			if got && !slices.Equal(splits, []string{"train"}) {
				t.Errorf("splits %v, want [train]", splits)
			}
		})
	}
}

// TestTrainingDatasetsMTEBSets: the Qwen3-Embedding and
// gte-multilingual-base entries carry MTEB's training_datasets sets
// (qwen3_models.py training_data, gte_models.py gte_multi_training_data:
// names, no splits); gte-Qwen2-1.5B-instruct and nomic-embed-text-v2-moe,
// for which MTEB declares training_datasets=None, carry no dataset and a
// source saying MTEB declares none, and every registered model either
// names its source or has none recorded.
func TestTrainingDatasetsMTEBSets(t *testing.T) {
	for _, tc := range []struct {
		model, dataset string
		want           bool
	}{
		{"Qwen3-Embedding-8B", "MIRACLRetrieval", true},
		{"Qwen3-Embedding-0.6B", "CodeSearchNet", true},
		{"Qwen/Qwen3-Embedding-8B", "MIRACLRetrievalHardNegatives", false},
		{"gte-multilingual-base", "MIRACLRetrievalHardNegatives", true},
		{"gte-multilingual-base", "MultiLongDocRetrieval", true},
		{"gte-multilingual-base", "CodeSearchNet", false},
	} {
		t.Run(tc.model+"/"+tc.dataset, func(t *testing.T) {
			m, ok := Lookup(tc.model)
			if !ok {
				t.Fatalf("%s not registered", tc.model)
			}
			splits, got := m.TrainedOn(tc.dataset)
			if got != tc.want {
				t.Fatalf("TrainedOn(%s) = %v, want %v", tc.dataset, got, tc.want)
			}
			if got && splits != nil {
				t.Errorf("splits %v, want none (MTEB's set names no split)", splits)
			}
			if !strings.Contains(m.TrainingSource, "mteb/models/model_implementations/") {
				t.Errorf("TrainingSource %q does not cite MTEB's file", m.TrainingSource)
			}
		})
	}
	if n := len(mustLookup(t, "Qwen3-Embedding-8B").TrainingDatasets); n != 11 {
		t.Errorf("Qwen3 declares %d datasets, MTEB's training_data has 11", n)
	}
	if n := len(mustLookup(t, "gte-multilingual-base").TrainingDatasets); n != 17 {
		t.Errorf("gte-multilingual-base declares %d datasets, MTEB's gte_multi_training_data has 17", n)
	}
	for _, key := range []string{"gte-Qwen2-1.5B-instruct", "nomic-embed-text-v2-moe"} {
		m := mustLookup(t, key)
		if m.TrainingDatasets != nil || !strings.HasPrefix(m.TrainingSource, "MTEB declares none: ") || !strings.Contains(m.TrainingSource, "training_datasets=None") {
			t.Errorf("%s: datasets %v, source %q; want none, and the source saying MTEB declares none", key, m.TrainingDatasets, m.TrainingSource)
		}
	}
	for _, m := range All() {
		if len(m.TrainingDatasets) > 0 && m.TrainingSource == "" {
			t.Errorf("%s declares training datasets without saying where they come from", m.Key)
		}
	}
}

func mustLookup(t *testing.T, key string) Model {
	t.Helper()
	m, ok := Lookup(key)
	if !ok {
		t.Fatalf("%s not registered", key)
	}
	return m
}
