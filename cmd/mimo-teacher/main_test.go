package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters/lsa"
)

func TestFitCommand(t *testing.T) {
	dir := t.TempDir()
	var plain, jsonl strings.Builder
	words := []string{"river", "bank", "water", "fish", "money", "loan", "credit", "account"}
	for i := range 40 {
		s := fmt.Sprintf("the %s near the %s and %s", words[i%8], words[(i+1)%8], words[(i*3)%8])
		if i%2 == 0 {
			plain.WriteString(s + "\n")
		} else {
			fmt.Fprintf(&jsonl, "{\"text\": %q, \"id\": %d}\n", s, i)
		}
	}
	txt, jl := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.jsonl")
	if err := os.WriteFile(txt, []byte(plain.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jl, []byte(jsonl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "teacher")
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"fit", "--out", out, "--dims", "4", "--max-df", "1", txt, jl}, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	m, err := lsa.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dim() != 4 || m.Stats().Texts != 40 || m.Identity().Name != "lsa-en-4" {
		t.Errorf("loaded dim %d, %d texts, name %q; want 4, 40, lsa-en-4", m.Dim(), m.Stats().Texts, m.Identity().Name)
	}

	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"text\": \"ok\"}\n{\"title\": \"no text\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "subcommand"},
		{"no out", []string{"fit", txt}, "need --out"},
		{"missing field", []string{"fit", "--out", out, bad}, "bad.jsonl:2: no \"text\" field"},
		{"bad dims", []string{"fit", "--out", out, "--dims", "0", txt}, "dims 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
