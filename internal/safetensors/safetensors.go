// Package safetensors reads and writes the safetensors format of Hugging
// Face weights (https://github.com/huggingface/safetensors): float32, float16,
// bfloat16 and float64 tensors, read as float32; written as float32. The
// native encoder reads its weights through it, and adapters the Dense heads
// of sentence-transformers folders.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/x448/float16"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// The safetensors format (https://github.com/huggingface/safetensors): an
// 8-byte little-endian header length N, N bytes of JSON mapping each tensor
// name to {dtype, shape, data_offsets [begin, end)} relative to the byte
// after the header (plus an optional "__metadata__" string map), then the
// raw little-endian tensor data, row-major.

// Entry is one tensor's header entry.
type Entry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// File is an open safetensors file: its header and the reader of its data.
type File struct {
	path    string
	f       *os.File
	base    int64 // offset of the data section
	size    int64 // size of the data section
	entries map[string]Entry
}

// maxHeader bounds the JSON header (the format's own limit is 100 MB).
const maxHeader = 100 << 20

func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := readHeader(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return st, nil
}

func readHeader(path string, f *os.File) (*File, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("safetensors %s: reading header length: %w", path, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n == 0 || n > maxHeader || int64(n)+8 > fi.Size() {
		return nil, fmt.Errorf("safetensors %s: header length %d is invalid for a file of %d bytes", path, n, fi.Size())
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return nil, fmt.Errorf("safetensors %s: reading header: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, fmt.Errorf("safetensors %s: header: %w", path, err)
	}
	st := &File{path: path, f: f, base: 8 + int64(n), size: fi.Size() - 8 - int64(n), entries: map[string]Entry{}}
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var e Entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("safetensors %s: tensor %q: %w", path, name, err)
		}
		width, ok := dtypeWidth[e.DType]
		if !ok {
			return nil, fmt.Errorf("safetensors %s: tensor %q: dtype %q is not supported (F32, F16, BF16, F64)", path, name, e.DType)
		}
		want := int64(width)
		empty := slices.Contains(e.Shape, 0)
		for _, d := range e.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors %s: tensor %q: negative dimension in shape %v", path, name, e.Shape)
			}
			// Checked like the reference implementation's checked_mul: a
			// product that wrapped around could match the data_offsets
			// (shape [2^32, 2^32] of F32 wraps to 0 bytes).
			if !empty && want > math.MaxInt64/int64(d) {
				return nil, fmt.Errorf("safetensors %s: tensor %q: shape %v of %s overflows a 64-bit byte count", path, name, e.Shape, e.DType)
			}
			want *= int64(d)
		}
		if e.Offsets[0] < 0 || e.Offsets[1] < e.Offsets[0] || e.Offsets[1] > st.size || e.Offsets[1]-e.Offsets[0] != want {
			return nil, fmt.Errorf("safetensors %s: tensor %q: data_offsets %v do not hold %s%v (%d bytes) inside %d data bytes",
				path, name, e.Offsets, e.DType, e.Shape, want, st.size)
		}
		st.entries[name] = e
	}
	return st, nil
}

var dtypeWidth = map[string]int{"F32": 4, "F16": 2, "BF16": 2, "F64": 8}

func (st *File) Close() error { return st.f.Close() }

// Names lists the tensors, sorted.
func (st *File) Names() []string {
	out := make([]string, 0, len(st.entries))
	for n := range st.entries {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Float32s reads tensor name converted to float32.
func (st *File) Float32s(name string) ([]float32, error) {
	e := st.entries[name]
	raw := make([]byte, e.Offsets[1]-e.Offsets[0])
	if _, err := st.f.ReadAt(raw, st.base+e.Offsets[0]); err != nil {
		return nil, fmt.Errorf("safetensors %s: tensor %q: %w", st.path, name, err)
	}
	n := len(raw) / dtypeWidth[e.DType]
	out := make([]float32, n)
	switch e.DType {
	case "F32":
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case "F64":
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	case "F16":
		for i := range out {
			out[i] = float16.Frombits(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
		}
	case "BF16":
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
	}
	return out, nil
}

// Tensor is a named float32 tensor, row-major.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Write writes tensors as F32 safetensors, atomically. Tensors are
// laid out in name order; the header is padded with spaces to a multiple of
// 8 bytes, as the reference implementation does, so data is aligned.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	tensors = slices.Clone(tensors)
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].Name < tensors[j].Name })
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, t := range tensors {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if n != len(t.Data) {
			return fmt.Errorf("safetensors %s: tensor %q: shape %v holds %d values, got %d", path, t.Name, t.Shape, n, len(t.Data))
		}
		if _, dup := header[t.Name]; dup || t.Name == "__metadata__" {
			return fmt.Errorf("safetensors %s: tensor name %q repeated or reserved", path, t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = Entry{DType: "F32", Shape: shape, Offsets: [2]int64{off, off + 4*int64(n)}}
		off += 4 * int64(n)
	}
	hdr, err := json.Marshal(header) // keys sorted
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	if pad := (8 - len(hdr)%8) % 8; pad > 0 {
		hdr = append(hdr, []byte(strings.Repeat(" ", pad))...)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		var lenBuf [8]byte
		binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
		if _, err := w.Write(lenBuf[:]); err != nil {
			return err
		}
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		var b [4]byte
		for _, t := range tensors {
			for _, v := range t.Data {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
				if _, err := w.Write(b[:]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Entry returns the header entry of tensor name.
func (st *File) Entry(name string) (Entry, bool) {
	e, ok := st.entries[name]
	return e, ok
}

// ReadAll reads every tensor of the safetensors file at path, converted to
// float32, in name order.
func ReadAll(path string) ([]Tensor, error) {
	st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []Tensor
	for _, n := range st.Names() {
		d, err := st.Float32s(n)
		if err != nil {
			return nil, err
		}
		out = append(out, Tensor{Name: n, Shape: slices.Clone(st.entries[n].Shape), Data: d})
	}
	return out, nil
}
