// Package lsa is a latent semantic analysis (LSA) text encoder: the
// English-only teacher that this project builds itself, since no pretrained
// embedding model can be downloaded here.
//
// The mental model: a text becomes a sparse TF-IDF vector over stemmed word
// unigrams and bigrams plus hashed character 3-5-grams (see features), and a
// fixed linear map V (features × Dims), learnt once by a truncated SVD of
// the fit corpus' TF-IDF matrix X ≈ U Σ Vᵀ, projects it to a dense vector
// x V. Optionally the fit corpus' mean projection is subtracted (it is the
// direction every text shares, and leaving it in makes all cosines large);
// finally the vector is L2-normalised. Cosine between two LSA vectors is the
// TF-IDF cosine seen through the corpus' top Dims co-occurrence directions:
// texts that use different words for the same topic ("car" / "automobile")
// land close, which plain lexical matching cannot do; and the vectors are
// dense and smooth, a far easier target for a small student to distil than
// raw sparse vectors.
//
// Fit the model on English text only, and only on training data (the
// English sides of the training pairs): the evaluation sets must never be
// seen, not even unlabelled, because the SVD learns their vocabulary.
//
// A Model is an adapters.Encoder of kind "lsa" and is safe for concurrent
// use. Save writes a model folder (mimo-model.json plus one gzip'd binary
// file); the package registers the kind, so any importer can open the
// folder with adapters.OpenFolder.
package lsa

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/mimo-mlir/mimo/adapters"
)

// Defaults of the options.
const (
	DefaultDims        = 256
	DefaultOversample  = 10
	DefaultPowerIters  = 3
	DefaultMinDF       = 2
	DefaultMaxDF       = 0.5
	DefaultMaxFeatures = 100_000
	DefaultCharMinN    = 3
	DefaultCharMaxN    = 5
	DefaultCharBuckets = 1 << 16
	DefaultCharWeight  = 0.5
)

// config is the result of the options.
type config struct {
	dims, oversample, powerIters int
	seed                         uint64
	minDF                        int
	maxDF                        float64
	maxFeatures                  int
	feat                         featureConfig
	center                       bool
	name                         string
}

func defaultConfig() config {
	return config{
		dims: DefaultDims, oversample: DefaultOversample, powerIters: DefaultPowerIters,
		seed: 1, minDF: DefaultMinDF, maxDF: DefaultMaxDF, maxFeatures: DefaultMaxFeatures,
		feat: featureConfig{Bigrams: true, CharMinN: DefaultCharMinN, CharMaxN: DefaultCharMaxN,
			CharBuckets: DefaultCharBuckets, CharWeight: DefaultCharWeight},
		center: true, name: "lsa",
	}
}

// Option sets a Fit setting; it returns an error for an invalid value.
type Option func(*config) error

// Dims sets the embedding dimension (default 256).
func Dims(k int) Option {
	return func(c *config) error {
		if k < 1 || k > 4096 {
			return fmt.Errorf("lsa: dims %d: want 1..4096", k)
		}
		c.dims = k
		return nil
	}
}

// SVDParams sets the randomized SVD's oversampling (default 10) and power
// iterations (default 3).
func SVDParams(oversample, powerIters int) Option {
	return func(c *config) error {
		if oversample < 0 || oversample > 1000 || powerIters < 0 || powerIters > 50 {
			return fmt.Errorf("lsa: oversample %d (0..1000), power iterations %d (0..50): out of range", oversample, powerIters)
		}
		c.oversample, c.powerIters = oversample, powerIters
		return nil
	}
}

// Seed seeds the SVD's random test matrix (default 1). The same corpus,
// options and seed give a bit-identical model.
func Seed(s uint64) Option { return func(c *config) error { c.seed = s; return nil } }

// MinDF drops features found in fewer than n fit texts (default 2).
func MinDF(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("lsa: min df %d: want ≥ 1", n)
		}
		c.minDF = n
		return nil
	}
}

// MaxDF drops features found in more than this fraction of fit texts
// (default 0.5; 1 keeps all).
func MaxDF(frac float64) Option {
	return func(c *config) error {
		if !(frac > 0 && frac <= 1) {
			return fmt.Errorf("lsa: max df %v: want a fraction in (0, 1]", frac)
		}
		c.maxDF = frac
		return nil
	}
}

// MaxFeatures keeps at most n word terms (unigrams and bigrams), the most
// frequent by document frequency (default 100,000).
func MaxFeatures(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("lsa: max features %d: want ≥ 1", n)
		}
		c.maxFeatures = n
		return nil
	}
}

// Bigrams turns word bigrams on or off (default on).
func Bigrams(on bool) Option { return func(c *config) error { c.feat.Bigrams = on; return nil } }

// CharNGrams sets the character n-gram range and hash buckets (default
// 3..5 into 65,536 buckets); minN = maxN = 0 turns them off.
func CharNGrams(minN, maxN, buckets int) Option {
	return func(c *config) error {
		if minN == 0 && maxN == 0 {
			c.feat.CharMinN, c.feat.CharMaxN, c.feat.CharBuckets = 0, 0, 0
			return nil
		}
		if minN < 1 || maxN < minN || maxN > 10 {
			return fmt.Errorf("lsa: char n-grams %d..%d: want 1 ≤ min ≤ max ≤ 10 (or 0..0 for none)", minN, maxN)
		}
		if buckets < 1 || buckets > 1<<24 {
			return fmt.Errorf("lsa: char buckets %d: want 1..2^24", buckets)
		}
		c.feat.CharMinN, c.feat.CharMaxN, c.feat.CharBuckets = minN, maxN, buckets
		return nil
	}
}

// CharWeight scales the character block against the word block (default 0.5).
func CharWeight(w float64) Option {
	return func(c *config) error {
		if !(w >= 0 && w <= 100) {
			return fmt.Errorf("lsa: char weight %v: want 0..100", w)
		}
		c.feat.CharWeight = w
		return nil
	}
}

// Center subtracts the fit corpus' mean projection before normalising
// (default on).
func Center(on bool) Option { return func(c *config) error { c.center = on; return nil } }

// Name sets the model's name in its Identity (default "lsa").
func Name(n string) Option {
	return func(c *config) error {
		if n == "" {
			return errors.New("lsa: empty name")
		}
		c.name = n
		return nil
	}
}

// Stats describes a fit.
type Stats struct {
	Texts       int       `json:"texts"`
	EmptyTexts  int       `json:"empty_texts"` // texts with no kept feature
	WordTerms   int       `json:"word_terms"`
	CharColumns int       `json:"char_columns"`
	NNZ         int       `json:"nnz"`
	Singular    []float64 `json:"singular_values"`
	// Explained is the fraction of ‖X‖²_F the Dims components keep.
	Explained float64 `json:"explained"`
}

// Model is a fitted LSA encoder.
type Model struct {
	name string
	rev  string // content hash when loaded or saved; part of the Identity
	f    *features
	dims int
	proj []float32 // numCols × dims, row-major: column j's direction is proj[j*dims:]
	mean []float32 // dims, or nil when not centred
	svd  config    // the settings it was fitted with (SVD and df settings are informational after Fit)
	st   Stats
}

// Fit learns an LSA model from texts (English, training data only).
func Fit(ctx context.Context, texts []string, opts ...Option) (*Model, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if len(texts) == 0 {
		return nil, errors.New("lsa: fit: no texts")
	}
	f := &features{cfg: cfg.feat}
	n := len(texts)

	// Pass 1: document frequencies.
	termDF, charDF, err := countDF(ctx, f, texts)
	if err != nil {
		return nil, err
	}
	d := f.choose(cfg, n, termDF, charDF)

	// Pass 2: the TF-IDF matrix.
	x, empty, err := buildCSR(ctx, f, texts, d)
	if err != nil {
		return nil, err
	}
	if lim := min(n-empty, d); cfg.dims > lim {
		return nil, fmt.Errorf("lsa: fit: dims %d exceeds what %d non-empty texts × %d features can give (%d); fit on more text or ask for fewer dims", cfg.dims, n-empty, d, lim)
	}
	svd, err := RandomizedSVD(ctx, x, SVDOptions{K: cfg.dims, Oversample: cfg.oversample, PowerIters: cfg.powerIters, Seed: cfg.seed})
	if err != nil {
		return nil, fmt.Errorf("lsa: fit: %w", err)
	}
	m := &Model{name: cfg.name, f: f, dims: cfg.dims, svd: cfg, proj: make([]float32, d*cfg.dims)}
	for j := range d {
		for k := range cfg.dims {
			m.proj[j*cfg.dims+k] = float32(svd.V.At(j, k))
		}
	}
	var kept float64
	for _, s := range svd.S {
		kept += s * s
	}
	if cfg.center {
		m.mean = m.meanProjection(x, n-empty)
	}
	m.st = Stats{Texts: n, EmptyTexts: empty, WordTerms: len(f.terms), CharColumns: d - len(f.terms),
		NNZ: x.NNZ(), Singular: svd.S, Explained: kept / float64(n-empty)}
	return m, nil
}

// choose keeps the features Fit will use: the word terms whose document
// frequency lies in [minDF, maxDF * n], the maxFeatures most frequent of
// them (ties by term), sorted; then the character columns within the same
// frequency bounds. It fills f's vocabulary, IDF weights and character
// columns, and returns the number of columns.
func (f *features) choose(cfg config, n int, termDF map[string]int32, charDF []int32) int {
	maxDF := int(math.Floor(cfg.maxDF * float64(n)))
	type tdf struct {
		t  string
		df int32
	}
	var cand []tdf
	for t, df := range termDF {
		if int(df) >= cfg.minDF && int(df) <= maxDF {
			cand = append(cand, tdf{t, df})
		}
	}
	slices.SortFunc(cand, func(a, b tdf) int {
		if a.df != b.df {
			return int(b.df - a.df)
		}
		if a.t < b.t {
			return -1
		}
		return 1
	})
	cand = cand[:min(len(cand), cfg.maxFeatures)]
	f.terms = make([]string, len(cand))
	for i, c := range cand {
		f.terms[i] = c.t
	}
	slices.Sort(f.terms)
	f.vocab = make(map[string]int32, len(f.terms))
	for i, t := range f.terms {
		f.vocab[t] = int32(i)
		f.idf = append(f.idf, smoothIDF(n, int(termDF[t])))
	}
	col := int32(len(f.terms))
	f.charCol = make([]int32, len(charDF))
	for b, df := range charDF {
		f.charCol[b] = -1
		if int(df) >= cfg.minDF && int(df) <= maxDF {
			f.charCol[b] = col
			f.idf = append(f.idf, smoothIDF(n, int(df)))
			col++
		}
	}
	return int(col)
}

// meanProjection is the mean of the projections X V = U Σ over the
// nonEmpty non-empty rows of x, recomputed from the float32 projection so
// that Encode's centring matches.
func (m *Model) meanProjection(x *CSR, nonEmpty int) []float32 {
	sum := make([]float64, m.dims)
	vec := make([]float64, m.dims)
	for i := range x.Rows {
		if x.RowPtr[i] == x.RowPtr[i+1] {
			continue
		}
		m.projectRow(x.Cols[x.RowPtr[i]:x.RowPtr[i+1]], x.Vals[x.RowPtr[i]:x.RowPtr[i+1]], vec)
		for k, v := range vec {
			sum[k] += v
		}
	}
	mean := make([]float32, m.dims)
	for k := range sum {
		mean[k] = float32(sum[k] / float64(nonEmpty))
	}
	return mean
}

// countDF counts, for every word term and char bucket, the texts containing it.
func countDF(ctx context.Context, f *features, texts []string) (map[string]int32, []int32, error) {
	type part struct {
		terms map[string]int32
		chars []int32
	}
	chunks := chunked(len(texts))
	parts := make([]part, len(chunks))
	err := parallelRows(ctx, len(chunks), func(ci int) {
		p := part{terms: map[string]int32{}, chars: make([]int32, f.cfg.CharBuckets)}
		var ts []string
		var cs []uint32
		for _, t := range texts[chunks[ci][0]:chunks[ci][1]] {
			ts, cs = ts[:0], cs[:0]
			f.visit(t, func(s string) { ts = append(ts, s) }, func(b uint32) { cs = append(cs, b) })
			slices.Sort(ts)
			for _, s := range slices.Compact(ts) {
				p.terms[s]++
			}
			slices.Sort(cs)
			for _, b := range slices.Compact(cs) {
				p.chars[b]++
			}
		}
		parts[ci] = p
	})
	if err != nil {
		return nil, nil, err
	}
	terms, chars := parts[0].terms, parts[0].chars
	for _, p := range parts[1:] {
		for s, c := range p.terms {
			terms[s] += c
		}
		for b, c := range p.chars {
			chars[b] += c
		}
	}
	return terms, chars, nil
}

// chunked splits [0, n) into ranges of a few hundred texts.
func chunked(n int) [][2]int {
	const size = 512
	var out [][2]int
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(lo+size, n)})
	}
	return out
}

// buildCSR computes every text's weighted row; it also returns how many rows
// are empty.
func buildCSR(ctx context.Context, f *features, texts []string, d int) (*CSR, int, error) {
	chunks := chunked(len(texts))
	rows := make([][]row, len(chunks))
	err := parallelRows(ctx, len(chunks), func(ci int) {
		var sc scratch
		rs := make([]row, 0, chunks[ci][1]-chunks[ci][0])
		for _, t := range texts[chunks[ci][0]:chunks[ci][1]] {
			rs = append(rs, f.row(t, &sc))
		}
		rows[ci] = rs
	})
	if err != nil {
		return nil, 0, err
	}
	x := &CSR{Rows: len(texts), ColsN: d, RowPtr: make([]int64, 1, len(texts)+1)}
	empty := 0
	for _, rs := range rows {
		for _, r := range rs {
			if len(r.cols) == 0 {
				empty++
			}
			x.Cols = append(x.Cols, r.cols...)
			x.Vals = append(x.Vals, r.vals...)
			x.RowPtr = append(x.RowPtr, int64(len(x.Cols)))
		}
	}
	return x, empty, nil
}

// projectRow sets out = Σ_j vals[j] · proj[cols[j]] (in float64).
func (m *Model) projectRow(cols []int32, vals []float32, out []float64) {
	clear(out)
	for i, c := range cols {
		v := float64(vals[i])
		p := m.proj[int(c)*m.dims : int(c)*m.dims+m.dims]
		for k, x := range p {
			out[k] += v * float64(x)
		}
	}
}

// Stats describes the fit (zero for a loaded model, except what the file keeps).
func (m *Model) Stats() Stats { return m.st }

// Dim implements adapters.Encoder.
func (m *Model) Dim() int { return m.dims }

// Close implements adapters.Encoder; a Model holds no outside resources.
func (m *Model) Close() error { return nil }

// Identity implements adapters.Encoder. The LSA model has no prompts: the
// role does not change vectors (a prompt would only add the same words to
// every query).
func (m *Model) Identity() adapters.Identity {
	return adapters.Identity{
		Name: m.name, Revision: m.rev, Kind: Kind, Normalize: true, Dim: m.dims, Dtype: "float32",
		Extra: map[string]string{
			"features":     FeatureRevision,
			"bigrams":      strconv.FormatBool(m.f.cfg.Bigrams),
			"char_ngrams":  fmt.Sprintf("%d-%d/%d", m.f.cfg.CharMinN, m.f.cfg.CharMaxN, m.f.cfg.CharBuckets),
			"char_weight":  strconv.FormatFloat(m.f.cfg.CharWeight, 'g', -1, 64),
			"centered":     strconv.FormatBool(m.mean != nil),
			"feature_cols": strconv.Itoa(len(m.f.idf)),
		},
	}
}

// Kind is the model folder kind of LSA models.
const Kind = "lsa"

// Encode implements adapters.Encoder: one L2-normalised vector per text. A
// text with no known feature (empty, or no word the fit corpus had) gets
// the zero vector, which is at cosine 0 from everything.
func (m *Model) Encode(ctx context.Context, req adapters.Request) ([][]float32, error) {
	out := make([][]float32, len(req.Texts))
	var pool sync.Pool
	err := parallelRows(ctx, len(req.Texts), func(i int) {
		sc, _ := pool.Get().(*encScratch)
		if sc == nil {
			sc = &encScratch{vec: make([]float64, m.dims)}
		}
		out[i] = m.encodeOne(req.Texts[i], sc)
		pool.Put(sc)
	})
	if err != nil {
		return nil, fmt.Errorf("lsa: encode: %w", err)
	}
	return out, nil
}

type encScratch struct {
	scratch
	vec []float64
}

func (m *Model) encodeOne(text string, sc *encScratch) []float32 {
	r := m.f.row(text, &sc.scratch)
	v := make([]float32, m.dims)
	if len(r.cols) == 0 {
		return v
	}
	m.projectRow(r.cols, r.vals, sc.vec)
	var ss float64
	for k, x := range sc.vec {
		if m.mean != nil {
			x -= float64(m.mean[k])
			sc.vec[k] = x
		}
		ss += x * x
	}
	if ss == 0 {
		return v
	}
	inv := 1 / math.Sqrt(ss)
	for k, x := range sc.vec {
		v[k] = float32(x * inv)
	}
	return v
}

var _ adapters.Encoder = (*Model)(nil)
