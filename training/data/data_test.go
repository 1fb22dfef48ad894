package data

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/shareddata"
	"github.com/mimo-mlir/mimo/tasks/xquad"
)

// sharedDir is a folder of the real data beside the repository
// (internal/shareddata: a failure in a full run when absent).
func sharedDir(t *testing.T, sub string) string {
	t.Helper()
	return shareddata.Require(t, sub)
}

func TestFilter(t *testing.T) {
	long := strings.Repeat("x", 513)
	pairs := []SentencePair{
		{"de", "Hello there, friend.", "Hallo, mein Freund."}, // kept
		{"de", "Too short", "Zu kurz, aber lang genug"},       // en 9 chars
		{"fr", "A fine sentence here.", long},                 // 513 chars
		{"fr", "A sentence of some length.", "Une phrase plus longue que trois fois l'anglais, vraiment beaucoup plus longue."}, // ratio >= 3
		{"fr", "Hello there, friend.", "Bonjour, mon ami."},                                                                     // duplicate English (of the de pair)
		{"ja", "Exactly ten", "日本語の文章です。とても良い"},                                                                                 // 11 runes vs 14 runes: kept (counts characters, not bytes)
		{"de", "Another good line.", "Noch eine gute Zeile."},                                                                   // kept, then capped
		{"de", "A third good line!", "Eine dritte gute Zeile!"},                                                                 // kept, then capped
	}
	f := PaperFilter(1)
	f.PerLanguage = 2
	got, st := f.Apply(pairs)
	want := FilterStats{In: 8, Length: 2, Ratio: 1, Duplicate: 1, Capped: 1, Out: 3}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Fatalf("stats (-want +got):\n%s", diff)
	}
	langs := map[string]int{}
	for _, p := range got {
		langs[p.Lang]++
	}
	if diff := cmp.Diff(map[string]int{"de": 2, "ja": 1}, langs); diff != "" {
		t.Fatalf("languages kept (-want +got):\n%s", diff)
	}
	again, _ := f.Apply(pairs)
	if !cmp.Equal(got, again) {
		t.Fatal("cap is not deterministic")
	}
}

func TestReadOPUSTSVGzip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "en-de.tsv.gz")
	f, _ := os.Create(p)
	z := gzip.NewWriter(f)
	if _, err := z.Write([]byte("Good morning to you.\tGuten Morgen dir.\textra\n\nSee you later, friend.\tBis später, Freund.\n")); err != nil {
		t.Fatal(err)
	}
	z.Close()
	f.Close()
	got, err := ReadOPUSTSV(p, "deu")
	if err != nil {
		t.Fatal(err)
	}
	want := []SentencePair{{"de", "Good morning to you.", "Guten Morgen dir."}, {"de", "See you later, friend.", "Bis später, Freund."}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	bad := filepath.Join(dir, "bad.tsv")
	if err := os.WriteFile(bad, []byte("ok\tok\nno tab here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadOPUSTSV(bad, "de"); err == nil || !strings.Contains(err.Error(), "bad.tsv:2") {
		t.Fatalf("want an error naming bad.tsv:2, got %v", err)
	}
}

func TestReadJSONL(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content, errPart string
		rows                   bool
	}{
		{"pairs-ok", `{"lang":"dt","en":"a b","text":"c d"}` + "\n", "", false},
		{"pairs-missing", `{"lang":"de","en":"a"}` + "\n", "required", false},
		{"pairs-unknown-field", `{"lang":"de","en":"a","text":"b","x":1}` + "\n", "unknown field", false},
		{"rows-ok", `{"id":"1","query":{"en":"q","dt":"vq"},"positive":{"en":"p","nl":"vp"}}` + "\n", "", true},
		{"rows-unbalanced", `{"id":"7","query":{"en":"q","de":"fq"},"positive":{"en":"p"}}` + "\n", `row "7" has a de query`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".jsonl")
			if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			var err error
			if c.rows {
				var rows []ParallelRow
				rows, err = ReadRowsJSONL(p)
				if err == nil && (!rows[0].Has("nl") || !rows[0].Has("en")) {
					t.Fatalf("row languages: %+v", rows[0])
				}
			} else {
				var ps []SentencePair
				ps, err = ReadPairsJSONL(p)
				if err == nil && ps[0].Lang != "nl" {
					t.Fatalf("lang not normalised: %+v", ps[0])
				}
			}
			if c.errPart == "" && err != nil {
				t.Fatal(err)
			}
			if c.errPart != "" && (err == nil || !strings.Contains(err.Error(), c.errPart)) {
				t.Fatalf("want error containing %q, got %v", c.errPart, err)
			}
		})
	}
	rows := []ParallelRow{{ID: "a", Query: map[string]string{"en": "q"}, Positive: map[string]string{"en": "p"}}}
	p := filepath.Join(dir, "out.jsonl")
	if err := WriteRowsJSONL(p, rows); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRowsJSONL(p)
	if err != nil || !cmp.Equal(rows, back) {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}

func TestReadTatoebaReal(t *testing.T) {
	dir := sharedDir(t, "tatoeba")
	got, err := ReadTatoeba(dir, []string{"de", "zh"})
	if err != nil {
		t.Fatal(err)
	}
	byLang := map[string]int{}
	for _, p := range got {
		byLang[p.Lang]++
	}
	if diff := cmp.Diff(map[string]int{"de": 1000, "zh": 1000}, byLang); diff != "" {
		t.Fatal(diff)
	}
	for _, p := range got {
		if p.Lang == "de" {
			if p.En != "Mary said she didn't know where Tom was." || p.Text != "Maria sagte, sie wisse nicht, wo Tom sei." {
				t.Fatalf("first German pair: %+v", p)
			}
			break
		}
	}
}

func TestReadXQuADReal(t *testing.T) {
	dir := sharedDir(t, "xquad")
	langs := []string{"ar", "de", "en", "es", "hi", "ru", "vi", "zh"}
	train, held, err := ReadXQuAD(dir, langs)
	if err != nil {
		t.Fatal(err)
	}
	if len(train)+len(held) != 1190 {
		t.Fatalf("%d + %d questions, want 1190", len(train), len(held))
	}
	trainArt, heldArt := map[int]bool{}, map[int]bool{}
	for _, r := range train {
		trainArt[r.Article] = true
		for _, l := range langs {
			if !r.Has(l) {
				t.Fatalf("row %s lacks %s", r.ID, l)
			}
		}
	}
	paragraphs := map[string]bool{}
	for _, r := range held {
		heldArt[r.Article] = true
		paragraphs[r.Positive["en"]] = true
	}
	for a := range heldArt {
		if trainArt[a] {
			t.Fatalf("article %d is in both splits", a)
		}
	}
	for _, r := range train {
		if paragraphs[r.Positive["en"]] {
			t.Fatalf("training row %s uses a held-out paragraph", r.ID)
		}
	}
	if diff := cmp.Diff(xquad.HeldOutArticles(xquad.Articles), sortedKeys(heldArt)); diff != "" {
		t.Fatalf("held-out articles (-want +got):\n%s", diff)
	}
	if got := CommonLanguages(Rows(train)); !cmp.Equal(got, []string{"ar", "de", "en", "es", "hi", "ru", "vi", "zh"}) {
		t.Fatalf("common languages %v", got)
	}
}

func TestReadXQuADMismatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xquad.en.json"), []byte(`{"data":[{"title":"A","paragraphs":[{"context":"c","qas":[{"id":"q1","question":"?"}]}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "xquad.de.json"), []byte(`{"data":[{"title":"A","paragraphs":[{"context":"c","qas":[{"id":"q2","question":"?"}]}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadXQuAD(dir, []string{"en", "de"}); err == nil || !strings.Contains(err.Error(), `"q2"`) {
		t.Fatalf("want an error naming q2, got %v", err)
	}
}

func sortedKeys(m map[int]bool) []int {
	var out []int
	for i := 0; i < 1000; i++ {
		if m[i] {
			out = append(out, i)
		}
	}
	return out
}
