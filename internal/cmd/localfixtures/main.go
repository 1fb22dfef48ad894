// Command localfixtures writes the BEIR and MTEB fixture folders of package
// local (tasks/local/testdata/beir, tasks/local/testdata/mteb) in their
// upstream layouts; testdata/README.md says where each layout comes from.
// Parquet is binary, so the fixtures are generated rather than
// hand-edited; run from the module root:
//
//	go run ./internal/cmd/localfixtures
//
// JSON lines are written as Python's json.dumps writes them (", " and ": "
// separators, ensure_ascii: every non-ASCII character as a lowercase
// \uXXXX escape, surrogate pairs above U+FFFF), TSV as Python's csv.writer
// does (CRLF line ends, BEIR's beir/generation/util.py write_to_tsv). The
// rows are synthetic; the expected Datasets (testdata/*.golden.json) are
// checked by hand against the tables below.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

var root = "tasks/local/testdata"

func main() {
	for _, d := range []string{"beir", "mteb"} {
		if err := os.RemoveAll(filepath.Join(root, d)); err != nil {
			log.Fatal(err)
		}
	}
	genBEIR()
	genNFCorpus()
	genGreenNode()
}

func write(path, data string) {
	p := filepath.Join(root, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		log.Fatal(err)
	}
}

func writeParquet[R any](path string, rows []R) {
	p := filepath.Join(root, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := parquet.WriteFile(p, rows); err != nil {
		log.Fatalf("%s: %v", p, err)
	}
}

// pyQuote is Python's json.dumps of a str with ensure_ascii=True.
func pyQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r >= 0x7f && r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// kv is one member of a JSON object; the value is raw JSON.
type kv struct{ k, v string }

func obj(m ...kv) string {
	parts := make([]string, len(m))
	for i, x := range m {
		parts[i] = pyQuote(x.k) + ": " + x.v
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func s(k, v string) kv   { return kv{k, pyQuote(v)} }
func raw(k, v string) kv { return kv{k, v} }

// genBEIR writes a folder as BEIR's zips hold them (scifact's shape):
// two splits, a relevant document missing from the corpus (as in BEIR's
// ArguAna), a document without a title and with padded text, non-ASCII
// text and an emoji as escapes, metadata of several shapes.
func genBEIR() {
	dir := "beir/scifact-mini/"
	docs := []string{
		obj(s("_id", "4983"), s("title", "Microglia in the developing brain"), s("text", "Microglia are the resident immune cells of the brain."), raw("metadata", "{}")),
		obj(s("_id", "5836"), s("title", ""), s("text", "  Red blood cells carry oxygen from the lungs.\n"), raw("metadata", "{}")),
		obj(s("_id", "7912"), s("title", "Café culture"), s("text", "Coffee houses spread across Europe 😀."), raw("metadata", obj(s("url", "https://example.org/cafe")))),
		obj(s("_id", "18670"), s("title", "Insulin"), s("text", "Insulin lowers blood glucose."), raw("metadata", "{}")),
		obj(s("_id", "19238"), s("title", "Vitamin D"), s("text", "Vitamin D is made in the skin under sunlight."), raw("metadata", "{}")),
	}
	write(dir+"corpus.jsonl", strings.Join(docs, "\n")+"\n")
	queries := []string{
		obj(s("_id", "1"), s("text", "Microglia are immune cells of the brain."), raw("metadata", "{}")),
		obj(s("_id", "3"), s("text", "Red blood cells carry oxygen."), raw("metadata", "{}")),
		obj(s("_id", "5"), s("text", "Insulin raises blood glucose."), raw("metadata", "{}")),
		obj(s("_id", "13"), s("text", "Sunlight helps the skin make vitamin D."), raw("metadata", "{}")),
		obj(s("_id", "36"), s("text", "Where did coffee houses spread?"), raw("metadata", "{}")),
	}
	write(dir+"queries.jsonl", strings.Join(queries, "\n")+"\n")
	// csv.writer's default line terminator is "\r\n".
	write(dir+"qrels/test.tsv", strings.Join([]string{
		"query-id\tcorpus-id\tscore", "1\t4983\t1", "3\t5836\t1", "5\t18670\t1", "5\t31715818\t1", "36\t7912\t2", "36\t5836\t0",
	}, "\r\n")+"\r\n")
	write(dir+"qrels/train.tsv", "query-id\tcorpus-id\tscore\r\n13\t19238\t1\r\n")
}

// nfcorpusCard is the YAML front matter of mteb/nfcorpus's dataset card,
// byte for byte; the body is replaced by one line.
const nfcorpusCard = `---
language:
- eng
multilinguality: monolingual
task_categories:
- text-retrieval
task_ids: []
config_names:
- corpus
tags:
- mteb
- text
dataset_info:
- config_name: default
  features:
  - name: query-id
    dtype: string
  - name: corpus-id
    dtype: string
  - name: score
    dtype: float64
  splits:
  - name: train
    num_bytes: 3720942
    num_examples: 110575
  - name: dev
    num_bytes: 383427
    num_examples: 11385
  - name: test
    num_bytes: 415220
    num_examples: 12334
- config_name: corpus
  features:
  - name: _id
    dtype: string
  - name: title
    dtype: string
  - name: text
    dtype: string
  splits:
  - name: corpus
    num_bytes: 5856698
    num_examples: 3633
- config_name: queries
  features:
  - name: _id
    dtype: string
  - name: text
    dtype: string
  splits:
  - name: queries
    num_bytes: 128355
    num_examples: 3237
configs:
- config_name: default
  data_files:
  - split: train
    path: qrels/train.jsonl
  - split: dev
    path: qrels/dev.jsonl
  - split: test
    path: qrels/test.jsonl
- config_name: corpus
  data_files:
  - split: corpus
    path: corpus.jsonl
- config_name: queries
  data_files:
  - split: queries
    path: queries.jsonl
---
`

// genNFCorpus writes the JSON-lines MTEB layout (mteb/nfcorpus's): the
// card, corpus.jsonl, queries.jsonl, qrels/{train,dev,test}.jsonl. The
// card's qrels score dtype is float64: scores are written as floats.
func genNFCorpus() {
	dir := "mteb/nfcorpus-mini/"
	write(dir+"README.md", nfcorpusCard+"\nFixture of mimo's tasks/local tests: the YAML above is mteb/nfcorpus's card; the rows below it are synthetic.\n")
	write(dir+"corpus.jsonl", strings.Join([]string{
		obj(s("_id", "MED-10"), s("title", "Statin use and breast cancer survival"), s("text", "Statins were associated with lower breast cancer mortality.")),
		obj(s("_id", "MED-14"), s("title", "Dietary fibre"), s("text", "Fibre intake is linked to lower colorectal cancer risk.")),
		obj(s("_id", "MED-118"), s("title", "Green tea"), s("text", "Green tea catechins and blood pressure.")),
		obj(s("_id", "MED-301"), s("title", "Vitamin B12"), s("text", "Vegans need a reliable source of vitamin B12.")),
	}, "\n")+"\n")
	write(dir+"queries.jsonl", strings.Join([]string{
		obj(s("_id", "PLAIN-2"), s("text", "Do Cholesterol Statin Drugs Cause Breast Cancer?")),
		obj(s("_id", "PLAIN-12"), s("text", "Exploiting Autophagy to Live Longer")),
		obj(s("_id", "PLAIN-23"), s("text", "How to Reduce Exposure to Alkylphenols Through Your Diet")),
		obj(s("_id", "PLAIN-33"), s("text", "Vitamin B12 for vegans")),
	}, "\n")+"\n")
	q := func(qid, did, score string) string {
		return obj(s("query-id", qid), s("corpus-id", did), raw("score", score))
	}
	write(dir+"qrels/test.jsonl", strings.Join([]string{
		q("PLAIN-2", "MED-10", "2.0"), q("PLAIN-2", "MED-14", "1.0"), q("PLAIN-12", "MED-118", "1.0"), q("PLAIN-23", "MED-14", "0.0"),
	}, "\n")+"\n")
	write(dir+"qrels/dev.jsonl", q("PLAIN-33", "MED-301", "2.0")+"\n")
	write(dir+"qrels/train.jsonl", q("PLAIN-23", "MED-118", "1.0")+"\n")
}

// greenNodeCard is the YAML front matter of
// mteb/GreenNodeTableMarkdownRetrieval's dataset card, byte for byte: an
// MTEB v2 Parquet layout whose qrels are both the "default" config (JSON
// lines, which MTEB reads) and a "qrels" config (Parquet).
const greenNodeCard = `---
annotations_creators:
- human-annotated
language:
- vie
license: mit
multilinguality: monolingual
source_datasets:
- GreenNode/GreenNode-Table-Markdown-Retrieval-VN
task_categories:
- text-retrieval
task_ids:
- document-retrieval
dataset_info:
- config_name: corpus
  features:
  - name: id
    dtype: string
  - name: title
    dtype: string
  - name: text
    dtype: string
  splits:
  - name: test
    num_bytes: 70641120
    num_examples: 44678
  download_size: 32478180
  dataset_size: 70641120
- config_name: default
  features:
  - name: query-id
    dtype: string
  - name: corpus-id
    dtype: string
  - name: score
    dtype: float64
  splits:
  - name: train
    num_bytes: 12879540
    num_examples: 143106
  - name: test
    num_bytes: 3221190
    num_examples: 35791
- config_name: qrels
  features:
  - name: query-id
    dtype: string
  - name: corpus-id
    dtype: string
  - name: score
    dtype: int64
  splits:
  - name: test
    num_bytes: 3221190
    num_examples: 35791
  download_size: 1667183
  dataset_size: 3221190
- config_name: queries
  features:
  - name: id
    dtype: string
  - name: text
    dtype: string
  splits:
  - name: test
    num_bytes: 5768313
    num_examples: 35791
  download_size: 2417145
  dataset_size: 5768313
configs:
- config_name: corpus
  data_files:
  - split: test
    path: corpus/test-*
- config_name: default
  data_files:
  - split: test
    path: qrels/test.jsonl
  - split: train
    path: qrels/train.jsonl
- config_name: qrels
  data_files:
  - split: test
    path: qrels/test-*
- config_name: queries
  data_files:
  - split: test
    path: queries/test-*
tags:
- mteb
- text
---
`

// The datasets library writes strings as nullable columns.
type docRow struct {
	ID    string `parquet:"id,optional"`
	Title string `parquet:"title,optional"`
	Text  string `parquet:"text,optional"`
}

type queryRow struct {
	ID   string `parquet:"id,optional"`
	Text string `parquet:"text,optional"`
}

type qrelRow struct {
	QueryID  string `parquet:"query-id,optional"`
	CorpusID string `parquet:"corpus-id,optional"`
	Score    int64  `parquet:"score,optional"`
}

// genGreenNode writes the Parquet MTEB layout: corpus/test-00000-of-00001
// .parquet and queries/test-00000-of-00001.parquet ("id" columns), the
// qrels as qrels/test.jsonl + qrels/train.jsonl (config "default") and
// qrels/test-00000-of-00001.parquet (config "qrels", which MTEB does not
// read when "default" exists: here it differs, so a reader taking the
// wrong config is caught).
func genGreenNode() {
	dir := "mteb/greennode-mini/"
	write(dir+"README.md", greenNodeCard+"\nFixture of mimo's tasks/local tests: the YAML above is mteb/GreenNodeTableMarkdownRetrieval's card; the rows are synthetic.\n")
	write(dir+".gitattributes", "*.parquet filter=lfs diff=lfs merge=lfs -text\n")
	writeParquet(dir+"corpus/test-00000-of-00001.parquet", []docRow{
		{"c1", "Dân số Việt Nam", "| Năm | Dân số |\n|---|---|\n| 2019 | 96,2 triệu |"},
		{"c2", "", "| Tỉnh | Diện tích |\n|---|---|\n| Nghệ An | 16.490 km² |"},
		{"c3", "Sông Mê Kông", "Sông Mê Kông chảy qua sáu quốc gia."},
	})
	writeParquet(dir+"queries/test-00000-of-00001.parquet", []queryRow{
		{"q1", "Dân số Việt Nam năm 2019 là bao nhiêu?"},
		{"q2", "Tỉnh nào có diện tích lớn nhất?"},
		{"q3", "Sông Mê Kông chảy qua bao nhiêu quốc gia?"},
	})
	q := func(qid, did, score string) string {
		return obj(s("query-id", qid), s("corpus-id", did), raw("score", score))
	}
	write(dir+"qrels/test.jsonl", strings.Join([]string{q("q1", "c1", "1.0"), q("q2", "c2", "1.0")}, "\n")+"\n")
	write(dir+"qrels/train.jsonl", q("q3", "c3", "1.0")+"\n")
	writeParquet(dir+"qrels/test-00000-of-00001.parquet", []qrelRow{{"q1", "c1", 1}, {"q2", "c2", 1}, {"q3", "c3", 1}})
}
