package local

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/tasks"
)

// writeXQuADLocal writes XQuAD (SQuAD-style JSON, one file per language) in
// the authors' local layout, ids as tasks.md gives them: doc
// "{lang}_{article}_{paragraph}", query "{lang}_{qa_id}", every language
// version of the paragraph relevant.
func writeXQuADLocal(t *testing.T, src, dst string, langs []string) {
	t.Helper()
	type squad struct {
		Data []struct {
			Paragraphs []struct {
				Context string `json:"context"`
				QAs     []struct {
					ID       string `json:"id"`
					Question string `json:"question"`
				} `json:"qas"`
			} `json:"paragraphs"`
		} `json:"data"`
	}
	create := func(name string) (*os.File, *bufio.Writer) {
		f, err := os.Create(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		return f, bufio.NewWriter(f)
	}
	qf, qw := create(QueriesFile)
	cf, cw := create(CorpusFile)
	rf, rw := create(QrelsFile)
	line := func(w *bufio.Writer, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(append(b, '\n'))
	}
	type qa struct{ a, p int }
	where := map[string]qa{}
	var ids []string
	for _, l := range langs {
		b, err := os.ReadFile(filepath.Join(src, "xquad."+l+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var s squad
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		for a, art := range s.Data {
			for p, par := range art.Paragraphs {
				line(cw, map[string]any{fmt.Sprintf("%s_%d_%d", l, a, p): map[string]string{"text": par.Context, "lang": l}})
				for _, q := range par.QAs {
					line(qw, map[string]string{"_id": l + "_" + q.ID, "text": q.Question, "lang": l})
					if _, ok := where[q.ID]; !ok {
						ids = append(ids, q.ID)
					}
					where[q.ID] = qa{a, p}
				}
			}
		}
	}
	for _, ql := range langs {
		for _, id := range ids {
			rel := map[string]int{}
			for _, dl := range langs {
				rel[fmt.Sprintf("%s_%d_%d", dl, where[id].a, where[id].p)] = 1
			}
			line(rw, map[string]any{ql + "_" + id: rel})
		}
	}
	for _, fw := range []struct {
		f *os.File
		w *bufio.Writer
	}{{qf, qw}, {cf, cw}, {rf, rw}} {
		if err := fw.w.Flush(); err != nil {
			t.Fatal(err)
		}
		fw.f.Close()
	}
}

// TestRealXQuAD reads the full XQuAD MLIR task (paper Table 7: 9,520
// queries, 1,920 docs, 76,160 qrels) through the local layout, and checks
// that the id rule recovers the parallel groups.
func TestRealXQuAD(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	src := filepath.Dir(shareddata.Require(t, "xquad", "xquad.en.json"))
	dir := filepath.Join(t.TempDir(), "XQuAD_test")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	langs := []string{"ar", "de", "en", "es", "hi", "ru", "vi", "zh"}
	writeXQuADLocal(t, src, dir, langs)
	task, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := task.Load(context.Background(), tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := ds[0]
	nq := 0
	for _, m := range d.Qrels {
		nq += len(m)
	}
	if len(d.Queries) != 9520 || len(d.Corpus) != 1920 || nq != 76160 {
		t.Errorf("%d queries, %d docs, %d qrels; want 9520, 1920, 76160", len(d.Queries), len(d.Corpus), nq)
	}
	qg, dg := map[string]int{}, map[string]int{}
	for _, q := range d.Queries {
		qg[q.Group]++
	}
	for _, doc := range d.Corpus {
		dg[doc.Group]++
	}
	if len(qg) != 1190 || len(dg) != 240 {
		t.Errorf("%d query groups, %d doc groups; want 1190, 240", len(qg), len(dg))
	}
	for g, n := range qg {
		if n != 8 {
			t.Errorf("query group %s has %d members, want 8", g, n)
			break
		}
	}
	if d.Split != "test" || len(d.Languages) != 8 {
		t.Errorf("split %q, languages %v", d.Split, d.Languages)
	}
}
