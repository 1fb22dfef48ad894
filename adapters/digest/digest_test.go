package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// countReads counts the files hashed (read) while the test runs.
func countReads(t *testing.T) map[string]int {
	t.Helper()
	reads := map[string]int{}
	onRead = func(p string) { reads[filepath.Base(p)]++ }
	t.Cleanup(func() { onRead = nil })
	return reads
}

// writeOld writes a file whose modification time lies an hour back, out of
// the racy window (its change time is now: tests set RacyWindow to 0).
func writeOld(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func noRacyWindow(t *testing.T) {
	old := RacyWindow
	RacyWindow = 0
	t.Cleanup(func() { RacyWindow = old })
}

func sumOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestMemoAvoidsRereading(t *testing.T) {
	noRacyWindow(t)
	reads := countReads(t)
	dir, cache := t.TempDir(), t.TempDir()
	w := filepath.Join(dir, "weights.bin")
	writeOld(t, w, "weights v1")

	m := NewMemo(cache)
	for range 3 {
		got, err := m.FileSum(w)
		if err != nil {
			t.Fatal(err)
		}
		if got != sumOf("weights v1") {
			t.Fatalf("sum %s, want %s", got, sumOf("weights v1"))
		}
	}
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	// A new process (a new memo from the same file) does not read it either.
	if _, err := NewMemo(cache).FileSum(w); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]int{"weights.bin": 1}, reads); d != "" {
		t.Errorf("reads (-want +got):\n%s", d)
	}

	// New content is read again.
	writeOld(t, w, "weights v2, longer")
	got, err := NewMemo(cache).FileSum(w)
	if err != nil {
		t.Fatal(err)
	}
	if got != sumOf("weights v2, longer") || reads["weights.bin"] != 2 {
		t.Errorf("after a change: sum %s (want %s), %d reads (want 2)", got, sumOf("weights v2, longer"), reads["weights.bin"])
	}
}

// TestMemoSeesSameSizeSameMtime: content replaced by bytes of the same
// length, with the modification time put back, is still noticed (the inode
// or the change time differ).
func TestMemoSeesSameSizeSameMtime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("inode and change time are read on Linux only")
	}
	noRacyWindow(t)
	dir := t.TempDir()
	w := filepath.Join(dir, "tokenizer.json")
	writeOld(t, w, "AAAA")
	fi, _ := os.Stat(w)
	m := NewMemo("")
	if _, err := m.FileSum(w); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // past the coarse clock's tick
	if err := os.WriteFile(w, []byte("BBBB"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(w, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	got, err := m.FileSum(w)
	if err != nil {
		t.Fatal(err)
	}
	if got != sumOf("BBBB") {
		t.Errorf("sum %s, want the new content's %s", got, sumOf("BBBB"))
	}
}

func TestRacyFileNotRemembered(t *testing.T) {
	reads := countReads(t)
	dir := t.TempDir()
	w := filepath.Join(dir, "fresh.bin")
	if err := os.WriteFile(w, []byte("just written"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := NewMemo("")
	for range 2 {
		if _, err := m.FileSum(w); err != nil {
			t.Fatal(err)
		}
	}
	if reads["fresh.bin"] != 2 {
		t.Errorf("a file modified within RacyWindow was read %d times, want 2 (not remembered)", reads["fresh.bin"])
	}
}

func TestSum(t *testing.T) {
	noRacyWindow(t)
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		writeOld(t, filepath.Join(d, "w"), "weights")
		writeOld(t, filepath.Join(d, "t"), "tokenizer")
	}
	m := NewMemo(t.TempDir())
	sum := func(parts ...Part) string {
		t.Helper()
		s, err := m.Sum(parts...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sa := sum(Part{"weights", filepath.Join(a, "w")}, Part{"tokenizer", filepath.Join(a, "t")})
	sb := sum(Part{"weights", filepath.Join(b, "w")}, Part{"tokenizer", filepath.Join(b, "t")})
	if sa != sb {
		t.Errorf("same bytes in two folders: sums %s and %s differ", sa, sb)
	}
	if swapped := sum(Part{"weights", filepath.Join(a, "t")}, Part{"tokenizer", filepath.Join(a, "w")}); swapped == sa {
		t.Error("files swapped between roles: same sum")
	}
	writeOld(t, filepath.Join(b, "t"), "tokenizer, edited")
	if sb2 := sum(Part{"weights", filepath.Join(b, "w")}, Part{"tokenizer", filepath.Join(b, "t")}); sb2 == sb {
		t.Error("tokenizer edited: same sum")
	}
	if _, err := m.Sum(Part{"weights", filepath.Join(a, "missing")}); err == nil {
		t.Error("a missing file: no error")
	}
	if _, err := os.Stat(m.Path()); err != nil {
		t.Errorf("memo not saved: %v", err)
	}
}

func TestDamagedMemoReadsEmpty(t *testing.T) {
	noRacyWindow(t)
	reads := countReads(t)
	cache := t.TempDir()
	w := filepath.Join(t.TempDir(), "w")
	writeOld(t, w, "weights")
	for _, content := range []string{"{not json", `{"version": 99, "files": {}}`, ""} {
		if err := os.WriteFile(filepath.Join(cache, MemoFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		m := NewMemo(cache)
		got, err := m.Sum(Part{"weights", w})
		if err != nil {
			t.Fatalf("memo %q: %v", content, err)
		}
		want, _ := NewMemo("").Sum(Part{"weights", w})
		if got != want {
			t.Errorf("memo %q: sum %s, want %s", content, got, want)
		}
	}
	if reads["w"] != 3+3 {
		t.Errorf("%d reads, want 6 (each damaged memo is empty; the in-memory ones read too)", reads["w"])
	}
	// The last one repaired the file.
	if _, err := NewMemo(cache).FileSum(w); err != nil || reads["w"] != 6 {
		t.Errorf("repaired memo not used: err %v, %d reads", err, reads["w"])
	}
}

func TestEviction(t *testing.T) {
	noRacyWindow(t)
	cache := t.TempDir()
	m := NewMemo(cache)
	dir := t.TempDir()
	for i := range 3 {
		p := filepath.Join(dir, string(rune('a'+i)))
		writeOld(t, p, p)
		if _, err := m.FileSum(p); err != nil {
			t.Fatal(err)
		}
	}
	m.mu.Lock()
	for k, e := range m.entries {
		e.Used = int64(k[len(k)-1]) // a oldest, c newest
		m.entries[k] = e
	}
	m.mu.Unlock()
	defer func(n int) { maxEntries = n }(maxEntries)
	maxEntries = 2
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	got := load(filepath.Join(cache, MemoFile))
	var names []string
	for k := range got {
		names = append(names, filepath.Base(k))
	}
	if d := cmp.Diff([]string{"b", "c"}, names, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Errorf("kept (-want +got):\n%s", d)
	}
}
