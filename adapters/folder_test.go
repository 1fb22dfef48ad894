package adapters

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntOption(t *testing.T) {
	f := Folder{Options: map[string]any{"n": 64.0, "frac": 1.5, "neg": -2.0, "s": "8"}}
	if v, ok, err := f.IntOption("n"); v != 64 || !ok || err != nil {
		t.Errorf("n: %d %v %v", v, ok, err)
	}
	if _, ok, err := f.IntOption("absent"); ok || err != nil {
		t.Errorf("absent: %v %v", ok, err)
	}
	for _, k := range []string{"frac", "neg", "s"} {
		if _, _, err := f.IntOption(k); err == nil || !strings.Contains(err.Error(), "options."+k) {
			t.Errorf("%s: err %v", k, err)
		}
	}
}

func TestLocalRevision(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	r1 := LocalRevision(a, b)
	if !strings.HasPrefix(r1, "local-7-") || strings.Contains(r1, "+") {
		t.Errorf("one file: %q", r1)
	}
	if err := os.WriteFile(b, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r2 := LocalRevision(a, b); !strings.Contains(r2, "+local-1-") {
		t.Errorf("two files: %q", r2)
	}
	if err := os.WriteFile(a, []byte("weights2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r3 := LocalRevision(a); r3 == r1 {
		t.Errorf("rewritten weights keep revision %q", r3)
	}
	if r := LocalRevision(filepath.Join(dir, "none")); r != "" {
		t.Errorf("no file: %q", r)
	}
}
