package local

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/parquet-go/parquet-go"

	"github.com/mimo-mlir/mimo/internal/strictjson"
	"github.com/mimo-mlir/mimo/tasks"
)

// openLoad opens and loads a folder, returning the first error.
func openLoad(fsys fs.FS, opts ...Option) (tasks.Dataset, error) {
	task, err := OpenFS(fsys, ".", "fixture", opts...)
	if err != nil {
		return tasks.Dataset{}, err
	}
	ds, err := task.Load(context.Background(), tasks.LoadOptions{})
	if err != nil {
		return tasks.Dataset{}, err
	}
	return ds[0], nil
}

// replaceLine returns data with its 1-based line n replaced.
func replaceLine(data []byte, n int, line string) []byte {
	ls := strings.Split(string(data), "\n")
	ls[n-1] = line
	return []byte(strings.Join(ls, "\n"))
}

func parquetBytes[R any](t *testing.T, rows []R) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStrictBEIRAndMTEB: each way a BEIR or MTEB folder can silently
// change the data is an error naming the file, the line (or row) and the
// key. Before strictjson, encoding/json kept the last of two keys, took
// "Text" for "text", ignored unknown fields and replaced bad UTF-8.
func TestStrictBEIRAndMTEB(t *testing.T) {
	type extraDoc struct {
		ID    string `parquet:"id,optional"`
		Title string `parquet:"title,optional"`
		Text  string `parquet:"text,optional"`
		URL   string `parquet:"url,optional"`
	}
	type plainDoc struct {
		ID    string `parquet:"id,optional"`
		Title string `parquet:"title,optional"`
		Text  string `parquet:"text,optional"`
	}
	type floatQrel struct {
		QueryID  string  `parquet:"query-id,optional"`
		CorpusID string  `parquet:"corpus-id,optional"`
		Score    float64 `parquet:"score,optional"`
	}
	const (
		beir = "testdata/beir/scifact-mini"
		nf   = "testdata/mteb/nfcorpus-mini"
		gn   = "testdata/mteb/greennode-mini"
	)
	tests := []struct {
		name string
		dir  string
		edit func(t *testing.T, m fstest.MapFS)
		want string
		kind error // errors.Is, when set
	}{
		// BEIR JSON lines.
		{"BEIR corpus duplicate key", beir, line(CorpusFile, 2, `{"_id": "5836", "title": "", "text": "a", "text": "b", "metadata": {}}`),
			`corpus.jsonl:2: key "text": duplicate key`, strictjson.ErrDuplicateKey},
		{"BEIR corpus unknown field", beir, line(CorpusFile, 1, `{"_id": "4983", "title": "T", "text": "x", "url": "u"}`),
			`corpus.jsonl:1: key "url": unknown field: known: _id, title, text, metadata`, strictjson.ErrUnknownField},
		{"BEIR corpus field in another case", beir, line(CorpusFile, 1, `{"_id": "4983", "title": "T", "Text": "x"}`),
			`corpus.jsonl:1: key "Text": unknown field`, strictjson.ErrUnknownField},
		{"BEIR corpus invalid UTF-8", beir, line(CorpusFile, 3, "{\"_id\": \"7912\", \"title\": \"Caf\xe9\", \"text\": \"x\"}"),
			`corpus.jsonl:3: key "title": invalid UTF-8: byte 0xe9`, strictjson.ErrInvalidUTF8},
		{"BEIR corpus duplicate id", beir, line(CorpusFile, 3, `{"_id": "4983", "title": "", "text": "again"}`),
			`corpus.jsonl:3: doc "4983": duplicate id (first at doc 1)`, nil},
		{"BEIR corpus missing text", beir, line(CorpusFile, 2, `{"_id": "5836", "title": "T"}`),
			`corpus.jsonl:2: doc "5836": key "text": missing`, nil},
		{"BEIR corpus text not a string", beir, line(CorpusFile, 2, `{"_id": "5836", "text": ["a"]}`),
			`corpus.jsonl:2: doc "5836": key "text": want a string, got ["a"]`, nil},
		{"BEIR corpus missing id", beir, line(CorpusFile, 2, `{"title": "", "text": "x"}`),
			`corpus.jsonl:2: key "_id": missing`, nil},
		{"BEIR queries duplicate key", beir, line(QueriesFile, 1, `{"_id": "1", "_id": "2", "text": "x"}`),
			`queries.jsonl:1: key "_id": duplicate key`, strictjson.ErrDuplicateKey},
		{"BEIR queries unknown field", beir, line(QueriesFile, 2, `{"_id": "3", "text": "x", "title": "t"}`),
			`queries.jsonl:2: key "title": unknown field: known: _id, text, metadata`, strictjson.ErrUnknownField},
		{"BEIR queries lone surrogate", beir, line(QueriesFile, 2, `{"_id": "3", "text": "x\ud800"}`),
			`queries.jsonl:2: key "text": invalid UTF-8: lone surrogate escape \ud800`, strictjson.ErrInvalidUTF8},
		{"BEIR queries empty text", beir, line(QueriesFile, 2, `{"_id": "3", "text": " "}`),
			`queries.jsonl:2: query "3": empty or missing "text"`, nil},
		{"BEIR queries duplicate id", beir, line(QueriesFile, 4, `{"_id": "1", "text": "again"}`),
			`queries.jsonl:4: query "1": duplicate id (first at query 1)`, nil},
		{"BEIR queries nested duplicate", beir, line(QueriesFile, 2, `{"_id": "3", "text": "x", "metadata": {"a": 1, "a": 2}}`),
			`queries.jsonl:2: key "metadata"."a": duplicate key`, strictjson.ErrDuplicateKey},
		// BEIR TSV qrels.
		{"BEIR qrels duplicate row", beir, line("qrels/test.tsv", 4, "1\t4983\t0\r"),
			`qrels/test.tsv:4: query "1" doc "4983": duplicate qrels row (first at qrels/test.tsv:2)`, nil},
		{"BEIR qrels without header", beir, line("qrels/test.tsv", 1, "1\t4983\t1\r"),
			`qrels/test.tsv:1: want the header line "query-id\tcorpus-id\tscore" (BEIR skips the first line unread)`, nil},
		{"BEIR qrels unknown query", beir, line("qrels/test.tsv", 2, "99\t4983\t1\r"),
			`qrels/test.tsv:2: qrels name unknown query "99" (not in queries.jsonl)`, nil},
		{"BEIR qrels float score", beir, line("qrels/test.tsv", 2, "1\t4983\t1.0\r"),
			`qrels/test.tsv:2: query "1" doc "4983": score: want an integer, got "1.0"`, nil},
		{"BEIR qrels two fields", beir, line("qrels/test.tsv", 3, "3 5836 1\r"),
			`qrels/test.tsv:3: want 3 tab-separated fields (query-id, corpus-id, score), got 1`, nil},
		{"BEIR qrels invalid UTF-8", beir, line("qrels/test.tsv", 3, "3\t58\xff36\t1\r"),
			`qrels/test.tsv:3: invalid UTF-8: byte 0xff at byte 4 of the line`, strictjson.ErrInvalidUTF8},
		{"BEIR qrels blank line", beir, line("qrels/test.tsv", 3, "\r"),
			`qrels/test.tsv:3: blank line`, nil},
		// MTEB JSON lines.
		{"MTEB qrels duplicate key", nf, line("qrels/test.jsonl", 1, `{"query-id": "PLAIN-2", "corpus-id": "MED-10", "score": 2.0, "score": 0.0}`),
			`qrels/test.jsonl:1: key "score": duplicate key`, strictjson.ErrDuplicateKey},
		{"MTEB qrels unknown field", nf, line("qrels/test.jsonl", 2, `{"query-id": "PLAIN-2", "corpus-id": "MED-14", "score": 1.0, "iteration": "0"}`),
			`qrels/test.jsonl:2: key "iteration": unknown field: known: query-id, corpus-id, score`, strictjson.ErrUnknownField},
		{"MTEB qrels duplicate row", nf, line("qrels/test.jsonl", 2, `{"query-id": "PLAIN-2", "corpus-id": "MED-10", "score": 1.0}`),
			`qrels/test.jsonl:2: query "PLAIN-2" doc "MED-10": duplicate qrels row (first at qrels/test.jsonl:1)`, nil},
		{"MTEB qrels fractional score", nf, line("qrels/test.jsonl", 2, `{"query-id": "PLAIN-2", "corpus-id": "MED-14", "score": 0.5}`),
			`qrels/test.jsonl:2: query "PLAIN-2" doc "MED-14": key "score": relevance must be an integer, got 0.5`, nil},
		{"MTEB corpus invalid UTF-8", nf, line(CorpusFile, 2, "{\"_id\": \"MED-14\", \"title\": \"Fibre\", \"text\": \"\xc3(\"}"),
			`corpus.jsonl:2: key "text": invalid UTF-8`, strictjson.ErrInvalidUTF8},
		{"MTEB corpus both ids", nf, line(CorpusFile, 2, `{"_id": "MED-14", "id": "MED-14", "text": "x"}`),
			`corpus.jsonl:2: key "_id" and key "id": both present, want one`, nil},
		{"MTEB queries unknown field", nf, line(QueriesFile, 1, `{"_id": "PLAIN-2", "text": "x", "instruction": "y"}`),
			`queries.jsonl:1: key "instruction": unknown field`, strictjson.ErrUnknownField},
		// MTEB card.
		{"MTEB card without qrels config", nf, func(t *testing.T, m fstest.MapFS) {
			m[CardFile] = &fstest.MapFile{Data: bytes.Replace(m[CardFile].Data, []byte("- config_name: default\n  data_files:"), []byte("- config_name: relevance\n  data_files:"), 1)}
		}, `README.md: no config default or qrels among relevance, corpus, queries`, nil},
		{"MTEB card file missing", nf, func(t *testing.T, m fstest.MapFS) { delete(m, CorpusFile) },
			`README.md configs: corpus split "corpus": no file matches corpus.jsonl`, fs.ErrNotExist},
		{"MTEB card duplicate YAML key", nf, func(t *testing.T, m fstest.MapFS) {
			m[CardFile] = &fstest.MapFile{Data: bytes.Replace(m[CardFile].Data, []byte("configs:\n"), []byte("configs:\n- config_name: x\n  config_name: y\n  data_files: x.jsonl\n"), 1)}
		}, `README.md: YAML front matter: yaml: unmarshal errors:`, nil},
		{"MTEB card subsets", nf, func(t *testing.T, m fstest.MapFS) {
			m[CardFile] = &fstest.MapFile{Data: []byte("---\nconfigs:\n- config_name: en-corpus\n  data_files: corpus.jsonl\n---\n")}
		}, `README.md: no "corpus" config, but subsets en have one: MTEB datasets with several subsets are not read as local folders yet`, nil},
		// MTEB Parquet.
		{"MTEB parquet unknown column", gn, func(t *testing.T, m fstest.MapFS) {
			m["corpus/test-00000-of-00001.parquet"] = &fstest.MapFile{Data: parquetBytes(t, []extraDoc{{"c1", "", "x", "https://example.org"}})}
		}, `corpus/test-00000-of-00001.parquet: row 0: column "url": unknown field (known: _id, id, title, text, metadata)`, nil},
		{"MTEB parquet invalid UTF-8", gn, func(t *testing.T, m fstest.MapFS) {
			m["corpus/test-00000-of-00001.parquet"] = &fstest.MapFile{Data: parquetBytes(t, []plainDoc{{"c1", "T", "ok"}, {"c2", "T", "bad \xff"}})}
		}, `corpus/test-00000-of-00001.parquet: row 1: doc "c2": column "text": invalid UTF-8`, strictjson.ErrInvalidUTF8},
		{"MTEB parquet fractional score", gn, func(t *testing.T, m fstest.MapFS) {
			delete(m, CardFile)
			delete(m, "qrels/test.jsonl")
			delete(m, "qrels/train.jsonl")
			m["qrels/test-00000-of-00001.parquet"] = &fstest.MapFile{Data: parquetBytes(t, []floatQrel{{"q1", "c1", 1}, {"q2", "c2", 0.5}})}
		}, `qrels/test-00000-of-00001.parquet: row 1: query "q2" doc "c2": column "score": want an integer, got 0.5`, nil},
		{"MTEB parquet duplicate row", gn, func(t *testing.T, m fstest.MapFS) {
			delete(m, CardFile)
			delete(m, "qrels/test.jsonl")
			delete(m, "qrels/train.jsonl")
			m["qrels/test-00000-of-00001.parquet"] = &fstest.MapFile{Data: parquetBytes(t, []floatQrel{{"q1", "c1", 1}, {"q1", "c1", 2}})}
		}, `qrels/test-00000-of-00001.parquet: row 1: query "q1" doc "c1": duplicate qrels row (first at qrels/test-00000-of-00001.parquet: row 0)`, nil},
		{"MTEB conventional two formats", gn, func(t *testing.T, m fstest.MapFS) { delete(m, CardFile) },
			`conventional folders: qrels split "test" is stored in several formats`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := treeFS(t, tt.dir)
			tt.edit(t, fsys)
			_, err := openLoad(fsys)
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("error %v does not match %v", err, tt.kind)
			}
		})
	}
}

// line returns an edit replacing line n of file.
func line(file string, n int, text string) func(*testing.T, fstest.MapFS) {
	return func(t *testing.T, m fstest.MapFS) {
		t.Helper()
		f, ok := m[file]
		if !ok {
			t.Fatalf("no file %s", file)
		}
		m[file] = &fstest.MapFile{Data: replaceLine(f.Data, n, text)}
	}
}
