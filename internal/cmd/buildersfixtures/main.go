// Command buildersfixtures writes the fixture repositories of package builders
// (tasks/builders/testdata/hub/datasets) in the Hugging Face Hub's exact
// file layout and column names. Parquet is binary, so the fixtures are
// generated rather than hand-edited; run from the module root:
//
//	go run ./internal/cmd/buildersfixtures
//
// The expected outputs (tasks/builders/testdata/golden/*.json) are written
// by hand from the tables below, not by this program.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

var fixtureRoot = "tasks/builders/testdata/hub/datasets"

// t mimics the testing.T subset the writers use, failing the program.
type fatalT struct{}

func (fatalT) Helper()                           {}
func (fatalT) Fatal(args ...any)                 { log.Fatal(args...) }
func (fatalT) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }

type T = fatalT

func main() {
	flag.StringVar(&fixtureRoot, "out", fixtureRoot, "folder holding <org>/<repo>/<files>")
	flag.Parse()
	t := &fatalT{}
	if err := os.RemoveAll(fixtureRoot); err != nil {
		t.Fatal(err)
	}
	genBelebele(t)
	genXQuAD(t)
	genMLQA(t)
	genMultiEuP(t)
	genNeuCLIR(t)
	genMIRACL(t)
	genMIRACLRelease(t)
}

var (
	xquadLangs   = []string{"ar", "de", "en", "es", "hi", "ru", "vi", "zh"}
	mlqaLangs    = []string{"en", "ar", "de", "es", "hi", "vi", "zh"}
	miraclLangs  = []string{"ar", "de", "en", "es", "fr", "hi", "id", "ja", "ru", "zh"}
	multiEuPFile = "clean_all_with_did_qid.MEP.csv"
	neuclirRepos = []string{"mteb/NeuCLIR2022RetrievalHardNegatives", "mteb/NeuCLIR2023RetrievalHardNegatives"}
	miraclRepo   = "mteb/MIRACLRetrievalHardNegatives"
)

func writeFixture(t *T, repo, path string, data []byte) {
	t.Helper()
	p := filepath.Join(fixtureRoot, filepath.FromSlash(repo), filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeParquet[R any](t *T, repo, path string, rows []R) {
	t.Helper()
	p := filepath.Join(fixtureRoot, filepath.FromSlash(repo), filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := parquet.WriteFile(p, rows); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}

// Hub schemas (as the datasets library writes them: nullable strings).
type squadRow struct {
	ID       string `parquet:"id,optional"`
	Title    string `parquet:"title,optional"`
	Context  string `parquet:"context,optional"`
	Question string `parquet:"question,optional"`
}

type mtebDocRow struct {
	ID    string `parquet:"_id,optional"`
	Title string `parquet:"title,optional"`
	Text  string `parquet:"text,optional"`
}

type mtebIDDocRow struct { // corpus with "id" instead of "_id", no title
	ID   string `parquet:"id,optional"`
	Text string `parquet:"text,optional"`
}

type mtebQueryRow struct {
	ID   string `parquet:"_id,optional"`
	Text string `parquet:"text,optional"`
}

type mtebQrelRow struct {
	QueryID  string `parquet:"query-id,optional"`
	CorpusID string `parquet:"corpus-id,optional"`
	Score    int64  `parquet:"score"`
}

// Belebele: per language, passage A (questions 1 and 2: the passage row is
// repeated, de-duplicated by text) and passage B (question 1); zho_Hans
// alone has passage C. Arabic exists as acm_Arab and arb_Arab with
// different texts. question_number is a JSON number, as on the Hub.
func genBelebele(t *T) {
	codes := []string{"acm_Arab", "arb_Arab", "deu_Latn", "nld_Latn", "eng_Latn", "spa_Latn", "fra_Latn", "hin_Deva",
		"ind_Latn", "ita_Latn", "jpn_Jpan", "por_Latn", "rus_Cyrl", "vie_Latn", "zho_Hans"}
	const wiki = "https://en.wikibooks.org/wiki/"
	for _, c := range codes {
		var b strings.Builder
		row := func(link string, qn int, passage, question string) {
			fmt.Fprintf(&b, `{"link": %q, "question_number": %d, "flores_passage": %q, "question": %q, `+
				`"mc_answer1": "a", "mc_answer2": "b", "mc_answer3": "c", "mc_answer4": "d", "correct_answer_num": "1", `+
				`"dialect": %q, "ds": "2023-05-03"}`+"\n", link, qn, passage, question, c)
		}
		row(wiki+"A", 1, "Passage A in "+c+".", "A1 "+c+"?")
		row(wiki+"A", 2, "Passage A in "+c+".", "A2 "+c+"?")
		row(wiki+"B", 1, "Passage B in "+c+".", "B1 "+c+"?")
		if c == "zho_Hans" {
			row(wiki+"C", 1, "Passage C in "+c+".", "C1 "+c+"?")
		}
		writeFixture(t, "facebook/belebele", "data/"+c+".jsonl", []byte(b.String()))
	}
}

// XQuAD (Parquet configs, split validation): every language has paragraph 0
// (q1, q2) and paragraph 1 (q3), except hi whose paragraph 1 holds q4 only.
func genXQuAD(t *T) {
	for _, l := range xquadLangs {
		rows := []squadRow{
			{ID: "q1", Context: "Para zero " + l + ".", Question: "Q1 " + l + "?"},
			{ID: "q2", Context: "Para zero " + l + ".", Question: "Q2 " + l + "?"},
		}
		if l == "hi" {
			rows = append(rows, squadRow{ID: "q4", Context: "Para one " + l + ".", Question: "Q4 " + l + "?"})
		} else {
			rows = append(rows, squadRow{ID: "q3", Context: "Para one " + l + ".", Question: "Q3 " + l + "?"})
		}
		writeParquet(t, "google/xquad", "xquad."+l+"/validation-00000-of-00001.parquet", rows)
	}
}

// MLQA (refs/convert/parquet layout, split test): instance m1 in en/de/ar,
// m2 in en/es, m3 in en/de whose English context is m1's (a duplicate
// context) but whose German context differs. hi, vi, zh configs are empty.
func genMLQA(t *T) {
	type inst struct {
		id  string
		ctx map[string]string
	}
	insts := []inst{
		{"m1", map[string]string{"en": "P1 en.", "de": "P1 de.", "ar": "P1 ar."}},
		{"m2", map[string]string{"en": "P2 en.", "es": "P2 es."}},
		{"m3", map[string]string{"en": "P1 en.", "de": "P3 de."}},
	}
	for _, c := range mlqaLangs {
		for _, q := range mlqaLangs {
			rows := []squadRow{}
			for _, in := range insts {
				cc, okc := in.ctx[c]
				_, okq := in.ctx[q]
				if okc && okq {
					rows = append(rows, squadRow{ID: in.id, Title: "T", Context: cc, Question: in.id + " " + q + "?"})
				}
			}
			writeParquet(t, "facebook/mlqa", "mlqa."+c+"."+q+"/test/0000.parquet", rows)
		}
	}
}

// MultiEuP-v2: a CSV with every column the build reads plus others (nl,
// a numeric column), quoted commas and newlines in TEXT.
func genMultiEuP(t *T) {
	langs := []string{"DE", "EN", "ES", "FR", "IT", "PT", "NL"}
	header := []string{"did", "TEXT", "LANGUAGE", "date", "speaker_id"}
	for _, l := range langs {
		header = append(header, "title_"+l, "qid_"+l)
	}
	var b strings.Builder
	b.WriteString(strings.Join(header, ",") + "\n")
	row := func(did, text, lang, topic string, skipTitle string) {
		cells := []string{did, csvQuote(text), lang, "2019-01-15", "1234.0"}
		for _, l := range langs {
			title, qid := "Topic "+topic+" "+l, topic+"#"+l
			if topic == "" {
				title, qid = "", ""
			}
			if l == skipTitle {
				title = ""
			}
			cells = append(cells, csvQuote(title), qid)
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	row("d1", "Speech one, in English.", "EN", "T1", "")
	row("d2", "Rede zwei,\n\"zitiert\".", "DE", "T1", "")
	row("d3", "Toespraak drie.", "NL", "T2", "")
	row("", "Speech without did.", "EN", "T3", "IT")
	row("d5", "Discours cinq.", "FR", "T3", "IT")
	row("d1", "Speech one again.", "EN", "T1", "")
	row("d7", "Speech without topic.", "EN", "", "")
	writeFixture(t, "unimelb-nlp/MultiEup-v2", multiEuPFile, []byte(b.String()))
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// NeuCLIR: MTEB hard-negative subsets rus, zho and fas (fas must be
// ignored) for 2022 and 2023, and neuclir/bench's TSV queries and
// space-separated NIST qrels with grades 0/1/3, named by its card's
// configs (README.md).
func genNeuCLIR(t *T) {
	for _, y := range []struct {
		repo   string
		offset int
	}{{neuclirRepos[0], 0}, {neuclirRepos[1], 200}} {
		q := func(n int) string { return fmt.Sprint(y.offset + n) }
		writeParquet(t, y.repo, "rus-corpus/test-00000-of-00001.parquet", []mtebDocRow{
			{ID: "r1", Title: "Заголовок", Text: "Текст один."},
			{ID: "r2", Title: "", Text: "Текст два."},
		})
		writeParquet(t, y.repo, "zho-corpus/test-00000-of-00001.parquet", []mtebDocRow{
			{ID: "z1", Title: "标题", Text: "正文一。"},
			{ID: "z2", Title: "标题二", Text: "正文二。"},
		})
		writeParquet(t, y.repo, "fas-corpus/test-00000-of-00001.parquet", []mtebDocRow{{ID: "f1", Title: "t", Text: "متن"}})
		writeParquet(t, y.repo, "rus-queries/test-00000-of-00001.parquet", []mtebQueryRow{{q(1), "запрос"}, {q(2), "запрос 2"}})
		writeParquet(t, y.repo, "zho-queries/test-00000-of-00001.parquet", []mtebQueryRow{{q(1), "查询"}, {q(3), "查询3"}})
		writeParquet(t, y.repo, "fas-queries/test-00000-of-00001.parquet", []mtebQueryRow{{q(4), "پرسش"}})
		for _, s := range []string{"rus", "zho", "fas"} {
			writeParquet(t, y.repo, s+"-qrels/test-00000-of-00001.parquet", []mtebQrelRow{{q(1), "x", 1}})
		}
	}
	const bench = "neuclir/bench"
	writeFixture(t, bench, "data/news.eng.tsv", []byte("1\tTopic one\n2\tTopic two\n3\tTopic three\n4\tTopic four\n9\tOther year\n"+
		"201\tTopic 201\n202\tTopic 202\n203\tTopic 203\n204\tTopic 204\n"))
	writeFixture(t, bench, "data/news.rus.tsv", []byte("1\tзапрос\n"))
	writeFixture(t, bench, "data/qrels.rus.gains.txt", []byte("1 0 r1 3\n1 0 r2 0\n2 0 r2 1\n2 0 rX 3\n9 0 r1 1\n"+
		"201 0 r2 1\n202 0 r1 3\n"))
	writeFixture(t, bench, "data/qrels.zho.gains.txt", []byte("1 0 z1 1\n3 0 z2 0\n201 0 z1 3\n201 0 z2 1\n"))
	writeFixture(t, bench, "data/qrels.fas.gains.txt", []byte("4 0 f1 3\n"))
	writeFixture(t, bench, "data/qrels.mlir.gains.txt", []byte("1 0 r1 3\n"))
	writeFixture(t, bench, "README.md", []byte(neuclirBenchCard))
}

// neuclirBenchCard is neuclir/bench's README.md front matter as the Hub
// shows it (huggingface.co/datasets/neuclir/bench/blob/main/README.md,
// "update run name", 8f02c19): the configs queries and qrels naming the
// data files, their separators and columns; the prose is cut to its title.
const neuclirBenchCard = `---
license: cc-by-4.0
annotations_creators:
  - NIST
task_categories:
  - text-retrieval
  - text-ranking
language:
  - en
  - zh
  - fa
  - ru
multilinguality:
  - multilingual
pretty_name: NeuCLIRBench
size_categories:
  - n<1K
task_ids:
  - document-retrieval
configs:
  - config_name: queries
    default: true
    data_files:
      - split: eng
        path: data/news.eng.tsv
      - split: fas
        path: data/news.fas.tsv
      - split: rus
        path: data/news.rus.tsv
      - split: zho
        path: data/news.zho.tsv
    format: csv
    sep: "\t"
    header: null
    names:
      - id
      - query
    dataset_info:
      features:
        - name: id
          dtype: string
        - name: query
          dtype: string
  - config_name: qrels
    default: false
    data_files:
      - split: mlir
        path: data/qrels.mlir.gains.txt
      - split: fas
        path: data/qrels.fas.gains.txt
      - split: rus
        path: data/qrels.rus.gains.txt
      - split: zho
        path: data/qrels.zho.gains.txt
    format: csv
    sep: ' '
    header: null
    names:
      - id
      - ignore
      - docid
      - relevance
    dataset_info:
      features:
        - name: id
          dtype: string
        - name: ignore
          dtype: string
        - name: docid
          dtype: string
        - name: relevance
          dtype: int
---

# NeuCLIRBench Topics and Queries
`

// MIRACL hard negatives (split dev): every paper language has one doc, one
// query, one judgement; ar has the tricky cases (title folding, a grade-0
// judgement, a query with only a grade-0 judgement, a query without qrels);
// en's corpus is two shards and uses "id" instead of "_id".
func genMIRACL(t *T) {
	repo := miraclRepo
	for _, l := range miraclLangs {
		switch l {
		case "ar":
			writeParquet(t, repo, "ar-corpus/dev-00000-of-00001.parquet", []mtebDocRow{
				{ID: "a1", Title: "عنوان", Text: " نص واحد "},
				{ID: "a2", Title: "", Text: " نص اثنان "},
				{ID: "a3", Title: "عنوان", Text: "نص ثلاثة"},
			})
			writeParquet(t, repo, "ar-queries/dev-00000-of-00001.parquet", []mtebQueryRow{{"aq1", "سؤال 1"}, {"aq2", "سؤال 2"}, {"aq3", "سؤال 3"}})
			writeParquet(t, repo, "ar-qrels/dev-00000-of-00001.parquet", []mtebQrelRow{
				{"aq1", "a1", 1}, {"aq1", "a2", 0}, {"aq1", "a3", 3}, {"aq2", "a2", 0},
			})
		case "en":
			writeParquet(t, repo, "en-corpus/dev-00000-of-00002.parquet", []mtebIDDocRow{{ID: "e1", Text: "English one."}})
			writeParquet(t, repo, "en-corpus/dev-00001-of-00002.parquet", []mtebIDDocRow{{ID: "e2", Text: "English two."}})
			writeParquet(t, repo, "en-queries/dev-00000-of-00001.parquet", []mtebQueryRow{{"eq1", "english?"}})
			writeParquet(t, repo, "en-qrels/dev-00000-of-00001.parquet", []mtebQrelRow{{"eq1", "e2", 1}})
		default:
			writeParquet(t, repo, l+"-corpus/dev-00000-of-00001.parquet", []mtebDocRow{{ID: l + "1", Title: "T" + l, Text: "doc " + l}})
			writeParquet(t, repo, l+"-queries/dev-00000-of-00001.parquet", []mtebQueryRow{{l + "q1", "query " + l}})
			writeParquet(t, repo, l+"-qrels/dev-00000-of-00001.parquet", []mtebQrelRow{{l + "q1", l + "1", 1}})
		}
	}
}

// MIRACL's release (miracl/miracl topics and qrels, miracl/miracl-corpus
// shards) for de (dev and train) and ja (dev), in the release's file names
// and line formats: topics "qid<TAB>query", TREC qrels with tabs,
// gzipped JSON lines {"docid", "title", "text"} as Python's json.dumps
// writes them. de: a graded-0 judgement, a query whose only judgement is
// 0, a passage without a title;
// ja: two shards, the judged passage in the second.
func genMIRACLRelease(t *T) {
	const topics, corpus = "miracl/miracl", "miracl/miracl-corpus"
	writeFixture(t, topics, "miracl-v1.0-de/topics/topics.miracl-v1.0-de-dev.tsv",
		[]byte("0\tWas ist ein Pidgin?\n1\tWie hoch ist der Turm?\n2\tUngepr\u00fcfte Frage\n"))
	writeFixture(t, topics, "miracl-v1.0-de/qrels/qrels.miracl-v1.0-de-dev.tsv",
		[]byte("0\tQ0\t100#0\t1\n0\tQ0\t100#1\t0\n1\tQ0\t200#0\t1\n2\tQ0\t100#1\t0\n"))
	writeFixture(t, topics, "miracl-v1.0-de/topics/topics.miracl-v1.0-de-train.tsv", []byte("10\tTrainingsfrage\n"))
	writeFixture(t, topics, "miracl-v1.0-de/qrels/qrels.miracl-v1.0-de-train.tsv", []byte("10\tQ0\t200#0\t1\n"))
	writeFixture(t, topics, "miracl-v1.0-ja/topics/topics.miracl-v1.0-ja-dev.tsv", []byte("5\t\u5854\u306e\u9ad8\u3055\u306f\uff1f\n"))
	writeFixture(t, topics, "miracl-v1.0-ja/qrels/qrels.miracl-v1.0-ja-dev.tsv", []byte("5\tQ0\t7#0\t1\n"))
	writeGzip(t, corpus, "miracl-corpus-v1.0-de/docs-0.jsonl.gz",
		`{"docid": "100#0", "title": "Pidgin", "text": "Ein Pidgin ist eine reduzierte Sprache."}`+"\n"+
			`{"docid": "100#1", "title": "Pidgin", "text": "Pidgins entstehen im Handel."}`+"\n"+
			`{"docid": "200#0", "title": "", "text": "Der Turm ist 324 Meter hoch."}`+"\n")
	writeGzip(t, corpus, "miracl-corpus-v1.0-ja/docs-0.jsonl.gz",
		`{"docid": "7#1", "title": "\u5854", "text": "\u5854\u306e\u6b74\u53f2\u3002"}`+"\n")
	writeGzip(t, corpus, "miracl-corpus-v1.0-ja/docs-1.jsonl.gz",
		`{"docid": "7#0", "title": "\u5854", "text": "\u5854\u306f324\u30e1\u30fc\u30c8\u30eb\u3002"}`+"\n")
}

func writeGzip(t *T, repo, path, text string) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFixture(t, repo, path, b.Bytes())
}
