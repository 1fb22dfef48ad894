package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFillDir: a folder is filled once (a second call does not run fill),
// a failed fill leaves nothing under the name nor beside it, and a damaged
// copy (no marker) is replaced.
func TestFillDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "key")
	calls := 0
	fill := func(tmp string) error {
		calls++
		return os.WriteFile(filepath.Join(tmp, "model.onnx"), []byte("graph"), 0o644)
	}
	boom := errors.New("boom")
	if err := FillDir(dir, []byte("m\n"), func(string) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed fill: %v, want boom", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 0 {
		t.Fatalf("a failed fill left %v", entries)
	}
	for range 2 {
		if err := FillDir(dir, []byte("m\n"), fill); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 || !DirComplete(dir) {
		t.Fatalf("fill ran %d times (want 1), complete %v", calls, DirComplete(dir))
	}
	if b, err := os.ReadFile(filepath.Join(dir, CompleteMarker)); err != nil || string(b) != "m\n" {
		t.Errorf("marker %q, %v", b, err)
	}
	if err := os.Remove(filepath.Join(dir, CompleteMarker)); err != nil { // an interrupted copy
		t.Fatal(err)
	}
	if err := FillDir(dir, []byte("m\n"), fill); err != nil || calls != 2 || !DirComplete(dir) {
		t.Fatalf("damaged copy: %v, %d fills, complete %v", err, calls, DirComplete(dir))
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("beside the folder: %v, want only it", entries)
	}
}
