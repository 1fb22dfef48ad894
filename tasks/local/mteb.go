package local

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/formats"
)

// MTEB's Hugging Face retrieval layout, as `hf download mteb/<name>
// --repo-type dataset --local-dir X` writes it: three configs, "corpus",
// "queries" and the qrels ("default", else "qrels"), each a set of data
// files per split, named by the README.md's YAML `configs:` block:
//
//	configs:
//	- config_name: default
//	  data_files:
//	  - split: test
//	    path: qrels/test.jsonl
//	- config_name: corpus
//	  data_files:
//	  - split: corpus
//	    path: corpus.jsonl
//
// Data files are Parquet or JSON lines (optionally gzipped); qrels may also
// be a TSV with the header BEIRQrelsHeader. Columns: corpus "_id" (or
// "id"), "title", "text"; queries "_id" (or "id"), "text"; qrels
// "query-id", "corpus-id", "score". Without a `configs:` block the
// conventional places are read: a folder corpus/, queries/, qrels/ (or
// data/corpus/ ...) of {split}[-NNNNN-of-NNNNN].{parquet,jsonl} files, or
// corpus.{jsonl,parquet} and queries.{jsonl,parquet} beside them.

// CardFile is the dataset card whose YAML front matter names the configs.
const CardFile = formats.CardName

// Columns of the MTEB layout. "metadata" is BEIR's ignored field; a query
// "title" is in the BeIR/* conversions' schema and MTEB ignores it.
var (
	mtebDocFields   = []string{"_id", "id", "title", "text", "metadata"}
	mtebQueryFields = []string{"_id", "id", "text", "title", "metadata"}
	mtebQrelsFields = []string{"query-id", "corpus-id", "score"}
)

// mtebPlan is what an MTEB folder holds for one evaluation: the data files
// of each config for the chosen split, found at Open, read at Load.
type mtebPlan struct {
	corpus, queries, qrels []string // paths in fsys, in reading order
	split                  string   // the qrels split
	languages              []string // the card's `language:` list
	from                   string   // "README.md configs" or "conventional folders"
}

func (p *mtebPlan) files() []string {
	return slices.Concat(p.corpus, p.queries, p.qrels)
}

// The card's types are package formats' (one reader of dataset cards for
// the local folders and the builders).
type (
	hfCard   = formats.Card
	hfConfig = formats.CardConfig
	hfSplits = formats.CardSplits
)

// readCard reads the YAML front matter of dir/README.md (formats.ParseCard).
// ok is false when there is no card or no front matter.
func readCard(fsys fs.FS, dir string) (card hfCard, ok bool, err error) {
	name := path.Join(dir, CardFile)
	b, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return card, false, nil
	}
	if err != nil {
		return card, false, err
	}
	return formats.ParseCard(b, name)
}

// listFiles lists the regular files under dir of fsys, relative to dir,
// sorted, leaving out names starting with "." or "__" as the Hub's data
// file resolution does (the .cache/huggingface folder hf download writes).
func listFiles(fsys fs.FS, dir string) ([]string, error) {
	var out []string
	err := fs.WalkDir(fsys, dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if n := e.Name(); strings.HasPrefix(n, ".") || strings.HasPrefix(n, "__") {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.Type().IsRegular() {
			rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
			if dir == "." {
				rel = p
			}
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// pickSplit is MTEB's rule for a config (RetrievalDatasetLoader._get_split):
// the wanted split when the config has it, else its only split, else an
// error listing the splits.
func pickSplit(have []string, want, what string) (string, error) {
	if slices.Contains(have, want) {
		return want, nil
	}
	if len(have) == 1 {
		return have[0], nil
	}
	return "", fmt.Errorf("%s: split %q not found among %s", what, want, strings.Join(have, ", "))
}

// planMTEB finds the data files of the MTEB folder dir for split (""
// chooses: "test" when the qrels have it, else their only split).
func planMTEB(fsys fs.FS, dir, split string) (*mtebPlan, error) {
	card, ok, err := readCard(fsys, dir)
	if err != nil {
		return nil, err
	}
	files, err := listFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	plan := &mtebPlan{languages: yamlStrings(card.Language)}
	var parts map[string]hfSplits // "corpus", "queries", "qrels"
	if ok && len(card.Configs) > 0 {
		plan.from = CardFile + " configs"
		parts, err = cardParts(card, path.Join(dir, CardFile))
	} else {
		plan.from = "conventional folders"
		parts, err = conventionalParts(files)
	}
	if err != nil {
		return nil, err
	}
	qs := parts["qrels"]
	want := split
	if want == "" {
		want = "test"
		if !slices.Contains(qs.Names, want) && len(qs.Names) > 1 {
			return nil, fmt.Errorf("%s: the qrels have splits %s and none is \"test\": choose one (meta.json \"split\" or WithSplit)", plan.from, strings.Join(qs.Names, ", "))
		}
	}
	if plan.split, err = pickSplit(qs.Names, want, plan.from+": qrels"); err != nil {
		return nil, err
	}
	if split != "" && plan.split != split {
		return nil, fmt.Errorf("%s: qrels: split %q not found (have %s)", plan.from, split, strings.Join(qs.Names, ", "))
	}
	for _, part := range []string{"corpus", "queries", "qrels"} {
		ps := parts[part]
		s, err := pickSplit(ps.Names, plan.split, plan.from+": "+part)
		if err != nil {
			return nil, err
		}
		got := formats.ResolvePatterns(files, ps.Patterns[s])
		if len(got) == 0 {
			return nil, fmt.Errorf("%s: %s split %q: no file matches %s: %w", plan.from, part, s, strings.Join(ps.Patterns[s], ", "), fs.ErrNotExist)
		}
		for i := range got {
			got[i] = path.Join(dir, got[i])
		}
		switch part {
		case "corpus":
			plan.corpus = got
		case "queries":
			plan.queries = got
		default:
			plan.qrels = got
		}
	}
	return plan, nil
}

// cardParts picks MTEB's configs from a card: "corpus", "queries" (or
// "query"), and "default", else "qrels", for the qrels.
func cardParts(card hfCard, name string) (map[string]hfSplits, error) {
	byName := map[string]hfConfig{}
	var names []string
	for _, c := range card.Configs {
		if _, dup := byName[c.Name]; dup {
			return nil, fmt.Errorf("%s: config %q appears twice", name, c.Name)
		}
		byName[c.Name] = c
		names = append(names, c.Name)
	}
	pick := func(part string, cands ...string) (hfSplits, error) {
		for _, c := range cands {
			if cfg, ok := byName[c]; ok {
				return cfg.Splits(name)
			}
		}
		var subsets []string
		for _, n := range names {
			if s, ok := strings.CutSuffix(n, "-"+part); ok {
				subsets = append(subsets, s)
			}
		}
		if len(subsets) > 0 {
			return hfSplits{}, fmt.Errorf("%s: no %q config, but subsets %s have one: MTEB datasets with several subsets are not read as local folders yet", name, part, strings.Join(subsets, ", "))
		}
		return hfSplits{}, fmt.Errorf("%s: no config %s among %s (MTEB's retrieval layout has corpus, queries and default or qrels)", name, strings.Join(cands, " or "), strings.Join(names, ", "))
	}
	out := map[string]hfSplits{}
	var err error
	if out["corpus"], err = pick("corpus", "corpus"); err != nil {
		return nil, err
	}
	if out["queries"], err = pick("queries", "query", "queries"); err != nil {
		return nil, err
	}
	if out["qrels"], err = pick("qrels", "default", "qrels"); err != nil {
		return nil, err
	}
	return out, nil
}

// shardSuffix is the Hub's shard numbering, "-00000-of-00001".
var shardSuffix = regexp.MustCompile(`-\d{5}-of-\d{5}$`)

// dataExt returns the data-file extension of name, or "".
func dataExt(name string) string {
	for _, e := range []string{".parquet", ".jsonl.gz", ".jsonl", ".json.gz", ".json", ".tsv"} {
		if strings.HasSuffix(name, e) {
			return e
		}
	}
	return ""
}

// splitOf is the split a conventional data file holds: its stem without
// the shard numbering ("test-00000-of-00001.parquet" -> "test").
func splitOf(name string) string {
	base := path.Base(name)
	stem := strings.TrimSuffix(base, dataExt(base))
	return shardSuffix.ReplaceAllString(stem, "")
}

// conventionalParts finds the three configs without a card: a folder
// PART/ or data/PART/ of {split}.ext files, or for corpus and queries a
// file PART.ext (its one split named PART) at the top or under data/.
func conventionalParts(files []string) (map[string]hfSplits, error) {
	out := map[string]hfSplits{}
	for _, part := range []string{"corpus", "queries", "qrels"} {
		var s hfSplits
		for _, root := range []string{"", "data/"} {
			for _, f := range files {
				ext := dataExt(f)
				if ext == "" || ext == ".tsv" && part != "qrels" {
					continue
				}
				if rest, ok := strings.CutPrefix(f, root+part+"/"); ok && !strings.Contains(rest, "/") {
					s.Add(splitOf(f), f)
				}
			}
			if len(s.Names) > 0 {
				break
			}
			if part == "qrels" {
				continue // a top-level qrels.jsonl is the authors' layout
			}
			for _, f := range files {
				if ext := dataExt(f); ext != "" && ext != ".tsv" && f == root+part+ext {
					s.Add(part, f)
				}
			}
			if len(s.Names) > 0 {
				break
			}
		}
		if len(s.Names) == 0 {
			return nil, fmt.Errorf("conventional folders: no %s data files (want %s/ or data/%s/ with {split}.jsonl or {split}-*.parquet files, or a %s card with configs): %w", part, part, part, CardFile, fs.ErrNotExist)
		}
		// One format per split, or the shards would be read twice.
		for _, name := range s.Names {
			exts := map[string]bool{}
			for _, f := range s.Patterns[name] {
				exts[strings.TrimSuffix(dataExt(f), ".gz")] = true
			}
			if len(exts) > 1 {
				return nil, fmt.Errorf("conventional folders: %s split %q is stored in several formats (%s): keep one, or name the files in %s configs", part, name, strings.Join(s.Patterns[name], ", "), CardFile)
			}
		}
		out[part] = s
	}
	return out, nil
}

// yamlStrings reads a YAML string or list of strings.
func yamlStrings(n yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		var out []string
		for _, e := range n.Content {
			if e.Kind == yaml.ScalarNode {
				out = append(out, e.Value)
			}
		}
		return out
	}
	return nil
}

// readMTEB reads the files of plan into one Dataset.
func readMTEB(fsys fs.FS, plan *mtebPlan, lang string) (tasks.Dataset, error) {
	d := tasks.Dataset{Subset: "default", Split: plan.split, Skipped: map[string]int{}, Qrels: tasks.Qrels{}}
	queryIdx := map[string]int{}
	docIdx := map[string]int{}
	for _, f := range plan.corpus {
		err := eachRecord(fsys, f, mtebDocFields, func(loc string, r record) error {
			doc, err := corpusRow(r, lang)
			if err != nil {
				return fmt.Errorf("%s: %w", loc, err)
			}
			return addCorpusDoc(&d, docIdx, doc, loc)
		})
		if err != nil {
			return d, err
		}
	}
	for _, f := range plan.queries {
		err := eachRecord(fsys, f, mtebQueryFields, func(loc string, r record) error {
			q, err := queryRow(r, lang)
			if err != nil {
				return fmt.Errorf("%s: %w", loc, err)
			}
			return addQuery(&d, queryIdx, q, loc)
		})
		if err != nil {
			return d, err
		}
	}
	seen := map[[2]string]string{}
	add := func(loc, qid, did string, score int) error {
		if _, ok := queryIdx[qid]; !ok {
			d.Skipped[SkipUnknownQuery]++
			return nil
		}
		return addJudgement(&d, docIdx, seen, loc, qid, did, score)
	}
	for _, f := range plan.qrels {
		var err error
		if dataExt(f) == ".tsv" {
			err = readTSVQrels(fsys, f, true, func(loc, qid, did string, score int) error {
				return add(loc, qid, did, score)
			})
		} else {
			err = eachRecord(fsys, f, mtebQrelsFields, func(loc string, r record) error {
				qid, err := r.id("query-id")
				if err != nil {
					return fmt.Errorf("%s: %w", loc, err)
				}
				did, err := r.id("corpus-id")
				if err != nil {
					return fmt.Errorf("%s: %w", loc, err)
				}
				score, err := r.score("score")
				if err != nil {
					return fmt.Errorf("%s: query %q doc %q: %w", loc, qid, did, err)
				}
				return add(loc, qid, did, score)
			})
		}
		if err != nil {
			return d, err
		}
	}
	d = dropUnjudged(d)
	d.Languages = languagesOf(d)
	return d, nil
}

// eachRecord calls fn for every row of a data file (Parquet or JSON
// lines) with its location ("file:line" or "file: row N", rows from 0 as
// formats numbers them), refusing fields outside allowed.
func eachRecord(fsys fs.FS, name string, allowed []string, fn func(loc string, r record) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	switch dataExt(name) {
	case ".parquet":
		ra, size, err := readerAt(f)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		err = formats.ReadParquet(ra, size, name, nil, func(row int, rec map[string]any) error {
			loc := fmt.Sprintf("%s: row %d", name, row)
			for k := range rec {
				if !slices.Contains(allowed, k) {
					return located{unknownColumn(loc, rec, allowed)}
				}
			}
			if err := fn(loc, parquetRecord(rec)); err != nil {
				return located{err}
			}
			return nil
		})
		return unlocate(err)
	case ".jsonl", ".jsonl.gz", ".json", ".json.gz":
		err := formats.ReadJSONL(f, name, func(line int, raw json.RawMessage) error {
			m, err := object(raw, allowed...)
			if err != nil {
				return err // ReadJSONL prefixes "file:line"
			}
			if err := fn(fmt.Sprintf("%s:%d", name, line), jsonRecord(m)); err != nil {
				return located{err}
			}
			return nil
		})
		return unlocate(err)
	}
	return fmt.Errorf("%s: unsupported data file format (want .parquet, .jsonl or .jsonl.gz)", name)
}

// located marks an error that already names its file and row, so the
// reader's own prefix is dropped again (unlocate).
type located struct{ err error }

func (l located) Error() string { return l.err.Error() }
func (l located) Unwrap() error { return l.err }

func unlocate(err error) error {
	var l located
	if errors.As(err, &l) {
		return l.err
	}
	return err
}

// unknownColumn names the first column outside allowed, sorted.
func unknownColumn(loc string, rec map[string]any, allowed []string) error {
	var bad []string
	for k := range rec {
		if !slices.Contains(allowed, k) {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	return fmt.Errorf("%s: column %q: unknown field (known: %s)", loc, bad[0], strings.Join(allowed, ", "))
}

// readerAt gives random access to f, reading it into memory when the
// file system's files do not offer it.
func readerAt(f fs.File) (io.ReaderAt, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if ra, ok := f.(io.ReaderAt); ok {
		return ra, st.Size(), nil
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, 0, err
	}
	return bytes.NewReader(b), int64(len(b)), nil
}
