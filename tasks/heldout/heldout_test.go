package heldout

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/xquad"
	"github.com/mimo-mlir/mimo/training/data"
)

func TestArticle(t *testing.T) {
	for _, tc := range []struct {
		group string
		want  int
		err   bool
	}{
		{"0_0", 0, false},
		{"47_4", 47, false},
		{"p12", 0, true},
		{"x_1", 0, true},
		{"", 0, true},
	} {
		t.Run(tc.group, func(t *testing.T) {
			got, err := Article(tc.group)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("Article(%q) = %d, %v; want %d, error %v", tc.group, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestRestrict(t *testing.T) {
	ds := tasks.Dataset{
		Corpus: []tasks.Doc{
			{ID: "en_2_0", Group: "2_0", Lang: "en"}, {ID: "de_2_0", Group: "2_0", Lang: "de"},
			{ID: "en_3_0", Group: "3_0", Lang: "en"}, {ID: "de_3_0", Group: "3_0", Lang: "de"},
			{ID: "en_7_1", Group: "7_1", Lang: "en"},
		},
		Queries: []tasks.Query{{ID: "en_a", Lang: "en"}, {ID: "de_b", Lang: "de"}, {ID: "en_c", Lang: "en"}},
		Qrels: tasks.Qrels{
			"en_a": {"en_2_0": 1, "de_2_0": 1},
			"de_b": {"en_3_0": 1, "de_3_0": 1},
			"en_c": {"en_7_1": 1},
		},
	}
	got, err := Restrict(ds)
	if err != nil {
		t.Fatal(err)
	}
	var docs, qs []string
	for _, d := range got.Corpus {
		docs = append(docs, d.ID)
	}
	for _, q := range got.Queries {
		qs = append(qs, q.ID)
	}
	if strings.Join(docs, ",") != "en_3_0,de_3_0,en_7_1" || strings.Join(qs, ",") != "de_b,en_c" || len(got.Qrels) != 2 {
		t.Errorf("Restrict kept docs %v, queries %v, %d qrels", docs, qs, len(got.Qrels))
	}

	t.Run("query across the split", func(t *testing.T) {
		bad := ds
		bad.Qrels = tasks.Qrels{"en_a": {"en_2_0": 1, "en_3_0": 1}}
		if _, err := Restrict(bad); err == nil || !strings.Contains(err.Error(), "en_a") {
			t.Errorf("want an error naming en_a, got %v", err)
		}
	})
	t.Run("parquet groups", func(t *testing.T) {
		bad := ds
		bad.Corpus = []tasks.Doc{{ID: "en_p0", Group: "p0"}}
		if _, err := Restrict(bad); err == nil || !strings.Contains(err.Error(), "en_p0") {
			t.Errorf("want an error naming en_p0, got %v", err)
		}
	})
}

func TestMissingFolder(t *testing.T) {
	t.Setenv("MIMO_DATA", t.TempDir())
	_, err := Task{}.Load(context.Background(), tasks.LoadOptions{})
	if !errors.Is(err, tasks.ErrNotFound) || !strings.Contains(err.Error(), "MIMO_DATA") {
		t.Errorf("Load without data: %v; want an error wrapping tasks.ErrNotFound that says how to point at the data", err)
	}
	_, err = Task{Dir: t.TempDir()}.Load(context.Background(), tasks.LoadOptions{})
	if !errors.Is(err, tasks.ErrNotFound) {
		t.Errorf("Load of an empty Dir: %v; want tasks.ErrNotFound", err)
	}
}

// On the real data: the task holds exactly the held-out rows training
// leaves out, in all 8 languages, and none of the training rows.
func TestRealData(t *testing.T) {
	dir := shareddata.Require(t, "xquad")
	t.Setenv("MIMO_DATA", strings.TrimSuffix(dir, "/xquad"))
	dss, err := Task{}.Load(context.Background(), tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(dss) != 1 {
		t.Fatalf("%d datasets, want 1", len(dss))
	}
	ds := dss[0]
	md := Task{}.Metadata()
	if len(ds.Queries) != md.ExpectedQueries || len(ds.Corpus) != md.ExpectedCorpus {
		t.Errorf("%d queries, %d docs; metadata expects %d, %d", len(ds.Queries), len(ds.Corpus), md.ExpectedQueries, md.ExpectedCorpus)
	}
	train, held, err := data.ReadXQuAD(dir, md.Languages)
	if err != nil {
		t.Fatal(err)
	}
	heldIDs, trainIDs := map[string]bool{}, map[string]bool{}
	for _, r := range held {
		heldIDs[r.ID] = true
	}
	for _, r := range train {
		trainIDs[r.ID] = true
	}
	seen := map[string]bool{}
	nrel := 0
	for _, q := range ds.Queries {
		if trainIDs[q.Group] {
			t.Errorf("query %s is a training question", q.ID)
		}
		if !heldIDs[q.Group] {
			t.Errorf("query %s: question %s is not among training/data's held-out rows", q.ID, q.Group)
		}
		seen[q.Group] = true
		nrel += len(ds.Qrels[q.ID])
		if len(ds.Qrels[q.ID]) != len(md.Languages) {
			t.Errorf("query %s has %d relevant paragraphs, want one per language (%d)", q.ID, len(ds.Qrels[q.ID]), len(md.Languages))
		}
	}
	if len(seen) != len(held) {
		t.Errorf("%d distinct questions, training/data holds out %d", len(seen), len(held))
	}
	if nrel != md.ExpectedQrels {
		t.Errorf("%d qrels, metadata expects %d", nrel, md.ExpectedQrels)
	}
	for _, d := range ds.Corpus {
		if a, _ := Article(d.Group); !xquad.HeldOut(a) {
			t.Errorf("doc %s is from training article %d", d.ID, a)
		}
	}
	t.Run("langs", func(t *testing.T) {
		dss, err := Task{}.Load(context.Background(), tasks.LoadOptions{Langs: []string{"de", "zh"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range dss[0].Queries {
			if q.Lang != "de" && q.Lang != "zh" {
				t.Fatalf("query %s in %s survived --langs de,zh", q.ID, q.Lang)
			}
		}
		if got := len(dss[0].Queries); got != 2*len(held) {
			t.Errorf("%d queries in de,zh, want %d", got, 2*len(held))
		}
	})
}
