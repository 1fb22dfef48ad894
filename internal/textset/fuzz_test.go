package textset

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzDecode(f *testing.F) {
	var b Builder
	b.Add("a", "b")
	p := filepath.Join(f.TempDir(), FileName)
	if err := b.Set().Write(p); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(p)
	f.Add(good)
	f.Add([]byte("MIMOSET1\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01abcd"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decode(data)
		if err == nil && s == nil {
			t.Fatal("nil set without error")
		}
		if err != nil && !errors.Is(err, ErrDamaged) {
			t.Fatalf("error %v is not ErrDamaged", err)
		}
	})
}
