package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/builders"
)

// writeAuthors writes d in the MIMO authors' layout (the files of
// yjoonjang/mlir-benchmarks MMLIR/*: queries {"_id", "text", "lang"},
// corpus {doc_id: {"text", "lang"}} and qrels {qid: {doc_id: rel}}, one
// object per line), without any group: the authors' files carry none.
func writeAuthors(t *testing.T, dir string, d tasks.Dataset) {
	t.Helper()
	write := func(name string, rows []any) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		enc := json.NewEncoder(f)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var qs, docs, qrels []any
	for _, q := range d.Queries {
		qs = append(qs, map[string]string{"_id": q.ID, "text": q.Text, "lang": q.Lang})
		qrels = append(qrels, map[string]map[string]int{q.ID: d.Qrels[q.ID]})
	}
	for _, doc := range d.Corpus {
		docs = append(docs, map[string]map[string]string{doc.ID: {"text": doc.Text, "lang": doc.Lang}})
	}
	write(QueriesFile, qs)
	write(CorpusFile, docs)
	write(QrelsFile, qrels)
}

// TestParallelGroupsFromQrels: Belebele and MLQA in the authors' layout
// (doc ids doc_{lang}_{n}, no group field) get the same parallel
// documents as tasks/builders gives them from the sources (Belebele: the
// passage's link; MLQA: the contexts of one question id), so alignment is
// computed for them (issue 15 item 5). The datasets are the builders'
// golden fixtures (tasks/builders/testdata/hub), written out as the
// authors' files and read back with Read.
func TestParallelGroupsFromQrels(t *testing.T) {
	for _, name := range []string{"BelebeleMLIR", "MLQAMLIR"} {
		t.Run(name, func(t *testing.T) {
			task, err := builders.New(name, tasks.DirSource{Root: "../builders/testdata/hub/datasets"})
			if err != nil {
				t.Fatal(err)
			}
			dss, err := task.Load(context.Background(), tasks.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := dss[0]
			dir := t.TempDir()
			writeAuthors(t, dir, want)
			got, err := Read(os.DirFS(dir), ".")
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Corpus) != len(want.Corpus) {
				t.Fatalf("%d docs read, %d written", len(got.Corpus), len(want.Corpus))
			}
			wantGroup := map[string]string{}
			for _, d := range want.Corpus {
				wantGroup[d.ID] = d.Group
			}
			multi := 0
			members := map[string][]string{}
			for _, d := range got.Corpus {
				if !authorsDocID(d.ID, d.Lang) {
					t.Fatalf("doc %s: not an authors' id doc_{lang}_{n}", d.ID)
				}
				if d.Group == "" {
					t.Errorf("doc %s has no group", d.ID)
				}
				members[d.Group] = append(members[d.Group], d.ID)
			}
			// Same partition: docs share a group read back iff they share
			// one in the builder's dataset.
			for g, ids := range members {
				for _, id := range ids[1:] {
					if wantGroup[id] != wantGroup[ids[0]] {
						t.Errorf("group %s joins %s and %s, which the builder keeps apart", g, ids[0], id)
					}
				}
				if len(ids) > 1 {
					multi++
				}
			}
			wantGroups := map[string]bool{}
			for _, g := range wantGroup {
				wantGroups[g] = true
			}
			if len(members) != len(wantGroups) {
				t.Errorf("%d groups read back, the builder has %d", len(members), len(wantGroups))
			}
			if multi == 0 {
				t.Error("no group holds two documents: alignment would have nothing to pair")
			}
		})
	}
}

func TestAuthorsDocID(t *testing.T) {
	for _, c := range []struct {
		id, lang string
		want     bool
	}{
		{"doc_de_0", "de", true}, {"doc_de_123", "de", true}, {"doc_de_", "de", false}, {"doc_en_0", "de", false},
		{"doc_de_1a", "de", false}, {"de_0", "de", false}, {"doc_zh_7", "zh", true},
	} {
		if got := authorsDocID(c.id, c.lang); got != c.want {
			t.Errorf("authorsDocID(%q, %q) = %v, want %v", c.id, c.lang, got, c.want)
		}
	}
}
