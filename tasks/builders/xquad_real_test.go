package builders

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/tasks"
)

// The tests here read the original XQuAD release (xquad.{lang}.json) in
// the shared data folder, at run time; it is never copied into the
// repository.

// TestXQuADRealData builds XQuADMLIR from the real SQuAD JSON files
// and checks the paper's sizes (Table 7) and a few pinned ids.
func TestXQuADRealData(t *testing.T) {
	realXQuAD := filepath.Dir(shareddata.Require(t, "xquad", "xquad.en.json"))
	src := tasks.DirSource{Root: realXQuAD, Flat: true}
	ds, err := BuildXQuAD(context.Background(), src, XQuADRef, tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("got %d datasets, want 1", len(ds))
	}
	d := ds[0]
	qrels := 0
	for _, rel := range d.Qrels {
		qrels += len(rel)
	}
	if got, want := [3]int{len(d.Queries), len(d.Corpus), qrels}, [3]int{9520, 1920, 76160}; got != want {
		t.Fatalf("queries, docs, qrels = %v, want %v", got, want)
	}
	task, err := New("XQuADMLIR", src)
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.CheckSizes(task.Metadata(), ds); err != nil {
		t.Errorf("acceptance check against Table 7: %v", err)
	}
	if len(d.Skipped) != 0 {
		t.Errorf("Skipped = %v, want none", d.Skipped)
	}
	wantLangs := []string{"ara-Arab", "deu-Latn", "eng-Latn", "spa-Latn", "hin-Deva", "rus-Cyrl", "vie-Latn", "zho-Hans"}
	if diff := cmp.Diff(wantLangs, d.Languages); diff != "" {
		t.Errorf("Languages (-want +got):\n%s", diff)
	}

	// Pinned: the first English question of the first article
	// and the last Chinese paragraph.
	byID := map[string]tasks.Query{}
	for _, q := range d.Queries {
		byID[q.ID] = q
	}
	q, ok := byID["en_56beb4343aeaaa14008c925b"]
	if !ok {
		t.Fatal("query en_56beb4343aeaaa14008c925b missing")
	}
	if q.Text != "How many points did the Panthers defense surrender?" || q.Lang != "en" || q.Group != "56beb4343aeaaa14008c925b" {
		t.Errorf("pinned query = %+v", q)
	}
	if _, ok := byID["zh_56beb4343aeaaa14008c925b"]; !ok {
		t.Error("the Chinese version of the pinned question is missing")
	}
	want := map[string]int{}
	for _, l := range XQuADLangs {
		want[l+"_0_0"] = 1
	}
	if diff := cmp.Diff(want, d.Qrels["de_56beb4343aeaaa14008c925b"]); diff != "" {
		t.Errorf("relevant set of de_56beb4343aeaaa14008c925b (-want +got):\n%s", diff)
	}
	if d.Corpus[0].ID != "ar_0_0" || d.Corpus[0].Group != "0_0" || d.Corpus[0].Lang != "ar" {
		t.Errorf("first doc = %+v", d.Corpus[0])
	}
	last := d.Corpus[len(d.Corpus)-1]
	if last.ID != "zh_47_4" || last.Lang != "zh" {
		t.Errorf("last doc = %s (%s), want zh_47_4", last.ID, last.Lang)
	}
	for _, s := range tasks.Stats(d) {
		if s.Lang == tasks.StatsTotal {
			continue
		}
		if s.Queries != 1190 || s.Docs != 240 || s.Qrels != 1190*8 {
			t.Errorf("per-language stats %+v, want 1190 queries, 240 docs, 9520 qrels", s)
		}
	}

	t.Run("language filter", func(t *testing.T) {
		ds, err := BuildXQuAD(context.Background(), src, XQuADRef, tasks.LoadOptions{Langs: []string{"en", "de"}})
		if err != nil {
			t.Fatal(err)
		}
		d := ds[0]
		if len(d.Queries) != 2380 || len(d.Corpus) != 480 || len(d.Qrels["en_56beb4343aeaaa14008c925b"]) != 2 {
			t.Errorf("filtered: %d queries, %d docs, %d positives; want 2380, 480, 2",
				len(d.Queries), len(d.Corpus), len(d.Qrels["en_56beb4343aeaaa14008c925b"]))
		}
	})
}

// TestXQuADParquetMatchesJSON converts the real SQuAD JSON files into the
// Hub's Parquet layout (xquad.{lang}/validation-00000-of-00001.parquet, rows
// in file order) and checks that the Parquet path builds the same task:
// same queries, same texts, and the same relevant sets once paragraph
// "{a}_{p}" is renamed to its position "p{n}".
func TestXQuADParquetMatchesJSON(t *testing.T) {
	realXQuAD := filepath.Dir(shareddata.Require(t, "xquad", "xquad.en.json"))
	type row struct {
		ID       string `parquet:"id,optional"`
		Context  string `parquet:"context,optional"`
		Question string `parquet:"question,optional"`
	}
	jsonSrc := tasks.DirSource{Root: realXQuAD, Flat: true}
	files := map[string][]byte{}
	rename := map[string]string{} // "{lang}_{a}_{p}" -> "{lang}_p{n}"
	for _, l := range XQuADLangs {
		lang, err := readXQuADJSON(context.Background(), input{src: jsonSrc, ref: XQuADRef}, l, "xquad."+l+".json")
		if err != nil {
			t.Fatal(err)
		}
		var rows []row
		for n, p := range lang.Paras {
			rename[l+"_"+p.Key] = fmt.Sprintf("%s_p%d", l, n)
			for _, qa := range p.QAs {
				rows = append(rows, row{qa.ID, p.Context, qa.Question})
			}
		}
		files["xquad."+l+"/validation-00000-of-00001.parquet"] = parquetBytes(t, rows)
	}
	empty := t.TempDir()
	if err := os.MkdirAll(filepath.Join(empty, XQuADRef.Repo), 0o755); err != nil {
		t.Fatal(err)
	}
	pqSrc := overlay{base: tasks.DirSource{Root: empty}, repo: XQuADRef.Repo, files: files}
	fromJSON, err := BuildXQuAD(context.Background(), jsonSrc, XQuADRef, tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromParquet, err := BuildXQuAD(context.Background(), pqSrc, XQuADRef, tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := fromJSON[0]
	for i := range want.Corpus {
		want.Corpus[i].ID = rename[want.Corpus[i].ID]
		want.Corpus[i].Group = strings.SplitN(want.Corpus[i].ID, "_", 2)[1]
	}
	renamed := tasks.Qrels{}
	for q, rel := range want.Qrels {
		renamed[q] = map[string]int{}
		for d, r := range rel {
			renamed[q][rename[d]] = r
		}
	}
	want.Qrels = renamed
	if diff := cmp.Diff(want, fromParquet[0]); diff != "" {
		t.Errorf("Parquet build differs from the JSON build (-json +parquet):\n%s", diff)
	}
}
