package tokenize

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	sugarme "github.com/sugarme/tokenizer/pretrained"
)

// Small tokenizer.json files built in code; the expected ids were worked out
// by hand from the vocabularies and merges (see the comments).

func wordPieceJSON() map[string]any {
	vocab := map[string]int{}
	for i, w := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "un",
		"##aff", "##able", ",", "!", "的", "中", "文", "cafe", "running", "run", "##ning", "x"} {
		vocab[w] = i
	}
	special := func(id int, s string) map[string]any {
		return map[string]any{"id": id, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
	}
	return map[string]any{
		"added_tokens":  []any{special(0, "[PAD]"), special(1, "[UNK]"), special(2, "[CLS]"), special(3, "[SEP]"), special(4, "[MASK]")},
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}}},
			"pair":           []any{},
			"special_tokens": map[string]any{"[CLS]": map[string]any{"id": "[CLS]", "ids": []int{2}, "tokens": []string{"[CLS]"}}, "[SEP]": map[string]any{"id": "[SEP]", "ids": []int{3}, "tokens": []string{"[SEP]"}}}},
		"decoder": nil,
		"model":   map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
	}
}

// byteLevelJSON is Qwen2/Qwen3-shaped: NFC, the Qwen2 split regex, byte-level
// alphabet (ids 0..255 are the bytes), a few merges, <|endoftext|> appended.
func byteLevelJSON() map[string]any {
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[string(byteToRune[b])] = b
	}
	merges := [][2]string{{"h", "e"}, {"Ġ", "t"}, {"Ġt", "he"}, {"l", "o"}, {"lo", "w"}, {"e", "r"}}
	for i, m := range merges {
		vocab[m[0]+m[1]] = 256 + i
	}
	vocab["<|endoftext|>"] = 262
	qwen := `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	return map[string]any{
		"added_tokens": []any{map[string]any{"id": 262, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}},
		"normalizer":   map[string]any{"type": "NFC"},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": qwen}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}}},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single":         []any{map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}, map[string]any{"SpecialToken": map[string]any{"id": "<|endoftext|>", "type_id": 0}}},
			"special_tokens": map[string]any{"<|endoftext|>": map[string]any{"id": "<|endoftext|>", "ids": []int{262}, "tokens": []string{"<|endoftext|>"}}}},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "", "end_of_word_suffix": "",
			"fuse_unk": false, "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": merges},
	}
}

// gemmaJSON is SentencePiece-BPE-shaped (Gemma, Llama): spaces become ▁, a ▁
// is prepended, unknown characters fall back to <0xXX> bytes.
func gemmaJSON() map[string]any {
	vocab := map[string]int{"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
	for b := 0; b < 256; b++ {
		vocab[fmt.Sprintf("<0x%02X>", b)] = 4 + b
	}
	for i, p := range []string{"▁", "h", "i", "▁h", "▁hi", "a", "界"} {
		vocab[p] = 260 + i
	}
	return map[string]any{
		"added_tokens": []any{map[string]any{"id": 2, "content": "<bos>", "special": true}},
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Prepend", "prepend": "▁"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"}}},
		"pre_tokenizer": nil,
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "<bos>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"special_tokens": map[string]any{"<bos>": map[string]any{"id": "<bos>", "ids": []int{2}, "tokens": []string{"<bos>"}}}},
		"model": map[string]any{"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
			"vocab": vocab, "merges": []string{"▁ h", "▁h i"}},
	}
}

func mustParse(t *testing.T, v map[string]any) (*Tokenizer, []byte) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return tok, b
}

type idCase struct {
	name   string
	text   string
	maxLen int
	want   []int64
}

func runIDCases(t *testing.T, tok *Tokenizer, cases []idCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := tok.Encode(tc.text, tc.maxLen)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, e.IDs); d != "" {
				t.Errorf("%q (-want +got):\n%s", tc.text, d)
			}
			if len(e.Mask) != len(e.IDs) || len(e.TypeIDs) != len(e.IDs) {
				t.Errorf("mask %d / type ids %d for %d ids", len(e.Mask), len(e.TypeIDs), len(e.IDs))
			}
		})
	}
}

var wordPieceCases = []idCase{
	{"punctuation isolated, lowercased", "Hello, World!", 0, []int64{2, 5, 11, 6, 12, 3}},
	{"subwords", "unaffable", 0, []int64{2, 8, 9, 10, 3}},
	{"accents stripped, longest match first", "Café runnings", 0, []int64{2, 16, 17, 7, 3}},
	{"CJK characters split", "中文的", 0, []int64{2, 14, 15, 13, 3}},
	{"unknown piece makes the word [UNK]", "xyz hello", 0, []int64{2, 1, 5, 3}},
	{"truncation keeps the specials", "hello world hello", 4, []int64{2, 5, 6, 3}},
	{"special token in text", "hello [MASK]", 0, []int64{2, 5, 4, 3}},
	{"control characters dropped", "hel\u0000lo\u200b", 0, []int64{2, 5, 3}},
}

func TestWordPiece(t *testing.T) {
	tok, raw := mustParse(t, wordPieceJSON())
	runIDCases(t, tok, wordPieceCases)

	// Second opinion: github.com/sugarme/tokenizer, whose BERT pipeline is
	// correct on these inputs, must agree.
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	other, err := sugarme.FromFile(path)
	if err != nil {
		t.Fatalf("sugarme: %v", err)
	}
	for _, tc := range wordPieceCases {
		switch tc.name {
		case "accents stripped, longest match first":
			// sugarme's BertNormalizer does not strip accents when
			// strip_accents is null and lowercase is true (tokenizers does:
			// null follows lowercase), so it maps "café" to [UNK].
			continue
		case "truncation keeps the specials", "control characters dropped", "special token in text":
			continue // not the BERT pipeline proper
		}
		e, err := other.EncodeSingle(tc.text, true)
		if err != nil {
			t.Fatalf("sugarme %q: %v", tc.text, err)
		}
		var got []int64
		for _, id := range e.Ids {
			got = append(got, int64(id))
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("sugarme disagrees on %q (-ours +sugarme):\n%s", tc.text, d)
		}
	}
}

func TestByteLevelBPE(t *testing.T) {
	tok, _ := mustParse(t, byteLevelJSON())
	runIDCases(t, tok, []idCase{
		// "lower": lo (rank 3), low (4), er (5); " the": he (0), Ġt (1), Ġthe (2).
		{"merges by rank", "lower the", 0, []int64{260, 261, 258, 262}},
		// \s+(?!\S): of two spaces before "the", the first is a word of its own.
		{"whitespace lookahead", "  the", 0, []int64{32, 258, 262}},
		{"bytes of a non-ASCII character", "é", 0, []int64{0xC3, 0xA9, 262}},
		{"added token in text", "hello<|endoftext|>", 0, []int64{256, 108, 259, 262, 262}},
		{"digits one by one", "2024", 0, []int64{'2', '0', '2', '4', 262}},
		{"contractions", "don't", 0, []int64{'d', 'o', 'n', '\'', 't', 262}},
		{"trailing spaces", "the  ", 0, []int64{'t', 256, 32, 32, 262}},
		{"newlines", "a\n\nb", 0, []int64{'a', 10, 10, 'b', 262}},
		{"truncation", "lower the lower", 3, []int64{260, 261, 262}},
	})
}

func TestSentencePieceBPE(t *testing.T) {
	tok, _ := mustParse(t, gemmaJSON())
	runIDCases(t, tok, []idCase{
		{"merges", "hi", 0, []int64{2, 264}},
		{"space becomes ▁", "hi 界", 0, []int64{2, 264, 260, 266}},
		// ü is not in the vocabulary: UTF-8 C3 BC -> <0xC3> <0xBC>.
		{"byte fallback", "ü", 0, []int64{2, 260, 4 + 0xC3, 4 + 0xBC}},
	})
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
	}{
		{"unknown normalizer", func(m map[string]any) { m["normalizer"] = map[string]any{"type": "Magic"} }},
		{"unknown model", func(m map[string]any) { m["model"] = map[string]any{"type": "Magic"} }},
		{"unk not in vocab", func(m map[string]any) { m["model"].(map[string]any)["unk_token"] = "<nope>" }},
		{"bad split regex", func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "Split", "pattern": map[string]any{"Regex": "(?<=a)b"}, "behavior": "Isolated"}
		}},
		{"template names a missing special token", func(m map[string]any) {
			m["post_processor"].(map[string]any)["special_tokens"] = map[string]any{}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := wordPieceJSON()
			tc.edit(m)
			b, _ := json.Marshal(m)
			if _, err := Parse(b); err == nil {
				t.Error("Parse succeeded")
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestMetaspaceSchemes(t *testing.T) {
	for _, tc := range []struct {
		scheme string
		first  bool
		in     string
		want   []string
	}{
		{"always", false, "a b", []string{"▁a", "▁b"}},
		{"first", false, "a b", []string{"a", "▁b"}},
		{"first", true, "a b", []string{"▁a", "▁b"}},
		{"never", true, "a  b", []string{"a", "▁", "▁b"}},
		{"always", true, "", nil},
	} {
		t.Run(tc.scheme+"/"+tc.in, func(t *testing.T) {
			m := metaspace{replacement: "▁", scheme: tc.scheme, splitWords: true}
			if d := cmp.Diff(tc.want, m.split(tc.in, tc.first)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func BenchmarkUnigramEncode(b *testing.B) {
	tok, err := Load(filepath.Join("testdata", "spm-unigram", "tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	g := readGoldenIDs(b)
	texts := make([]string, len(g))
	for i := range g {
		texts[i] = g[i].Text
	}
	b.ResetTimer()
	for range b.N {
		if _, err := tok.EncodeBatch(texts, 512); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "texts/s")
}

func unigramJSON(byteFallback bool) map[string]any {
	vocab := [][]any{{"<unk>", 0.0}, {"▁", -2.0}, {"a", -3.0}, {"b", -3.0}, {"ab", -2.5}, {"▁ab", -4.0}, {"<0xC3>", -10.0}, {"<0xBC>", -10.0}}
	return map[string]any{
		"pre_tokenizer": map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
		"model":         map[string]any{"type": "Unigram", "unk_id": 0, "vocab": vocab, "byte_fallback": byteFallback},
	}
}

func TestUnigramHandChecked(t *testing.T) {
	t.Run("no byte fallback", func(t *testing.T) {
		tok, _ := mustParse(t, unigramJSON(false))
		runIDCases(t, tok, []idCase{
			// ▁ab (-4) beats ▁+ab (-4.5) and ▁+a+b (-8): Viterbi, not greedy.
			{"best path", "ab", 0, []int64{5}},
			// "ba": b+a (-6) as one word with ▁ (-2).
			{"pieces", "ba", 0, []int64{1, 3, 2}},
			// ü is unknown: <unk>; two unknowns in a row fuse into one.
			{"unknown", "ü", 0, []int64{1, 0}},
			{"unknowns fuse", "üü a", 0, []int64{1, 0, 1, 2}},
		})
	})
	t.Run("byte fallback", func(t *testing.T) {
		tok, _ := mustParse(t, unigramJSON(true))
		runIDCases(t, tok, []idCase{
			{"unknown as bytes", "ü", 0, []int64{1, 6, 7}},
			{"each unknown as bytes", "üü", 0, []int64{1, 6, 7, 6, 7}},
		})
	})
}

func TestPreTokenizers(t *testing.T) {
	for _, tc := range []struct {
		name string
		json string
		in   string
		want []string
	}{
		{"Whitespace", `{"type":"Whitespace"}`, "Hello, wörld!  x_1", []string{"Hello", ",", "wörld", "!", "x_1"}},
		{"WhitespaceSplit", `{"type":"WhitespaceSplit"}`, " a\tb  c ", []string{"a", "b", "c"}},
		{"BertPreTokenizer", `{"type":"BertPreTokenizer"}`, "don't stop", []string{"don", "'", "t", "stop"}},
		{"Digits", `{"type":"Digits","individual_digits":false}`, "ab123c4", []string{"ab", "123", "c", "4"}},
		{"Digits individual", `{"type":"Digits","individual_digits":true}`, "a12", []string{"a", "1", "2"}},
		{"Punctuation", `{"type":"Punctuation","behavior":"Isolated"}`, "a.b!", []string{"a", ".", "b", "!"}},
		{"Split Removed", `{"type":"Split","pattern":{"String":"-"},"behavior":"Removed","invert":false}`, "a-b--c", []string{"a", "b", "c"}},
		{"Split MergedWithPrevious", `{"type":"Split","pattern":{"String":"-"},"behavior":"MergedWithPrevious","invert":false}`, "a-b-", []string{"a-", "b-"}},
		{"Split MergedWithNext", `{"type":"Split","pattern":{"String":"-"},"behavior":"MergedWithNext","invert":false}`, "a-b-", []string{"a", "-b", "-"}},
		{"Split Contiguous", `{"type":"Split","pattern":{"String":"-"},"behavior":"Contiguous","invert":false}`, "a--b", []string{"a", "--", "b"}},
		{"Split unicode \\s", `{"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"Removed","invert":false}`, "a\u3000b\u00a0c", []string{"a", "b", "c"}},
		{"ByteLevel with GPT-2 regex", `{"type":"ByteLevel","add_prefix_space":true,"use_regex":true}`, "hi  there", []string{"Ġhi", "Ġ", "Ġthere"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePreTokenizer(json.RawMessage(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, p.split(tc.in, true)); d != "" {
				t.Errorf("%q (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

func TestNormalizers(t *testing.T) {
	for _, tc := range []struct {
		name, json, in, want string
	}{
		{"NFKC", `{"type":"NFKC"}`, "ＡＢ①ﬁ", "AB1fi"},
		{"NFC", `{"type":"NFC"}`, "e\u0301", "é"},
		{"NFD then StripAccents", `{"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"}]}`, "Ünïcödé", "Unicode"},
		{"Lowercase", `{"type":"Lowercase"}`, "ÀBC", "àbc"},
		{"Strip", `{"type":"Strip","strip_left":true,"strip_right":false}`, "\u3000 a ", "a "},
		{"Replace regex", `{"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "}`, "a   b  c d", "a b c d"},
		{"Replace string", `{"type":"Replace","pattern":{"String":"''"},"content":"\""}`, "''a''", `"a"`},
		{"Prepend", `{"type":"Prepend","prepend":"▁"}`, "a", "▁a"},
		{"Prepend empty", `{"type":"Prepend","prepend":"▁"}`, "", ""},
		{"BertNormalizer", `{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true}`, "Héllo\t中\u0007", "hello  中 "},
		{"BertNormalizer cased", `{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":false,"strip_accents":null,"lowercase":false}`, "Héllo中", "Héllo中"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := parseNormalizer(json.RawMessage(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if got := n.normalize(tc.in); got != tc.want {
				t.Errorf("%q -> %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
