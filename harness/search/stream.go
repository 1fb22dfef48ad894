package search

import (
	"context"
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
	// (default DefaultBlockRows). At most streamBuffers (3) blocks exist at
	// once: one being read, the others being scored.
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
// top-k order is total), with memory bounded by three blocks, the
// per-query top-k buffers (queries x 2K entries) and one tile per worker,
// not by the corpus. Every block is scored against every query before its
// buffer is reused, so the corpus is read once.
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
	st := streamState{o: o, q: q, order: order, heaps: heaps, qbMu: make([]sync.Mutex, (q.Rows+o.QueryBlock-1)/o.QueryBlock)}
	if err := st.run(ctx, c, bs); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	for i := range out {
		out[i] = toHits(heaps[i].result())
	}
	return out, nil
}

// streamState is SearchStream's work: the queries, their top-k buffers and
// a lock per query block (its buffers are updated by one item at a time).
type streamState struct {
	o     Options
	q     Matrix
	order []int32
	heaps []topK
	qbMu  []sync.Mutex
}

// streamBuffers is how many blocks exist at once: one being read, the
// others being scored (a worker may start on the next block while another
// finishes the last one: no barrier between blocks).
const streamBuffers = 3

// block is one read block: rows [start, start+m.Rows); left counts the
// query blocks not yet scored against it.
type block struct {
	start int
	m     Matrix
	left  atomic.Int64
}

// item is one query block to score against one corpus block.
type item struct {
	b  *block
	qb int
}

// run reads the blocks in a goroutine, ahead of the workers, and hands out
// (block, query block) items; a block's buffer is reused once every query
// block has been scored against it. The order in which a query's top-k
// buffer sees the blocks does not matter: its result is the same.
func (st *streamState) run(ctx context.Context, c Blocks, bs int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows, dim := c.Rows(), c.Dim()
	qBlocks := (st.q.Rows + st.o.QueryBlock - 1) / st.o.QueryBlock
	free := make(chan []float32, streamBuffers) // allocated on first use
	for range streamBuffers {
		free <- nil
	}
	items := make(chan item, qBlocks)
	var readErr error
	go func() {
		defer close(items)
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
			if err := c.ReadRows(ctx, start, buf); err != nil {
				readErr = fmt.Errorf("corpus rows %d-%d: %w", start, start+n-1, err)
				cancel()
				return
			}
			b := &block{start: start, m: Matrix{Rows: n, Dim: dim, Data: buf}}
			b.left.Store(int64(qBlocks))
			for qb := range qBlocks {
				select {
				case items <- item{b, qb}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for range min(st.o.Workers, qBlocks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tile := make([]float32, st.o.QueryBlock*st.o.Chunk)
			for it := range items {
				if ctx.Err() == nil {
					st.score(tile, it)
				}
				if it.b.left.Add(-1) == 0 {
					free <- it.b.m.Data
				}
			}
		}()
	}
	wg.Wait() // the workers end when the reader has closed items
	if readErr != nil {
		return readErr
	}
	return ctx.Err()
}

// score offers block it.b to the queries of query block it.qb.
func (st *streamState) score(tile []float32, it item) {
	o := st.o
	q0 := it.qb * o.QueryBlock
	nq := min(o.QueryBlock, st.q.Rows-q0)
	st.qbMu[it.qb].Lock()
	defer st.qbMu[it.qb].Unlock()
	// The kernel's tiler (its packed query panels) for this query block;
	// the block's scoring dwarfs the packing.
	tl := newTiler()
	tl.setQueries(st.q, q0, nq)
	for cs := 0; cs < it.b.m.Rows; cs += o.Chunk {
		nc := min(o.Chunk, it.b.m.Rows-cs)
		tl.score(tile, o.Chunk, it.b.m, cs, nc)
		for i := 0; i < nq; i++ {
			st.heaps[q0+i].offer(tile[i*o.Chunk:i*o.Chunk+nc], st.order, int32(it.b.start+cs))
		}
	}
}
