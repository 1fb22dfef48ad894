package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadMMARCO(t *testing.T) {
	dir := t.TempDir()
	w := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w("queries/train/english_queries.train.tsv", "1\twhat is a cat\n2\twhere is paris\n3\tunused\n")
	w("queries/train/dutch_queries.train.tsv", "1\twat is een kat\n2\twaar ligt parijs\n")
	w("collections/english_collection.tsv", "10\tA cat is an animal.\n20\tParis is in France.\n30\tUnused.\n")
	w("collections/dutch_collection.tsv", "10\tEen kat is een dier.\n")
	w("qrels.train.tsv", "1\t0\t10\t1\n2\t0\t20\t1\n1\t0\t10\t1\n2\t0\t30\t0\n")
	rows, dropped, err := ReadMMARCO(dir, filepath.Join(dir, "qrels.train.tsv"), []string{"en", "dt"})
	if err != nil {
		t.Fatal(err)
	}
	want := []ParallelRow{{ID: "1-10",
		Query:    map[string]string{"en": "what is a cat", "nl": "wat is een kat"},
		Positive: map[string]string{"en": "A cat is an animal.", "nl": "Een kat is een dier."}}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	if dropped != 1 { // pair 2-20 has no Dutch passage
		t.Fatalf("dropped %d, want 1", dropped)
	}
	w("bad.tsv", "1 2 3\n")
	if _, _, err := ReadMMARCO(dir, filepath.Join(dir, "bad.tsv"), []string{"en"}); err == nil || !strings.Contains(err.Error(), "bad.tsv:1") {
		t.Fatalf("want an error naming bad.tsv:1, got %v", err)
	}
	if _, _, err := ReadMMARCO(dir, filepath.Join(dir, "qrels.train.tsv"), []string{"sw"}); err == nil {
		t.Fatal("language without mMARCO accepted")
	}
}
