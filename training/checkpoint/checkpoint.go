// Package checkpoint saves and restores a training run exactly: every
// variable of the GoMLX context (student weights, psi, AdamW moments,
// gradient accumulators and the random state that drives dropout) plus the
// trainer's own state (step, data cursor, seeds) as JSON.
//
// File layout (one file, written to a temporary name, synced and renamed, so
// a crash leaves the previous checkpoint intact):
//
//	"MIMOCKPT1\n" | uint64 little-endian header length | header JSON | raw tensor bytes
//
// The header lists each variable's scope, name, dtype, dimensions, trainable
// flag and byte range, and carries the caller's state verbatim.
package checkpoint

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

const magic = "MIMOCKPT1\n"

type varHeader struct {
	Scope     string `json:"scope"`
	Name      string `json:"name"`
	DType     string `json:"dtype"`
	DTypeID   int    `json:"dtype_id"`
	Dims      []int  `json:"dims"`
	Trainable bool   `json:"trainable"`
	Offset    int64  `json:"offset"`
	Bytes     int64  `json:"bytes"`
}

type header struct {
	State     json.RawMessage `json:"state"`
	Variables []varHeader     `json:"variables"`
}

// Save writes every variable of ctx that has a value, and state (any
// JSON-serialisable value), to path atomically.
func Save(path string, ctx *context.Context, state any) error {
	st, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("checkpoint %s: state: %w", path, err)
	}
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.HasValue() {
			vars = append(vars, v)
		}
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].ScopeAndName() < vars[j].ScopeAndName() })
	h := header{State: st}
	var off int64
	for _, v := range vars {
		n := int64(v.Shape().Memory())
		h.Variables = append(h.Variables, varHeader{
			Scope: v.Scope(), Name: v.Name(), DType: v.DType().String(), DTypeID: int(v.DType()),
			Dims: v.Shape().Dimensions, Trainable: v.Trainable, Offset: off, Bytes: n,
		})
		off += n
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("checkpoint %s: header: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	w := bufio.NewWriterSize(tmp, 1<<20)
	w.WriteString(magic)
	if err := binary.Write(w, binary.LittleEndian, uint64(len(hb))); err != nil {
		return fail(err)
	}
	w.Write(hb) // bufio: a failed write shows at Flush
	for _, v := range vars {
		t, err := v.Value()
		if err != nil {
			return fail(fmt.Errorf("variable %s: %w", v.ScopeAndName(), err))
		}
		var werr error
		if err := t.ConstBytes(func(b []byte) { _, werr = w.Write(b) }); err != nil {
			return fail(fmt.Errorf("variable %s: %w", v.ScopeAndName(), err))
		}
		if werr != nil {
			return fail(werr)
		}
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// Load restores every variable of the checkpoint into ctx (setting existing
// ones, whose shape must match, and creating missing ones) and decodes the
// saved state into state (a pointer) if not nil.
func Load(path string, ctx *context.Context, state any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	m := make([]byte, len(magic))
	if _, err := io.ReadFull(r, m); err != nil || string(m) != magic {
		return fmt.Errorf("checkpoint %s: not a mimo checkpoint (bad magic)", path)
	}
	var hl uint64
	if err := binary.Read(r, binary.LittleEndian, &hl); err != nil || hl > 1<<30 {
		return fmt.Errorf("checkpoint %s: bad header length", path)
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(r, hb); err != nil {
		return fmt.Errorf("checkpoint %s: header: %w", path, err)
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return fmt.Errorf("checkpoint %s: header: %w", path, err)
	}
	for _, vh := range h.Variables {
		dt := dtypes.DType(vh.DTypeID)
		if dt.String() != vh.DType {
			return fmt.Errorf("checkpoint %s: variable %s/%s: dtype %q (id %d) unknown to this build", path, vh.Scope, vh.Name, vh.DType, vh.DTypeID)
		}
		shape := shapes.Make(dt, vh.Dims...)
		if int64(shape.Memory()) != vh.Bytes {
			return fmt.Errorf("checkpoint %s: variable %s/%s: %d bytes for shape %s", path, vh.Scope, vh.Name, vh.Bytes, shape)
		}
		t := tensors.FromShape(shape)
		var rerr error
		if err := t.MutableBytes(func(b []byte) { _, rerr = io.ReadFull(r, b) }); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s/%s: %w", path, vh.Scope, vh.Name, err)
		}
		if rerr != nil {
			return fmt.Errorf("checkpoint %s: variable %s/%s: truncated: %w", path, vh.Scope, vh.Name, rerr)
		}
		v := ctx.GetVariableByScopeAndName(vh.Scope, vh.Name)
		if v == nil {
			v = ctx.InAbsPath(vh.Scope).Checked(false).VariableWithValue(vh.Name, t)
			v.SetTrainable(vh.Trainable)
			continue
		}
		if !v.Shape().Equal(shape) {
			return fmt.Errorf("checkpoint %s: variable %s has shape %s in the checkpoint, %s in the model", path, v.ScopeAndName(), shape, v.Shape())
		}
		if err := v.SetValue(t); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.ScopeAndName(), err)
		}
	}
	if state != nil {
		if err := json.Unmarshal(h.State, state); err != nil {
			return fmt.Errorf("checkpoint %s: state: %w", path, err)
		}
	}
	return nil
}
