package harness

import (
	"context"
	"errors"
	"fmt"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/harness/cache"
	"github.com/mimo-mlir/mimo/harness/search"
)

// streamedCorpus is the corpus searched from the embedding cache
// (Options.SearchBlock): every document's vector located in the cache (encode
// has just put the missing ones there), normalised as it is read.
func (ev *evaluator) streamedCorpus(task string, dids, dtexts []string) (search.Blocks, error) {
	key := ev.cacheKey(adapters.RoleDocument, task)
	rows, err := ev.cache.Rows(key, dtexts)
	if err != nil {
		var me *cache.MissingError
		if errors.As(err, &me) && ev.cache.ReadOnly(key) {
			return nil, fmt.Errorf("document %q is not in the embedding cache, which another process holds (a search in blocks reads every document from the cache): %w", dids[me.First], err)
		}
		return nil, fmt.Errorf("search in blocks: %w", err)
	}
	if rows.Len() > 0 && rows.Dim() != ev.dim {
		return nil, fmt.Errorf("search in blocks: the cache holds dimension %d, the encoder %d", rows.Dim(), ev.dim)
	}
	return search.NormalizedRows(rows, dids), nil
}

// docRow is document row i, normalised: a slice of the matrix in memory,
// or a fresh one read from the cache.
func (ix *index) docRow(i int) ([]float32, error) {
	if ix.corpus == nil {
		return ix.dm.Row(i), nil
	}
	v := make([]float32, ix.corpus.Dim())
	if err := ix.corpus.ReadRows(context.Background(), i, v); err != nil {
		return nil, fmt.Errorf("document %q: %w", ix.dids[i], err)
	}
	return v, nil
}
