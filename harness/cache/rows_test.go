package cache

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRowsEqualGet: block reads give, row for row, what Get gives, with
// the records in another order than the rows, duplicate texts, records in
// two writers' logs and every block size.
func TestRowsEqualGet(t *testing.T) {
	const dim, n = 5, 300
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	corpus := make([]string, n)
	for i := range corpus {
		corpus[i] = fmt.Sprintf("text %d", r.IntN(250)) // duplicates
	}
	// Two writers put the texts in a shuffled order, each its half.
	perm := r.Perm(n)
	for w, name := range []string{"shard-0-of-2", "shard-1-of-2"} {
		c, err := OpenWith(dir, Options{Writer: name})
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range perm[w*n/2 : (w+1)*n/2] {
			if err := c.Put(key, []string{corpus[i]}, [][]float32{vec(len(corpus[i])*7+i%3, dim)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c := mustOpen(t, dir)
	want, miss, err := c.Get(key, corpus)
	if err != nil || len(miss) != 0 {
		t.Fatalf("Get: miss %v, err %v", miss, err)
	}
	rows, err := c.Rows(key, corpus)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Len() != n || rows.Dim() != dim {
		t.Fatalf("Len %d Dim %d, want %d %d", rows.Len(), rows.Dim(), n, dim)
	}
	for _, bs := range []int{1, 3, 64, n} {
		t.Run(fmt.Sprintf("block=%d", bs), func(t *testing.T) {
			for s := 0; s < n; s += bs {
				m := min(bs, n-s)
				got := make([]float32, m*dim)
				if err := rows.Read(s, got); err != nil {
					t.Fatal(err)
				}
				for i := range m {
					if diff := cmp.Diff(want[s+i], got[i*dim:(i+1)*dim]); diff != "" {
						t.Fatalf("row %d (-Get +Rows):\n%s", s+i, diff)
					}
				}
			}
		})
	}
	if err := rows.Read(n-1, make([]float32, 2*dim)); err == nil {
		t.Error("no error reading past the last row")
	}
}

func TestRowsMissingAndChanged(t *testing.T) {
	const dim = 4
	dir := t.TempDir()
	c := mustOpen(t, dir)
	if err := c.Put(key, []string{"a", "b", "c"}, [][]float32{vec(1, dim), vec(2, dim), vec(3, dim)}); err != nil {
		t.Fatal(err)
	}
	miss, err := c.Missing(key, []string{"a", "x", "c", "y"})
	if err != nil || !cmp.Equal(miss, []int{1, 3}) {
		t.Fatalf("Missing = %v, %v; want [1 3]", miss, err)
	}
	_, err = c.Rows(key, []string{"a", "x", "c", "y"})
	var me *MissingError
	if !errors.As(err, &me) || me.Missing != 2 || me.First != 1 {
		t.Fatalf("err = %v, want a MissingError of 2 texts from text 1", err)
	}
	rows, err := c.Rows(key, []string{"c", "a"})
	if err != nil {
		t.Fatal(err)
	}
	// Damage the record of "a" on disk after it was located.
	path := filepath.Join(dir, key.fileName())
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff}, rows.off[1]+40); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := rows.Read(0, make([]float32, dim)); err != nil {
		t.Fatalf("the undamaged row: %v", err)
	}
	if err := rows.Read(0, make([]float32, 2*dim)); err == nil || !strings.Contains(err.Error(), "changed on disk") {
		t.Fatalf("err = %v, want a changed-on-disk error", err)
	}
}

func TestF16(t *testing.T) {
	const dim = 6
	dir := t.TempDir()
	c := mustOpen(t, dir)
	k16 := key
	k16.Dtype = F16
	v := []float32{1, 1.0 / 3, -2.5e-5, 1000.1, 0.1, -7}
	rounded := append([]float32(nil), v...)
	RoundF16(rounded)
	if cmp.Equal(v, rounded) {
		t.Fatal("RoundF16 changed nothing")
	}
	if rounded[0] != 1 || rounded[5] != -7 || rounded[1] != 0.333251953125 {
		t.Fatalf("RoundF16 = %v", rounded)
	}
	if err := c.Put(k16, []string{"t"}, [][]float32{v}); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(key, []string{"t"}, [][]float32{v}); err != nil {
		t.Fatal(err)
	}
	got16, _, err := c.Get(k16, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	got32, _, err := c.Get(key, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rounded, got16[0]); diff != "" {
		t.Errorf("f16 log serves (-rounded +got):\n%s", diff)
	}
	if diff := cmp.Diff(v, got32[0]); diff != "" {
		t.Errorf("float32 log serves (-put +got):\n%s", diff)
	}
	if k16.fileName() == key.fileName() || !strings.Contains(k16.fileName(), "document-f16-") {
		t.Errorf("f16 log %s, float32 log %s: want separate files", k16.fileName(), key.fileName())
	}
	// A record stores 2 bytes per component.
	fi16, err := os.Stat(filepath.Join(dir, k16.fileName()))
	if err != nil {
		t.Fatal(err)
	}
	fi32, err := os.Stat(filepath.Join(dir, key.fileName()))
	if err != nil {
		t.Fatal(err)
	}
	if d := fi32.Size() - fi16.Size(); d != int64(2*dim-len(`,"dtype":"f16"`)) {
		t.Errorf("float32 log is %d bytes longer than the f16 one, want %d", d, 2*dim-len(`,"dtype":"f16"`))
	}
	rows, err := c.Rows(k16, []string{"t"})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, dim)
	if err := rows.Read(0, buf); err != nil || !cmp.Equal(buf, rounded) {
		t.Errorf("Rows.Read = %v, %v; want %v", buf, err, rounded)
	}
	big := []float32{1e6}
	RoundF16(big)
	if !math.IsInf(float64(big[0]), 1) {
		t.Errorf("RoundF16(1e6) = %v, want +Inf", big[0])
	}
	if err := (Key{Model: "m", Role: "query", Dtype: "bf16"}).validate(); err == nil {
		t.Error("dtype bf16 accepted")
	}
}
