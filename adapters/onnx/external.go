package onnx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/adapters/digest"
)

// contentDigest is Identity.Content: the graph, every external data file it
// references and the tokenizer.
func contentDigest(opts adapters.Options, modelPath, tokPath string, extra ...digest.Part) (string, error) {
	ext, err := ExternalData(modelPath)
	if err != nil {
		return "", err
	}
	parts := []digest.Part{{Name: "onnx", Path: modelPath}}
	for _, loc := range ext {
		p := loc
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(modelPath), loc)
		}
		parts = append(parts, digest.Part{Name: "onnx-data:" + loc, Path: p})
	}
	parts = append(parts, digest.Part{Name: "tokenizer", Path: tokPath})
	parts = append(parts, extra...)
	return adapters.ContentDigest(opts, parts...)
}

// ExternalData lists the external data files an ONNX model references
// (TensorProto.external_data "location" of every tensor stored outside the
// model: initializers, sparse initializers, and tensors in node attributes
// and subgraphs), sorted, each once, as written in the model (relative to
// its folder). Their bytes change the vectors as much as the model's do.
//
// It walks the protobuf without reading tensor bytes: inline raw_data is
// skipped with a seek, so a model with gigabytes of inline weights costs a
// few reads.
func ExternalData(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := &pbReader{f: f, br: bufio.NewReaderSize(f, 64<<10)}
	locs := map[string]bool{}
	if err := r.message(fi.Size(), 0, kindModel, locs); err != nil {
		return nil, fmt.Errorf("%s: external data: %w", path, err)
	}
	out := make([]string, 0, len(locs))
	for l := range locs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out, nil
}

// The messages walked and their fields that lead to tensors (onnx.proto3).
type pbKind int

const (
	kindModel pbKind = iota
	kindGraph
	kindNode
	kindAttr
	kindTensor
	kindSparse
	kindEntry
	kindFunction
)

// children maps (message, field number) to the message that field holds.
var children = map[pbKind]map[int]pbKind{
	kindModel:    {7: kindGraph, 25: kindFunction},                                                             // graph, functions
	kindGraph:    {1: kindNode, 5: kindTensor, 15: kindSparse},                                                 // node, initializer, sparse_initializer
	kindNode:     {5: kindAttr},                                                                                // attribute
	kindAttr:     {5: kindTensor, 6: kindGraph, 10: kindTensor, 11: kindGraph, 22: kindSparse, 23: kindSparse}, // t, g, tensors, graphs, sparse_tensor(s)
	kindSparse:   {1: kindTensor, 2: kindTensor},                                                               // values, indices
	kindTensor:   {13: kindEntry},                                                                              // external_data
	kindFunction: {7: kindNode},                                                                                // node
}

// maxDepth bounds the nesting of subgraphs followed.
const maxDepth = 64

var errBadProto = errors.New("malformed protobuf")

type pbReader struct {
	f  *os.File
	br *bufio.Reader
}

func (r *pbReader) skip(n int64) error {
	if n <= int64(r.br.Buffered()) {
		_, err := r.br.Discard(int(n))
		return err
	}
	n -= int64(r.br.Buffered())
	if _, err := r.f.Seek(n, io.SeekCurrent); err != nil {
		return err
	}
	r.br.Reset(r.f)
	return nil
}

func (r *pbReader) varint(left *int64) (uint64, error) {
	var x uint64
	for i := 0; i < 10; i++ {
		if *left <= 0 {
			return 0, errBadProto
		}
		b, err := r.br.ReadByte()
		if err != nil {
			return 0, errBadProto
		}
		*left--
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return x, nil
		}
	}
	return 0, errBadProto
}

// message walks n bytes of a message of kind k, adding to locs the external
// data locations found.
func (r *pbReader) message(n int64, depth int, k pbKind, locs map[string]bool) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d", errBadProto, maxDepth)
	}
	var key, value string
	for n > 0 {
		tag, err := r.varint(&n)
		if err != nil {
			return err
		}
		field, wire := int(tag>>3), tag&7
		switch wire {
		case 0:
			if _, err := r.varint(&n); err != nil {
				return err
			}
		case 1, 5:
			w := int64(8)
			if wire == 5 {
				w = 4
			}
			if w > n {
				return errBadProto
			}
			if err := r.skip(w); err != nil {
				return err
			}
			n -= w
		case 2:
			l, err := r.varint(&n)
			if err != nil {
				return err
			}
			if l > uint64(n) {
				return fmt.Errorf("%w: field %d of %d bytes, %d left", errBadProto, field, l, n)
			}
			ln := int64(l)
			n -= ln
			switch child, ok := children[k][field]; {
			case ok:
				if err := r.message(ln, depth+1, child, locs); err != nil {
					return err
				}
			case k == kindEntry && (field == 1 || field == 2) && ln <= 1<<16:
				b := make([]byte, ln)
				if _, err := io.ReadFull(r.br, b); err != nil {
					return errBadProto
				}
				if field == 1 {
					key = string(b)
				} else {
					value = string(b)
				}
			default:
				if err := r.skip(ln); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%w: wire type %d", errBadProto, wire)
		}
	}
	if k == kindEntry && key == "location" && value != "" {
		locs[value] = true
	}
	return nil
}
