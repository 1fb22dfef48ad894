package search

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
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
	if err := checkShapes(q, c.Rows, c.Dim, len(c.Data), order); err != nil {
		return nil, err
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
	p := plan{o: o, qBlocks: (q.Rows + o.QueryBlock - 1) / o.QueryBlock, segs: 1}
	if p.qBlocks < o.Workers {
		p.segs = (o.Workers + p.qBlocks - 1) / p.qBlocks
		if maxSegs := (c.Rows + o.Chunk - 1) / o.Chunk; p.segs > maxSegs {
			p.segs = maxSegs
		}
	}
	p.segLen = (c.Rows + p.segs - 1) / p.segs
	if p.segs > 1 {
		p.partial = make([][][]entry, p.segs)
		for s := range p.partial {
			p.partial[s] = make([][]entry, q.Rows)
		}
	}

	items := p.qBlocks * p.segs
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, o.Workers)
	for w := 0; w < o.Workers && w < items; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs[w] = p.work(ctx, &next, items, q, c, order, out)
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	if p.segs > 1 {
		for i := range out {
			t := topK{k: o.K}
			for s := range p.partial {
				t.h = append(t.h, p.partial[s][i]...)
			}
			out[i] = toHits(t.result())
		}
	}
	return out, nil
}

// checkShapes validates the query matrix, the corpus's shape (cData: the
// length of its data) and the tie-break ordinals.
func checkShapes(q Matrix, cRows, cDim, cData int, order []int32) error {
	if q.Rows > 0 && cRows > 0 && q.Dim != cDim {
		return fmt.Errorf("search: query dimension %d, corpus dimension %d", q.Dim, cDim)
	}
	if len(order) != cRows {
		return fmt.Errorf("search: %d tie-break ordinals for %d corpus rows", len(order), cRows)
	}
	if len(q.Data) != q.Rows*q.Dim || cData != cRows*cDim {
		return fmt.Errorf("search: matrix data length does not match rows x dim")
	}
	if cRows > math.MaxInt32 {
		return fmt.Errorf("search: %d corpus rows exceed the int32 document index", cRows)
	}
	return nil
}

// plan is how Search divides its work: query blocks x corpus segments.
type plan struct {
	o             Options
	qBlocks, segs int
	segLen        int
	partial       [][][]entry // [segment][query] -> entries, when segs > 1
}

// work is one worker: it takes work items until none is left, scoring
// each query block against its corpus segment.
func (p *plan) work(ctx context.Context, next *atomic.Int64, items int, q, c Matrix, order []int32, out [][]Hit) error {
	o := p.o
	buf := make([]float32, o.QueryBlock*o.Chunk)
	heaps := make([]topK, o.QueryBlock)
	for {
		it := int(next.Add(1) - 1)
		if it >= items {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		qb, s := it/p.segs, it%p.segs
		q0 := qb * o.QueryBlock
		nq := min(o.QueryBlock, q.Rows-q0)
		c0, c1 := s*p.segLen, min((s+1)*p.segLen, c.Rows)
		for i := 0; i < nq; i++ {
			heaps[i].reset(o.K) // reuses the buffer of the previous block
		}
		for cs := c0; cs < c1; cs += o.Chunk {
			if (cs-c0)/o.Chunk%64 == 63 && ctx.Err() != nil {
				return ctx.Err()
			}
			nc := min(o.Chunk, c1-cs)
			scoreTile(buf, o.Chunk, q, q0, nq, c, cs, nc)
			for i := 0; i < nq; i++ {
				heaps[i].offer(buf[i*o.Chunk:i*o.Chunk+nc], order, int32(cs))
			}
		}
		for i := 0; i < nq; i++ {
			res := heaps[i].result()
			if p.segs == 1 {
				out[q0+i] = toHits(res)
			} else {
				p.partial[s][q0+i] = slices.Clone(res)
			}
		}
	}
}

func toHits(es []entry) []Hit {
	hits := make([]Hit, len(es))
	for r, e := range es {
		hits[r] = Hit{Doc: e.doc, Score: e.score}
	}
	return hits
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

// topK keeps the best k entries offered so far. Candidates go into a buffer
// of up to 2k; when it fills, a quickselect keeps the best k and the k-th
// becomes the admission threshold, so most later candidates are rejected by
// one comparison and each admitted one costs amortised O(1) (cheaper than a
// heap's O(log k) sift for k = 1000). Entries are distinct by (score, ord)
// for distinct documents, so the threshold test is exact.
type topK struct {
	k      int
	h      []entry
	thr    entry // the k-th best after the last compaction
	hasThr bool
}

// reset empties t for a new query, keeping its buffer.
func (t *topK) reset(k int) {
	t.k, t.h, t.hasThr = k, t.h[:0], false
}

// offer considers scores[j] for corpus rows base+j.
func (t *topK) offer(scores []float32, order []int32, base int32) {
	if t.h == nil {
		t.h = make([]entry, 0, min(2*t.k, 4096))
	}
	for j, s := range scores {
		if t.hasThr && s < t.thr.score {
			continue
		}
		d := base + int32(j)
		e := entry{s, order[d], d}
		if t.hasThr && !better(e, t.thr) {
			continue
		}
		t.h = append(t.h, e)
		if len(t.h) >= 2*t.k {
			t.compact()
		}
	}
}

// compact keeps the best k of the buffer (unordered) and sets the threshold.
func (t *topK) compact() {
	if len(t.h) <= t.k {
		return
	}
	selectBest(t.h, t.k)
	t.h = t.h[:t.k]
	worst := t.h[0]
	for _, e := range t.h[1:] {
		if better(worst, e) {
			worst = e
		}
	}
	t.thr, t.hasThr = worst, true
}

// result returns the best min(k, offered) entries in canonical order. It
// aliases t's buffer.
func (t *topK) result() []entry {
	t.compact()
	slices.SortFunc(t.h, func(a, b entry) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return int(b.ord) - int(a.ord)
	})
	return t.h
}

// selectBest reorders h so that its first k entries are the k best
// (quickselect with a median-of-three pivot).
func selectBest(h []entry, k int) {
	lo, hi := 0, len(h)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// median of three to h[mid]
		if better(h[mid], h[lo]) {
			h[mid], h[lo] = h[lo], h[mid]
		}
		if better(h[hi], h[lo]) {
			h[hi], h[lo] = h[lo], h[hi]
		}
		if better(h[hi], h[mid]) {
			h[hi], h[mid] = h[mid], h[hi]
		}
		p := h[mid]
		i, j := lo, hi
		for i <= j {
			for better(h[i], p) {
				i++
			}
			for better(p, h[j]) {
				j--
			}
			if i <= j {
				h[i], h[j] = h[j], h[i]
				i++
				j--
			}
		}
		// now h[lo..j] are not worse than p, h[i..hi] not better than p
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}
