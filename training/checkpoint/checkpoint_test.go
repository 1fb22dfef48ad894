package checkpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/google/go-cmp/cmp"
)

type state struct {
	Step   int
	Cursor int
	Stage  string
}

func TestRoundTrip(t *testing.T) {
	ctx := context.New()
	ctx.In("student").VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	ctx.In("optim").VariableWithValue("m", tensors.FromFlatDataAndDimensions([]float64{0.5, -0.5}, 2)).SetTrainable(false)
	if err := ctx.SetRNGStateFromSeed(9); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "ckpt.mimo")
	want := state{Step: 7, Cursor: 896, Stage: "2"}
	if err := Save(path, ctx, want); err != nil {
		t.Fatal(err)
	}
	// Into a fresh context: variables are created.
	fresh := context.New()
	var got state
	if err := Load(path, fresh, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	for v := range ctx.IterVariables() {
		w := fresh.GetVariableByScopeAndName(v.Scope(), v.Name())
		if w == nil {
			t.Fatalf("%s not restored", v.ScopeAndName())
		}
		if w.Trainable != v.Trainable || !w.MustValue().Equal(v.MustValue()) {
			t.Fatalf("%s restored as %v (trainable %v), want %v (trainable %v)", v.ScopeAndName(), w.MustValue(), w.Trainable, v.MustValue(), v.Trainable)
		}
	}
	// Into an existing context with other values: values are replaced.
	if err := ctx.GetVariableByScopeAndName("/student", "w").SetValue(tensors.FromFlatDataAndDimensions([]float32{0, 0, 0, 0, 0, 0}, 2, 3)); err != nil {
		t.Fatal(err)
	}
	if err := Load(path, ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](ctx.GetVariableByScopeAndName("/student", "w").MustValue()); got[5] != 6 {
		t.Fatalf("not restored: %v", got)
	}
	// Shape mismatch is an error naming the variable.
	other := context.New()
	other.In("student").VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2))
	if err := Load(path, other, nil); err == nil || !strings.Contains(err.Error(), "/student/w") {
		t.Fatalf("want a shape error naming /student/w, got %v", err)
	}
}

func TestCorrupt(t *testing.T) {
	dir := t.TempDir()
	ctx := context.New()
	ctx.In("s").VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 4))
	good := filepath.Join(dir, "good")
	if err := Save(good, ctx, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	cases := map[string][]byte{
		"bad-magic": append([]byte("NOTACKPT!\n"), b[10:]...),
		"truncated": b[:len(b)-3],
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := Load(p, context.New(), nil); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Fatalf("temporary file left behind: %s", e.Name())
		}
	}
}
