package mini

import (
	"context"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/internal/minisource"
	"github.com/mimo-mlir/mimo/tasks"
)

func loadSource(t *testing.T) []minisource.Item {
	t.Helper()
	items, err := minisource.Load(os.DirFS("source"))
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// The embedded jsonl must be exactly what the generator makes of the source.
func TestEmbeddedMatchesSource(t *testing.T) {
	q, c, r, err := minisource.Render(loadSource(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"queries.jsonl": q, "corpus.jsonl": c, "qrels.jsonl": r} {
		got, err := fs.ReadFile(Data(), "data/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("data/%s is stale: run `go generate ./tasks/mini`", name)
		}
	}
}

func load(t *testing.T, langs ...string) tasks.Dataset {
	t.Helper()
	ds, err := Task{}.Load(context.Background(), tasks.LoadOptions{Langs: langs})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("%d datasets, want 1", len(ds))
	}
	return ds[0]
}

func TestShape(t *testing.T) {
	d := load(t)
	m := Task{}.Metadata()
	if len(d.Queries) != m.ExpectedQueries || len(d.Corpus) != m.ExpectedCorpus {
		t.Fatalf("%d queries, %d docs; metadata expects %d, %d", len(d.Queries), len(d.Corpus), m.ExpectedQueries, m.ExpectedCorpus)
	}
	if len(d.Queries) < 48*8 {
		t.Errorf("%d queries, want at least 48 passages x 8 languages", len(d.Queries))
	}
	if len(d.Skipped) != 0 {
		t.Errorf("skipped %v, want nothing", d.Skipped)
	}
	docs := map[string]tasks.Doc{}
	groupLangs := map[string][]string{}
	for _, doc := range d.Corpus {
		if strings.TrimSpace(doc.Text) == "" {
			t.Errorf("doc %s is empty", doc.ID)
		}
		docs[doc.ID] = doc
		groupLangs[doc.Group] = append(groupLangs[doc.Group], doc.Lang)
	}
	for g, ls := range groupLangs {
		slices.Sort(ls)
		want := Langs()
		slices.Sort(want)
		if !slices.Equal(ls, want) {
			t.Errorf("passage %s has languages %v, want %v", g, ls, want)
		}
	}
	nq := 0
	qrels := 0
	seenQ := map[string]bool{}
	for _, q := range d.Queries {
		if seenQ[q.ID] {
			t.Errorf("duplicate query %s", q.ID)
		}
		seenQ[q.ID] = true
		if strings.TrimSpace(q.Text) == "" {
			t.Errorf("query %s is empty", q.ID)
		}
		rel := d.Qrels[q.ID]
		if len(rel) != 8 {
			t.Errorf("query %s has %d relevant docs, want 8", q.ID, len(rel))
		}
		langs := map[string]bool{}
		for did, r := range rel {
			doc, ok := docs[did]
			if !ok || r != 1 {
				t.Errorf("query %s: qrel %s=%d (in corpus: %v)", q.ID, did, r, ok)
				continue
			}
			langs[doc.Lang] = true
			if "q"+strings.TrimPrefix(doc.Group, "p") != q.Group {
				t.Errorf("query %s (group %s) judges doc %s of group %s", q.ID, q.Group, did, doc.Group)
			}
		}
		if len(langs) != 8 {
			t.Errorf("query %s: relevant docs cover %d languages, want 8", q.ID, len(langs))
		}
		nq++
		qrels += len(rel)
	}
	if qrels != m.ExpectedQrels {
		t.Errorf("%d qrels, metadata expects %d", qrels, m.ExpectedQrels)
	}
}

func TestLangFilter(t *testing.T) {
	d := load(t, "en", "zh")
	if len(d.Queries) != 96 || len(d.Corpus) != 96 {
		t.Fatalf("en+zh: %d queries, %d docs, want 96, 96", len(d.Queries), len(d.Corpus))
	}
	for _, q := range d.Queries {
		if len(d.Qrels[q.ID]) != 2 {
			t.Errorf("query %s has %d relevant docs, want 2 (en and zh)", q.ID, len(d.Qrels[q.ID]))
		}
	}
}

func TestSelect(t *testing.T) {
	for _, spec := range []string{"mini", "MiniMLIR", "minimlir"} {
		ts, err := tasks.Select(spec)
		if err != nil {
			t.Fatalf("Select(%q): %v", spec, err)
		}
		if len(ts) != 1 || ts[0].Metadata().Name != Name {
			t.Errorf("Select(%q) = %v", spec, ts)
		}
	}
}

// numRe finds numbers, with the thousands and decimal separators of the 8
// languages (8,849 / 8.849 / 8 849 with a no-break space / 42,195 / 1.3).
var numRe = regexp.MustCompile(`[0-9٠-٩]+(?:[.,\x{00a0}\x{202f}][0-9٠-٩]+)*`)

func numbers(s string) []string {
	var out []string
	for _, m := range numRe.FindAllString(s, -1) {
		var b strings.Builder
		for _, r := range m {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
			case r >= '٠' && r <= '٩': // Arabic-Indic digits
				b.WriteRune('0' + r - '٠')
			}
		}
		out = append(out, b.String())
	}
	slices.Sort(out)
	return out
}

// The translations are parallel: every language states the same numbers
// (years, measures, counts) as the English original, as often.
func TestNumbersParallel(t *testing.T) {
	withNumbers := 0
	for _, it := range loadSource(t) {
		for field, m := range map[string]map[string]string{"passage": it.Passage, "question": it.Question} {
			want := numbers(m["en"])
			if field == "passage" && len(want) > 0 {
				withNumbers++
			}
			for _, l := range Langs() {
				if diff := cmp.Diff(want, numbers(m[l])); diff != "" {
					t.Errorf("%s %s %s: numbers differ from English (-en +%s):\n%s", it.Topic, it.ID, field, l, diff)
				}
			}
		}
	}
	if withNumbers < 30 {
		t.Errorf("only %d passages state a number; the parallelism check needs material", withNumbers)
	}
}

// Each language version is written in its language's script, and is not a
// copy of another language's text.
func TestScripts(t *testing.T) {
	script := map[string]func(rune) bool{
		"ru": func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) },
		"zh": func(r rune) bool { return unicode.Is(unicode.Han, r) },
		"ja": func(r rune) bool { return isKana(r) || unicode.Is(unicode.Han, r) },
		"ar": func(r rune) bool { return unicode.Is(unicode.Arabic, r) },
	}
	for _, it := range loadSource(t) {
		for field, m := range map[string]map[string]string{"passage": it.Passage, "question": it.Question} {
			seen := map[string]string{}
			for _, l := range Langs() {
				text := m[l]
				if other, dup := seen[text]; dup {
					t.Errorf("%s %s: %s in %s is a copy of %s", it.ID, field, l, other, l)
				}
				seen[text] = l
				letters, inScript, latin, kana := 0, 0, 0, 0
				for _, r := range text {
					if isKana(r) {
						kana++
					}
					if !unicode.IsLetter(r) {
						continue
					}
					letters++
					if unicode.Is(unicode.Latin, r) {
						latin++
					}
					if f := script[l]; f != nil && f(r) {
						inScript++
					}
				}
				if (l == "ja") != (kana > 0) {
					t.Errorf("%s %s %s: %d kana; only Japanese has kana", it.ID, field, l, kana)
				}
				if f := script[l]; f != nil {
					if inScript*2 < letters {
						t.Errorf("%s %s %s: only %d of %d letters in the language's script", it.ID, field, l, inScript, letters)
					}
				} else if latin != letters {
					t.Errorf("%s %s %s: %d of %d letters are not Latin", it.ID, field, l, letters-latin, letters)
				}
			}
		}
	}
}

func TestTopicsVaried(t *testing.T) {
	topics := map[string]int{}
	for _, it := range loadSource(t) {
		topics[it.Topic]++
	}
	if len(topics) < 5 {
		t.Errorf("topics %v, want at least 5", topics)
	}
}

func isKana(r rune) bool { return unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) }
