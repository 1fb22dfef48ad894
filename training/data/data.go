// Package data reads the training corpora and composes the training examples
// of each method exactly as the paper describes (Appendix B).
//
// Two kinds of rows:
//
//   - SentencePair (stage 1): an English sentence and its translation, from
//     OPUS-style TSV, parallel JSONL or Tatoeba's line-aligned files, filtered
//     as the paper does (Filter).
//   - ParallelRow (stage 2 and the baselines): one query and its positive
//     passage in several languages at once, from mMARCO-style parallel JSONL or
//     XQuAD (questions and their paragraphs, split by article).
//
// Composition (compose.go) then decides, per row, which languages each
// method uses: the 182 ordered pairs (XX, YY) for MIMO and XLCO, the 14
// same-language pairs for InfoNCE, and for LaKDA a query pair plus an
// independent positive language, all by seeded round-robin with per-cycle
// shuffling, so counts are equal up to one.
package data

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
	textlines "github.com/mimo-mlir/mimo/internal/lines"
	"github.com/mimo-mlir/mimo/lang"
)

// Languages are the 14 mMARCO languages of the paper, in its order. mMARCO
// itself names Dutch "dt"; we use "nl" throughout (see NormalizeLang).
var Languages = lang.Paper

// NormalizeLang maps mMARCO's "dt" and ISO 639-3 codes used by Tatoeba/LASER
// ("cmn", "deu") to the two-letter codes of Languages (package lang's
// table); other codes are returned lower-cased.
func NormalizeLang(code string) string { return lang.Normalize(code) }

// SentencePair is one stage-1 example: English text and its translation in Lang.
type SentencePair struct {
	Lang string `json:"lang"`
	En   string `json:"en"`
	Text string `json:"text"`
}

// ParallelRow is one query and its positive passage in several languages
// (language code -> text). Every language present in Query is present in
// Positive.
type ParallelRow struct {
	ID       string            `json:"id"`
	Query    map[string]string `json:"query"`
	Positive map[string]string `json:"positive"`
}

// Has reports whether the row has both sides in lang.
func (r ParallelRow) Has(lang string) bool {
	return r.Query[lang] != "" && r.Positive[lang] != ""
}

// open opens path, transparently un-gzipping names ending in .gz.
func open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{z, closers{z, f}}, nil
}

type closers []io.Closer

func (c closers) Close() error {
	var first error
	for _, x := range c {
		if err := x.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func lines(path string, fn func(n int, line string) error) error {
	r, err := open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	lr := textlines.NewReader(r, path, textlines.DefaultLimit) // MIMO_MAX_LINE raises it
	for lr.Scan() {
		if err := fn(lr.Line(), lr.Text()); err != nil {
			return err
		}
	}
	return lr.Err()
}

// ReadOPUSTSV reads an OPUS-style parallel TSV (optionally .gz) whose first
// column is English and second the translation in lang; extra columns are
// ignored. Lines with fewer than two columns are an error naming the line.
func ReadOPUSTSV(path, lang string) ([]SentencePair, error) {
	lang = NormalizeLang(lang)
	var out []SentencePair
	err := lines(path, func(n int, line string) error {
		if line == "" {
			return nil
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 2 {
			return fmt.Errorf("%s:%d: want English<TAB>%s, got %d column(s)", path, n, lang, len(cols))
		}
		out = append(out, SentencePair{Lang: lang, En: strings.TrimSpace(cols[0]), Text: strings.TrimSpace(cols[1])})
		return nil
	})
	return out, err
}

// ReadPairsJSONL reads parallel pairs, one JSON object per line:
// {"lang": "de", "en": "...", "text": "..."}.
func ReadPairsJSONL(path string) ([]SentencePair, error) {
	var out []SentencePair
	err := lines(path, func(n int, line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		var p SentencePair
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if p.Lang == "" || p.En == "" || p.Text == "" {
			return fmt.Errorf("%s:%d: fields \"lang\", \"en\" and \"text\" are required", path, n)
		}
		p.Lang = NormalizeLang(p.Lang)
		out = append(out, p)
		return nil
	})
	return out, err
}

// ReadTatoeba reads LASER's line-aligned Tatoeba files in dir
// (tatoeba.XXX-eng.XXX beside tatoeba.XXX-eng.eng) for the given languages
// (two-letter codes; nil means every pair file present), in sorted file order.
func ReadTatoeba(dir string, langs []string) ([]SentencePair, error) {
	files, err := filepath.Glob(filepath.Join(dir, "tatoeba.*-eng.eng"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("tatoeba: no tatoeba.*-eng.eng files in %s", dir)
	}
	sort.Strings(files)
	want := map[string]bool{}
	for _, l := range langs {
		want[NormalizeLang(l)] = true
	}
	var out []SentencePair
	for _, enPath := range files {
		base := strings.TrimSuffix(filepath.Base(enPath), "-eng.eng")
		code3 := strings.TrimPrefix(base, "tatoeba.")
		lang := NormalizeLang(code3)
		if len(want) > 0 && !want[lang] {
			continue
		}
		xxPath := filepath.Join(dir, "tatoeba."+code3+"-eng."+code3)
		var en, xx []string
		if err := lines(enPath, func(_ int, l string) error { en = append(en, l); return nil }); err != nil {
			return nil, fmt.Errorf("tatoeba: %w", err)
		}
		if err := lines(xxPath, func(_ int, l string) error { xx = append(xx, l); return nil }); err != nil {
			return nil, fmt.Errorf("tatoeba: %w", err)
		}
		if len(en) != len(xx) {
			return nil, fmt.Errorf("tatoeba: %s has %d lines, %s has %d", enPath, len(en), xxPath, len(xx))
		}
		for i := range en {
			out = append(out, SentencePair{Lang: lang, En: strings.TrimSpace(en[i]), Text: strings.TrimSpace(xx[i])})
		}
	}
	return out, nil
}

// Filter is the paper's stage-1 cleaning (Appendix B.1).
type Filter struct {
	MinChars, MaxChars int     // inclusive bounds on both sides, in characters (10, 512)
	MaxRatio           float64 // longer/shorter must be below this (3)
	DedupEnglish       bool    // keep the first pair of each English text, across languages
	PerLanguage        int     // cap per language (500,000); 0 means no cap
	Seed               uint64  // which pairs survive the cap
}

// PaperFilter is the filter of the paper.
func PaperFilter(seed uint64) Filter {
	return Filter{MinChars: 10, MaxChars: 512, MaxRatio: 3, DedupEnglish: true, PerLanguage: 500_000, Seed: seed}
}

// FilterStats counts what each rule removed.
type FilterStats struct {
	In, Length, Ratio, Duplicate, Capped, Out int
}

// Apply filters pairs in order (the input order decides which duplicate
// survives). The cap keeps a seeded random subset of each language, in
// input order.
func (f Filter) Apply(pairs []SentencePair) ([]SentencePair, FilterStats) {
	st := FilterStats{In: len(pairs)}
	seen := map[string]bool{}
	kept := make([]SentencePair, 0, len(pairs))
	for _, p := range pairs {
		a, b := utf8.RuneCountInString(p.En), utf8.RuneCountInString(p.Text)
		if a < f.MinChars || b < f.MinChars || (f.MaxChars > 0 && (a > f.MaxChars || b > f.MaxChars)) {
			st.Length++
			continue
		}
		if f.MaxRatio > 0 {
			lo, hi := min(a, b), max(a, b)
			if lo == 0 || float64(hi)/float64(lo) >= f.MaxRatio {
				st.Ratio++
				continue
			}
		}
		if f.DedupEnglish {
			if seen[p.En] {
				st.Duplicate++
				continue
			}
			seen[p.En] = true
		}
		kept = append(kept, p)
	}
	if f.PerLanguage > 0 {
		byLang := map[string][]int{}
		for i, p := range kept {
			byLang[p.Lang] = append(byLang[p.Lang], i)
		}
		drop := make([]bool, len(kept))
		langs := make([]string, 0, len(byLang))
		for l := range byLang {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			idx := byLang[l]
			if len(idx) <= f.PerLanguage {
				continue
			}
			r := rand.New(rand.NewPCG(f.Seed, hashString(l)))
			perm := r.Perm(len(idx))
			for _, k := range perm[f.PerLanguage:] {
				drop[idx[k]] = true
			}
		}
		out := kept[:0]
		for i, p := range kept {
			if drop[i] {
				st.Capped++
				continue
			}
			out = append(out, p)
		}
		kept = out
	}
	st.Out = len(kept)
	return kept, st
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// ReadRowsJSONL reads mMARCO-style parallel rows, one per line:
// {"id": "q1", "query": {"en": "...", "de": "..."}, "positive": {"en": "...", "de": "..."}}.
// Language keys are normalised ("dt" -> "nl"); a language with a query but no
// positive (or the reverse) is an error naming the line.
func ReadRowsJSONL(path string) ([]ParallelRow, error) {
	var out []ParallelRow
	err := lines(path, func(n int, line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		var r ParallelRow
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		q, p := map[string]string{}, map[string]string{}
		for l, t := range r.Query {
			q[NormalizeLang(l)] = t
		}
		for l, t := range r.Positive {
			p[NormalizeLang(l)] = t
		}
		for l := range q {
			if p[l] == "" {
				return fmt.Errorf("%s:%d: row %q has a %s query but no %s positive", path, n, r.ID, l, l)
			}
		}
		for l := range p {
			if q[l] == "" {
				return fmt.Errorf("%s:%d: row %q has a %s positive but no %s query", path, n, r.ID, l, l)
			}
		}
		if r.ID == "" {
			r.ID = fmt.Sprintf("%s:%d", filepath.Base(path), n)
		}
		r.Query, r.Positive = q, p
		out = append(out, r)
		return nil
	})
	return out, err
}

// WriteRowsJSONL writes rows in ReadRowsJSONL's format, atomically.
func WriteRowsJSONL(path string, rows []ParallelRow) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("row %q: %w", r.ID, err)
			}
		}
		return nil
	})
}

// CommonLanguages returns the languages of rows: those present in every row, in Languages order (then
// any others, sorted).
func CommonLanguages(rows []ParallelRow) []string {
	if len(rows) == 0 {
		return nil
	}
	count := map[string]int{}
	for _, r := range rows {
		for l := range r.Query {
			if r.Has(l) {
				count[l]++
			}
		}
	}
	var out []string
	for _, l := range Languages {
		if count[l] == len(rows) {
			out = append(out, l)
			delete(count, l)
		}
	}
	var rest []string
	for l, c := range count {
		if c == len(rows) {
			rest = append(rest, l)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
