// Command corporafixtures writes the fixture repositories of package corpora
// (training/corpora/testdata/hub/datasets) in the Hugging Face Hub's file
// layout of Helsinki-NLP/opus-100 and unicamp-dl/mmarco at the revisions
// corpora pins (see corpora.OPUSRevision, corpora.MMARCORevision and
// testdata/README.md for where each layout comes from). Parquet is binary,
// so the fixtures are generated; run from the module root:
//
//	go run ./internal/cmd/corporafixtures
//
// The texts are synthetic: English sentences from a small vocabulary and a
// made-up "translation" per language (every word reversed, the language
// code appended), so a student can learn the mapping and the lengths are
// controlled. The counts the tests expect are written by hand in
// corpora's tests from the construction below, not computed by it.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/mimo-mlir/mimo/lang"
	"github.com/mimo-mlir/mimo/training/corpora"
	"github.com/mimo-mlir/mimo/training/data"
)

var root = "training/corpora/testdata/hub/datasets"

func main() {
	flag.StringVar(&root, "out", root, "folder holding <org>/<repo>/<files>")
	flag.Parse()
	for _, repo := range []string{corpora.OPUSRepo, corpora.MMARCORepo} {
		if err := os.RemoveAll(filepath.Join(root, filepath.FromSlash(repo))); err != nil {
			log.Fatal(err)
		}
	}
	genOPUS()
	genMMARCO()
}

// Good is the number of clean, unique pairs per language in the fixture
// (the paper's Table 5 shape: most languages above the cap, ja, vi, hi and
// zh below it).
var Good = map[string]int{"ar": 30, "de": 30, "nl": 30, "es": 30, "fr": 30, "hi": 9, "id": 30, "it": 30,
	"ja": 12, "pt": 30, "ru": 30, "vi": 15, "zh": 4}

var (
	adjs   = []string{"small", "old", "red", "quiet", "bright", "heavy", "young", "cold"}
	nouns  = []string{"cat", "house", "river", "teacher", "garden", "city", "train", "letter", "market", "song"}
	verbs  = []string{"sees", "finds", "likes", "follows", "paints", "visits", "builds", "reads"}
	places = []string{"near the sea", "in the morning", "after school", "under the bridge", "at night", "in winter"}
)

// english is the i-th English sentence of a stream (key): unique per
// (key, i), 35-60 characters.
func english(key, i int) string {
	n := key*1000 + i
	return fmt.Sprintf("the %s %s %s a %s %s %s number %d", adjs[n%8], nouns[n%10], verbs[(n/3)%8], adjs[(n/7)%8],
		nouns[(n/11)%10], places[(n/5)%6], n)
}

// translate is the made-up translation of English text into l.
func translate(l, en string) string {
	w := strings.Fields(en)
	for i, x := range w {
		r := []rune(x)
		for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
			r[a], r[b] = r[b], r[a]
		}
		w[i] = string(r) + l
	}
	return strings.Join(w, " ")
}

// opusRows are one language's training rows: Good[l] clean pairs, with the
// pairs each filter removes inserted among them:
//
//	2 too short (one side under 10 characters), 1 too long (over 512),
//	2 of length ratio >= 3 (3.1 and exactly 3.0), 1 repeating the English
//	of the language's clean pair 2, and, for every language after ar, 2
//	repeating the English of ar's clean pairs 0 and 1.
func opusRows(key int, l string) []data.SentencePair {
	var rows []data.SentencePair
	for i := 0; i < Good[l]; i++ {
		en := english(key, i)
		rows = append(rows, data.SentencePair{Lang: l, En: en, Text: translate(l, en)})
	}
	special := []struct {
		at int
		p  data.SentencePair
	}{
		{3, data.SentencePair{En: "Hi there.", Text: translate(l, "hi there friend")}},                         // en 9 chars
		{5, data.SentencePair{En: "thirty one characters long here", Text: "ten chars."}},                      // 31/10
		{7, data.SentencePair{En: english(key, 2), Text: translate(l, english(key, 2)) + " again"}},            // duplicate
		{8, data.SentencePair{En: strings.Repeat("long words ", 47), Text: strings.Repeat("sdrow gnol ", 47)}}, // 517
		{10, data.SentencePair{En: "a proper sentence of some length", Text: "kurz"}},                          // xx 4 chars
		{12, data.SentencePair{En: "exactly thirty characters here", Text: "ten chars!"}},                      // 30/10 = 3.0
	}
	if l != "ar" {
		special = append(special,
			struct {
				at int
				p  data.SentencePair
			}{99, data.SentencePair{En: english(0, 0), Text: translate(l, english(0, 0))}},
			struct {
				at int
				p  data.SentencePair
			}{99, data.SentencePair{En: english(0, 1), Text: translate(l, english(0, 1))}})
	}
	for k := len(special) - 1; k >= 0; k-- {
		s := special[k]
		s.p.Lang = l
		at := min(s.at, len(rows))
		rows = append(rows[:at], append([]data.SentencePair{s.p}, rows[at:]...)...)
	}
	return rows
}

func genOPUS() {
	key := 0
	for _, l := range lang.Paper {
		if l == "en" {
			continue
		}
		cfg := corpora.OPUSConfig(l)
		writeTranslation(cfg+"/train-00000-of-00001.parquet", l, opusRows(key, l))
		// The real repository's other splits (2,000 rows each); never read.
		var dev []data.SentencePair
		for i := 0; i < 2; i++ {
			en := english(900+key, i)
			dev = append(dev, data.SentencePair{Lang: l, En: en, Text: translate(l, en)})
		}
		writeTranslation(cfg+"/validation-00000-of-00001.parquet", l, dev)
		writeTranslation(cfg+"/test-00000-of-00001.parquet", l, dev)
		key++
	}
}

// writeTranslation writes rows as datasets writes a Translation feature:
// one optional struct column "translation" of optional strings named by
// the two languages.
func writeTranslation(rel, l string, rows []data.SentencePair) {
	schema := parquet.NewSchema("schema", parquet.Group{"translation": parquet.Optional(parquet.Group{
		l: parquet.Optional(parquet.String()), "en": parquet.Optional(parquet.String())})})
	p := filepath.Join(root, filepath.FromSlash(corpora.OPUSRepo), filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		log.Fatal(err)
	}
	w := parquet.NewWriter(f, schema)
	for _, r := range rows {
		if err := w.Write(map[string]any{"translation": map[string]any{l: r.Text, "en": r.En}}); err != nil {
			log.Fatalf("%s: %v", p, err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatalf("%s: %v", p, err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// mMARCO: 200 training queries (qid 1000+i) with positive 5000+i, each in
// two triples with negatives from a pool of 50 (9000+i%50, 9000+(i+1)%50),
// and query 1005 with a second positive 5500 (201 unique pairs). Hindi's
// collection lacks passage 5007 and Japanese's queries lack query 1009, so
// 199 rows have all 14 languages.
const mmarcoQueries = 200

func genMMARCO() {
	var triples strings.Builder
	for i := 0; i < mmarcoQueries; i++ {
		q, p := 1000+i, 5000+i
		fmt.Fprintf(&triples, "%d\t%d\t%d\n%d\t%d\t%d\n", q, p, 9000+i%50, q, p, 9000+(i+1)%50)
		if q == 1005 {
			fmt.Fprintf(&triples, "%d\t%d\t%d\n", q, 5500, 9003)
		}
	}
	writeMMARCO(corpora.MMARCOTriples, triples.String())
	writeMMARCO("data/qrels.dev.tsv", "1\t0\t7\t1\n") // present in the real repository; never read
	for _, l := range lang.Paper {
		name, _ := data.MMARCOName(l)
		queries, passages := map[int]string{}, map[int]string{}
		for i := 0; i < mmarcoQueries; i++ {
			en := english(500, i)
			queries[1000+i] = "what is " + en
			passages[5000+i] = "It is known that " + en + ", as the old books say."
		}
		passages[5500] = "Some say " + english(500, 5) + " too."
		for i := 0; i < 50; i++ {
			passages[9000+i] = "Unrelated: " + english(700, i) + "."
		}
		if l == "hi" {
			delete(passages, 5007)
		}
		if l == "ja" {
			delete(queries, 1009)
		}
		writeMMARCO(corpora.MMARCOPrefix+"/queries/train/"+name+"_queries.train.tsv", idText(queries, l))
		writeMMARCO(corpora.MMARCOPrefix+"/collections/"+name+"_collection.tsv", idText(passages, l))
	}
}

func idText(m map[int]string, l string) string {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var b strings.Builder
	for _, id := range ids {
		t := m[id]
		if l != "en" {
			t = translate(l, t)
		}
		fmt.Fprintf(&b, "%d\t%s\n", id, t)
	}
	return b.String()
}

func writeMMARCO(rel, content string) {
	p := filepath.Join(root, filepath.FromSlash(corpora.MMARCORepo), filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}
}
