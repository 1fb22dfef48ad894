package transformer

import (
	"github.com/mimo-mlir/mimo/internal/safetensors"
)

// The safetensors reader and writer live in internal/safetensors; these
// are the names this package has always used for them.

// stFile is an open safetensors file.
type stFile struct {
	*safetensors.File
	entries map[string]safetensors.Entry
}

func openSafetensors(path string) (*stFile, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	st := &stFile{File: f, entries: map[string]safetensors.Entry{}}
	for _, n := range f.Names() {
		st.entries[n], _ = f.Entry(n)
	}
	return st, nil
}

func (st *stFile) names() []string { return st.Names() }

func (st *stFile) float32s(name string) ([]float32, error) { return st.Float32s(name) }

// stTensor is one float32 tensor to write.
type stTensor = safetensors.Tensor

func writeSafetensors(path string, tensors []stTensor, metadata map[string]string) error {
	return safetensors.Write(path, tensors, metadata)
}

// Tensor is a named float32 tensor of a safetensors file, row-major.
type Tensor = safetensors.Tensor

// ReadTensors reads every tensor of the safetensors file at path, converted
// to float32, in name order.
func ReadTensors(path string) ([]Tensor, error) { return safetensors.ReadAll(path) }

// WriteTensors writes ts as F32 safetensors at path, atomically (a tensor
// whose data does not fill its shape is an error naming it).
func WriteTensors(path string, ts []Tensor) error {
	return safetensors.Write(path, ts, map[string]string{"format": "pt"})
}
