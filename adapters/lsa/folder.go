package lsa

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// An LSA model folder:
//
//	{"kind": "lsa", "name": "lsa-en-256", "normalize": true, "dim": 256,
//	 "weights": "lsa.bin.gz",
//	 "options": {"feature_revision": "1", "bigrams": true, "char_min_n": 3,
//	             "char_max_n": 5, "char_buckets": 65536, "char_weight": 0.5,
//	             "centered": true, "fit": {...Stats...}}}
//
// The weights file is gzip'd little-endian binary (see weightsMagic): the
// word vocabulary, the kept char buckets, the IDF per column, the float32
// projection (columns × dim) and the mean. The options are the feature
// settings, checked against the file on load; "fit" is informational.

// WeightsFile is the weights file name Save writes.
const WeightsFile = "lsa.bin.gz"

var weightsMagic = []byte("MIMOLSA1")

func init() { adapters.RegisterKind(Kind, open) }

func open(_ context.Context, f adapters.Folder, _ adapters.Options) (adapters.Encoder, error) {
	m, err := loadFolder(f)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Load reads a model folder written by Save.
func Load(dir string) (*Model, error) {
	f, err := adapters.ReadFolder(dir)
	if err != nil {
		return nil, err
	}
	return loadFolder(f)
}

// folderOptions is the "options" object of an LSA folder.
type folderOptions struct {
	FeatureRevision string  `json:"feature_revision"`
	Bigrams         bool    `json:"bigrams"`
	CharMinN        int     `json:"char_min_n"`
	CharMaxN        int     `json:"char_max_n"`
	CharBuckets     int     `json:"char_buckets"`
	CharWeight      float64 `json:"char_weight"`
	Centered        bool    `json:"centered"`
	Fit             *Stats  `json:"fit,omitempty"`
}

func loadFolder(f adapters.Folder) (*Model, error) {
	if f.Kind != Kind {
		return nil, fmt.Errorf("model folder %s: kind %q is not %q", f.Dir, f.Kind, Kind)
	}
	var o folderOptions
	b, err := json.Marshal(f.Options)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(&o)
	}
	if err != nil {
		return nil, fmt.Errorf("model folder %s: field \"options\": %w", f.Dir, err)
	}
	if o.FeatureRevision != FeatureRevision {
		return nil, fmt.Errorf("model folder %s: options.feature_revision %q, this build extracts features revision %q", f.Dir, o.FeatureRevision, FeatureRevision)
	}
	fc := featureConfig{Bigrams: o.Bigrams, CharMinN: o.CharMinN, CharMaxN: o.CharMaxN, CharBuckets: o.CharBuckets, CharWeight: o.CharWeight}
	var probe config
	if err := CharNGrams(fc.CharMinN, fc.CharMaxN, fc.CharBuckets)(&probe); err != nil {
		return nil, fmt.Errorf("model folder %s: options: %w", f.Dir, err)
	}
	if err := CharWeight(fc.CharWeight)(&probe); err != nil {
		return nil, fmt.Errorf("model folder %s: options: %w", f.Dir, err)
	}
	if f.Weights == "" {
		return nil, fmt.Errorf("model folder %s: field \"weights\" is missing", f.Dir)
	}
	path := f.Path(f.Weights)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	m, err := decodeWeights(raw, fc)
	if err != nil {
		return nil, fmt.Errorf("lsa weights %s: %w", path, err)
	}
	if o.Centered != (m.mean != nil) {
		return nil, fmt.Errorf("lsa weights %s: options.centered is %v but the file %s a mean", path, o.Centered, map[bool]string{true: "holds", false: "lacks"}[m.mean != nil])
	}
	if f.Dim != 0 && f.Dim != m.dims {
		return nil, fmt.Errorf("model folder %s: field \"dim\" %d, weights file has %d", f.Dir, f.Dim, m.dims)
	}
	if !f.NormalizeOrDefault() {
		return nil, fmt.Errorf("model folder %s: field \"normalize\": LSA vectors are always normalised", f.Dir)
	}
	m.name = f.Name
	if m.name == "" {
		m.name = filepath.Base(f.Dir)
	}
	m.rev = contentRev(raw)
	if o.Fit != nil {
		m.st = *o.Fit
	}
	return m, nil
}

func contentRev(raw []byte) string {
	s := sha256.Sum256(raw)
	return hex.EncodeToString(s[:8])
}

// Save writes the model folder dir (created if needed): the weights file,
// then mimo-model.json, each atomically. It sets the model's Revision to the
// weights' content hash.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lsa: save: %w", err)
	}
	raw, err := m.encodeWeights()
	if err != nil {
		return fmt.Errorf("lsa: save %s: %w", dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, WeightsFile), raw, 0o644); err != nil {
		return fmt.Errorf("lsa: save: %w", err)
	}
	st := m.st
	norm := true
	folder := adapters.Folder{
		Kind: Kind, Name: m.name, Normalize: &norm, Dim: m.dims, Weights: WeightsFile,
		NParameters: int64(len(m.proj)),
		Options: map[string]any{
			"feature_revision": FeatureRevision,
			"bigrams":          m.f.cfg.Bigrams,
			"char_min_n":       m.f.cfg.CharMinN,
			"char_max_n":       m.f.cfg.CharMaxN,
			"char_buckets":     m.f.cfg.CharBuckets,
			"char_weight":      m.f.cfg.CharWeight,
			"centered":         m.mean != nil,
			"fit":              &st,
		},
	}
	js, err := json.MarshalIndent(folder, "", "  ")
	if err != nil {
		return fmt.Errorf("lsa: save %s: %w", dir, err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, adapters.FolderFile), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("lsa: save: %w", err)
	}
	m.rev = contentRev(raw)
	return nil
}

// encodeWeights serialises vocabulary, char columns, IDF, projection and mean.
func (m *Model) encodeWeights() ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	w := bufio.NewWriter(zw)
	var tmp [binary.MaxVarintLen64]byte
	uv := func(x uint64) { w.Write(tmp[:binary.PutUvarint(tmp[:], x)]) }
	f32s := func(xs []float32) {
		var b [4]byte
		for _, x := range xs {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
			w.Write(b[:])
		}
	}
	w.Write(weightsMagic)
	uv(uint64(m.dims))
	uv(uint64(len(m.f.terms)))
	for _, t := range m.f.terms {
		uv(uint64(len(t)))
		w.WriteString(t)
	}
	uv(uint64(len(m.f.charCol)))
	var kept []uint64
	for b, c := range m.f.charCol {
		if c >= 0 {
			kept = append(kept, uint64(b))
		}
	}
	uv(uint64(len(kept)))
	prev := uint64(0)
	for _, b := range kept {
		uv(b - prev)
		prev = b
	}
	f32s(m.f.idf)
	f32s(m.proj)
	if m.mean != nil {
		w.WriteByte(1)
		f32s(m.mean)
	} else {
		w.WriteByte(0)
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// weightsReader reads a weights file's fields with a sticky error: after
// the first failure every read returns zero values, and err and field say
// what failed first.
type weightsReader struct {
	r     *bufio.Reader
	err   error
	field string
}

// fail records err for field unless an earlier failure is recorded.
func (w *weightsReader) fail(field string, err error) {
	if w.err == nil {
		w.err, w.field = err, field
	}
}

// uvarint reads an unsigned varint of at most limit.
func (w *weightsReader) uvarint(field string, limit uint64) uint64 {
	if w.err != nil {
		return 0
	}
	x, err := binary.ReadUvarint(w.r)
	if err == nil && x > limit {
		err = fmt.Errorf("value %d > %d", x, limit)
	}
	if err != nil {
		w.fail(field, err)
		return 0
	}
	return x
}

// bytes reads n bytes.
func (w *weightsReader) bytes(field string, n int) []byte {
	if w.err != nil {
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(w.r, b); err != nil {
		w.fail(field, err)
		return nil
	}
	return b
}

// float32s reads n little-endian float32 values.
func (w *weightsReader) float32s(field string, n int) []float32 {
	b := w.bytes(field, 4*n)
	if b == nil {
		return nil
	}
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return xs
}

// readTerms reads the word vocabulary: a count, then each term's length and
// bytes; a repeated term is an error.
func (w *weightsReader) readTerms(f *features) {
	n := int(w.uvarint("word term count", 1<<26))
	f.terms = make([]string, 0, n)
	f.vocab = make(map[string]int32, n)
	for i := 0; i < n && w.err == nil; i++ {
		l := w.uvarint(fmt.Sprintf("word term %d length", i), 1<<16)
		b := w.bytes(fmt.Sprintf("word term %d", i), int(l))
		if w.err != nil {
			return
		}
		if _, dup := f.vocab[string(b)]; dup {
			w.fail(fmt.Sprintf("word term %d", i), fmt.Errorf("duplicate %q", b))
			return
		}
		f.vocab[string(b)] = int32(i)
		f.terms = append(f.terms, string(b))
	}
}

// readCharColumns reads which of the buckets are kept, as increasing
// deltas, and gives the kept ones the columns after the word terms.
func (w *weightsReader) readCharColumns(f *features, buckets int) int {
	nKept := int(w.uvarint("kept char bucket count", uint64(buckets)))
	f.charCol = make([]int32, buckets)
	for i := range f.charCol {
		f.charCol[i] = -1
	}
	b := uint64(0)
	for i := 0; i < nKept && w.err == nil; i++ {
		b += w.uvarint(fmt.Sprintf("char bucket %d", i), uint64(buckets))
		if w.err != nil {
			break
		}
		if b >= uint64(buckets) || (i > 0 && f.charCol[b] >= 0) {
			w.fail(fmt.Sprintf("char bucket %d", i), fmt.Errorf("bucket %d out of order or range", b))
			break
		}
		f.charCol[b] = int32(len(f.terms) + i)
	}
	return nKept
}

// decodeWeights parses a weights file; fc is the folder's feature settings.
func decodeWeights(raw []byte, fc featureConfig) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not gzip: %w", err)
	}
	w := &weightsReader{r: bufio.NewReader(zr)}
	if magic := w.bytes("magic", len(weightsMagic)); !bytes.Equal(magic, weightsMagic) {
		return nil, errors.New("not an LSA weights file (bad magic)")
	}
	m := &Model{f: &features{cfg: fc}}
	m.dims = int(w.uvarint("dim", 4096))
	w.readTerms(m.f)
	buckets := int(w.uvarint("char bucket count", 1<<24))
	if w.err == nil && buckets != fc.CharBuckets {
		return nil, fmt.Errorf("file has %d char buckets, options.char_buckets says %d", buckets, fc.CharBuckets)
	}
	d := len(m.f.terms) + w.readCharColumns(m.f, buckets)
	m.f.idf = w.float32s("idf", d)
	m.proj = w.float32s("projection", d*m.dims)
	switch flag := w.bytes("mean flag", 1); {
	case flag == nil:
	case flag[0] == 1:
		m.mean = w.float32s("mean", m.dims)
	case flag[0] != 0:
		w.fail("mean flag", fmt.Errorf("flag %d", flag[0]))
	}
	if w.err == nil {
		switch _, e := w.r.ReadByte(); {
		case e == nil:
			w.fail("end of file", errors.New("trailing bytes"))
		case e != io.EOF:
			w.fail("end of file", e) // a damaged gzip stream: its checksum or length
		}
	}
	if err := w.err; err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("field %s: %w", w.field, err)
	}
	if m.dims < 1 {
		return nil, errors.New("field dim: zero")
	}
	return m, nil
}
