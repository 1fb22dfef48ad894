// Package precomputed stores embeddings keyed by the hash of the text they
// embed, and serves them as an Encoder. It is both a model kind (vectors a
// user computed elsewhere, e.g. with a Python model, evaluated here) and the
// teacher cache of training (teacher embeddings computed once, looked up per
// step).
//
// The key is sha256 of the exact string the model encoded, prompt included:
// key(text) = sha256(prompt + text) with prompt = Identity.PromptFor(role,
// task) of the identity in the file. A writer is given texts that already
// carry their prompt (the teacher cache stores what the teacher saw); the
// Encoder applies the file identity's prompt before looking up, so query and
// document vectors of a model with prompts never mix (MTEB issue 5383).
//
// File layout (".mvec"; little endian), written in one pass and finished by
// a trailer so that vectors stream to disk as they are added:
//
//	"MIMOVEC1"                               8-byte magic
//	vectors                                  count x dim values of dtype, in insertion order
//	index                                    count x (32-byte sha256, uint64 row), sorted by hash
//	header                                   JSON, see Header
//	uint64 index offset | uint64 header offset | uint32 header length | "MIMOVEC1"
//
// A reader keeps the index in memory (40 bytes per text) and reads vectors
// with ReadAt, so a multi-gigabyte cache opens instantly and serves lookups
// from any number of goroutines. Files are written to a temporary file and
// renamed into place: a reader never sees a partial file.
package precomputed

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/mimo-mlir/mimo/adapters"
)

// Magic starts and ends every file.
const Magic = "MIMOVEC1"

// FormatVersion is Header.Format of files this package writes.
const FormatVersion = 1

// Dtypes a file may store. Vectors are always served as float32.
const (
	Float32 = "float32"
	Float16 = "float16" // IEEE 754 half precision, round to nearest even
)

const (
	hashLen    = sha256.Size
	entryLen   = hashLen + 8
	trailerLen = 8 + 8 + 4 + len(Magic)
)

// Header describes a vectors file.
type Header struct {
	Format   int               `json:"format"`
	Identity adapters.Identity `json:"identity"` // the model that produced the vectors
	Dim      int               `json:"dim"`
	Dtype    string            `json:"dtype"`
	Count    int               `json:"count"`
	Key      string            `json:"key"` // always "sha256(prompt+text)"
	// Duplicates counts Add calls skipped because the text was already stored.
	Duplicates int `json:"duplicates,omitempty"`
}

// KeyScheme is Header.Key.
const KeyScheme = "sha256(prompt+text)"

// Key is the lookup key of the exact string a model encoded.
func Key(encoded string) [hashLen]byte { return sha256.Sum256([]byte(encoded)) }

func dtypeSize(dtype string) (int, error) {
	switch dtype {
	case Float32:
		return 4, nil
	case Float16:
		return 2, nil
	}
	return 0, fmt.Errorf("dtype %q is not supported (want %s or %s)", dtype, Float32, Float16)
}

// putVec encodes v into b (len dim*size).
func putVec(b []byte, v []float32, dtype string) {
	switch dtype {
	case Float32:
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
	case Float16:
		for i, x := range v {
			binary.LittleEndian.PutUint16(b[2*i:], f32to16(x))
		}
	}
}

// getVec decodes b into v.
func getVec(v []float32, b []byte, dtype string) {
	switch dtype {
	case Float32:
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case Float16:
		for i := range v {
			v[i] = f16to32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	}
}

// f32to16 converts with round to nearest, ties to even; overflow gives Inf.
func f32to16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int((b >> 23) & 0xff)
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15: // overflow
		return sign | 0x7c00
	case exp-127 >= -14: // normal half
		e := uint32(exp-127+15) << 10
		m := mant >> 13
		rest := mant & 0x1fff
		h := e | m
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, which is the right result
		}
		return sign | uint16(h)
	case exp-127 >= -25: // subnormal half
		mant |= 0x800000 // implicit bit
		shift := uint32(-14-(exp-127)) + 13
		m := mant >> shift
		rest := mant & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || (rest == half && m&1 == 1) {
			m++
		}
		return sign | uint16(m)
	}
	return sign // underflow to zero
}

func f16to32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// subnormal: mant * 2^-24
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

func trailer(indexOff, headerOff uint64, headerLen uint32) []byte {
	b := make([]byte, trailerLen)
	binary.LittleEndian.PutUint64(b[0:], indexOff)
	binary.LittleEndian.PutUint64(b[8:], headerOff)
	binary.LittleEndian.PutUint32(b[16:], headerLen)
	copy(b[20:], Magic)
	return b
}

var errBadTrailer = errors.New("not a vectors file (bad trailer magic; truncated or still being written?)")

func parseTrailer(b []byte) (indexOff, headerOff uint64, headerLen uint32, err error) {
	if len(b) != trailerLen || !bytes.Equal(b[20:], []byte(Magic)) {
		return 0, 0, 0, errBadTrailer
	}
	return binary.LittleEndian.Uint64(b[0:]), binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint32(b[16:]), nil
}
