package precomputed

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// File is an open vectors file. Lookups are safe for concurrent use.
type File struct {
	path   string
	f      *os.File
	hdr    Header
	size   int    // bytes per vector
	index  []byte // count x entryLen, sorted by hash
	closed bool   // Close ran (a second Close does nothing)
}

// Open opens a vectors file and reads its index into memory.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("precomputed: %w", err)
	}
	v, err := open(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("precomputed %s: %w", path, err)
	}
	return v, nil
}

func open(path string, f *os.File) (*File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < int64(len(Magic)+trailerLen) {
		return nil, fmt.Errorf("file of %d bytes is too short to be a vectors file", size)
	}
	head := make([]byte, len(Magic))
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, err
	}
	if string(head) != Magic {
		return nil, fmt.Errorf("not a vectors file (magic %q, want %q)", head, Magic)
	}
	tr := make([]byte, trailerLen)
	if _, err := f.ReadAt(tr, size-int64(trailerLen)); err != nil {
		return nil, err
	}
	indexOff, headerOff, headerLen, err := parseTrailer(tr)
	if err != nil {
		return nil, err
	}
	if headerOff+uint64(headerLen)+uint64(trailerLen) != uint64(size) || indexOff > headerOff {
		return nil, fmt.Errorf("corrupt trailer (index at %d, header at %d+%d, file %d bytes)", indexOff, headerOff, headerLen, size)
	}
	hb := make([]byte, headerLen)
	if _, err := f.ReadAt(hb, int64(headerOff)); err != nil {
		return nil, err
	}
	v := &File{path: path, f: f}
	if err := json.Unmarshal(hb, &v.hdr); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	h := v.hdr
	if h.Format != FormatVersion {
		return nil, fmt.Errorf("format version %d, this build reads %d", h.Format, FormatVersion)
	}
	if h.Key != KeyScheme {
		return nil, fmt.Errorf("key scheme %q, want %q", h.Key, KeyScheme)
	}
	sz, err := dtypeSize(h.Dtype)
	if err != nil {
		return nil, err
	}
	if h.Dim <= 0 || h.Count < 0 {
		return nil, fmt.Errorf("header has dim %d, count %d", h.Dim, h.Count)
	}
	v.size = sz * h.Dim
	if want := uint64(len(Magic)) + uint64(h.Count)*uint64(v.size); indexOff != want {
		return nil, fmt.Errorf("index at offset %d, but %d vectors of %d bytes end at %d", indexOff, h.Count, v.size, want)
	}
	if headerOff-indexOff != uint64(h.Count)*entryLen {
		return nil, fmt.Errorf("index holds %d bytes, want %d entries of %d", headerOff-indexOff, h.Count, entryLen)
	}
	v.index = make([]byte, headerOff-indexOff)
	if _, err := io.ReadFull(io.NewSectionReader(f, int64(indexOff), int64(len(v.index))), v.index); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	for i := 1; i < h.Count; i++ {
		if bytes.Compare(v.index[(i-1)*entryLen:(i-1)*entryLen+hashLen], v.index[i*entryLen:i*entryLen+hashLen]) >= 0 {
			return nil, fmt.Errorf("index is not strictly sorted at entry %d", i)
		}
	}
	return v, nil
}

// Header returns the file's header.
func (v *File) Header() Header { return v.hdr }

// Len is the number of vectors.
func (v *File) Len() int { return v.hdr.Count }

// Dim is the vector dimension.
func (v *File) Dim() int { return v.hdr.Dim }

// Path is the file's path.
func (v *File) Path() string { return v.path }

// row finds the row of key, or -1.
func (v *File) row(k [hashLen]byte) int64 {
	n := v.hdr.Count
	i := sort.Search(n, func(i int) bool { return bytes.Compare(v.index[i*entryLen:i*entryLen+hashLen], k[:]) >= 0 })
	if i == n || !bytes.Equal(v.index[i*entryLen:i*entryLen+hashLen], k[:]) {
		return -1
	}
	return int64(binary.LittleEndian.Uint64(v.index[i*entryLen+hashLen:]))
}

// Lookup returns the vector of text (the exact string the model encoded,
// prompt included), as float32.
func (v *File) Lookup(text string) ([]float32, bool) {
	out := make([]float32, v.hdr.Dim)
	ok, err := v.LookupInto(out, text)
	return out, ok && err == nil
}

// LookupInto writes the vector of text into dst (len Dim) without
// allocating a vector. It returns false when text is absent, and an error
// only when the file cannot be read.
func (v *File) LookupInto(dst []float32, text string) (bool, error) {
	r := v.row(Key(text))
	if r < 0 {
		return false, nil
	}
	if len(dst) != v.hdr.Dim {
		return false, fmt.Errorf("precomputed %s: destination has %d dimensions, want %d", v.path, len(dst), v.hdr.Dim)
	}
	b := make([]byte, v.size)
	if _, err := v.f.ReadAt(b, int64(len(Magic))+r*int64(v.size)); err != nil {
		return false, fmt.Errorf("precomputed %s: row %d: %w", v.path, r, err)
	}
	getVec(dst, b, v.hdr.Dtype)
	return true, nil
}

// Close releases the file; a second call does nothing.
func (v *File) Close() error {
	if v.closed {
		return nil
	}
	v.closed = true
	return v.f.Close()
}
