package corpora

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks/formats"
	"github.com/mimo-mlir/mimo/training/data"
)

// OPUS-100 on the Hub. Layout (huggingface.co/datasets/Helsinki-NLP/opus-100,
// tree at OPUSRevision, e.g. .../tree/24345a23af11ade6d46b674c73cdf155c50e35ab/de-en):
// one folder per config, named by the two language codes sorted and
// joined by "-" ("ar-en", "de-en", "en-es", ...), holding
// train-00000-of-00001.parquet, validation-00000-of-00001.parquet and
// test-00000-of-00001.parquet (albertvillanova's "Add de-en data files"
// conversion of the former script dataset), each with one column
// "translation", a struct of two strings named by the config's languages
// (the dataset card's feature {"translation": {"languages": ["de", "en"]}}).
const (
	OPUSRepo     = "Helsinki-NLP/opus-100"
	OPUSRevision = "24345a23af11ade6d46b674c73cdf155c50e35ab"
)

// OPUSConfig is the OPUS-100 config of English and l ("de-en", "en-zh").
func OPUSConfig(l string) string {
	if l < "en" {
		return l + "-en"
	}
	return "en-" + l
}

// OPUSTrainFile is the path of the training split of English and l.
func OPUSTrainFile(l string) string { return OPUSConfig(l) + "/train-00000-of-00001.parquet" }

// Table5 is the paper's Table 5: stage-1 pairs per language after the
// filters (total 5,647,936).
var Table5 = map[string]int{
	"ar": 500_000, "de": 500_000, "nl": 500_000, "en": 500_000, "es": 500_000, "fr": 500_000, "hi": 141_739,
	"id": 500_000, "it": 500_000, "ja": 192_283, "pt": 500_000, "ru": 500_000, "vi": 278_507, "zh": 35_407,
}

// OPUSOptions say what BuildOPUS builds. Everything but AllowUnpinned and
// Overwrite is part of the build's identity (progress.json, manifest.json).
type OPUSOptions struct {
	Repo     string   `json:"repo"`
	Revision string   `json:"revision"`
	Langs    []string `json:"langs"` // non-English languages, in build order
	// English adds Table 5's English row: identity pairs (t_en, t_en) of
	// English sentences that passed the filters for some language and were
	// then dropped by that language's cap, so no English anchor appears
	// twice; capped like the others (docs/decisions.md).
	English       bool        `json:"english"`
	Filter        data.Filter `json:"filter"`
	AllowUnpinned bool        `json:"-"`
	Overwrite     bool        `json:"-"`
}

// PaperOPUS are the paper's stage-1 options.
func PaperOPUS(seed uint64) OPUSOptions {
	var langs []string
	for _, l := range lang.Paper {
		if l != "en" {
			langs = append(langs, l)
		}
	}
	return OPUSOptions{Repo: OPUSRepo, Revision: OPUSRevision, Langs: langs, English: true, Filter: data.PaperFilter(seed)}
}

// OPUSManifest is OUT/manifest.json of a stage-1 build.
type OPUSManifest struct {
	Dataset  string                    `json:"dataset"`
	Revision string                    `json:"revision"`
	Commit   string                    `json:"commit"`
	Files    []string                  `json:"files"`
	Options  OPUSOptions               `json:"options"`
	Counts   map[string]map[string]int `json:"counts"` // language -> in, length, ratio, duplicate, capped, out
	Total    int                       `json:"total"`
	Output   string                    `json:"output"` // pairs.jsonl: data.ReadPairsJSONL's format
	SHA256   string                    `json:"sha256"`
	// Paper compares each language's count with Table 5 when the build
	// used the paper's cap; PaperDiff lists the languages that differ.
	Paper     map[string]int `json:"paper,omitempty"`
	PaperDiff []string       `json:"paper_diff,omitempty"`
	Reused    bool           `json:"-"`
}

// OPUSOutput is the stage-1 file of a build folder.
const OPUSOutput = "pairs.jsonl"

// BuildOPUS builds the stage-1 pairs into dir (see the package comment).
func BuildOPUS(ctx context.Context, src Source, dir string, o OPUSOptions, notes io.Writer) (*OPUSManifest, error) {
	var done OPUSManifest
	lock, b, f, finished, err := begin(dir, &done, o, o.Repo, o.Revision, o.AllowUnpinned, o.Overwrite, src, notes)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if finished {
		done.Reused = true
		return &done, nil
	}
	seen := map[[16]byte]struct{}{}
	m := &OPUSManifest{Dataset: o.Repo, Revision: o.Revision, Options: o, Counts: map[string]map[string]int{}, Output: OPUSOutput}
	var parts, spares []string
	for _, l := range o.Langs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("corpora: stopped before %s: %w", l, err)
		}
		p, err := opusLanguage(ctx, b, f, o, l, seen)
		if err != nil {
			return nil, err
		}
		m.Counts[l] = p.Counts
		parts = append(parts, partFile(l, ".jsonl"))
		spares = append(spares, partFile(l, ".spare.jsonl"))
		m.Files = append(m.Files, OPUSTrainFile(l))
	}
	if o.English {
		p, err := opusEnglish(b, f.commit, o, spares)
		if err != nil {
			return nil, err
		}
		m.Counts["en"] = p.Counts
		parts = append(parts, partFile("en", ".jsonl"))
	}
	m.Commit = f.commit
	return m, finishOPUS(dir, m, parts)
}

func (m *OPUSManifest) opts() any                    { return m.Options }
func (m *OPUSManifest) output() (rel, sha256 string) { return m.Output, m.SHA256 }

func finishOPUS(dir string, m *OPUSManifest, parts []string) error {
	if err := concat(dir, m.Output, parts); err != nil {
		return fmt.Errorf("corpora: %w", err)
	}
	sum, err := fileSum(dir, m.Output)
	if err != nil {
		return err
	}
	m.SHA256 = sum
	langs := append([]string(nil), m.Options.Langs...)
	if m.Options.English {
		langs = append(langs, "en")
	}
	for _, l := range langs {
		m.Total += m.Counts[l]["out"]
	}
	if m.Options.Filter.PerLanguage == data.PaperFilter(0).PerLanguage {
		m.Paper = map[string]int{}
		for _, l := range langs {
			m.Paper[l] = Table5[l]
			if m.Counts[l]["out"] != Table5[l] {
				m.PaperDiff = append(m.PaperDiff, l)
			}
		}
	}
	return writeJSON(filepath.Join(dir, ManifestFile), m)
}

func partFile(key, ext string) string { return filepath.Join(partsDir, key+ext) }

// opusLanguage filters one language (or reuses its finished part), adding
// the English texts that passed its length and ratio rules to seen.
func opusLanguage(ctx context.Context, b *build, f *fetcher, o OPUSOptions, l string, seen map[[16]byte]struct{}) (Part, error) {
	seenFile := partFile(l, ".seen")
	if p, ok := b.done(l); ok {
		return p, loadSeen(filepath.Join(b.dir, seenFile), seen)
	}
	path, err := f.fetch(ctx, OPUSTrainFile(l))
	if err != nil {
		return Part{}, err
	}
	pairs, err := readOPUS(path, l)
	if err != nil {
		return Part{}, err
	}
	flt := o.Filter
	shape, st := data.Filter{MinChars: flt.MinChars, MaxChars: flt.MaxChars, MaxRatio: flt.MaxRatio}.Apply(pairs)
	var unique []data.SentencePair
	var newSeen [][16]byte
	dup := 0
	for _, p := range shape {
		if flt.DedupEnglish {
			h := textHash(p.En)
			if _, ok := seen[h]; ok {
				dup++
				continue
			}
			seen[h] = struct{}{}
			newSeen = append(newSeen, h)
		}
		unique = append(unique, p)
	}
	kept, cst := data.Filter{PerLanguage: flt.PerLanguage, Seed: flt.Seed}.Apply(unique)
	files := []string{partFile(l, ".jsonl"), seenFile, partFile(l, ".spare.jsonl")}
	if err := writePairs(filepath.Join(b.dir, files[0]), kept); err != nil {
		return Part{}, err
	}
	if err := writeSeen(filepath.Join(b.dir, seenFile), newSeen); err != nil {
		return Part{}, err
	}
	if err := writePairs(filepath.Join(b.dir, files[2]), identity(dropped(unique, kept))); err != nil {
		return Part{}, err
	}
	counts := map[string]int{"in": st.In, "length": st.Length, "ratio": st.Ratio, "duplicate": dup, "capped": cst.Capped, "out": cst.Out}
	return b.record(l, f.commit, counts, files...)
}

// opusEnglish builds the English identity pairs from the other languages'
// spares, capped.
func opusEnglish(b *build, commit string, o OPUSOptions, spares []string) (Part, error) {
	if p, ok := b.done("en"); ok {
		return p, nil
	}
	var all []data.SentencePair
	for _, rel := range spares {
		ps, err := data.ReadPairsJSONL(filepath.Join(b.dir, rel))
		if err != nil {
			return Part{}, fmt.Errorf("corpora: %w", err)
		}
		all = append(all, ps...)
	}
	kept, st := data.Filter{PerLanguage: o.Filter.PerLanguage, Seed: o.Filter.Seed}.Apply(all)
	rel := partFile("en", ".jsonl")
	if err := writePairs(filepath.Join(b.dir, rel), kept); err != nil {
		return Part{}, err
	}
	return b.record("en", commit, map[string]int{"in": st.In, "capped": st.Capped, "out": st.Out}, rel)
}

// dropped returns the pairs of all that are not in kept (a subsequence of
// all, in order).
func dropped(all, kept []data.SentencePair) []data.SentencePair {
	var out []data.SentencePair
	k := 0
	for _, p := range all {
		if k < len(kept) && kept[k] == p {
			k++
			continue
		}
		out = append(out, p)
	}
	return out
}

// identity turns pairs into English identity pairs of their English side.
func identity(ps []data.SentencePair) []data.SentencePair {
	out := make([]data.SentencePair, len(ps))
	for i, p := range ps {
		out[i] = data.SentencePair{Lang: "en", En: p.En, Text: p.En}
	}
	return out
}

// readOPUS reads the "translation" column of an OPUS-100 parquet file.
func readOPUS(path, l string) ([]data.SentencePair, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("corpora: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("corpora: %w", err)
	}
	var out []data.SentencePair
	err = formats.ReadParquet(fh, fi.Size(), path, []string{"translation"}, func(row int, rec map[string]any) error {
		tr, ok := rec["translation"].(map[string]any)
		if !ok {
			return fmt.Errorf("column translation: want a struct of %s and en, got %T", l, rec["translation"])
		}
		en, ok1 := tr["en"].(string)
		xx, ok2 := tr[l].(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("column translation: want strings en and %s, got %v", l, tr)
		}
		out = append(out, data.SentencePair{Lang: l, En: strings.TrimSpace(en), Text: strings.TrimSpace(xx)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("corpora: %w", err)
	}
	return out, nil
}

func textHash(s string) [16]byte {
	h := sha256.Sum256([]byte(s))
	var out [16]byte
	copy(out[:], h[:16])
	return out
}

func writeSeen(path string, hs [][16]byte) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		for _, h := range hs {
			if _, err := w.Write(h[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

func loadSeen(path string, seen map[[16]byte]struct{}) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("corpora: %w", err)
	}
	defer fh.Close()
	r := bufio.NewReader(fh)
	var h [16]byte
	for {
		_, err := io.ReadFull(r, h[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("corpora: %s: %w", path, err)
		}
		seen[h] = struct{}{}
	}
}
