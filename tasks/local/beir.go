package local

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mimo-mlir/mimo/internal/lines"
	"github.com/mimo-mlir/mimo/internal/strictjson"
	"github.com/mimo-mlir/mimo/tasks"
)

// BEIR's layout (beir-cellar/beir, beir/datasets/data_loader.py,
// GenericDataLoader):
//
//	corpus.jsonl        {"_id": "4983", "title": "...", "text": "...", "metadata": {}}
//	queries.jsonl       {"_id": "1", "text": "...", "metadata": {}}
//	qrels/{split}.tsv   query-id<TAB>corpus-id<TAB>score, after one header line
const (
	BEIRQrelsDir = "qrels"
	// BEIRQrelsHeader is the header line BEIR's files carry.
	BEIRQrelsHeader = "query-id\tcorpus-id\tscore"
)

// Field names of BEIR's JSON lines; "metadata" is read and ignored, as
// BEIR and MTEB ignore it.
var (
	beirDocFields   = []string{"_id", "title", "text", "metadata"}
	beirQueryFields = []string{"_id", "text", "metadata"}
)

// Skipped reasons (Dataset.Skipped) of the BEIR and MTEB layouts. These two
// count rows that are kept, as MTEB keeps them, so the scores are MTEB's.
const (
	// NoteUnknownDoc counts qrels rows naming a document the corpus lacks
	// (ArguAna has five, embeddings-benchmark/mteb issue 5021): an
	// unreachable relevant document, which counts against recall and nDCG
	// in MTEB too, as MTEB does not filter them.
	NoteUnknownDoc = "qrels entries naming a document not in the corpus (kept, as MTEB keeps them)"
	// NoteEmptyDoc counts documents whose title and text are both empty.
	NoteEmptyDoc = "documents with empty text (kept, as MTEB keeps them)"
	// SkipUnknownQuery counts qrels rows of the MTEB layout naming a query
	// the queries lack; MTEB never runs such a query, so it is dropped.
	SkipUnknownQuery = "qrels entries naming a query not in the queries (dropped, as MTEB never runs them)"
)

// ReadOptions says how to read a folder whose files carry no language and
// may hold several splits (the BEIR and MTEB layouts).
type ReadOptions struct {
	// Split is the qrels split to read ("" means "test").
	Split string
	// Lang is the language tag of every query and document ("" means
	// "und", undetermined).
	Lang string
}

func (o ReadOptions) split() string { return firstNonEmpty(o.Split, "test") }
func (o ReadOptions) lang() string  { return firstNonEmpty(o.Lang, Undetermined) }

// Undetermined is the language tag (BCP 47 / ISO 639-2 "und") given to the
// queries and documents of a folder whose language is not known.
const Undetermined = "und"

// ReadBEIR reads the BEIR folder dir of fsys as BEIR's GenericDataLoader
// does, with o.Split's qrels file, into one Dataset (Subset "default").
//
// It is stricter than BEIR where BEIR would silently change the data: a
// repeated key in a JSON line, an unknown field, invalid UTF-8, a repeated
// id, a repeated (query, document) row in the qrels (BEIR keeps the last),
// a first qrels line that is not a header (BEIR skips it unread) and a
// qrels row naming a query the queries lack (BEIR fails with KeyError)
// are errors naming file, line and key. Lenient where MTEB is: a relevant
// document missing from the corpus is kept (NoteUnknownDoc), a document of
// empty text too (NoteEmptyDoc); queries without a relevant document are
// dropped (SkipNoRelevant), as BEIR keeps only the queries of the qrels.
// corpus.jsonl and queries.jsonl may be gzipped (NAME.jsonl.gz).
func ReadBEIR(fsys fs.FS, dir string, o ReadOptions) (tasks.Dataset, error) {
	lang := o.lang()
	d := tasks.Dataset{Subset: "default", Split: o.split(), Skipped: map[string]int{}, Qrels: tasks.Qrels{}}
	queryIdx := map[string]int{}
	docIdx := map[string]int{}

	err := readLines(fsys, path.Join(dir, CorpusFile), func(loc string, line []byte) error {
		m, err := object(line, beirDocFields...)
		if err != nil {
			return fmt.Errorf("%s: %w", loc, err)
		}
		doc, err := corpusRow(jsonRecord(m), lang)
		if err != nil {
			return fmt.Errorf("%s: %w", loc, err)
		}
		return addCorpusDoc(&d, docIdx, doc, loc)
	})
	if err != nil {
		return d, err
	}
	err = readLines(fsys, path.Join(dir, QueriesFile), func(loc string, line []byte) error {
		m, err := object(line, beirQueryFields...)
		if err != nil {
			return fmt.Errorf("%s: %w", loc, err)
		}
		q, err := queryRow(jsonRecord(m), lang)
		if err != nil {
			return fmt.Errorf("%s: %w", loc, err)
		}
		return addQuery(&d, queryIdx, q, loc)
	})
	if err != nil {
		return d, err
	}
	qrels := path.Join(dir, BEIRQrelsDir, d.Split+".tsv")
	seen := map[[2]string]string{}
	err = readTSVQrels(fsys, qrels, false, func(loc string, qid, did string, score int) error {
		if _, ok := queryIdx[qid]; !ok {
			return fmt.Errorf("%s: qrels name unknown query %q (not in %s)", loc, qid, QueriesFile)
		}
		return addJudgement(&d, docIdx, seen, loc, qid, did, score)
	})
	if err != nil {
		return d, err
	}
	d = dropUnjudged(d)
	d.Languages = languagesOf(d)
	return d, nil
}

// corpusRow reads a BEIR/MTEB corpus row: id "_id" (or "id" in MTEB's
// newer files), "text" required, "title" optional.
func corpusRow(m record, lang string) (tasks.Doc, error) {
	id, err := rowID(m)
	if err != nil {
		return tasks.Doc{}, err
	}
	text, ok, err := m.str("text")
	if err != nil {
		return tasks.Doc{}, fmt.Errorf("doc %q: %w", id, err)
	}
	if !ok {
		return tasks.Doc{}, fmt.Errorf("doc %q: %s: missing", id, m.label("text"))
	}
	title, _, err := m.str("title")
	if err != nil {
		return tasks.Doc{}, fmt.Errorf("doc %q: %w", id, err)
	}
	return tasks.Doc{ID: id, Text: docText(title, text), Lang: lang}, nil
}

// queryRow reads a BEIR/MTEB query row: id and a non-empty "text".
func queryRow(m record, lang string) (tasks.Query, error) {
	id, err := rowID(m)
	if err != nil {
		return tasks.Query{}, err
	}
	text, _, err := m.str("text")
	if err != nil {
		return tasks.Query{}, fmt.Errorf("query %q: %w", id, err)
	}
	if strings.TrimSpace(text) == "" {
		return tasks.Query{}, fmt.Errorf("query %q: empty or missing \"text\"", id)
	}
	return tasks.Query{ID: id, Text: text, Lang: lang}, nil
}

// rowID reads "_id", or "id" (MTEB renames "_id" to "id"; both at once is
// an error, as MTEB's rename would fail).
func rowID(m record) (string, error) {
	under, plain := m.has("_id"), m.has("id")
	key := "_id"
	switch {
	case under && plain:
		return "", fmt.Errorf("%s and %s: both present, want one", m.label("_id"), m.label("id"))
	case plain:
		key = "id"
	case !under:
		return "", fmt.Errorf("%s: missing", m.label("_id"))
	}
	return m.id(key)
}

// addCorpusDoc appends doc, refusing a repeated id.
func addCorpusDoc(d *tasks.Dataset, idx map[string]int, doc tasks.Doc, loc string) error {
	if j, dup := idx[doc.ID]; dup {
		return fmt.Errorf("%s: doc %q: duplicate id (first at doc %d)", loc, doc.ID, j+1)
	}
	if doc.Text == "" {
		d.Skipped[NoteEmptyDoc]++
	}
	idx[doc.ID] = len(d.Corpus)
	d.Corpus = append(d.Corpus, doc)
	return nil
}

// addQuery appends q, refusing a repeated id.
func addQuery(d *tasks.Dataset, idx map[string]int, q tasks.Query, loc string) error {
	if j, dup := idx[q.ID]; dup {
		return fmt.Errorf("%s: query %q: duplicate id (first at query %d)", loc, q.ID, j+1)
	}
	idx[q.ID] = len(d.Queries)
	d.Queries = append(d.Queries, q)
	return nil
}

// addJudgement records one qrels row, refusing a repeated (query, doc)
// pair; seen maps the pair to where it was first read.
func addJudgement(d *tasks.Dataset, docIdx map[string]int, seen map[[2]string]string, loc, qid, did string, score int) error {
	k := [2]string{qid, did}
	if first, dup := seen[k]; dup {
		return fmt.Errorf("%s: query %q doc %q: duplicate qrels row (first at %s)", loc, qid, did, first)
	}
	seen[k] = loc
	if _, ok := docIdx[did]; !ok {
		d.Skipped[NoteUnknownDoc]++
	}
	m := d.Qrels[qid]
	if m == nil {
		m = map[string]int{}
		d.Qrels[qid] = m
	}
	m[did] = score
	return nil
}

// readTSVQrels reads a BEIR qrels file: a header line, then rows of
// query-id, corpus-id and an integer score separated by tabs. fn gets the
// location "file:line" and the row.
//
// BEIR reads it with Python's csv module (delimiter tab, minimal quoting)
// and skips the first line unread; here the first line must be a header
// (three fields, the third not an integer), so a file without one is an
// error instead of a silently lost judgement; with exactHeader (a TSV of
// the MTEB layout, whose header names the columns) it must be
// BEIRQrelsHeader itself. A field in double quotes is
// unquoted as csv does ("" inside stands for one quote). A row of another
// field count, a blank line and a score that Python's int() refuses are
// errors, as they are in BEIR.
func readTSVQrels(fsys fs.FS, name string, exactHeader bool, fn func(loc, qid, did string, score int) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	lr := lines.NewReader(f, name, maxLine)
	for lr.Scan() {
		n := lr.Line()
		line := string(lr.Bytes())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		loc := fmt.Sprintf("%s:%d", name, n)
		if !utf8.ValidString(line) {
			// BEIR opens the file as UTF-8 and would fail here.
			return fmt.Errorf("%s: %w: %s", loc, strictjson.ErrInvalidUTF8, badByte(line))
		}
		fields, err := tsvFields(line)
		if err != nil {
			return fmt.Errorf("%s: %w", loc, err)
		}
		if n == 1 {
			if len(fields) != 3 || isInt(fields[2]) || exactHeader && strings.Join(fields, "\t") != BEIRQrelsHeader {
				return fmt.Errorf("%s: want the header line %q (BEIR skips the first line unread), got %q", loc, BEIRQrelsHeader, clip([]byte(line)))
			}
			continue
		}
		if len(fields) != 3 {
			return fmt.Errorf("%s: want 3 tab-separated fields (query-id, corpus-id, score), got %d", loc, len(fields))
		}
		score, err := pyInt(fields[2])
		if err != nil {
			return fmt.Errorf("%s: query %q doc %q: score: %w", loc, fields[0], fields[1], err)
		}
		if fields[0] == "" || fields[1] == "" {
			return fmt.Errorf("%s: empty query-id or corpus-id", loc)
		}
		if err := fn(loc, fields[0], fields[1], score); err != nil {
			return err
		}
	}
	if err := lr.Err(); err != nil {
		return err
	}
	return nil
}

// tsvFields splits a line on tabs, unquoting "..." fields as Python's csv
// reader does with minimal quoting.
func tsvFields(line string) ([]string, error) {
	if line == "" {
		return nil, fmt.Errorf("blank line")
	}
	parts := strings.Split(line, "\t")
	for i, p := range parts {
		if !strings.HasPrefix(p, `"`) {
			continue
		}
		if len(p) < 2 || !strings.HasSuffix(p, `"`) || strings.Contains(strings.ReplaceAll(p[1:len(p)-1], `""`, ""), `"`) {
			return nil, fmt.Errorf("field %d: unbalanced double quotes in %q (a quoted field may not hold a tab or a line break here)", i+1, clip([]byte(p)))
		}
		parts[i] = strings.ReplaceAll(p[1:len(p)-1], `""`, `"`)
	}
	return parts, nil
}

// pyInt parses what Python's int() accepts for the scores: an optionally
// signed decimal integer with surrounding white space ("1.0" is refused,
// as int("1.0") raises).
func pyInt(s string) (int, error) {
	t := pyStrip(s)
	n, err := strconv.Atoi(strings.TrimPrefix(t, "+"))
	if err != nil || strings.HasPrefix(t, "+-") || strings.HasPrefix(t, "+") && len(t) == 1 {
		return 0, fmt.Errorf("want an integer, got %q", s)
	}
	return n, nil
}

// badByte describes the first byte of s that is not UTF-8.
func badByte(s string) string {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Sprintf("byte %#02x at byte %d of the line", s[i], i)
		}
		i += n
	}
	return "not UTF-8"
}

func isInt(s string) bool {
	_, err := pyInt(s)
	return err == nil
}

// qrelsSplits lists the splits of a BEIR folder: the names of the .tsv
// files under qrels/, sorted.
func qrelsSplits(fsys fs.FS, dir string) ([]string, error) {
	ents, err := fs.ReadDir(fsys, path.Join(dir, BEIRQrelsDir))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".tsv") && len(n) > len(".tsv") {
			out = append(out, strings.TrimSuffix(n, ".tsv"))
		}
	}
	sort.Strings(out)
	return out, nil
}
