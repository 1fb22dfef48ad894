package transformer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/google/go-cmp/cmp"
)

// smallConfig is a random-weight encoder small enough for quick tests.
func smallConfig(modelType, pooling string) Config {
	c := Config{
		ModelType: modelType, VocabSize: 97, HiddenSize: 32, NumLayers: 2, NumHeads: 4,
		IntermediateSize: 48, MaxPositions: 66, TypeVocabSize: 1, PadTokenID: 1,
		LayerNormEps: 1e-5, HiddenDropout: 0.1, AttentionDropout: 0.1, Pooling: pooling,
	}
	if modelType == ModelBERT {
		c.PadTokenID, c.TypeVocabSize, c.MaxPositions = 0, 2, 64
	}
	return c
}

func randomModel(t testing.TB, b backends.Backend, cfg Config, seed int64) *Model {
	t.Helper()
	ctx := mlctx.New()
	if err := InitRandom(ctx, cfg, seed); err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(b, ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sampleIDs are token sequences of different lengths (no pad ids inside).
func sampleIDs(cfg Config) [][]int64 {
	lens := []int{3, 17, 9, 1, 30}
	out := make([][]int64, len(lens))
	for i, n := range lens {
		for j := range n {
			id := int64(2 + (i*31+j*7)%(cfg.VocabSize-2))
			out[i] = append(out[i], id)
		}
	}
	return out
}

// variableValues reads every encoder tensor of ctx as float32 slices.
func variableValues(t *testing.T, ctx *mlctx.Context, cfg Config) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, s := range tensorSpecs(cfg) {
		v := lookupVariable(ctx, s.Name)
		if v == nil {
			t.Fatalf("no variable for %s", s.Name)
		}
		out[s.Name] = tensors.MustCopyFlatData[float32](v.MustValue())
	}
	return out
}

func TestSafetensorsRoundTripIsBitExact(t *testing.T) {
	for _, mt := range []string{ModelXLMRoberta, ModelBERT} {
		t.Run(mt, func(t *testing.T) {
			cfg := smallConfig(mt, PoolingMean)
			ctx := mlctx.New()
			if err := InitRandom(ctx, cfg, 7); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "model.safetensors")
			if err := SaveSafetensors(ctx, cfg, path); err != nil {
				t.Fatal(err)
			}
			ctx2 := mlctx.New()
			if err := LoadSafetensors(ctx2, cfg, path); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(variableValues(t, ctx, cfg), variableValues(t, ctx2, cfg)); diff != "" {
				t.Errorf("weights changed across save/load (-saved +loaded):\n%s", diff)
			}
			// Saving the loaded weights gives the same bytes.
			path2 := filepath.Join(dir, "again.safetensors")
			if err := SaveSafetensors(ctx2, cfg, path2); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(path)
			b, _ := os.ReadFile(path2)
			if !slices.Equal(a, b) {
				t.Errorf("second save differs from the first (%d vs %d bytes)", len(a), len(b))
			}
			if n := binary.LittleEndian.Uint64(a); (8+n)%8 != 0 {
				t.Errorf("header length %d leaves data unaligned", n)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

// TestTinyModelResaveMatchesFile loads the PyTorch-written tiny model and
// saves it again: same tensors, same values.
func TestTinyModelResaveMatchesFile(t *testing.T) {
	cfg, err := ReadConfig(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := mlctx.New()
	src := filepath.Join(tinyDir, "model.safetensors")
	if err := LoadSafetensors(ctx, cfg, src); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "model.safetensors")
	if err := SaveSafetensors(ctx, cfg, out); err != nil {
		t.Fatal(err)
	}
	a, err := openSafetensors(src)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := openSafetensors(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if diff := cmp.Diff(a.names(), b.names()); diff != "" {
		t.Fatalf("tensor names differ (-torch +ours):\n%s", diff)
	}
	for _, n := range a.names() {
		x, _ := a.float32s(n)
		y, _ := b.float32s(n)
		if !slices.Equal(x, y) || !slices.Equal(a.entries[n].Shape, b.entries[n].Shape) {
			t.Errorf("tensor %s differs after re-save", n)
		}
	}
}

func TestPaddingInvariance(t *testing.T) {
	b := newBackend(t)
	for _, mt := range []string{ModelXLMRoberta, ModelBERT} {
		for _, pooling := range []string{PoolingMean, PoolingCLS} {
			t.Run(mt+"/"+pooling, func(t *testing.T) {
				cfg := smallConfig(mt, pooling)
				m := randomModel(t, b, cfg, 3)
				ids := sampleIDs(cfg)
				batch, err := m.Forward(ids, 0)
				if err != nil {
					t.Fatal(err)
				}
				padded, err := m.Forward(ids, cfg.MaxSequenceLength())
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range ids {
					alone, err := m.Forward([][]int64{s}, len(s))
					if err != nil {
						t.Fatal(err)
					}
					if d := maxAbsDiff(t, alone[0], batch[i]); d > 1e-5 {
						t.Errorf("text %d (%d tokens): batch vs alone max |diff| %.3g", i, len(s), d)
					}
					if d := maxAbsDiff(t, alone[0], padded[i]); d > 1e-5 {
						t.Errorf("text %d (%d tokens): full padding vs alone max |diff| %.3g", i, len(s), d)
					}
				}
			})
		}
	}
}

// TestPoolingModes checks mean and cls against the token states directly.
func TestPoolingModes(t *testing.T) {
	b := newBackend(t)
	cfg := smallConfig(ModelXLMRoberta, PoolingMean)
	m := randomModel(t, b, cfg, 5)
	ids := sampleIDs(cfg)[:3]
	seq := 32
	flatIDs := make([]int64, len(ids)*seq)
	flatMask := make([]int64, len(ids)*seq)
	for i, s := range ids {
		for j := range seq {
			flatIDs[i*seq+j] = int64(cfg.PadTokenID)
			if j < len(s) {
				flatIDs[i*seq+j], flatMask[i*seq+j] = s[j], 1
			}
		}
	}
	exec, err := mlctx.NewExec(b, m.ctx.Reuse(), func(ctx *mlctx.Context, ids, mask *graph.Node) []*graph.Node {
		h := EncodeTokens(ctx, cfg, ids, mask, false)
		return []*graph.Node{h, Pool(h, mask, PoolingMean), Pool(h, mask, PoolingCLS)}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(flatIDs, len(ids), seq), tensors.FromFlatDataAndDimensions(flatMask, len(ids), seq))
	if err != nil {
		t.Fatal(err)
	}
	h := tensors.MustCopyFlatData[float32](outs[0])
	mean := tensors.MustCopyFlatData[float32](outs[1])
	cls := tensors.MustCopyFlatData[float32](outs[2])
	d := cfg.HiddenSize
	for i, s := range ids {
		want := make([]float32, d)
		for j := range s {
			for k := range d {
				want[k] += h[(i*seq+j)*d+k] / float32(len(s))
			}
		}
		if e := maxAbsDiff(t, mean[i*d:(i+1)*d], want); e > 1e-5 {
			t.Errorf("text %d: mean pooling off by %.3g", i, e)
		}
		if e := maxAbsDiff(t, cls[i*d:(i+1)*d], h[i*seq*d:i*seq*d+d]); e != 0 {
			t.Errorf("text %d: cls pooling is not the first token (off by %.3g)", i, e)
		}
	}
}

// TestDropout: train=true changes the output, train=false is deterministic,
// and with the random state restored the train pass replays exactly.
func TestDropout(t *testing.T) {
	b := newBackend(t)
	cfg := smallConfig(ModelXLMRoberta, PoolingMean)
	ctx := mlctx.New()
	if err := InitRandom(ctx, cfg, 11); err != nil {
		t.Fatal(err)
	}
	ids := []int64{0, 5, 6, 7, 8, 9, 2}
	mask := []int64{1, 1, 1, 1, 1, 1, 1}
	run := func(train bool) []float32 {
		exec, err := mlctx.NewExec(b, ctx.Reuse(), func(ctx *mlctx.Context, ids, mask *graph.Node) *graph.Node {
			return Encode(ctx, cfg, ids, mask, train)
		})
		if err != nil {
			t.Fatal(err)
		}
		defer exec.Finalize()
		outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(ids, 1, len(ids)), tensors.FromFlatDataAndDimensions(mask, 1, len(ids)))
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](outs[0])
	}
	eval1, eval2 := run(false), run(false)
	if !slices.Equal(eval1, eval2) {
		t.Error("inference is not deterministic")
	}
	rng := ctx.GetVariableByScopeAndName(mlctx.RootScope, mlctx.RNGStateVariableName)
	train1 := run(true)
	if rng == nil {
		rng = ctx.GetVariableByScopeAndName(mlctx.RootScope, mlctx.RNGStateVariableName)
	}
	if rng == nil {
		t.Fatal("training pass created no random state variable")
	}
	if maxAbsDiff(t, train1, eval1) == 0 {
		t.Error("dropout had no effect with train=true")
	}
	train2 := run(true)
	if slices.Equal(train1, train2) {
		t.Error("two training passes drew the same dropout mask")
	}
	_ = train2
}

func TestConfigRoundTrip(t *testing.T) {
	for _, mt := range []string{ModelXLMRoberta, ModelBERT} {
		for _, pooling := range []string{PoolingMean, PoolingCLS} {
			t.Run(mt+"/"+pooling, func(t *testing.T) {
				cfg := smallConfig(mt, pooling)
				path := filepath.Join(t.TempDir(), "config.json")
				if err := cfg.WriteConfig(path); err != nil {
					t.Fatal(err)
				}
				got, err := ReadConfig(path)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(cfg, got); diff != "" {
					t.Errorf("config changed (-written +read):\n%s", diff)
				}
				var raw map[string]any
				b, _ := os.ReadFile(path)
				if err := json.Unmarshal(b, &raw); err != nil {
					t.Fatal(err)
				}
				wantArch := map[string]string{ModelXLMRoberta: "XLMRobertaModel", ModelBERT: "BertModel"}[mt]
				if arch, _ := raw["architectures"].([]any); len(arch) != 1 || arch[0] != wantArch {
					t.Errorf("architectures = %v, want [%s]", raw["architectures"], wantArch)
				}
			})
		}
	}
}

func TestReadConfigTiny(t *testing.T) {
	got, err := ReadConfig(filepath.Join(tinyDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ModelType: ModelXLMRoberta, VocabSize: 4002, HiddenSize: 64, NumLayers: 2, NumHeads: 4,
		IntermediateSize: 128, MaxPositions: 514, TypeVocabSize: 1, PadTokenID: 1,
		LayerNormEps: 1e-5, Pooling: PoolingMean,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tiny config (-want +got):\n%s", diff)
	}
	if got.MaxSequenceLength() != 512 {
		t.Errorf("MaxSequenceLength = %d, want 512", got.MaxSequenceLength())
	}
}

func TestReadConfigErrors(t *testing.T) {
	base := `"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 20`
	cases := []struct {
		name, json, want string
	}{
		{"deberta", `{"model_type": "deberta-v2", ` + base + `}`, `model_type "deberta-v2" is not implemented`},
		{"no type", `{` + base + `}`, `"model_type" is missing`},
		{"gelu_new", `{"model_type": "bert", "hidden_act": "gelu_new", ` + base + `}`, `hidden_act "gelu_new"`},
		{"relative", `{"model_type": "bert", "position_embedding_type": "relative_key", ` + base + `}`, `position_embedding_type "relative_key"`},
		{"heads", `{"model_type": "bert", "vocab_size": 10, "hidden_size": 9, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 20}`, "not a multiple"},
		{"pad", `{"model_type": "bert", "pad_token_id": 10, ` + base + `}`, "pad_token_id 10 is outside"},
		{"pooling", `{"model_type": "bert", "mimo_pooling": "max", ` + base + `}`, `pooling "max"`},
		{"syntax", `{"model_type": `, "unexpected end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(c.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadConfig(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("ReadConfig error = %v, want one naming %s and containing %q", err, path, c.want)
			}
		})
	}
}

// writeST writes a safetensors file of float32 tensors for the error tests.
func writeST(t *testing.T, tensors []stTensor) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := writeSafetensors(path, tensors, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// tensorsOf returns cfg's tensors from InitRandom, as a list to edit.
func tensorsOf(t *testing.T, cfg Config) []stTensor {
	t.Helper()
	ctx := mlctx.New()
	if err := InitRandom(ctx, cfg, 1); err != nil {
		t.Fatal(err)
	}
	vals := variableValues(t, ctx, cfg)
	var out []stTensor
	for _, s := range tensorSpecs(cfg) {
		out = append(out, stTensor{Name: s.Name, Shape: s.Shape, Data: vals[s.Name]})
	}
	return out
}

func TestLoadSafetensorsErrors(t *testing.T) {
	cfg := smallConfig(ModelXLMRoberta, PoolingMean)
	cases := []struct {
		name string
		edit func([]stTensor) []stTensor
		want string
	}{
		{"shape", func(ts []stTensor) []stTensor {
			for i := range ts {
				if ts[i].Name == "encoder.layer.1.intermediate.dense.weight" {
					ts[i].Shape = []int{cfg.HiddenSize, cfg.IntermediateSize}
				}
			}
			return ts
		}, `tensor "encoder.layer.1.intermediate.dense.weight" has shape [32 48], the config wants [48 32]`},
		{"missing", func(ts []stTensor) []stTensor {
			return slices.DeleteFunc(ts, func(s stTensor) bool { return s.Name == "encoder.layer.0.output.LayerNorm.bias" })
		}, `1 tensors missing, e.g. encoder.layer.0.output.LayerNorm.bias`},
		{"extra layer", func(ts []stTensor) []stTensor {
			return append(ts, stTensor{Name: "encoder.layer.2.output.dense.bias", Shape: []int{32}, Data: make([]float32, 32)})
		}, `not part of a xlm-roberta encoder with 2 layers: encoder.layer.2.output.dense.bias`},
		{"duplicate after prefix", func(ts []stTensor) []stTensor {
			return append(ts, stTensor{Name: "roberta.embeddings.LayerNorm.bias", Shape: []int{32}, Data: make([]float32, 32)})
		}, `are both "embeddings.LayerNorm.bias"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeST(t, c.edit(tensorsOf(t, cfg)))
			err := LoadSafetensors(mlctx.New(), cfg, path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("LoadSafetensors error = %v, want one naming the file and containing %q", err, c.want)
			}
		})
	}
}

// TestLoadSafetensorsPrefixesAndHeads: a task-model checkpoint (roberta.
// prefix, pooler, LM head, position_ids buffer) loads the same weights.
func TestLoadSafetensorsPrefixesAndHeads(t *testing.T) {
	cfg := smallConfig(ModelXLMRoberta, PoolingMean)
	plain := tensorsOf(t, cfg)
	var prefixed []stTensor
	for _, s := range plain {
		s.Name = "roberta." + s.Name
		prefixed = append(prefixed, s)
	}
	prefixed = append(prefixed,
		stTensor{Name: "roberta.pooler.dense.weight", Shape: []int{32, 32}, Data: make([]float32, 32*32)},
		stTensor{Name: "lm_head.bias", Shape: []int{97}, Data: make([]float32, 97)},
		stTensor{Name: "roberta.embeddings.position_ids", Shape: []int{1, 66}, Data: make([]float32, 66)},
	)
	ctxA, ctxB := mlctx.New(), mlctx.New()
	if err := LoadSafetensors(ctxA, cfg, writeST(t, plain)); err != nil {
		t.Fatal(err)
	}
	if err := LoadSafetensors(ctxB, cfg, writeST(t, prefixed)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(variableValues(t, ctxA, cfg), variableValues(t, ctxB, cfg)); diff != "" {
		t.Errorf("prefixed checkpoint loads differently:\n%s", diff)
	}
}

// TestLoadHalfPrecision: F16 and BF16 tensors are widened exactly.
func TestLoadHalfPrecision(t *testing.T) {
	// A one-tensor file built by hand: bf16 1.5 = 0x3FC0, f16 -2 = 0xC000.
	for _, c := range []struct {
		dtype string
		bits  uint16
		want  float32
	}{{"BF16", 0x3FC0, 1.5}, {"F16", 0xC000, -2}} {
		t.Run(c.dtype, func(t *testing.T) {
			hdr := `{"x":{"dtype":"` + c.dtype + `","shape":[2],"data_offsets":[0,4]}}`
			var buf []byte
			buf = binary.LittleEndian.AppendUint64(buf, uint64(len(hdr)))
			buf = append(buf, hdr...)
			buf = binary.LittleEndian.AppendUint16(buf, c.bits)
			buf = binary.LittleEndian.AppendUint16(buf, c.bits)
			path := filepath.Join(t.TempDir(), "x.safetensors")
			if err := os.WriteFile(path, buf, 0o644); err != nil {
				t.Fatal(err)
			}
			st, err := openSafetensors(path)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			got, err := st.float32s("x")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]float32{c.want, c.want}, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestSafetensorsHeaderErrors(t *testing.T) {
	cases := []struct{ name, hdr, want string }{
		{"dtype", `{"x":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}`, `dtype "I8" is not supported`},
		{"offsets", `{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, `data_offsets [0 4] do not hold F32[2]`},
		{"json", `{"x":`, "header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf []byte
			buf = binary.LittleEndian.AppendUint64(buf, uint64(len(c.hdr)))
			buf = append(buf, c.hdr...)
			buf = append(buf, make([]byte, 8)...)
			path := filepath.Join(t.TempDir(), "bad.safetensors")
			if err := os.WriteFile(path, buf, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := openSafetensors(path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error = %v, want one naming the file and containing %q", err, c.want)
			}
		})
	}
}

func TestInitRandom(t *testing.T) {
	cfg := smallConfig(ModelXLMRoberta, PoolingMean)
	a, b, c := mlctx.New(), mlctx.New(), mlctx.New()
	for ctx, seed := range map[*mlctx.Context]int64{a: 1, b: 1, c: 2} {
		if err := InitRandom(ctx, cfg, seed); err != nil {
			t.Fatal(err)
		}
	}
	va, vb, vc := variableValues(t, a, cfg), variableValues(t, b, cfg), variableValues(t, c, cfg)
	if diff := cmp.Diff(va, vb); diff != "" {
		t.Error("same seed, different weights")
	}
	if cmp.Equal(va, vc) {
		t.Error("different seeds, same weights")
	}
	w := va["encoder.layer.0.attention.self.query.weight"]
	var sum, sq float64
	for _, x := range w {
		if math.Abs(float64(x)) > 2*initStd+1e-7 {
			t.Fatalf("value %g outside the 2-sigma truncation", x)
		}
		sum += float64(x)
		sq += float64(x) * float64(x)
	}
	n := float64(len(w))
	// A normal truncated at 2 sigma has std 0.88 sigma.
	if std := math.Sqrt(sq/n - (sum/n)*(sum/n)); std < 0.8*initStd || std > 0.95*initStd {
		t.Errorf("weight std %.4f, want about %.4f", std, 0.88*initStd)
	}
	h := cfg.HiddenSize
	for _, name := range []string{"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight"} {
		row := va[name][cfg.PadTokenID*h : (cfg.PadTokenID+1)*h]
		if slices.ContainsFunc(row, func(x float32) bool { return x != 0 }) {
			t.Errorf("%s: padding row is not zero", name)
		}
	}
	if !slices.Equal(va["encoder.layer.1.output.LayerNorm.weight"], slices.Repeat([]float32{1}, h)) {
		t.Error("LayerNorm gain is not 1")
	}
}

func TestEncodeNeedsWeights(t *testing.T) {
	b := newBackend(t)
	cfg := smallConfig(ModelBERT, PoolingMean)
	if _, err := NewModel(b, mlctx.New(), cfg); err == nil || !strings.Contains(err.Error(), "load or initialise") {
		t.Errorf("NewModel without weights: error = %v", err)
	}
	m := randomModel(t, b, cfg, 1)
	if _, err := m.Forward([][]int64{{5, 200}}, 0); err == nil || !strings.Contains(err.Error(), "id 200 outside") {
		t.Errorf("out-of-vocabulary id: error = %v", err)
	}
	long := make([]int64, cfg.MaxSequenceLength()+1)
	if _, err := m.Forward([][]int64{long}, 0); err == nil || !strings.Contains(err.Error(), "do not fit") {
		t.Errorf("too long: error = %v", err)
	}
}

func TestBackendSelection(t *testing.T) {
	for _, c := range []struct{ config, device, env, want string }{
		{"", "", "", "go"},
		{"", "cpu", "", "go"},
		{"", "cuda", "", "xla:cuda"},
		{"", "cuda", "go", "go"},
		{"xla:cpu", "cuda", "go", "xla:cpu"},
	} {
		for _, retired := range RetiredBackendEnvs {
			t.Setenv(retired, "")
		}
		t.Setenv(BackendEnv, c.env)
		got, err := BackendConfig(c.config, c.device)
		if err != nil || got != c.want {
			t.Errorf("BackendConfig(%q, %q) with $%s=%q = %q, %v; want %q", c.config, c.device, BackendEnv, c.env, got, err, c.want)
		}
	}
	t.Setenv(BackendEnv, "")
	if _, err := BackendConfig("", "cuda:1"); err == nil {
		t.Error("cuda:1 accepted")
	}
	if !xlaCompiled {
		_, err := NewBackend("xla:cuda")
		if err == nil || !strings.Contains(err.Error(), "-tags xla") {
			t.Errorf("xla without the build tag: error = %v", err)
		}
	}
}

func TestPositionIDs(t *testing.T) {
	b := newBackend(t)
	ids := []int32{0, 5, 6, 2, 1, 1, 0, 7, 2, 9, 1, 1}
	cases := []struct {
		modelType string
		want      []int32
	}{
		// XLM-R: count non-pad tokens from pad+1 = 2; pads get pad = 1.
		{ModelXLMRoberta, []int32{2, 3, 4, 5, 1, 1, 2, 3, 4, 5, 1, 1}},
		// BERT (pad 0 here is irrelevant): 0..seq-1.
		{ModelBERT, []int32{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}},
	}
	for _, c := range cases {
		t.Run(c.modelType, func(t *testing.T) {
			cfg := smallConfig(c.modelType, PoolingMean)
			cfg.PadTokenID = 1
			exec, err := graph.NewExec(b, func(ids *graph.Node) *graph.Node { return positionIDs(cfg, ids) })
			if err != nil {
				t.Fatal(err)
			}
			defer exec.Finalize()
			out, err := exec.Exec(tensors.FromFlatDataAndDimensions(ids, 2, 6))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, tensors.MustCopyFlatData[int32](out[0])); diff != "" {
				t.Errorf("position ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRetiredBackendEnvs: each variable that chose a backend before
// $GOMLX_BACKEND is an error naming $GOMLX_BACKEND, even when
// $GOMLX_BACKEND is set too.
func TestRetiredBackendEnvs(t *testing.T) {
	for _, name := range RetiredBackendEnvs {
		t.Run(name, func(t *testing.T) {
			for _, other := range RetiredBackendEnvs {
				t.Setenv(other, "")
			}
			t.Setenv(BackendEnv, "go")
			t.Setenv(name, "xla:cuda")
			_, err := BackendConfig("", "")
			if !errors.Is(err, ErrRetiredBackendEnv) || !strings.Contains(err.Error(), "GOMLX_BACKEND=xla:cuda") || !strings.Contains(err.Error(), name) {
				t.Errorf("$%s set: error = %v, want an ErrRetiredBackendEnv naming it and $GOMLX_BACKEND", name, err)
			}
		})
	}
}

// TestTrainingBackendConfig is the configuration training records: the
// flag, else $GOMLX_BACKEND, else "go", with sequential ops added to a
// pure-Go configuration that names no ops_* mode.
func TestTrainingBackendConfig(t *testing.T) {
	for _, retired := range RetiredBackendEnvs {
		t.Setenv(retired, "")
	}
	t.Setenv(BackendEnv, "")
	config := func(in string) string {
		c, err := BackendConfig(in, "")
		if err != nil {
			t.Fatal(err)
		}
		return SequentialOps(c)
	}
	cases := []struct{ in, want string }{
		{"", "go:ops_sequential"},
		{"go", "go:ops_sequential"},
		{"go:parallelism=2", "go:parallelism=2,ops_sequential"},
		{"go:ops_parallel", "go:ops_parallel"},
		{"xla:cuda", "xla:cuda"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := config(c.in); got != c.want {
				t.Fatalf("Config(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
	t.Setenv(BackendEnv, "go:parallelism=1")
	if got := config(""); got != "go:parallelism=1,ops_sequential" {
		t.Fatalf("env: %q", got)
	}
	if _, err := NewBackend("nosuch"); err == nil {
		t.Fatal("unknown backend accepted")
	}
	b, err := NewBackend(config(""))
	if err != nil {
		t.Fatal(err)
	}
	b.Finalize()
}
