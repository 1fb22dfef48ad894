package search

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// DefaultDepth is how many documents Search keeps per query: MTEB's largest k.
const DefaultDepth = 1000

// Hit is one retrieved document: its row in the corpus Matrix and its score.
type Hit struct {
	Doc   int32
	Score float32
}

// Options tunes Search. Zero values take the defaults.
type Options struct {
	// K is the depth kept per query (default DefaultDepth).
	K int
	// QueryBlock is how many query rows one work item scores together
	// (default 64).
	QueryBlock int
	// Chunk is how many corpus rows are scored per tile (default 256).
	Chunk int
	// Workers is the number of goroutines (default GOMAXPROCS).
	Workers int
}

func (o Options) withDefaults() Options {
	if o.K <= 0 {
		o.K = DefaultDepth
	}
	if o.QueryBlock <= 0 {
		o.QueryBlock = 64
	}
	if o.Chunk <= 0 {
		o.Chunk = 256
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// TieOrder returns, for each id, its ordinal in byte-wise ascending order
// of ids; pass it to Search as order. Equal ids get equal ordinals.
func TieOrder(ids []string) []int32 {
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ids[idx[a]] < ids[idx[b]] })
	out := make([]int32, len(ids))
	var ord int32
	for r, i := range idx {
		if r > 0 && ids[i] != ids[idx[r-1]] {
			ord++
		}
		out[i] = ord
	}
	return out
}

// Search returns, for every row of q, the top K rows of c by dot product,
// in canonical order: score descending, then order[doc] descending (which is
// document id descending when order comes from TieOrder). q and c must be
// normalised (see Normalized) for the scores to be cosines.
func Search(ctx context.Context, q, c Matrix, order []int32, opts Options) ([][]Hit, error) {
	o := opts.withDefaults()
	if q.Rows > 0 && c.Rows > 0 && q.Dim != c.Dim {
		return nil, fmt.Errorf("search: query dimension %d, corpus dimension %d", q.Dim, c.Dim)
	}
	if len(order) != c.Rows {
		return nil, fmt.Errorf("search: %d tie-break ordinals for %d corpus rows", len(order), c.Rows)
	}
	if len(q.Data) != q.Rows*q.Dim || len(c.Data) != c.Rows*c.Dim {
		return nil, fmt.Errorf("search: matrix data length does not match rows x dim")
	}
	out := make([][]Hit, q.Rows)
	if q.Rows == 0 || c.Rows == 0 {
		for i := range out {
			out[i] = []Hit{}
		}
		return out, ctx.Err()
	}

	// Work items are (query block, corpus segment). With fewer query blocks
	// than workers the corpus is split into segments whose partial top-k
	// lists are merged at the end.
	qBlocks := (q.Rows + o.QueryBlock - 1) / o.QueryBlock
	segs := 1
	if qBlocks < o.Workers {
		segs = (o.Workers + qBlocks - 1) / qBlocks
		if maxSegs := (c.Rows + o.Chunk - 1) / o.Chunk; segs > maxSegs {
			segs = maxSegs
		}
	}
	segLen := (c.Rows + segs - 1) / segs
	partial := make([][][]entry, segs) // [segment][query] -> entries
	for s := range partial {
		partial[s] = make([][]entry, q.Rows)
	}

	items := qBlocks * segs
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, o.Workers)
	for w := 0; w < o.Workers && w < items; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]float32, o.QueryBlock*o.Chunk)
			heaps := make([]topK, o.QueryBlock)
			for {
				it := int(next.Add(1) - 1)
				if it >= items {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				qb, s := it/segs, it%segs
				q0 := qb * o.QueryBlock
				nq := min(o.QueryBlock, q.Rows-q0)
				c0, c1 := s*segLen, min((s+1)*segLen, c.Rows)
				for i := 0; i < nq; i++ {
					heaps[i] = topK{k: o.K, h: make([]entry, 0, min(o.K, c1-c0))}
				}
				for cs := c0; cs < c1; cs += o.Chunk {
					nc := min(o.Chunk, c1-cs)
					scoreTile(buf, o.Chunk, q, q0, nq, c, cs, nc)
					for i := 0; i < nq; i++ {
						heaps[i].offer(buf[i*o.Chunk:i*o.Chunk+nc], order, int32(cs))
					}
				}
				for i := 0; i < nq; i++ {
					partial[s][q0+i] = heaps[i].h
					heaps[i] = topK{}
				}
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	for i := range out {
		var all []entry
		if segs == 1 {
			all = partial[0][i]
		} else {
			for s := range partial {
				all = append(all, partial[s][i]...)
			}
		}
		sort.Slice(all, func(a, b int) bool { return better(all[a], all[b]) })
		if len(all) > o.K {
			all = all[:o.K]
		}
		hits := make([]Hit, len(all))
		for r, e := range all {
			hits[r] = Hit{Doc: e.doc, Score: e.score}
		}
		out[i] = hits
	}
	return out, nil
}

// entry is a heap element: ord is the tie-break ordinal of doc.
type entry struct {
	score float32
	ord   int32
	doc   int32
}

// better reports whether a ranks before b: higher score, then higher ordinal.
func better(a, b entry) bool {
	return a.score > b.score || a.score == b.score && a.ord > b.ord
}

// topK is a bounded min-heap (worst entry at the root) holding the best k
// entries offered so far, in the manner of bleve's TopNCollector: once full,
// a candidate is compared with the root alone and most are rejected without
// touching the heap.
type topK struct {
	k int
	h []entry
}

// offer pushes scores[j] for corpus rows base+j.
func (t *topK) offer(scores []float32, order []int32, base int32) {
	j := 0
	for ; j < len(scores) && len(t.h) < t.k; j++ {
		d := base + int32(j)
		t.h = append(t.h, entry{scores[j], order[d], d})
		t.up(len(t.h) - 1)
	}
	if j == len(scores) {
		return
	}
	root := t.h[0]
	for ; j < len(scores); j++ {
		s := scores[j]
		if s < root.score {
			continue
		}
		d := base + int32(j)
		e := entry{s, order[d], d}
		if !better(e, root) {
			continue
		}
		t.h[0] = e
		t.down(0)
		root = t.h[0]
	}
}

func (t *topK) up(i int) {
	h := t.h
	for i > 0 {
		p := (i - 1) / 2
		if !better(h[p], h[i]) {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (t *topK) down(i int) {
	h := t.h
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && better(h[l], h[r]) {
			m = r
		}
		if !better(h[i], h[m]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
