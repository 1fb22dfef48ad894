// Command xquadpairs writes in-domain parallel sentence pairs for stage 1 of
// `mimo-train --method mimo` from the XQuAD TRAINING articles only
// (tasks/xquad.HeldOut false; the held-out articles and the mini
// benchmark are never read).
//
// XQuAD is one set of Wikipedia paragraphs and questions professionally
// translated from English into ten languages, so every paragraph and every
// question is a parallel pair with its English original. For each training
// question id and each language XX other than English it emits
//
//   - the pair (English question, XX question);
//   - the pair (English paragraph, XX paragraph), once per paragraph;
//   - when the English and XX paragraphs split into the same number of
//     sentences (Split), the aligned sentence pairs, position by position.
//
// Output: one JSON object per line, {"lang": "de", "en": "...", "text": "..."},
// the format training/data.ReadPairsJSONL reads (`--pairs jsonl:PATH`),
// written atomically (temporary file, then rename).
//
//	go run ./internal/cmd/xquadpairs -xquad $MIMO_DATA/xquad -out /tmp/xquad-pairs.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/mimo-mlir/mimo/training/data"
)

// Langs are XQuAD's languages among the paper's, besides English.
var Langs = []string{"ar", "de", "es", "hi", "ru", "vi", "zh"}

func main() {
	dir := flag.String("xquad", "", "folder with xquad.<lang>.json (default $MIMO_DATA/xquad or ../shared/data/xquad)")
	out := flag.String("out", "", "output JSONL path (required)")
	langs := flag.String("langs", strings.Join(Langs, ","), "comma-separated target languages")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "xquadpairs: -out is required")
		os.Exit(2)
	}
	if *dir == "" {
		*dir = filepath.Join("..", "shared", "data", "xquad")
		if d := os.Getenv("MIMO_DATA"); d != "" {
			*dir = filepath.Join(d, "xquad")
		}
	}
	ls := strings.Split(*langs, ",")
	train, _, err := data.ReadXQuAD(*dir, append([]string{"en"}, ls...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "xquadpairs:", err)
		os.Exit(1)
	}
	pairs := Pairs(data.Rows(train), ls)
	if err := writeAtomic(*out, func(w io.Writer) error { return WriteJSONL(w, pairs) }); err != nil {
		fmt.Fprintln(os.Stderr, "xquadpairs:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "xquadpairs: %d pairs from %d training questions -> %s\n", len(pairs), len(train), *out)
}

// Pairs turns training rows into sentence pairs for langs: every question,
// every distinct paragraph once, and the paragraph's sentences where the
// English and translated paragraphs have the same sentence count. The order
// is deterministic (rows, then langs).
func Pairs(rows []data.ParallelRow, langs []string) []data.SentencePair {
	var out []data.SentencePair
	seen := map[string]bool{}
	for _, r := range rows {
		for _, l := range langs {
			if !r.Has(l) || !r.Has("en") {
				continue
			}
			out = append(out, data.SentencePair{Lang: l, En: r.Query["en"], Text: r.Query[l]})
			en, xx := r.Positive["en"], r.Positive[l]
			key := l + "\x00" + en
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, data.SentencePair{Lang: l, En: en, Text: xx})
			es, xs := Split(en), Split(xx)
			if len(es) > 1 && len(es) == len(xs) {
				for i := range es {
					if wordy(es[i]) && wordy(xs[i]) {
						out = append(out, data.SentencePair{Lang: l, En: es[i], Text: xs[i]})
					}
				}
			}
		}
	}
	return out
}

// Split cuts a paragraph into sentences after a terminal mark: . ! ? (and
// the Devanagari danda) when followed by white space, and the full-width
// 。！？ anywhere. A mark followed by a non-space (3.5, U.S.) does not cut.
// Pieces are trimmed; empty pieces are dropped.
func Split(s string) []string {
	var out []string
	rs := []rune(s)
	start := 0
	flush := func(end int) {
		if p := strings.TrimSpace(string(rs[start:end])); p != "" {
			out = append(out, p)
		}
		start = end
	}
	for i, r := range rs {
		switch r {
		case '。', '！', '？':
			flush(i + 1)
		case '.', '!', '?', '।':
			if i+1 < len(rs) && unicode.IsSpace(rs[i+1]) {
				flush(i + 1)
			}
		}
	}
	flush(len(rs))
	return out
}

// wordy reports whether s has a letter or digit: a sentence piece that is
// only punctuation (a stray "." after a split) is no training pair, and the
// lexical teacher rejects it.
func wordy(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// WriteJSONL writes pairs one JSON object per line.
func WriteJSONL(w io.Writer, pairs []data.SentencePair) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, p := range pairs {
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("pair %d (%s): %w", i, p.Lang, err)
		}
	}
	return bw.Flush()
}

func writeAtomic(path string, fn func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
