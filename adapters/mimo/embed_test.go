package mimo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestDirExtractsEmbeddedCopy: Dir gives a folder with the same bytes as the
// checkout's, reused on a second call, and refilled when damaged.
func TestDirExtractsEmbeddedCopy(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mimo-model.json", "model.safetensors", "tokenizer.json", "training-texts.mimoset"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the checkout's", name)
		}
	}
	again, err := Dir()
	if err != nil || again != dir {
		t.Fatalf("second call: %s, %v; want %s", again, err, dir)
	}
	os.Remove(filepath.Join(dir, ".complete")) // an interrupted copy
	if again, err = Dir(); err != nil || again != dir {
		t.Fatalf("after damage: %s, %v", again, err)
	}
}
