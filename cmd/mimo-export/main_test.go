package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
)

func TestExportShippedModel(t *testing.T) {
	out := filepath.Join(t.TempDir(), "onnx")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--model", "../../adapters/mimo", "--output", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, err := adapters.ReadFolder(out)
	if err != nil {
		t.Fatal(err)
	}
	src, err := adapters.ReadFolder("../../adapters/mimo")
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != "onnx" || f.Name != src.Name || f.Revision != src.Revision+"-onnx" || f.Dim != src.Dim || f.MaxLength != src.MaxLength {
		t.Errorf("folder %+v", f)
	}
	for _, name := range []string{"model.onnx", "model.onnx_data", "tokenizer.json"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBadInvocations(t *testing.T) {
	lexical := t.TempDir()
	if err := os.WriteFile(filepath.Join(lexical, adapters.FolderFile), []byte(`{"kind": "lexical", "name": "lex"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "want --model DIR and --output OUT"},
		{[]string{"--model", lexical, "--output", "x"}, 1, `of kind "lexical"; only "native"`},
		{[]string{"--model", t.TempDir(), "--output", "x"}, 1, "mimo-model.json"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, stderr.String())
		}
	}
}
