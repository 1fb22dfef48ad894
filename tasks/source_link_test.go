package tasks

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestDirSourceFollowsLinks: a --source root that is a symbolic link, a
// dataset folder linked in, and files linked (as in a huggingface_hub
// snapshot) are all listed and opened; a link loop is listed once.
func TestDirSourceFollowsLinks(t *testing.T) {
	real := t.TempDir()
	if err := os.MkdirAll(filepath.Join(real, "data", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"data/a.json", "data/sub/b.json", "blob"} {
		if err := os.WriteFile(filepath.Join(real, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(real, "blob"), filepath.Join(real, "data", "c.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real, "data"), filepath.Join(real, "data", "sub", "loop")); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "org"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real, "data"), filepath.Join(src, "org", "ds")); err != nil {
		t.Fatal(err)
	}
	linkedRoot := filepath.Join(t.TempDir(), "root")
	if err := os.Symlink(src, linkedRoot); err != nil {
		t.Fatal(err)
	}
	d := DirSource{Root: linkedRoot}
	got, err := d.List(context.Background(), "org/ds", "x")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.json", "c.json", "sub/b.json"}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	for _, f := range got {
		r, err := d.Open(context.Background(), "org/ds", "x", f)
		if err != nil {
			t.Errorf("Open %s: %v", f, err)
			continue
		}
		r.Close()
	}
}
