// Package onnxpb writes ONNX models: the protobuf wire format of the subset
// of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto) that an inference graph of float32 weights
// and int64 ids needs, with every weight in an external data file beside
// the model (so a model over protobuf's 2 GB limit is written the same way).
//
// The mental model: a Graph collects nodes, initializers, inputs and
// outputs by name, as ONNX does; WriteModel encodes it. Field numbers are
// onnx.proto's (IR version 8, opset given by the caller). Nothing here knows
// about transformers; transformer builds its graphs with it.
package onnxpb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// Element types (TensorProto.DataType).
const (
	Float = 1
	Int64 = 7
)

// Attr is a node attribute; set exactly one of the value fields.
type Attr struct {
	Name   string
	Int    *int64
	Float  *float32
	Ints   []int64
	String string
}

// I is an int attribute.
func I(name string, v int64) Attr { return Attr{Name: name, Int: &v} }

// F is a float attribute.
func F(name string, v float32) Attr { return Attr{Name: name, Float: &v} }

// Is is an ints attribute.
func Is(name string, v ...int64) Attr { return Attr{Name: name, Ints: v} }

// S is a string attribute.
func S(name string, v string) Attr { return Attr{Name: name, String: v} }

type node struct {
	op      string
	inputs  []string
	outputs []string
	attrs   []Attr
}

type tensor struct {
	name   string
	dims   []int64
	dtype  int
	f32    []float32
	i64    []int64
	inline bool // a constant: raw_data in the graph, which shape inference reads
}

// Dim is one axis of an input or output: a size, or a symbolic name.
type Dim struct {
	Size  int64
	Param string
}

type valueInfo struct {
	name  string
	dtype int
	dims  []Dim
}

// Graph is an ONNX graph under construction.
type Graph struct {
	Name    string
	nodes   []node
	inits   []tensor
	inputs  []valueInfo
	outputs []valueInfo
	n       int
}

// Input declares a graph input.
func (g *Graph) Input(name string, dtype int, dims ...Dim) string {
	g.inputs = append(g.inputs, valueInfo{name, dtype, dims})
	return name
}

// Output declares a graph output (an existing value, renamed by an
// Identity node).
func (g *Graph) Output(value, name string, dtype int, dims ...Dim) {
	g.nodes = append(g.nodes, node{op: "Identity", inputs: []string{value}, outputs: []string{name}})
	g.outputs = append(g.outputs, valueInfo{name, dtype, dims})
}

// Floats adds a float32 initializer and returns its name.
func (g *Graph) Floats(name string, data []float32, dims ...int64) string {
	g.inits = append(g.inits, tensor{name: name, dims: dims, dtype: Float, f32: data})
	return name
}

// Int64s adds an int64 initializer (a constant) and returns its name.
func (g *Graph) Int64s(data []int64, dims ...int64) string {
	name := g.fresh("c")
	g.inits = append(g.inits, tensor{name: name, dims: dims, dtype: Int64, i64: data, inline: true})
	return name
}

// Scalar adds a float32 scalar constant.
func (g *Graph) Scalar(v float32) string {
	name := g.fresh("c")
	g.inits = append(g.inits, tensor{name: name, dtype: Float, f32: []float32{v}, inline: true})
	return name
}

// Op adds a node with one output and returns the output's name.
func (g *Graph) Op(op string, inputs []string, attrs ...Attr) string {
	out := g.fresh(op)
	g.nodes = append(g.nodes, node{op: op, inputs: inputs, outputs: []string{out}, attrs: attrs})
	return out
}

// OpN adds a node with n outputs.
func (g *Graph) OpN(op string, n int, inputs []string, attrs ...Attr) []string {
	outs := make([]string, n)
	for i := range outs {
		outs[i] = g.fresh(op)
	}
	g.nodes = append(g.nodes, node{op: op, inputs: inputs, outputs: outs, attrs: attrs})
	return outs
}

func (g *Graph) fresh(prefix string) string {
	g.n++
	return fmt.Sprintf("%s_%d", prefix, g.n)
}

// WriteModel writes g as path (the graph) and path + "_data" (the bytes of
// every weight added by Floats, little-endian, referenced as ONNX external
// data), each atomically; constants (Int64s, Scalar) stay in the graph,
// where ONNX Runtime's shape inference can read them. opset is the default
// domain's version.
//
// The graph file names byte ranges of the data file, so the two must never
// mix versions: an existing path is removed first, and the graph is only
// written once the data is in place. An interrupted write leaves no graph
// (a clear "no model.onnx"), never a graph over another graph's data.
func WriteModel(path string, g *Graph, opset int64, producer string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("onnx %s: %w", path, err)
	}
	dataName := filepath.Base(path) + "_data"
	var offsets []int64
	err := atomicfile.Write(path+"_data", 0o644, func(w io.Writer) error {
		var off int64
		bw := bufio.NewWriterSize(w, 1<<20)
		var b [8]byte
		for _, t := range g.inits {
			offsets = append(offsets, off)
			if t.inline {
				continue
			}
			if t.dtype == Float {
				for _, v := range t.f32 {
					binary.LittleEndian.PutUint32(b[:4], math.Float32bits(v))
					if _, err := bw.Write(b[:4]); err != nil {
						return err
					}
				}
				off += 4 * int64(len(t.f32))
			} else {
				for _, v := range t.i64 {
					binary.LittleEndian.PutUint64(b[:], uint64(v))
					if _, err := bw.Write(b[:]); err != nil {
						return err
					}
				}
				off += 8 * int64(len(t.i64))
			}
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("onnx %s: %w", path, err)
	}

	var gb buf
	for _, n := range g.nodes {
		gb.msg(1, encodeNode(n))
	}
	gb.str(2, g.Name)
	for i, t := range g.inits {
		n := int64(len(t.f32)) * 4
		if t.dtype == Int64 {
			n = int64(len(t.i64)) * 8
		}
		gb.msg(5, encodeTensor(t, dataName, offsets[i], n))
	}
	for _, v := range g.inputs {
		gb.msg(11, encodeValueInfo(v))
	}
	for _, v := range g.outputs {
		gb.msg(12, encodeValueInfo(v))
	}
	var mb buf
	mb.varint(1, 8) // ir_version
	mb.str(2, producer)
	mb.msg(7, gb.b)
	var op buf
	op.str(1, "")
	op.varint(2, uint64(opset))
	mb.msg(8, op.b)
	if err := atomicfile.WriteFile(path, mb.b, 0o644); err != nil {
		return fmt.Errorf("onnx %s: %w", path, err)
	}
	return nil
}

func encodeNode(n node) []byte {
	var b buf
	for _, in := range n.inputs {
		b.str(1, in)
	}
	for _, out := range n.outputs {
		b.str(2, out)
	}
	b.str(3, n.outputs[0])
	b.str(4, n.op)
	for _, a := range n.attrs {
		b.msg(5, encodeAttr(a))
	}
	return b.b
}

// AttributeProto.AttributeType values.
const (
	attrFloat  = 1
	attrInt    = 2
	attrString = 3
	attrInts   = 7
)

func encodeAttr(a Attr) []byte {
	var b buf
	b.str(1, a.Name)
	switch {
	case a.Float != nil:
		b.fixed32(2, math.Float32bits(*a.Float))
		b.varint(20, attrFloat)
	case a.Int != nil:
		b.varint(3, uint64(*a.Int))
		b.varint(20, attrInt)
	case a.Ints != nil:
		for _, v := range a.Ints {
			b.varint(8, uint64(v))
		}
		b.varint(20, attrInts)
	default:
		b.bytes(4, []byte(a.String))
		b.varint(20, attrString)
	}
	return b.b
}

func encodeTensor(t tensor, location string, offset, length int64) []byte {
	var b buf
	for _, d := range t.dims {
		b.varint(1, uint64(d))
	}
	b.varint(2, uint64(t.dtype))
	b.str(8, t.name)
	if t.inline {
		raw := make([]byte, 0, length)
		for _, v := range t.f32 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		for _, v := range t.i64 {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
		b.bytes(9, raw)
		return b.b
	}
	for _, kv := range [][2]string{{"location", location}, {"offset", fmt.Sprint(offset)}, {"length", fmt.Sprint(length)}} {
		var e buf
		e.str(1, kv[0])
		e.str(2, kv[1])
		b.msg(13, e.b)
	}
	b.varint(14, 1) // data_location EXTERNAL
	return b.b
}

func encodeValueInfo(v valueInfo) []byte {
	var shape buf
	for _, d := range v.dims {
		var db buf
		if d.Param != "" {
			db.str(2, d.Param)
		} else {
			db.varint(1, uint64(d.Size))
		}
		shape.msg(1, db.b)
	}
	var tt buf
	tt.varint(1, uint64(v.dtype))
	tt.msg(2, shape.b)
	var typ buf
	typ.msg(1, tt.b)
	var b buf
	b.str(1, v.name)
	b.msg(2, typ.b)
	return b.b
}

// buf is a protobuf message being encoded.
type buf struct{ b []byte }

func (b *buf) tag(field, wire int) { b.b = binary.AppendUvarint(b.b, uint64(field<<3|wire)) }

func (b *buf) varint(field int, v uint64) {
	b.tag(field, 0)
	b.b = binary.AppendUvarint(b.b, v)
}

func (b *buf) fixed32(field int, v uint32) {
	b.tag(field, 5)
	b.b = binary.LittleEndian.AppendUint32(b.b, v)
}

func (b *buf) bytes(field int, v []byte) {
	b.tag(field, 2)
	b.b = binary.AppendUvarint(b.b, uint64(len(v)))
	b.b = append(b.b, v...)
}

func (b *buf) str(field int, s string) { b.bytes(field, []byte(s)) }
func (b *buf) msg(field int, m []byte) { b.bytes(field, m) }
