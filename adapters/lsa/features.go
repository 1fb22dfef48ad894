package lsa

import (
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
)

// FeatureRevision versions the text → sparse features function. It changes
// whenever a change would change vectors, and it is part of the Identity.
const FeatureRevision = "1"

// features is the sparse side of the model: which terms and character
// n-gram buckets are columns, their IDF, and how a text becomes a weighted
// bag of them. It is shared by Fit and Encode, so both see the same
// function of the text.
//
// A text is NFKC-normalised, lower-cased and cut into words (runs of letters
// and digits). English stopwords (the Snowball list) and one-letter words are
// dropped; the rest are
//   - stemmed with the Snowball English (Porter2) stemmer and give word
//     unigrams, plus bigrams of adjacent kept words ("bank of america" gives
//     "bank america"), looked up in the vocabulary;
//   - padded with spaces (" word ") and cut into character n-grams
//     CharMinN..CharMaxN, hashed (FNV-1a) into CharBuckets buckets; kept
//     buckets are columns.
//
// Each block (words, characters) gets sublinear tf (1 + ln count) times IDF,
// is L2-normalised, scaled by its weight (1 for words, CharWeight for
// characters), and the whole row is L2-normalised again.
type features struct {
	cfg     featureConfig
	vocab   map[string]int32 // word term → column
	terms   []string         // column → word term, columns 0..len(terms)-1
	charCol []int32          // bucket → column, or -1 when pruned; nil when char n-grams are off
	idf     []float32        // per column
	stems   stemCache
}

// featureConfig is everything about feature extraction that is not learnt.
type featureConfig struct {
	Bigrams     bool
	CharMinN    int // 0: no character n-grams
	CharMaxN    int
	CharBuckets int
	CharWeight  float64
}

// stemCache memoises the stemmer (the same few thousand words recur). It is
// bounded so that encoding a huge foreign corpus cannot grow it forever.
type stemCache struct {
	mu sync.RWMutex
	m  map[string]string
}

const stemCacheMax = 1 << 20

func (c *stemCache) stem(w string) string {
	c.mu.RLock()
	s, ok := c.m[w]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = w
	if !isDigits(w) {
		s = english.Stem(w, false)
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]string)
	}
	if len(c.m) < stemCacheMax {
		c.m[strings.Clone(w)] = s
	}
	c.mu.Unlock()
	return s
}

func isDigits(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// words cuts text into lower-cased, NFKC-normalised runs of letters and digits.
func words(text string) []string {
	text = strings.ToLower(norm.NFKC.String(text))
	return strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	})
}

// keep reports whether a word gives features: not a stopword, not one letter.
func keep(w string) bool {
	if len(w) == 1 || (len([]rune(w)) == 1 && !unicode.IsDigit([]rune(w)[0])) {
		return false
	}
	return !english.IsStopWord(w)
}

// visit calls term for each word term occurrence (unigrams and, when on,
// bigrams) and char for each character n-gram bucket occurrence of text.
func (f *features) visit(text string, term func(string), char func(uint32)) {
	var prev string
	var buf []byte
	for _, w := range words(text) {
		if !keep(w) {
			continue
		}
		s := f.stems.stem(w)
		if term != nil {
			term(s)
			if f.cfg.Bigrams && prev != "" {
				buf = append(append(append(buf[:0], prev...), ' '), s...)
				term(string(buf))
			}
		}
		prev = s
		if char != nil && f.cfg.CharMinN > 0 {
			visitCharGrams(w, f.cfg.CharMinN, f.cfg.CharMaxN, uint32(f.cfg.CharBuckets), char)
		}
	}
}

// visitCharGrams hashes the n-grams (counted in runes) of " w " into
// buckets with FNV-1a over the n-gram's UTF-8 bytes, seeded by n.
func visitCharGrams(w string, minN, maxN int, buckets uint32, char func(uint32)) {
	var offBuf [48]int
	offs := offBuf[:0]
	offs = append(offs, 0) // the leading space
	for i := range w {
		offs = append(offs, 1+i)
	}
	offs = append(offs, 1+len(w), 2+len(w)) // trailing space, end
	nr := len(offs) - 1                     // runes in " w "
	at := func(i int) byte {
		switch {
		case i == 0 || i == 1+len(w):
			return ' '
		default:
			return w[i-1]
		}
	}
	for n := minN; n <= maxN && n <= nr; n++ {
		for i := 0; i+n <= nr; i++ {
			h := uint32(2166136261)
			h = (h ^ uint32(n)) * 16777619
			for b := offs[i]; b < offs[i+n]; b++ {
				h = (h ^ uint32(at(b))) * 16777619
			}
			char(h % buckets)
		}
	}
}

// row is one text's sparse, weighted, L2-normalised feature vector.
type row struct {
	cols []int32
	vals []float32
}

// scratch holds reusable buffers of one goroutine.
type scratch struct {
	wcols, ccols []int32
}

// row computes the weighted vector of text with the fitted vocabulary and IDF.
func (f *features) row(text string, sc *scratch) row {
	sc.wcols, sc.ccols = sc.wcols[:0], sc.ccols[:0]
	f.visit(text, func(t string) {
		if c, ok := f.vocab[t]; ok {
			sc.wcols = append(sc.wcols, c)
		}
	}, func(b uint32) {
		if c := f.charCol[b]; c >= 0 {
			sc.ccols = append(sc.ccols, c)
		}
	})
	var r row
	f.block(&r, sc.wcols, 1)
	f.block(&r, sc.ccols, f.cfg.CharWeight)
	var ss float64
	for _, v := range r.vals {
		ss += float64(v) * float64(v)
	}
	if ss > 0 {
		inv := 1 / math.Sqrt(ss)
		for i := range r.vals {
			r.vals[i] = float32(float64(r.vals[i]) * inv)
		}
	}
	return r
}

// block appends the tf-idf weights of cols (with repeats) to r, L2-normalised
// and scaled by weight. Word columns all precede char columns, so r stays
// sorted by column.
func (f *features) block(r *row, cols []int32, weight float64) {
	if len(cols) == 0 || weight == 0 {
		return
	}
	slices.Sort(cols)
	start := len(r.vals)
	var ss float64
	for i := 0; i < len(cols); {
		j := i + 1
		for j < len(cols) && cols[j] == cols[i] {
			j++
		}
		v := (1 + math.Log(float64(j-i))) * float64(f.idf[cols[i]])
		ss += v * v
		r.cols = append(r.cols, cols[i])
		r.vals = append(r.vals, float32(v))
		i = j
	}
	scale := weight / math.Sqrt(ss)
	for i := start; i < len(r.vals); i++ {
		r.vals[i] = float32(float64(r.vals[i]) * scale)
	}
}

// smoothIDF is ln((1 + n) / (1 + df)) + 1, as scikit-learn's smooth_idf.
func smoothIDF(n, df int) float32 {
	return float32(math.Log(float64(1+n)/float64(1+df)) + 1)
}
