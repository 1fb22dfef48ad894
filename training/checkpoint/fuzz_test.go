package checkpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// assemble builds a format-2 checkpoint around header and data with a
// correct header CRC and whole-file digest. With fixVars it first rewrites
// each variable's CRC32C to match the bytes its range covers, so that a
// fuzzed header reaches Load's creation of variables instead of stopping
// at a checksum.
func assemble(header, data []byte, fixVars bool) []byte {
	if fixVars {
		var h Info
		if json.Unmarshal(header, &h) == nil {
			for i, v := range h.Variables {
				if v.Offset >= 0 && v.Bytes >= 0 && v.Offset <= int64(len(data)) && v.Bytes <= int64(len(data))-v.Offset {
					h.Variables[i].CRC32C = crc32.Checksum(data[v.Offset:v.Offset+v.Bytes], castagnoli)
				}
			}
			if b, err := json.Marshal(h); err == nil {
				header = b
			}
		}
	}
	b := fmt.Appendf(nil, "%s%d\n", magicPrefix, Format)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(header)))
	b = append(b, header...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(header, castagnoli))
	b = append(b, data...)
	sum := sha256.Sum256(b)
	return append(append(b, tailTag...), sum[:]...)
}

// FuzzCheckpoint verifies and loads fuzzed checkpoints (issue 12, "Fuzzing,
// in CI"): mode 0 takes file as the whole file; otherwise file is the
// header JSON and data the tensor bytes, assembled with correct checksums
// (mode bit 1: per-variable CRCs fixed up too). The invariant: no panic, no
// allocation beyond the file's size; an error is non-empty and names the
// file; what loads, saved again, verifies and loads to the same values.
func FuzzCheckpoint(f *testing.F) {
	ctx := context.New()
	ctx.In("student").VariableWithValue("w", tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	ctx.In("optim").VariableWithValue("m", tensors.FromFlatDataAndDimensions([]float64{0.5, -0.5}, 2)).SetTrainable(false)
	ctx.In("optim").VariableWithValue("step", tensors.FromScalar(int64(7)))
	path := filepath.Join(f.TempDir(), "ckpt.mimo")
	if err := Save(path, ctx, map[string]any{"step": 7, "cursor": 896, "method": "mimo", "lr": 3e-5}); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, []byte(nil), uint8(0))
	hl := binary.LittleEndian.Uint64(good[magicLen:])
	header := good[magicLen+8 : magicLen+8+int(hl)]
	data := good[magicLen+8+int(hl)+4 : len(good)-tailLen]
	f.Add(header, data, uint8(1))
	f.Add(header, data, uint8(3))
	f.Add([]byte(`{"format":2,"state":null,"variables":[{"scope":"relative","name":"","dtype":"Float32","dtype_id":11,"dims":[1],"offset":0,"bytes":4}]}`), []byte{0, 0, 128, 63}, uint8(3))
	f.Add([]byte(`{"format":2,"state":{},"variables":[{"scope":"/s","name":"x","dtype":"Float32","dtype_id":11,"dims":[0,4611686018427387904],"offset":0,"bytes":0}]}`), []byte{}, uint8(3))
	f.Add([]byte("MIMOCKPT1\n"), []byte(nil), uint8(0))
	f.Fuzz(func(t *testing.T, file, data []byte, mode uint8) {
		if len(file)+len(data) > 1<<20 {
			t.Skip()
		}
		b := file
		if mode&1 != 0 {
			b = assemble(file, data, mode&2 != 0)
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "ckpt.mimo")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		fresh := context.New()
		var st json.RawMessage
		if err := Load(p, fresh, &st); err != nil {
			if msg := err.Error(); !strings.Contains(msg, p) {
				t.Fatalf("error %q does not name the file", msg)
			}
			return
		}
		// Round trip: save what was loaded, load it again.
		p2 := filepath.Join(dir, "again.mimo")
		if err := Save(p2, fresh, st); err != nil {
			t.Fatalf("a loaded checkpoint does not save: %v", err)
		}
		again := context.New()
		if err := Load(p2, again, nil); err != nil {
			t.Fatalf("saved again, does not load: %v", err)
		}
		for v := range fresh.IterVariables() {
			w := again.GetVariableByScopeAndName(v.Scope(), v.Name())
			if w == nil {
				t.Fatalf("%s lost in the round trip", v.ScopeAndName())
			}
			if !w.Shape().Equal(v.Shape()) || w.Trainable != v.Trainable {
				t.Fatalf("%s: %s trainable %v, then %s trainable %v", v.ScopeAndName(), v.Shape(), v.Trainable, w.Shape(), w.Trainable)
			}
		}
	})
}

// TestLoadRefusesUnnamableOrEmptyVariables pins two panics FuzzCheckpoint
// found in files whose checksums are all right (testdata/fuzz/FuzzCheckpoint/
// relative-scope, empty-variable): a scope without the leading "/" made
// GoMLX's InAbsPath panic in Load, and a variable with a zero dimension
// made its byte view panic. Both are now a *DamagedError naming the
// variable, before anything is loaded.
func TestLoadRefusesUnnamableOrEmptyVariables(t *testing.T) {
	for name, c := range map[string]struct {
		header string
		data   []byte
	}{
		"relative scope": {`{"format":2,"state":null,"variables":[{"scope":"relative","name":"w","dtype":"Float32","dtype_id":11,"dims":[1],"offset":0,"bytes":4}]}`, []byte{0, 0, 128, 63}},
		"empty name":     {`{"format":2,"state":null,"variables":[{"scope":"/s","name":"","dtype":"Float32","dtype_id":11,"dims":[1],"offset":0,"bytes":4}]}`, []byte{0, 0, 128, 63}},
		"zero dimension": {`{"format":2,"state":null,"variables":[{"scope":"/s","name":"x","dtype":"Float32","dtype_id":11,"dims":[0,3],"offset":0,"bytes":0}]}`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "ckpt.mimo")
			if err := os.WriteFile(p, assemble([]byte(c.header), c.data, true), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Load(p, context.New(), nil)
			var de *DamagedError
			if !errors.As(err, &de) || !strings.Contains(de.Part, "variable 0") {
				t.Fatalf("Load = %v, want a *DamagedError naming variable 0", err)
			}
		})
	}
}
