// Package lexical is the lexical baseline encoder: hashed character n-grams
// with TF-IDF-style weighting, projected into a fixed-size dense vector and
// L2-normalised, so cosine similarity between two vectors approximates the
// TF-IDF cosine between the two texts' n-gram bags.
//
// The mental model: a text becomes a bag of features, every feature is
// hashed to one of Dim buckets with a random sign (the "hashing trick"; the
// sign makes collisions cancel in expectation instead of piling up), and the
// bucket gets the feature's weight. No training, no vocabulary, no
// tokenizer; deterministic and fast (see the benchmarks).
//
// Features. The text is NFKC-normalised, lower-cased, Arabic diacritics and
// tatweel are dropped, and it is cut into words (runs of letters, digits and
// combining marks). Each word is split into runs of one class:
//   - CJK runs (Han, Hiragana, Katakana, Hangul: scripts written without
//     spaces) give character 1-grams and 2-grams, the usual choice for
//     Chinese and Japanese IR;
//   - other runs are padded with a space on both sides (" word ") and give
//     character n-grams, MinN..MaxN (default 3..5), so word starts and ends
//     are features; a run shorter than MinN gives its padded self.
//
// Weighting. Each distinct feature of a text gets sublinear term frequency
// 1 + ln(count), times the inverse document frequency of its bucket when the
// model has an IDF table (see Fit), else 1. IDF is kept per bucket rather
// than per n-gram: that is what survives hashing, it is stable (the same
// table gives the same vectors on any corpus), and it keeps Encode a pure
// function of the text, which the embedding cache requires. A model without
// a table (the Default) is plain sublinear TF.
//
// Why it is a baseline: n-grams only match when the same characters occur,
// so it retrieves the right passage among same-language documents but is
// nearly blind across scripts (English queries vs Chinese passages share
// only digits and Latin names). The tests measure exactly that on the mini
// benchmark.
package lexical

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/mimo-mlir/mimo/adapters"
)

// Revision is the version of the feature extraction; it changes whenever a
// change would change vectors, and it is part of the Identity.
const Revision = "1"

// DefaultDim is the default vector size: 2^12 buckets. Collisions grow as the
// size shrinks; memory grows with it (a 36,799-document corpus at 4,096
// dimensions is 600 MB of float32).
const DefaultDim = 4096

// Config is a lexical model.
type Config struct {
	Dim     int // number of hash buckets (default DefaultDim)
	MinN    int // smallest n-gram of non-CJK runs (default 3)
	MaxN    int // largest n-gram of non-CJK runs (default 5)
	CJKMaxN int // CJK runs give 1..CJKMaxN grams (default 2)
	// IDF, when set, has one weight per bucket (len Dim); see Fit.
	IDF []float32
	// Name overrides the identity's name (default "lexical").
	Name string
}

func (c Config) withDefaults() Config {
	if c.Dim == 0 {
		c.Dim = DefaultDim
	}
	if c.MinN == 0 {
		c.MinN = 3
	}
	if c.MaxN == 0 {
		c.MaxN = 5
	}
	if c.CJKMaxN == 0 {
		c.CJKMaxN = 2
	}
	if c.Name == "" {
		c.Name = "lexical"
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Dim < 2:
		return fmt.Errorf("lexical: dim %d, want at least 2", c.Dim)
	case c.MinN < 1 || c.MaxN < c.MinN:
		return fmt.Errorf("lexical: n-gram range %d..%d is invalid", c.MinN, c.MaxN)
	case c.CJKMaxN < 1:
		return fmt.Errorf("lexical: cjk n-gram size %d is invalid", c.CJKMaxN)
	case c.IDF != nil && len(c.IDF) != c.Dim:
		return fmt.Errorf("lexical: IDF table has %d weights, dim is %d", len(c.IDF), c.Dim)
	}
	for i, w := range c.IDF {
		if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) || w < 0 {
			return fmt.Errorf("lexical: IDF weight %d is %v", i, w)
		}
	}
	return nil
}

// Encoder is the lexical encoder. It is safe for concurrent use.
type Encoder struct {
	cfg   Config
	ident adapters.Identity
}

// New builds an encoder from cfg (zero fields take their defaults).
func New(cfg Config) (*Encoder, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	idf := "none"
	if cfg.IDF != nil {
		h := sha256.New()
		for _, w := range cfg.IDF {
			b := math.Float32bits(w)
			h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
		}
		idf = "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
	}
	return &Encoder{cfg: cfg, ident: adapters.Identity{
		Name:      cfg.Name,
		Revision:  Revision,
		Kind:      "lexical",
		Normalize: true,
		Dim:       cfg.Dim,
		Dtype:     "float32",
		Extra: map[string]string{
			"ngrams":     strconv.Itoa(cfg.MinN) + "-" + strconv.Itoa(cfg.MaxN),
			"cjk_ngrams": "1-" + strconv.Itoa(cfg.CJKMaxN),
			"hash":       "fnv1a64-signed",
			"tf":         "1+ln",
			"idf":        idf,
		},
	}}, nil
}

// Default is the embedded default model (DefaultDim buckets, 3-5 grams, CJK
// 1-2 grams, no IDF table), what `--model lexical` names.
func Default() *Encoder {
	e, err := New(Config{})
	if err != nil {
		panic(err) // the defaults are valid
	}
	return e
}

// Config returns the encoder's configuration (with defaults filled in).
func (e *Encoder) Config() Config { return e.cfg }

// Dim implements adapters.Encoder.
func (e *Encoder) Dim() int { return e.cfg.Dim }

// Identity implements adapters.Encoder.
func (e *Encoder) Identity() adapters.Identity { return e.ident }

// Close implements adapters.Encoder; there is nothing to release.
func (e *Encoder) Close() error { return nil }

// Encode implements adapters.Encoder. Role and task do not change lexical
// vectors. A text with no features (empty, or only punctuation) is an error
// naming its index: its vector would have a zero norm.
func (e *Encoder) Encode(ctx context.Context, req adapters.Request) ([][]float32, error) {
	out := make([][]float32, len(req.Texts))
	errs := make([]error, len(req.Texts))
	workers := min(runtime.GOMAXPROCS(0), (len(req.Texts)+15)/16)
	if workers <= 1 {
		var s scratch
		for i, t := range req.Texts {
			if i%64 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			out[i], errs[i] = e.encode(&s, t)
			if errs[i] != nil {
				return nil, fmt.Errorf("lexical: text %d: %w", i, errs[i])
			}
		}
		return out, nil
	}
	var wg sync.WaitGroup
	next := make(chan int, len(req.Texts))
	for i := range req.Texts {
		next <- i
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s scratch
			for i := range next {
				if ctx.Err() != nil {
					return
				}
				out[i], errs[i] = e.encode(&s, req.Texts[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("lexical: text %d: %w", i, err)
		}
	}
	return out, nil
}

// scratch holds per-goroutine buffers.
type scratch struct {
	runes   []rune
	hashes  []uint64
	touched []uint32
}

// Features returns the features of text in order of extraction (for tests
// and for inspecting what the model sees).
func (e *Encoder) Features(text string) []string {
	var out []string
	e.features(text, nil, func(f []rune) { out = append(out, string(f)) })
	return out
}

func (e *Encoder) encode(s *scratch, text string) ([]float32, error) {
	s.hashes = s.hashes[:0]
	s.runes = e.features(text, s.runes, func(f []rune) { s.hashes = append(s.hashes, hashRunes(f)) })
	if len(s.hashes) == 0 {
		return nil, fmt.Errorf("no letters or digits in %q", truncate(text, 40))
	}
	slices.Sort(s.hashes)
	v := make([]float32, e.cfg.Dim)
	dim := uint64(e.cfg.Dim)
	// Only the touched buckets are read back, so the cost is O(features),
	// not O(Dim).
	s.touched = s.touched[:0]
	for i := 0; i < len(s.hashes); {
		j := i + 1
		for j < len(s.hashes) && s.hashes[j] == s.hashes[i] {
			j++
		}
		h := s.hashes[i]
		b := (h & (1<<63 - 1)) % dim
		w := float32(1 + math.Log(float64(j-i)))
		if e.cfg.IDF != nil {
			w *= e.cfg.IDF[b]
		}
		if h>>63 == 1 {
			w = -w
		}
		v[b] += w
		s.touched = append(s.touched, uint32(b))
		i = j
	}
	slices.Sort(s.touched)
	s.touched = slices.Compact(s.touched)
	var ss float64
	for _, b := range s.touched {
		ss += float64(v[b]) * float64(v[b])
	}
	if ss == 0 {
		// Possible only when every feature cancelled or has zero IDF.
		return nil, fmt.Errorf("all features of %q have zero weight", truncate(text, 40))
	}
	inv := float32(1 / math.Sqrt(ss))
	for _, b := range s.touched {
		v[b] *= inv
	}
	return v, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// hashRunes is FNV-1a 64 over the UTF-8 bytes of f, without allocating.
func hashRunes(f []rune) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	var buf [4]byte
	for _, r := range f {
		n := utf8.EncodeRune(buf[:], r)
		for _, b := range buf[:n] {
			h ^= uint64(b)
			h *= prime
		}
	}
	// FNV's high bit mixes poorly for short inputs; finalise (splitmix64).
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// isCJK reports scripts written without spaces between words.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) ||
		r == 'ー' // prolonged sound mark, script Common but part of katakana words
}

// dropped are removed before feature extraction: Arabic tashkeel, superscript
// alef and tatweel (optional in Arabic writing).
func dropped(r rune) bool {
	return (r >= 0x064B && r <= 0x065F) || r == 0x0670 || r == 0x0640
}

func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// features normalises text into buf and calls emit for every feature (the
// slice passed to emit is only valid during the call). It returns buf for
// reuse.
func (e *Encoder) features(text string, buf []rune, emit func([]rune)) []rune {
	// Normalised text as one rune slice, words separated by a single space,
	// with a space at both ends.
	buf = append(buf[:0], ' ')
	space := true
	for _, r := range norm.NFKC.String(text) {
		if dropped(r) {
			continue
		}
		if !wordRune(r) {
			if !space {
				buf = append(buf, ' ')
				space = true
			}
			continue
		}
		buf = append(buf, unicode.ToLower(r))
		space = false
	}
	if !space {
		buf = append(buf, ' ')
	}
	padded := buf // padded[0] and padded[n] are spaces
	n := len(buf) - 1
	// Runs of one class within a word.
	for i := 1; i < n; {
		r := padded[i]
		if r == ' ' {
			i++
			continue
		}
		cjk := isCJK(r)
		j := i + 1
		for j < n && padded[j] != ' ' && isCJK(padded[j]) == cjk {
			j++
		}
		run := padded[i:j]
		if cjk {
			for k := range run {
				for m := 1; m <= e.cfg.CJKMaxN && k+m <= len(run); m++ {
					emit(run[k : k+m])
				}
			}
		} else {
			// The run with a space on each side: in place when it is a
			// whole word; a run that meets a CJK run (e.g. "dna分子") is
			// copied between spaces.
			var p []rune
			if padded[i-1] == ' ' && padded[j] == ' ' {
				p = padded[i-1 : j+1]
			} else {
				p = make([]rune, 0, len(run)+2)
				p = append(append(append(p, ' '), run...), ' ')
			}
			if len(p) < e.cfg.MinN {
				emit(p)
			} else {
				for m := e.cfg.MinN; m <= e.cfg.MaxN; m++ {
					for k := 0; k+m <= len(p); k++ {
						emit(p[k : k+m])
					}
				}
			}
		}
		i = j
	}
	return buf
}

// Fit learns a per-bucket IDF table for cfg from a corpus: idf(b) =
// ln((1 + N) / (1 + df(b))) + 1, with df(b) the number of texts having a
// feature in bucket b (sklearn's smooth IDF). Store it with WriteIDF and
// name it in the model folder's options.
func Fit(ctx context.Context, cfg Config, corpus []string) ([]float32, error) {
	cfg = cfg.withDefaults()
	cfg.IDF = nil
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	df := make([]int, cfg.Dim)
	seen := make([]int, cfg.Dim) // last text index+1 that hit the bucket
	var s scratch
	dim := uint64(cfg.Dim)
	for i, t := range corpus {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		s.runes = e.features(t, s.runes, func(f []rune) {
			b := (hashRunes(f) & (1<<63 - 1)) % dim
			if seen[b] != i+1 {
				seen[b] = i + 1
				df[b]++
			}
		})
	}
	idf := make([]float32, cfg.Dim)
	n := float64(len(corpus))
	for b := range idf {
		idf[b] = float32(math.Log((1+n)/(1+float64(df[b]))) + 1)
	}
	return idf, nil
}

// String describes the configuration (the IDF table by presence only).
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dim=%d ngrams=%d-%d cjk=1-%d", c.Dim, c.MinN, c.MaxN, c.CJKMaxN)
	if c.IDF != nil {
		b.WriteString(" idf")
	}
	return b.String()
}
