// Package local reads retrieval tasks from folders on disk, in three
// layouts (DetectLayout tells them apart by their files):
//
// The MIMO authors' layout of their released files
// (yjoonjang/mlir-benchmarks, MMLIR/*), three JSON-lines files:
//
//	queries.jsonl  {"_id": "de_q_1a2b3c4d", "text": "...", "lang": "de"}   (optional "group")
//	corpus.jsonl   {"doc_de_0": {"text": "...", "lang": "de"}}             (optional "title", "group")
//	qrels.jsonl    {"de_q_1a2b3c4d": {"doc_de_0": 1, "doc_en_0": 1}}
//
// BEIR's layout, read as BEIR's GenericDataLoader reads it (ReadBEIR):
// corpus.jsonl {"_id", "title", "text"}, queries.jsonl {"_id", "text"}
// (both with an optional, ignored "metadata"), and qrels/{split}.tsv with
// its header line.
//
// MTEB's Hugging Face retrieval layout, as `hf download mteb/NAME
// --repo-type dataset --local-dir X` writes it: configs corpus, queries and
// default (or qrels), Parquet or JSON lines, named by README.md's YAML
// `configs:` block or found in the conventional folders (see mteb.go).
//
// The JSON-lines files may be gzipped (NAME.jsonl.gz). An optional
// meta.json names the task and fills its Metadata (see Meta). BEIR and MTEB
// files carry no language: meta.json's one language is given to every
// query and document, else the card's one language (MTEB), else "und",
// which the task's description then says. The split is WithSplit's, else
// meta.json's, else "test" when the qrels have it, else their only one;
// several without "test" is an error listing them. A document's text is
// MTEB's: (title + " " + text).strip() when there is a title, else
// text.strip(). The default main score is the paper's ndcg_at_20 for the
// authors' layout and MTEB's ndcg_at_10 for BEIR and MTEB folders.
//
// The mental model: one folder is one task with one Dataset (MTEB's
// hf_subset "default"), the paper's MLIR setting, where queries of every
// language search one pooled corpus. Read, ReadBEIR and the MTEB reader
// read from any fs.FS (the embedded mini benchmark uses Read); Open wraps a
// folder on disk into a tasks.Task, OpenAll a folder of such folders.
//
// Reading is strict where a mistake would silently change scores and lenient
// where MTEB is. Errors naming the file, the line (or Parquet row) and the
// key: a malformed line, a key repeated in one JSON object (encoding/json
// would keep the last: a repeated qrels key dropped a query), a field this
// package does not know, invalid UTF-8 (internal/strictjson checks every
// line), a duplicate id, a repeated qrels row, an empty query, a missing
// language (authors' layout), a qrels entry naming an unknown query (and,
// in the authors' layout, an unknown document). Lenient, as MTEB: a query
// without any relevant document is dropped and counted in Dataset.Skipped;
// in BEIR and MTEB folders a relevant document missing from the corpus is
// kept (it counts against recall, as in MTEB) and an empty document too,
// both counted in Skipped, and an MTEB qrels row naming an unknown query is
// dropped and counted, as MTEB never runs that query.
//
// Groups (parallel texts, authors' layout only): a "group" field wins;
// otherwise an id of the form "{lang}_{rest}" (the authors' query ids,
// XQuAD's doc ids) gets group "{rest}", so the same question in several
// languages shares a group. Documents with the authors' Belebele and MLQA
// ids "doc_{lang}_{n}" carry no group in their files; they take it from
// the qrels, where a query's relevant set is every language version of its
// passage: documents relevant to a common query share a group (connected
// components, named by their first document; see parallelGroups), so the
// harness computes alignment for them.
package local

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/internal/lines"
	"github.com/mimo-mlir/mimo/internal/strictjson"
	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/tasks"
)

// File names of the layout.
const (
	QueriesFile = "queries.jsonl"
	CorpusFile  = "corpus.jsonl"
	QrelsFile   = "qrels.jsonl"
	MetaFile    = "meta.json"
)

// SkipNoRelevant is the Dataset.Skipped reason for queries with no document
// of relevance >= 1 (after language filtering).
const SkipNoRelevant = "query without relevant documents"

// maxLine bounds one line of queries.jsonl, corpus.jsonl or the qrels
// (a long passage is far below it); MIMO_MAX_LINE raises it for a corpus
// of longer documents (internal/lines).
const maxLine = lines.DefaultLimit

// Meta is the optional meta.json of a local task folder. Every field is
// optional.
type Meta struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Split       string   `json:"split"`      // default: folder suffix "_test"/"_dev"/..., else "test"
	MainScore   string   `json:"main_score"` // default "ndcg_at_20" (the paper's MLIR metric)
	Languages   []string `json:"languages"`  // default: the languages found at Open
	Revision    string   `json:"revision"`   // default: sha256 of the three files
	License     string   `json:"license"`
	Reference   string   `json:"reference"`
	Group       string   `json:"group"` // default "local"
}

// Option adjusts Open.
type Option func(*config)

type config struct {
	name  string
	group string
	split string
}

// WithName overrides the task name (default: meta.json's name, else the folder name).
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithGroup overrides the task group (default: meta.json's group, else "local").
func WithGroup(group string) Option { return func(c *config) { c.group = group } }

// WithSplit overrides the split reported in results (default: see Meta.Split).
func WithSplit(split string) Option { return func(c *config) { c.split = split } }

// Task is a local task folder.
type Task struct {
	fsys   fs.FS
	dir    string // the folder, for messages and Metadata.Source
	meta   tasks.Metadata
	layout Layout
	split  string
	lang   string    // BEIR and MTEB: the language of every row
	mteb   *mtebPlan // MTEB: the data files
}

// Open makes a Task of the folder dir. It finds the folder's layout
// (DetectLayout), reads meta.json, chooses the split and hashes the files
// it will read (the revision); the rows themselves are read by Load.
func Open(dir string, opts ...Option) (*Task, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local task %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("local task %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("local task %s: not a folder", dir)
	}
	return OpenFS(os.DirFS(abs), ".", abs, opts...)
}

// metaFields are meta.json's keys (exact; any other is an error).
var metaFields = []string{"name", "description", "split", "main_score", "languages", "revision", "license", "reference", "group"}

// readMeta reads root/meta.json strictly; a missing file is an empty Meta.
func readMeta(fsys fs.FS, root string) (Meta, error) {
	var m Meta
	b, err := fs.ReadFile(fsys, path.Join(root, MetaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if _, err := strictjson.Object(b, metaFields...); err != nil {
		return m, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, err
	}
	return m, nil
}

// OpenFS is Open on a folder root of fsys; source names it in messages and
// in Metadata.Source.
func OpenFS(fsys fs.FS, root, source string, opts ...Option) (*Task, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	fail := func(err error) (*Task, error) { return nil, fmt.Errorf("local task %s: %w", source, err) }
	m, err := readMeta(fsys, root)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", MetaFile, err))
	}
	layout, err := DetectLayout(fsys, root)
	if err != nil {
		return fail(err)
	}
	base := filepath.Base(source)
	t := &Task{fsys: fsys, dir: root, layout: layout}
	var files []string // read in this order for the revision
	desc := ""
	mainScore := "ndcg_at_10" // MTEB's main score of its retrieval tasks
	langs := m.Languages
	switch layout {
	case LayoutMIMO:
		t.split = firstNonEmpty(c.split, m.Split, splitFromFolder(base), "test")
		files = []string{QueriesFile, CorpusFile, QrelsFile}
		desc = "Local task in the MIMO authors' layout read from " + source
		mainScore = "ndcg_at_20" // the paper's MLIR metric
	case LayoutBEIR:
		splits, err := qrelsSplits(fsys, root)
		if err != nil {
			return fail(err)
		}
		if t.split, err = chooseSplit(splits, firstNonEmpty(c.split, m.Split), BEIRQrelsDir+"/*.tsv"); err != nil {
			return fail(err)
		}
		files = []string{QueriesFile, CorpusFile, path.Join(BEIRQrelsDir, t.split+".tsv")}
		desc = "BEIR folder read from " + source
	case LayoutMTEB:
		t.mteb, err = planMTEB(fsys, root, firstNonEmpty(c.split, m.Split))
		if err != nil {
			return fail(err)
		}
		t.split = t.mteb.split
		for _, f := range t.mteb.files() {
			files = append(files, strings.TrimPrefix(strings.TrimPrefix(f, root), "/"))
		}
		desc = "MTEB retrieval folder (" + t.mteb.from + ") read from " + source
	}
	if layout != LayoutMIMO {
		// The files carry no language: meta.json's (or the card's) one
		// language, else "und".
		var from string
		t.lang, from = Undetermined, ""
		switch {
		case len(m.Languages) == 1:
			t.lang, from = m.Languages[0], MetaFile
		case len(m.Languages) == 0 && t.mteb != nil && len(t.mteb.languages) == 1:
			t.lang, from = t.mteb.languages[0], CardFile
		}
		if from == "" {
			desc += fmt.Sprintf("; its files name no language and %s names %s, so every query and document is tagged %q",
				MetaFile, map[bool]string{true: "none", false: "several"}[len(m.Languages) == 0], Undetermined)
		} else {
			desc += fmt.Sprintf("; language %q from %s", t.lang, from)
		}
		langs = []string{t.lang}
		desc += fmt.Sprintf(" (split %s)", t.split)
	}
	h := sha256.New()
	for _, name := range files {
		rc, _, err := openMaybeGz(fsys, path.Join(root, name))
		if err != nil {
			return fail(err)
		}
		if m.Revision == "" {
			_, err = io.Copy(h, rc)
		}
		rc.Close()
		if err != nil {
			return fail(fmt.Errorf("%s: %w", name, err))
		}
	}
	rev := m.Revision
	if rev == "" {
		rev = "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
	}
	t.meta = tasks.Metadata{
		Name:        firstNonEmpty(c.name, m.Name, base),
		Group:       firstNonEmpty(c.group, m.Group, "local"),
		Description: firstNonEmpty(m.Description, desc),
		Languages:   langs,
		MainScore:   firstNonEmpty(m.MainScore, mainScore),
		Source:      source,
		Revision:    rev,
		License:     m.License,
		Reference:   m.Reference,
	}
	return t, nil
}

// chooseSplit picks the split of a folder with several: the one asked for
// (it must exist), else "test" when present, else the only one.
func chooseSplit(have []string, want, where string) (string, error) {
	if len(have) == 0 {
		return "", fmt.Errorf("no qrels file (%s): %w", where, fs.ErrNotExist)
	}
	if want != "" {
		if !slices.Contains(have, want) {
			return "", fmt.Errorf("split %q: no such qrels file (%s has %s)", want, where, strings.Join(have, ", "))
		}
		return want, nil
	}
	if slices.Contains(have, "test") {
		return "test", nil
	}
	if len(have) == 1 {
		return have[0], nil
	}
	return "", fmt.Errorf("several splits (%s has %s) and none is \"test\": choose one with meta.json's \"split\" or WithSplit", where, strings.Join(have, ", "))
}

// splitFromFolder reads the authors' folder names, "XQuAD_test" -> "test".
func splitFromFolder(base string) string {
	i := strings.LastIndexByte(base, '_')
	if i < 0 {
		return ""
	}
	switch s := strings.ToLower(base[i+1:]); s {
	case "test", "dev", "validation", "train":
		return s
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Metadata implements tasks.Task.
func (t *Task) Metadata() tasks.Metadata { return t.meta }

// Load implements tasks.Task: it reads the folder and applies opts.Langs.
func (t *Task) Load(ctx context.Context, opts tasks.LoadOptions) ([]tasks.Dataset, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var d tasks.Dataset
	var err error
	switch t.layout {
	case LayoutBEIR:
		d, err = ReadBEIR(t.fsys, t.dir, ReadOptions{Split: t.split, Lang: t.lang})
	case LayoutMTEB:
		d, err = readMTEB(t.fsys, t.mteb, t.lang)
	default:
		d, err = Read(t.fsys, t.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", t.meta.Name, err)
	}
	d = FilterLangs(d, opts.Langs)
	d.Split = t.split
	return []tasks.Dataset{d}, nil
}

// Layout is the layout OpenFS found.
func (t *Task) Layout() Layout { return t.layout }

// Field names of the authors' layout (strict: any other key is an error).
var (
	mimoQueryFields = []string{"_id", "text", "lang", "group"}
	mimoDocFields   = []string{"text", "title", "lang", "group"}
)

// Read reads the three files of the folder dir of fsys in the MIMO
// authors' layout into one Dataset (Subset "default", Split "test";
// queries and corpus in file order). ReadBEIR and ReadMTEB read the other
// layouts.
func Read(fsys fs.FS, dir string) (tasks.Dataset, error) {
	r := &authorsReader{
		d:        tasks.Dataset{Subset: "default", Split: "test", Skipped: map[string]int{}},
		queryIdx: map[string]int{},
		docIdx:   map[string]int{},
	}
	if err := readLines(fsys, path.Join(dir, QueriesFile), r.queryLine); err != nil {
		return r.d, err
	}
	if err := readLines(fsys, path.Join(dir, CorpusFile), r.corpusLine); err != nil {
		return r.d, err
	}
	r.d.Qrels = tasks.Qrels{}
	if err := readLines(fsys, path.Join(dir, QrelsFile), r.qrelsLine); err != nil {
		return r.d, err
	}
	parallelGroups(&r.d)
	d := dropUnjudged(r.d)
	d.Languages = languagesOf(d)
	return d, nil
}

// authorsReader accumulates a folder in the authors' layout, line by line
// (Read): queries, then documents, then qrels checked against both.
type authorsReader struct {
	d        tasks.Dataset
	queryIdx map[string]int // query id -> index in d.Queries
	docIdx   map[string]int // doc id -> index in d.Corpus
}

// queryLine reads one line of queries.jsonl.
func (r *authorsReader) queryLine(loc string, line []byte) error {
	m, err := object(line, mimoQueryFields...)
	if err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	id, err := idOf(m["_id"])
	if err != nil {
		return fmt.Errorf("%s: field \"_id\": %w", loc, err)
	}
	q := tasks.Query{ID: id}
	var fields [3]string
	for i, k := range []string{"text", "lang", "group"} {
		if fields[i], _, err = strField(m, k); err != nil {
			return fmt.Errorf("%s: query %q: %w", loc, id, err)
		}
	}
	q.Text, q.Lang, q.Group = fields[0], fields[1], fields[2]
	if err := checkText(q.ID, q.Text, q.Lang); err != nil {
		return fmt.Errorf("%s: query %q: %w", loc, q.ID, err)
	}
	if j, dup := r.queryIdx[q.ID]; dup {
		return fmt.Errorf("%s: query %q: duplicate id (first at query %d)", loc, q.ID, j+1)
	}
	if q.Group == "" {
		q.Group = groupOf(q.ID, q.Lang)
	}
	r.queryIdx[q.ID] = len(r.d.Queries)
	r.d.Queries = append(r.d.Queries, q)
	return nil
}

// corpusLine reads one line of corpus.jsonl: one document, usually;
// several are kept in order.
func (r *authorsReader) corpusLine(loc string, line []byte) error {
	if err := strictjson.Check(line); err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	return members(line, loc, func(key string, val []byte) error {
		return r.addDoc(loc, key, val)
	})
}

func (r *authorsReader) addDoc(loc, key string, val []byte) error {
	m, err := strictjson.Members(val, mimoDocFields...)
	if err != nil {
		return fmt.Errorf("%s: doc %q: %w", loc, key, err)
	}
	var fields [4]string
	for i, k := range []string{"text", "title", "lang", "group"} {
		if fields[i], _, err = strField(m, k); err != nil {
			return fmt.Errorf("%s: doc %q: %w", loc, key, err)
		}
	}
	doc := tasks.Doc{ID: key, Text: docText(fields[1], fields[0]), Lang: fields[2], Group: fields[3]}
	if err := checkText(doc.ID, doc.Text, doc.Lang); err != nil {
		return fmt.Errorf("%s: doc %q: %w", loc, key, err)
	}
	if _, dup := r.docIdx[key]; dup {
		return fmt.Errorf("%s: doc %q: duplicate id", loc, key)
	}
	if doc.Group == "" {
		doc.Group = groupOf(doc.ID, doc.Lang)
	}
	r.docIdx[key] = len(r.d.Corpus)
	r.d.Corpus = append(r.d.Corpus, doc)
	return nil
}

// qrelsLine reads one line of qrels.jsonl, {qid: {docid: rel, ...}, ...}.
func (r *authorsReader) qrelsLine(loc string, line []byte) error {
	// Before the map below: a repeated key would keep only its last
	// value (a query's judgments silently dropped).
	if err := strictjson.Check(line); err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	return members(line, loc, func(qid string, val []byte) error {
		if _, ok := r.queryIdx[qid]; !ok {
			return fmt.Errorf("%s: qrels name unknown query %q (not in %s)", loc, qid, QueriesFile)
		}
		return members(val, fmt.Sprintf("%s: query %q", loc, qid), func(did string, rv []byte) error {
			return r.addQrel(loc, qid, did, rv)
		})
	})
}

func (r *authorsReader) addQrel(loc, qid, did string, rv []byte) error {
	if _, ok := r.docIdx[did]; !ok {
		return fmt.Errorf("%s: query %q: qrels name unknown doc %q (not in %s)", loc, qid, did, CorpusFile)
	}
	rel, err := relOf(rv)
	if err != nil {
		return fmt.Errorf("%s: query %q doc %q: %w", loc, qid, did, err)
	}
	m := r.d.Qrels[qid]
	if m == nil {
		m = map[string]int{}
		r.d.Qrels[qid] = m
	}
	if _, dup := m[did]; dup {
		return fmt.Errorf("%s: query %q doc %q: duplicate qrels entry", loc, qid, did)
	}
	m[did] = rel
	return nil
}

// FilterLangs keeps the queries and documents in langs (all when langs is
// empty): tasks.FilterLangs, the one language filter, with queries left
// without a relevant document counted under SkipNoRelevant; Languages is
// recomputed.
func FilterLangs(d tasks.Dataset, langs []string) tasks.Dataset {
	if len(langs) == 0 {
		return d
	}
	out := tasks.FilterLangs(d, langs, SkipNoRelevant)
	out.Languages = languagesOf(out)
	return out
}

// dropUnjudged removes queries with no document of relevance >= 1.
func dropUnjudged(d tasks.Dataset) tasks.Dataset {
	kept := d.Queries[:0:0]
	for _, q := range d.Queries {
		pos := false
		for _, rel := range d.Qrels[q.ID] {
			if rel >= 1 {
				pos = true
				break
			}
		}
		if pos {
			kept = append(kept, q)
			continue
		}
		d.Skipped[SkipNoRelevant]++
		delete(d.Qrels, q.ID)
	}
	d.Queries = kept
	return d
}

// languagesOf lists the MTEB-style tags of the languages of d, sorted.
func languagesOf(d tasks.Dataset) []string {
	seen := map[string]bool{}
	for _, q := range d.Queries {
		seen[q.Lang] = true
	}
	for _, doc := range d.Corpus {
		seen[doc.Lang] = true
	}
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, MTEBLanguage(l))
	}
	sort.Strings(out)
	return out
}

// MTEBLanguage returns the MTEB language tag of a paper code ("de" ->
// "deu-Latn", "zh" -> "zho-Hans"); codes it does not know are returned as
// given. The table is package lang's.
func MTEBLanguage(code string) string { return lang.MTEBTag(code) }

// groupOf returns the parallel group an id implies: "{lang}_{rest}" -> rest.
func groupOf(id, lang string) string {
	if rest, ok := strings.CutPrefix(id, lang+"_"); ok && rest != "" {
		return rest
	}
	return ""
}

func checkText(id, text, lang string) error {
	if id == "" {
		return errors.New("empty id")
	}
	if strings.TrimSpace(text) == "" {
		return errors.New("empty or missing \"text\"")
	}
	if lang == "" {
		return errors.New("missing \"lang\"")
	}
	return nil
}

// idOf accepts a JSON string or number id (BEIR files have both).
func idOf(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New("missing")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		if s == "" {
			return "", errors.New("empty")
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("want a string or number, got %s", raw)
	}
	return n.String(), nil
}

// relOf reads a relevance grade: an integer (a float with no fraction is
// accepted, as trec_eval reads "1.0" as 1).
func relOf(raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	var n json.Number
	if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
		return 0, fmt.Errorf("relevance must be a number, got %s", raw)
	}
	if i, err := strconv.Atoi(n.String()); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil || f != float64(int(f)) {
		return 0, fmt.Errorf("relevance must be an integer, got %s", n)
	}
	return int(f), nil
}

// members calls fn for each member of the JSON object b (which passed
// strictjson.Check), in order; a value that is not an object, or an empty
// one, is an error prefixed with loc.
func members(b []byte, loc string, fn func(key string, val []byte) error) error {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%s: %w", loc, strictjson.EachMember(b, nil))
	}
	n := 0
	err := strictjson.EachMember(b, func(key string, val []byte) error {
		n++
		return fn(key, val)
	})
	if err == nil && n == 0 {
		return fmt.Errorf("%s: empty object", loc)
	}
	return err
}

// openMaybeGz opens name, or name.gz when name is absent.
func openMaybeGz(fsys fs.FS, name string) (io.ReadCloser, string, error) {
	f, err := fsys.Open(name)
	if err == nil {
		return f, name, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, name, err
	}
	gzName := name + ".gz"
	g, gerr := fsys.Open(gzName)
	if gerr != nil {
		if errors.Is(gerr, fs.ErrNotExist) {
			return nil, name, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		return nil, gzName, gerr
	}
	zr, err := gzip.NewReader(bufio.NewReader(g))
	if err != nil {
		g.Close()
		return nil, gzName, fmt.Errorf("%s: %w", gzName, err)
	}
	return gzReadCloser{zr, g}, gzName, nil
}

type gzReadCloser struct {
	*gzip.Reader
	f io.Closer
}

func (g gzReadCloser) Close() error {
	err := g.Reader.Close()
	if cerr := g.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readLines calls fn for every non-blank line of the file, with "file:line"
// as its location.
func readLines(fsys fs.FS, name string, fn func(loc string, line []byte) error) error {
	rc, shown, err := openMaybeGz(fsys, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	lr := lines.NewReader(rc, shown, maxLine)
	for lr.Scan() {
		n := lr.Line()
		line := lr.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // UTF-8 BOM
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(fmt.Sprintf("%s:%d", shown, n), line); err != nil {
			return err
		}
	}
	return lr.Err()
}
