package onnx

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/testenv"
	"github.com/mimo-mlir/mimo/tokenize"
)

const tinyDir = "testdata/tiny-xlmr"

// golden is testdata/tiny-xlmr/golden.json, written by tools/tinymodel/gen.py
// from PyTorch (the independent forward pass) and SentencePiece ids.
type golden struct {
	Texts     []string    `json:"texts"`
	InputIDs  [][]int64   `json:"input_ids"`
	Mean      [][]float64 `json:"mean"`
	CLS       [][]float64 `json:"cls"`
	Hidden    [][][]float64
	Truncated struct {
		Text      string    `json:"text"`
		MaxLength int       `json:"max_length"`
		InputIDs  []int64   `json:"input_ids"`
		Mean      []float64 `json:"mean"`
		CLS       []float64 `json:"cls"`
	} `json:"truncated"`
}

func readGolden(t testing.TB) golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tinyDir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	var h struct {
		Hidden [][][]float64 `json:"last_hidden_state"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	g.Hidden = h.Hidden
	return g
}

// needRuntime requires libonnxruntime.so (internal/testenv: skipped
// under -short, a failure in a full run).
func needRuntime(t testing.TB) {
	t.Helper()
	_, err := FindLibrary("")
	testenv.Require(t, !errors.Is(err, ErrNoLibrary), "ONNX Runtime library", "run `make ort` (scripts/get-onnxruntime.sh) or set ONNXRUNTIME_LIB")
}

// openTiny opens the tiny model with the folder edited by edit.
func openTiny(t testing.TB, opts adapters.Options, edit func(*adapters.Folder)) *Encoder {
	t.Helper()
	needRuntime(t)
	f, err := adapters.ReadFolder(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&f)
	}
	e, err := Open(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func noNormalize(pooling string) func(*adapters.Folder) {
	return func(f *adapters.Folder) {
		no := false
		f.Normalize, f.Pooling, f.Prompts = &no, pooling, nil
	}
}

// approx compares vectors to 1e-5 (absolute).
var approx = cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-5 })

func toF64(vs [][]float32) [][]float64 {
	out := make([][]float64, len(vs))
	for i, v := range vs {
		out[i] = make([]float64, len(v))
		for k, x := range v {
			out[i][k] = float64(x)
		}
	}
	return out
}

func TestTokenizerMatchesGoldenIDs(t *testing.T) {
	g := readGolden(t)
	tok, err := tokenize.Load(filepath.Join(tinyDir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	encs, err := tok.EncodeBatch(g.Texts, 512)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range encs {
		if d := cmp.Diff(g.InputIDs[i], e.IDs); d != "" {
			t.Errorf("text %d %q (-want +got):\n%s", i, g.Texts[i], d)
		}
	}
}

// TestGoldenPooling runs all golden texts in one call (so they are batched
// and padded together) and compares with PyTorch, text by text.
func TestGoldenPooling(t *testing.T) {
	g := readGolden(t)
	for _, tc := range []struct {
		pooling   string
		batchSize int
		want      [][]float64
	}{
		{PoolMean, 0, g.Mean},
		{PoolCLS, 0, g.CLS},
		{PoolMean, 3, g.Mean},
		{PoolCLS, 5, g.CLS},
	} {
		t.Run(tc.pooling+"/batch"+itoa(tc.batchSize), func(t *testing.T) {
			e := openTiny(t, adapters.Options{BatchSize: tc.batchSize}, noNormalize(tc.pooling))
			got, err := e.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, toF64(got), approx); d != "" {
				t.Errorf("vectors differ from golden.json (-want +got):\n%s", d)
			}
		})
	}
}

// TestLastTokenLeftPadding: with left padding, the last-token vector of a
// batched text equals the last hidden state of the text run alone.
func TestLastTokenLeftPadding(t *testing.T) {
	g := readGolden(t)
	e := openTiny(t, adapters.Options{}, noNormalize(PoolLastToken))
	got, err := e.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts[:2]})
	if err != nil {
		t.Fatal(err)
	}
	var want [][]float64
	for _, h := range g.Hidden[:2] {
		want = append(want, h[len(h)-1])
	}
	if len(g.InputIDs[0]) == len(g.InputIDs[1]) {
		t.Fatal("golden texts 0 and 1 have the same length: the test would not pad")
	}
	if d := cmp.Diff(want, toF64(got), approx); d != "" {
		t.Errorf("last-token vectors (-want +got):\n%s", d)
	}
}

func TestTruncation(t *testing.T) {
	g := readGolden(t)
	tr := g.Truncated
	for _, tc := range []struct {
		pooling string
		want    []float64
	}{{PoolMean, tr.Mean}, {PoolCLS, tr.CLS}} {
		t.Run(tc.pooling, func(t *testing.T) {
			e := openTiny(t, adapters.Options{MaxLength: tr.MaxLength}, noNormalize(tc.pooling))
			if got := e.Identity().MaxLength; got != tr.MaxLength {
				t.Errorf("identity max_length %d, want %d", got, tr.MaxLength)
			}
			got, err := e.Encode(context.Background(), adapters.Request{Texts: []string{tr.Text}})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([][]float64{tc.want}, toF64(got), approx); d != "" {
				t.Errorf("truncated vector (-want +got):\n%s", d)
			}
		})
	}
}

// TestFolderDefaults opens the committed folder as is: mean pooling,
// normalised vectors, query/document prompts.
func TestFolderDefaults(t *testing.T) {
	g := readGolden(t)
	e := openTiny(t, adapters.Options{}, nil)
	plain := openTiny(t, adapters.Options{}, func(f *adapters.Folder) { f.Prompts = nil })
	id := e.Identity()
	if id.Dim != 64 || e.Dim() != 64 || id.Kind != Kind || id.Pooling != PoolMean || !id.Normalize || id.Name != "mimo/tiny-xlmr" {
		t.Errorf("identity %+v", id)
	}
	ctx := context.Background()
	docs, err := e.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts[:3]})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range docs {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(n-1) > 1e-5 {
			t.Errorf("text %d: |v|² = %g, want 1", i, n)
		}
	}
	queries, err := e.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Texts: g.Texts[:1]})
	if err != nil {
		t.Fatal(err)
	}
	prompted, err := plain.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Texts: []string{"query: " + g.Texts[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(toF64(prompted), toF64(queries), approx); d != "" {
		t.Errorf("query prompt not applied (-want +got):\n%s", d)
	}
	if d := cmp.Diff(toF64(docs[:1]), toF64(queries), approx); d == "" {
		t.Error("query and document vectors are equal: prompts ignored")
	}
}

func TestOpenFolderRegistered(t *testing.T) {
	needRuntime(t)
	f, err := adapters.ReadFolder(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := adapters.OpenFolder(context.Background(), f, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := enc.Encode(context.Background(), adapters.Request{Texts: []string{"x"}}); err == nil {
		t.Error("Encode after Close succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	needRuntime(t)
	for _, tc := range []struct {
		name string
		edit func(*adapters.Folder)
		opts adapters.Options
		want string
	}{
		{"pooling", func(f *adapters.Folder) { f.Pooling = "max" }, adapters.Options{}, `pooling "max"`},
		{"onnx", func(f *adapters.Folder) { f.ONNX = "missing.onnx" }, adapters.Options{}, "missing.onnx"},
		{"tokenizer", func(f *adapters.Folder) { f.Tokenizer = "nope.json" }, adapters.Options{}, "nope.json"},
		{"dim", func(f *adapters.Folder) { f.Dim = 32 }, adapters.Options{}, "dim 32"},
		{"device", nil, adapters.Options{Device: "tpu"}, `device "tpu"`},
		{"budget", func(f *adapters.Folder) { f.Options = map[string]any{"token_budget": -1.0} }, adapters.Options{}, "token_budget"},
		{"library", nil, adapters.Options{ORTLibrary: "/nonexistent/libonnxruntime.so"}, "/nonexistent/libonnxruntime.so"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := adapters.ReadFolder(tinyDir)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(&f)
			}
			e, err := Open(context.Background(), f, tc.opts)
			if err == nil {
				e.Close()
				t.Fatalf("Open succeeded, want an error mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestFindLibraryMissing(t *testing.T) {
	t.Setenv(LibraryEnv, "")
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.Chdir(wd); err != nil {
			t.Fatal(err)
		}
	}()
	// The test binary lives in a temp dir too, so nothing is found.
	if _, err := FindLibrary(""); err != nil && !errors.Is(err, ErrNoLibrary) {
		t.Errorf("error %v, want ErrNoLibrary", err)
	} else if err != nil && !strings.Contains(err.Error(), "scripts/get-onnxruntime.sh") {
		t.Errorf("error %q does not say how to get the library", err)
	}
	if _, err := FindLibrary(filepath.Join(dir, "nope.so")); err == nil {
		t.Error("explicit missing library accepted")
	}
}

func TestPool(t *testing.T) {
	// b=1, seq=3, dim=2; the first position is padding (left-padded).
	hidden := []float32{9, 9, 1, 2, 3, 4}
	mask := []int64{0, 1, 1}
	for _, tc := range []struct {
		pooling string
		want    []float32
	}{
		{PoolMean, []float32{2, 3}},
		{PoolCLS, []float32{1, 2}},
		{PoolLastToken, []float32{3, 4}},
	} {
		t.Run(tc.pooling, func(t *testing.T) {
			if d := cmp.Diff([][]float32{tc.want}, Pool(hidden, mask, 1, 3, 2, tc.pooling)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	v := []float32{3, 4}
	adapters.Normalize(v)
	if d := cmp.Diff([]float32{0.6, 0.8}, v); d != "" {
		t.Errorf("Normalize (-want +got):\n%s", d)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func BenchmarkEncodeTiny(b *testing.B) {
	g := readGolden(b)
	e := openTiny(b, adapters.Options{}, nil)
	texts := append(append([]string{}, g.Texts...), g.Texts...)
	b.ResetTimer()
	for range b.N {
		if _, err := e.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: texts}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "texts/s")
}

// TestCUDA runs the golden on the CUDA execution provider when the loaded
// library has one (an onnxruntime-gpu build via ONNXRUNTIME_LIB on a GPU
// machine); with the CPU build it checks that the error says what to do.
func TestCUDA(t *testing.T) {
	needRuntime(t)
	g := readGolden(t)
	f, err := adapters.ReadFolder(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	noNormalize(PoolMean)(&f)
	e, err := Open(context.Background(), f, adapters.Options{Device: "cuda:0"})
	if err != nil {
		if !strings.Contains(err.Error(), LibraryEnv) {
			t.Errorf("CUDA error %q does not say how to get a GPU build", err)
		}
		t.Skipf("no CUDA provider in this ONNX Runtime: %v", err)
	}
	defer e.Close()
	got, err := e.Encode(context.Background(), adapters.Request{Texts: g.Texts})
	if err != nil {
		t.Fatal(err)
	}
	loose := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-4 })
	if d := cmp.Diff(g.Mean, toF64(got), loose); d != "" {
		t.Errorf("CUDA vectors differ from golden.json (-want +got):\n%s", d)
	}
}

// TestCUDAErrorNamesLibrary: with a library that cannot run CUDA (the CPU
// build here), --device cuda fails with ErrNoCUDA, naming the library in
// use, where its path came from, the provider libraries missing beside it
// and where a GPU build comes from.
func TestCUDAErrorNamesLibrary(t *testing.T) {
	needRuntime(t)
	lib, err := FindLibrary("")
	if err != nil {
		t.Fatal(err)
	}
	f, err := adapters.ReadFolder(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(context.Background(), f, adapters.Options{Device: "cuda:0"})
	if err == nil {
		e.Close()
		t.Skip("this ONNX Runtime appends the CUDA provider: nothing to explain")
	}
	if !errors.Is(err, ErrNoCUDA) {
		t.Fatalf("err = %v, want ErrNoCUDA", err)
	}
	want := []string{
		"device cuda:0", "ONNX Runtime library " + lib, "onnxruntime-gpu", "onnxruntime-linux-x64-gpu-VERSION.tgz",
		"libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so", LibraryEnv,
	}
	if _, serr := os.Stat(filepath.Join(filepath.Dir(lib), "libonnxruntime_providers_cuda.so")); serr != nil {
		want = append(want, "no libonnxruntime_providers_cuda.so", "this is a CPU build")
	}
	if os.Getenv(LibraryEnv) != "" {
		want = append(want, "(from $"+LibraryEnv+")")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not say %q:\n%v", w, err)
		}
	}
	if _, err := Open(context.Background(), f, adapters.Options{Device: "cuda:x"}); err == nil || errors.Is(err, ErrNoCUDA) || !strings.Contains(err.Error(), `device id "x"`) {
		t.Errorf("cuda:x: err = %v, want a bad device id", err)
	}
}

// TestSessionTime: the time inside ONNX Runtime's Run is counted for every
// batch, never exceeds the wall time of the Encode calls around it, and
// starts at zero.
func TestSessionTime(t *testing.T) {
	g := readGolden(t)
	e := openTiny(t, adapters.Options{BatchSize: 2}, nil)
	if got := e.SessionTime(); got != 0 {
		t.Fatalf("SessionTime after Open = %v, want 0", got)
	}
	var wall time.Duration
	var last time.Duration
	for round := range 3 {
		t0 := time.Now()
		if _, err := e.Encode(context.Background(), adapters.Request{Role: adapters.RoleDocument, Texts: g.Texts}); err != nil {
			t.Fatal(err)
		}
		wall += time.Since(t0)
		got := e.SessionTime()
		if got <= last {
			t.Errorf("round %d: SessionTime %v did not grow from %v", round, got, last)
		}
		if got > wall {
			t.Errorf("round %d: SessionTime %v exceeds the wall time of the Encode calls %v", round, got, wall)
		}
		last = got
	}
}
