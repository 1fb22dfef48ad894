package training

import (
	"strings"

	"github.com/mimo-mlir/mimo/tokenize"
)

// HashTokenizer is a vocabulary-free tokenizer for the tiny Bag student in
// tests and benchmarks: each whitespace-separated word becomes id
// 1 + fnv1a(word) % (Vocab-1); 0 is padding. Real runs use tokenizer.json.
type HashTokenizer struct{ Vocab int }

// PadID is 0.
func (HashTokenizer) PadID() int64 { return 0 }

// EncodeBatch implements Tokenizer.
func (h HashTokenizer) EncodeBatch(texts []string, maxLen int) ([]tokenize.Encoding, error) {
	out := make([]tokenize.Encoding, len(texts))
	for i, t := range texts {
		words := strings.Fields(t)
		if maxLen > 0 && len(words) > maxLen {
			words = words[:maxLen]
		}
		e := tokenize.Encoding{IDs: make([]int64, len(words)), Mask: make([]int64, len(words)), TypeIDs: make([]int64, len(words))}
		for j, w := range words {
			x := uint32(2166136261)
			for k := 0; k < len(w); k++ {
				x ^= uint32(w[k])
				x *= 16777619
			}
			e.IDs[j] = 1 + int64(x%uint32(h.Vocab-1))
			e.Mask[j] = 1
		}
		out[i] = e
	}
	return out, nil
}
