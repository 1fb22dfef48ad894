package corpora

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
	textlines "github.com/mimo-mlir/mimo/internal/lines"
	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/training/data"
)

// mMARCO on the Hub. Layout (huggingface.co/datasets/unicamp-dl/mmarco,
// tree at MMARCORevision: .../tree/1f7f99e04de0635cb61b073b359d474a3c252b84/data):
//
//	data/triples.train.ids.small.tsv                   qid <TAB> positive pid <TAB> negative pid
//	data/v2/queries/train/<name>_queries.train.tsv     qid <TAB> query
//	data/v2/collections/<name>_collection.tsv          pid <TAB> passage
//
// with <name> the English language name (data.MMARCOName); v2 is the
// Google-translated version, the only one with all 14 languages (v1,
// MarianNMT, has 9). The main branch later renamed data/v2 to data/google
// (MMARCOOptions.Prefix) and kept the triples and qrels where they are.
const (
	MMARCORepo     = "unicamp-dl/mmarco"
	MMARCORevision = "1f7f99e04de0635cb61b073b359d474a3c252b84"
	MMARCOPrefix   = "data/v2"
	MMARCOTriples  = "data/triples.train.ids.small.tsv"
)

// PaperMMARCORows is the paper's stage-2 size (Appendix B.2).
const PaperMMARCORows = 415_938

// MMARCOOptions say what BuildMMARCO builds.
type MMARCOOptions struct {
	Repo     string   `json:"repo"`
	Revision string   `json:"revision"`
	Prefix   string   `json:"prefix"`
	Triples  string   `json:"triples"`
	Langs    []string `json:"langs"`
	// MaxPairs keeps the first MaxPairs unique (query, positive) pairs of
	// the triples file (0: all).
	MaxPairs int `json:"max_pairs,omitempty"`
	// Seed is the training seed the composition counts are computed with
	// (training.Config.Seed; the counts do not depend on it).
	Seed          uint64 `json:"seed"`
	AllowUnpinned bool   `json:"-"`
	Overwrite     bool   `json:"-"`
}

// PaperMMARCO are the paper's stage-2 options.
func PaperMMARCO(seed uint64) MMARCOOptions {
	return MMARCOOptions{Repo: MMARCORepo, Revision: MMARCORevision, Prefix: MMARCOPrefix, Triples: MMARCOTriples,
		Langs: append([]string(nil), lang.Paper...), Seed: seed}
}

// Composition is how often each unit (language pair, or positive
// language) is used over the rows: Counts maps a number of uses to the
// number of units used that often ({"2286": 68, "2285": 114}).
type Composition struct {
	Units  int            `json:"units"`
	Counts map[string]int `json:"counts"`
}

// MMARCOManifest is OUT/manifest.json of a stage-2 build.
type MMARCOManifest struct {
	Dataset  string                    `json:"dataset"`
	Revision string                    `json:"revision"`
	Commit   string                    `json:"commit"`
	Files    []string                  `json:"files"`
	Options  MMARCOOptions             `json:"options"`
	Counts   map[string]map[string]int `json:"counts"` // "pairs" and each language
	Rows     int                       `json:"rows"`
	Output   string                    `json:"output"` // rows.jsonl: data.ReadRowsJSONL's format
	SHA256   string                    `json:"sha256"`
	// Compositions per method (mimo/xlco pairs, infonce pairs, lakda
	// query pairs and positive languages), checked against floor/ceil of
	// rows/units.
	Compositions map[string]Composition `json:"compositions"`
	PaperRows    int                    `json:"paper_rows"`
	Reused       bool                   `json:"-"`
}

// MMARCOOutput is the stage-2 file of a build folder.
const MMARCOOutput = "rows.jsonl"

// BuildMMARCO builds the stage-2 rows into dir (see the package comment).
func BuildMMARCO(ctx context.Context, src Source, dir string, o MMARCOOptions, notes io.Writer) (*MMARCOManifest, error) {
	var done MMARCOManifest
	lock, b, f, finished, err := begin(dir, &done, o, o.Repo, o.Revision, o.AllowUnpinned, o.Overwrite, src, notes)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if finished {
		done.Reused = true
		return &done, nil
	}
	m := &MMARCOManifest{Dataset: o.Repo, Revision: o.Revision, Options: o, Counts: map[string]map[string]int{},
		Output: MMARCOOutput, PaperRows: PaperMMARCORows, Files: []string{o.Triples}}
	p, err := mmarcoPairs(ctx, b, f, o)
	if err != nil {
		return nil, err
	}
	m.Counts["pairs"] = p.Counts
	var parts []string
	for _, l := range o.Langs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("corpora: stopped before %s: %w", l, err)
		}
		p, files, err := mmarcoLanguage(ctx, b, f, o, l)
		if err != nil {
			return nil, err
		}
		m.Counts[l] = p.Counts
		m.Files = append(m.Files, files...)
		parts = append(parts, partFile(l, ".jsonl"))
	}
	m.Commit = f.commit
	return m, finishMMARCO(dir, m, parts)
}

func (m *MMARCOManifest) opts() any                    { return m.Options }
func (m *MMARCOManifest) output() (rel, sha256 string) { return m.Output, m.SHA256 }

// mmarcoPairs writes parts/pairs.tsv: the unique (qid, positive pid)
// pairs of the triples file, in first-appearance order.
func mmarcoPairs(ctx context.Context, b *build, f *fetcher, o MMARCOOptions) (Part, error) {
	if p, ok := b.done("pairs"); ok {
		return p, nil
	}
	path, err := f.fetch(ctx, o.Triples)
	if err != nil {
		return Part{}, err
	}
	pairs, triples, err := readTriples(path, o.MaxPairs)
	if err != nil {
		return Part{}, err
	}
	rel := partFile("pairs", ".tsv")
	if err := atomicfile.WriteFile(filepath.Join(b.dir, rel), []byte(pairs), 0o644); err != nil {
		return Part{}, fmt.Errorf("corpora: %w", err)
	}
	return b.record("pairs", f.commit, map[string]int{"triples": triples, "pairs": strings.Count(pairs, "\n")}, rel)
}

// mmarcoLanguage writes parts/<l>.jsonl: the pairs' query and positive in
// l (data.ReadMMARCO over the snapshot's files).
func mmarcoLanguage(ctx context.Context, b *build, f *fetcher, o MMARCOOptions, l string) (Part, []string, error) {
	name, ok := data.MMARCOName(l)
	if !ok {
		return Part{}, nil, fmt.Errorf("corpora: mMARCO has no language %q", l)
	}
	qrel := o.Prefix + "/queries/train/" + name + "_queries.train.tsv"
	crel := o.Prefix + "/collections/" + name + "_collection.tsv"
	files := []string{qrel, crel}
	if p, ok := b.done(l); ok {
		return p, files, nil
	}
	qpath, err := f.fetch(ctx, qrel)
	if err != nil {
		return Part{}, nil, err
	}
	if _, err := f.fetch(ctx, crel); err != nil {
		return Part{}, nil, err
	}
	// Both files are in one snapshot of one commit: the folder above
	// queries/ is the layout ReadMMARCO reads.
	root := strings.TrimSuffix(filepath.ToSlash(qpath), "/queries/train/"+name+"_queries.train.tsv")
	rows, dropped, err := data.ReadMMARCO(filepath.FromSlash(root), filepath.Join(b.dir, partFile("pairs", ".tsv")), []string{l})
	if err != nil {
		return Part{}, nil, fmt.Errorf("corpora: %w", err)
	}
	rel := partFile(l, ".jsonl")
	if err := data.WriteRowsJSONL(filepath.Join(b.dir, rel), rows); err != nil {
		return Part{}, nil, fmt.Errorf("corpora: %w", err)
	}
	p, err := b.record(l, f.commit, map[string]int{"rows": len(rows), "missing": dropped}, rel)
	return p, files, err
}

// finishMMARCO joins the language parts into rows present in every
// language (in pairs order), writes them, and checks the compositions.
func finishMMARCO(dir string, m *MMARCOManifest, parts []string) error {
	var rows []data.ParallelRow
	index := map[string]int{}
	for i, rel := range parts {
		part, err := data.ReadRowsJSONL(filepath.Join(dir, rel))
		if err != nil {
			return fmt.Errorf("corpora: %w", err)
		}
		l := m.Options.Langs[i]
		for _, r := range part {
			if i == 0 {
				index[r.ID] = len(rows)
				rows = append(rows, data.ParallelRow{ID: r.ID, Query: map[string]string{}, Positive: map[string]string{}})
			}
			if k, ok := index[r.ID]; ok {
				rows[k].Query[l], rows[k].Positive[l] = r.Query[l], r.Positive[l]
			}
		}
	}
	full := rows[:0]
	for _, r := range rows {
		if len(r.Query) == len(m.Options.Langs) {
			full = append(full, r)
		}
	}
	m.Rows = len(full)
	if err := data.WriteRowsJSONL(filepath.Join(dir, m.Output), full); err != nil {
		return fmt.Errorf("corpora: %w", err)
	}
	sum, err := fileSum(dir, m.Output)
	if err != nil {
		return err
	}
	m.SHA256 = sum
	if m.Compositions, err = Compositions(m.Rows, m.Options.Langs, m.Options.Seed); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, ManifestFile), m)
}

// readTriples reads MS MARCO's id triples and returns the unique (qid,
// positive pid) pairs as "qid<TAB>pid" lines, in first-appearance order
// (at most max of them; 0: all), and the number of triples.
func readTriples(path string, max int) (string, int, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("corpora: %w", err)
	}
	defer fh.Close()
	lr := textlines.NewReader(fh, path, textlines.DefaultLimit)
	triples, n := 0, 0
	seen := map[[2]string]bool{}
	var sb strings.Builder
	for lr.Scan() {
		text := lr.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 3 {
			return "", 0, fmt.Errorf("corpora: %s:%d: want qid<TAB>positive<TAB>negative, got %d column(s)", path, lr.Line(), len(cols))
		}
		triples++
		k := [2]string{cols[0], cols[1]}
		if seen[k] || (max > 0 && n >= max) {
			continue
		}
		seen[k] = true
		n++
		sb.WriteString(cols[0] + "\t" + cols[1] + "\n")
	}
	if err := lr.Err(); err != nil {
		return "", 0, fmt.Errorf("corpora: %w", err)
	}
	return sb.String(), triples, nil
}
