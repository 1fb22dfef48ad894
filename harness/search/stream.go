package search

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Blocks is a corpus too large to hold in memory, read block by block (the
// harness reads it from the on-disk embedding cache). ReadRows fills dst,
// whose length is a multiple of Dim, with the normalised rows from start on
// (see NormalizeRows). SearchStream calls it from one goroutine at a time.
type Blocks interface {
	Rows() int
	Dim() int
	ReadRows(ctx context.Context, start int, dst []float32) error
}

// DefaultBlockRows is how many corpus rows SearchStream reads per block.
const DefaultBlockRows = 16384

// StreamOptions tune SearchStream: Options, and the block size.
type StreamOptions struct {
	Options
	// BlockRows is how many corpus rows are read and scored per block
	// (default DefaultBlockRows). Two blocks exist at once: one scored, the
	// next being read.
	BlockRows int
}

// NormalizeRows L2-normalises the rows of data (dimension dim) in place,
// exactly as Normalized does; a bad row is an error naming ids[start+i].
func NormalizeRows(ids []string, start int, data []float32, dim int) error {
	for i := 0; i*dim < len(data); i++ {
		row := data[i*dim : (i+1)*dim]
		if err := normalizeInto(row, row); err != nil {
			return fmt.Errorf("search: embedding of %q: %w", ids[start+i], err)
		}
	}
	return nil
}

// RowReader reads raw vectors by row (the embedding cache's Rows is one):
// Read fills dst, a multiple of Dim long, from row start on.
type RowReader interface {
	Len() int
	Dim() int
	Read(start int, dst []float32) error
}

// NormalizedRows is the Blocks of r's rows, normalised as they are read,
// exactly as Normalized does; a bad row is an error naming its id.
func NormalizedRows(r RowReader, ids []string) Blocks { return normalizedRows{r, ids} }

type normalizedRows struct {
	r   RowReader
	ids []string
}

func (n normalizedRows) Rows() int { return n.r.Len() }
func (n normalizedRows) Dim() int  { return n.r.Dim() }
func (n normalizedRows) ReadRows(_ context.Context, start int, dst []float32) error {
	if err := n.r.Read(start, dst); err != nil {
		return err
	}
	return NormalizeRows(n.ids, start, dst, n.r.Dim())
}

// SearchStream is Search over a corpus read in blocks: the same hits, bit
// for bit (scores do not depend on where a pair falls in a tile, and the
// top-k order is total), with memory bounded by two blocks, the per-query
// top-k buffers (queries x 2K entries) and one tile per worker, not by the
// corpus. Every block is scored against every query before the next one is
// used, so the corpus is read once.
func SearchStream(ctx context.Context, q Matrix, c Blocks, order []int32, opts StreamOptions) ([][]Hit, error) {
	o := opts.withDefaults()
	bs := opts.BlockRows
	if bs <= 0 {
		bs = DefaultBlockRows
	}
	rows, dim := c.Rows(), c.Dim()
	if err := checkShapes(q, rows, dim, rows*dim, order); err != nil {
		return nil, err
	}
	out := make([][]Hit, q.Rows)
	if q.Rows == 0 || rows == 0 {
		for i := range out {
			out[i] = []Hit{}
		}
		return out, ctx.Err()
	}
	// Query blocks small enough that every worker has one (the corpus is
	// not split: one top-k buffer per query).
	o.QueryBlock = max(1, min(o.QueryBlock, (q.Rows+o.Workers-1)/o.Workers))
	heaps := make([]topK, q.Rows)
	for i := range heaps {
		heaps[i].reset(o.K)
	}
	st := streamState{o: o, q: q, order: order, heaps: heaps, tiles: make([][]float32, o.Workers)}
	for w := range st.tiles {
		st.tiles[w] = make([]float32, o.QueryBlock*o.Chunk)
	}
	if err := st.run(ctx, c, bs); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	for i := range out {
		out[i] = toHits(heaps[i].result())
	}
	return out, nil
}

// streamState is SearchStream's work: the queries, their top-k buffers and
// one tile buffer per worker.
type streamState struct {
	o     Options
	q     Matrix
	order []int32
	heaps []topK
	tiles [][]float32
}

// block is one read block: rows [start, start+m.Rows).
type block struct {
	start int
	m     Matrix
	err   error
}

// run reads the blocks in a goroutine, one ahead of the one being scored.
func (st *streamState) run(ctx context.Context, c Blocks, bs int) error {
	ctx, cancel := context.WithCancel(ctx)
	rows, dim := c.Rows(), c.Dim()
	free := make(chan []float32, 2) // the two buffers, allocated on first use
	free <- nil
	free <- nil
	full := make(chan block, 1)
	defer func() {
		// Stop the reader and wait for it: no read outlives the call.
		cancel()
		for range full {
		}
	}()
	go func() {
		defer close(full)
		for start := 0; start < rows; start += bs {
			var buf []float32
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			n := min(bs, rows-start)
			if cap(buf) < n*dim {
				buf = make([]float32, n*dim)
			}
			buf = buf[:n*dim]
			err := c.ReadRows(ctx, start, buf)
			if err != nil {
				err = fmt.Errorf("corpus rows %d-%d: %w", start, start+n-1, err)
			}
			select {
			case full <- block{start: start, m: Matrix{Rows: n, Dim: dim, Data: buf}, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	done := 0
	for b := range full {
		if b.err != nil {
			return b.err
		}
		if err := st.score(ctx, b); err != nil {
			return err
		}
		done += b.m.Rows
		free <- b.m.Data
	}
	if done < rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		return errors.New("corpus reader stopped early")
	}
	return ctx.Err()
}

// score offers one block to every query, the query blocks spread over the
// workers.
func (st *streamState) score(ctx context.Context, b block) error {
	o := st.o
	items := (st.q.Rows + o.QueryBlock - 1) / o.QueryBlock
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, o.Workers)
	for w := 0; w < o.Workers && w < items; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := st.tiles[w]
			for {
				it := int(next.Add(1) - 1)
				if it >= items {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				q0 := it * o.QueryBlock
				nq := min(o.QueryBlock, st.q.Rows-q0)
				for cs := 0; cs < b.m.Rows; cs += o.Chunk {
					nc := min(o.Chunk, b.m.Rows-cs)
					scoreTile(buf, o.Chunk, st.q, q0, nq, b.m, cs, nc)
					for i := 0; i < nq; i++ {
						st.heaps[q0+i].offer(buf[i*o.Chunk:i*o.Chunk+nc], st.order, int32(b.start+cs))
					}
				}
			}
		}(w)
	}
	wg.Wait()
	return errors.Join(errs...)
}
