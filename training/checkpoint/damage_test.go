package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// damageCtx holds a student weight and an optimiser moment, the two kinds
// of variable a training checkpoint carries.
func damageCtx(t *testing.T) *context.Context {
	t.Helper()
	ctx := context.New()
	w := make([]float32, 64)
	m := make([]float32, 64)
	for i := range w {
		w[i], m[i] = float32(i)/7, -float32(i)/13
	}
	ctx.In("student").VariableWithValue("w", tensors.FromFlatDataAndDimensions(w, 8, 8))
	ctx.In("optim").VariableWithValue("m", tensors.FromFlatDataAndDimensions(m, 64)).SetTrainable(false)
	return ctx
}

// regions finds, in a good file, where the header, each variable's data and
// the tail lie. It parses the layout itself (not through the package), so
// that a layout change shows here.
type regions struct {
	headerStart, headerEnd int
	vars                   map[string][2]int // "/student/w" -> [start, end)
	dataEnd                int
}

func findRegions(t *testing.T, b []byte) regions {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("MIMOCKPT")) {
		t.Fatalf("no magic: %q", b[:10])
	}
	n := int(binary.LittleEndian.Uint64(b[10:18]))
	r := regions{headerStart: 18, headerEnd: 18 + n, vars: map[string][2]int{}}
	var h struct {
		Variables []struct {
			Scope, Name string
			Offset      int
			Bytes       int
		} `json:"variables"`
	}
	if err := json.Unmarshal(b[18:18+n], &h); err != nil {
		t.Fatal(err)
	}
	data := 18 + n
	if bytes.HasPrefix(b, []byte("MIMOCKPT2")) {
		data += 4 // the header's CRC32C
	}
	for _, v := range h.Variables {
		r.vars[v.Scope+"/"+v.Name] = [2]int{data + v.Offset, data + v.Offset + v.Bytes}
		r.dataEnd = max(r.dataEnd, data+v.Offset+v.Bytes)
	}
	return r
}

// TestDamagedCheckpoint: bytes flipped in every part of the file, a cut or
// an appended tail, are each an error that names the file and the part
// (the header, the variable, the tail), and Load leaves the context as it
// was. The reproduction (200 bytes flipped, resumed silently into
// another model) is the "200-bytes" case.
func TestDamagedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "checkpoint.mimo")
	if err := Save(good, damageCtx(t), map[string]int{"step": 7}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	rg := findRegions(t, b)
	flip := func(offs ...int) []byte {
		c := bytes.Clone(b)
		for _, o := range offs {
			if o < len(c) {
				c[o] ^= 0x40
			}
		}
		return c
	}
	set := func(off int, c byte) []byte {
		x := bytes.Clone(b)
		x[off] = c
		return x
	}
	span := func(from, n int) []int {
		var o []int
		for i := from; i < from+n && i < len(b); i++ {
			o = append(o, i)
		}
		return o
	}
	// Edits that keep the header valid JSON: a silent change of the step
	// and of a variable's shape.
	step := bytes.Index(b, []byte(`"step":7`)) + len(`"step":`)
	dims := bytes.Index(b, []byte(`"dims":[8,8]`)) + len(`"dims":[8,`)
	w, m := rg.vars["/student/w"], rg.vars["/optim/m"]
	cases := []struct {
		name    string
		content []byte
		want    []string // every one must appear in the error
	}{
		{"magic", flip(2), []string{"not a mimo checkpoint"}},
		{"header-length", flip(12), []string{"header"}},
		{"header-state", set(step, '8'), []string{"header", "checksum"}},
		{"header-variable-list", set(dims, '4'), []string{"header", "checksum"}},
		{"header-checksum", flip(rg.headerEnd + 1), []string{"header", "checksum"}},
		{"student-weight", flip(w[0] + 5), []string{"variable /student/w", "checksum"}},
		{"optimiser-state", flip(m[1] - 1), []string{"variable /optim/m", "checksum"}},
		{"200-bytes", flip(span(w[0], 200)...), []string{"variable", "checksum"}},
		{"tail-digest", flip(len(b) - 3), []string{"tail", "checksum"}},
		{"tail-tag", flip(rg.dataEnd + 1), []string{"tail"}},
		{"truncated-in-header", b[:rg.headerStart+10], []string{"truncated"}},
		{"truncated-in-data", b[:w[0]+9], []string{"truncated"}},
		{"truncated-in-tail", b[:len(b)-5], []string{"truncated"}},
		{"truncated-to-magic", b[:10], []string{"truncated"}},
		{"empty", nil, []string{"not a mimo checkpoint"}},
		{"appended", append(bytes.Clone(b), 0), []string{"trailing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".mimo")
			if err := os.WriteFile(p, c.content, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx := damageCtx(t)
			if err := ctx.GetVariableByScopeAndName("/student", "w").SetValue(tensors.FromFlatDataAndDimensions(make([]float32, 64), 8, 8)); err != nil {
				t.Fatal(err)
			}
			var st map[string]int
			err := Load(p, ctx, &st)
			if err == nil {
				t.Fatalf("damaged checkpoint loaded (state %v)", st)
			}
			for _, want := range append(c.want, p) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if got := tensors.MustCopyFlatData[float32](ctx.GetVariableByScopeAndName("/student", "w").MustValue()); got[9] != 0 {
				t.Errorf("Load changed the context before failing: /student/w[9] = %g", got[9])
			}
		})
	}
}

// TestOldFormatRefused: a format-1 checkpoint (no checksums, no recorded
// configuration) is refused with a message that says what to do.
func TestOldFormatRefused(t *testing.T) {
	hdr := []byte(`{"state":{"step":3},"variables":[{"scope":"/s","name":"w","dtype":"Float32","dtype_id":11,"dims":[2],"trainable":true,"offset":0,"bytes":8}]}`)
	var b bytes.Buffer
	b.WriteString("MIMOCKPT1\n")
	_ = binary.Write(&b, binary.LittleEndian, uint64(len(hdr)))
	b.Write(hdr)
	b.Write(make([]byte, 8))
	p := filepath.Join(t.TempDir(), "checkpoint.mimo")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Load(p, context.New(), nil)
	if err == nil {
		t.Fatal("format-1 checkpoint loaded")
	}
	for _, want := range []string{p, "format 1", "--overwrite"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestRoundTripBitForBit: every variable comes back with the same bytes,
// and saving what was loaded writes the same file.
func TestRoundTripBitForBit(t *testing.T) {
	dir := t.TempDir()
	ctx := damageCtx(t)
	if err := ctx.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	a, b := filepath.Join(dir, "a.mimo"), filepath.Join(dir, "b.mimo")
	if err := Save(a, ctx, map[string]any{"step": 7, "cfg": map[string]float64{"lr": 1e-5}}); err != nil {
		t.Fatal(err)
	}
	fresh := context.New()
	var st map[string]any
	if err := Load(a, fresh, &st); err != nil {
		t.Fatal(err)
	}
	for v := range ctx.IterVariables() {
		got := fresh.GetVariableByScopeAndName(v.Scope(), v.Name())
		if got == nil {
			t.Fatalf("%s not restored", v.ScopeAndName())
		}
		if !bytes.Equal(rawBytes(t, v), rawBytes(t, got)) {
			t.Errorf("%s: bytes differ after the round trip", v.ScopeAndName())
		}
	}
	if err := Save(b, fresh, st); err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatalf("re-saved checkpoint differs (%d vs %d bytes)", len(ab), len(bb))
	}
}

func rawBytes(t *testing.T, v *context.Variable) []byte {
	t.Helper()
	var out []byte
	if err := v.MustValue().ConstBytes(func(b []byte) { out = bytes.Clone(b) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKeepsPrevious: Save keeps the file it replaces as PATH.prev, a file of
// its own (damage to PATH does not reach it), and leaves no temporary file.
func TestKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint.mimo")
	ctx := damageCtx(t)
	for step := 1; step <= 3; step++ {
		if err := Save(path, ctx, map[string]int{"step": step}); err != nil {
			t.Fatal(err)
		}
	}
	var st map[string]int
	if err := Load(path+PrevSuffix, context.New(), &st); err != nil || st["step"] != 2 {
		t.Fatalf("previous checkpoint: step %v, %v; want step 2", st, err)
	}
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path); err == nil {
		t.Fatal("damaged file verified")
	}
	if _, err := Verify(path + PrevSuffix); err != nil {
		t.Fatalf("damage to %s reached the previous checkpoint: %v", path, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("folder holds %v, want checkpoint.mimo and checkpoint.mimo.prev", names)
	}
}

// FuzzVerify: no input makes Verify (or Load) panic, hang or allocate
// beyond the file's size; an error names the file.
func FuzzVerify(f *testing.F) {
	ctx := context.New()
	ctx.In("s").VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 2, 2))
	ctx.In("s").VariableWithValue("n", tensors.FromFlatDataAndDimensions([]int64{7}, 1))
	p := filepath.Join(f.TempDir(), "seed.mimo")
	if err := Save(p, ctx, map[string]int{"step": 1}); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(p)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("MIMOCKPT1\n"))
	f.Add([]byte("MIMOCKPT2\n\xff\xff\xff\xff\xff\xff\xff\xff"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "x.mimo")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, verr := Verify(path)
		lerr := Load(path, context.New(), &map[string]any{})
		if verr != nil && (lerr == nil || !strings.Contains(verr.Error(), path)) {
			t.Fatalf("Verify: %v; Load: %v", verr, lerr)
		}
	})
}

// benchCtx holds n float32 values in 8 variables (a small model's weights
// and moments).
func benchCtx(n int) *context.Context {
	ctx := context.New()
	for i := 0; i < 8; i++ {
		ctx.In("b").VariableWithValue(string(rune('a'+i)), tensors.FromFlatDataAndDimensions(make([]float32, n/8), n/8))
	}
	return ctx
}

// BenchmarkSave and BenchmarkLoad: 64 MiB of variables (bytes/s is the
// throughput; Load verifies the whole file first, then reads it).
func BenchmarkSave(b *testing.B) {
	ctx := benchCtx(16 << 20)
	path := filepath.Join(b.TempDir(), "c.mimo")
	b.SetBytes(64 << 20)
	for b.Loop() {
		if err := Save(path, ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	ctx := benchCtx(16 << 20)
	path := filepath.Join(b.TempDir(), "c.mimo")
	if err := Save(path, ctx, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	for b.Loop() {
		if err := Load(path, ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
}
