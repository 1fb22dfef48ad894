// Package checkpoint saves and restores a training run exactly: every
// variable of the GoMLX context (student weights, psi, AdamW moments,
// gradient accumulators and the random state that drives dropout) plus the
// trainer's own state (step, data cursor, seeds, configuration) as JSON.
//
// File layout, format 2 (all integers little-endian):
//
//	"MIMOCKPT2\n"                         magic and format version
//	uint64 header length N
//	header JSON (N bytes)                 format, state, variables
//	uint32 CRC32C of the header JSON
//	raw tensor bytes                      the variables in header order
//	"MIMOSUM2" + SHA-256 (32 bytes)       digest of every byte before it
//
// The header lists each variable's scope, name, dtype, dimensions, trainable
// flag, byte range and the CRC32C (Castagnoli) of its bytes, and carries the
// caller's state verbatim. Every byte of the file is covered twice: by the
// checksum of its part (which names what is damaged) and by the whole-file
// SHA-256. Load verifies all of it before it touches the context, so a
// damaged, cut or foreign file is an error (*DamagedError) naming the file
// and the part, never a silently different model.
//
// Save writes a temporary file, syncs it and renames it over the target, so
// a crash leaves the previous checkpoint intact; the file it replaces is
// kept as PATH.prev (hard-linked before the rename, so PATH always names a
// complete checkpoint), so that one damaged file does not lose the run.
//
// Format 1 ("MIMOCKPT1\n", no checksums) is refused (*FormatError).
package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Format is the format version this build writes and reads.
const Format = 2

// PrevSuffix names the previous checkpoint Save keeps beside PATH.
const PrevSuffix = ".prev"

const (
	magicPrefix = "MIMOCKPT"
	magicLen    = len(magicPrefix) + 2 // version digit and "\n"
	tailTag     = "MIMOSUM2"
	tailLen     = len(tailTag) + sha256.Size
	// maxHeader bounds the header JSON (a few hundred bytes per variable).
	maxHeader = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// DamagedError is a file that is not an intact checkpoint: Part is what is
// wrong ("file", "header", "variable /scope/name", "tail").
type DamagedError struct {
	Path   string
	Part   string
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("checkpoint %s: %s: %s", e.Path, e.Part, e.Reason)
}

// FormatError is a checkpoint of another format version.
type FormatError struct {
	Path   string
	Format int
}

func (e *FormatError) Error() string {
	if e.Format < Format {
		return fmt.Sprintf("checkpoint %s is format %d (written before checkpoints carried checksums and the run's configuration); "+
			"this build reads format %d only: finish the run with the build that wrote it, or restart it (mimo-train --overwrite)", e.Path, e.Format, Format)
	}
	return fmt.Sprintf("checkpoint %s is format %d, newer than this build's %d: resume it with a newer mimo-train", e.Path, e.Format, Format)
}

// VarInfo describes one stored variable.
type VarInfo struct {
	Scope     string `json:"scope"`
	Name      string `json:"name"`
	DType     string `json:"dtype"`
	DTypeID   int    `json:"dtype_id"`
	Dims      []int  `json:"dims"`
	Trainable bool   `json:"trainable"`
	Offset    int64  `json:"offset"`
	Bytes     int64  `json:"bytes"`
	CRC32C    uint32 `json:"crc32c"`
}

// ScopeAndName is the variable's full name, as context.Variable writes it.
func (v VarInfo) ScopeAndName() string {
	if v.Scope == context.RootScope {
		return v.Scope + v.Name
	}
	return v.Scope + context.ScopeSeparator + v.Name
}

// Info is what Verify reads of an intact checkpoint.
type Info struct {
	Format    int             `json:"format"`
	State     json.RawMessage `json:"state"`
	Variables []VarInfo       `json:"variables"`
	// data is where the tensor bytes start.
	data int64
}

// Save writes every variable of ctx that has a value, and state (any
// JSON-serialisable value), to path atomically, keeping the file it
// replaces as path+PrevSuffix.
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
	h := Info{Format: Format, State: st}
	var off int64
	for _, v := range vars {
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.ScopeAndName(), err)
		}
		var sum uint32
		if err := t.ConstBytes(func(b []byte) { sum = crc32.Checksum(b, castagnoli) }); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.ScopeAndName(), err)
		}
		n := int64(v.Shape().Memory())
		h.Variables = append(h.Variables, VarInfo{
			Scope: v.Scope(), Name: v.Name(), DType: v.DType().String(), DTypeID: int(v.DType()),
			Dims: v.Shape().Dimensions, Trainable: v.Trainable, Offset: off, Bytes: n, CRC32C: sum,
		})
		off += n
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("checkpoint %s: header: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	digest := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(tmp, digest), 1<<20)
	var pre [magicLen + 8]byte
	copy(pre[:], fmt.Sprintf("%s%d\n", magicPrefix, Format))
	binary.LittleEndian.PutUint64(pre[magicLen:], uint64(len(hb)))
	w.Write(pre[:]) // bufio: a failed write shows at Flush
	w.Write(hb)
	w.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(hb, castagnoli)))
	for i, v := range vars {
		var werr error
		var sum uint32
		if err := v.MustValue().ConstBytes(func(b []byte) { sum = crc32.Checksum(b, castagnoli); _, werr = w.Write(b) }); err != nil {
			return fail(fmt.Errorf("variable %s: %w", v.ScopeAndName(), err))
		}
		if werr != nil {
			return fail(werr)
		}
		if sum != h.Variables[i].CRC32C {
			return fail(fmt.Errorf("variable %s changed while it was being saved", v.ScopeAndName()))
		}
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(append([]byte(tailTag), digest.Sum(nil)...)); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := keepPrevious(path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("checkpoint %s: keep the previous one: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// keepPrevious makes path+PrevSuffix the file now at path (if any) without
// path ever being absent: a hard link to a temporary name renamed over the
// old .prev. Where hard links are not supported it copies.
func keepPrevious(path string) error {
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	prev := path + PrevSuffix
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(prev)+".tmp")
	os.Remove(tmp)
	if err := os.Link(path, tmp); err != nil {
		if err := copyFile(path, tmp); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, prev); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncDir makes the renames in dir durable where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported everywhere; the rename itself is what matters
		d.Close()
	}
}

// Verify reads the whole file at path and checks every checksum, without
// loading anything. It returns the header of an intact checkpoint, a
// *DamagedError naming the part that is wrong, or a *FormatError.
func Verify(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	h, err := readHeader(path, f)
	if err != nil {
		return h, err
	}
	digest := sha256.New()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return h, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if _, err := io.CopyN(digest, f, h.data); err != nil {
		return h, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	for _, v := range h.Variables {
		c := crc32.New(castagnoli)
		if _, err := io.CopyBuffer(io.MultiWriter(c, digest), io.LimitReader(r, v.Bytes), buf); err != nil {
			return h, fmt.Errorf("checkpoint %s: variable %s: %w", path, v.ScopeAndName(), err)
		}
		if err := checkVar(path, v, c.Sum32()); err != nil {
			return h, err
		}
	}
	return h, checkTail(path, r, digest)
}

func checkVar(path string, v VarInfo, got uint32) error {
	if got != v.CRC32C {
		return &DamagedError{path, "variable " + v.ScopeAndName(),
			fmt.Sprintf("checksum mismatch (stored crc32c %08x, computed %08x): the file is damaged", v.CRC32C, got)}
	}
	return nil
}

func checkTail(path string, r io.Reader, digest hash.Hash) error {
	tail := make([]byte, tailLen)
	if _, err := io.ReadFull(r, tail); err != nil {
		return fmt.Errorf("checkpoint %s: tail: %w", path, err)
	}
	if string(tail[:len(tailTag)]) != tailTag {
		return &DamagedError{path, "tail", fmt.Sprintf("bad tag %q, want %q: the file is damaged", tail[:len(tailTag)], tailTag)}
	}
	if want, got := tail[len(tailTag):], digest.Sum(nil); !bytes.Equal(want, got) {
		return &DamagedError{path, "tail", fmt.Sprintf("checksum mismatch of the whole file (stored sha-256 %x, computed %x): the file is damaged", want, got)}
	}
	return nil
}

// storable reports whether dt is a dtype whose tensors this package stores
// (the ones with a Go type; others would panic in GoMLX).
func storable(dt dtypes.DType) bool {
	switch dt {
	case dtypes.Int64, dtypes.Int32, dtypes.Int16, dtypes.Int8,
		dtypes.Uint64, dtypes.Uint32, dtypes.Uint16, dtypes.Uint8, dtypes.Bool,
		dtypes.Float16, dtypes.BFloat16, dtypes.Float32, dtypes.Float64,
		dtypes.Complex64, dtypes.Complex128:
		return true
	}
	return false
}

// readHeader reads and checks everything up to the tensor bytes, and checks
// that the file has exactly the size the header describes.
func readHeader(path string, f *os.File) (Info, error) {
	var h Info
	fi, err := f.Stat()
	if err != nil {
		return h, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	size := fi.Size()
	damaged := func(part, format string, args ...any) error {
		return &DamagedError{path, part, fmt.Sprintf(format, args...)}
	}
	pre := make([]byte, magicLen+8)
	n, _ := io.ReadFull(f, pre)
	if n < len(magicPrefix) || string(pre[:len(magicPrefix)]) != magicPrefix {
		return h, damaged("file", "not a mimo checkpoint (bad magic)")
	}
	if n < magicLen || pre[magicLen-1] != '\n' || pre[magicLen-2] < '0' || pre[magicLen-2] > '9' {
		if n < magicLen {
			return h, damaged("file", "truncated after %d bytes", n)
		}
		return h, damaged("file", "not a mimo checkpoint (bad magic)")
	}
	if v := int(pre[magicLen-2] - '0'); v != Format {
		return h, &FormatError{Path: path, Format: v}
	}
	if n < len(pre) {
		return h, damaged("header", "truncated after %d bytes", n)
	}
	hl := binary.LittleEndian.Uint64(pre[magicLen:])
	fixed := int64(len(pre) + 4 + tailLen)
	if hl > maxHeader || int64(hl) > size-fixed {
		return h, damaged("header", "length %d does not fit the file's %d bytes (the header length is damaged or the file truncated)", hl, size)
	}
	hb := make([]byte, hl+4)
	if _, err := io.ReadFull(f, hb); err != nil {
		return h, fmt.Errorf("checkpoint %s: header: %w", path, err)
	}
	hb, stored := hb[:hl], binary.LittleEndian.Uint32(hb[hl:])
	if got := crc32.Checksum(hb, castagnoli); got != stored {
		return h, damaged("header", "checksum mismatch (stored crc32c %08x, computed %08x): the file is damaged", stored, got)
	}
	dec := json.NewDecoder(bytes.NewReader(hb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return h, damaged("header", "%v", err)
	}
	if h.Format != Format {
		return h, damaged("header", "format %d in a format-%d file", h.Format, Format)
	}
	h.data = int64(len(pre)) + int64(hl) + 4
	return h, checkVariables(path, h, size)
}

// checkVariables checks h's variable table against the file's size: names,
// dtypes, dimensions, contiguous offsets, no duplicate, and a file that ends
// exactly after the last variable and the tail.
func checkVariables(path string, h Info, size int64) error {
	damaged := func(part, format string, args ...any) error {
		return &DamagedError{path, part, fmt.Sprintf(format, args...)}
	}
	var off int64
	seen := map[string]bool{}
	for i, v := range h.Variables {
		part := fmt.Sprintf("variable %d (%s)", i, v.ScopeAndName())
		// GoMLX panics on a scope that is not absolute (Load would create
		// the variable with InAbsPath) and on an empty name.
		if !strings.HasPrefix(v.Scope, context.ScopeSeparator) || v.Name == "" || strings.Contains(v.Name, context.ScopeSeparator) {
			return damaged(part, "scope %q and name %q do not name a variable (an absolute scope starting with %q and a non-empty name without it)", v.Scope, v.Name, context.ScopeSeparator)
		}
		dt := dtypes.DType(v.DTypeID)
		if !storable(dt) || dt.String() != v.DType {
			return damaged(part, "dtype %q (id %d) unknown to this build", v.DType, v.DTypeID)
		}
		elems := int64(1)
		for _, d := range v.Dims {
			if d < 0 || (d > 0 && elems > math.MaxInt64/int64(d)) {
				return damaged(part, "bad dimensions %v", v.Dims)
			}
			elems *= int64(d)
		}
		if elems == 0 {
			// GoMLX's byte views of an empty tensor panic, so Save never
			// writes one and Load refuses it.
			return damaged(part, "dimensions %v hold no values", v.Dims)
		}
		if elems > (size-h.data)/int64(dt.Size()) || elems*int64(dt.Size()) != v.Bytes {
			return damaged(part, "%d bytes for %s%v (the file has %d)", v.Bytes, dt, v.Dims, size)
		}
		if v.Offset != off {
			return damaged(part, "offset %d, want %d", v.Offset, off)
		}
		if seen[v.ScopeAndName()] {
			return damaged(part, "stored twice")
		}
		seen[v.ScopeAndName()] = true
		off += v.Bytes
	}
	want := h.data + off + int64(tailLen)
	switch {
	case size < want:
		what := "the tail"
		for _, v := range h.Variables {
			if h.data+v.Offset+v.Bytes > size {
				what = "variable " + v.ScopeAndName()
				break
			}
		}
		return damaged("file", "truncated: %d bytes, the header describes %d (%s is incomplete): the write did not finish or the file was cut", size, want, what)
	case size > want:
		return damaged("file", "%d bytes of trailing data after the checkpoint's %d: the file is damaged", size-want, want)
	}
	return nil
}

// Load restores every variable of the checkpoint into ctx (setting existing
// ones, whose shape must match, and creating missing ones) and decodes the
// saved state into state (a pointer) if not nil. It verifies the whole file
// first (see Verify) and checks every shape and the state before it changes
// anything, so on error ctx is as it was (unless the file changes while it
// is read, which the checksums then report).
func Load(path string, ctx *context.Context, state any) error {
	h, err := Verify(path)
	if err != nil {
		return err
	}
	for _, vh := range h.Variables {
		shape := shapes.Make(dtypes.DType(vh.DTypeID), vh.Dims...)
		if v := ctx.GetVariableByScopeAndName(vh.Scope, vh.Name); v != nil && !v.Shape().Equal(shape) {
			return fmt.Errorf("checkpoint %s: variable %s has shape %s in the checkpoint, %s in the model", path, v.ScopeAndName(), shape, v.Shape())
		}
	}
	if state != nil {
		if err := json.Unmarshal(h.State, state); err != nil {
			return fmt.Errorf("checkpoint %s: state: %w", path, err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(h.data, io.SeekStart); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	for _, vh := range h.Variables {
		t := tensors.FromShape(shapes.Make(dtypes.DType(vh.DTypeID), vh.Dims...))
		var rerr error
		var sum uint32
		if err := t.MutableBytes(func(b []byte) {
			_, rerr = io.ReadFull(r, b)
			sum = crc32.Checksum(b, castagnoli)
		}); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, vh.ScopeAndName(), err)
		}
		if rerr != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, vh.ScopeAndName(), rerr)
		}
		if err := checkVar(path, vh, sum); err != nil {
			return fmt.Errorf("%w (the file changed while it was read)", err)
		}
		v := ctx.GetVariableByScopeAndName(vh.Scope, vh.Name)
		if v == nil {
			v = ctx.InAbsPath(vh.Scope).Checked(false).VariableWithValue(vh.Name, t)
			v.SetTrainable(vh.Trainable)
			continue
		}
		if err := v.SetValue(t); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.ScopeAndName(), err)
		}
	}
	return nil
}
