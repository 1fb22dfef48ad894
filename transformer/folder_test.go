package transformer_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/digest"
	"github.com/mimo-mlir/mimo/tokenize"
	"github.com/mimo-mlir/mimo/transformer"
)

// TestWrittenFolderLoads writes the trained student's model folder and
// opens it as the evaluation side does (kind "native"): its vectors equal the
// training graph's inference-mode outputs, L2-normalised.
func TestWrittenFolderLoads(t *testing.T) {
	b, err := transformer.NewBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join("..", "adapters", "onnx", "testdata", "tiny-xlmr", "tokenizer.json")
	cfgPath := filepath.Join("..", "adapters", "onnx", "testdata", "tiny-xlmr", "config.json")
	ctx := mlctx.New()
	st, err := transformer.LoadStudent(ctx.InAbsPath("/student"), cfgPath, "", "", 5)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wrote, err := transformer.WriteFolder(ctx.InAbsPath("/student"), st.Cfg, dir, transformer.FolderSpec{
		Name: "test-student", RevisionPrefix: "test", Tokenizer: tok, MaxLength: 64,
		Extra: []transformer.ExtraFile{{Name: "training.json", Data: []byte("{}\n")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := adapters.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	wrote.Options, f.Options = nil, nil
	if diff := cmp.Diff(wrote, f); diff != "" {
		t.Errorf("WriteFolder's folder and the one read back differ (-wrote +read):\n%s", diff)
	}
	if !strings.HasPrefix(f.Revision, "test-") || len(f.Revision) != len("test-")+12 {
		t.Errorf("revision %q, want test-HASH12", f.Revision)
	}
	if _, err := os.Stat(filepath.Join(dir, "training.json")); err != nil {
		t.Errorf("extra file: %v", err)
	}
	enc, err := adapters.OpenFolder(context.Background(), f, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	texts := []string{"Guten Morgen, wie geht es dir?", "where is the station"}
	got, err := enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleQuery, Texts: texts})
	if err != nil {
		t.Fatal(err)
	}
	// The training side: tokenise as Run does and run Embed with train=false.
	tk, err := tokenize.Load(tok)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		e, err := tk.EncodeBatch([]string{text}, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int32, len(e[0].IDs))
		mask := make([]int32, len(ids))
		for j, x := range e[0].IDs {
			ids[j], mask[j] = int32(x), 1
		}
		out, err := mlctx.ExecOnce(b, ctx.Reuse(), func(c *mlctx.Context, idsN, maskN *mlctx.Node) *mlctx.Node {
			return st.Embed(c.InAbsPath("/student"), idsN, maskN, false)
		}, tensors.FromFlatDataAndDimensions(ids, 1, len(ids)), tensors.FromFlatDataAndDimensions(mask, 1, len(ids)))
		if err != nil {
			t.Fatal(err)
		}
		want := tensors.MustCopyFlatData[float32](out)
		var n float64
		for _, x := range want {
			n += float64(x) * float64(x)
		}
		n = math.Sqrt(n)
		for j := range want {
			if math.Abs(float64(got[i][j])-float64(want[j])/n) > 1e-5 {
				t.Fatalf("text %d dim %d: folder %g, training graph %g", i, j, got[i][j], float64(want[j])/n)
			}
		}
	}
}

// TestStudentFiles: a student's files are what its mimo-model.json names,
// else the conventional names of a Hugging Face download.
func TestStudentFiles(t *testing.T) {
	named := t.TempDir()
	if err := os.WriteFile(filepath.Join(named, adapters.FolderFile), []byte(`{"kind": "native", "name": "s",
 "config": "arch/config.json", "weights": "w/student.safetensors", "tokenizer": "tok/tokenizer.json"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()
	xlmr := filepath.Join("..", "adapters", "onnx", "testdata", "tiny-xlmr") // kind onnx, with the safetensors beside
	for _, c := range []struct {
		name, dir string
		want      transformer.Files
	}{
		{"named", named, transformer.Files{Config: filepath.Join(named, "arch/config.json"), Weights: filepath.Join(named, "w/student.safetensors"), Tokenizer: filepath.Join(named, "tok/tokenizer.json")}},
		{"plain", plain, transformer.Files{Config: filepath.Join(plain, "config.json"), Weights: filepath.Join(plain, "model.safetensors"), Tokenizer: filepath.Join(plain, "tokenizer.json")}},
		{"onnx", xlmr, transformer.Files{Config: filepath.Join(xlmr, "config.json"), Weights: filepath.Join(xlmr, "model.safetensors"), Tokenizer: filepath.Join(xlmr, "tokenizer.json")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := transformer.StudentFiles(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, adapters.FolderFile), []byte(`{"kind": "native", "nme": "typo"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := transformer.StudentFiles(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("malformed mimo-model.json: error %v, want one naming the folder", err)
	}
}

// TestCachedExport: the first call exports (complete folder named by the
// key, model.onnx and its data), the second reuses it, and other weights
// get another key and another export.
func TestCachedExport(t *testing.T) {
	src := filepath.Join("..", "adapters", "onnx", "testdata", "tiny-xlmr")
	files := transformer.Files{Config: filepath.Join(src, "config.json"), Weights: filepath.Join(src, "model.safetensors")}
	cfg, err := transformer.ReadConfig(files.Config)
	if err != nil {
		t.Fatal(err)
	}
	root, memo := t.TempDir(), digest.NewMemo("")
	path, fresh, err := transformer.CachedExport(cfg, files, root, memo)
	if err != nil || !fresh {
		t.Fatalf("first export: %s, fresh %v, %v", path, fresh, err)
	}
	key, err := transformer.ExportKey(files, memo)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, key[:32], transformer.ExportFileName); path != want {
		t.Errorf("path %s, want %s", path, want)
	}
	for _, p := range []string{path, path + "_data", filepath.Join(filepath.Dir(path), ".complete")} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	again, fresh, err := transformer.CachedExport(cfg, files, root, memo)
	if err != nil || fresh || again != path {
		t.Errorf("second call: %s, fresh %v, %v; want the cached %s", again, fresh, err, path)
	}
	// Other weights (one value changed): another key, another export.
	ts, err := transformer.ReadTensors(files.Weights)
	if err != nil {
		t.Fatal(err)
	}
	ts[0].Data[0] += 1
	edited := files
	edited.Weights = filepath.Join(t.TempDir(), "model.safetensors")
	if err := transformer.WriteTensors(edited.Weights, ts); err != nil {
		t.Fatal(err)
	}
	other, fresh, err := transformer.CachedExport(cfg, edited, root, memo)
	if err != nil || !fresh || other == path {
		t.Errorf("edited weights: %s, fresh %v, %v; want a new export beside %s", other, fresh, err, path)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("%d entries in the export cache, want 2 (no temporary folder left)", len(entries))
	}
}
