package lexical

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/mini"
)

var ctx = context.Background()

func TestFeatures(t *testing.T) {
	e, err := New(Config{MinN: 3, MaxN: 4})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"words are padded, punctuation splits", "Hi, Bob!", []string{" hi", "hi ", " hi ", " bo", "bob", "ob ", " bob", "bob "}},
		{"case and NFKC folding", "ＡＢ ab", []string{" ab", "ab ", " ab ", " ab", "ab ", " ab "}},
		{"a run shorter than MinN is its padded self", "x", []string{" x "}},
		{"CJK gives 1- and 2-grams", "水沸腾", []string{"水", "水沸", "沸", "沸腾", "腾"}},
		{"script change splits a word", "DNA分子", []string{" dn", "dna", "na ", " dna", "dna ", "分", "分子", "子"}},
		{"digits are word characters", "1969年", []string{" 19", "196", "969", "69 ", " 196", "1969", "969 ", "年"}},
		{"Arabic diacritics and tatweel dropped", "كَتَبَ كـتب", []string{" كت", "كتب", "تب ", " كتب", "كتب ", " كت", "كتب", "تب ", " كتب", "كتب "}},
		{"katakana long vowel stays in the run", "コーヒー", []string{"コ", "コー", "ー", "ーヒ", "ヒ", "ヒー", "ー"}},
		{"no letters", " ,.!? ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, e.Features(tc.text)); d != "" {
				t.Errorf("Features(%q) (-want +got):\n%s", tc.text, d)
			}
		})
	}
}

func TestEncodeProperties(t *testing.T) {
	e := Default()
	texts := make([]string, 100)
	for i := range texts {
		texts[i] = fmt.Sprintf("Document %d talks about topic %d in the year %d.", i, i%7, 1900+i)
	}
	batch, err := e.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: texts})
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		one, err := e.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Texts: []string{text}})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(one[0], batch[i]) {
			t.Fatalf("text %d: vector differs between a batch of 100 (parallel) and a batch of 1, or between roles", i)
		}
		if len(one[0]) != e.Dim() {
			t.Fatalf("dim %d, want %d", len(one[0]), e.Dim())
		}
		var ss float64
		for _, x := range one[0] {
			ss += float64(x) * float64(x)
		}
		if math.Abs(ss-1) > 1e-5 {
			t.Fatalf("text %d: squared norm %v, want 1", i, ss)
		}
	}
	// Similar texts are closer than unrelated ones.
	v, _ := e.Encode(ctx, adapters.Request{Texts: []string{
		"the quick brown fox jumps over the lazy dog",
		"a quick brown fox jumped over a lazy dog",
		"photosynthesis happens in chloroplasts",
	}})
	if a, b := cos(v[0], v[1]), cos(v[0], v[2]); a < 0.5 || b > 0.2 {
		t.Errorf("cos(paraphrase) = %.3f, cos(unrelated) = %.3f", a, b)
	}
}

func TestEncodeErrors(t *testing.T) {
	e := Default()
	_, err := e.Encode(ctx, adapters.Request{Texts: []string{"fine", "...", "fine"}})
	if err == nil || !strings.Contains(err.Error(), "text 1") {
		t.Errorf("err = %v, want one naming text 1", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Encode(cctx, adapters.Request{Texts: []string{"a b c"}}); err == nil {
		t.Error("cancelled context: no error")
	}
	for _, cfg := range []Config{{Dim: 1}, {MinN: 4, MaxN: 3}, {Dim: 8, IDF: make([]float32, 4)}, {Dim: 2, IDF: []float32{1, float32(math.NaN())}}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%v): no error", cfg)
		}
	}
}

func TestIdentity(t *testing.T) {
	a, b := Default().Identity(), Default().Identity()
	if a.Key() != b.Key() || a.Kind != "lexical" || a.Dim != DefaultDim || !a.Normalize {
		t.Errorf("identity %+v", a)
	}
	c, _ := New(Config{MaxN: 4})
	if c.Identity().Key() == a.Key() {
		t.Error("a different n-gram range must change the identity key")
	}
}

func TestFitAndFolder(t *testing.T) {
	corpus := []string{"the cat sat", "the dog sat", "the bird flew", "a fish swam"}
	idf, err := Fit(ctx, Config{Dim: 256}, corpus)
	if err != nil {
		t.Fatal(err)
	}
	e0, _ := New(Config{Dim: 256})
	bucket := func(f string) int { return int((hashRunes([]rune(f)) & (1<<63 - 1)) % 256) }
	// " th" is in 3 of 4 texts, " fi" in 1: rarer features weigh more.
	if idf[bucket(" th")] >= idf[bucket(" fi")] {
		t.Errorf("idf(\" th\") = %v, idf(\" fi\") = %v", idf[bucket(" th")], idf[bucket(" fi")])
	}
	if want := float32(math.Log(5.0/4.0) + 1); math.Abs(float64(idf[bucket(" th")]-want)) > 1e-6 && !collides(e0, corpus, " th") {
		t.Errorf("idf(\" th\") = %v, want ln(5/4)+1 = %v", idf[bucket(" th")], want)
	}

	dir := t.TempDir()
	if err := WriteIDF(filepath.Join(dir, "idf.bin"), idf); err != nil {
		t.Fatal(err)
	}
	writeFolder(t, dir, `{"kind": "lexical", "name": "lex-idf", "options": {"dim": 256, "idf": "idf.bin", "max_n": 5}}`)
	f, err := adapters.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := adapters.OpenFolder(ctx, f, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	id := enc.Identity()
	if id.Name != "lex-idf" || id.Dim != 256 || !strings.HasPrefix(id.Extra["idf"], "sha256:") {
		t.Errorf("identity %+v", id)
	}
	direct, _ := New(Config{Dim: 256, IDF: idf, Name: "lex-idf"})
	got, _ := enc.Encode(ctx, adapters.Request{Texts: corpus})
	want, _ := direct.Encode(ctx, adapters.Request{Texts: corpus})
	if !cmp.Equal(got, want) {
		t.Error("folder-opened encoder differs from New with the same table")
	}

	bad := []struct{ json, want string }{
		{`{"kind": "lexical", "options": {"dims": 4}}`, `unknown option "dims"`},
		{`{"kind": "lexical", "options": {"dim": 4.5}}`, `option "dim": want a positive integer`},
		{`{"kind": "lexical", "options": {"idf": "missing.bin"}}`, "missing.bin"},
		{`{"kind": "lexical", "dim": 8, "options": {"dim": 16}}`, "disagrees"},
		{`{"kind": "lexical", "options": {"dim": 128, "idf": "idf.bin"}}`, "IDF table has 256 weights, dim is 128"},
	}
	for _, b := range bad {
		writeFolder(t, dir, b.json)
		f, err := adapters.ReadFolder(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adapters.OpenFolder(ctx, f, adapters.Options{}); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: err = %v, want %q", b.json, err, b.want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.bin"), []byte("MIMOIDF1\x10\x00\x00\x00abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIDF(filepath.Join(dir, "bad.bin")); err == nil || !strings.Contains(err.Error(), "header says 16 weights") {
		t.Errorf("truncated idf: err = %v", err)
	}
}

// collides reports whether another feature of the corpus shares f's bucket.
func collides(e *Encoder, corpus []string, f string) bool {
	b := hashRunes([]rune(f)) & (1<<63 - 1) % uint64(e.cfg.Dim)
	for _, t := range corpus {
		for _, g := range e.Features(t) {
			if g != f && hashRunes([]rune(g))&(1<<63-1)%uint64(e.cfg.Dim) == b {
				return true
			}
		}
	}
	return false
}

func writeFolder(t *testing.T, dir, js string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// accuracyAt1 is the share of queries in qlang whose own passage, among the
// documents in dlang only, is ranked first.
func accuracyAt1(qv, dv map[string][]float32, qs []tasks.Query, docs []tasks.Doc, qlang, dlang string) float64 {
	hit, n := 0, 0
	for _, q := range qs {
		if q.Lang != qlang {
			continue
		}
		best, bestScore := "", math.Inf(-1)
		for _, d := range docs {
			if d.Lang != dlang {
				continue
			}
			if s := cos(qv[q.ID], dv[d.ID]); s > bestScore {
				best, bestScore = d.Group, s
			}
		}
		n++
		if "q"+strings.TrimPrefix(best, "p") == q.Group {
			hit++
		}
	}
	return float64(hit) / float64(n)
}

// TestMiniShowsLexicalGap is the reason the baseline exists: on the mini
// benchmark lexical matching finds the right passage within a language, and
// all but fails across scripts, where only digits and Latin names are shared.
func TestMiniShowsLexicalGap(t *testing.T) {
	ds, err := mini.Task{}.Load(ctx, tasks.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := ds[0]
	e := Default()
	encode := func(texts []string) [][]float32 {
		v, err := e.Encode(ctx, adapters.Request{Texts: texts})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	qv, dv := map[string][]float32{}, map[string][]float32{}
	var qt, dt []string
	for _, q := range d.Queries {
		qt = append(qt, q.Text)
	}
	for _, doc := range d.Corpus {
		dt = append(dt, doc.Text)
	}
	for i, v := range encode(qt) {
		qv[d.Queries[i].ID] = v
	}
	for i, v := range encode(dt) {
		dv[d.Corpus[i].ID] = v
	}
	script := map[string]string{"en": "Latn", "de": "Latn", "es": "Latn", "fr": "Latn", "ru": "Cyrl", "zh": "Hani", "ja": "Jpan", "ar": "Arab"}
	langs := mini.Langs()
	var same, cross []float64
	table := map[string]float64{}
	for _, ql := range langs {
		for _, dl := range langs {
			acc := accuracyAt1(qv, dv, d.Queries, d.Corpus, ql, dl)
			table[ql+">"+dl] = acc
			switch {
			case ql == dl:
				same = append(same, acc)
			case script[ql] != script[dl] && !(script[ql]+script[dl] == "HaniJpan" || script[ql]+script[dl] == "JpanHani"):
				// Chinese and Japanese share Han characters; they are
				// different languages but not disjoint scripts.
				cross = append(cross, acc)
			}
		}
	}
	mean := func(x []float64) float64 {
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s / float64(len(x))
	}
	var keys []string
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%.2f ", k, table[k])
	}
	t.Logf("accuracy@1 among one language's 48 passages: %s", b.String())
	t.Logf("same language: %.3f; across scripts: %.3f (chance 1/48 = %.3f)", mean(same), mean(cross), 1.0/48)
	if m := mean(same); m < 0.8 {
		t.Errorf("same-language accuracy@1 = %.3f, want >= 0.8", m)
	}
	if m := mean(cross); m > 0.25 {
		t.Errorf("cross-script accuracy@1 = %.3f, want <= 0.25", m)
	}
	if mean(same) < 3*mean(cross) {
		t.Errorf("same-language (%.3f) should dwarf cross-script (%.3f)", mean(same), mean(cross))
	}
}

func BenchmarkEncode(b *testing.B) {
	ds, err := mini.Task{}.Load(ctx, tasks.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var texts []string
	for _, doc := range ds[0].Corpus {
		texts = append(texts, doc.Text)
	}
	for _, bc := range []struct {
		name  string
		batch []string
	}{{"one", texts[:1]}, {"corpus384", texts}} {
		b.Run(bc.name, func(b *testing.B) {
			e := Default()
			n := 0
			for _, t := range bc.batch {
				n += len(t)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := e.Encode(ctx, adapters.Request{Texts: bc.batch}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
