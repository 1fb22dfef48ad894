package precomputed

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
)

var ctx = context.Background()

func ident(dim int) adapters.Identity {
	return adapters.Identity{Name: "org/teacher", Revision: "abc", Kind: "onnx", Pooling: "mean", Normalize: true, Dim: dim,
		Prompts: map[string]string{"query": "query: ", "document": "passage: "}}
}

func vec(seed, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(math.Sin(float64(seed*dim+i))) * 3
	}
	return v
}

func TestWriteOpenLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.mvec")
	texts := []string{"query: hello", "passage: hello", "", "日本語のテキスト"}
	var vecs [][]float32
	for i := range texts {
		vecs = append(vecs, vec(i, 7))
	}
	if err := Write(path, ident(7), texts, vecs); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := f.Header()
	if h.Count != 4 || h.Dim != 7 || h.Dtype != Float32 || h.Key != KeyScheme || h.Identity.Key() != ident(7).Key() {
		t.Errorf("header %+v", h)
	}
	for i, text := range texts {
		got, ok := f.Lookup(text)
		if !ok {
			t.Fatalf("text %d (%q) not found", i, text)
		}
		if !cmp.Equal(got, vecs[i]) {
			t.Errorf("text %d: got %v, want %v (float32 must round-trip exactly)", i, got, vecs[i])
		}
	}
	if _, ok := f.Lookup("hello"); ok {
		t.Error("the unprompted text must not be found")
	}
}

func TestWriterIncremental(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.mvec")
	w, err := Create(path, ident(4))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := w.Add(fmt.Sprint("text ", i), vec(i, 4)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add("text 5", vec(999, 4)); err != nil { // duplicate: first kept
		t.Fatal(err)
	}
	if !w.Has("text 42") || w.Has("text 100") || w.Len() != 100 {
		t.Errorf("Has/Len wrong: len %d", w.Len())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("file visible before Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("late", vec(1, 4)); err == nil {
		t.Error("Add after Close: no error")
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Len() != 100 || f.Header().Duplicates != 1 {
		t.Errorf("len %d, duplicates %d; want 100, 1", f.Len(), f.Header().Duplicates)
	}
	got, _ := f.Lookup("text 5")
	if !cmp.Equal(got, vec(5, 4)) {
		t.Error("duplicate Add replaced the first vector")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

func TestWriterErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.mvec")
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"wrong dim", func() error { return Write(path, ident(3), []string{"a"}, [][]float32{{1, 2}}) }, "vector has 2 dimensions, want 3"},
		{"NaN", func() error {
			return Write(path, ident(2), []string{"a", "b"}, [][]float32{{1, 2}, {1, float32(math.NaN())}})
		}, `text 1: precomputed ` + path + `: text "b": value 1 is NaN`},
		{"Inf", func() error { return Write(path, ident(1), []string{"a"}, [][]float32{{float32(math.Inf(-1))}}) }, "value 0 is -Inf"},
		{"count mismatch", func() error { return Write(path, ident(1), []string{"a", "b"}, [][]float32{{1}}) }, "2 texts but 1 vectors"},
		{"no dim", func() error { _, err := Create(path, ident(0)); return err }, "identity dim is 0"},
		{"bad dtype", func() error { _, err := Create(path, ident(2), WithDtype("int8")); return err }, `dtype "int8" is not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("a failed write left %s behind", path)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("temporary files left behind: %v", ents)
			}
		})
	}
}

func TestCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.mvec")
	if err := Write(good, ident(3), []string{"a", "b"}, [][]float32{{1, 2, 3}, {4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"bad magic", append([]byte("NOTMVEC1"), b[8:]...), "not a vectors file"},
		{"truncated", b[:len(b)-5], "bad trailer magic"},
		{"missing vector bytes", append(append([]byte{}, b[:8]...), b[12:]...), "corrupt trailer"},
		{"bad header json", []byte(strings.Replace(string(b), `"format":1`, `"format":x`, 1)), "header"},
		{"future format", []byte(strings.Replace(string(b), `"format":1`, `"format":7`, 1)), "format version 7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("err = %v, want one naming %s and containing %q", err, p, tc.want)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "absent")); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("absent file: err = %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestFloat16(t *testing.T) {
	tests := []struct {
		f    float32
		bits uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.1, 0x2e66},
		{65504, 0x7bff},
		{65520, 0x7c00},                       // rounds up to Inf
		{1 + 1.0/2048, 0x3c00},                // tie, rounds to even (down)
		{1 + 3.0/2048, 0x3c02},                // tie, rounds to even (up)
		{float32(math.Ldexp(1, -24)), 0x0001}, // smallest subnormal
		{float32(math.Ldexp(1, -14)), 0x0400}, // smallest normal
		{float32(math.Ldexp(1, -26)), 0x0000}, // underflows
		{float32(math.Ldexp(3, -26)), 0x0001}, // 0.75 of the smallest subnormal rounds up
		{float32(math.Inf(1)), 0x7c00},
	}
	for _, tc := range tests {
		if got := f32to16(tc.f); got != tc.bits {
			t.Errorf("f32to16(%g) = %#04x, want %#04x", tc.f, got, tc.bits)
		}
	}
	if h := f32to16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN -> %#04x", h)
	}
	// Every finite half converts to float32 and back unchanged.
	for h := range uint16(0xffff) {
		if h&0x7c00 == 0x7c00 {
			continue
		}
		if back := f32to16(f16to32(h)); back != h {
			t.Fatalf("half %#04x -> %g -> %#04x", h, f16to32(h), back)
		}
	}

	path := filepath.Join(t.TempDir(), "h.mvec")
	w, err := Create(path, ident(64), WithDtype(Float16))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("x", vec(1, 64)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Header().Identity.Dtype != Float16 {
		t.Errorf("identity dtype %q, want float16", f.Header().Identity.Dtype)
	}
	got, _ := f.Lookup("x")
	for i, x := range vec(1, 64) {
		if d := math.Abs(float64(got[i] - x)); d > math.Abs(float64(x))/1024 {
			t.Errorf("dim %d: %g vs %g", i, got[i], x)
		}
	}
	p32 := filepath.Join(t.TempDir(), "f.mvec")
	if err := Write(p32, ident(64), []string{"x"}, [][]float32{vec(1, 64)}); err != nil {
		t.Fatal(err)
	}
	s16, _ := os.Stat(path)
	s32, _ := os.Stat(p32)
	if s32.Size()-s16.Size() < 64*2-40 {
		t.Errorf("float16 file (%d bytes) should be 2 bytes per value smaller than float32 (%d)", s16.Size(), s32.Size())
	}
}

func TestAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.mvec")
	if err := Write(path, ident(3), []string{"a", "b"}, [][]float32{{1, 2, 3}, {4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	w, err := Append(path, ident(3))
	if err != nil {
		t.Fatal(err)
	}
	if !w.Has("a") || w.Len() != 2 {
		t.Fatalf("appending writer does not hold the old vectors (len %d)", w.Len())
	}
	if err := w.Add("c", []float32{7, 8, 9}); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("a", []float32{0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for text, want := range map[string][]float32{"a": {1, 2, 3}, "b": {4, 5, 6}, "c": {7, 8, 9}} {
		if got, ok := f.Lookup(text); !ok || !cmp.Equal(got, want) {
			t.Errorf("%s: %v %v, want %v", text, got, ok, want)
		}
	}
	other := ident(3)
	other.Revision = "def"
	if _, err := Append(path, other); err == nil || !strings.Contains(err.Error(), "cannot append") {
		t.Errorf("append with another identity: err = %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "new.mvec")
	w, err = Append(fresh, ident(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("z", []float32{1, 1, 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEncoderAndFolder(t *testing.T) {
	dir := t.TempDir()
	texts := []string{"query: capital of France?", "passage: Paris is the capital of France.", "passage: Berlin is in Germany."}
	vecs := [][]float32{{1, 0}, {0.8, 0.6}, {0, 1}}
	if err := Write(filepath.Join(dir, "vectors.mvec"), ident(2), texts, vecs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), []byte(`{"kind": "precomputed", "vectors": "vectors.mvec"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := adapters.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := adapters.OpenFolder(ctx, f, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	id := enc.Identity()
	if id.Kind != "precomputed" || id.Extra["source_kind"] != "onnx" || id.Name != "org/teacher" || enc.Dim() != 2 {
		t.Errorf("identity %+v", id)
	}
	q, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Texts: []string{"capital of France?"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: []string{"Berlin is in Germany.", "Paris is the capital of France."}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]float32{{1, 0}}, q); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([][]float32{{0, 1}, {0.8, 0.6}}, d); diff != "" {
		t.Error(diff)
	}
	_, err = enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: []string{"Paris is the capital of France.", "capital of France?"}})
	if err == nil || !strings.Contains(err.Error(), `text 1 (document, prompt "passage: ") has no vector: "capital of France?"`) {
		t.Errorf("missing text: err = %v", err)
	}

	if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), []byte(`{"kind": "precomputed", "vectors": "vectors.mvec", "dim": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ = adapters.ReadFolder(dir)
	if _, err := adapters.OpenFolder(ctx, f, adapters.Options{}); err == nil || !strings.Contains(err.Error(), "dim 3") {
		t.Errorf("dim mismatch: err = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), []byte(`{"kind": "precomputed"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ = adapters.ReadFolder(dir)
	if _, err := adapters.OpenFolder(ctx, f, adapters.Options{}); err == nil || !strings.Contains(err.Error(), `needs field "vectors"`) {
		t.Errorf("no vectors field: err = %v", err)
	}
}

func benchFile(b *testing.B, n, dim int) (*File, []string) {
	path := filepath.Join(b.TempDir(), "bench.mvec")
	w, err := Create(path, ident(dim))
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, n)
	v := vec(1, dim)
	for i := range texts {
		texts[i] = fmt.Sprintf("passage: text number %d of the benchmark corpus", i)
		if err := w.Add(texts[i], v); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f, texts
}

func BenchmarkLookup(b *testing.B) {
	f, texts := benchFile(b, 20000, 768)
	dst := make([]float32, 768)
	i := 0
	b.SetBytes(768 * 4)
	for b.Loop() {
		if ok, err := f.LookupInto(dst, texts[i%len(texts)]); !ok || err != nil {
			b.Fatal("miss")
		}
		i += 7919
	}
}

func BenchmarkWrite(b *testing.B) {
	v := vec(1, 768)
	b.SetBytes(768 * 4)
	path := filepath.Join(b.TempDir(), "w.mvec")
	w, err := Create(path, ident(768))
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if err := w.Add(fmt.Sprint("passage: ", i), v); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
