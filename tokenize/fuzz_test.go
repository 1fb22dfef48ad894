package tokenize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Fuzz targets for the tokenizer.json loader and for encoding (issue 12,
// "Fuzzing, in CI"). The invariant: no panic, no hang, no allocation that a
// number in the file (an id, a size) can make grow beyond the file's size;
// an error is non-empty; an encoding has a mask and type ids as long as its
// ids, at most maxLen of them, and truncating while tokenising gives the
// same ids as truncating afterwards. Seeds: the small tokenizers of
// models_test.go, the f.Add calls and testdata/fuzz/FuzzXxx/.

const fuzzMaxInput = 1 << 20

func fuzzJSON(f *testing.F, v map[string]any) []byte {
	f.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// checkEncoding runs Encode and Tokens on text and checks the invariants.
func checkEncoding(t *testing.T, tok *Tokenizer, text string, maxLen int) {
	t.Helper()
	full, ferr := tok.Tokens(text)
	e, err := tok.Encode(text, maxLen)
	if (err == nil) != (ferr == nil) && maxLen <= 0 {
		t.Fatalf("Encode error %v but Tokens error %v", err, ferr)
	}
	if err != nil {
		if err.Error() == "" {
			t.Fatal("empty error")
		}
		return
	}
	if len(e.Mask) != len(e.IDs) || len(e.TypeIDs) != len(e.IDs) {
		t.Fatalf("%d ids, %d mask, %d type ids", len(e.IDs), len(e.Mask), len(e.TypeIDs))
	}
	for i, m := range e.Mask {
		if m != 1 {
			t.Fatalf("mask[%d] = %d", i, m)
		}
	}
	if maxLen > 0 && tok.NumSpecialTokens() <= maxLen && len(e.IDs) > maxLen && !tok.repeatsSequence() {
		t.Fatalf("%d ids for maxLen %d", len(e.IDs), maxLen)
	}
	if ferr != nil {
		return // Encode stopped before the word Tokens failed on
	}
	room := len(full)
	if maxLen > 0 {
		room = min(room, max(maxLen-tok.NumSpecialTokens(), 0))
	}
	want := slices.Clone(full[:room])
	if tok.post != nil {
		want, _ = tok.post.process(want)
	}
	if !slices.Equal(want, e.IDs) {
		t.Fatalf("Encode(%q, %d) = %v, want Tokens truncated then post-processed: %v", text, maxLen, e.IDs, want)
	}
}

// repeatsSequence reports a post-processor template that holds the
// sequence more than once (Encode's maxLen then bounds each copy).
func (t *Tokenizer) repeatsSequence() bool {
	var count func(p postProcessor) int
	count = func(p postProcessor) int {
		n := 0
		switch x := p.(type) {
		case template:
			for _, part := range x {
				if part.seq {
					n++
				}
			}
		case seqPost:
			for _, q := range x {
				n = max(n, count(q))
			}
		default:
			n = 1
		}
		return n
	}
	return t.post != nil && count(t.post) > 1
}

// FuzzParse parses a fuzzed tokenizer.json, reads its vocabulary with
// Pieces, and encodes a fuzzed text with it.
func FuzzParse(f *testing.F) {
	f.Add(fuzzJSON(f, wordPieceJSON()), "Hello, World! unaffable 中文", 0)
	f.Add(fuzzJSON(f, byteLevelJSON()), "hello there <|endoftext|> 'll", 5)
	f.Add(fuzzJSON(f, gemmaJSON()), "hi there", 3)
	f.Add([]byte(`{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0], ["▁a", -1.5], ["b", -2]], "byte_fallback": false}, "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}, "normalizer": {"type": "Precompiled", "precompiled_charsmap": ""}}`), "a b  c", 2)
	f.Add([]byte(`{"model": {"type": "WordPiece", "vocab": {"a": 1000000000}}, "added_tokens": [{"id": 2000000000, "content": "x"}]}`), "a x", 0)
	f.Add([]byte(`{"model": {"type": "WordPiece", "vocab": {"a": -1}}, "added_tokens": [{"id": -7, "content": "x"}]}`), "a x", 0)
	f.Add([]byte(`{"model": {"merges": ["a b"], "vocab": {"a": 0, "b": 1, "ab": 2}}, "post_processor": {"type": "BertProcessing", "sep": ["a", 0], "cls": ["b", 1]}}`), "ab", 1)
	f.Add([]byte(`{"model": null}`), "", 0)
	f.Fuzz(func(t *testing.T, data []byte, text string, maxLen int) {
		if len(data)+len(text) > fuzzMaxInput {
			t.Skip()
		}
		path := filepath.Join(t.TempDir(), "tokenizer.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		pieces, perr := Pieces(path)
		if perr != nil && !strings.Contains(perr.Error(), path) {
			t.Fatalf("Pieces error %q does not name the file", perr)
		}
		if perr == nil && len(pieces) > MaxTokenID+1 {
			t.Fatalf("Pieces: %d pieces, more than MaxTokenID+1", len(pieces))
		}
		tok, err := Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		checkEncoding(t, tok, text, maxLen%1024)
	})
}

// fuzzTokenizers are the real tokenizer.json files of the repository.
var fuzzTokenizers = sync.OnceValues(func() ([]*Tokenizer, error) {
	var out []*Tokenizer
	for _, p := range []string{"testdata/spm-unigram/tokenizer.json", "../adapters/mimo/tokenizer.json"} {
		tok, err := Load(p)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, nil
})

// FuzzEncode encodes fuzzed texts with the repository's real tokenizers
// (XLM-R-shaped SentencePiece Unigram with a Precompiled normaliser, and
// the default model's) and the small hand-built ones.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{
		"Who wrote Hamlet?", "Wer schrieb Hamlet?", "谁写了《哈姆雷特》？", "हैमलेट किसने लिखा?",
		"  leading and   inner  spaces ", "<s>already</s> special <pad>", "\x00\xff\xfe invalid utf-8",
		"e\u0301 ﬁ ① ＡＢ", "a\u200bb\u2028c", strings.Repeat("ab", 300),
	} {
		f.Add(s, uint8(0), 0)
		f.Add(s, uint8(1), 8)
	}
	small := []map[string]any{wordPieceJSON(), byteLevelJSON(), gemmaJSON()}
	var smallToks []*Tokenizer
	for _, v := range small {
		tok, err := Parse(fuzzJSON(f, v))
		if err != nil {
			f.Fatal(err)
		}
		smallToks = append(smallToks, tok)
	}
	f.Fuzz(func(t *testing.T, text string, which uint8, maxLen int) {
		if len(text) > 64<<10 {
			t.Skip() // long texts only repeat what short ones find, slowly
		}
		real, err := fuzzTokenizers()
		if err != nil {
			t.Fatal(err)
		}
		all := append(slices.Clone(real), smallToks...)
		tok := all[int(which)%len(all)]
		checkEncoding(t, tok, text, maxLen%1024)
		e, err := tok.Encode(text, 0)
		if err != nil {
			return
		}
		for i, id := range e.IDs {
			if id < 0 || id >= int64(tok.VocabSize()) {
				t.Fatalf("id[%d] = %d outside the vocabulary of %d", i, id, tok.VocabSize())
			}
		}
	})
}

// TestPiecesHugeID pins the first crasher FuzzParse found
// (testdata/fuzz/FuzzParse/huge-id): a tokenizer.json naming the id 10^9
// made Pieces allocate a billion strings (out of memory); ids above
// MaxTokenID, and negative ones, are now an error naming the file, the
// piece and the id.
func TestPiecesHugeID(t *testing.T) {
	for name, doc := range map[string]string{
		"vocab map": `{"model": {"type": "WordPiece", "vocab": {"a": 1000000000}}}`,
		"added":     `{"model": {"vocab": {"a": 0}}, "added_tokens": [{"id": 2000000000, "content": "x"}]}`,
		"negative":  `{"model": {"vocab": {"a": -1}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokenizer.json")
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Pieces(path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "outside 0..") {
				t.Fatalf("Pieces = %v, want an error naming the file and the range of ids", err)
			}
		})
	}
}
