package cache

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzKey is the log every input is read as.
var fuzzKey = Key{Model: "org__model-rev", Role: "document", Prompt: "passage: "}

// fuzzHeader is a correct log header for fuzzKey with dimension dim.
func fuzzHeader(dim int) []byte {
	meta, _ := json.Marshal(fuzzKey)
	body := binary.LittleEndian.AppendUint32(nil, uint32(dim))
	body = binary.LittleEndian.AppendUint32(body, uint32(len(meta)))
	body = append(body, meta...)
	b := append([]byte(magic), body...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(body, castagnoli))
}

// fuzzRecord is a correct record of text's vector.
func fuzzRecord(text string, v []float32) []byte {
	h := HashText(text)
	b := append([]byte(nil), h[:]...)
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func fuzzText(i int) string { return fmt.Sprintf("text %d", i) }

// FuzzLog opens a fuzzed embedding log (issue 12, "Fuzzing, in CI"), reads
// it, appends to it, closes and reopens it. mode 0: data is the whole
// file. Otherwise data follows a correct header of dimension dim (1..8);
// with mode bit 1 it is cut into records whose hashes become those of
// fuzzText(i), and with bit 2 their CRCs are fixed, so that the fuzzer
// reaches what a scan does with records that look right. The invariant: no
// panic, no allocation beyond the file's size; an error is non-empty and
// names the file; a correct record before the first damaged one is read
// back; a vector put is read back after reopening.
func FuzzLog(f *testing.F) {
	var good []byte
	for i := range 3 {
		good = append(good, fuzzRecord(fuzzText(i), []float32{float32(i), -1, 0.5})...)
	}
	f.Add(append(fuzzHeader(3), good...), uint8(3), uint8(0))
	f.Add(good, uint8(3), uint8(1))
	f.Add(good[:len(good)-5], uint8(3), uint8(1))
	f.Add(good, uint8(3), uint8(7))
	bad := bytes.Clone(good)
	bad[len(good)/3+40] ^= 0x10 // a flipped bit in the second record
	f.Add(bad, uint8(3), uint8(1))
	f.Add([]byte("MIMOVEC1\xff\xff\xff\xff\x00\x00\x00\x00"), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, dim, mode uint8) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		d := int(dim%8) + 1
		recLen := 32 + 4*d + 4
		file := data
		var wantGood []int // texts whose records are correct and before any damage
		if mode != 0 {
			if mode&2 != 0 {
				data = bytes.Clone(data)
				for i := 0; (i+1)*recLen <= len(data); i++ {
					rec := data[i*recLen : (i+1)*recLen]
					h := HashText(fuzzText(i))
					copy(rec, h[:])
					if mode&4 != 0 {
						binary.LittleEndian.PutUint32(rec[recLen-4:], crc32.Checksum(rec[:recLen-4], castagnoli))
					}
				}
			}
			for i := 0; (i+1)*recLen <= len(data); i++ {
				rec := data[i*recLen : (i+1)*recLen]
				h := HashText(fuzzText(i))
				if !recordOK(rec) {
					break
				}
				if bytes.Equal(rec[:32], h[:]) {
					wantGood = append(wantGood, i)
				}
			}
			file = append(fuzzHeader(d), data...)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, fuzzKey.fileName())
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		texts := make([]string, 8)
		for i := range texts {
			texts[i] = fuzzText(i)
		}
		vecs, _, err := c.Get(fuzzKey, texts)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, path) {
				t.Fatalf("error %q does not name the file", msg)
			}
			return
		}
		for _, i := range wantGood {
			if i < len(vecs) && vecs[i] == nil {
				t.Fatalf("record %d is correct and before any damage, but was not read back", i)
			}
		}
		n, err := c.Len(fuzzKey)
		if err != nil || n < len(wantGood) {
			t.Fatalf("Len = %d, %v; want at least %d", n, err, len(wantGood))
		}
		// Append a new vector of the log's dimension, reopen, read it.
		var logDim int
		for _, v := range vecs {
			if v != nil {
				logDim = len(v)
			}
		}
		if logDim == 0 {
			return // dimension unknown without a record: Put would only test the mismatch error
		}
		fresh := make([]float32, logDim)
		fresh[0] = 42
		if err := c.Put(fuzzKey, []string{"new text"}, [][]float32{fresh}); err != nil {
			t.Fatalf("Put on a log that was read: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		c2, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		got, _, err := c2.Get(fuzzKey, []string{"new text"})
		if err != nil {
			t.Fatalf("reopened: %v", err)
		}
		if got[0] == nil || got[0][0] != 42 {
			t.Fatalf("the vector put was not read back after reopening: %v", got[0])
		}
	})
}
