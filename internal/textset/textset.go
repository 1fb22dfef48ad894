// Package textset is a compact, checksummed set of text fingerprints: what a
// model was trained on, so an evaluation can say which of its queries and
// documents the model has seen (contamination).
//
// A text's fingerprint is the first 8 bytes of the SHA-256 of its
// normalised form (Unicode NFC, case-folded, runs of white space made one
// space, trimmed), so the same passage matches whatever its spacing or
// case. With 64-bit fingerprints a false match needs a collision: about
// n/2^64 per lookup, negligible for any training set.
//
// The file (training-texts.mimoset beside a trained model) is
//
//	"MIMOSET1"             magic
//	uvarint                number of fingerprints
//	uvarint...             sorted fingerprints, delta-coded
//	4 bytes                CRC-32C (Castagnoli) of everything before, little-endian
//
// written atomically. A damaged file is an error naming it.
package textset

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// FileName is the set's file in a trained model folder.
const FileName = "training-texts.mimoset"

const magic = "MIMOSET1"

// maxCount bounds the count a file may announce (1e9 fingerprints, 8 GB
// unpacked), so a damaged header cannot ask for unbounded memory.
const maxCount = 1_000_000_000

// ErrDamaged is wrapped by Read for a file that is not a whole set.
var ErrDamaged = errors.New("damaged text set")

// Normalize is the form a text is fingerprinted in.
func Normalize(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Fingerprint of one text.
func Fingerprint(s string) uint64 {
	sum := sha256.Sum256([]byte(Normalize(s)))
	return binary.BigEndian.Uint64(sum[:8])
}

// Set is a sorted set of fingerprints. The zero Set is empty.
type Set struct{ fp []uint64 }

// Builder collects texts into a Set.
type Builder struct{ fp []uint64 }

// Add adds texts (empty ones are ignored).
func (b *Builder) Add(texts ...string) {
	for _, t := range texts {
		if strings.TrimSpace(t) != "" {
			b.fp = append(b.fp, Fingerprint(t))
		}
	}
}

// Set returns the set built so far.
func (b *Builder) Set() *Set {
	fp := slices.Clone(b.fp)
	slices.Sort(fp)
	return &Set{fp: slices.Compact(fp)}
}

// Len is the number of distinct fingerprints.
func (s *Set) Len() int { return len(s.fp) }

// Contains reports whether text's fingerprint is in the set.
func (s *Set) Contains(text string) bool {
	if s == nil {
		return false
	}
	_, ok := slices.BinarySearch(s.fp, Fingerprint(text))
	return ok
}

// Write stores the set at path atomically.
func (s *Set) Write(path string) error {
	var buf bytes.Buffer
	buf.WriteString(magic)
	var tmp [binary.MaxVarintLen64]byte
	buf.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(s.fp)))])
	prev := uint64(0)
	for _, v := range s.fp {
		buf.Write(tmp[:binary.PutUvarint(tmp[:], v-prev)])
		prev = v
	}
	crc := crc32.Checksum(buf.Bytes(), crc32.MakeTable(crc32.Castagnoli))
	var c [4]byte
	binary.LittleEndian.PutUint32(c[:], crc)
	buf.Write(c[:])
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("textset: %w", err)
	}
	return nil
}

// Read loads a set written by Write.
func Read(path string) (*Set, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("textset: %w", err)
	}
	s, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("textset: %s: %w", path, err)
	}
	return s, nil
}

func decode(b []byte) (*Set, error) {
	if len(b) < len(magic)+4 || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("not a text set (no %q header): %w", magic, ErrDamaged)
	}
	body, tail := b[:len(b)-4], b[len(b)-4:]
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != binary.LittleEndian.Uint32(tail) {
		return nil, fmt.Errorf("checksum mismatch (truncated or altered; rebuild it): %w", ErrDamaged)
	}
	r := bufio.NewReader(bytes.NewReader(body[len(magic):]))
	n, err := binary.ReadUvarint(r)
	if err != nil || n > maxCount || n > uint64(len(body)) {
		return nil, fmt.Errorf("bad count: %w", ErrDamaged)
	}
	fp := make([]uint64, 0, n)
	prev := uint64(0)
	for i := uint64(0); i < n; i++ {
		d, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("fingerprint %d: %w", i, ErrDamaged)
		}
		if i > 0 && d == 0 {
			return nil, fmt.Errorf("fingerprint %d repeats the previous one: %w", i, ErrDamaged)
		}
		prev += d
		fp = append(fp, prev)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("bytes after the last fingerprint: %w", ErrDamaged)
	}
	return &Set{fp: fp}, nil
}
