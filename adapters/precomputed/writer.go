package precomputed

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/mimo-mlir/mimo/adapters"
)

// Writer adds vectors one at a time, streaming them to a temporary file
// beside the destination; Close writes the index and renames the file into
// place. Memory use is the index: 40 bytes per text. Not safe for
// concurrent use.
type Writer struct {
	path   string
	tmp    *os.File
	buf    *bufio.Writer
	hdr    Header
	size   int // bytes per vector
	rows   map[[hashLen]byte]uint64
	order  [][hashLen]byte
	enc    []byte
	closed bool
}

// WriterOption adjusts a Writer.
type WriterOption func(*Writer) error

// WithDtype stores vectors as Float32 (the default) or Float16.
func WithDtype(dtype string) WriterOption {
	return func(w *Writer) error {
		if _, err := dtypeSize(dtype); err != nil {
			return err
		}
		w.hdr.Dtype = dtype
		return nil
	}
}

// Create starts a vectors file at path for vectors of ident.Dim dimensions
// produced by the model ident describes. Nothing appears at path until Close.
func Create(path string, ident adapters.Identity, opts ...WriterOption) (*Writer, error) {
	w := &Writer{
		path: path,
		hdr:  Header{Format: FormatVersion, Identity: ident, Dim: ident.Dim, Dtype: Float32, Key: KeyScheme},
		rows: map[[hashLen]byte]uint64{},
	}
	for _, o := range opts {
		if err := o(w); err != nil {
			return nil, fmt.Errorf("precomputed %s: %w", path, err)
		}
	}
	if w.hdr.Dim <= 0 {
		return nil, fmt.Errorf("precomputed %s: identity dim is %d, want > 0", path, w.hdr.Dim)
	}
	if w.hdr.Dtype == Float16 {
		// Rounding to half precision changes the vectors: say so in the
		// identity, which keys caches and goes into result metadata.
		w.hdr.Identity.Dtype = Float16
	}
	sz, _ := dtypeSize(w.hdr.Dtype)
	w.size = sz * w.hdr.Dim
	w.enc = make([]byte, w.size)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("precomputed %s: %w", path, err)
	}
	w.tmp = f
	w.buf = bufio.NewWriterSize(f, 1<<20)
	if _, err := w.buf.WriteString(Magic); err != nil {
		w.Abort()
		return nil, fmt.Errorf("precomputed %s: %w", path, err)
	}
	return w, nil
}

// Add stores the vector of text (the exact string the model encoded, prompt
// included). A text already stored is skipped and counted as a duplicate
// (its first vector is kept). Vectors must have the writer's dimension and
// finite values.
func (w *Writer) Add(text string, vec []float32) error {
	if w.closed {
		return errors.New("precomputed: Add after Close")
	}
	if len(vec) != w.hdr.Dim {
		return fmt.Errorf("precomputed %s: text %q: vector has %d dimensions, want %d", w.path, clip(text), len(vec), w.hdr.Dim)
	}
	for i, x := range vec {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("precomputed %s: text %q: value %d is %v", w.path, clip(text), i, x)
		}
	}
	k := Key(text)
	if _, dup := w.rows[k]; dup {
		w.hdr.Duplicates++
		return nil
	}
	putVec(w.enc, vec, w.hdr.Dtype)
	if _, err := w.buf.Write(w.enc); err != nil {
		return fmt.Errorf("precomputed %s: %w", w.path, err)
	}
	w.rows[k] = uint64(len(w.order))
	w.order = append(w.order, k)
	return nil
}

// Has reports whether text is already stored (to skip recomputing it).
func (w *Writer) Has(text string) bool {
	_, ok := w.rows[Key(text)]
	return ok
}

// Len is the number of vectors stored so far.
func (w *Writer) Len() int { return len(w.order) }

// Close writes the index, header and trailer, syncs, and renames the file
// into place.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.finish()
	if err != nil {
		w.tmp.Close()
		os.Remove(w.tmp.Name())
		return fmt.Errorf("precomputed %s: %w", w.path, err)
	}
	return nil
}

func (w *Writer) finish() error {
	indexOff := uint64(len(Magic)) + uint64(len(w.order))*uint64(w.size)
	keys := append([][hashLen]byte(nil), w.order...)
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	var e [entryLen]byte
	for _, k := range keys {
		copy(e[:], k[:])
		putU64(e[hashLen:], w.rows[k])
		if _, err := w.buf.Write(e[:]); err != nil {
			return err
		}
	}
	w.hdr.Count = len(w.order)
	hj, err := json.Marshal(w.hdr)
	if err != nil {
		return err
	}
	headerOff := indexOff + uint64(len(keys))*entryLen
	if _, err := w.buf.Write(hj); err != nil {
		return err
	}
	if _, err := w.buf.Write(trailer(indexOff, headerOff, uint32(len(hj)))); err != nil {
		return err
	}
	if err := w.buf.Flush(); err != nil {
		return err
	}
	if err := w.tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := w.tmp.Sync(); err != nil {
		return err
	}
	if err := w.tmp.Close(); err != nil {
		return err
	}
	return os.Rename(w.tmp.Name(), w.path)
}

// Abort discards the file being written.
func (w *Writer) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	w.tmp.Close()
	os.Remove(w.tmp.Name())
}

// Write stores texts[i] -> vecs[i] at path in one call (float32).
func Write(path string, ident adapters.Identity, texts []string, vecs [][]float32) error {
	if len(texts) != len(vecs) {
		return fmt.Errorf("precomputed %s: %d texts but %d vectors", path, len(texts), len(vecs))
	}
	if ident.Dim == 0 && len(vecs) > 0 {
		ident.Dim = len(vecs[0])
	}
	w, err := Create(path, ident)
	if err != nil {
		return err
	}
	for i, t := range texts {
		if err := w.Add(t, vecs[i]); err != nil {
			w.Abort()
			return fmt.Errorf("text %d: %w", i, err)
		}
	}
	return w.Close()
}

func putU64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }

func clip(s string) string {
	r := []rune(s)
	if len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// Append continues the vectors file at path: a Writer that already holds
// every vector of the existing file (copied, not recomputed), so a teacher
// cache can grow across runs. When path does not exist it is Create. The
// existing file must have been written for the same identity and dtype.
func Append(path string, ident adapters.Identity, opts ...WriterOption) (*Writer, error) {
	old, err := Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Create(path, ident, opts...)
		}
		return nil, err
	}
	defer old.Close()
	w, err := Create(path, ident, opts...)
	if err != nil {
		return nil, err
	}
	oh := old.Header()
	if oh.Dtype != w.hdr.Dtype || oh.Dim != w.hdr.Dim || oh.Identity.Key() != w.hdr.Identity.Key() {
		w.Abort()
		return nil, fmt.Errorf("precomputed %s: cannot append: file holds %s x %d from model %q (identity %s), writer has %s x %d from %q (identity %s)",
			path, oh.Dtype, oh.Dim, oh.Identity.Name, oh.Identity.Key(), w.hdr.Dtype, w.hdr.Dim, w.hdr.Identity.Name, w.hdr.Identity.Key())
	}
	n := int64(oh.Count) * int64(w.size)
	if _, err := io.Copy(w.buf, io.NewSectionReader(old.f, int64(len(Magic)), n)); err != nil {
		w.Abort()
		return nil, fmt.Errorf("precomputed %s: copying vectors: %w", path, err)
	}
	w.order = make([][hashLen]byte, oh.Count)
	for i := range oh.Count {
		var k [hashLen]byte
		copy(k[:], old.index[i*entryLen:])
		row := binary.LittleEndian.Uint64(old.index[i*entryLen+hashLen:])
		w.rows[k] = row
		w.order[row] = k
	}
	w.hdr.Duplicates = oh.Duplicates
	return w, nil
}
