package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var key = Key{Model: "0123abcd", Role: "document", Prompt: "passage: "}

func vec(i, dim int) []float32 {
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(i*100 + j)
	}
	return v
}

func mustOpen(t *testing.T, dir string) *Cache {
	t.Helper()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRoundTripAndReopen(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir)
	texts := []string{"alpha", "beta", "gamma"}
	if _, miss, err := c.Get(key, texts); err != nil || !cmp.Equal(miss, []int{0, 1, 2}) {
		t.Fatalf("empty cache: miss %v err %v", miss, err)
	}
	if err := c.Put(key, texts[:2], [][]float32{vec(0, 3), vec(1, 3)}); err != nil {
		t.Fatal(err)
	}
	got, miss, err := c.Get(key, texts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]float32{vec(0, 3), vec(1, 3), nil}, got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2}, miss); diff != "" {
		t.Errorf("misses (-want +got):\n%s", diff)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c2 := mustOpen(t, dir)
	got, miss, err = c2.Get(key, texts[:2])
	if err != nil || len(miss) != 0 {
		t.Fatalf("after reopen: miss %v err %v", miss, err)
	}
	if diff := cmp.Diff([][]float32{vec(0, 3), vec(1, 3)}, got); diff != "" {
		t.Errorf("after reopen (-want +got):\n%s", diff)
	}
}

// TestKeysAreSeparate checks that role and prompt select different logs, so a
// query and a document with the same text never share a vector.
func TestKeysAreSeparate(t *testing.T) {
	c := mustOpen(t, t.TempDir())
	keys := []Key{
		key,
		{Model: key.Model, Role: "query", Prompt: key.Prompt},
		{Model: key.Model, Role: key.Role, Prompt: "query: "},
		{Model: "other", Role: key.Role, Prompt: key.Prompt},
	}
	for i, k := range keys {
		if err := c.Put(k, []string{"same text"}, [][]float32{vec(i, 2)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range keys {
		got, _, err := c.Get(k, []string{"same text"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(vec(i, 2), got[0]); diff != "" {
			t.Errorf("key %d (-want +got):\n%s", i, diff)
		}
	}
}

// TestTornTail simulates a crash in the middle of an append: the last record
// is cut short, or its bytes are garbage. Reopening must drop it (and only
// it), truncate the file, and accept new appends after the good records.
func TestTornTail(t *testing.T) {
	const dim = 4
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, recLen int64)
	}{
		{"short-record", func(t *testing.T, path string, recLen int64) {
			truncateBy(t, path, recLen/2)
		}},
		{"one-byte-missing", func(t *testing.T, path string, recLen int64) {
			truncateBy(t, path, 1)
		}},
		{"bad-checksum", func(t *testing.T, path string, recLen int64) {
			flipByte(t, path, -(recLen / 2))
		}},
		{"zero-filled-tail", func(t *testing.T, path string, recLen int64) {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Write(make([]byte, recLen+7)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := mustOpen(t, dir)
			texts := []string{"a", "b", "c"}
			if err := c.Put(key, texts, [][]float32{vec(0, dim), vec(1, dim), vec(2, dim)}); err != nil {
				t.Fatal(err)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, key.fileName())
			recLen := int64(32 + 4*dim + 4)
			st, _ := os.Stat(path)
			goodSize := st.Size()
			tc.damage(t, path, recLen)

			c2 := mustOpen(t, dir)
			got, miss, err := c2.Get(key, texts)
			if err != nil {
				t.Fatal(err)
			}
			wantMiss := []int{}
			wantSize := goodSize
			if tc.name != "zero-filled-tail" {
				// the third record was damaged
				wantMiss = []int{2}
				wantSize = goodSize - recLen
				got = got[:2]
			}
			if diff := cmp.Diff(wantMiss, miss, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("misses (-want +got):\n%s", diff)
			}
			for i, v := range got {
				if diff := cmp.Diff(vec(i, dim), v); diff != "" {
					t.Errorf("record %d (-want +got):\n%s", i, diff)
				}
			}
			if st, _ := os.Stat(path); st.Size() != wantSize {
				t.Errorf("file size after recovery %d, want %d", st.Size(), wantSize)
			}
			// Resume: append the missing one and read everything back after reopening.
			if err := c2.Put(key, []string{"c", "d"}, [][]float32{vec(2, dim), vec(3, dim)}); err != nil {
				t.Fatal(err)
			}
			c2.Close()
			c3 := mustOpen(t, dir)
			all, miss, err := c3.Get(key, []string{"a", "b", "c", "d"})
			if err != nil || len(miss) != 0 {
				t.Fatalf("after resume: miss %v err %v", miss, err)
			}
			for i, v := range all {
				if diff := cmp.Diff(vec(i, dim), v); diff != "" {
					t.Errorf("after resume, record %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func truncateBy(t *testing.T, path string, n int64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()-n); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, path string, fromEnd int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[int64(len(b))+fromEnd] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir)
	if err := c.Put(key, []string{"a"}, [][]float32{vec(0, 3)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(key, []string{"b"}, [][]float32{vec(0, 4)}); err == nil || !strings.Contains(err.Error(), "dimension") {
		t.Errorf("dimension change: err = %v", err)
	}
	if err := c.Put(key, []string{"a", "b"}, [][]float32{vec(0, 3)}); err == nil {
		t.Error("length mismatch: no error")
	}
	c.Close()
	// A header that is not ours is an error, not silently overwritten.
	path := filepath.Join(dir, key.fileName())
	if err := os.WriteFile(path, []byte("not a log at all, just text"), 0o644); err != nil {
		t.Fatal(err)
	}
	c2 := mustOpen(t, dir)
	if _, _, err := c2.Get(key, []string{"a"}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("foreign file: err = %v, want one naming %s", err, path)
	}
}

func TestBadKeys(t *testing.T) {
	c := mustOpen(t, t.TempDir())
	for _, k := range []Key{
		{Model: "../escape", Role: "query"},
		{Model: "ok", Role: "a/b"},
		{Model: "", Role: "query"},
		{Model: "..", Role: "query"},
	} {
		if err := c.Put(k, []string{"t"}, [][]float32{{1}}); err == nil {
			t.Errorf("Put with key %+v: no error", k)
		}
		if _, _, err := c.Get(k, []string{"t"}); err == nil {
			t.Errorf("Get with key %+v: no error", k)
		}
	}
}

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				n := w*1000 + i
				text := fmt.Sprint("text ", n)
				if err := c.Put(key, []string{text}, [][]float32{vec(n, 8)}); err != nil {
					t.Error(err)
					return
				}
				got, miss, err := c.Get(key, []string{text})
				if err != nil || len(miss) != 0 || !cmp.Equal(got[0], vec(n, 8)) {
					t.Errorf("read back %q: %v %v %v", text, got, miss, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n, err := c.Len(key); err != nil || n != 400 {
		t.Errorf("Len = %d, %v; want 400", n, err)
	}
	c.Close()
	c2 := mustOpen(t, dir)
	if n, err := c2.Len(key); err != nil || n != 400 {
		t.Errorf("after reopen Len = %d, %v; want 400", n, err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(EnvDir, "/some/where")
	if d, err := DefaultDir(); err != nil || d != "/some/where" {
		t.Errorf("DefaultDir = %q, %v", d, err)
	}
	t.Setenv(EnvDir, "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if d, err := DefaultDir(); err != nil || d != "/xdg/mimo/embeddings" {
		t.Errorf("DefaultDir = %q, %v", d, err)
	}
}

// TestSecondWriterReadsOnly opens the same directory twice, as two processes
// sharing a cache would: the second sees what was written before it opened
// the log, never writes, and the first keeps working.
func TestSecondWriterReadsOnly(t *testing.T) {
	dir := t.TempDir()
	a := mustOpen(t, dir)
	if err := a.Put(key, []string{"x"}, [][]float32{vec(1, 3)}); err != nil {
		t.Fatal(err)
	}
	b := mustOpen(t, dir)
	got, miss, err := b.Get(key, []string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got[0], vec(1, 3)) || !cmp.Equal(miss, []int{1}) {
		t.Errorf("second opener read %v, misses %v", got, miss)
	}
	if !b.ReadOnly(key) || a.ReadOnly(key) {
		t.Errorf("ReadOnly: first %v, second %v; want false, true", a.ReadOnly(key), b.ReadOnly(key))
	}
	path := filepath.Join(dir, key.fileName())
	before, _ := os.Stat(path)
	if err := b.Put(key, []string{"y"}, [][]float32{vec(2, 3)}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(path); after.Size() != before.Size() {
		t.Errorf("read-only opener wrote: size %d -> %d", before.Size(), after.Size())
	}
	if err := a.Put(key, []string{"y"}, [][]float32{vec(2, 3)}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	a.Close()
	c := mustOpen(t, dir)
	if n, _ := c.Len(key); n != 2 {
		t.Errorf("after both closed: %d records, want 2", n)
	}
}

// fill writes n records (texts "t0".."t{n-1}", vectors vec(i, dim)) to a
// fresh cache in dir and returns the log's path and record length.
func fill(t *testing.T, dir string, n, dim int) (string, int64) {
	t.Helper()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	texts, vecs := make([]string, n), make([][]float32, n)
	for i := range texts {
		texts[i], vecs[i] = fmt.Sprintf("t%d", i), vec(i, dim)
	}
	if err := c.Put(key, texts, vecs); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, key.fileName()), int64(32 + 4*dim + 4)
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%d", i)
	}
	return out
}

// flipBit flips one bit of the record numbered rec (from 1).
func flipBit(t *testing.T, path string, rec int, recLen int64, dim int) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	n := (st.Size() - headerLen(t, path)) / recLen
	first := st.Size() - n*recLen
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	off := first + int64(rec-1)*recLen + 32 + 5 // a bit inside the vector
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func headerLen(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := int64(b[len(magic)+4]) | int64(b[len(magic)+5])<<8
	return int64(len(magic)+8+4) + n
}

// TestDamagedRecordInTheMiddle: one flipped bit in record 100 of 500 costs
// that record only (issue 12 item 5), with a warning naming the file and
// the record; the record is re-encoded and the warning not repeated.
func TestDamagedRecordInTheMiddle(t *testing.T) {
	const n, dim = 500, 8
	dir := t.TempDir()
	path, recLen := fill(t, dir, n, dim)
	st0, _ := os.Stat(path)
	flipBit(t, path, 100, recLen, dim)

	var warn strings.Builder
	c, err := OpenWith(dir, Options{Warnings: &warn})
	if err != nil {
		t.Fatal(err)
	}
	got, miss, err := c.Get(key, texts(n))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{99}, miss); d != "" {
		t.Fatalf("misses (-want +got):\n%s", d)
	}
	for i, v := range got {
		if i != 99 {
			if d := cmp.Diff(vec(i, dim), v); d != "" {
				t.Fatalf("record %d (-want +got):\n%s", i+1, d)
			}
		}
	}
	if w := warn.String(); !strings.Contains(w, path) || !strings.Contains(w, "record 100 ") || strings.Count(w, "\n") != 1 {
		t.Errorf("warning %q: want one line naming %s and record 100", w, path)
	}
	if st, _ := os.Stat(path); st.Size() != st0.Size() {
		t.Errorf("file size %d, want %d (nothing truncated)", st.Size(), st0.Size())
	}
	// Re-encode the missing one.
	if err := c.Put(key, []string{"t99"}, [][]float32{vec(99, dim)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	warn.Reset()
	c2, err := OpenWith(dir, Options{Warnings: &warn})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	got, miss, err = c2.Get(key, texts(n))
	if err != nil || len(miss) != 0 {
		t.Fatalf("after re-encoding: miss %v, err %v", miss, err)
	}
	if d := cmp.Diff(vec(99, dim), got[99]); d != "" {
		t.Errorf("re-encoded record (-want +got):\n%s", d)
	}
	if warn.Len() != 0 {
		t.Errorf("warning repeated after the record was replaced: %q", warn.String())
	}
}

// TestDamagedRecordReader: a process without the lock skips the damaged
// record too, and leaves the file alone.
func TestDamagedRecordReader(t *testing.T) {
	const n, dim = 20, 4
	dir := t.TempDir()
	path, recLen := fill(t, dir, n, dim)
	flipBit(t, path, 5, recLen, dim)
	before, _ := os.ReadFile(path)

	// The first cache takes the lock (and repairs record 5); a second one,
	// a reader, finds record 7 damaged since.
	var w1, w2 strings.Builder
	c1, err := OpenWith(dir, Options{Warnings: &w1})
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if _, _, err := c1.Get(key, texts(n)); err != nil {
		t.Fatal(err)
	}
	flipBit(t, path, 7, recLen, dim)
	c2, err := OpenWith(dir, Options{Warnings: &w2})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_, miss, err := c2.Get(key, texts(n))
	if err != nil {
		t.Fatal(err)
	}
	if !c2.ReadOnly(key) {
		t.Fatal("second cache is not read-only")
	}
	if d := cmp.Diff([]int{4, 6}, miss); d != "" {
		t.Errorf("reader's misses (-want +got):\n%s", d)
	}
	if !strings.Contains(w2.String(), "record 7 ") {
		t.Errorf("reader's warning %q does not name record 7", w2.String())
	}
	after, _ := os.ReadFile(path)
	if len(after) != len(before) {
		t.Errorf("reader changed the file's size: %d, was %d", len(after), len(before))
	}
}

func TestDamagedTail(t *testing.T) {
	const n, dim = 10, 4
	dir := t.TempDir()
	path, recLen := fill(t, dir, n, dim)
	flipBit(t, path, 9, recLen, dim)
	flipBit(t, path, 10, recLen, dim)
	var warn strings.Builder
	c, err := OpenWith(dir, Options{Warnings: &warn})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, miss, err := c.Get(key, texts(n))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{8, 9}, miss); d != "" {
		t.Errorf("misses (-want +got):\n%s", d)
	}
	if w := warn.String(); !strings.Contains(w, "dropping 2 ") || !strings.Contains(w, "9-10") {
		t.Errorf("warning %q: want the 2 dropped records 9-10", w)
	}
	if st, _ := os.Stat(path); st.Size() != headerLen(t, path)+8*recLen {
		t.Errorf("size %d, want the header and 8 records", st.Size())
	}
}

func TestDamagedHeader(t *testing.T) {
	cases := []struct {
		name   string
		damage func(b []byte) []byte
		reason string
	}{
		{"bad-magic", func(b []byte) []byte { b[0] ^= 1; return b }, "bad magic"},
		{"header-checksum", func(b []byte) []byte { b[len(magic)+8+2] ^= 1; return b }, "checksum"},
		{"short", func(b []byte) []byte { return b[:len(magic)+3] }, "header"},
		{"implausible", func(b []byte) []byte { b[len(magic)+3] = 0x7f; return b }, "implausible"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path, _ := fill(t, dir, 3, 4)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			c := mustOpen(t, dir)
			_, _, err = c.Get(key, texts(3))
			var de *DamagedError
			if !errors.Is(err, ErrDamaged) || !errors.As(err, &de) || de.Path != path {
				t.Fatalf("err = %v, want a DamagedError for %s", err, path)
			}
			if msg := err.Error(); !strings.Contains(msg, "delete this file") || !strings.Contains(msg, path) || !strings.Contains(msg, tc.reason) {
				t.Errorf("message %q: want the path, %q and what to do", msg, tc.reason)
			}
		})
	}
}

// TestRefresh: with Options.Refresh nothing stored before is served, new
// vectors replace old ones, and a later normal open serves the new ones.
func TestRefresh(t *testing.T) {
	const dim = 3
	dir := t.TempDir()
	fill(t, dir, 4, dim) // t0..t3 -> vec(0..3)
	c, err := OpenWith(dir, Options{Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	_, miss, err := c.Get(key, texts(4))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{0, 1, 2, 3}, miss); d != "" {
		t.Fatalf("refresh: misses (-want +got):\n%s", d)
	}
	if err := c.Put(key, []string{"t1", "t2"}, [][]float32{vec(11, dim), vec(12, dim)}); err != nil {
		t.Fatal(err)
	}
	// Put twice in one refresh: the second is a duplicate, not appended.
	if err := c.Put(key, []string{"t1"}, [][]float32{vec(99, dim)}); err != nil {
		t.Fatal(err)
	}
	got, miss, err := c.Get(key, texts(4))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{0, 3}, miss); d != "" {
		t.Errorf("after Put: misses (-want +got):\n%s", d)
	}
	if d := cmp.Diff([][]float32{nil, vec(11, dim), vec(12, dim), nil}, got); d != "" {
		t.Errorf("after Put (-want +got):\n%s", d)
	}
	c.Close()
	c2 := mustOpen(t, dir)
	got, miss, err = c2.Get(key, texts(4))
	if err != nil || len(miss) != 0 {
		t.Fatalf("reopen: miss %v, err %v", miss, err)
	}
	if d := cmp.Diff([][]float32{vec(0, dim), vec(11, dim), vec(12, dim), vec(3, dim)}, got); d != "" {
		t.Errorf("reopen (-want +got):\n%s", d)
	}
}

// TestWritersShareOneFolder: two shard writers fill their own logs in one
// folder at once, each sees only what it can read, and a plain Cache
// opened afterwards serves both shards' vectors (issue 16 item 3).
func TestWritersShareOneFolder(t *testing.T) {
	dir := t.TempDir()
	k := Key{Model: "m", Role: "document", Prompt: "passage: "}
	a, err := OpenWith(dir, Options{Writer: "shard-0-of-2"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenWith(dir, Options{Writer: "shard-1-of-2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put(k, []string{"x"}, [][]float32{{1, 2}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(k, []string{"y"}, [][]float32{{3, 4}}); err != nil {
		t.Fatal(err)
	}
	if a.ReadOnly(k) || b.ReadOnly(k) {
		t.Error("a shard writer was left read-only: the writers contend for one log")
	}
	for _, c := range []*Cache{a, b} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenWith(dir, Options{Writer: "Shard/1"}); err == nil {
		t.Error("a writer name with a separator was accepted")
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vecs, miss, err := c.Get(k, []string{"x", "y", "z"})
	if err != nil {
		t.Fatal(err)
	}
	if len(miss) != 1 || miss[0] != 2 || vecs[0][0] != 1 || vecs[1][0] != 3 {
		t.Errorf("merged read: vecs %v, miss %v", vecs, miss)
	}
	r, err := OpenWith(dir, Options{Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, miss, _ := r.Get(k, []string{"x", "y"}); len(miss) != 2 {
		t.Errorf("a Refresh cache served other writers' vectors: misses %v", miss)
	}
}
