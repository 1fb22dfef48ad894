package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/training/data"
)

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"latin", "One sentence. Two! Three? ", []string{"One sentence.", "Two!", "Three?"}},
		{"no cut inside numbers and abbreviations", "It cost 3.5 dollars in the U.S. today.", []string{"It cost 3.5 dollars in the U.S.", "today."}},
		{"full-width without spaces", "第一句。第二句！第三句", []string{"第一句。", "第二句！", "第三句"}},
		{"danda", "पहला वाक्य। दूसरा वाक्य।", []string{"पहला वाक्य।", "दूसरा वाक्य।"}},
		{"empty", "  ", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, Split(c.in)); diff != "" {
				t.Errorf("Split(%q) -want +got:\n%s", c.in, diff)
			}
		})
	}
}

func TestPairs(t *testing.T) {
	rows := []data.ParallelRow{
		{ID: "q1",
			Query:    map[string]string{"en": "Who?", "de": "Wer?", "zh": "谁？"},
			Positive: map[string]string{"en": "A is here. B is there.", "de": "A ist hier. B ist dort.", "zh": "A在这里，B在那里。"}},
		{ID: "q2", // same paragraph: emitted once per language
			Query:    map[string]string{"en": "Where?", "de": "Wo?", "zh": "哪里？"},
			Positive: map[string]string{"en": "A is here. B is there.", "de": "A ist hier. B ist dort.", "zh": "A在这里，B在那里。"}},
		{ID: "q3", // no German: skipped for de; a punctuation-only piece is dropped
			Query:    map[string]string{"en": "What?", "zh": "什么？"},
			Positive: map[string]string{"en": "X. .", "zh": "X。。"}},
	}
	want := []data.SentencePair{
		{Lang: "de", En: "Who?", Text: "Wer?"},
		{Lang: "de", En: "A is here. B is there.", Text: "A ist hier. B ist dort."},
		{Lang: "de", En: "A is here.", Text: "A ist hier."},
		{Lang: "de", En: "B is there.", Text: "B ist dort."},
		{Lang: "zh", En: "Who?", Text: "谁？"},
		{Lang: "zh", En: "A is here. B is there.", Text: "A在这里，B在那里。"}, // 2 vs 1 sentences: not split
		{Lang: "de", En: "Where?", Text: "Wo?"},
		{Lang: "zh", En: "Where?", Text: "哪里？"},
		{Lang: "zh", En: "What?", Text: "什么？"},
		{Lang: "zh", En: "X. .", Text: "X。。"},
		{Lang: "zh", En: "X.", Text: "X。"},
	}
	if diff := cmp.Diff(want, Pairs(rows, []string{"de", "zh"})); diff != "" {
		t.Errorf("Pairs -want +got:\n%s", diff)
	}
}

// The written file is what mimo-train's `--pairs jsonl:PATH` reads back.
func TestRoundTrip(t *testing.T) {
	pairs := []data.SentencePair{{Lang: "de", En: "Who <b>?", Text: "Wer & wo?"}, {Lang: "zh", En: "Where?", Text: "哪里？"}}
	path := filepath.Join(t.TempDir(), "pairs.jsonl")
	if err := writeAtomic(path, func(w io.Writer) error { return WriteJSONL(w, pairs) }); err != nil {
		t.Fatal(err)
	}
	got, err := data.ReadPairsJSONL(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pairs, got); diff != "" {
		t.Errorf("round trip -want +got:\n%s", diff)
	}
}

// On the shared data: only training articles are read, and every pair's
// English side comes from a training article.
func TestXQuADTrainingOnly(t *testing.T) {
	dir := os.Getenv("MIMO_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	dir = filepath.Join(dir, "xquad")
	if _, err := os.Stat(filepath.Join(dir, "xquad.en.json")); err != nil {
		t.Skipf("XQuAD data absent (%v); set MIMO_DATA", err)
	}
	train, held, err := data.ReadXQuAD(dir, append([]string{"en"}, Langs...))
	if err != nil {
		t.Fatal(err)
	}
	heldText := map[string]bool{}
	for _, r := range held {
		heldText[r.Query["en"]] = true
		heldText[r.Positive["en"]] = true
	}
	pairs := Pairs(data.Rows(train), Langs)
	if len(pairs) == 0 {
		t.Fatal("no pairs")
	}
	for _, p := range pairs {
		if heldText[p.En] {
			t.Fatalf("pair from a held-out article: %q", p.En)
		}
	}
}
