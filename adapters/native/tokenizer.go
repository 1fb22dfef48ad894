package native

import (
	"github.com/mimo-mlir/mimo/tokenize"
)

func init() {
	loadTokenizer = func(path string) (textTokenizer, error) {
		t, err := tokenize.Load(path)
		if err != nil {
			return nil, err
		}
		return hfTokenizer{t}, nil
	}
}

// hfTokenizer adapts a tokenizer.json tokenizer to textTokenizer.
type hfTokenizer struct{ t *tokenize.Tokenizer }

func (h hfTokenizer) Tokenize(texts []string, maxLen int) ([][]int64, error) {
	encs, err := h.t.EncodeBatch(texts, maxLen)
	if err != nil {
		return nil, err
	}
	ids := make([][]int64, len(encs))
	for i, e := range encs {
		ids[i] = e.IDs
	}
	return ids, nil
}
